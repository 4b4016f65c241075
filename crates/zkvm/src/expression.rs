//! Variables and expressions (docs/spec/zkvm.md §Variable,
//! §Expression, §Constant expression).

use curve25519_dalek::scalar::Scalar;
use r1cs::{ConstraintSystem, LinearCombination};

use crate::{Commitment, ScalarWitness};

/// A secret scalar bound to a Pedersen commitment; it enters the
/// constraint system each time an instruction uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variable {
    /// The commitment.
    pub commitment: Commitment,
}

/// A linear combination of constraint-system variables, or a cleartext
/// constant (kept apart so `add`, `mul` and `eq` on constants allocate
/// nothing: a guaranteed optimization that proofs depend on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expression {
    /// A cleartext constant.
    Constant(ScalarWitness),
    /// Terms, with the prover's value of the whole.
    LinearCombination(Vec<(r1cs::Variable, Scalar)>, Option<ScalarWitness>),
}

impl Expression {
    /// The constant `x`.
    pub fn constant(x: impl Into<ScalarWitness>) -> Self {
        Expression::Constant(x.into())
    }

    /// Number of terms (a constant has one).
    pub fn len(&self) -> usize {
        match self {
            Expression::Constant(_) => 1,
            Expression::LinearCombination(t, _) => t.len(),
        }
    }

    /// Never empty: every expression has at least one term.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The prover's value.
    pub fn eval(&self) -> Option<ScalarWitness> {
        match self {
            Expression::Constant(x) => Some(*x),
            Expression::LinearCombination(_, a) => *a,
        }
    }

    /// As an R1CS linear combination.
    pub fn to_lc(&self) -> LinearCombination {
        match self {
            Expression::Constant(x) => x.to_scalar().into(),
            Expression::LinearCombination(terms, _) => terms.iter().collect(),
        }
    }
}

impl core::ops::Neg for Expression {
    type Output = Expression;

    /// `-self`.
    fn neg(self) -> Self {
        match self {
            Expression::Constant(x) => Expression::Constant(-x),
            Expression::LinearCombination(terms, a) => Expression::LinearCombination(
                terms.into_iter().map(|(v, w)| (v, -w)).collect(),
                a.map(|a| -a),
            ),
        }
    }
}

impl core::ops::Add for Expression {
    type Output = Expression;

    /// `self + rhs`: constants fold; a constant joins the other side's terms
    /// as a weight on `1` (first if it is on the left, as the reference).
    fn add(self, rhs: Expression) -> Self {
        use Expression::*;
        match (self, rhs) {
            (Constant(a), Constant(b)) => Constant(a + b),
            (Constant(a), LinearCombination(mut terms, b)) => {
                terms.insert(0, (r1cs::Variable::One, a.to_scalar()));
                LinearCombination(terms, b.map(|b| a + b))
            }
            (LinearCombination(mut terms, a), Constant(b)) => {
                terms.push((r1cs::Variable::One, b.to_scalar()));
                LinearCombination(terms, a.map(|a| a + b))
            }
            (LinearCombination(mut t1, a), LinearCombination(t2, b)) => {
                t1.extend(t2);
                LinearCombination(t1, a.zip(b).map(|(a, b)| a + b))
            }
        }
    }
}

impl Expression {
    /// `self · rhs`: by a constant, the weights are scaled in place;
    /// otherwise one multiplier is allocated with `self` and `rhs` on its
    /// inputs and its output becomes the result.
    pub fn mul<CS: ConstraintSystem>(self, rhs: Expression, cs: &mut CS) -> Self {
        use Expression::*;
        match (self, rhs) {
            (Constant(a), Constant(b)) => Constant(a * b),
            (Constant(c), LinearCombination(terms, a))
            | (LinearCombination(terms, a), Constant(c)) => {
                let s = c.to_scalar();
                LinearCombination(
                    terms.into_iter().map(|(v, w)| (v, w * s)).collect(),
                    a.map(|a| a * c),
                )
            }
            (l @ LinearCombination(..), r @ LinearCombination(..)) => {
                let (_, _, o) = cs.multiply(l.to_lc(), r.to_lc());
                let value = l.eval().zip(r.eval()).map(|(a, b)| a * b);
                LinearCombination(vec![(o, Scalar::ONE)], value)
            }
        }
    }
}
