//! Asset metadata on the chain (docs/spec/wallet.md §Asset metadata): the
//! issuer's name, decimals and description of a flavor, written into the
//! issuing transaction's log so that every wallet and node can read them.
//!
//! The metadata is the `metadata` string that `issue` hashes into the
//! flavor (docs/spec/zkvm.md §issue), so a record cannot be forged: a
//! reader recomputes the flavor from the record's predicate and metadata
//! and accepts the record only if the same transaction logs an `issue` of
//! that flavor. Two issuers may choose one name; their flavors differ.
//! The assets a genesis creates have no issuance log: the genesis's asset
//! section (docs/spec/blockchain.md §Genesis) carries their metadata.
//!
//! The metadata's format itself ([`AssetMetadata`]) is the blockchain
//! crate's, whose genesis decoder checks it.

use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use zkvm::{Commitment, Data, Predicate, TxEntry, Value};

pub use blockchain::{
    check_name, format_units, parse_units, AssetMetadata, GenesisAsset, MAX_ASSET_DESCRIPTION,
    MAX_ASSET_NAME, MAX_DECIMALS,
};

/// The prefix of the `log` data entry that carries an asset's metadata.
pub const ASSET_RECORD_TAG: &[u8] = b"zkvm.asset/1";

/// A flavor's metadata as found in the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetInfo {
    /// The flavor issued.
    pub flavor: Scalar,
    /// The issuance predicate (the issuer's key).
    pub issuer: CompressedRistretto,
    /// The metadata.
    pub metadata: AssetMetadata,
    /// The height of the first issuance seen (1 for an asset the
    /// genesis describes).
    pub height: u64,
}

impl AssetInfo {
    /// An asset the genesis's asset section describes
    /// (docs/spec/blockchain.md §Genesis), which the decoder checked as
    /// [`assets_in_log`] checks a record.
    pub fn from_genesis(entry: &GenesisAsset) -> Self {
        AssetInfo {
            flavor: entry.flavor,
            issuer: entry.issuer,
            metadata: entry.metadata.clone(),
            height: 1,
        }
    }
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
