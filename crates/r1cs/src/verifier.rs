//! The verifier (docs/spec/r1cs.md §Verifier).

use core::mem;

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use merlin::Transcript;
use rand_core::OsRng;

use crate::constraint_system::{
    ConstraintSystem, RandomizableConstraintSystem, RandomizedConstraintSystem,
};
use crate::linear_combination::{add_weighted_term, sub_weighted_term};
use crate::parallel;
use crate::transcript::TranscriptProtocol;
use crate::{
    BulletproofGens, LinearCombination, R1CSError, R1CSProof, Variable, VerificationEquation,
};

type Deferred<'t> = Box<dyn FnOnce(&mut RandomizingVerifier<'t>) -> Result<(), R1CSError>>;

/// Rebuilds a constraint system from public data and checks a proof of it.
///
/// Commit the high-level values' commitments with [`Verifier::commit`] in
/// the prover's order, run the same gadgets, then call [`Verifier::verify`]
/// or, to batch, [`Verifier::verification_equation`].
pub struct Verifier<'t> {
    transcript: &'t mut Transcript,
    constraints: Vec<LinearCombination>,
    v: Vec<CompressedRistretto>,
    num_vars: usize,
    deferred: Vec<Deferred<'t>>,
    pending_multiplier: Option<usize>,
}

/// The verifier during the second phase, handed to randomized-constraint
/// callbacks.
pub struct RandomizingVerifier<'t> {
    verifier: Verifier<'t>,
}

impl core::fmt::Debug for Verifier<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Verifier")
            .field("commitments", &self.v.len())
            .field("multipliers", &self.num_vars)
            .field("constraints", &self.constraints.len())
            .finish_non_exhaustive()
    }
}

/// Constraint weights for challenge `z`, constraint `q` weighted by `z^(q+1)`.
struct Flattened {
    wl: Vec<Scalar>,
    wr: Vec<Scalar>,
    wo: Vec<Scalar>,
    wv: Vec<Scalar>,
    wc: Scalar,
}

fn decompress(p: &CompressedRistretto, label: &'static str) -> Result<RistrettoPoint, R1CSError> {
    p.decompress().ok_or(R1CSError::InvalidPoint(label))
}

impl<'t> Verifier<'t> {
    /// Starts verification against `transcript`, which must hold the same
    /// application data as the prover's (appends `dom-sep` = `r1cs v1`).
    pub fn new(transcript: &'t mut Transcript) -> Self {
        transcript.r1cs_domain_sep();
        Verifier {
            transcript,
            constraints: Vec::new(),
            v: Vec::new(),
            num_vars: 0,
            deferred: Vec::new(),
            pending_multiplier: None,
        }
    }

    /// Adds a commitment to a high-level value (appended under `"V"`) and
    /// returns its variable. The point is checked at verification.
    pub fn commit(&mut self, commitment: CompressedRistretto) -> Variable {
        let i = self.v.len();
        self.v.push(commitment);
        self.transcript.append_point(b"V", &commitment);
        Variable::Committed(i)
    }

    fn create_randomized_constraints(mut self) -> Result<Self, R1CSError> {
        self.pending_multiplier = None;
        if self.deferred.is_empty() {
            self.transcript.r1cs_1phase_domain_sep();
            return Ok(self);
        }
        self.transcript.r1cs_2phase_domain_sep();
        let callbacks = mem::take(&mut self.deferred);
        let mut randomizing = RandomizingVerifier { verifier: self };
        for callback in callbacks {
            callback(&mut randomizing)?;
        }
        Ok(randomizing.verifier)
    }

    /// Checks `proof` on its own.
    pub fn verify(self, proof: &R1CSProof, gens: &BulletproofGens) -> Result<(), R1CSError> {
        self.verification_equation(proof, gens)?.verify(gens)
    }

