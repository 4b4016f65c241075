//! Constraints (docs/spec/zkvm.md §Constraint, `eq`, `and`, `or`,
//! `not`, `verify`).

use curve25519_dalek::scalar::Scalar;
use r1cs::{LinearCombination, R1CSError, RandomizedConstraintSystem};
use subtle::{ConditionallySelectable, ConstantTimeEq};

use crate::Expression;

/// A statement over expressions; it constrains the proof only once
/// `verify` adds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Constraint {
    /// A statement about constants, already decided.
    Cleartext(bool),
    /// A statement over secret values.
    Secret(SecretConstraint),
}

/// A statement over secret values, as a tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretConstraint {
    /// `a = b`.
    Eq(Expression, Expression),
    /// Both hold.
    And(Box<SecretConstraint>, Box<SecretConstraint>),
    /// One holds.
    Or(Box<SecretConstraint>, Box<SecretConstraint>),
    /// The inner one does not hold.
    Not(Box<SecretConstraint>),
}

impl Constraint {
    /// `eq`: on two constants, decided at once.
    pub fn eq(a: Expression, b: Expression) -> Self {
        match (a, b) {
            (Expression::Constant(x), Expression::Constant(y)) => Constraint::Cleartext(x == y),
            (a, b) => Constraint::Secret(SecretConstraint::Eq(a, b)),
        }
    }

    /// `and`: a cleartext false wins, a cleartext true yields the other.
    pub fn and(a: Constraint, b: Constraint) -> Self {
        use Constraint::*;
        match (a, b) {
            (Cleartext(false), _) | (_, Cleartext(false)) => Cleartext(false),
            (Cleartext(true), c) | (c, Cleartext(true)) => c,
            (Secret(a), Secret(b)) => Secret(SecretConstraint::And(Box::new(a), Box::new(b))),
        }
    }

    /// `or`: a cleartext true wins, a cleartext false yields the other.
    pub fn or(a: Constraint, b: Constraint) -> Self {
        use Constraint::*;
        match (a, b) {
            (Cleartext(true), _) | (_, Cleartext(true)) => Cleartext(true),
            (Cleartext(false), c) | (c, Cleartext(false)) => c,
            (Secret(a), Secret(b)) => Secret(SecretConstraint::Or(Box::new(a), Box::new(b))),
        }
    }
}

impl core::ops::Not for Constraint {
    type Output = Constraint;

    /// `not`.
    fn not(self) -> Self {
        match self {
            Constraint::Cleartext(b) => Constraint::Cleartext(!b),
            Constraint::Secret(s) => Constraint::Secret(SecretConstraint::Not(Box::new(s))),
        }
    }
}

impl SecretConstraint {
    /// Number of nodes, for the expression-size limit.
    pub fn size(&self) -> usize {
        match self {
            SecretConstraint::Eq(a, b) => a.len() + b.len(),
            SecretConstraint::And(a, b) | SecretConstraint::Or(a, b) => 1 + a.size() + b.size(),
            SecretConstraint::Not(a) => 1 + a.size(),
        }
    }

    /// Reduces the tree to one linear combination that is zero exactly
    /// when the statement holds, in the second phase (depth first, left
    /// before right):
    /// - `Eq(a, b)` → `a - b`;
    /// - `And(a, b)` → `a + z·b`, `z` = challenge `"ZkVM.verify.and-challenge"`
    ///   drawn after both sides;
    /// - `Or(a, b)` → output of a multiplier with inputs `a`, `b`;
    /// - `Not(x)` → two multipliers `(x, y, 0)` and `(x, w, 1 - y)` with
    ///   `w = 1/x` (or 1 when `x = 0`); constraints `l1 - x`, `l1 - l2`,
    ///   `o1`, `o2 - 1 + y`; the result is `y` (1 iff `x = 0`).
    ///
    /// Returns the combination and the prover's value of it.
    pub fn flatten<CS: RandomizedConstraintSystem>(
        self,
        cs: &mut CS,
    ) -> Result<(LinearCombination, Option<Scalar>), R1CSError> {
        match self {
            SecretConstraint::Eq(a, b) => {
                let value = a
                    .eval()
                    .zip(b.eval())
                    .map(|(x, y)| x.to_scalar() - y.to_scalar());
                Ok((a.to_lc() - b.to_lc(), value))
            }
            SecretConstraint::And(a, b) => {
                let (a, va) = a.flatten(cs)?;
                let (b, vb) = b.flatten(cs)?;
                let z = cs.challenge_scalar(b"ZkVM.verify.and-challenge");
                Ok((a + b * z, va.zip(vb).map(|(x, y)| x + z * y)))
            }
            SecretConstraint::Or(a, b) => {
                let (a, va) = a.flatten(cs)?;
                let (b, vb) = b.flatten(cs)?;
                let (_, _, o) = cs.multiply(a, b);
                Ok((o.into(), va.zip(vb).map(|(x, y)| x * y)))
            }
            SecretConstraint::Not(inner) => {
                let (x, vx) = inner.flatten(cs)?;
                let wires = vx.map(|x| {
                    let is_zero = x.ct_eq(&Scalar::ZERO);
                    let y = Scalar::conditional_select(&Scalar::ZERO, &Scalar::ONE, is_zero);
                    let w = Scalar::conditional_select(&x, &Scalar::ONE, is_zero).invert();
                    ((x, y), (x, w), y)
                });
                let (l1, r1, o1) = cs.allocate_multiplier(wires.map(|w| w.0))?;
                let (l2, _, o2) = cs.allocate_multiplier(wires.map(|w| w.1))?;
                cs.constrain(l1 - x);
                cs.constrain(l1 - l2);
                cs.constrain(o1.into());
                cs.constrain(o2 - Scalar::ONE + r1);
                Ok((r1.into(), wires.map(|w| w.2)))
            }
        }
    }
}
