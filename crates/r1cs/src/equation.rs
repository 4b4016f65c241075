//! Verification equations and batch verification
//! (docs/spec/r1cs.md §Verification equation and batching).
//!
//! A verifier that defers its final check returns a [`VerificationEquation`]:
//! a claim that a sum of scalar multiples of points is the identity. Terms on
//! the fixed generators (`B`, `B_blinding`, `G_i`, `H_i`) are kept as scalars
//! per generator so that many equations can be merged; all other points are
//! kept as `(scalar, point)` terms. Equations of different kinds — R1CS
//! proofs, Schnorr signatures, other deferred point checks — fold into one
//! [`BatchVerifier`], each weighted by a fresh random scalar, and are checked
//! with one multiscalar multiplication whose most used fixed generators go
//! through a precomputed table.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use rand_core::{CryptoRng, OsRng, RngCore};

use crate::{BulletproofGens, R1CSError};

/// `b·B + b_blinding·B_blinding + Σ g_i·G_i + Σ h_i·H_i + Σ s_j·P_j == 0`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerificationEquation {
    pub(crate) b: Scalar,
    pub(crate) b_blinding: Scalar,
    pub(crate) g: Vec<Scalar>,
    pub(crate) h: Vec<Scalar>,
    pub(crate) scalars: Vec<Scalar>,
    pub(crate) points: Vec<RistrettoPoint>,
}

impl VerificationEquation {
    /// The trivially true equation `0 == 0`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `s·B`, with `B` the Ristretto base point (the Pedersen value
    /// generator and the Schnorr signature base).
    pub fn add_basepoint_term(&mut self, s: Scalar) {
        self.b += s;
    }

    /// Adds `s·B_blinding`.
    pub fn add_blinding_term(&mut self, s: Scalar) {
        self.b_blinding += s;
    }

    /// Adds `s·P` for an arbitrary point `P`.
    pub fn add_term(&mut self, s: Scalar, p: RistrettoPoint) {
        // Terms are kept as two equal-length vectors.
        self.scalars.push(s);
        self.points.push(p);
    }

    /// Number of `(scalar, point)` terms besides the fixed generators.
    pub fn dynamic_terms(&self) -> usize {
        self.points.len()
    }

    /// Number of `G` (and `H`) generators the equation uses.
    pub fn generators_used(&self) -> usize {
        self.g.len().max(self.h.len())
    }

    /// Adds `other` to this equation (weight one: no multiplications, for
    /// merging equations that were weighted already).
    pub fn append(&mut self, other: &VerificationEquation) {
        self.b += other.b;
        self.b_blinding += other.b_blinding;
        add_unweighted(&mut self.g, &other.g);
        add_unweighted(&mut self.h, &other.h);
        self.scalars.extend_from_slice(&other.scalars);
        self.points.extend_from_slice(&other.points);
    }

    /// Moves the terms of `other` into this equation (weight one).
    pub fn absorb(&mut self, other: VerificationEquation) {
        if self.g.is_empty() && self.h.is_empty() && self.scalars.is_empty() {
            let (b, b_blinding) = (self.b, self.b_blinding);
            *self = other;
            self.b += b;
            self.b_blinding += b_blinding;
            return;
        }
        self.append(&other);
    }

    /// Adds `weight·other` to this equation.
    pub fn append_weighted(&mut self, other: &VerificationEquation, weight: &Scalar) {
        self.b += weight * other.b;
        self.b_blinding += weight * other.b_blinding;
        add_weighted(&mut self.g, &other.g, weight);
        add_weighted(&mut self.h, &other.h, weight);
        self.scalars
            .extend(other.scalars.iter().map(|s| weight * s));
        self.points.extend_from_slice(&other.points);
    }

    /// Checks the equation: one multiscalar multiplication, the most used
    /// fixed generators through `gens`' precomputed table.
    pub fn verify(&self, gens: &BulletproofGens) -> Result<(), R1CSError> {
        let sum = gens.vartime_mul(
            &self.b,
            &self.b_blinding,
            &self.g,
            &self.h,
            &self.scalars,
            &self.points,
        )?;
        if sum.is_identity() {
            Ok(())
        } else {
            Err(R1CSError::VerificationFailed)
        }
    }
}

fn add_unweighted(acc: &mut Vec<Scalar>, other: &[Scalar]) {
    if acc.len() < other.len() {
        acc.resize(other.len(), Scalar::ZERO);
    }
    for (a, o) in acc.iter_mut().zip(other) {
        *a += o;
    }
}

