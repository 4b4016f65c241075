//! Interactive multi-party signing as typestates (docs/spec/musig.md
//! §Interactive signing):
//!
//! ```text
//! SignerAwaitingPrecommitments::new  -> NoncePrecommitment (sent)
//!   .receive_precommitments(all n)   -> NonceCommitment    (sent)
//!   .receive_commitments(all n)      -> SignatureShare     (sent)
//!   .receive_shares(all n)           -> Signature
//! ```
//!
//! Every transition consumes the state, so a nonce answers one challenge
//! only; a failed transition ends the session (the nonce is wiped) and a new
//! one starts with a fresh nonce.

use core::fmt;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand_core::{CryptoRng, OsRng, RngCore};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::messages::{NonceCommitment, NoncePrecommitment, SignatureShare};
use crate::signature::nonce;
use crate::{MusigError, SecretKey, Signature, SigningContext};

/// A signer's secrets: its key `x_i` and nonce `r_i`, in one heap
/// allocation (a state moves as a pointer) that is wiped on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
struct PartySecrets {
    key: SecretKey,
    nonce: Scalar,
}

/// Fails unless there is one message per party.
fn one_per_party<T>(
    messages: &[T],
    parties: usize,
    message: &'static str,
) -> Result<(), MusigError> {
    if messages.len() == parties {
        Ok(())
    } else {
        Err(MusigError::MessageCount {
            message,
            expected: parties,
            got: messages.len(),
        })
    }
}

/// Round 1 of interactive signing: the signer has published its
/// [`NoncePrecommitment`] and waits for every party's (docs/spec/musig.md
/// §Interactive signing, Rounds).
///
/// Holds the secret key and nonce, wiped on drop; `Debug` shows neither.
pub struct SignerAwaitingPrecommitments<C> {
    transcript: Transcript,
    context: C,
    position: usize,
    secrets: Box<PartySecrets>,
    commitment: NonceCommitment,
    precommitment: NoncePrecommitment,
}

impl<C: SigningContext> SignerAwaitingPrecommitments<C> {
    /// Starts a session as party `position` of `context` with `key`, whose
    /// verification key must be the context's key at `position`
    /// (docs/spec/musig.md §Interactive signing, Rounds). Returns the state
    /// and the precommitment to send to every other party.
    ///
    /// Every party must start from the same `transcript`: bound to the
    /// message for a [`crate::Multikey`] context, the `signtx` transcript
    /// (txid appended) for a [`crate::Multimessage`] or
    /// [`crate::NestedMultimessage`] one. For the latter, `key` is
    /// [`crate::NestedMultimessage::party_secret`] at `position`.
    ///
    /// Fails with [`MusigError::PositionOutOfRange`] or
    /// [`MusigError::WrongSecretKey`].
    pub fn new(
        transcript: Transcript,
        context: C,
        position: usize,
        key: &SecretKey,
    ) -> Result<(Self, NoncePrecommitment), MusigError> {
        Self::new_with_rng(transcript, context, position, key, &mut OsRng)
    }

    /// [`SignerAwaitingPrecommitments::new`] with a caller's RNG. The nonce
    /// comes from the transcript's RNG keyed with the secret key under
    /// `"x_i"` and finalized with `rng` (docs/spec/musig.md §Interactive
    /// signing, Nonces and secrets), so a weak `rng` alone does not expose the
    /// key. A deterministic `rng` is for tests only: the same nonce with two
    /// different sets of commitments reveals the key.
    pub fn new_with_rng<R: RngCore + CryptoRng>(
        transcript: Transcript,
        context: C,
        position: usize,
        key: &SecretKey,
        rng: &mut R,
    ) -> Result<(Self, NoncePrecommitment), MusigError> {
        let expected = context
            .party_key(position)
            .ok_or(MusigError::PositionOutOfRange {
                position,
                parties: context.parties(),
            })?;
        if key.verification_key() != *expected {
            return Err(MusigError::WrongSecretKey { index: position });
        }
        let r = nonce(&transcript, b"x_i", key.scalar(), rng);
        let commitment = NonceCommitment::from_point(&*r * RISTRETTO_BASEPOINT_TABLE);
        let precommitment = commitment.precommit();
        let secrets = Box::new(PartySecrets {
            key: key.clone(),
            nonce: *r,
        });
        let state = SignerAwaitingPrecommitments {
            transcript,
            context,
            position,
            secrets,
            commitment,
            precommitment,
        };
        Ok((state, precommitment))
    }

