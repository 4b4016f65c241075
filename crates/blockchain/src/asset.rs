//! Asset metadata (docs/spec/wallet.md §Asset metadata): the name,
//! decimals and description an issuer gives a flavor, in the one format
//! that an issuance log record and the genesis's asset section
//! (docs/spec/blockchain.md §Genesis) both carry, and amounts written in
//! the units those decimals declare.
//!
//! The format lives here rather than in the wallet because the genesis
//! decoder checks it: a node refuses a genesis whose asset section does not
//! check, exactly as a wallet ignores an issuance record that does not.

use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use encoding::{Reader, Writer};
use zkvm::{Data, Predicate, Value};

use crate::BlockchainError;

/// The longest asset name, in bytes.
pub const MAX_ASSET_NAME: usize = 32;

/// The longest description, in bytes.
pub const MAX_ASSET_DESCRIPTION: usize = 256;

/// The most decimals an asset may declare (2^64 − 1 has 20 digits).
pub const MAX_DECIMALS: u8 = 19;

/// The longest metadata string: a name, its terminator, the decimals and a
/// description.
pub const MAX_ASSET_METADATA: usize = MAX_ASSET_NAME + 2 + MAX_ASSET_DESCRIPTION;

/// Most assets a genesis may describe (docs/spec/blockchain.md §Genesis).
pub const MAX_GENESIS_ASSETS: usize = 256;

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

fn bad(why: impl Into<String>) -> BlockchainError {
    BlockchainError::BadAsset(why.into())
}