fn add_weighted(acc: &mut Vec<Scalar>, other: &[Scalar], weight: &Scalar) {
    if acc.len() < other.len() {
        acc.resize(other.len(), Scalar::ZERO);
    }
    for (a, o) in acc.iter_mut().zip(other) {
        *a += weight * o;
    }
}

/// Accumulates equations with independent random weights and checks them
/// all at once. If the batch fails, [`find_failures`] names the culprits.
#[derive(Debug)]
pub struct BatchVerifier<'g> {
    gens: &'g BulletproofGens,
    acc: VerificationEquation,
    count: usize,
}

impl<'g> BatchVerifier<'g> {
    /// An empty batch over `gens`.
    pub fn new(gens: &'g BulletproofGens) -> Self {
        BatchVerifier {
            gens,
            acc: VerificationEquation::new(),
            count: 0,
        }
    }

    /// Adds an equation with a fresh random weight: a scalar from `rng`
    /// plus one from the operating system, so a predictable `rng` cannot let
    /// false equations cancel. A false equation makes the batch fail except
    /// with probability about 2^-252.
    pub fn append<R: RngCore + CryptoRng>(&mut self, eq: &VerificationEquation, rng: &mut R) {
        let weight = Scalar::random(rng) + Scalar::random(&mut OsRng);
        self.acc.append_weighted(eq, &weight);
        self.count += 1;
    }

    /// Number of equations in the batch.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Checks every appended equation in one multiscalar multiplication.
    pub fn verify(self) -> Result<(), R1CSError> {
        self.acc.verify(self.gens)
    }
}

/// Checks `equations` as one batch.
pub fn verify_batch<R: RngCore + CryptoRng>(
    gens: &BulletproofGens,
    equations: &[VerificationEquation],
    rng: &mut R,
) -> Result<(), R1CSError> {
    let mut batch = BatchVerifier::new(gens);
    for eq in equations {
        batch.append(eq, rng);
    }
    batch.verify()
}

/// Checks each equation on its own and returns the indices of those that
/// fail (empty if all hold): the fallback after a failed batch.
pub fn find_failures(gens: &BulletproofGens, equations: &[VerificationEquation]) -> Vec<usize> {
    equations
        .iter()
        .enumerate()
        .filter(|(_, eq)| eq.verify(gens).is_err())
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;

    /// `x·B - P == 0` for `P = x·B`: a discrete-log statement.
    fn dlog_equation(x: Scalar, p: RistrettoPoint) -> VerificationEquation {
        let mut eq = VerificationEquation::new();
        eq.add_basepoint_term(x);
        eq.add_term(-Scalar::ONE, p);
        eq
    }

    #[test]
    fn batch_of_point_equations() {
        let gens = BulletproofGens::new(8);
        let mut rng = rand::thread_rng();
        let mut eqs: Vec<_> = (0..20u64)
            .map(|i| {
                let x = Scalar::from(i + 1);
                dlog_equation(x, x * RISTRETTO_BASEPOINT_POINT)
            })
            .collect();
        assert_eq!(verify_batch(&gens, &eqs, &mut rng), Ok(()));
        assert!(find_failures(&gens, &eqs).is_empty());
        eqs[7] = dlog_equation(Scalar::from(3u64), RISTRETTO_BASEPOINT_POINT);
        assert_eq!(
            verify_batch(&gens, &eqs, &mut rng),
            Err(R1CSError::VerificationFailed)
        );
        assert_eq!(find_failures(&gens, &eqs), vec![7]);
    }

    #[test]
    fn fixed_generator_terms() {
        let gens = BulletproofGens::new(8);
        let pc = gens.pedersen();
        let mut eq = VerificationEquation::new();
        eq.g = vec![Scalar::ZERO, Scalar::from(5u64)];
        eq.h = vec![Scalar::from(2u64)];
        eq.add_blinding_term(Scalar::from(9u64));
        eq.add_term(-Scalar::from(5u64), gens.g(2)[1]);
        eq.add_term(-Scalar::from(2u64), gens.h(1)[0]);
        eq.add_term(-Scalar::from(9u64), pc.B_blinding);
        assert_eq!(eq.verify(&gens), Ok(()));
        assert_eq!(eq.generators_used(), 2);
        assert_eq!(eq.dynamic_terms(), 3);
    }
}