    /// Replays the proof's transcript and returns the equation that holds
    /// if and only if the proof is valid (up to negligible probability),
    /// for the caller to check alone or in a batch. Fails early on identity
    /// points, constraints naming unknown variables and a size mismatch;
    /// undecodable points are reported as [`R1CSError::InvalidPoint`].
    pub fn verification_equation(
        self,
        proof: &R1CSProof,
        gens: &BulletproofGens,
    ) -> Result<VerificationEquation, R1CSError> {
        self.transcript.append_u64(b"m", self.v.len() as u64);
        let n1 = self.num_vars;
        // First-phase constraints may name only first-phase wires: the prover
        // checks them before the second phase exists, and so do we.
        check_variables(&self.constraints, n1, self.v.len())?;

        self.transcript
            .validate_and_append_point(b"A_I1", &proof.a_i1)?;
        self.transcript
            .validate_and_append_point(b"A_O1", &proof.a_o1)?;
        self.transcript
            .validate_and_append_point(b"S1", &proof.s1)?;

        let this = self.create_randomized_constraints()?;
        let transcript = &mut *this.transcript;

        let n = this.num_vars;
        let padded_n = n.max(1).next_power_of_two();
        gens.ensure_capacity(padded_n)?;

        // Identity in the one-phase case, hence not validated.
        transcript.append_point(b"A_I2", &proof.a_i2);
        transcript.append_point(b"A_O2", &proof.a_o2);
        transcript.append_point(b"S2", &proof.s2);

        let y = transcript.challenge_scalar(b"y");
        let z = transcript.challenge_scalar(b"z");

        transcript.validate_and_append_point(b"T_1", &proof.t_1)?;
        transcript.validate_and_append_point(b"T_3", &proof.t_3)?;
        transcript.validate_and_append_point(b"T_4", &proof.t_4)?;
        transcript.validate_and_append_point(b"T_5", &proof.t_5)?;
        transcript.validate_and_append_point(b"T_6", &proof.t_6)?;

        let u = transcript.challenge_scalar(b"u");
        let x = transcript.challenge_scalar(b"x");

        transcript.append_scalar(b"t_x", &proof.t_x);
        transcript.append_scalar(b"t_x_blinding", &proof.t_x_blinding);
        transcript.append_scalar(b"e_blinding", &proof.e_blinding);

        let w = transcript.challenge_scalar(b"w");

        let Flattened { wl, wr, wo, wv, wc } = flatten(&this.constraints, n, this.v.len(), &z)?;

        let (ipp, y_inv) = proof.ipp.verification_scalars(padded_n, transcript, y)?;

        // Verifier-chosen randomness, drawn from the transcript and the
        // operating system so the prover cannot predict it: `r` weighs the
        // t(x) check against the inner-product check, and `c` scales the
        // whole equation, so equations of different proofs can be summed
        // without weighting them again (§Verification equation and batching).
        let (r, c) = {
            let mut rng = transcript.build_rng().finalize(&mut OsRng);
            (Scalar::random(&mut rng), Scalar::random(&mut rng))
        };

        let (a, b) = (proof.ipp.a, proof.ipp.b);
        let s = &ipp.s;
        let mut eq = VerificationEquation::new();
        eq.g = Vec::with_capacity(padded_n);
        eq.h = Vec::with_capacity(padded_n);

        // Generator i carries the factor c·f_i, f_i = 1 in phase 1 and u
        // after it (padding included); folding it into per-phase constants
        // saves two multiplications per generator.
        let (c1, c2) = (c, c * u);
        let (cx1, cx2) = (c1 * x, c2 * x);
        let (ca1, ca2) = (c1 * a, c2 * a);
        let mut y_inv_i = Scalar::ONE;
        // δ = <y^-n ∘ w_R, w_L>
        let mut delta = Scalar::ZERO;
        for i in 0..n {
            let (ci, cxi, cai) = if i < n1 {
                (&c1, &cx1, &ca1)
            } else {
                (&c2, &cx2, &ca2)
            };
            let ywr = wr[i] * y_inv_i;
            delta += ywr * wl[i];
            eq.g.push(cxi * ywr - cai * s[i]);
            let inner = x * wl[i] + wo[i] - b * s[padded_n - 1 - i];
            eq.h.push(ci * y_inv_i * inner - ci);
            y_inv_i *= y_inv;
        }
        // Padding multipliers have no constraints: w_L = w_R = w_O = 0, so
        // g_i = -c·u·a·s_i and h_i = -c·u·b·y^-i·s_(N-1-i) - c·u.
        let minus_ca2 = -ca2;
        let mut minus_cby = -(c2 * b * y_inv_i);
        for i in n..padded_n {
            eq.g.push(minus_ca2 * s[i]);
            eq.h.push(minus_cby * s[padded_n - 1 - i] - c2);
            minus_cby *= y_inv;
        }

        let xx = x * x;
        let rxx = r * xx;
        let xxx = x * xx;

        eq.b = c * (w * (proof.t_x - a * b) + r * (xx * (wc + delta) - proof.t_x));
        eq.b_blinding = c * (-proof.e_blinding - r * proof.t_x_blinding);

        let (cx, cxx, cxxx) = (c * x, c * xx, c * xxx);
        let (crx, crxx) = (c * r * x, c * rxx);
        eq.add_term(cx, decompress(&proof.a_i1, "A_I1")?);
        eq.add_term(cxx, decompress(&proof.a_o1, "A_O1")?);
        eq.add_term(cxxx, decompress(&proof.s1, "S1")?);
        for (p, k, label) in [
            (&proof.a_i2, u * cx, "A_I2"),
            (&proof.a_o2, u * cxx, "A_O2"),
            (&proof.s2, u * cxxx, "S2"),
        ] {
            // Identity terms contribute nothing; skip them.
            if !p.is_identity() {
                eq.add_term(k, decompress(p, label)?);
            }
        }
        for (vi, wvi) in parallel::decompress_all(&this.v, "V")?.into_iter().zip(&wv) {
            eq.add_term(wvi * crxx, vi);
        }
        eq.add_term(crx, decompress(&proof.t_1, "T_1")?);
        eq.add_term(crxx * x, decompress(&proof.t_3, "T_3")?);
        eq.add_term(crxx * xx, decompress(&proof.t_4, "T_4")?);
        eq.add_term(crxx * xxx, decompress(&proof.t_5, "T_5")?);
        eq.add_term(crxx * xx * xx, decompress(&proof.t_6, "T_6")?);
        for (l, k) in proof.ipp.l_vec.iter().zip(&ipp.u_sq) {
            eq.add_term(c * k, decompress(l, "L")?);
        }
        for (rr, k) in proof.ipp.r_vec.iter().zip(&ipp.u_inv_sq) {
            eq.add_term(c * k, decompress(rr, "R")?);
        }
        Ok(eq)
    }
}

