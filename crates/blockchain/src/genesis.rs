//! The genesis of a network (docs/spec/blockchain.md §Genesis): the
//! initial time, the block signers' key, the initial UTXOs, in full so
//! that wallets can find theirs among them, on a chain whose blocks are
//! decided by validators the validator set, and the metadata of the assets
//! the genesis creates.

use encoding::{Reader, Writer};
use merlin::Transcript;
use musig::VerificationKey;
use zkvm::{Contract, ContractID, Encodable};

use crate::{BlockchainError, ChainState, GenesisAsset, MAX_BLOCK_SIZE, MAX_GENESIS_ASSETS};

/// Everything a node needs to start a network and a wallet needs to find
/// the outputs it owns from the start (docs/spec/blockchain.md §Genesis).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Genesis {
    /// The initial header's timestamp.
    pub timestamp_ms: u64,
    /// The block signers' key.
    pub signers: VerificationKey,
    /// The initial UTXOs, in the order they enter the accumulator.
    pub utxos: Vec<Contract>,
    /// The validators whose commit certificates seal blocks, in the order
    /// of their binary encoding (docs/spec/consensus.md §Validator set);
    /// empty on a chain whose blocks the signers key signs.
    pub validators: Vec<ValidatorEntry>,
    /// The metadata of assets whose outputs the genesis creates, which no
    /// issuance log carries (docs/spec/blockchain.md §Genesis); empty when
    /// the genesis describes none.
    pub assets: Vec<GenesisAsset>,
}

/// Most validators a genesis may name (docs/spec/consensus.md §Validator
/// set; the consensus crate checks the rest of the set's rules).
pub const MAX_GENESIS_VALIDATORS: usize = 256;

/// One validator of a genesis: a key and its voting power. The consensus
/// crate turns these into its validator set, which also checks the order,
/// distinct keys and the total power.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidatorEntry {
    /// The validator's key.
    pub key: VerificationKey,
    /// Its voting power (at least 1).
    pub power: u64,
}

impl Genesis {
    /// The chain state at the initial header (docs/spec/blockchain.md
    /// §Start network).
    ///
    /// The initial header's `ext` is [`Genesis::ext`], so that the chain
    /// ID, its ID, commits to the validator set and to the asset metadata;
    /// a genesis with neither has an empty `ext` and the chain ID it always
    /// had.
    pub fn state(&self) -> Result<ChainState, BlockchainError> {
        let mut state = ChainState::start(self.timestamp_ms, self.signers, &self.utxo_ids())?;
        let ext = self.ext();
        if !ext.is_empty() {
            state.initial.ext = ext;
            state.tip = state.initial.clone();
        }
        Ok(state)
    }

    /// The initial header's `ext` (docs/spec/blockchain.md §Genesis): one
    /// 32-byte commitment per optional section, validators then assets,
    /// the last ones left out when absent, a missing validator section
    /// before an asset section written as 32 zero bytes:
    ///
    /// - neither: empty (the chain ID of a genesis before the sections);
    /// - validators only: [`Genesis::validators_hash`] (the chain ID of a
    ///   genesis before the asset section);
    /// - assets only: `[0; 32] || assets_hash`;
    /// - both: `validators_hash || assets_hash`.
    ///
    /// So the first 32 bytes say, without the genesis, whether blocks are
    /// sealed by certificates ([`ChainState::certified`]).
    pub fn ext(&self) -> Vec<u8> {
        let mut ext = Vec::new();
        if let Some(validators) = self.validators_hash() {
            ext.extend_from_slice(&validators);
        }
        if let Some(assets) = self.assets_hash() {
            if ext.is_empty() {
                ext.extend_from_slice(&[0; 32]);
            }
            ext.extend_from_slice(&assets);
        }
        ext
    }

    /// Whether blocks are sealed by commit certificates of the validators
    /// (docs/spec/blockchain.md §Block signature) rather than signed by
    /// the signers key.
    pub fn has_validators(&self) -> bool {
        !self.validators.is_empty()
    }

