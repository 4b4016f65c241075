//! Multi-message signatures: one signature by several keys, each over its
//! own message, as ZkVM's `signtx` uses (docs/spec/musig.md §Multi-message
//! signature).

use std::borrow::Borrow;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use r1cs::{TranscriptProtocol, VerificationEquation};
use rand_core::{CryptoRng, OsRng, RngCore};
use zeroize::Zeroizing;

use crate::signature::{check, nonce};
use crate::transcript::SignatureTranscript;
use crate::{MusigError, SecretKey, Signature, VerificationKey};

/// Appends the pairs and returns the per-key challenges `c_i`, with `R`
/// appended in between (docs/spec/musig.md §Multi-message signature, steps
/// 1–5): shared by the one-shot signer, the verifier and the interactive
/// signers.
pub(crate) fn challenges<K: Borrow<VerificationKey>, M: AsRef<[u8]>>(
    transcript: &mut Transcript,
    pairs: impl ExactSizeIterator<Item = (K, M)>,
    r: &CompressedRistretto,
) -> Result<Vec<Scalar>, MusigError> {
    let n = pairs.len();
    if n == 0 {
        return Err(MusigError::NoKeys);
    }
    transcript.multimessage_domain_sep(n);
    for (key, msg) in pairs {
        transcript.append_point(b"X", key.borrow().as_compressed());
        transcript.append_message(b"m", msg.as_ref());
    }
    transcript.append_point(b"R", r);
    Ok((0..n)
        .map(|i| {
            let mut ti = transcript.clone();
            ti.append_u64(b"i", i as u64);
            ti.challenge_scalar(b"c")
        })
        .collect())
}

impl Signature {
    /// Signs each message with its key (a signer holding every key).
    pub fn sign_multimessage<M: AsRef<[u8]>>(
        transcript: &mut Transcript,
        pairs: &[(SecretKey, M)],
    ) -> Result<Signature, MusigError> {
        Self::sign_multimessage_with_rng(transcript, pairs, &mut OsRng)
    }

    /// [`Signature::sign_multimessage`] with a caller's RNG, mixed with the
    /// transcript and the first key.
    pub fn sign_multimessage_with_rng<M: AsRef<[u8]>, R: RngCore + CryptoRng>(
        transcript: &mut Transcript,
        pairs: &[(SecretKey, M)],
        rng: &mut R,
    ) -> Result<Signature, MusigError> {
        let first = pairs.first().ok_or(MusigError::NoKeys)?;
        let r = nonce(transcript, b"x_i", first.0.scalar(), rng);
        let big_r = (&*r * RISTRETTO_BASEPOINT_TABLE).compress();
        let c = challenges(
            transcript,
            pairs.iter().map(|(k, m)| (k.verification_key(), m)),
            &big_r,
        )?;
        let mut s = Zeroizing::new(*r);
        for ((key, _), ci) in pairs.iter().zip(&c) {
            *s += ci * key.scalar();
        }
        Ok(Signature { r: big_r, s: *s })
    }

    /// The equation `s·B - R - Σ c_i·X_i = 0` for keys and messages in the
    /// signer's order.
    pub fn multimessage_verification_equation<M: AsRef<[u8]>>(
        &self,
        transcript: &mut Transcript,
        pairs: &[(VerificationKey, M)],
    ) -> Result<VerificationEquation, MusigError> {
        let c = challenges(transcript, pairs.iter().map(|(k, m)| (k, m)), &self.r)?;
        let big_r = self.r.decompress().ok_or(MusigError::InvalidPoint("R"))?;
        let mut eq = VerificationEquation::new();
        eq.add_basepoint_term(self.s);
        eq.add_term(-Scalar::ONE, big_r);
        for ((key, _), ci) in pairs.iter().zip(c) {
            eq.add_term(-ci, *key.as_point());
        }
        Ok(eq)
    }

    /// Verifies a multi-message signature.
    pub fn verify_multimessage<M: AsRef<[u8]>>(
        &self,
        transcript: &mut Transcript,
        pairs: &[(VerificationKey, M)],
    ) -> Result<(), MusigError> {
        check(&self.multimessage_verification_equation(transcript, pairs)?)
    }
}
