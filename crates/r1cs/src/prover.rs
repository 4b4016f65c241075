//! The prover (docs/spec/r1cs.md §Prover).

use core::mem;

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::MultiscalarMul;
use merlin::Transcript;
use rand_core::{CryptoRng, OsRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::constraint_system::{
    ConstraintSystem, RandomizableConstraintSystem, RandomizedConstraintSystem,
};
use crate::inner_product::{InnerProductProof, IppWitness};
use crate::linear_combination::{add_weighted_term, sub_weighted_term};
use crate::poly::{eval_deg6_no_const, powers, VecPoly3};
use crate::transcript::TranscriptProtocol;
use crate::{BulletproofGens, LinearCombination, R1CSError, R1CSProof, Variable};

/// The witness: multiplier wires and committed values with their blinding
/// factors. Wiped when the prover is dropped.
#[derive(Default, Zeroize, ZeroizeOnDrop)]
struct Secrets {
    a_l: Vec<Scalar>,
    a_r: Vec<Scalar>,
    a_o: Vec<Scalar>,
    v: Vec<Scalar>,
    v_blinding: Vec<Scalar>,
}

type Deferred<'t, 'g> = Box<dyn FnOnce(&mut RandomizingProver<'t, 'g>) -> Result<(), R1CSError>>;

/// Builds a constraint system with its witness and proves it.
///
/// Commit the high-level values with [`Prover::commit`], run the gadgets
/// (written against [`ConstraintSystem`]) on the returned variables, then
/// call [`Prover::prove`].
pub struct Prover<'t, 'g> {
    transcript: &'t mut Transcript,
    gens: &'g BulletproofGens,
    constraints: Vec<LinearCombination>,
    secrets: Secrets,
    deferred: Vec<Deferred<'t, 'g>>,
    pending_multiplier: Option<usize>,
}

/// The prover during the second phase, handed to randomized-constraint
/// callbacks.
pub struct RandomizingProver<'t, 'g> {
    prover: Prover<'t, 'g>,
}

/// Appends to a secret vector; when it must grow, the old buffer is wiped
/// rather than freed with a copy of the secrets in it.
fn push_secret(v: &mut Vec<Scalar>, x: Scalar) {
    if v.len() == v.capacity() {
        let mut grown = Vec::with_capacity((2 * v.capacity()).max(16));
        grown.extend_from_slice(v);
        v.zeroize();
        *v = grown;
    }
    v.push(x);
}

impl core::fmt::Debug for Prover<'_, '_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Prover")
            .field("commitments", &self.secrets.v.len())
            .field("multipliers", &self.secrets.a_l.len())
            .field("constraints", &self.constraints.len())
            .finish_non_exhaustive()
    }
}

impl<'t, 'g> Prover<'t, 'g> {
    /// Starts a proof bound to `transcript`, which may already hold
    /// application data (appends `dom-sep` = `r1cs v1`).
    pub fn new(gens: &'g BulletproofGens, transcript: &'t mut Transcript) -> Self {
        transcript.r1cs_domain_sep();
        Prover {
            transcript,
            gens,
            constraints: Vec::new(),
            secrets: Secrets::default(),
            deferred: Vec::new(),
            pending_multiplier: None,
        }
    }

    /// Commits `v` with `v_blinding` as `V = v·B + v_blinding·B_blinding`,
    /// appends `V` to the transcript under `"V"` and returns it with its
    /// variable.
    pub fn commit(&mut self, v: Scalar, v_blinding: Scalar) -> (CompressedRistretto, Variable) {
        let i = self.secrets.v.len();
        let commitment = self.gens.pedersen().commit(v, v_blinding).compress();
        push_secret(&mut self.secrets.v, v);
        push_secret(&mut self.secrets.v_blinding, v_blinding);
        self.transcript.append_point(b"V", &commitment);
        (commitment, Variable::Committed(i))
    }

    /// Evaluates a linear combination on the witness.
    pub fn eval(&self, lc: &LinearCombination) -> Result<Scalar, R1CSError> {
        let s = &self.secrets;
        lc.terms.iter().try_fold(Scalar::ZERO, |acc, (var, coeff)| {
            let value = match *var {
                Variable::Committed(i) => s.v.get(i),
                Variable::MultiplierLeft(i) => s.a_l.get(i),
                Variable::MultiplierRight(i) => s.a_r.get(i),
                Variable::MultiplierOutput(i) => s.a_o.get(i),
                Variable::One => Some(&Scalar::ONE),
            }
            .ok_or_else(|| R1CSError::UnknownVariable(format!("{var:?}")))?;
            Ok(acc + coeff * value)
        })
    }

