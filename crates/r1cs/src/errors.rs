//! The crate's error type.

use thiserror::Error;

/// Everything that can go wrong while building, encoding, proving or verifying
/// an R1CS proof.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum R1CSError {
    /// The proof bytes have a length no proof can have (see `R1CSProof` layout).
    #[error("proof encoding of {len} bytes has an impossible length")]
    InvalidProofLength {
        /// Length of the rejected encoding.
        len: usize,
    },
    /// The first byte of a proof is neither 0x00 (one phase) nor 0x01 (two phases).
    #[error("unknown proof phase flag {0:#04x}")]
    UnknownPhaseFlag(u8),
    /// A two-phase flag with all three second-phase commitments at identity:
    /// the canonical encoding of such a proof uses the one-phase flag.
    #[error("two-phase flag with identity second-phase commitments (non-canonical)")]
    NonCanonicalPhaseFlag,
    /// A scalar field of the proof is not reduced modulo the group order.
    #[error("scalar `{0}` is not canonical")]
    NonCanonicalScalar(&'static str),
    /// A point that the transcript requires to be non-identity is the identity.
    #[error("point `{0}` is the identity")]
    IdentityPoint(&'static str),
    /// A point does not decode as a Ristretto point.
    #[error("point `{0}` is not a valid Ristretto encoding")]
    InvalidPoint(&'static str),
    /// The constraint system needs more generators than the table holds.
    #[error("proof needs {needed} generators per vector, the table holds {capacity}")]
    GeneratorsCapacity {
        /// Padded number of multipliers of the constraint system.
        needed: usize,
        /// Capacity of the generators table.
        capacity: usize,
    },
    /// The inner-product proof has a number of rounds that does not match the
    /// constraint system's padded size.
    #[error("inner-product proof has {actual} rounds, the constraint system needs {expected}")]
    IppRoundsMismatch {
        /// Rounds implied by the constraint system.
        expected: usize,
        /// Rounds carried by the proof.
        actual: usize,
    },
    /// A linear combination refers to a variable that does not exist.
    #[error("linear combination refers to unknown variable {0}")]
    UnknownVariable(String),
    /// A variable was allocated without an assignment on the prover side.
    #[error("variable allocated without an assignment")]
    MissingAssignment,
    /// The prover's witness does not satisfy a constraint: no valid proof
    /// exists, so the prover refuses before doing any expensive work.
    #[error("witness does not satisfy constraint #{index}")]
    UnsatisfiedConstraint {
        /// Index of the first violated constraint, in the order constraints were added.
        index: usize,
    },
    /// A gadget reported an error of its own.
    #[error("gadget error: {0}")]
    Gadget(String),
    /// The proof (or the batch of equations) does not verify.
    #[error("verification failed")]
    VerificationFailed,
}
