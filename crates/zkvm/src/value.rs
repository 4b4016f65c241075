//! Value types (docs/spec/zkvm.md §Value, §Wide value).

use cloak::AllocatedValue;
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use r1cs::TranscriptProtocol;

use crate::encoding::Encodable;
use crate::{Commitment, Data, Predicate};

/// A non-negative value: commitments to its quantity and flavor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    /// Commitment to the quantity.
    pub qty: Commitment,
    /// Commitment to the flavor.
    pub flv: Commitment,
}

/// A value whose quantity may be negative, already in the constraint
/// system (from `borrow` and `fee`); only `cloak` consumes it.
#[derive(Clone, Debug)]
pub struct WideValue(pub AllocatedValue);

impl Value {
    /// The flavor of assets issued under `predicate` with `metadata`:
    /// `Transcript("ZkVM.issue")`, messages `"predicate"`, `"metadata"`,
    /// challenge scalar `"flavor"`.
    pub fn issue_flavor(predicate: &Predicate, metadata: &Data) -> Scalar {
        let mut t = Transcript::new(b"ZkVM.issue");
        t.append_message(b"predicate", predicate.to_point().as_bytes());
        t.append_message(b"metadata", &metadata.encode_to_vec());
        t.challenge_scalar(b"flavor")
    }

    /// The prover's (quantity, flavor), if both commitments are open and the
    /// quantity is an integer.
    pub fn assignment(&self) -> Option<cloak::Value> {
        let q = self.qty.assignment()?.to_integer()?;
        let f = self.flv.assignment()?.to_scalar();
        Some(cloak::Value::new(q, f))
    }
}
