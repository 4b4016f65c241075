//! What the parties of an interactive signing session sign: one message under
//! an aggregated key, or one message per key (docs/spec/musig.md
//! §Interactive signing, Contexts).

use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;

use crate::{multimessage, signature, Multikey, MusigError, VerificationKey};

mod sealed {
    /// Keeps [`super::SigningContext`] to the crate's two flavours: a new one
    /// needs its own section of the spec.
    pub trait Sealed {}
}

/// The keys of an interactive signing session and the challenge each party's
/// share answers (docs/spec/musig.md §Interactive signing, Contexts).
///
/// Implemented by [`Multikey`] (every party signs the transcript's message;
/// the signature verifies with [`crate::Signature::verify`] under
/// [`Multikey::aggregated_key`]) and by [`Multimessage`] (party `i` signs its
/// own message `m_i`; the signature verifies with
/// [`crate::Signature::verify_multimessage`]), and by references to either.
/// Sealed: no other flavour exists.
pub trait SigningContext: sealed::Sealed {
    /// Number of parties, one per key (at least one).
    fn parties(&self) -> usize;

    /// The verification key `X_i` of party `party`, if there is one.
    fn party_key(&self, party: usize) -> Option<&VerificationKey>;

    /// Appends the context and the aggregated nonce commitment `R` to
    /// `transcript` and returns, for each party `i`, the scalar `e_i` its
    /// share must answer: `s_i·B = R_i + e_i·X_i`. For a [`Multikey`],
    /// `e_i = c·a_i`; for a [`Multimessage`], `e_i = c_i`. The transcript
    /// steps are those of the one-shot signature, so the results agree.
    fn share_challenges(
        &self,
        transcript: &mut Transcript,
        nonce_sum: &CompressedRistretto,
    ) -> Result<Vec<Scalar>, MusigError>;
}

impl sealed::Sealed for Multikey {}

/// Aggregated key: `c` from the single-message transcript under the
/// aggregated key, `e_i = c·a_i` (docs/spec/musig.md §MuSig key aggregation).
impl SigningContext for Multikey {
    fn parties(&self) -> usize {
        self.keys().len()
    }

    fn party_key(&self, party: usize) -> Option<&VerificationKey> {
        self.keys().get(party)
    }

    fn share_challenges(
        &self,
        transcript: &mut Transcript,
        nonce_sum: &CompressedRistretto,
    ) -> Result<Vec<Scalar>, MusigError> {
        let c = signature::challenge(transcript, &self.aggregated_key(), nonce_sum);
        Ok(self.factors().iter().map(|a| c * a).collect())
    }
}

/// Keys each paired with the message its party signs, in signing order
/// (docs/spec/musig.md §Multi-message signature, §Interactive signing,
/// Contexts). For `signtx`, the messages are the inputs' contract IDs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Multimessage<M> {
    pairs: Vec<(VerificationKey, M)>,
}

impl<M: AsRef<[u8]>> Multimessage<M> {
    /// Wraps the `(key, message)` pairs; fails with [`MusigError::NoKeys`]
    /// if there are none.
    pub fn new(pairs: Vec<(VerificationKey, M)>) -> Result<Self, MusigError> {
        if pairs.is_empty() {
            return Err(MusigError::NoKeys);
        }
        Ok(Multimessage { pairs })
    }

    /// The pairs, in signing order: what
    /// [`crate::Signature::verify_multimessage`] takes.
    pub fn pairs(&self) -> &[(VerificationKey, M)] {
        &self.pairs
    }
}

impl<M> sealed::Sealed for Multimessage<M> {}

/// Multi-message: `e_i = c_i` from the multi-message transcript.
impl<M: AsRef<[u8]>> SigningContext for Multimessage<M> {
    fn parties(&self) -> usize {
        self.pairs.len()
    }

    fn party_key(&self, party: usize) -> Option<&VerificationKey> {
        self.pairs.get(party).map(|(key, _)| key)
    }

    fn share_challenges(
        &self,
        transcript: &mut Transcript,
        nonce_sum: &CompressedRistretto,
    ) -> Result<Vec<Scalar>, MusigError> {
        multimessage::challenges(
            transcript,
            self.pairs.iter().map(|(key, msg)| (key, msg)),
            nonce_sum,
        )
    }
}

impl<C: sealed::Sealed + ?Sized> sealed::Sealed for &C {}

/// A borrowed context, so that several local signers can share one.
impl<C: SigningContext + ?Sized> SigningContext for &C {
    fn parties(&self) -> usize {
        (**self).parties()
    }

    fn party_key(&self, party: usize) -> Option<&VerificationKey> {
        (**self).party_key(party)
    }

    fn share_challenges(
        &self,
        transcript: &mut Transcript,
        nonce_sum: &CompressedRistretto,
    ) -> Result<Vec<Scalar>, MusigError> {
        (**self).share_challenges(transcript, nonce_sum)
    }
}
