//! Secret or cleartext scalars that remember whether they are integers
//! (docs/spec/zkvm.md §Scalar witness): quantities must stay integers so
//! range proofs and cloak can use them, other scalars need not.

use core::ops::{Add, Mul, Neg};

use cloak::SignedInteger;
use curve25519_dalek::scalar::Scalar;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// A scalar known to the prover: a signed integer while arithmetic on it
/// stays in range, a plain scalar otherwise.
#[derive(Clone, Copy, Zeroize)]
pub enum ScalarWitness {
    /// An integer in `[-(2^64-1), 2^64-1]`.
    Integer(SignedInteger),
    /// Any scalar.
    Scalar(Scalar),
}

impl ScalarWitness {
    /// The value modulo the group order.
    pub fn to_scalar(self) -> Scalar {
        match self {
            ScalarWitness::Integer(i) => i.to_scalar(),
            ScalarWitness::Scalar(s) => s,
        }
    }

    /// The integer, if this is one.
    pub fn to_integer(self) -> Option<SignedInteger> {
        match self {
            ScalarWitness::Integer(i) => Some(i),
            ScalarWitness::Scalar(_) => None,
        }
    }

    /// Whether the scalar is below `2^64` (its upper 24 bytes are zero).
    pub fn in_u64_range(self) -> bool {
        self.to_scalar().as_bytes()[8..].iter().all(|b| *b == 0)
    }
}

/// Equal as scalars, compared in constant time.
impl PartialEq for ScalarWitness {
    fn eq(&self, other: &Self) -> bool {
        self.to_scalar().ct_eq(&other.to_scalar()).into()
    }
}

impl Eq for ScalarWitness {}

impl Neg for ScalarWitness {
    type Output = ScalarWitness;
    fn neg(self) -> ScalarWitness {
        match self {
            ScalarWitness::Integer(i) => ScalarWitness::Integer(-i),
            ScalarWitness::Scalar(s) => ScalarWitness::Scalar(-s),
        }
    }
}

impl Add for ScalarWitness {
    type Output = ScalarWitness;
    fn add(self, rhs: ScalarWitness) -> ScalarWitness {
        match (self, rhs) {
            (ScalarWitness::Integer(a), ScalarWitness::Integer(b)) => match a.checked_add(b) {
                Some(sum) => ScalarWitness::Integer(sum),
                None => ScalarWitness::Scalar(a.to_scalar() + b.to_scalar()),
            },
            (a, b) => ScalarWitness::Scalar(a.to_scalar() + b.to_scalar()),
        }
    }
}

impl Mul for ScalarWitness {
    type Output = ScalarWitness;
    fn mul(self, rhs: ScalarWitness) -> ScalarWitness {
        match (self, rhs) {
            (ScalarWitness::Integer(a), ScalarWitness::Integer(b)) => match a.checked_mul(b) {
                Some(p) => ScalarWitness::Integer(p),
                None => ScalarWitness::Scalar(a.to_scalar() * b.to_scalar()),
            },
            (a, b) => ScalarWitness::Scalar(a.to_scalar() * b.to_scalar()),
        }
    }
}

impl From<u64> for ScalarWitness {
    fn from(x: u64) -> Self {
        ScalarWitness::Integer(x.into())
    }
}

impl From<Scalar> for ScalarWitness {
    fn from(x: Scalar) -> Self {
        ScalarWitness::Scalar(x)
    }
}

impl From<SignedInteger> for ScalarWitness {
    fn from(x: SignedInteger) -> Self {
        ScalarWitness::Integer(x)
    }
}

/// Witnesses are secret: `Debug` shows only their kind.
impl core::fmt::Debug for ScalarWitness {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ScalarWitness::Integer(_) => f.write_str("Integer(<secret>)"),
            ScalarWitness::Scalar(_) => f.write_str("Scalar(<secret>)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_fall_back_to_scalars_on_overflow() {
        let max = ScalarWitness::from(u64::MAX);
        assert!(matches!(
            max + ScalarWitness::from(0u64),
            ScalarWitness::Integer(_)
        ));
        assert!(matches!(max + max, ScalarWitness::Scalar(_)));
        assert_eq!(
            (max * max).to_scalar(),
            Scalar::from(u64::MAX) * Scalar::from(u64::MAX)
        );
        assert_eq!(
            (-ScalarWitness::from(10u64) + ScalarWitness::from(4u64)).to_scalar(),
            -Scalar::from(6u64)
        );
        assert!(ScalarWitness::from(u64::MAX).in_u64_range());
        assert!(!(-ScalarWitness::from(1u64)).in_u64_range());
    }
}