    /// Takes every party's precommitment, in position order, this signer's
    /// own included, and returns the next state and this signer's
    /// [`NonceCommitment`] to reveal (docs/spec/musig.md §Interactive
    /// signing, Rounds).
    ///
    /// Fails with [`MusigError::MessageCount`] unless there is one per party,
    /// and with [`MusigError::InconsistentCommitment`] naming this signer if
    /// the entry at its own position is not the precommitment it sent.
    pub fn receive_precommitments(
        self,
        precommitments: &[NoncePrecommitment],
    ) -> Result<(SignerAwaitingCommitments<C>, NonceCommitment), MusigError> {
        one_per_party(
            precommitments,
            self.context.parties(),
            "nonce precommitment",
        )?;
        let own_intact = precommitments
            .get(self.position)
            .is_some_and(|p| bool::from(p.ct_eq(&self.precommitment)));
        if !own_intact {
            return Err(MusigError::InconsistentCommitment {
                party: self.position,
            });
        }
        let commitment = self.commitment;
        let state = SignerAwaitingCommitments {
            transcript: self.transcript,
            context: self.context,
            position: self.position,
            secrets: self.secrets,
            commitment: self.commitment,
            precommitments: precommitments.to_vec(),
        };
        Ok((state, commitment))
    }
}

impl<C> fmt::Debug for SignerAwaitingPrecommitments<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignerAwaitingPrecommitments")
            .field("position", &self.position)
            .field("commitment", &self.commitment)
            .finish_non_exhaustive()
    }
}

/// Round 2 of interactive signing: every precommitment is in; the signer
/// has revealed its [`NonceCommitment`] and waits for every party's
/// (docs/spec/musig.md §Interactive signing, Rounds).
///
/// Holds the secret key and nonce, wiped on drop; `Debug` shows neither.
pub struct SignerAwaitingCommitments<C> {
    transcript: Transcript,
    context: C,
    position: usize,
    secrets: Box<PartySecrets>,
    commitment: NonceCommitment,
    precommitments: Vec<NoncePrecommitment>,
}

impl<C: SigningContext> SignerAwaitingCommitments<C> {
    /// Takes every party's nonce commitment, in position order, this
    /// signer's own included; checks each against its precommitment; computes
    /// `R = Σ R_i`, the challenges, and this signer's share, which it returns
    /// with the next state (docs/spec/musig.md §Interactive signing, Rounds).
    /// The secret key and nonce are wiped here, whether this succeeds or not.
    ///
    /// Fails with [`MusigError::MessageCount`] unless there is one per party,
    /// and with [`MusigError::InconsistentCommitment`] naming the first
    /// position whose commitment does not match its precommitment (or, at
    /// this signer's position, is not the commitment it revealed).
    pub fn receive_commitments(
        self,
        commitments: &[NonceCommitment],
    ) -> Result<(SignerAwaitingShares, SignatureShare), MusigError> {
        let parties = self.context.parties();
        one_per_party(commitments, parties, "nonce commitment")?;
        for (party, (commitment, precommitment)) in
            commitments.iter().zip(&self.precommitments).enumerate()
        {
            let mut consistent = commitment.precommit().ct_eq(precommitment);
            if party == self.position {
                consistent &= commitment.ct_eq(&self.commitment);
            }
            if !bool::from(consistent) {
                return Err(MusigError::InconsistentCommitment { party });
            }
        }
        let nonce_sum = commitments
            .iter()
            .map(NonceCommitment::as_point)
            .sum::<RistrettoPoint>()
            .compress();
        let mut transcript = self.transcript;
        let challenges = self.context.share_challenges(&mut transcript, &nonce_sum)?;

        let mut counterparties = Vec::with_capacity(parties);
        for (party, (commitment, challenge)) in commitments.iter().zip(challenges).enumerate() {
            let key = self
                .context
                .party_key(party)
                .ok_or(MusigError::PositionOutOfRange {
                    position: party,
                    parties,
                })?;
            counterparties.push(Counterparty {
                nonce: *commitment.as_point(),
                key: *key.as_point(),
                challenge,
            });
        }
        let own = counterparties
            .get(self.position)
            .ok_or(MusigError::PositionOutOfRange {
                position: self.position,
                parties,
            })?;
        let secrets = self.secrets;
        let answer = Zeroizing::new(own.challenge * secrets.key.scalar());
        let share = SignatureShare::from_scalar(secrets.nonce + *answer);
        drop(secrets);

        let state = SignerAwaitingShares {
            position: self.position,
            nonce_sum,
            own_share: share,
            counterparties,
        };
        Ok((state, share))
    }
}

impl<C> fmt::Debug for SignerAwaitingCommitments<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignerAwaitingCommitments")
            .field("position", &self.position)
            .field("commitment", &self.commitment)
            .finish_non_exhaustive()
    }
}

