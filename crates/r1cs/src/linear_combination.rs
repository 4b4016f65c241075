//! Linear combinations of variables, with operator overloading so gadgets
//! read like the equations they encode.

use core::iter::FromIterator;
use core::ops::{Add, Mul, Neg, Sub};

use curve25519_dalek::scalar::Scalar;

use crate::Variable;

/// A linear combination `Σ c_i · v_i` of variables with scalar coefficients.
/// A constraint is a linear combination that must evaluate to zero.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LinearCombination {
    pub(crate) terms: Vec<(Variable, Scalar)>,
}

impl LinearCombination {
    /// The empty combination (zero).
    pub fn zero() -> Self {
        Self::default()
    }

    /// The terms `(variable, coefficient)` in insertion order.
    pub fn terms(&self) -> &[(Variable, Scalar)] {
        &self.terms
    }

    /// Number of terms (not merged: a variable may appear several times).
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Whether the combination has no terms.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// Canonical bytes of `-1 = l - 1`.
const MINUS_ONE: [u8; 32] = [
    0xec, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// Canonical bytes of `1`.
const ONE: [u8; 32] = [
    1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

/// Adds `exp_z · coeff` to `acc`, skipping the multiplication (and the
/// negation) for the ±1 coefficients that most constraint terms have
/// (`multiply` adds -1 terms, gadgets many +1). Coefficients are public
/// (they describe the circuit), so comparing their bytes in variable time
/// leaks nothing.
pub(crate) fn add_weighted_term(acc: &mut Scalar, exp_z: &Scalar, coeff: &Scalar) {
    match coeff.as_bytes() {
        b if *b == ONE => *acc += exp_z,
        b if *b == MINUS_ONE => *acc -= exp_z,
        _ => *acc += exp_z * coeff,
    }
}

/// Subtracts `exp_z · coeff` from `acc` (see [`add_weighted_term`]).
pub(crate) fn sub_weighted_term(acc: &mut Scalar, exp_z: &Scalar, coeff: &Scalar) {
    match coeff.as_bytes() {
        b if *b == ONE => *acc -= exp_z,
        b if *b == MINUS_ONE => *acc += exp_z,
        _ => *acc -= exp_z * coeff,
    }
}

impl From<Variable> for LinearCombination {
    fn from(v: Variable) -> Self {
        LinearCombination {
            terms: vec![(v, Scalar::ONE)],
        }
    }
}

impl From<Scalar> for LinearCombination {
    fn from(s: Scalar) -> Self {
        LinearCombination {
            terms: vec![(Variable::One, s)],
        }
    }
}

impl From<u64> for LinearCombination {
    fn from(x: u64) -> Self {
        Scalar::from(x).into()
    }
}

impl FromIterator<(Variable, Scalar)> for LinearCombination {
    fn from_iter<T: IntoIterator<Item = (Variable, Scalar)>>(iter: T) -> Self {
        LinearCombination {
            terms: iter.into_iter().collect(),
        }
    }
}

impl<'a> FromIterator<&'a (Variable, Scalar)> for LinearCombination {
    fn from_iter<T: IntoIterator<Item = &'a (Variable, Scalar)>>(iter: T) -> Self {
        iter.into_iter().copied().collect()
    }
}

impl<L: Into<LinearCombination>> core::iter::Sum<L> for LinearCombination {
    fn sum<I: Iterator<Item = L>>(iter: I) -> Self {
        iter.fold(LinearCombination::zero(), |acc, x| acc + x)
    }
}

impl<L: Into<LinearCombination>> Add<L> for LinearCombination {
    type Output = Self;
    fn add(mut self, rhs: L) -> Self {
        self.terms.extend(rhs.into().terms);
        self
    }
}

impl<L: Into<LinearCombination>> Sub<L> for LinearCombination {
    type Output = Self;
    fn sub(mut self, rhs: L) -> Self {
        self.terms
            .extend(rhs.into().terms.into_iter().map(|(v, c)| (v, -c)));
        self
    }
}

impl Neg for LinearCombination {
    type Output = Self;
    fn neg(mut self) -> Self {
        for (_, c) in self.terms.iter_mut() {
            *c = -*c;
        }
        self
    }
}

impl<S: Into<Scalar>> Mul<S> for LinearCombination {
    type Output = Self;
    fn mul(mut self, rhs: S) -> Self {
        let k = rhs.into();
        for (_, c) in self.terms.iter_mut() {
            *c *= k;
        }
        self
    }
}

impl Mul<LinearCombination> for Scalar {
    type Output = LinearCombination;
    fn mul(self, rhs: LinearCombination) -> LinearCombination {
        rhs * self
    }
}

impl<L: Into<LinearCombination>> Add<L> for Variable {
    type Output = LinearCombination;
    fn add(self, rhs: L) -> LinearCombination {
        LinearCombination::from(self) + rhs
    }
}

impl<L: Into<LinearCombination>> Sub<L> for Variable {
    type Output = LinearCombination;
    fn sub(self, rhs: L) -> LinearCombination {
        LinearCombination::from(self) - rhs
    }
}

impl Neg for Variable {
    type Output = LinearCombination;
    fn neg(self) -> LinearCombination {
        -LinearCombination::from(self)
    }
}

impl<S: Into<Scalar>> Mul<S> for Variable {
    type Output = LinearCombination;
    fn mul(self, rhs: S) -> LinearCombination {
        LinearCombination {
            terms: vec![(self, rhs.into())],
        }
    }
}

impl Mul<Variable> for Scalar {
    type Output = LinearCombination;
    fn mul(self, rhs: Variable) -> LinearCombination {
        rhs * self
    }
}

impl Add<Variable> for Scalar {
    type Output = LinearCombination;
    fn add(self, rhs: Variable) -> LinearCombination {
        LinearCombination::from(self) + rhs
    }
}

impl Sub<Variable> for Scalar {
    type Output = LinearCombination;
    fn sub(self, rhs: Variable) -> LinearCombination {
        LinearCombination::from(self) - rhs
    }
}

impl Add<LinearCombination> for Scalar {
    type Output = LinearCombination;
    fn add(self, rhs: LinearCombination) -> LinearCombination {
        LinearCombination::from(self) + rhs
    }
}

impl Sub<LinearCombination> for Scalar {
    type Output = LinearCombination;
    fn sub(self, rhs: LinearCombination) -> LinearCombination {
        LinearCombination::from(self) - rhs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_terms_match_plain_arithmetic() {
        assert_eq!(MINUS_ONE, (-Scalar::ONE).to_bytes());
        assert_eq!(ONE, Scalar::ONE.to_bytes());
        let z = Scalar::from(7u64);
        for coeff in [
            Scalar::ONE,
            -Scalar::ONE,
            Scalar::from(5u64),
            -Scalar::from(3u64),
        ] {
            let mut a = Scalar::from(11u64);
            add_weighted_term(&mut a, &z, &coeff);
            assert_eq!(a, Scalar::from(11u64) + z * coeff);
            let mut s = Scalar::from(11u64);
            sub_weighted_term(&mut s, &z, &coeff);
            assert_eq!(s, Scalar::from(11u64) - z * coeff);
        }
    }

    #[test]
    fn operators_build_expected_terms() {
        let a = Variable::Committed(0);
        let b = Variable::MultiplierLeft(1);
        let lc = (a + b) * Scalar::from(3u64) - Scalar::from(2u64) * b + 5u64;
        assert_eq!(
            lc.terms(),
            &[
                (a, Scalar::from(3u64)),
                (b, Scalar::from(3u64)),
                (b, -Scalar::from(2u64)),
                (Variable::One, Scalar::from(5u64)),
            ]
        );
        let neg = -lc.clone();
        assert!(neg
            .terms()
            .iter()
            .zip(lc.terms())
            .all(|(x, y)| x.0 == y.0 && x.1 == -y.1));
    }

    #[test]
    fn sum_of_variables() {
        let vars = [Variable::Committed(0), Variable::Committed(1)];
        let lc: LinearCombination = vars.iter().copied().sum();
        assert_eq!(lc.len(), 2);
        assert!(LinearCombination::zero().is_empty());
    }
}
