//! Splitting public multiscalar multiplications across the rayon pool
//! (docs/spec/r1cs.md §Verification equation and batching).

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use rayon::prelude::*;

use crate::R1CSError;

/// Smallest share of a split multiplication: below a few hundred points
/// Pippenger's cost per point rises, so smaller work stays in one piece.
const MIN_PART: usize = 256;

/// Fewest points worth decompressing in parallel.
const MIN_PARALLEL_DECOMPRESS: usize = 64;

/// A run of scalars and the points they multiply (equal lengths).
pub(crate) type Segment<'a> = (&'a [Scalar], &'a [RistrettoPoint]);

/// `Σ s_i·P_i` over the concatenation of `segments`, cut into equal parts,
/// one per thread of the pool, each a Pippenger multiplication. Variable
/// time: public data only.
pub(crate) fn vartime_msm(segments: &[Segment<'_>]) -> RistrettoPoint {
    let total: usize = segments.iter().map(|(s, _)| s.len()).sum();
    let parts = (total / MIN_PART).clamp(1, rayon::current_num_threads().max(1));
    (0..parts)
        .into_par_iter()
        .map(|j| {
            let (start, end) = (total * j / parts, total * (j + 1) / parts);
            let mut pieces = Vec::with_capacity(segments.len());
            let mut offset = 0;
            for (s, p) in segments {
                let (a, b) = (start.max(offset), end.min(offset + s.len()));
                if a < b {
                    pieces.push((&s[a - offset..b - offset], &p[a - offset..b - offset]));
                }
                offset += s.len();
            }
            // The multiplication needs exact-size iterators: collect.
            let scalars: Vec<&Scalar> = pieces.iter().flat_map(|(s, _)| s.iter()).collect();
            let points: Vec<&RistrettoPoint> = pieces.iter().flat_map(|(_, p)| p.iter()).collect();
            RistrettoPoint::vartime_multiscalar_mul(scalars, points)
        })
        .sum()
}

/// Decompresses `points`, in parallel when there are many; fails naming
/// `label` on the first invalid encoding.
pub(crate) fn decompress_all(
    points: &[CompressedRistretto],
    label: &'static str,
) -> Result<Vec<RistrettoPoint>, R1CSError> {
    let one = |p: &CompressedRistretto| p.decompress().ok_or(R1CSError::InvalidPoint(label));
    if points.len() < MIN_PARALLEL_DECOMPRESS {
        points.iter().map(one).collect()
    } else {
        points.par_iter().with_min_len(16).map(one).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_multiplication_matches_serial() {
        let mut rng = rand::thread_rng();
        let s: Vec<Scalar> = (0..1500).map(|_| Scalar::random(&mut rng)).collect();
        let p: Vec<RistrettoPoint> = (0..1500)
            .map(|_| RistrettoPoint::random(&mut rng))
            .collect();
        let expected = RistrettoPoint::vartime_multiscalar_mul(&s, &p);
        for cuts in [[0usize, 0], [1, 1], [300, 700], [1000, 1499], [0, 1500]] {
            let segs = [
                (&s[..cuts[0]], &p[..cuts[0]]),
                (&s[cuts[0]..cuts[1]], &p[cuts[0]..cuts[1]]),
                (&s[cuts[1]..], &p[cuts[1]..]),
            ];
            assert_eq!(vartime_msm(&segs), expected, "{cuts:?}");
        }
        assert_eq!(vartime_msm(&[]), RistrettoPoint::default());
    }

    #[test]
    fn decompression_names_the_bad_point() {
        let mut pts: Vec<CompressedRistretto> = (0..100u64)
            .map(|i| {
                (Scalar::from(i + 1) * curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT)
                    .compress()
            })
            .collect();
        assert_eq!(decompress_all(&pts, "V").map(|v| v.len()), Ok(100));
        pts[70] = CompressedRistretto([0xff; 32]);
        assert_eq!(decompress_all(&pts, "V"), Err(R1CSError::InvalidPoint("V")));
    }
}
