//! The inner-product argument (docs/spec/r1cs.md §Inner-product argument).
//!
//! Proves knowledge of vectors `a`, `b` of length `n = 2^k` such that
//! `P = <a, G'> + <b, H'> + <a, b>·Q`, where `G' = G ∘ G_factors` and
//! `H' = H ∘ H_factors`, in `k` rounds of halving. It is not zero-knowledge
//! and does not need to be: the R1CS prover only feeds it the blinded
//! vectors `l(x)`, `r(x)`, so its operations on them may be variable-time.

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use merlin::Transcript;

use zeroize::Zeroize;

use crate::transcript::TranscriptProtocol;
use crate::R1CSError;

/// An inner-product proof: one `(L, R)` pair per round, then the final
/// scalars `a` and `b`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InnerProductProof {
    pub(crate) l_vec: Vec<CompressedRistretto>,
    pub(crate) r_vec: Vec<CompressedRistretto>,
    pub(crate) a: Scalar,
    pub(crate) b: Scalar,
}

/// The round challenges' squares, their inverses' squares, and the vector
/// `s` with `s_i = Π_j u_j^{±1}` (round `j` contributes `u_j` if bit `k-1-j` of `i` is set, `u_j^-1` otherwise), as the verifier
/// needs them.
pub(crate) struct VerificationScalars {
    pub(crate) u_sq: Vec<Scalar>,
    pub(crate) u_inv_sq: Vec<Scalar>,
    pub(crate) s: Vec<Scalar>,
}

/// The prover's inputs to the argument.
pub(crate) struct IppWitness<'a> {
    pub(crate) q: &'a RistrettoPoint,
    pub(crate) g_factors: &'a [Scalar],
    pub(crate) h_factors: &'a [Scalar],
    pub(crate) g: Vec<RistrettoPoint>,
    pub(crate) h: Vec<RistrettoPoint>,
    pub(crate) a: Vec<Scalar>,
    pub(crate) b: Vec<Scalar>,
}

fn inner_product(a: &[Scalar], b: &[Scalar]) -> Scalar {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

impl InnerProductProof {
    /// Number of rounds, `log2(n)`.
    pub fn rounds(&self) -> usize {
        self.l_vec.len()
    }

    /// Runs the argument. `n` (the vectors' common length) must be a power of two.
    pub(crate) fn create(transcript: &mut Transcript, w: IppWitness<'_>) -> InnerProductProof {
        let IppWitness {
            q,
            g_factors,
            h_factors,
            mut g,
            mut h,
            mut a,
            mut b,
        } = w;
        let mut n = a.len();
        debug_assert!(n.is_power_of_two());
        debug_assert!(g.len() == n && h.len() == n && b.len() == n);
        debug_assert!(g_factors.len() == n && h_factors.len() == n);

        transcript.innerproduct_domain_sep(n as u64);
        let rounds = n.trailing_zeros() as usize;
        let mut l_vec = Vec::with_capacity(rounds);
        let mut r_vec = Vec::with_capacity(rounds);

        // The first round applies the per-generator factors; the folded
        // generators of later rounds already include them.
        let mut first = true;
        while n > 1 {
            n /= 2;
            let (a_lo, a_hi) = a.split_at(n);
            let (b_lo, b_hi) = b.split_at(n);
            let (g_lo, g_hi) = g.split_at(n);
            let (h_lo, h_hi) = h.split_at(n);
            let gf = |i: usize| if first { g_factors[i] } else { Scalar::ONE };
            let hf = |i: usize| if first { h_factors[i] } else { Scalar::ONE };

            let c_l = inner_product(a_lo, b_hi);
            let c_r = inner_product(a_hi, b_lo);

            let l = RistrettoPoint::vartime_multiscalar_mul(
                (0..n)
                    .map(|i| a_lo[i] * gf(n + i))
                    .chain((0..n).map(|i| b_hi[i] * hf(i)))
                    .chain(core::iter::once(c_l)),
                g_hi.iter().chain(h_lo.iter()).chain(core::iter::once(q)),
            )
            .compress();
            let r = RistrettoPoint::vartime_multiscalar_mul(
                (0..n)
                    .map(|i| a_hi[i] * gf(i))
                    .chain((0..n).map(|i| b_lo[i] * hf(n + i)))
                    .chain(core::iter::once(c_r)),
                g_lo.iter().chain(h_hi.iter()).chain(core::iter::once(q)),
            )
            .compress();

            transcript.append_point(b"L", &l);
            transcript.append_point(b"R", &r);
            l_vec.push(l);
            r_vec.push(r);

            let u = transcript.challenge_scalar(b"u");
            let u_inv = u.invert();

            let mut a_next = Vec::with_capacity(n);
            let mut b_next = Vec::with_capacity(n);
            let mut g_next = Vec::with_capacity(n);
            let mut h_next = Vec::with_capacity(n);
            for i in 0..n {
                a_next.push(a_lo[i] * u + u_inv * a_hi[i]);
                b_next.push(b_lo[i] * u_inv + u * b_hi[i]);
                g_next.push(RistrettoPoint::vartime_multiscalar_mul(
                    [u_inv * gf(i), u * gf(n + i)],
                    [g_lo[i], g_hi[i]],
                ));
                h_next.push(RistrettoPoint::vartime_multiscalar_mul(
                    [u * hf(i), u_inv * hf(n + i)],
                    [h_lo[i], h_hi[i]],
                ));
            }
            // The vectors are blinded, but wiping them costs nothing.
            a.zeroize();
            b.zeroize();
            a = a_next;
            b = b_next;
            g = g_next;
            h = h_next;
            first = false;
        }

        let proof = InnerProductProof {
            l_vec,
            r_vec,
            a: a[0],
            b: b[0],
        };
        a.zeroize();
        b.zeroize();
        proof
    }

    /// Replays the transcript of the argument for size `n` and returns the
    /// scalars of its verification equation.
    pub(crate) fn verification_scalars(
        &self,
        n: usize,
        transcript: &mut Transcript,
    ) -> Result<VerificationScalars, R1CSError> {
        let rounds = self.l_vec.len();
        let expected = n.trailing_zeros() as usize;
        if !n.is_power_of_two() || rounds != expected {
            return Err(R1CSError::IppRoundsMismatch {
                expected,
                actual: rounds,
            });
        }

        transcript.innerproduct_domain_sep(n as u64);
        let mut u = Vec::with_capacity(rounds);
        for (l, r) in self.l_vec.iter().zip(&self.r_vec) {
            transcript.validate_and_append_point(b"L", l)?;
            transcript.validate_and_append_point(b"R", r)?;
            u.push(transcript.challenge_scalar(b"u"));
        }

        let mut u_inv = u.clone();
        let all_inv = Scalar::batch_invert(&mut u_inv);
        let u_sq: Vec<Scalar> = u.iter().map(|x| x * x).collect();
        let u_inv_sq: Vec<Scalar> = u_inv.iter().map(|x| x * x).collect();

        // s_0 = Π u_j^-1; each later s_i multiplies in u_j^2 for the highest
        // set bit j of i. Challenges are in round order, so round `rounds-1-j`
        // governs bit j.
        let mut s = Vec::with_capacity(n);
        s.push(all_inv);
        for i in 1..n {
            let bit = (usize::BITS - 1 - i.leading_zeros()) as usize;
            let k = 1usize << bit;
            s.push(s[i - k] * u_sq[rounds - 1 - bit]);
        }

        Ok(VerificationScalars { u_sq, u_inv_sq, s })
    }
}
