//! Values: a secret quantity and a secret flavor (docs/spec/cloak.md
//! §Values; spacesuit spec "Value").

use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use r1cs::{ConstraintSystem, Prover, Variable, Verifier};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{CloakError, SignedInteger};

/// A quantity of an asset and the asset's flavor, both secret.
#[derive(Clone, PartialEq, Eq, Default, Zeroize, ZeroizeOnDrop)]
pub struct Value {
    /// Quantity: non-negative for outputs, possibly negative for inputs.
    pub q: SignedInteger,
    /// Flavor: the asset type.
    pub f: Scalar,
}

impl Value {
    /// A value of quantity `q` and flavor `f`.
    pub fn new(q: impl Into<SignedInteger>, f: Scalar) -> Self {
        Value { q: q.into(), f }
    }

    /// The all-zero value `(0, 0)` that pads the middle shuffle.
    pub fn zero() -> Self {
        Value::default()
    }

    /// Allocates one multiplier whose left and right wires carry `q` and `f`
    /// (the reference's layout: the output wire is unused).
    pub fn allocate<CS: ConstraintSystem>(
        &self,
        cs: &mut CS,
    ) -> Result<AllocatedValue, CloakError> {
        let (q, f, _) = cs.allocate_multiplier(Some((self.q.to_scalar(), self.f)))?;
        Ok(AllocatedValue {
            q,
            f,
            assignment: Some(self.clone()),
        })
    }

    /// Commits to the value with the given blinding factors (quantity, then
    /// flavor) and returns the commitments and the committed variables.
    pub fn commit(
        &self,
        prover: &mut Prover<'_, '_>,
        q_blinding: Scalar,
        f_blinding: Scalar,
    ) -> (CommittedValue, AllocatedValue) {
        let (q_point, q) = prover.commit(self.q.to_scalar(), q_blinding);
        let (f_point, f) = prover.commit(self.f, f_blinding);
        (
            CommittedValue {
                q: q_point,
                f: f_point,
            },
            AllocatedValue {
                q,
                f,
                assignment: Some(self.clone()),
            },
        )
    }
}

/// Values are secret: `Debug` shows only that one is present.
impl core::fmt::Debug for Value {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Value(<secret>)")
    }
}

/// A value as two variables of a constraint system, with the prover's
/// witness (`None` on the verifier).
#[derive(Clone, Debug)]
pub struct AllocatedValue {
    /// Variable holding the quantity.
    pub q: Variable,
    /// Variable holding the flavor.
    pub f: Variable,
    /// The value, known only to the prover.
    pub assignment: Option<Value>,
}

impl AllocatedValue {
    /// Allocates a value's multiplier without a witness (verifier side).
    pub fn unassigned<CS: ConstraintSystem>(cs: &mut CS) -> Result<AllocatedValue, CloakError> {
        let (q, f, _) = cs.allocate_multiplier(None)?;
        Ok(AllocatedValue {
            q,
            f,
            assignment: None,
        })
    }
}

/// Pedersen commitments to a value's quantity and flavor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommittedValue {
    /// Commitment to the quantity.
    pub q: CompressedRistretto,
    /// Commitment to the flavor.
    pub f: CompressedRistretto,
}

impl CommittedValue {
    /// Adds the two commitments to the verifier's constraint system.
    pub fn commit(&self, verifier: &mut Verifier<'_>) -> AllocatedValue {
        AllocatedValue {
            q: verifier.commit(self.q),
            f: verifier.commit(self.f),
            assignment: None,
        }
    }
}