    fn check_constraints(&self, from: usize) -> Result<(), R1CSError> {
        for (index, lc) in self.constraints.iter().enumerate().skip(from) {
            if self.eval(lc)? != Scalar::ZERO {
                return Err(R1CSError::UnsatisfiedConstraint { index });
            }
        }
        Ok(())
    }

    /// The constraint weights `(w_L, w_R, w_O, w_V)` for challenge `z`:
    /// constraint `q` is weighted by `z^(q+1)`.
    fn flattened_constraints(
        &self,
        z: &Scalar,
    ) -> (Vec<Scalar>, Vec<Scalar>, Vec<Scalar>, Vec<Scalar>) {
        let n = self.secrets.a_l.len();
        let m = self.secrets.v.len();
        let (mut wl, mut wr, mut wo, mut wv) = (
            vec![Scalar::ZERO; n],
            vec![Scalar::ZERO; n],
            vec![Scalar::ZERO; n],
            vec![Scalar::ZERO; m],
        );
        let mut exp_z = *z;
        for lc in &self.constraints {
            for (var, coeff) in &lc.terms {
                // Indices were checked by `check_constraints`.
                match *var {
                    Variable::MultiplierLeft(i) => add_weighted_term(&mut wl[i], &exp_z, coeff),
                    Variable::MultiplierRight(i) => add_weighted_term(&mut wr[i], &exp_z, coeff),
                    Variable::MultiplierOutput(i) => add_weighted_term(&mut wo[i], &exp_z, coeff),
                    Variable::Committed(i) => sub_weighted_term(&mut wv[i], &exp_z, coeff),
                    Variable::One => {}
                }
            }
            exp_z *= z;
        }
        (wl, wr, wo, wv)
    }

    fn create_randomized_constraints(mut self) -> Result<Self, R1CSError> {
        // The pending half-multiplier is committed in phase 1 as it is.
        self.pending_multiplier = None;
        if self.deferred.is_empty() {
            self.transcript.r1cs_1phase_domain_sep();
            return Ok(self);
        }
        self.transcript.r1cs_2phase_domain_sep();
        let callbacks = mem::take(&mut self.deferred);
        let mut randomizing = RandomizingProver { prover: self };
        for callback in callbacks {
            callback(&mut randomizing)?;
        }
        Ok(randomizing.prover)
    }

    /// Proves the constraint system with randomness from the operating
    /// system, mixed with the transcript and the blinding factors.
    pub fn prove(self) -> Result<R1CSProof, R1CSError> {
        self.prove_with_rng(&mut OsRng)
    }