/// What a share from one party must satisfy: `s_i·B = R_i + e_i·X_i`.
#[derive(Clone, Debug)]
struct Counterparty {
    /// `R_i`.
    nonce: RistrettoPoint,
    /// `X_i`.
    key: RistrettoPoint,
    /// `e_i`: `c·a_i` or `c_i`.
    challenge: Scalar,
}

impl Counterparty {
    /// Whether `share` satisfies `s_i·B - e_i·X_i = R_i` (public data:
    /// variable time).
    fn accepts(&self, share: &SignatureShare) -> bool {
        RistrettoPoint::vartime_double_scalar_mul_basepoint(
            &-self.challenge,
            &self.key,
            share.as_scalar(),
        ) == self.nonce
    }
}

/// Round 3 of interactive signing: the signer has sent its
/// [`SignatureShare`] and waits for every party's (docs/spec/musig.md
/// §Interactive signing, Rounds). Holds no secret.
#[derive(Debug)]
pub struct SignerAwaitingShares {
    position: usize,
    nonce_sum: CompressedRistretto,
    own_share: SignatureShare,
    counterparties: Vec<Counterparty>,
}

impl SignerAwaitingShares {
    /// Takes every party's share, in position order, this signer's own
    /// included; checks each with `s_i·B = R_i + e_i·X_i` and returns the
    /// signature `(Σ R_i, Σ s_i)` (docs/spec/musig.md §Interactive signing,
    /// Rounds).
    ///
    /// Fails with [`MusigError::MessageCount`] unless there is one per party,
    /// and with [`MusigError::InvalidShare`] naming the first position whose
    /// share fails its check (or, at this signer's position, is not the
    /// share it sent).
    pub fn receive_shares(self, shares: &[SignatureShare]) -> Result<Signature, MusigError> {
        one_per_party(shares, self.counterparties.len(), "signature share")?;
        let mut s = Scalar::ZERO;
        for (party, (share, counterparty)) in shares.iter().zip(&self.counterparties).enumerate() {
            let own_intact = party != self.position || *share == self.own_share;
            if !own_intact || !counterparty.accepts(share) {
                return Err(MusigError::InvalidShare { party });
            }
            s += share.as_scalar();
        }
        Ok(Signature {
            r: self.nonce_sum,
            s,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::{Multikey, Multimessage, VerificationKey};

    fn secrets(n: u64) -> Vec<SecretKey> {
        (0..n)
            .map(|i| SecretKey::from_scalar(Scalar::from(77 + i)))
            .collect()
    }

    #[test]
    fn states_do_not_print_secrets() {
        let key = SecretKey::from_scalar(Scalar::from(0xdead_beefu64));
        let multikey = Multikey::new(vec![key.verification_key()]).unwrap();
        let (state, _) =
            SignerAwaitingPrecommitments::new(Transcript::new(b"t"), multikey, 0, &key).unwrap();
        let shown = format!("{state:?}");
        assert!(shown.starts_with("SignerAwaitingPrecommitments { position: 0,"));
        assert!(shown.ends_with(", .. }"));
        assert!(!shown.contains("secrets"));
        assert!(!shown.contains("transcript"));
    }

    #[test]
    fn two_parties_sign_and_each_share_answers_its_challenge() {
        let keys = secrets(2);
        let pairs: Vec<(VerificationKey, &[u8])> = vec![
            (keys[0].verification_key(), b"first"),
            (keys[1].verification_key(), b"second"),
        ];
        let context = Multimessage::new(pairs).unwrap();
        let t = Transcript::new(b"unit");
        let (s0, p0) = SignerAwaitingPrecommitments::new(t.clone(), &context, 0, &keys[0]).unwrap();
        let (s1, p1) = SignerAwaitingPrecommitments::new(t.clone(), &context, 1, &keys[1]).unwrap();
        let (s0, c0) = s0.receive_precommitments(&[p0, p1]).unwrap();
        let (s1, c1) = s1.receive_precommitments(&[p0, p1]).unwrap();
        let (s0, z0) = s0.receive_commitments(&[c0, c1]).unwrap();
        let (s1, z1) = s1.receive_commitments(&[c0, c1]).unwrap();
        assert!(s0.counterparties[0].accepts(&z0));
        assert!(s0.counterparties[1].accepts(&z1));
        assert!(!s0.counterparties[0].accepts(&z1));
        let sig0 = s0.receive_shares(&[z0, z1]).unwrap();
        let sig1 = s1.receive_shares(&[z0, z1]).unwrap();
        assert_eq!(sig0, sig1);
        assert_eq!(
            sig0.verify_multimessage(&mut t.clone(), context.pairs()),
            Ok(())
        );
    }
}
