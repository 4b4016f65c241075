//! The crate's error type.

use accumulator::AccumulatorError;
use blockchain::BlockchainError;
use thiserror::Error;
use zkvm::{ContractID, TxID, VMError};

/// Everything the node, its storage, its API client and its configuration
/// can fail with.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NodeError {
    /// The database could not be opened, read or written, holds records
    /// this node cannot have written, or has another layout version.
    #[error("storage: {0}")]
    Store(#[from] crate::store::StoreError),
    /// The chain's storage refused to go on (a failed commit left it
    /// unhealthy).
    #[error("storage: {0}")]
    Storage(String),
    /// The database holds something this node cannot have written: it is
    /// damaged or belongs to another program.
    #[error("corrupt storage: {0}")]
    Corrupt(String),
    /// The data directory already holds a chain (on `init`), or holds none
    /// (on `open`).
    #[error("{0}")]
    DataDir(String),
    /// A transaction's bytes do not decode.
    #[error("malformed transaction: {0}")]
    Decode(VMError),
    /// A transaction fails the VM.
    #[error("invalid transaction: {0}")]
    InvalidTx(VMError),
    /// An input of a transaction is neither an unspent output nor an output
    /// of a mempool transaction. Shown in hex, as the API names IDs
    /// everywhere else (not as `ContractID(…)`).
    #[error("input {0} is not an unspent output")]
    UnknownInput(ContractID),
    /// The transaction is already in a block: resubmitting it is neither
    /// new nor a conflict, and its inputs are spent by itself, so without
    /// this check it would read as "input is not an unspent output".
    #[error("transaction {txid} is already confirmed, in block {height}")]
    AlreadyConfirmed {
        /// Its ID.
        txid: TxID,
        /// The height of the block holding it.
        height: u64,
    },
    /// Every verification core is taken and the queue for them is full, or
    /// a transaction waited too long for one (docs/spec/network.md
    /// §Admission): refused at once rather than queued without bound.
    #[error("busy: {0}")]
    Busy(String),
    /// The chain or the mempool refused a block or a transaction.
    #[error("{0}")]
    Chain(#[from] BlockchainError),
    /// The UTXO forest refused an operation.
    #[error("utxo set: {0}")]
    Utxo(#[from] AccumulatorError),
    /// This node does not hold the block-signing key.
    #[error("this node does not produce blocks")]
    NotProducer,
    /// The configuration file or flags are invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// Binding or serving the API failed.
    #[error("server: {0}")]
    Server(String),
    /// This node bootstrapped from a snapshot: it has no UTXO forest to
    /// prove inputs with, and no blocks below its snapshot.
    #[error("this node bootstrapped from a snapshot and keeps no UTXO set: {0}")]
    Pruned(&'static str),
    /// Consensus refused something (a certificate, a validator set), or
    /// its engine failed.
    #[error("consensus: {0}")]
    Consensus(#[from] consensus::ConsensusError),
    /// The validator-set changes a peer or node reported, beside a snapshot,
    /// do not replay from the genesis's set (docs/spec/consensus.md
    /// §Validator-set changes, Snapshots).
    #[error("the validator-set changes served with the snapshot do not verify from the genesis's set: {0}")]
    BadSetChanges(#[source] consensus::ConsensusError),
    /// The peer-to-peer network failed or a peer answered badly.
    #[error("network: {0}")]
    Network(String),
    /// The API answered with an error (status and reason), or could not be
    /// reached.
    #[error("{0}")]
    Api(String),
}

impl NodeError {
    /// Wraps any storage-layer error.
    pub(crate) fn storage(e: impl Into<redb::Error>) -> NodeError {
        NodeError::Store(crate::store::StoreError::db(e))
    }
}
