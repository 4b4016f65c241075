//! The genesis of a network (docs/spec/blockchain.md §Genesis): the
//! initial time, the block signers' key and the initial UTXOs, in full so
//! that wallets can find theirs among them.

use encoding::{Reader, Writer};
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
}

impl Genesis {
    /// The chain state at the initial header (docs/spec/blockchain.md
    /// §Start network).
    pub fn state(&self) -> Result<ChainState, BlockchainError> {
        ChainState::start(self.timestamp_ms, self.signers, &self.utxo_ids())
    }

    /// The IDs of the initial UTXOs, in order.
    pub fn utxo_ids(&self) -> Vec<ContractID> {
        self.utxos.iter().map(Contract::id).collect()
    }

    /// `LE64 timestamp_ms || signers (32) || LE32 n || n contracts` (each
    /// in the output encoding of zkvm-spec §Output structure).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.write_u64(b"timestamp_ms", self.timestamp_ms);
        v.extend_from_slice(&self.signers.to_bytes());
        v.write_size(b"n", self.utxos.len());
        for c in &self.utxos {
            c.encode(&mut v);
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
        let (timestamp_ms, key, utxos) = Reader::read_all(bytes, |r| {
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
            Ok::<_, BlockchainError>((timestamp_ms, key, utxos))
        })?;
        let signers =
            VerificationKey::from_bytes(&key).map_err(|_| BlockchainError::InvalidBlockKey)?;
        Ok(Genesis {
            timestamp_ms,
            signers,
            utxos,
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
        }
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
