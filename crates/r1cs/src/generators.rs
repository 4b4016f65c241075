//! The fixed generators of the protocol and their precomputed table
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
use curve25519_dalek::traits::VartimePrecomputedMultiscalarMul;
use sha3::digest::{ExtendableOutput, Update, XofReader};
use sha3::Shake256;

pub use bulletproofs::PedersenGens;

use crate::{parallel, R1CSError};

/// Default capacity of [`BulletproofGens::shared`]: the largest padded
/// multiplier count a proof may have when verified against it.
pub const DEFAULT_CAPACITY: usize = 4096;

/// Pairs `(G_i, H_i)` covered by the precomputed table, with `B` and
/// `B_blinding`. Measured on curve25519-dalek 4.1.3 (AVX2): a precomputed
/// vartime Straus over 130 points takes 0.60 ms against 1.14 ms for
/// Pippenger, but at 514 points they are even and at 2050 points Pippenger is
/// 1.6× faster. So the table holds the generators every proof uses, and the
/// rest of a proof's (or a batch's) generators join the dynamic points in one
/// Pippenger multiplication.
pub const TABLE_PAIRS: usize = 64;

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

/// The generators `B`, `B_blinding`, `G_0..G_{n-1}`, `H_0..H_{n-1}`, with a
/// vartime precomputed table for verification built lazily on first use.
pub struct BulletproofGens {
    pedersen: PedersenGens,
    g: Vec<RistrettoPoint>,
    h: Vec<RistrettoPoint>,
    table: OnceLock<VartimeRistrettoPrecomputation>,
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
        BulletproofGens {
            pedersen: PedersenGens::default(),
            g: chain(party_label(b'G'), capacity),
            h: chain(party_label(b'H'), capacity),
            table: OnceLock::new(),
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

    /// The first `n` generators of the `G` vector (all of them if `n`
    /// exceeds the capacity).
    pub fn g(&self, n: usize) -> &[RistrettoPoint] {
        &self.g[..n.min(self.g.len())]
    }

    /// The first `n` generators of the `H` vector (all of them if `n`
    /// exceeds the capacity).
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

    /// Builds the precomputed table now instead of on first use (a node
    /// calls this at start-up so the first block does not pay for it).
    pub fn precompute_all(&self) {
        self.table();
    }

    fn table_pairs(&self) -> usize {
        TABLE_PAIRS.min(self.capacity())
    }

    fn table(&self) -> &VartimeRistrettoPrecomputation {
        self.table.get_or_init(|| {
            let pairs = self.table_pairs();
            let mut points = Vec::with_capacity(2 * pairs + 2);
            points.push(self.pedersen.B);
            points.push(self.pedersen.B_blinding);
            for i in 0..pairs {
                points.push(self.g[i]);
                points.push(self.h[i]);
            }
            VartimeRistrettoPrecomputation::new(points)
        })
    }

    /// Computes `b·B + b_blinding·B_blinding + Σ g_i·G_i + Σ h_i·H_i + Σ s_j·P_j`:
    /// the first [`TABLE_PAIRS`] generator pairs through the precomputed
    /// table, everything else by Pippenger, split across the rayon pool.
    /// Public data only (variable time). `points` must be as long as `scalars`.
    pub(crate) fn vartime_mul(
        &self,
        b: &Scalar,
        b_blinding: &Scalar,
        g: &[Scalar],
        h: &[Scalar],
        scalars: &[Scalar],
        points: &[RistrettoPoint],
    ) -> Result<RistrettoPoint, R1CSError> {
        self.ensure_capacity(g.len().max(h.len()))?;
        let pairs = self.table_pairs();
        let mut fixed = Vec::with_capacity(2 * pairs + 2);
        fixed.push(*b);
        fixed.push(*b_blinding);
        for i in 0..pairs {
            fixed.push(g.get(i).copied().unwrap_or(Scalar::ZERO));
            fixed.push(h.get(i).copied().unwrap_or(Scalar::ZERO));
        }
        let g_rest = g.get(pairs..).unwrap_or(&[]);
        let h_rest = h.get(pairs..).unwrap_or(&[]);
        let segments = [
            (g_rest, &self.g[pairs..pairs + g_rest.len()]),
            (h_rest, &self.h[pairs..pairs + h_rest.len()]),
            (scalars, points),
        ];
        let (from_table, rest) = rayon::join(
            || self.table().vartime_multiscalar_mul(fixed),
            || parallel::vartime_msm(&segments),
        );
        Ok(from_table + rest)
    }
}

fn party_label(kind: u8) -> [u8; 5] {
    // Party index 0 as LE32 after the vector's letter.
    [kind, 0, 0, 0, 0]
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
    fn table_and_pippenger_split_matches_plain_multiscalar_mul() {
        let gens = BulletproofGens::new(256);
        let mut rng = rand::thread_rng();
        for n in [1usize, 3, 64, 65, 200, 256] {
            let g: Vec<Scalar> = (0..n).map(|_| Scalar::random(&mut rng)).collect();
            let h: Vec<Scalar> = (0..n).map(|_| Scalar::random(&mut rng)).collect();
            let b = Scalar::random(&mut rng);
            let bb = Scalar::random(&mut rng);
            let p = RistrettoPoint::random(&mut rng);
            let k = Scalar::random(&mut rng);
            let expected = RistrettoPoint::multiscalar_mul(
                [b, bb].iter().chain(&g).chain(&h).chain([&k]),
                [gens.pedersen().B, gens.pedersen().B_blinding]
                    .iter()
                    .chain(gens.g(n))
                    .chain(gens.h(n))
                    .chain([&p]),
            );
            let got = gens.vartime_mul(&b, &bb, &g, &h, &[k], &[p]).unwrap();
            assert_eq!(got, expected, "n = {n}");
        }
        assert!(matches!(
            gens.vartime_mul(
                &Scalar::ONE,
                &Scalar::ONE,
                &[Scalar::ONE; 257],
                &[],
                &[],
                &[]
            ),
            Err(R1CSError::GeneratorsCapacity { needed: 257, .. })
        ));
    }
}
