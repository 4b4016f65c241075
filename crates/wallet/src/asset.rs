//! Asset metadata on the chain (docs/spec/wallet.md §Asset metadata): the
//! issuer's name, decimals and description of a flavor, written into the
//! issuing transaction's log so that every wallet and node can read them.
//!
//! The metadata is the `metadata` string that `issue` hashes into the
//! flavor (docs/spec/zkvm.md §issue), so a record cannot be forged: a
//! reader recomputes the flavor from the record's predicate and metadata
//! and accepts the record only if the same transaction logs an `issue` of
//! that flavor. Two issuers may choose one name; their flavors differ.

use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use zkvm::{Commitment, Data, Predicate, TxEntry, Value};

use crate::WalletError;

/// The prefix of the `log` data entry that carries an asset's metadata.
pub const ASSET_RECORD_TAG: &[u8] = b"zkvm.asset/1";

/// The longest asset name, in bytes.
pub const MAX_ASSET_NAME: usize = 32;

/// The longest description, in bytes.
pub const MAX_ASSET_DESCRIPTION: usize = 256;

/// The most decimals an asset may declare (2^64 − 1 has 20 digits).
pub const MAX_DECIMALS: u8 = 19;

/// What an issuer says about its asset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetMetadata {
    /// A short name, e.g. `GOLD`.
    pub name: String,
    /// Digits after the decimal point when amounts are shown: a quantity
    /// of 1250 with 2 decimals is 12.50 units.
    pub decimals: u8,
    /// Free text (empty: none).
    pub description: String,
}

/// A flavor's metadata as found in the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetInfo {
    /// The flavor issued.
    pub flavor: Scalar,
    /// The issuance predicate (the issuer's key).
    pub issuer: CompressedRistretto,
    /// The metadata.
    pub metadata: AssetMetadata,
    /// The height of the first issuance seen.
    pub height: u64,
}

impl AssetMetadata {
    /// Metadata with a checked name, decimals and description.
    pub fn new(name: &str, decimals: u8, description: &str) -> Result<Self, WalletError> {
        check_name(name)?;
        if decimals > MAX_DECIMALS {
            return Err(WalletError::BadAsset(format!(
                "at most {MAX_DECIMALS} decimals"
            )));
        }
        if description.len() > MAX_ASSET_DESCRIPTION {
            return Err(WalletError::BadAsset(format!(
                "a description has at most {MAX_ASSET_DESCRIPTION} bytes"
            )));
        }
        Ok(AssetMetadata {
            name: name.to_string(),
            decimals,
            description: description.to_string(),
        })
    }

    /// The `metadata` string hashed into the flavor: the name alone when
    /// there are neither decimals nor a description (so that a name issued
    /// before metadata had more fields keeps its flavor), else `name ||
    /// 0x00 || decimals || description`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.name.as_bytes().to_vec();
        if self.decimals > 0 || !self.description.is_empty() {
            out.push(0);
            out.push(self.decimals);
            out.extend_from_slice(self.description.as_bytes());
        }
        out
    }

    /// Decodes and checks [`AssetMetadata::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WalletError> {
        let bad = |why: &str| WalletError::BadAsset(why.to_string());
        let (name, rest) = match bytes.iter().position(|b| *b == 0) {
            None => (bytes, None),
            Some(i) => (&bytes[..i], Some(&bytes[i + 1..])),
        };
        let name = std::str::from_utf8(name).map_err(|_| bad("a name is UTF-8"))?;
        let (decimals, description) = match rest {
            None => (0, ""),
            Some([decimals, description @ ..]) => (
                *decimals,
                std::str::from_utf8(description).map_err(|_| bad("a description is UTF-8"))?,
            ),
            Some([]) => return Err(bad("metadata ends after its name's terminator")),
        };
        AssetMetadata::new(name, decimals, description)
    }

    /// `qty` in units: `1250` with 2 decimals is `12.50`.
    pub fn format(&self, qty: u128) -> String {
        format_units(qty, self.decimals)
    }
}

/// `qty` with `decimals` digits after the point (none when 0).
pub fn format_units(qty: u128, decimals: u8) -> String {
    if decimals == 0 {
        return qty.to_string();
    }
    let scale = 10u128.pow(u32::from(decimals));
    format!(
        "{}.{:0width$}",
        qty / scale,
        qty % scale,
        width = usize::from(decimals)
    )
}

