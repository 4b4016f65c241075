//! The fixed generators of the protocol and their precomputed tables
//! (docs/spec/r1cs.md §Generators).
//!
//! `B` and `B_blinding` are `bulletproofs::PedersenGens::default()`. The
//! vectors `G` and `H` are party 0's chains of `bulletproofs::BulletproofGens`:
//! SHAKE256 absorbing `"GeneratorsChain"` then the label `'G' || LE32(0)`
//! (resp. `'H' || LE32(0)`), each 64 squeezed bytes mapped to a point with
//! Ristretto's hash-to-group. The `bulletproofs` crate exposes only the `G`
//! chain publicly, so we derive both chains with the same construction and
//! test that `G` equals the crate's.

use std::sync::OnceLock;

use curve25519_dalek::ristretto::{RistrettoPoint, VartimeRistrettoPrecomputation};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, VartimePrecomputedMultiscalarMul};
use sha3::digest::{ExtendableOutput, Update, XofReader};
use sha3::Shake256;

pub use bulletproofs::PedersenGens;

use crate::R1CSError;

/// Default capacity of [`BulletproofGens::shared`]: the largest padded
/// multiplier count a proof may have when verified against it.
pub const DEFAULT_CAPACITY: usize = 4096;

/// Pairs `(G_i, H_i)` in the first precomputed chunk; chunk `k ≥ 1` holds the
/// pairs `[FIRST_CHUNK·2^(k-1), FIRST_CHUNK·2^k)`, so a proof of padded size
/// `n` touches exactly the chunks that cover `[0, n)` and no padding.
const FIRST_CHUNK: usize = 64;

fn chain(label: [u8; 5], n: usize) -> Vec<RistrettoPoint> {
    let mut shake = Shake256::default();
    shake.update(b"GeneratorsChain");
    shake.update(&label);
    let mut reader = shake.finalize_xof();
    (0..n)
        .map(|_| {
            let mut uniform = [0u8; 64];
            reader.read(&mut uniform);
            RistrettoPoint::from_uniform_bytes(&uniform)
        })
        .collect()
}

/// The generators `B`, `B_blinding`, `G_0..G_{n-1}`, `H_0..H_{n-1}`, with
/// vartime precomputed tables for verification built lazily on first use.
pub struct BulletproofGens {
    pedersen: PedersenGens,
    g: Vec<RistrettoPoint>,
    h: Vec<RistrettoPoint>,
    tables: Vec<OnceLock<VartimeRistrettoPrecomputation>>,
}

impl core::fmt::Debug for BulletproofGens {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BulletproofGens")
            .field("capacity", &self.capacity())
            .finish_non_exhaustive()
    }
}

impl BulletproofGens {
    /// Generators for proofs of up to `capacity` multipliers (rounded up to a
    /// power of two).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1).next_power_of_two();
        let chunks = chunk_bounds(capacity).len();
        BulletproofGens {
            pedersen: PedersenGens::default(),
            g: chain(party_label(b'G'), capacity),
            h: chain(party_label(b'H'), capacity),
            tables: (0..chunks).map(|_| OnceLock::new()).collect(),
        }
    }

    /// The process-wide generators of [`DEFAULT_CAPACITY`], built once.
    pub fn shared() -> &'static BulletproofGens {
        static SHARED: OnceLock<BulletproofGens> = OnceLock::new();
        SHARED.get_or_init(|| BulletproofGens::new(DEFAULT_CAPACITY))
    }

    /// Maximum padded multiplier count supported.
    pub fn capacity(&self) -> usize {
        self.g.len()
    }

    /// The Pedersen generators `B` and `B_blinding`.
    pub fn pedersen(&self) -> &PedersenGens {
        &self.pedersen
    }

    /// The first `n` generators of the `G` vector.
    pub fn g(&self, n: usize) -> &[RistrettoPoint] {
        &self.g[..n.min(self.g.len())]
    }

    /// The first `n` generators of the `H` vector.
    pub fn h(&self, n: usize) -> &[RistrettoPoint] {
        &self.h[..n.min(self.h.len())]
    }

    /// Fails unless `padded_n` generators per vector are available.
    pub(crate) fn ensure_capacity(&self, padded_n: usize) -> Result<(), R1CSError> {
        if padded_n > self.capacity() {
            return Err(R1CSError::GeneratorsCapacity {
                needed: padded_n,
                capacity: self.capacity(),
            });
        }
        Ok(())
    }

    /// Builds every precomputed table now instead of on first use (a node
    /// calls this at start-up so the first block does not pay for it).
    pub fn precompute_all(&self) {
        for k in 0..self.tables.len() {
            self.table(k);
        }
    }

    fn table(&self, k: usize) -> &VartimeRistrettoPrecomputation {
        self.tables[k].get_or_init(|| {
            let (start, end) = chunk_bounds(self.capacity())[k];
            let mut points = Vec::with_capacity(2 * (end - start) + 2);
            if k == 0 {
                points.push(self.pedersen.B);
                points.push(self.pedersen.B_blinding);
            }
            for i in start..end {
                points.push(self.g[i]);
                points.push(self.h[i]);
            }
            VartimeRistrettoPrecomputation::new(points)
        })
    }

    /// Computes `b·B + b_blinding·B_blinding + Σ g_i·G_i + Σ h_i·H_i` through the
    /// precomputed tables. Public data only (variable time).
    pub(crate) fn vartime_static_mul(
        &self,
        b: &Scalar,
        b_blinding: &Scalar,
        g: &[Scalar],
        h: &[Scalar],
    ) -> Result<RistrettoPoint, R1CSError> {
        let n = g.len().max(h.len());
        self.ensure_capacity(n)?;
        let mut sum = RistrettoPoint::identity();
        for (k, &(start, end)) in chunk_bounds(self.capacity()).iter().enumerate() {
            if k > 0 && start >= n {
                break;
            }
            let mut scalars = Vec::with_capacity(2 * (end - start) + 2);
            if k == 0 {
                scalars.push(*b);
                scalars.push(*b_blinding);
            }
            for i in start..end {
                scalars.push(g.get(i).copied().unwrap_or(Scalar::ZERO));
                scalars.push(h.get(i).copied().unwrap_or(Scalar::ZERO));
            }
            sum += self.table(k).vartime_multiscalar_mul(scalars);
        }
        Ok(sum)
    }
}

