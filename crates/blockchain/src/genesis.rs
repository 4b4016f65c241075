//! The genesis of a network (docs/spec/blockchain.md §Genesis): the
//! initial time, the block signers' key, the initial UTXOs, in full so
//! that wallets can find theirs among them, and, on a chain whose blocks
//! are decided by validators, the validator set.

use encoding::{Reader, Writer};
use merlin::Transcript;
use musig::VerificationKey;
use zkvm::{Contract, ContractID, Encodable};

use crate::{BlockchainError, ChainState, MAX_BLOCK_SIZE};

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
    /// On a validators chain the initial header's `ext` is the hash of
    /// the validator section ([`Genesis::validators_hash`]), so the chain
    /// ID, its ID, commits to the set; without validators it is empty and
    /// the chain ID is what it always was.
    pub fn state(&self) -> Result<ChainState, BlockchainError> {
        let mut state = ChainState::start(self.timestamp_ms, self.signers, &self.utxo_ids())?;
        if let Some(hash) = self.validators_hash() {
            state.initial.ext = hash.to_vec();
            state.tip = state.initial.clone();
        }
        Ok(state)
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

    /// The IDs of the initial UTXOs, in order.
    pub fn utxo_ids(&self) -> Vec<ContractID> {
        self.utxos.iter().map(Contract::id).collect()
    }

    /// `LE64 timestamp_ms || signers (32) || LE32 n || n contracts` (each
    /// in the output encoding of zkvm-spec §Output structure), then, only
    /// if there are validators, the validator section
    /// ([`Genesis::validators_bytes`]): a genesis without validators has
    /// the bytes it always had.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.write_u64(b"timestamp_ms", self.timestamp_ms);
        v.extend_from_slice(&self.signers.to_bytes());
        v.write_size(b"n", self.utxos.len());
        for c in &self.utxos {
            c.encode(&mut v);
        }
        if self.has_validators() {
            v.extend_from_slice(&self.validators_bytes());
        }
        v
    }

    /// Strict decoding of [`Genesis::to_bytes`]: at most
    /// [`MAX_BLOCK_SIZE`] bytes, a valid key, no trailing bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Genesis, BlockchainError> {
        if bytes.len() > MAX_BLOCK_SIZE {
            return Err(BlockchainError::TooLarge {
                size: bytes.len(),
                limit: MAX_BLOCK_SIZE,
            });
        }
        let (timestamp_ms, key, utxos, validators) = Reader::read_all(bytes, |r| {
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
            // validator (an empty section would be a second encoding of
            // "none").
            let mut validators = Vec::new();
            if r.remaining() > 0 {
                let n = r.read_count()?;
                if n == 0 || n > MAX_GENESIS_VALIDATORS {
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
            Ok::<_, BlockchainError>((timestamp_ms, key, utxos, validators))
        })?;
        let signers =
            VerificationKey::from_bytes(&key).map_err(|_| BlockchainError::InvalidBlockKey)?;
        Ok(Genesis {
            timestamp_ms,
            signers,
            utxos,
            validators,
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
        }
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