    /// Proves the constraint system; `rng` is mixed with the transcript, the
    /// blinding factors and the first-phase wires (a weak `rng` alone does not
    /// leak the witness).
    ///
    /// Fails with [`R1CSError::UnsatisfiedConstraint`] if the witness does not
    /// satisfy the constraints: first-phase constraints before any expensive
    /// work, second-phase ones as soon as their callbacks have run.
    pub fn prove_with_rng<R: RngCore + CryptoRng>(
        self,
        rng: &mut R,
    ) -> Result<R1CSProof, R1CSError> {
        let gens = self.gens;
        let pc = gens.pedersen();
        self.check_constraints(0)?;
        let phase1_constraints = self.constraints.len();

        // Suffix with the number of commitments: they were appended one by
        // one, each under its own label.
        self.transcript
            .append_u64(b"m", self.secrets.v.len() as u64);

        // Every secret of phase 1 keys the RNG, so a weak `rng` alone does
        // not make the blinding predictable (the RNG's output is not part of
        // the protocol).
        let mut rng = {
            let mut builder = self.transcript.build_rng();
            for vb in &self.secrets.v_blinding {
                builder = builder.rekey_with_witness_bytes(b"v_blinding", vb.as_bytes());
            }
            for (l, r) in self.secrets.a_l.iter().zip(&self.secrets.a_r) {
                builder = builder.rekey_with_witness_bytes(b"a_L", l.as_bytes());
                builder = builder.rekey_with_witness_bytes(b"a_R", r.as_bytes());
            }
            builder.finalize(rng)
        };

        let n1 = self.secrets.a_l.len();
        gens.ensure_capacity(n1.max(1).next_power_of_two())?;
        let g = gens.g(gens.capacity());
        let h = gens.h(gens.capacity());

        let i_blinding1 = Zeroizing::new(Scalar::random(&mut rng));
        let o_blinding1 = Zeroizing::new(Scalar::random(&mut rng));
        let s_blinding1 = Zeroizing::new(Scalar::random(&mut rng));
        let mut s_l = Zeroizing::new(
            (0..n1)
                .map(|_| Scalar::random(&mut rng))
                .collect::<Vec<_>>(),
        );
        let mut s_r = Zeroizing::new(
            (0..n1)
                .map(|_| Scalar::random(&mut rng))
                .collect::<Vec<_>>(),
        );

        // Constant-time: these scalars are the witness.
        let sec = &self.secrets;
        let (a_i1, (a_o1, s1)) = rayon::join(
            || commit_vectors(pc.B_blinding, &i_blinding1, &sec.a_l, &sec.a_r, g, h),
            || {
                rayon::join(
                    || commit_vectors(pc.B_blinding, &o_blinding1, &sec.a_o, &[], g, h),
                    || commit_vectors(pc.B_blinding, &s_blinding1, &s_l, &s_r, g, h),
                )
            },
        );

        self.transcript.append_point(b"A_I1", &a_i1);
        self.transcript.append_point(b"A_O1", &a_o1);
        self.transcript.append_point(b"S1", &s1);

        let this = self.create_randomized_constraints()?;
        this.check_constraints(phase1_constraints)?;

        let n = this.secrets.a_l.len();
        let n2 = n - n1;
        let padded_n = n.max(1).next_power_of_two();
        gens.ensure_capacity(padded_n)?;

        let (i_blinding2, o_blinding2, s_blinding2, a_i2, a_o2, s2) = if n2 > 0 {
            let i_b = Zeroizing::new(Scalar::random(&mut rng));
            let o_b = Zeroizing::new(Scalar::random(&mut rng));
            let s_b = Zeroizing::new(Scalar::random(&mut rng));
            for _ in 0..n2 {
                push_secret(&mut s_l, Scalar::random(&mut rng));
                push_secret(&mut s_r, Scalar::random(&mut rng));
            }
            let sec = &this.secrets;
            let (g2, h2) = (&g[n1..], &h[n1..]);
            let (a_i2, (a_o2, s2)) = rayon::join(
                || commit_vectors(pc.B_blinding, &i_b, &sec.a_l[n1..], &sec.a_r[n1..], g2, h2),
                || {
                    rayon::join(
                        || commit_vectors(pc.B_blinding, &o_b, &sec.a_o[n1..], &[], g2, h2),
                        || commit_vectors(pc.B_blinding, &s_b, &s_l[n1..], &s_r[n1..], g2, h2),
                    )
                },
            );
            (i_b, o_b, s_b, a_i2, a_o2, s2)
        } else {
            let zero = || Zeroizing::new(Scalar::ZERO);
            let id = CompressedRistretto::default();
            (zero(), zero(), zero(), id, id, id)
        };

        this.transcript.append_point(b"A_I2", &a_i2);
        this.transcript.append_point(b"A_O2", &a_o2);
        this.transcript.append_point(b"S2", &s2);

        let y = this.transcript.challenge_scalar(b"y");
        let z = this.transcript.challenge_scalar(b"z");

        let (wl, wr, wo, wv) = this.flattened_constraints(&z);

        let y_inv = y.invert();
        let exp_y_inv = powers(y_inv, padded_n);
        let exp_y = powers(y, padded_n);

        // l(X) = (a_L + y^-n∘w_R)·X + a_O·X^2 + s_L·X^3
        // r(X) = (w_O - y^n) + (y^n∘a_R + w_L)·X + y^n∘s_R·X^3
        let mut l_poly = VecPoly3::zero(n);
        let mut r_poly = VecPoly3::zero(n);
        let sec = &this.secrets;
        for i in 0..n {
            l_poly.0[1][i] = sec.a_l[i] + exp_y_inv[i] * wr[i];
            l_poly.0[2][i] = sec.a_o[i];
            l_poly.0[3][i] = s_l[i];
            r_poly.0[0][i] = wo[i] - exp_y[i];
            r_poly.0[1][i] = exp_y[i] * sec.a_r[i] + wl[i];
            r_poly.0[3][i] = exp_y[i] * s_r[i];
        }

        let mut t_poly = VecPoly3::special_inner_product(&l_poly, &r_poly);
        let t_blinding: Zeroizing<[Scalar; 6]> = Zeroizing::new([
            Scalar::random(&mut rng),
            // t_2's blinding is fixed by the commitments' blinding factors.
            wv.iter().zip(&sec.v_blinding).map(|(c, vb)| c * vb).sum(),
            Scalar::random(&mut rng),
            Scalar::random(&mut rng),
            Scalar::random(&mut rng),
            Scalar::random(&mut rng),
        ]);

        let t_commit = |k: usize| {
            RistrettoPoint::multiscalar_mul([t_poly[k], t_blinding[k]], [pc.B, pc.B_blinding])
                .compress()
        };
        let t_1 = t_commit(0);
        let t_3 = t_commit(2);
        let t_4 = t_commit(3);
        let t_5 = t_commit(4);
        let t_6 = t_commit(5);

        this.transcript.append_point(b"T_1", &t_1);
        this.transcript.append_point(b"T_3", &t_3);
        this.transcript.append_point(b"T_4", &t_4);
        this.transcript.append_point(b"T_5", &t_5);
        this.transcript.append_point(b"T_6", &t_6);

        let u = this.transcript.challenge_scalar(b"u");
        let x = this.transcript.challenge_scalar(b"x");

        let t_x = eval_deg6_no_const(&t_poly, x);
        let t_x_blinding = eval_deg6_no_const(&t_blinding, x);
        t_poly.zeroize();

        let mut l_vec = l_poly.eval(x, padded_n);
        l_vec.resize(padded_n, Scalar::ZERO);
        let mut r_vec = r_poly.eval(x, padded_n);
        // Padding wires are zero: only r's constant term -y^i remains.
        r_vec.extend(exp_y[n..].iter().map(|yi| -yi));

        let i_blinding = Zeroizing::new(*i_blinding1 + u * *i_blinding2);
        let o_blinding = Zeroizing::new(*o_blinding1 + u * *o_blinding2);
        let s_blinding = Zeroizing::new(*s_blinding1 + u * *s_blinding2);
        let e_blinding = x * (*i_blinding + x * (*o_blinding + x * *s_blinding));

        this.transcript.append_scalar(b"t_x", &t_x);
        this.transcript
            .append_scalar(b"t_x_blinding", &t_x_blinding);
        this.transcript.append_scalar(b"e_blinding", &e_blinding);

        let w = this.transcript.challenge_scalar(b"w");
        let q = w * pc.B;

        // Second-phase (and padding) generators are scaled by u.
        let g_factors: Vec<Scalar> = (0..padded_n)
            .map(|i| if i < n1 { Scalar::ONE } else { u })
            .collect();
        let h_factors: Vec<Scalar> = exp_y_inv
            .iter()
            .zip(&g_factors)
            .map(|(yi, f)| yi * f)
            .collect();

        let ipp = InnerProductProof::create(
            this.transcript,
            IppWitness {
                q: &q,
                g_factors: &g_factors,
                h_factors: &h_factors,
                g: g[..padded_n].to_vec(),
                h: h[..padded_n].to_vec(),
                a: l_vec,
                b: r_vec,
            },
        );

        Ok(R1CSProof {
            a_i1,
            a_o1,
            s1,
            a_i2,
            a_o2,
            s2,
            t_1,
            t_3,
            t_4,
            t_5,
            t_6,
            t_x,
            t_x_blinding,
            e_blinding,
            ipp,
        })
    }
}

