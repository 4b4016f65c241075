//! The crate's error type.

use encoding::DecodeError;
use thiserror::Error;

use crate::ZkvmHash;

/// Everything that can go wrong decoding a proof or a snapshot, verifying a
/// proof or changing an accumulator (docs/spec/utreexo.md §Proofs,
/// Verification and Encoding; §Snapshot of roots; §Forest and roots,
/// Modification). An operation that fails leaves the accumulator it was
/// called on unchanged.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccumulatorError {
    /// The proof does not lead from the leaves to the accumulator's roots
    /// (docs/spec/utreexo.md §Proofs, Verification, step 5): a leaf is not
    /// in the set (never added, or deleted), or a hash of the proof is wrong.
    #[error("the proof does not match the accumulator's roots")]
    InvalidProof,
    /// A proof names a different number of positions than leaves were
    /// given to check against it (docs/spec/utreexo.md §Proofs,
    /// Verification, step 1).
    #[error("the proof has {targets} positions for {leaves} leaves")]
    TargetCountMismatch {
        /// Number of positions in the proof.
        targets: usize,
        /// Number of leaves given.
        leaves: usize,
    },
    /// A position of the proof is no node of the forest
    /// (docs/spec/utreexo.md §Proofs, Verification, step 2).
    #[error("position {0} is not a node of the forest")]
    TargetOutOfRange(u64),
    /// The proof names a position twice (docs/spec/utreexo.md §Proofs,
    /// Encoding and Verification, step 2).
    #[error("position {0} appears twice in the proof")]
    DuplicateTarget(u64),
    /// The proof carries another number of hashes than its positions need
    /// (docs/spec/utreexo.md §Proofs, Verification, step 3).
    #[error("the proof needs {expected} hashes, it has {got}")]
    ProofHashCount {
        /// Hashes the positions need.
        expected: usize,
        /// Hashes in the proof.
        got: usize,
    },
    /// A leaf is one of the two reserved hash values, which never stand for
    /// a leaf (docs/spec/utreexo.md §Leaves and nodes, Reserved values).
    #[error("{0} is a reserved hash value and cannot be a leaf")]
    ReservedLeaf(ZkvmHash),
    /// A leaf to prove, delete or forget is not in the forest, or (for a
    /// wallet's [`Pollard`](crate::Pollard)) is not one it tracks
    /// (docs/spec/utreexo.md §Forest and roots, Modification and Wallets).
    #[error("leaf {0} is not in the forest")]
    UnknownLeaf(ZkvmHash),
    /// A leaf appears twice in one list, or is added while it is already in
    /// the forest (docs/spec/utreexo.md §Forest and roots, Modification).
    #[error("leaf {0} is given twice or is already in the forest")]
    DuplicateLeaf(ZkvmHash),
    /// The number of leaves ever added would exceed
    /// [`MAX_LEAVES`](crate::MAX_LEAVES) = 2^62
    /// (docs/spec/utreexo.md §Forest and roots).
    #[error("the forest cannot hold more than 2^62 leaves")]
    TooManyLeaves,
    /// A proof for more than [`MAX_PROOF_TARGETS`](crate::MAX_PROOF_TARGETS)
    /// leaves was asked for or decoded (docs/spec/utreexo.md §Proofs,
    /// Encoding).
    #[error("a proof covers at most {max} leaves, got {got}")]
    TooManyTargets {
        /// The limit.
        max: usize,
        /// The number asked for or decoded.
        got: u64,
    },
    /// The encoding of `field` is malformed: it ends early, a count asks
    /// for more bytes than are left (checked before anything is
    /// allocated), or bytes follow the last field (docs/spec/utreexo.md
    /// §Proofs, Encoding; §Snapshot of roots).
    #[error("malformed {field}: {source}")]
    Decode {
        /// The field being read, or the whole encoding for trailing bytes.
        field: &'static str,
        /// What is wrong with it.
        #[source]
        source: DecodeError,
    },
    /// An encoded hash is a reserved value where a real hash is required:
    /// any reserved value in a proof, the unknown-node value in a snapshot
    /// (docs/spec/utreexo.md §Leaves and nodes, Reserved values).
    #[error("hash #{index} of the {field} is a reserved value")]
    ReservedHashInEncoding {
        /// `"proof"` or `"snapshot"`.
        field: &'static str,
        /// Position of the hash in its list.
        index: usize,
    },
    /// A snapshot's leaf count exceeds [`MAX_LEAVES`](crate::MAX_LEAVES)
    /// = 2^62 (docs/spec/utreexo.md §Snapshot of roots).
    #[error("a snapshot of {0} leaves exceeds 2^62")]
    LeafCountTooLarge(u64),
    /// A snapshot's root count is not the number of one bits of its leaf
    /// count (docs/spec/utreexo.md §Snapshot of roots).
    #[error("{leaves} leaves need {expected} roots, the snapshot has {got}")]
    RootCountMismatch {
        /// The snapshot's leaf count.
        leaves: u64,
        /// One bits of the leaf count.
        expected: u32,
        /// Roots in the snapshot.
        got: u32,
    },
    /// rustreexo reported an inconsistency that our checks should have made
    /// impossible, or produced a proof that does not verify
    /// (docs/spec/utreexo.md §Notes on rustreexo 0.7.0). This is a bug; the
    /// accumulator was left unchanged.
    #[error("accumulator library inconsistency: {0}")]
    Library(String),
}

/// Maps a decode error to [`AccumulatorError::Decode`] for `field`.
pub(crate) fn decoding(field: &'static str) -> impl FnOnce(DecodeError) -> AccumulatorError {
    move |source| AccumulatorError::Decode { field, source }
}
