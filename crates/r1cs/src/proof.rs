//! The R1CS proof and its wire encoding (docs/spec/r1cs.md §Proof encoding).

use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;

use crate::inner_product::InnerProductProof;
use crate::R1CSError;

const ONE_PHASE: u8 = 0x00;
const TWO_PHASE: u8 = 0x01;

/// A proof that committed values satisfy a constraint system.
///
/// # Layout
/// ```text
/// flag        1 byte   0x00: one phase (A_I2, A_O2, S2 are identity and omitted)
///                      0x01: two phases
/// A_I1 A_O1 S1                32 bytes each, compressed Ristretto
/// [A_I2 A_O2 S2]              32 bytes each, only with flag 0x01
/// T_1 T_3 T_4 T_5 T_6         32 bytes each
/// t_x t_x_blinding e_blinding 32 bytes each, canonical little-endian scalars
/// L_0 R_0 … L_{k-1} R_{k-1}   32 bytes each, k = log2(padded multipliers)
/// a b                         32 bytes each, canonical scalars
/// ```
/// Size: `1 + 32·(11 or 14) + 32·(2k + 2)`. Points are decompressed only at
/// verification; scalars are checked canonical at decoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct R1CSProof {
    pub(crate) a_i1: CompressedRistretto,
    pub(crate) a_o1: CompressedRistretto,
    pub(crate) s1: CompressedRistretto,
    pub(crate) a_i2: CompressedRistretto,
    pub(crate) a_o2: CompressedRistretto,
    pub(crate) s2: CompressedRistretto,
    pub(crate) t_1: CompressedRistretto,
    pub(crate) t_3: CompressedRistretto,
    pub(crate) t_4: CompressedRistretto,
    pub(crate) t_5: CompressedRistretto,
    pub(crate) t_6: CompressedRistretto,
    pub(crate) t_x: Scalar,
    pub(crate) t_x_blinding: Scalar,
    pub(crate) e_blinding: Scalar,
    pub(crate) ipp: InnerProductProof,
}

impl R1CSProof {
    fn has_second_phase(&self) -> bool {
        !(self.a_i2.is_identity() && self.a_o2.is_identity() && self.s2.is_identity())
    }

    /// Encoded length in bytes.
    pub fn serialized_size(&self) -> usize {
        let commitments = if self.has_second_phase() { 14 } else { 11 };
        1 + 32 * commitments + 32 * (2 * self.ipp.rounds() + 2)
    }

    /// Number of inner-product rounds: `log2` of the padded multiplier count.
    pub fn ipp_rounds(&self) -> usize {
        self.ipp.rounds()
    }

