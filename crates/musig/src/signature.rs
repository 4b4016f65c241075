//! Schnorr signatures: encoding, single-message signing and verification
//! (docs/spec/musig.md §Keys and signatures, §Single-message signature).

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use r1cs::{TranscriptProtocol, VerificationEquation};
use rand_core::{CryptoRng, OsRng, RngCore};
use zeroize::Zeroizing;

use crate::transcript::SignatureTranscript;
use crate::{MusigError, SecretKey, VerificationKey};

/// A Schnorr signature `(R, s)`.
///
/// # Layout
/// ```text
/// R   32 bytes  compressed Ristretto point (checked at verification)
/// s   32 bytes  canonical little-endian scalar (checked at decoding)
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    pub(crate) r: CompressedRistretto,
    pub(crate) s: Scalar,
}

impl Signature {
    /// Encodes the signature as 64 bytes.
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(self.r.as_bytes());
        out[32..].copy_from_slice(self.s.as_bytes());
        out
    }

    /// Decodes exactly 64 bytes; rejects a non-canonical `s`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Signature, MusigError> {
        let bytes: &[u8; 64] = bytes
            .try_into()
            .map_err(|_| MusigError::InvalidSignatureLength(bytes.len()))?;
        let mut r = [0u8; 32];
        let mut s = [0u8; 32];
        r.copy_from_slice(&bytes[..32]);
        s.copy_from_slice(&bytes[32..]);
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s))
            .ok_or(MusigError::NonCanonicalScalar)?;
        Ok(Signature {
            r: CompressedRistretto(r),
            s,
        })
    }

    /// The nonce commitment `R`.
    pub fn nonce_commitment(&self) -> &CompressedRistretto {
        &self.r
    }

    /// Signs with `key` on `transcript`, which must already be bound to the
    /// message.
    pub fn sign(transcript: &mut Transcript, key: &SecretKey) -> Signature {
        Self::sign_with_rng(transcript, key, &mut OsRng)
    }

    /// [`Signature::sign`] with a caller's RNG, mixed with the transcript and
    /// the key, so a weak `rng` alone does not expose the key.
    pub fn sign_with_rng<R: RngCore + CryptoRng>(
        transcript: &mut Transcript,
        key: &SecretKey,
        rng: &mut R,
    ) -> Signature {
        let x = key.scalar();
        let big_x = key.verification_key();
        let r = nonce(transcript, b"x", x, rng);
        let big_r = (&*r * RISTRETTO_BASEPOINT_TABLE).compress();
        let c = challenge(transcript, &big_x, &big_r);
        Signature {
            r: big_r,
            s: *r + c * x,
        }
    }

    /// The equation `s·B - R - c·X = 0` for the caller to check alone or in a
    /// batch with other equations (e.g. an R1CS proof).
    pub fn verification_equation(
        &self,
        transcript: &mut Transcript,
        key: &VerificationKey,
    ) -> Result<VerificationEquation, MusigError> {
        let c = challenge(transcript, key, &self.r);
        let big_r = self.r.decompress().ok_or(MusigError::InvalidPoint("R"))?;
        let mut eq = VerificationEquation::new();
        eq.add_basepoint_term(self.s);
        eq.add_term(-Scalar::ONE, big_r);
        eq.add_term(-c, *key.as_point());
        Ok(eq)
    }

    /// Verifies the signature by `key` on `transcript`.
    pub fn verify(
        &self,
        transcript: &mut Transcript,
        key: &VerificationKey,
    ) -> Result<(), MusigError> {
        check(&self.verification_equation(transcript, key)?)
    }
}

/// The challenge `c` of a signature by `key` with nonce commitment `r`
/// (docs/spec/musig.md §Single-message signature, steps 1–4): shared by the
/// signer, the verifier and the interactive signers of an aggregated key.
pub(crate) fn challenge(
    transcript: &mut Transcript,
    key: &VerificationKey,
    r: &CompressedRistretto,
) -> Scalar {
    transcript.starsig_domain_sep();
    transcript.append_point(b"X", key.as_compressed());
    transcript.append_point(b"R", r);
    transcript.challenge_scalar(b"c")
}

/// A nonce from the transcript's RNG keyed with the secret under `label`.
pub(crate) fn nonce<R: RngCore + CryptoRng>(
    transcript: &Transcript,
    label: &'static [u8],
    secret: &Scalar,
    rng: &mut R,
) -> Zeroizing<Scalar> {
    let mut trng = transcript
        .build_rng()
        .rekey_with_witness_bytes(label, secret.as_bytes())
        .finalize(rng);
    Zeroizing::new(Scalar::random(&mut trng))
}

/// Checks one signature equation. Signatures only use the base point, so a
/// table of one generator pair suffices.
pub(crate) fn check(eq: &VerificationEquation) -> Result<(), MusigError> {
    static GENS: std::sync::OnceLock<r1cs::BulletproofGens> = std::sync::OnceLock::new();
    let gens = GENS.get_or_init(|| r1cs::BulletproofGens::new(1));
    eq.verify(gens).map_err(|_| MusigError::VerificationFailed)
}