fn party_label(kind: u8) -> [u8; 5] {
    // Party index 0 as LE32 after the vector's letter.
    [kind, 0, 0, 0, 0]
}

/// `[start, end)` pair ranges of the precomputed chunks for a capacity.
fn chunk_bounds(capacity: usize) -> Vec<(usize, usize)> {
    let mut bounds = vec![(0, capacity.min(FIRST_CHUNK))];
    let mut start = FIRST_CHUNK;
    while start < capacity {
        bounds.push((start, (2 * start).min(capacity)));
        start *= 2;
    }
    bounds
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::traits::MultiscalarMul;

    #[test]
    fn g_chain_matches_bulletproofs_crate() {
        let ours = BulletproofGens::new(128);
        let theirs = bulletproofs::BulletproofGens::new(128, 1);
        let theirs_g: Vec<_> = theirs.share(0).G(128).copied().collect();
        assert_eq!(ours.g(128), &theirs_g[..]);
        assert_ne!(ours.g(1)[0], ours.h(1)[0]);
    }

    #[test]
    fn chunks_cover_capacity_without_gaps() {
        for cap in [1usize, 2, 64, 128, 256, 4096] {
            let b = chunk_bounds(cap);
            assert_eq!(b[0].0, 0);
            assert_eq!(b.last().map(|x| x.1), Some(cap));
            for w in b.windows(2) {
                assert_eq!(w[0].1, w[1].0);
            }
        }
    }

    #[test]
    fn static_mul_matches_plain_multiscalar_mul() {
        let gens = BulletproofGens::new(256);
        let mut rng = rand::thread_rng();
        for n in [1usize, 3, 64, 65, 200, 256] {
            let g: Vec<Scalar> = (0..n).map(|_| Scalar::random(&mut rng)).collect();
            let h: Vec<Scalar> = (0..n).map(|_| Scalar::random(&mut rng)).collect();
            let b = Scalar::random(&mut rng);
            let bb = Scalar::random(&mut rng);
            let expected = RistrettoPoint::multiscalar_mul(
                [b, bb].iter().chain(&g).chain(&h),
                [gens.pedersen().B, gens.pedersen().B_blinding]
                    .iter()
                    .chain(gens.g(n))
                    .chain(gens.h(n)),
            );
            let got = gens.vartime_static_mul(&b, &bb, &g, &h).unwrap();
            assert_eq!(got, expected, "n = {n}");
        }
        assert!(matches!(
            gens.vartime_static_mul(&Scalar::ONE, &Scalar::ONE, &[Scalar::ONE; 257], &[]),
            Err(R1CSError::GeneratorsCapacity { needed: 257, .. })
        ));
    }
}