/// `blinding·B_blinding + <a, G> + <b, H>` in constant time (the vectors are
/// secret).
fn commit_vectors(
    b_blinding: RistrettoPoint,
    blinding: &Scalar,
    a: &[Scalar],
    b: &[Scalar],
    g: &[RistrettoPoint],
    h: &[RistrettoPoint],
) -> CompressedRistretto {
    RistrettoPoint::multiscalar_mul(
        core::iter::once(blinding).chain(a).chain(b),
        core::iter::once(&b_blinding)
            .chain(&g[..a.len()])
            .chain(&h[..b.len()]),
    )
    .compress()
}

impl ConstraintSystem for Prover<'_, '_> {
    fn transcript(&mut self) -> &mut Transcript {
        self.transcript
    }

    fn multiply(
        &mut self,
        mut left: LinearCombination,
        mut right: LinearCombination,
    ) -> (Variable, Variable, Variable) {
        // An undefined variable evaluates to zero here; `prove` reports it.
        let l = self.eval(&left).unwrap_or(Scalar::ZERO);
        let r = self.eval(&right).unwrap_or(Scalar::ZERO);
        let i = self.secrets.a_l.len();
        push_secret(&mut self.secrets.a_l, l);
        push_secret(&mut self.secrets.a_r, r);
        push_secret(&mut self.secrets.a_o, l * r);
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

    fn allocate(&mut self, assignment: Option<Scalar>) -> Result<Variable, R1CSError> {
        let value = assignment.ok_or(R1CSError::MissingAssignment)?;
        match self.pending_multiplier.take() {
            None => {
                let i = self.secrets.a_l.len();
                self.pending_multiplier = Some(i);
                push_secret(&mut self.secrets.a_l, value);
                push_secret(&mut self.secrets.a_r, Scalar::ZERO);
                push_secret(&mut self.secrets.a_o, Scalar::ZERO);
                Ok(Variable::MultiplierLeft(i))
            }
            Some(i) => {
                self.secrets.a_r[i] = value;
                self.secrets.a_o[i] = self.secrets.a_l[i] * value;
                Ok(Variable::MultiplierRight(i))
            }
        }
    }

    fn allocate_multiplier(
        &mut self,
        input_assignments: Option<(Scalar, Scalar)>,
    ) -> Result<(Variable, Variable, Variable), R1CSError> {
        let (l, r) = input_assignments.ok_or(R1CSError::MissingAssignment)?;
        let i = self.secrets.a_l.len();
        push_secret(&mut self.secrets.a_l, l);
        push_secret(&mut self.secrets.a_r, r);
        push_secret(&mut self.secrets.a_o, l * r);
        Ok((
            Variable::MultiplierLeft(i),
            Variable::MultiplierRight(i),
            Variable::MultiplierOutput(i),
        ))
    }

    fn multipliers_len(&self) -> usize {
        self.secrets.a_l.len()
    }

    fn constrain(&mut self, lc: LinearCombination) {
        self.constraints.push(lc);
    }
}

impl<'t, 'g> RandomizableConstraintSystem for Prover<'t, 'g> {
    type RandomizedCS = RandomizingProver<'t, 'g>;

