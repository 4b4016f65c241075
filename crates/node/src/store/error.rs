//! The storage's error type: what the database refused, what it holds
//! that this node cannot have written, and a layout of another version.

use blockchain::BlockchainError;
use encoding::DecodeError;
use thiserror::Error;
use zkvm::VMError;

/// Why the database could not be used.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database (redb) failed: opening, a transaction, a table, a
    /// read, a write or a commit.
    #[error("database: {0}")]
    Database(#[source] Box<redb::Error>),
    /// A record does not decode, or the records disagree: the file is
    /// damaged or was not written by this node.
    #[error("corrupt storage: {0}")]
    Corrupt(String),
    /// A record's bytes do not decode (they end early, a count runs past
    /// the end, bytes trail, a tag is unknown): the file is damaged or was
    /// not written by this node.
    #[error("bad {record} record: {source}")]
    Decode {
        /// Which record.
        record: &'static str,
        /// What is wrong with it.
        #[source]
        source: DecodeError,
    },
    /// The output kept in a contract record does not decode.
    #[error("bad contract record: {0}")]
    Contract(#[source] VMError),
    /// A stored block or genesis does not decode.
    #[error("bad {record} record: {source}")]
    Chain {
        /// Which record.
        record: &'static str,
        /// What is wrong with it.
        #[source]
        source: BlockchainError,
    },
    /// The database's layout version is not this node's
    /// ([`super::FORMAT_VERSION`]): it is refused rather than misread.
    #[error(
        "the database has format version {found}, this node reads version {expected}: {advice}"
    )]
    Format {
        /// The version stored.
        found: u32,
        /// The version this node reads and writes.
        expected: u32,
        /// What to do about it.
        advice: &'static str,
    },
}

impl StoreError {
    /// Maps a decode error of a `record` record.
    pub(crate) fn decode(record: &'static str) -> impl FnOnce(DecodeError) -> StoreError {
        move |source| StoreError::Decode { record, source }
    }

    /// Maps a chain error decoding a stored block or genesis.
    pub(crate) fn chain(record: &'static str) -> impl FnOnce(BlockchainError) -> StoreError {
        move |source| StoreError::Chain { record, source }
    }

    /// Wraps any of redb's error types.
    pub(crate) fn db(e: impl Into<redb::Error>) -> StoreError {
        StoreError::Database(Box::new(e.into()))
    }
}
