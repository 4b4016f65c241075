//! The crate's error type.

use accumulator::AccumulatorError;
use thiserror::Error;
use zkvm::{ContractID, VMError};

/// Why a block, or a transaction in it, is rejected.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlockchainError {
    /// The encoding of a header or block is malformed.
    #[error("invalid encoding: {0}")]
    Decode(VMError),
    /// The block's version is below its predecessor's.
    #[error("block version {got} is below the previous block's {previous}")]
    VersionDecreased {
        /// Previous block's version.
        previous: u64,
        /// This block's version.
        got: u64,
    },
    /// A version-1 block has a non-empty `ext`.
    #[error("version-1 block with a non-empty ext field")]
    ExtNotEmpty,
    /// The height is not the previous height plus one.
    #[error("block height {got}, expected {expected}")]
    BadHeight {
        /// Previous height plus one.
        expected: u64,
        /// The block's height.
        got: u64,
    },
    /// `previd` is not the ID of the tip.
    #[error("previous block ID does not match the tip")]
    BadPrevId,
    /// The timestamp is not after the previous block's.
    #[error("block time {got} ms is not after the previous block's {previous} ms")]
    TimeNotIncreasing {
        /// Previous block's timestamp.
        previous: u64,
        /// This block's timestamp.
        got: u64,
    },
    /// The block signature does not verify under the network's block key.
    #[error("block signature is invalid")]
    BadSignature,
    /// `txroot` does not commit to the block's transactions.
    #[error("txroot does not match the transactions")]
    TxRootMismatch,
    /// `utxoroot` does not commit to the UTXO set after the block.
    #[error("utxoroot does not match the UTXO set after the block")]
    UtxoRootMismatch,
    /// A transaction's time bounds exclude the block's timestamp.
    #[error("transaction #{index} is not valid at the block's time")]
    TxOutsideTimeBounds {
        /// Position in the block.
        index: usize,
    },
    /// A version-1 block holds a transaction of a later version.
    #[error("transaction #{index} has version {version}, not allowed in a version-1 block")]
    TxVersion {
        /// Position in the block.
        index: usize,
        /// Its version.
        version: u64,
    },
    /// A transaction is invalid.
    #[error("transaction #{index}: {error}")]
    InvalidTx {
        /// Position in the block.
        index: usize,
        /// Why.
        error: VMError,
    },
    /// A transaction spends an output already spent in this block.
    #[error("transaction #{index} spends {id:?} a second time")]
    DoubleSpend {
        /// Position in the block of the second spend.
        index: usize,
        /// The output spent twice.
        id: ContractID,
    },
    /// The inputs are not all unspent outputs: the block's Utreexo proof
    /// does not prove them against the UTXO set.
    #[error("inputs are not proven unspent: {0}")]
    Utxo(AccumulatorError),
    /// The block is larger than the limit.
    #[error("block of {size} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// Encoded size.
        size: usize,
        /// The limit.
        limit: usize,
    },
}
