//! The crate's error type.

use cloak::CloakError;
use encoding::DecodeError;
use musig::MusigError;
use r1cs::R1CSError;
use thiserror::Error;

/// Everything that can make decoding, running, proving or verifying a
/// transaction fail. Failures inside the VM are wrapped in
/// [`VMError::Instruction`], which names the instruction and its offset.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VMError {
    /// An instruction failed; `error` says why.
    #[error("`{instruction}` at offset {offset} (program depth {depth}): {error}")]
    Instruction {
        /// Mnemonic of the failing instruction.
        instruction: &'static str,
        /// Offset of its opcode in the program that was running.
        offset: usize,
        /// How many programs deep (0 = the transaction's program).
        depth: usize,
        /// The failure.
        error: Box<VMError>,
    },

    // Decoding.
    /// The bytes do not decode: the input ends early, a length runs past
    /// the end, bytes trail a complete encoding.
    #[error("decoding: {0}")]
    Decode(#[from] DecodeError),
    /// A structurally invalid encoding.
    #[error("invalid encoding: {0}")]
    InvalidFormat(&'static str),
    /// A scalar is not reduced modulo the group order.
    #[error("scalar is not canonical")]
    NonCanonicalScalar,
    /// A point is not a valid Ristretto encoding.
    #[error("`{0}` is not a valid Ristretto point")]
    InvalidPoint(&'static str),

    // Stack and types.
    /// An instruction needed more items than the stack holds.
    #[error("stack underflow")]
    StackUnderflow,
    /// An item has the wrong type.
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// What the instruction needs.
        expected: &'static str,
        /// What the stack held.
        found: &'static str,
    },
    /// The program finished with items left on the stack.
    #[error("program finished with {0} items on the stack")]
    StackNotClean(usize),
    /// No anchor was set when a contract was created, or none by the end.
    #[error("no anchor: an input or issuance must come first")]
    AnchorMissing,
    /// An opcode without meaning at this transaction version.
    #[error("unknown opcode {0:#04x} (extensions need a transaction version above 1)")]
    ExtensionsNotAllowed(u8),
    /// A `fee` would make the transaction's fees exceed `2^24`.
    #[error("total fee exceeds 2^24")]
    FeeTooHigh,
    /// `verify` of a cleartext constraint that is false.
    #[error("cleartext constraint is false")]
    CleartextConstraintFalse,
    /// `range` of a constant that is not in `[0, 2^64)`.
    #[error("constant is outside [0, 2^64)")]
    ConstantOutOfRange,
    /// A taproot call proof is malformed.
    #[error("invalid call proof: {0}")]
    InvalidCallProof(&'static str),
    /// A signature string is malformed.
    #[error("invalid signature: {0}")]
    InvalidSignature(MusigError),

    // Limits (docs/spec/zkvm.md §Limits).
    /// A limit against abuse was exceeded.
    #[error("limit exceeded: {what} {value} > {limit}")]
    LimitExceeded {
        /// Which limit.
        what: &'static str,
        /// The value reached.
        value: usize,
        /// The limit.
        limit: usize,
    },

    /// The run needed more work than the transaction's size pays for
    /// (docs/spec/zkvm.md §Execution budget).
    #[error(
        "execution budget exceeded: {needed} units needed, the transaction's size allows {budget}"
    )]
    ExecutionBudgetExceeded {
        /// Units the run would have spent with this instruction's work.
        needed: u64,
        /// Units its size allows.
        budget: u64,
    },

    // Proving.
    /// The prover lacks a secret it needs.
    #[error("prover is missing a witness: {0}")]
    MissingWitness(&'static str),
    /// The prover's witness has the wrong kind (e.g. a scalar where an
    /// integer quantity is needed).
    #[error("prover witness is invalid: {0}")]
    InvalidWitness(&'static str),
    /// The cloak gadget failed.
    #[error("cloak: {0}")]
    Cloak(CloakError),
    /// The constraint system failed.
    #[error("constraint system: {0}")]
    R1CS(R1CSError),

    // Verification.
    /// The R1CS proof does not verify.
    #[error("R1CS proof is invalid: {0}")]
    InvalidR1CSProof(R1CSError),
    /// The transaction signature, or a deferred point check (taproot call,
    /// issuance flavor, unblinding, signid/signtag), fails.
    #[error("signature or deferred point check failed")]
    PointChecksFailed,
}

impl From<R1CSError> for VMError {
    fn from(e: R1CSError) -> Self {
        VMError::R1CS(e)
    }
}

impl From<CloakError> for VMError {
    fn from(e: CloakError) -> Self {
        match e {
            CloakError::R1CS(e) => VMError::R1CS(e),
            e => VMError::Cloak(e),
        }
    }
}
