//! The three messages each party sends during interactive signing, with their
//! strict wire encodings (docs/spec/musig.md §Interactive signing, Messages).

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use r1cs::TranscriptProtocol;
use subtle::{Choice, ConstantTimeEq};

use crate::MusigError;

/// The exact length of `bytes`, or the error naming `message`.
fn exact_32(bytes: &[u8], message: &'static str) -> Result<[u8; 32], MusigError> {
    bytes
        .try_into()
        .map_err(|_| MusigError::InvalidMessageLength {
            message,
            expected: 32,
            got: bytes.len(),
        })
}

/// Round 1: a hash binding a party to its nonce commitment `R_i` before it
/// sees anyone else's (docs/spec/musig.md §Interactive signing, Rounds and
/// Messages).
///
/// `Transcript::new("Musig.nonce-precommit")`, `R_i` appended under `"R"`,
/// then 32 bytes of `challenge_bytes("precommitment")`.
///
/// # Layout
/// ```text
/// 32 bytes  the challenge bytes (any value decodes)
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct NoncePrecommitment([u8; 32]);

impl NoncePrecommitment {
    /// Length on the wire.
    pub const LEN: usize = 32;

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// Decodes exactly 32 bytes (docs/spec/musig.md §Interactive signing,
    /// Messages).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MusigError> {
        exact_32(bytes, "nonce precommitment").map(NoncePrecommitment)
    }
}

/// Compares in constant time (a precommitment is not secret, but the check
/// against a commitment should not depend on where the bytes first differ).
impl ConstantTimeEq for NoncePrecommitment {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

/// Round 2: a party's nonce commitment `R_i = r_i·B`, revealed once every
/// precommitment is in (docs/spec/musig.md §Interactive signing, Rounds and
/// Messages).
///
/// # Layout
/// ```text
/// 32 bytes  compressed Ristretto point (must decompress)
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct NonceCommitment {
    point: RistrettoPoint,
    compressed: CompressedRistretto,
}

impl NonceCommitment {
    /// Length on the wire.
    pub const LEN: usize = 32;

    pub(crate) fn from_point(point: RistrettoPoint) -> Self {
        NonceCommitment {
            point,
            compressed: point.compress(),
        }
    }

    /// The precommitment that this commitment must match
    /// (docs/spec/musig.md §Interactive signing, Rounds, step 0).
    pub fn precommit(&self) -> NoncePrecommitment {
        let mut t = Transcript::new(b"Musig.nonce-precommit");
        t.append_point(b"R", &self.compressed);
        let mut bytes = [0u8; 32];
        t.challenge_bytes(b"precommitment", &mut bytes);
        NoncePrecommitment(bytes)
    }

    /// `R_i` as a point.
    pub fn as_point(&self) -> &RistrettoPoint {
        &self.point
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.compressed.to_bytes()
    }

    /// Decodes exactly 32 bytes that are a valid Ristretto point
    /// (docs/spec/musig.md §Interactive signing, Messages).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MusigError> {
        let compressed = CompressedRistretto(exact_32(bytes, "nonce commitment")?);
        let point = compressed
            .decompress()
            .ok_or(MusigError::InvalidPoint("nonce commitment"))?;
        Ok(NonceCommitment { point, compressed })
    }
}

/// Compares the encodings in constant time.
impl ConstantTimeEq for NonceCommitment {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.compressed
            .as_bytes()
            .ct_eq(other.compressed.as_bytes())
    }
}

/// Round 3: a party's signature share `s_i = r_i + e_i·x_i`
/// (docs/spec/musig.md §Interactive signing, Rounds and Messages). Public once
/// sent: with a nonce used once, it reveals nothing of `x_i`.
///
/// # Layout
/// ```text
/// 32 bytes  canonical little-endian scalar
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct SignatureShare(Scalar);

impl SignatureShare {
    /// Length on the wire.
    pub const LEN: usize = 32;

    pub(crate) fn from_scalar(s: Scalar) -> Self {
        SignatureShare(s)
    }

    /// `s_i` as a scalar.
    pub fn as_scalar(&self) -> &Scalar {
        &self.0
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Decodes exactly 32 bytes holding a scalar reduced modulo the group
    /// order (docs/spec/musig.md §Interactive signing, Messages).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MusigError> {
        let bytes = exact_32(bytes, "signature share")?;
        Option::<Scalar>::from(Scalar::from_canonical_bytes(bytes))
            .map(SignatureShare)
            .ok_or(MusigError::NonCanonicalScalar)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;

    #[test]
    fn precommitment_binds_the_commitment() {
        let a = NonceCommitment::from_point(Scalar::from(5u64) * RISTRETTO_BASEPOINT_POINT);
        let b = NonceCommitment::from_point(Scalar::from(6u64) * RISTRETTO_BASEPOINT_POINT);
        assert_eq!(a.precommit(), a.precommit());
        assert_ne!(a.precommit(), b.precommit());
        assert!(bool::from(a.precommit().ct_eq(&a.precommit())));
        assert!(!bool::from(a.precommit().ct_eq(&b.precommit())));
    }

    #[test]
    fn decoders_name_what_is_wrong() {
        assert_eq!(
            NonceCommitment::from_bytes(&[0xff; 32]),
            Err(MusigError::InvalidPoint("nonce commitment"))
        );
        assert_eq!(
            SignatureShare::from_bytes(&[0xff; 32]),
            Err(MusigError::NonCanonicalScalar)
        );
        assert_eq!(
            NoncePrecommitment::from_bytes(&[0; 31]),
            Err(MusigError::InvalidMessageLength {
                message: "nonce precommitment",
                expected: 32,
                got: 31
            })
        );
    }
}