/// A name an issuer may choose: 1 to [`MAX_ASSET_NAME`] bytes of letters,
/// digits and `-_.`, not `native` and not 64 hex digits (both mean
/// something else where an asset is named).
pub fn check_name(name: &str) -> Result<(), WalletError> {
    let bad = |why: String| Err(WalletError::BadAsset(why));
    if name.is_empty() || name.len() > MAX_ASSET_NAME {
        return bad(format!("a name has 1 to {MAX_ASSET_NAME} bytes"));
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return bad(format!(
            "{name:?}: a name has letters, digits, '-', '_' and '.' only"
        ));
    }
    if name.eq_ignore_ascii_case("native") {
        return bad("`native` is the chain's own asset".into());
    }
    if name.len() == 64 && name.chars().all(|c| c.is_ascii_hexdigit()) {
        return bad("64 hex digits name a flavor".into());
    }
    Ok(())
}

/// The `log` data entry of an issuance under `issuer` with `metadata`:
/// `ASSET_RECORD_TAG || issuer (32) || metadata`.
pub fn asset_record(issuer: &Predicate, metadata: &[u8]) -> Vec<u8> {
    let mut out = ASSET_RECORD_TAG.to_vec();
    out.extend_from_slice(issuer.to_point().as_bytes());
    out.extend_from_slice(metadata);
    out
}

/// The assets whose metadata a transaction's log carries: each record
/// whose flavor, recomputed from its issuer and metadata, the same log
/// issues; other records are ignored (anyone may log any data).
pub fn assets_in_log(log: &[TxEntry], height: u64) -> Vec<AssetInfo> {
    let issued: Vec<&CompressedRistretto> = log
        .iter()
        .filter_map(|e| match e {
            TxEntry::Issue(_, f) => Some(f),
            _ => None,
        })
        .collect();
    if issued.is_empty() {
        return Vec::new();
    }
    log.iter()
        .filter_map(|e| match e {
            TxEntry::Data(d) => d.strip_prefix(ASSET_RECORD_TAG),
            _ => None,
        })
        .filter_map(|rest| {
            let issuer = CompressedRistretto::from_slice(rest.get(..32)?).ok()?;
            let raw = &rest[32..];
            let metadata = AssetMetadata::from_bytes(raw).ok()?;
            let flavor =
                Value::issue_flavor(&Predicate::opaque(issuer), &Data::Opaque(raw.to_vec()));
            let point = Commitment::unblinded(flavor).to_point();
            issued.contains(&&point).then_some(AssetInfo {
                flavor,
                issuer,
                metadata,
                height,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn metadata_round_trips_and_a_bare_name_stays_the_name() {
        let plain = AssetMetadata::new("GOLD", 0, "").unwrap();
        assert_eq!(plain.to_bytes(), b"GOLD");
        let full = AssetMetadata::new("GOLD", 2, "one ounce").unwrap();
        assert_eq!(AssetMetadata::from_bytes(&full.to_bytes()).unwrap(), full);
        assert_eq!(AssetMetadata::from_bytes(b"GOLD").unwrap(), plain);
    }

    #[test]
    fn hostile_metadata_is_an_error() {
        for bytes in [
            &b""[..],
            b"GOLD\0",
            b"GO LD",
            b"native",
            b"\xff\xfe",
            b"GOLD\0\x14",
            &[b'a'; 33],
        ] {
            assert!(AssetMetadata::from_bytes(bytes).is_err(), "{bytes:?}");
        }
        assert!(check_name(&"ab".repeat(32)).is_err());
    }

    #[test]
    fn units_follow_the_decimals() {
        assert_eq!(format_units(1250, 2), "12.50");
        assert_eq!(format_units(5, 3), "0.005");
        assert_eq!(format_units(5, 0), "5");
    }

    #[test]
    fn a_record_counts_only_beside_its_issue() {
        let issuer = Predicate::opaque(CompressedRistretto([7; 32]));
        let meta = AssetMetadata::new("GOLD", 2, "").unwrap().to_bytes();
        let flavor = Value::issue_flavor(&issuer, &Data::Opaque(meta.clone()));
        let record = TxEntry::Data(asset_record(&issuer, &meta));
        let issue = TxEntry::Issue(
            CompressedRistretto([0; 32]),
            Commitment::unblinded(flavor).to_point(),
        );
        let found = assets_in_log(&[issue.clone(), record.clone()], 3);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].flavor, flavor);
        assert_eq!(found[0].metadata.decimals, 2);
        assert!(
            assets_in_log(std::slice::from_ref(&record), 3).is_empty(),
            "no issue"
        );
        // A record naming another issuer than the one that issued.
        let other = TxEntry::Data(asset_record(
            &Predicate::opaque(CompressedRistretto([9; 32])),
            &meta,
        ));
        assert!(assets_in_log(&[issue, other], 3).is_empty());
    }
}
