//! The storage's error type: what the database refused, what it holds
//! that this node cannot have written, and a layout of another version.

use thiserror::Error;

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
    /// Wraps any of redb's error types.
    pub(crate) fn db(e: impl Into<redb::Error>) -> StoreError {
        StoreError::Database(Box::new(e.into()))
    }
}