impl AssetMetadata {
    /// Metadata with a checked name, decimals and description.
    pub fn new(name: &str, decimals: u8, description: &str) -> Result<Self, BlockchainError> {
        check_name(name)?;
        if decimals > MAX_DECIMALS {
            return Err(bad(format!("at most {MAX_DECIMALS} decimals")));
        }
        if description.len() > MAX_ASSET_DESCRIPTION {
            return Err(bad(format!(
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

    /// Decodes and checks [`AssetMetadata::to_bytes`]. A few strings that
    /// are not its output still decode (`GOLD\0\0` is `GOLD`): a log record
    /// is read as its issuer wrote it, since the flavor hashes those bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BlockchainError> {
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

    /// The flavor an issuer whose issuance predicate is `issuer` creates
    /// with this metadata (docs/spec/zkvm.md §issue).
    pub fn flavor(&self, issuer: &Predicate) -> Scalar {
        Value::issue_flavor(issuer, &Data::Opaque(self.to_bytes()))
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

/// The base units of `text`, an amount of an asset with `decimals`
/// declared (docs/spec/wallet.md §Asset metadata): a whole number is base
/// units as the chain counts them (`1250`); a number with a decimal point
/// is in units, with at most `decimals` digits after it (`12.50` and
/// `12.5` are 1250 with 2 decimals). More digits than declared, a quantity
/// beyond 64 bits, or anything else is [`BlockchainError::BadAmount`].
pub fn parse_units(text: &str, decimals: u8) -> Result<u64, BlockchainError> {
    let refuse = |why: String| Err(BlockchainError::BadAmount(format!("{text:?} {why}")));
    let too_large = || refuse(format!("is more than {} base units", u64::MAX));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let Some((whole, fraction)) = text.split_once('.') else {
        if !digits(text) {
            return refuse(
                "is not a quantity: base units (1250) or units with a decimal point (12.50)".into(),
            );
        }
        return text.parse::<u64>().map_or_else(|_| too_large(), Ok);
    };
    if !digits(whole) || !digits(fraction) {
        return refuse("is not a quantity: units are digits, a point and digits (12.50)".into());
    }
    if fraction.len() > usize::from(decimals) {
        return refuse(if decimals == 0 {
            "has decimals, and this asset declares none: give a whole number".into()
        } else {
            format!("has more than the {decimals} decimals this asset declares")
        });
    }
    // Whole units and the fraction padded to the declared decimals, in
    // 128 bits so that the check below is the only overflow.
    let scale = 10u128.pow(u32::from(decimals));
    let pad = 10u128.pow(u32::from(decimals) - fraction.len() as u32);
    let (Ok(whole), Ok(fraction)) = (whole.parse::<u128>(), fraction.parse::<u128>()) else {
        return too_large();
    };
    whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(fraction * pad))
        .and_then(|q| u64::try_from(q).ok())
        .map_or_else(too_large, Ok)
}

/// A name an issuer may choose: 1 to [`MAX_ASSET_NAME`] bytes of letters,
/// digits and `-_.`, not `native` and not 64 hex digits (both mean
/// something else where an asset is named).
pub fn check_name(name: &str) -> Result<(), BlockchainError> {
    if name.is_empty() || name.len() > MAX_ASSET_NAME {
        return Err(bad(format!("a name has 1 to {MAX_ASSET_NAME} bytes")));
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(bad(format!(
            "{name:?}: a name has letters, digits, '-', '_' and '.' only"
        )));
    }
    if name.eq_ignore_ascii_case("native") {
        return Err(bad("`native` is the chain's own asset"));
    }
    if name.len() == 64 && name.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad("64 hex digits name a flavor"));
    }
    Ok(())
}

/// One entry of the genesis's asset section (docs/spec/blockchain.md
/// §Genesis): the metadata of an asset whose outputs the genesis creates,
/// which no issuance log carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenesisAsset {
    /// The flavor, `issue_flavor(issuer, metadata)`.
    pub flavor: Scalar,
    /// The issuance predicate's point (the issuer's key).
    pub issuer: CompressedRistretto,
    /// The metadata.
    pub metadata: AssetMetadata,
}

impl GenesisAsset {
    /// The entry of an asset issued under `issuer` with `metadata`.
    pub fn new(issuer: &Predicate, metadata: AssetMetadata) -> Self {
        GenesisAsset {
            flavor: metadata.flavor(issuer),
            issuer: issuer.to_point(),
            metadata,
        }
    }

    /// `flavor (32) || issuer (32) || LE32 len || metadata`.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.flavor.as_bytes());
        out.extend_from_slice(self.issuer.as_bytes());
        let metadata = self.metadata.to_bytes();
        out.write_size(b"len", metadata.len());
        out.extend_from_slice(&metadata);
    }

    /// Decodes entry `index` and checks it as a wallet checks an issuance
    /// record: the issuer is a point, the metadata is well formed (and in
    /// the one encoding [`AssetMetadata::to_bytes`] gives), and the flavor
    /// recomputed from the issuer and metadata is the one stated.
    pub(crate) fn decode(r: &mut Reader<'_>, index: usize) -> Result<Self, BlockchainError> {
        let stated = r.read_array::<32>()?;
        let issuer = CompressedRistretto(r.read_array::<32>()?);
        if issuer.decompress().is_none() {
            return Err(BlockchainError::GenesisAssetIssuer { index });
        }
        let len = r.read_size()?;
        if len > MAX_ASSET_METADATA {
            return Err(BlockchainError::GenesisAssetMetadata {
                index,
                reason: format!("{len} bytes, more than {MAX_ASSET_METADATA}"),
            });
        }
        let raw = r.read_bytes(len)?;
        let metadata =
            AssetMetadata::from_bytes(raw).map_err(|e| BlockchainError::GenesisAssetMetadata {
                index,
                reason: e.to_string(),
            })?;
        if metadata.to_bytes() != raw {
            return Err(BlockchainError::GenesisAssetMetadata {
                index,
                reason: "not in its canonical encoding".into(),
            });
        }
        let entry = GenesisAsset::new(&Predicate::opaque(issuer), metadata);
        if entry.flavor.to_bytes() != stated {
            return Err(BlockchainError::GenesisAssetFlavor { index });
        }
        Ok(entry)
    }
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
            assert!(
                matches!(
                    AssetMetadata::from_bytes(bytes),
                    Err(BlockchainError::BadAsset(_))
                ),
                "{bytes:?}"
            );
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
    fn amounts_in_units_parse_to_base_units() {
        assert_eq!(parse_units("12.50", 2).unwrap(), 1250);
        assert_eq!(parse_units("12.5", 2).unwrap(), 1250);
        assert_eq!(parse_units("0.05", 2).unwrap(), 5);
        assert_eq!(parse_units("12.", 2).ok(), None, "digits after the point");
        // A whole number is base units, whatever the decimals.
        assert_eq!(parse_units("1250", 2).unwrap(), 1250);
        assert_eq!(parse_units("7", 0).unwrap(), 7);
        assert_eq!(parse_units("18446744073709551615", 0).unwrap(), u64::MAX);
        assert_eq!(
            parse_units("1844674407370955161.5", 1).unwrap(),
            u64::MAX,
            "the largest quantity in units"
        );
        assert_eq!(
            parse_units("0.0000000000000000001", 19).unwrap(),
            1,
            "the most decimals"
        );
        for (text, decimals) in [
            ("12.505", 2), // more digits than declared
            ("1.5", 0),    // no decimals declared
            ("1.0", 0),    // not even a zero
            ("18446744073709551616", 0),
            ("1844674407370955161.6", 1),
            ("99999999999999999999999999999999999999999.1", 2),
            ("", 2),
            (".5", 2),
            ("-1", 2),
            ("+1", 2),
            ("1e3", 2),
            ("1.2.3", 2),
            (" 1", 2),
            ("1,5", 2),
            ("١٢", 2), // non-ASCII digits
        ] {
            assert!(
                matches!(
                    parse_units(text, decimals),
                    Err(BlockchainError::BadAmount(_))
                ),
                "{text:?} with {decimals} decimals"
            );
        }
    }

    #[test]
    fn a_genesis_entry_checks_its_flavor() {
        let issuer =
            Predicate::opaque(curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT.compress());
        let entry = GenesisAsset::new(&issuer, AssetMetadata::new("DEV", 2, "dev").unwrap());
        assert_eq!(
            entry.flavor,
            Value::issue_flavor(&issuer, &Data::Opaque(b"DEV\0\x02dev".to_vec()))
        );
        let mut bytes = Vec::new();
        entry.encode(&mut bytes);
        let back = Reader::read_all(&bytes, |r| GenesisAsset::decode(r, 0)).unwrap();
        assert_eq!(back, entry);
        // Another issuer's flavor, or another name's, is refused.
        let mut wrong = bytes.clone();
        wrong[0] ^= 1;
        assert!(matches!(
            Reader::read_all(&wrong, |r| GenesisAsset::decode(r, 3)),
            Err(BlockchainError::GenesisAssetFlavor { index: 3 })
        ));
        let mut renamed = bytes.clone();
        // "DEV" becomes "DEE": flavor, issuer, length, then the name.
        renamed[32 + 32 + 4 + 2] = b'E';
        assert!(matches!(
            Reader::read_all(&renamed, |r| GenesisAsset::decode(r, 0)),
            Err(BlockchainError::GenesisAssetFlavor { index: 0 })
        ));
    }
}
