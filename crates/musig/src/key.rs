//! Secret keys, verification keys and MuSig key aggregation
//! (docs/spec/musig.md §Keys and signatures, §MuSig key aggregation).

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use r1cs::TranscriptProtocol;
use rand_core::{CryptoRng, RngCore};
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::MusigError;

/// A secret signing key: a scalar `x`. Wiped on drop; never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey(Scalar);

impl SecretKey {
    /// Wraps a secret scalar.
    pub fn from_scalar(x: Scalar) -> Self {
        SecretKey(x)
    }

    /// A fresh random key.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        SecretKey(Scalar::random(rng))
    }

    /// The key's verification key `x·B`.
    pub fn verification_key(&self) -> VerificationKey {
        VerificationKey::from_point(&self.0 * RISTRETTO_BASEPOINT_TABLE)
    }

    /// The key `x + t`, whose verification key is `X + t·B`: how a taproot
    /// outer key is signed for (docs/spec/zkvm.md §Taproot).
    pub fn tweak(&self, t: &Scalar) -> SecretKey {
        SecretKey(self.0 + t)
    }

    pub(crate) fn scalar(&self) -> &Scalar {
        &self.0
    }
}

impl ConstantTimeEq for SecretKey {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl core::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SecretKey").finish_non_exhaustive()
    }
}

/// A verification key: a valid Ristretto point, kept with its encoding.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct VerificationKey {
    point: RistrettoPoint,
    compressed: CompressedRistretto,
}

impl VerificationKey {
    /// Decodes a key; fails if the bytes are not a Ristretto point.
    pub fn from_compressed(compressed: CompressedRistretto) -> Result<Self, MusigError> {
        let point = compressed
            .decompress()
            .ok_or(MusigError::InvalidPoint("verification key"))?;
        Ok(VerificationKey { point, compressed })
    }

    /// Decodes a key from 32 bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, MusigError> {
        Self::from_compressed(CompressedRistretto(*bytes))
    }

    /// Wraps a point.
    pub fn from_point(point: RistrettoPoint) -> Self {
        VerificationKey {
            point,
            compressed: point.compress(),
        }
    }

    /// The key as a point.
    pub fn as_point(&self) -> &RistrettoPoint {
        &self.point
    }

    /// The key's 32-byte encoding.
    pub fn as_compressed(&self) -> &CompressedRistretto {
        &self.compressed
    }

    /// The key's 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.compressed.to_bytes()
    }
}

/// A MuSig aggregated key `X = Σ a_i·X_i` over an ordered list of keys, with
/// `a_i` bound to the whole list and the key's position.
#[derive(Clone, Debug)]
pub struct Multikey {
    keys: Vec<VerificationKey>,
    factors: Vec<Scalar>,
    aggregated: VerificationKey,
}

impl Multikey {
    /// Aggregates `keys` (order matters). One key aggregates to itself.
    pub fn new(keys: Vec<VerificationKey>) -> Result<Self, MusigError> {
        let factors = match keys.len() {
            0 => return Err(MusigError::NoKeys),
            1 => vec![Scalar::ONE],
            n => {
                let mut t = Transcript::new(b"Musig.aggregated-key");
                t.append_u64(b"n", n as u64);
                for key in &keys {
                    t.append_point(b"X", key.as_compressed());
                }
                (0..n)
                    .map(|i| {
                        let mut ti = t.clone();
                        ti.append_u64(b"i", i as u64);
                        ti.challenge_scalar(b"a_i")
                    })
                    .collect()
            }
        };
        let aggregated = VerificationKey::from_point(
            keys.iter()
                .zip(&factors)
                .map(|(k, a)| a * k.as_point())
                .sum(),
        );
        Ok(Multikey {
            keys,
            factors,
            aggregated,
        })
    }

    /// The aggregated key.
    pub fn aggregated_key(&self) -> VerificationKey {
        self.aggregated
    }

    /// The component keys, in order.
    pub fn keys(&self) -> &[VerificationKey] {
        &self.keys
    }

    /// The factor `a_i` of the i-th key.
    pub fn factor(&self, i: usize) -> Option<Scalar> {
        self.factors.get(i).copied()
    }

    /// Every factor, in the order of the keys.
    pub(crate) fn factors(&self) -> &[Scalar] {
        &self.factors
    }

    /// The aggregated secret `Σ a_i·x_i`, for a signer that holds every key
    /// (`secrets` in the order of the keys). Fails if a secret does not
    /// match its key.
    pub fn aggregated_secret(&self, secrets: &[SecretKey]) -> Result<SecretKey, MusigError> {
        if secrets.len() != self.keys.len() {
            return Err(MusigError::KeyCount {
                expected: self.keys.len(),
                got: secrets.len(),
            });
        }
        let mut x = Scalar::ZERO;
        for (index, ((s, k), a)) in secrets
            .iter()
            .zip(&self.keys)
            .zip(&self.factors)
            .enumerate()
        {
            if s.verification_key() != *k {
                return Err(MusigError::WrongSecretKey { index });
            }
            x += a * s.scalar();
        }
        let key = SecretKey(x);
        x.zeroize();
        Ok(key)
    }
}
