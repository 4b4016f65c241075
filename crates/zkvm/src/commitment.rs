//! Pedersen commitments with optional openings (docs/spec/zkvm.md
//! §Pedersen commitment): the verifier sees points, the prover also knows
//! what they commit to.

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use r1cs::PedersenGens;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::ScalarWitness;

/// A commitment `v·B + f·B2`, either only its point (closed) or with its
/// opening (open).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Commitment {
    /// The point alone.
    Closed(CompressedRistretto),
    /// The value and blinding factor; the point is computed from them.
    Open(Box<Opening>),
}

/// The secret opening of a commitment.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Opening {
    /// Committed value.
    pub value: ScalarWitness,
    /// Blinding factor on `B2`.
    pub blinding: Scalar,
}

/// Openings are secret: `Debug` hides them.
impl core::fmt::Debug for Opening {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Opening(<secret>)")
    }
}

impl Commitment {
    /// A commitment with blinding factor zero (as for issuance flavors).
    pub fn unblinded(value: impl Into<ScalarWitness>) -> Self {
        Commitment::blinded_with_factor(value, Scalar::ZERO)
    }

    /// A commitment with the given blinding factor.
    pub fn blinded_with_factor(value: impl Into<ScalarWitness>, blinding: Scalar) -> Self {
        Commitment::Open(Box::new(Opening {
            value: value.into(),
            blinding,
        }))
    }

    /// The compressed point.
    pub fn to_point(&self) -> CompressedRistretto {
        match self {
            Commitment::Closed(p) => *p,
            Commitment::Open(o) => o.point().compress(),
        }
    }

    /// The committed value, known only on the prover.
    pub fn assignment(&self) -> Option<ScalarWitness> {
        match self {
            Commitment::Closed(_) => None,
            Commitment::Open(o) => Some(o.value),
        }
    }

    /// The opening, known only on the prover.
    pub fn opening(&self) -> Option<&Opening> {
        match self {
            Commitment::Closed(_) => None,
            Commitment::Open(o) => Some(o),
        }
    }
}

impl Opening {
    /// `value·B + blinding·B2`.
    pub fn point(&self) -> RistrettoPoint {
        PedersenGens::default().commit(self.value.to_scalar(), self.blinding)
    }
}

impl From<CompressedRistretto> for Commitment {
    fn from(p: CompressedRistretto) -> Self {
        Commitment::Closed(p)
    }
}
