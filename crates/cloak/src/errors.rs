//! The crate's error type.

use r1cs::R1CSError;
use thiserror::Error;

/// Everything that can go wrong building a Cloak or range-proof gadget.
///
/// Errors other than [`CloakError::R1CS`] are raised by the prover while it
/// computes its witness: the statement it was asked to prove is false, so it
/// stops before any proving work. The verifier only sees shape errors.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloakError {
    /// A cloak needs at least one input and one output.
    #[error("cloak needs at least one input and one output, got {inputs} -> {outputs}")]
    EmptySide {
        /// Number of inputs given.
        inputs: usize,
        /// Number of outputs given.
        outputs: usize,
    },
    /// Some values carry a witness and others do not: a prover must know
    /// every value, a verifier none.
    #[error("either every value or no value must carry an assignment")]
    MixedAssignments,
    /// Never returned since the prover computes merged totals modulo the
    /// group order, as the circuit does: a flavor's inputs may add up beyond
    /// `2^64 - 1` when its outputs are each in range (docs/spec/cloak.md
    /// §The prover's witness). Kept so that code naming it still compiles.
    #[error("quantities of one flavor add up beyond the 64-bit range")]
    QuantityOverflow,
    /// The outputs are not the inputs merged and split per flavor.
    #[error("outputs do not redistribute the inputs: per flavor, totals differ")]
    Unbalanced,
    /// A range proof was asked for a value outside `[0, 2^bits)`.
    #[error("value is outside the range [0, 2^{bits})")]
    OutOfRange {
        /// Width of the range proof.
        bits: usize,
    },
    /// Range proofs cover 1 to 64 bits.
    #[error("range proofs cover 1 to 64 bits, asked for {0}")]
    InvalidBitWidth(usize),
    /// The constraint system refused an operation.
    #[error(transparent)]
    R1CS(#[from] R1CSError),
}