    fn specify_randomized_constraints<F>(&mut self, callback: F) -> Result<(), R1CSError>
    where
        F: 'static + FnOnce(&mut Self::RandomizedCS) -> Result<(), R1CSError>,
    {
        self.deferred.push(Box::new(callback));
        Ok(())
    }
}

impl ConstraintSystem for RandomizingProver<'_, '_> {
    fn transcript(&mut self) -> &mut Transcript {
        self.prover.transcript
    }

    fn multiply(
        &mut self,
        left: LinearCombination,
        right: LinearCombination,
    ) -> (Variable, Variable, Variable) {
        self.prover.multiply(left, right)
    }

    fn allocate(&mut self, assignment: Option<Scalar>) -> Result<Variable, R1CSError> {
        self.prover.allocate(assignment)
    }

    fn allocate_multiplier(
        &mut self,
        input_assignments: Option<(Scalar, Scalar)>,
    ) -> Result<(Variable, Variable, Variable), R1CSError> {
        self.prover.allocate_multiplier(input_assignments)
    }

    fn multipliers_len(&self) -> usize {
        self.prover.multipliers_len()
    }

    fn constrain(&mut self, lc: LinearCombination) {
        self.prover.constrain(lc)
    }
}

impl RandomizedConstraintSystem for RandomizingProver<'_, '_> {
    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar {
        self.prover.transcript.challenge_scalar(label)
    }
}

impl RandomizingProver<'_, '_> {
    /// Evaluates a linear combination on the witness (for gadgets that
    /// compute second-phase assignments).
    pub fn eval(&self, lc: &LinearCombination) -> Result<Scalar, R1CSError> {
        self.prover.eval(lc)
    }
}