/// Fails if a constraint names a multiplier at or beyond `num_vars` or a
/// commitment at or beyond `num_commitments`.
fn check_variables(
    constraints: &[LinearCombination],
    num_vars: usize,
    num_commitments: usize,
) -> Result<(), R1CSError> {
    for (var, _) in constraints.iter().flat_map(|lc| &lc.terms) {
        let known = match *var {
            Variable::MultiplierLeft(i)
            | Variable::MultiplierRight(i)
            | Variable::MultiplierOutput(i) => i < num_vars,
            Variable::Committed(i) => i < num_commitments,
            Variable::One => true,
        };
        if !known {
            return Err(R1CSError::UnknownVariable(format!("{var:?}")));
        }
    }
    Ok(())
}

fn flatten(
    constraints: &[LinearCombination],
    num_vars: usize,
    num_commitments: usize,
    z: &Scalar,
) -> Result<Flattened, R1CSError> {
    let n = num_vars;
    let mut f = Flattened {
        wl: vec![Scalar::ZERO; n],
        wr: vec![Scalar::ZERO; n],
        wo: vec![Scalar::ZERO; n],
        wv: vec![Scalar::ZERO; num_commitments],
        wc: Scalar::ZERO,
    };
    let mut exp_z = *z;
    for lc in constraints {
        for (var, coeff) in &lc.terms {
            let slot = match *var {
                Variable::MultiplierLeft(i) => f.wl.get_mut(i),
                Variable::MultiplierRight(i) => f.wr.get_mut(i),
                Variable::MultiplierOutput(i) => f.wo.get_mut(i),
                Variable::Committed(i) => {
                    if let Some(s) = f.wv.get_mut(i) {
                        sub_weighted_term(s, &exp_z, coeff);
                        continue;
                    }
                    None
                }
                Variable::One => {
                    sub_weighted_term(&mut f.wc, &exp_z, coeff);
                    continue;
                }
            };
            let slot = slot.ok_or_else(|| R1CSError::UnknownVariable(format!("{var:?}")))?;
            add_weighted_term(slot, &exp_z, coeff);
        }
        exp_z *= z;
    }
    Ok(f)
}