    /// `LE32 n || n × (key (32) || LE64 power)`: the validator section,
    /// the validator set's binary encoding when the entries are in
    /// address order (docs/spec/consensus.md §Validator set).
    pub fn validators_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.write_size(b"n", self.validators.len());
        for e in &self.validators {
            v.extend_from_slice(&e.key.to_bytes());
            v.write_u64(b"power", e.power);
        }
        v
    }

    /// `Transcript("ZkVM.genesis.validators")`, message `"set"` = the
    /// validator section, challenge `"hash"`; `None` without validators.
    pub fn validators_hash(&self) -> Option<[u8; 32]> {
        if !self.has_validators() {
            return None;
        }
        let mut t = Transcript::new(b"ZkVM.genesis.validators");
        t.append_message(b"set", &self.validators_bytes());
        let mut h = [0u8; 32];
        t.challenge_bytes(b"hash", &mut h);
        Some(h)
    }

    /// `LE32 m || m × (flavor (32) || issuer (32) || LE32 len ||
    /// metadata)`: the asset section (docs/spec/blockchain.md §Genesis).
    pub fn assets_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.write_size(b"m", self.assets.len());
        for a in &self.assets {
            a.encode(&mut v);
        }
        v
    }

    /// `Transcript("ZkVM.genesis.assets")`, message `"assets"` = the asset
    /// section, challenge `"hash"`; `None` without assets.
    pub fn assets_hash(&self) -> Option<[u8; 32]> {
        if self.assets.is_empty() {
            return None;
        }
        let mut t = Transcript::new(b"ZkVM.genesis.assets");
        t.append_message(b"assets", &self.assets_bytes());
        let mut h = [0u8; 32];
        t.challenge_bytes(b"hash", &mut h);
        Some(h)
    }

    /// The IDs of the initial UTXOs, in order.
    pub fn utxo_ids(&self) -> Vec<ContractID> {
        self.utxos.iter().map(Contract::id).collect()
    }

    /// `LE64 timestamp_ms || signers (32) || LE32 n || n contracts` (each
    /// in the output encoding of zkvm-spec §Output structure), then, if
    /// there are validators or assets, the validator section
    /// ([`Genesis::validators_bytes`], `LE32 0` when only assets follow),
    /// then, if there are assets, the asset section
    /// ([`Genesis::assets_bytes`]): a genesis without either has the bytes
    /// it always had, one with validators alone those it had before the
    /// asset section existed.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.write_u64(b"timestamp_ms", self.timestamp_ms);
        v.extend_from_slice(&self.signers.to_bytes());
        v.write_size(b"n", self.utxos.len());
        for c in &self.utxos {
            c.encode(&mut v);
        }
        if self.has_validators() || !self.assets.is_empty() {
            v.extend_from_slice(&self.validators_bytes());
        }
        if !self.assets.is_empty() {
            v.extend_from_slice(&self.assets_bytes());
        }
        v
    }

    /// Strict decoding of [`Genesis::to_bytes`]: at most
    /// [`MAX_BLOCK_SIZE`] bytes, a valid key, no trailing bytes, one
    /// encoding per genesis (an empty validator section only before an
    /// asset section, no empty asset section), and each asset entry checked
    /// as a wallet checks an issuance record (its flavor is its issuer's
    /// for its metadata), no flavor twice.
    pub fn from_bytes(bytes: &[u8]) -> Result<Genesis, BlockchainError> {
        if bytes.len() > MAX_BLOCK_SIZE {
            return Err(BlockchainError::TooLarge {
                size: bytes.len(),
                limit: MAX_BLOCK_SIZE,
            });
        }
        let (timestamp_ms, key, utxos, validators, assets) = Reader::read_all(bytes, |r| {
            let timestamp_ms = r.read_u64()?;
            let key = r.read_array::<32>()?;
            let n = r.read_count()?;
            // An output is at least anchor, predicate and item count.
            let mut index = 0;
            let utxos = r.read_vec(n, 68, |r| {
                let output = Contract::decode(r)
                    .map_err(|error| BlockchainError::DecodeOutput { index, error })?;
                index += 1;
                Ok::<_, BlockchainError>(output)
            })?;
            // The validator section, if any bytes are left: at least one
            // validator, unless an asset section follows (an empty section
            // at the end would be a second encoding of "none").
            let mut validators = Vec::new();
            let mut assets = Vec::new();
            if r.remaining() > 0 {
                let n = r.read_count()?;
                if (n == 0 && r.remaining() == 0) || n > MAX_GENESIS_VALIDATORS {
                    return Err(BlockchainError::GenesisValidatorCount(n));
                }
                validators = r.read_vec(n, 40, |r| {
                    let key = VerificationKey::from_bytes(&r.read_array::<32>()?)
                        .map_err(|_| BlockchainError::InvalidValidatorKey)?;
                    let power = r.read_u64()?;
                    if power == 0 {
                        return Err(BlockchainError::ZeroValidatorPower);
                    }
                    Ok::<_, BlockchainError>(ValidatorEntry { key, power })
                })?;
            }
            // The asset section, if any bytes are left after that.
            if r.remaining() > 0 {
                let m = r.read_count()?;
                if m == 0 || m > MAX_GENESIS_ASSETS {
                    return Err(BlockchainError::GenesisAssetCount(m));
                }
                // An entry is at least flavor, issuer, length and a
                // one-byte name.
                let mut index = 0;
                assets = r.read_vec(m, 69, |r| {
                    let entry = GenesisAsset::decode(r, index)?;
                    index += 1;
                    Ok::<_, BlockchainError>(entry)
                })?;
                for (index, a) in assets.iter().enumerate() {
                    if assets[..index].iter().any(|b| b.flavor == a.flavor) {
                        return Err(BlockchainError::GenesisAssetDuplicate { index });
                    }
                }
            }
            Ok::<_, BlockchainError>((timestamp_ms, key, utxos, validators, assets))
        })?;
        let signers =
            VerificationKey::from_bytes(&key).map_err(|_| BlockchainError::InvalidBlockKey)?;
        Ok(Genesis {
            timestamp_ms,
            signers,
            utxos,
            validators,
            assets,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use curve25519_dalek::scalar::Scalar;
    use musig::SecretKey;
    use zkvm::{Anchor, Commitment, PortableItem, Predicate, Value};

    fn genesis() -> Genesis {
        let key = SecretKey::from_scalar(Scalar::from(7u64));
        let value = Value {
            qty: Commitment::blinded_with_factor(5, Scalar::from(1u64)),
            flv: Commitment::blinded_with_factor(0, Scalar::from(2u64)),
        };
        Genesis {
            timestamp_ms: 1_700_000_000_000,
            signers: key.verification_key(),
            utxos: vec![Contract {
                anchor: Anchor::from_bytes([9; 32]),
                predicate: Predicate::opaque(*key.verification_key().as_compressed()),
                payload: vec![PortableItem::Value(value)],
            }],
            validators: Vec::new(),
            assets: Vec::new(),
        }
    }

    fn dev_asset(name: &str, decimals: u8) -> GenesisAsset {
        let issuer = Predicate::opaque(
            *SecretKey::from_scalar(Scalar::from(11u64))
                .verification_key()
                .as_compressed(),
        );
        GenesisAsset::new(
            &issuer,
            crate::AssetMetadata::new(name, decimals, "").unwrap(),
        )
    }

    fn with_assets() -> Genesis {
        let mut g = genesis();
        g.assets = vec![dev_asset("DEV", 0), dev_asset("GOLD", 2)];
        g
    }

    fn with_validators() -> Genesis {
        let mut g = genesis();
        g.validators = (1..=3u64)
            .map(|i| ValidatorEntry {
                key: SecretKey::from_scalar(Scalar::from(100 + i)).verification_key(),
                power: i,
            })
            .collect();
        g
    }

    #[test]
    fn a_genesis_without_validators_keeps_its_bytes_and_chain_id() {
        let g = genesis();
        let bytes = g.to_bytes();
        // The encoding before the validator section existed.
        let mut old = Vec::new();
        old.write_u64(b"t", g.timestamp_ms);
        old.extend_from_slice(&g.signers.to_bytes());
        old.write_size(b"n", 1);
        g.utxos[0].encode(&mut old);
        assert_eq!(bytes, old);
        let state = g.state().unwrap();
        assert!(state.initial.ext.is_empty());
        let plain = ChainState::start(g.timestamp_ms, g.signers, &g.utxo_ids()).unwrap();
        assert_eq!(state.initial.id(), plain.initial.id());
        assert!(!state.certified());
    }

    #[test]
    fn the_chain_id_commits_to_the_validators() {
        let g = with_validators();
        let bytes = g.to_bytes();
        let back = Genesis::from_bytes(&bytes).unwrap();
        // (The outputs' commitments come back closed: compare bytes.)
        assert_eq!(back.to_bytes(), bytes);
        assert_eq!(back.validators, g.validators);
        let state = back.state().unwrap();
        assert!(state.certified());
        assert_eq!(state.tip, state.initial);
        assert_eq!(state.initial.ext, g.validators_hash().unwrap().to_vec());
        let mut other = g.clone();
        other.validators[0].power += 1;
        assert_ne!(other.state().unwrap().initial.id(), state.initial.id());
        assert_ne!(genesis().state().unwrap().initial.id(), state.initial.id());
    }

    #[test]
    fn a_validators_chain_seals_blocks_by_certificate_not_signature() {
        use accumulator::Forest;
        let g = with_validators();
        let state = g.state().unwrap();
        let mut forest = Forest::new();
        let leaves: Vec<_> = g.utxo_ids().iter().map(crate::utxo_leaf).collect();
        forest.modify(&leaves, &[]).unwrap();
        let t = g.timestamp_ms + 1;
        // No key is needed: the block is unsigned, and applies as is.
        let made = state
            .make_verified_block(&forest, Vec::new(), t, None)
            .unwrap();
        assert!(made.block().is_unsigned());
        assert!(made.block().certificate.is_none());
        let (next, _) = state.apply_block(made.block()).unwrap();
        // Sealed: the certificate section ends its bytes, the ID is the same.
        let sealed = made.clone().with_certificate(vec![7; 336]).unwrap();
        let back = crate::Block::from_bytes(sealed.bytes()).unwrap();
        assert_eq!(back.certificate.as_deref(), Some(&[7u8; 336][..]));
        assert_eq!(back.header.id(), made.id());
        assert_eq!(state.apply_verified(&sealed).unwrap(), next);
        assert!(made.clone().with_certificate(Vec::new()).is_err());
        // A block-key signature is refused on a validators chain.
        let mut signed = made.block().clone();
        signed.signature =
            crate::sign_header(&signed.header, &SecretKey::from_scalar(Scalar::from(7u64)));
        assert!(matches!(
            state.apply_block(&signed),
            Err(BlockchainError::SignatureOnCertifiedChain)
        ));
        assert!(matches!(
            state.follow_headers([(&signed.header, &signed.signature)]),
            Err(BlockchainError::HeadersNotSigned)
        ));
        // And a certificate on a block-key chain.
        let plain = genesis();
        let key = SecretKey::from_scalar(Scalar::from(7u64));
        let plain_state = plain.state().unwrap();
        let mut plain_forest = Forest::new();
        let leaves: Vec<_> = plain.utxo_ids().iter().map(crate::utxo_leaf).collect();
        plain_forest.modify(&leaves, &[]).unwrap();
        let mut block = plain_state
            .make_block(&plain_forest, Vec::new(), t, &key)
            .unwrap();
        assert!(plain_state
            .make_verified_block(&plain_forest, Vec::new(), t, None)
            .is_err());
        block.certificate = Some(vec![1; 48]);
        assert!(matches!(
            plain_state.apply_block(&block),
            Err(BlockchainError::CertificateOnKeyChain)
        ));
    }

    #[test]
    fn the_validator_section_is_strict() {
        let g = with_validators();
        let bytes = g.to_bytes();
        let section = genesis().to_bytes().len();
        for n in section + 1..bytes.len() {
            assert!(Genesis::from_bytes(&bytes[..n]).is_err(), "prefix {n}");
        }
        let mut empty = genesis().to_bytes();
        empty.extend_from_slice(&0u32.to_le_bytes());
        assert!(matches!(
            Genesis::from_bytes(&empty),
            Err(BlockchainError::GenesisValidatorCount(0))
        ));
        let mut zero = bytes.clone();
        let power_at = section + 4 + 32;
        zero[power_at..power_at + 8].copy_from_slice(&0u64.to_le_bytes());
        assert!(matches!(
            Genesis::from_bytes(&zero),
            Err(BlockchainError::ZeroValidatorPower)
        ));
        let mut bad_key = bytes;
        bad_key[section + 4..section + 36].copy_from_slice(&[0xff; 32]);
        assert!(matches!(
            Genesis::from_bytes(&bad_key),
            Err(BlockchainError::InvalidValidatorKey)
        ));
    }

    #[test]
    fn the_asset_section_round_trips_and_the_chain_id_commits_to_it() {
        let plain = genesis();
        let g = with_assets();
        let bytes = g.to_bytes();
        // The old bytes, an empty validator section, the asset section.
        let mut expected = plain.to_bytes();
        expected.extend_from_slice(&0u32.to_le_bytes());
        expected.extend_from_slice(&g.assets_bytes());
        assert_eq!(bytes, expected);
        let back = Genesis::from_bytes(&bytes).unwrap();
        assert_eq!(back.to_bytes(), bytes);
        assert_eq!(back.assets, g.assets);
        assert!(back.validators.is_empty());
        // The chain ID commits to the section, and the chain stays a
        // block-key chain.
        let state = back.state().unwrap();
        assert!(!state.certified());
        assert_eq!(state.initial.ext.len(), 64);
        assert_eq!(state.initial.ext[..32], [0; 32]);
        assert_eq!(state.initial.ext[32..], g.assets_hash().unwrap());
        assert_ne!(state.initial.id(), plain.state().unwrap().initial.id());
        let mut other = g.clone();
        other.assets.pop();
        assert_ne!(other.state().unwrap().initial.id(), state.initial.id());
        // Both sections: a validators chain, committing to both.
        let mut both = with_validators();
        both.assets = g.assets.clone();
        let back = Genesis::from_bytes(&both.to_bytes()).unwrap();
        assert_eq!(back.to_bytes(), both.to_bytes());
        assert_eq!(back.validators, both.validators);
        assert_eq!(back.assets, both.assets);
        let state = back.state().unwrap();
        assert!(state.certified());
        assert_eq!(state.initial.ext[..32], both.validators_hash().unwrap());
        assert_eq!(state.initial.ext[32..], both.assets_hash().unwrap());
        assert_ne!(
            state.initial.id(),
            with_validators().state().unwrap().initial.id()
        );
    }

    #[test]
    fn a_validators_genesis_keeps_its_bytes_and_chain_id() {
        let g = with_validators();
        // The encoding before the asset section existed.
        let mut old = genesis().to_bytes();
        old.extend_from_slice(&g.validators_bytes());
        assert_eq!(g.to_bytes(), old);
        assert_eq!(g.ext(), g.validators_hash().unwrap().to_vec());
    }

    #[test]
    fn the_asset_section_is_strict() {
        let g = with_assets();
        let bytes = g.to_bytes();
        let section = genesis().to_bytes().len() + 4;
        for n in section..bytes.len() {
            assert!(Genesis::from_bytes(&bytes[..n]).is_err(), "prefix {n}");
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(Genesis::from_bytes(&long).is_err());
        // An empty asset section is a second encoding of none.
        let mut empty = genesis().to_bytes();
        empty.extend_from_slice(&0u32.to_le_bytes());
        empty.extend_from_slice(&0u32.to_le_bytes());
        assert!(matches!(
            Genesis::from_bytes(&empty),
            Err(BlockchainError::GenesisAssetCount(0))
        ));
        let mut huge = bytes.clone();
        huge[section..section + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Genesis::from_bytes(&huge).is_err());
        // A flavor that is not the issuer's for the metadata: the second
        // entry claims the first's flavor.
        let first = section + 4;
        let second = first + 32 + 32 + 4 + 3;
        let mut wrong = bytes.clone();
        let flavor: [u8; 32] = bytes[first..first + 32].try_into().unwrap();
        wrong[second..second + 32].copy_from_slice(&flavor);
        assert!(matches!(
            Genesis::from_bytes(&wrong),
            Err(BlockchainError::GenesisAssetFlavor { index: 1 })
        ));
        // Another issuer than the one whose flavor it states.
        let mut issuer = bytes.clone();
        let key = SecretKey::from_scalar(Scalar::from(12u64)).verification_key();
        issuer[first + 32..first + 64].copy_from_slice(key.as_compressed().as_bytes());
        assert!(matches!(
            Genesis::from_bytes(&issuer),
            Err(BlockchainError::GenesisAssetFlavor { index: 0 })
        ));
        let mut not_a_point = bytes.clone();
        not_a_point[first + 32..first + 64].copy_from_slice(&[0xff; 32]);
        assert!(matches!(
            Genesis::from_bytes(&not_a_point),
            Err(BlockchainError::GenesisAssetIssuer { index: 0 })
        ));
        // Metadata that is not a name, or not in its one encoding.
        let mut bad_name = bytes.clone();
        bad_name[first + 68..first + 71].copy_from_slice(b"D V");
        assert!(matches!(
            Genesis::from_bytes(&bad_name),
            Err(BlockchainError::GenesisAssetMetadata { index: 0, .. })
        ));
        let mut g2 = genesis();
        g2.assets = vec![dev_asset("DEV", 0)];
        let mut padded = g2.to_bytes();
        let at = padded.len() - 3 - 4;
        padded[at..at + 4].copy_from_slice(&5u32.to_le_bytes());
        padded.extend_from_slice(&[0, 0]);
        assert!(matches!(
            Genesis::from_bytes(&padded),
            Err(BlockchainError::GenesisAssetMetadata { index: 0, .. })
        ));
        let mut twice = genesis();
        twice.assets = vec![dev_asset("DEV", 0), dev_asset("DEV", 0)];
        assert!(matches!(
            Genesis::from_bytes(&twice.to_bytes()),
            Err(BlockchainError::GenesisAssetDuplicate { index: 1 })
        ));
    }

    #[test]
    fn round_trip_and_state() {
        let g = genesis();
        let bytes = g.to_bytes();
        let back = Genesis::from_bytes(&bytes).unwrap();
        assert_eq!(back.to_bytes(), bytes);
        let state = back.state().unwrap();
        assert_eq!(state.utxos.num_leaves(), 1);
        assert_eq!(state.tip.timestamp_ms, g.timestamp_ms);
    }

    #[test]
    fn strict() {
        let bytes = genesis().to_bytes();
        let mut long = bytes.clone();
        long.push(0);
        assert!(Genesis::from_bytes(&long).is_err());
        for n in 0..bytes.len() {
            assert!(Genesis::from_bytes(&bytes[..n]).is_err(), "prefix {n}");
        }
        let mut huge_count = bytes.clone();
        huge_count[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Genesis::from_bytes(&huge_count).is_err());
    }
}
