//! Polynomial helpers of the prover (docs/spec/r1cs.md §Prover).

use curve25519_dalek::scalar::Scalar;
use zeroize::Zeroize;

/// `1, x, x^2, …` (n terms).
pub(crate) fn powers(x: Scalar, n: usize) -> Vec<Scalar> {
    let mut out = Vec::with_capacity(n);
    let mut acc = Scalar::ONE;
    for _ in 0..n {
        out.push(acc);
        acc *= x;
    }
    out
}

/// A vector polynomial of degree 3, `v0 + v1·X + v2·X^2 + v3·X^3`.
pub(crate) struct VecPoly3(pub [Vec<Scalar>; 4]);

impl VecPoly3 {
    pub(crate) fn zero(n: usize) -> Self {
        VecPoly3([
            vec![Scalar::ZERO; n],
            vec![Scalar::ZERO; n],
            vec![Scalar::ZERO; n],
            vec![Scalar::ZERO; n],
        ])
    }

    /// Coefficients `t_1..t_6` of `<l(X), r(X)>`, for `l` with `l_0 = 0` and
    /// `r` with `r_2 = 0` (the shape the R1CS prover builds).
    pub(crate) fn special_inner_product(l: &Self, r: &Self) -> [Scalar; 6] {
        let ip =
            |a: &[Scalar], b: &[Scalar]| -> Scalar { a.iter().zip(b).map(|(x, y)| x * y).sum() };
        let [_, l1, l2, l3] = &l.0;
        let [r0, r1, _, r3] = &r.0;
        [
            ip(l1, r0),
            ip(l1, r1) + ip(l2, r0),
            ip(l2, r1) + ip(l3, r0),
            ip(l1, r3) + ip(l3, r1),
            ip(l2, r3),
            ip(l3, r3),
        ]
    }

    /// The polynomial at `x`, in a vector with room for `capacity` entries
    /// (so padding it later does not reallocate and leave a copy behind).
    pub(crate) fn eval(&self, x: Scalar, capacity: usize) -> Vec<Scalar> {
        let [v0, v1, v2, v3] = &self.0;
        let mut out = Vec::with_capacity(capacity.max(v0.len()));
        out.extend((0..v0.len()).map(|i| v0[i] + x * (v1[i] + x * (v2[i] + x * v3[i]))));
        out
    }
}

impl Drop for VecPoly3 {
    fn drop(&mut self) {
        for v in self.0.iter_mut() {
            v.zeroize();
        }
    }
}

/// Evaluates `c_1·x + c_2·x^2 + … + c_6·x^6` (no constant term).
pub(crate) fn eval_deg6_no_const(c: &[Scalar; 6], x: Scalar) -> Scalar {
    c.iter().rev().fold(Scalar::ZERO, |acc, ci| (acc + ci) * x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_inner_product_matches_evaluation() {
        let mut rng = rand::thread_rng();
        let n = 5;
        let mut l = VecPoly3::zero(n);
        let mut r = VecPoly3::zero(n);
        for k in [1, 2, 3] {
            l.0[k] = (0..n).map(|_| Scalar::random(&mut rng)).collect();
        }
        for k in [0, 1, 3] {
            r.0[k] = (0..n).map(|_| Scalar::random(&mut rng)).collect();
        }
        let t = VecPoly3::special_inner_product(&l, &r);
        let x = Scalar::random(&mut rng);
        let lx = l.eval(x, n);
        let rx = r.eval(x, n);
        let direct: Scalar = lx.iter().zip(&rx).map(|(a, b)| a * b).sum();
        assert_eq!(direct, eval_deg6_no_const(&t, x));
        assert_eq!(powers(x, 3), vec![Scalar::ONE, x, x * x]);
    }
}