    /// Encodes the proof (see the type's layout).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut buf = Vec::with_capacity(self.serialized_size());
        let points: &[&CompressedRistretto] = if self.has_second_phase() {
            buf.push(TWO_PHASE);
            &[
                &self.a_i1, &self.a_o1, &self.s1, &self.a_i2, &self.a_o2, &self.s2,
            ]
        } else {
            buf.push(ONE_PHASE);
            &[&self.a_i1, &self.a_o1, &self.s1]
        };
        for p in points
            .iter()
            .chain(&[&self.t_1, &self.t_3, &self.t_4, &self.t_5, &self.t_6])
        {
            buf.extend_from_slice(p.as_bytes());
        }
        for s in [&self.t_x, &self.t_x_blinding, &self.e_blinding] {
            buf.extend_from_slice(s.as_bytes());
        }
        for (l, r) in self.ipp.l_vec.iter().zip(&self.ipp.r_vec) {
            buf.extend_from_slice(l.as_bytes());
            buf.extend_from_slice(r.as_bytes());
        }
        buf.extend_from_slice(self.ipp.a.as_bytes());
        buf.extend_from_slice(self.ipp.b.as_bytes());
        buf
    }

    /// Decodes a proof, consuming exactly `bytes`. Rejects unknown flags,
    /// impossible lengths, non-canonical scalars and a two-phase flag whose
    /// second-phase points are all identity (which would not re-encode).
    pub fn from_bytes(bytes: &[u8]) -> Result<R1CSProof, R1CSError> {
        let invalid_len = R1CSError::InvalidProofLength { len: bytes.len() };
        let (&flag, body) = bytes.split_first().ok_or(invalid_len.clone())?;
        let commitments = match flag {
            ONE_PHASE => 11,
            TWO_PHASE => 14,
            other => return Err(R1CSError::UnknownPhaseFlag(other)),
        };
        if body.len() % 32 != 0 || body.len() < 32 * commitments {
            return Err(invalid_len);
        }
        let ipp_elements = body.len() / 32 - commitments;
        // The inner-product proof is 2k points then 2 scalars, k < 32.
        if ipp_elements < 2 || ipp_elements % 2 != 0 || (ipp_elements - 2) / 2 >= 32 {
            return Err(invalid_len);
        }
        let rounds = (ipp_elements - 2) / 2;

        let mut chunks = body.chunks_exact(32).map(|c| {
            let mut a = [0u8; 32];
            a.copy_from_slice(c);
            a
        });
        let mut next = || {
            chunks
                .next()
                .ok_or(R1CSError::InvalidProofLength { len: bytes.len() })
        };
        let point = |b: [u8; 32]| CompressedRistretto(b);
        let scalar = |b: [u8; 32], name: &'static str| {
            Option::<Scalar>::from(Scalar::from_canonical_bytes(b))
                .ok_or(R1CSError::NonCanonicalScalar(name))
        };

        let a_i1 = point(next()?);
        let a_o1 = point(next()?);
        let s1 = point(next()?);
        let (a_i2, a_o2, s2) = if flag == TWO_PHASE {
            let (x, y, z) = (point(next()?), point(next()?), point(next()?));
            if x.is_identity() && y.is_identity() && z.is_identity() {
                return Err(R1CSError::NonCanonicalPhaseFlag);
            }
            (x, y, z)
        } else {
            let id = CompressedRistretto::default();
            (id, id, id)
        };
        let t_1 = point(next()?);
        let t_3 = point(next()?);
        let t_4 = point(next()?);
        let t_5 = point(next()?);
        let t_6 = point(next()?);
        let t_x = scalar(next()?, "t_x")?;
        let t_x_blinding = scalar(next()?, "t_x_blinding")?;
        let e_blinding = scalar(next()?, "e_blinding")?;
        let mut l_vec = Vec::with_capacity(rounds);
        let mut r_vec = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            l_vec.push(point(next()?));
            r_vec.push(point(next()?));
        }
        let a = scalar(next()?, "a")?;
        let b = scalar(next()?, "b")?;

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
            ipp: InnerProductProof { l_vec, r_vec, a, b },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(rounds: usize, two_phase: bool) -> Vec<u8> {
        let commitments = if two_phase { 14 } else { 11 };
        let mut bytes = vec![u8::from(two_phase)];
        // Non-identity "points" (not necessarily valid: decoding does not check).
        for i in 0..commitments - 3 {
            bytes.extend_from_slice(&[i as u8 + 1; 32]);
        }
        for _ in 0..3 {
            bytes.extend_from_slice(Scalar::from(7u64).as_bytes());
        }
        for i in 0..2 * rounds {
            bytes.extend_from_slice(&[i as u8 + 100; 32]);
        }
        bytes.extend_from_slice(Scalar::from(1u64).as_bytes());
        bytes.extend_from_slice(Scalar::from(2u64).as_bytes());
        bytes
    }

    #[test]
    fn round_trips_both_phases() {
        for rounds in [0, 1, 6, 11] {
            for two in [false, true] {
                let bytes = sample(rounds, two);
                let proof = R1CSProof::from_bytes(&bytes).unwrap();
                assert_eq!(proof.ipp_rounds(), rounds);
                assert_eq!(proof.serialized_size(), bytes.len());
                assert_eq!(proof.to_bytes(), bytes);
            }
        }
        assert_eq!(sample(0, false).len(), 417);
    }

    #[test]
    fn rejects_malformed_encodings() {
        assert!(matches!(
            R1CSProof::from_bytes(&[]),
            Err(R1CSError::InvalidProofLength { len: 0 })
        ));
        let mut bad_flag = sample(2, false);
        bad_flag[0] = 2;
        assert_eq!(
            R1CSProof::from_bytes(&bad_flag),
            Err(R1CSError::UnknownPhaseFlag(2))
        );
        let good = sample(2, false);
        // Cutting 64 bytes would leave a valid one-round length.
        for cut in [1, 31, 32, 33, 63, 65] {
            assert!(matches!(
                R1CSProof::from_bytes(&good[..good.len() - cut]),
                Err(R1CSError::InvalidProofLength { .. })
            ));
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(R1CSProof::from_bytes(&trailing).is_err());
        // An odd number of inner-product points cannot split into L and R.
        let mut odd = good.clone();
        odd.extend_from_slice(&[9u8; 32]);
        assert!(matches!(
            R1CSProof::from_bytes(&odd),
            Err(R1CSError::InvalidProofLength { .. })
        ));
        // Two-phase flag on a one-phase body (phase-2 points identity).
        let mut fake_two = vec![TWO_PHASE];
        fake_two.extend_from_slice(&good[1..97]);
        fake_two.extend_from_slice(&[0u8; 96]);
        fake_two.extend_from_slice(&good[97..]);
        assert_eq!(
            R1CSProof::from_bytes(&fake_two),
            Err(R1CSError::NonCanonicalPhaseFlag)
        );
    }

    #[test]
    fn rejects_non_canonical_scalars() {
        let good = sample(1, false);
        let t_x_at = 1 + 8 * 32;
        let mut bad = good.clone();
        bad[t_x_at..t_x_at + 32].copy_from_slice(&[0xff; 32]);
        assert_eq!(
            R1CSProof::from_bytes(&bad),
            Err(R1CSError::NonCanonicalScalar("t_x"))
        );
        let mut bad_b = good.clone();
        let n = bad_b.len();
        bad_b[n - 32..].copy_from_slice(&[0xff; 32]);
        assert_eq!(
            R1CSProof::from_bytes(&bad_b),
            Err(R1CSError::NonCanonicalScalar("b"))
        );
    }
}