impl ConstraintSystem for Verifier<'_> {
    fn transcript(&mut self) -> &mut Transcript {
        self.transcript
    }

    fn multiply(
        &mut self,
        mut left: LinearCombination,
        mut right: LinearCombination,
    ) -> (Variable, Variable, Variable) {
        let i = self.num_vars;
        self.num_vars += 1;
        let (l_var, r_var, o_var) = (
            Variable::MultiplierLeft(i),
            Variable::MultiplierRight(i),
            Variable::MultiplierOutput(i),
        );
        left.terms.push((l_var, -Scalar::ONE));
        right.terms.push((r_var, -Scalar::ONE));
        self.constrain(left);
        self.constrain(right);
        (l_var, r_var, o_var)
    }

    fn allocate(&mut self, _: Option<Scalar>) -> Result<Variable, R1CSError> {
        match self.pending_multiplier.take() {
            None => {
                let i = self.num_vars;
                self.num_vars += 1;
                self.pending_multiplier = Some(i);
                Ok(Variable::MultiplierLeft(i))
            }
            Some(i) => Ok(Variable::MultiplierRight(i)),
        }
    }

    fn allocate_multiplier(
        &mut self,
        _: Option<(Scalar, Scalar)>,
    ) -> Result<(Variable, Variable, Variable), R1CSError> {
        let i = self.num_vars;
        self.num_vars += 1;
        Ok((
            Variable::MultiplierLeft(i),
            Variable::MultiplierRight(i),
            Variable::MultiplierOutput(i),
        ))
    }

    fn multipliers_len(&self) -> usize {
        self.num_vars
    }

    fn constrain(&mut self, lc: LinearCombination) {
        self.constraints.push(lc);
    }
}

impl<'t> RandomizableConstraintSystem for Verifier<'t> {
    type RandomizedCS = RandomizingVerifier<'t>;

    fn specify_randomized_constraints<F>(&mut self, callback: F) -> Result<(), R1CSError>
    where
        F: 'static + FnOnce(&mut Self::RandomizedCS) -> Result<(), R1CSError>,
    {
        self.deferred.push(Box::new(callback));
        Ok(())
    }
}

impl ConstraintSystem for RandomizingVerifier<'_> {
    fn transcript(&mut self) -> &mut Transcript {
        self.verifier.transcript
    }

    fn multiply(
        &mut self,
        left: LinearCombination,
        right: LinearCombination,
    ) -> (Variable, Variable, Variable) {
        self.verifier.multiply(left, right)
    }

    fn allocate(&mut self, assignment: Option<Scalar>) -> Result<Variable, R1CSError> {
        self.verifier.allocate(assignment)
    }

    fn allocate_multiplier(
        &mut self,
        input_assignments: Option<(Scalar, Scalar)>,
    ) -> Result<(Variable, Variable, Variable), R1CSError> {
        self.verifier.allocate_multiplier(input_assignments)
    }

    fn multipliers_len(&self) -> usize {
        self.verifier.multipliers_len()
    }

    fn constrain(&mut self, lc: LinearCombination) {
        self.verifier.constrain(lc)
    }
}

impl RandomizedConstraintSystem for RandomizingVerifier<'_> {
    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar {
        self.verifier.transcript.challenge_scalar(label)
    }
}
