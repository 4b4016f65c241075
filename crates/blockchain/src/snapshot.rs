//! Snapshots of the chain state (docs/spec/blockchain.md §Snapshot): a
//! node bootstraps from one and then validates new blocks.

use accumulator::Accumulator;
use encoding::{DecodeError, Reader};
use musig::VerificationKey;
use zkvm::Encodable;

use crate::block::utxoroot;
use crate::{BlockHeader, BlockID, BlockchainError, ChainState};

/// Largest snapshot accepted: two headers with their `ext`, a key and the
/// accumulator's at most 1,996 bytes fit well within it.
pub const MAX_SNAPSHOT_SIZE: usize = 64 << 10;

impl ChainState {
    /// `initial header || tip header || signers key (32) || LE32 n || n
    /// bytes of accumulator snapshot`.
    pub fn to_snapshot(&self) -> Vec<u8> {
        let mut v = self.initial.encode_to_vec();
        self.tip.encode(&mut v);
        v.extend_from_slice(&self.signers.to_bytes());
        let utxos = self.utxos.to_bytes();
        zkvm::Writer::write_size(&mut v, b"n", utxos.len());
        v.extend_from_slice(&utxos);
        v
    }

    /// Decodes a snapshot and checks it: the tip's `utxoroot` must commit to
    /// the accumulator, and the tip must be `trusted` (the ID of a header
    /// the caller trusts, e.g. from its configuration or peers), if given.
    pub fn from_snapshot(
        bytes: &[u8],
        trusted: Option<BlockID>,
    ) -> Result<ChainState, BlockchainError> {
        if bytes.len() > MAX_SNAPSHOT_SIZE {
            return Err(BlockchainError::TooLarge {
                size: bytes.len(),
                limit: MAX_SNAPSHOT_SIZE,
            });
        }
        let decoded = Reader::read_all(bytes, |r| {
            let initial = BlockHeader::decode(r)?;
            let tip = BlockHeader::decode(r)?;
            let key = r.read_array::<32>()?;
            let utxos = r.read_sized_bytes()?;
            Ok::<_, DecodeError>((initial, tip, key, utxos.to_vec()))
        })?;
        let (initial, tip, key, utxos) = decoded;
        let signers =
            VerificationKey::from_bytes(&key).map_err(|_| BlockchainError::InvalidBlockKey)?;
        let utxos = Accumulator::from_bytes(&utxos).map_err(BlockchainError::Utxo)?;
        if utxoroot(&utxos) != tip.utxoroot {
            return Err(BlockchainError::UtxoRootMismatch);
        }
        if initial.height != 1 || tip.height < 1 {
            return Err(BlockchainError::BadHeight {
                expected: 1,
                got: initial.height,
            });
        }
        if let Some(id) = trusted {
            if tip.id() != id {
                return Err(BlockchainError::UntrustedSnapshot);
            }
        }
        Ok(ChainState {
            initial,
            tip,
            utxos,
            signers,
        })
    }
}
