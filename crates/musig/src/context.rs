//! What the parties of an interactive signing session sign: one message under
//! an aggregated key, one message per key, or one message per key where a key
//! may itself be aggregated and tweaked (docs/spec/musig.md §Interactive
//! signing, Contexts).

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;

use crate::{multimessage, signature, Multikey, MusigError, SecretKey, VerificationKey};

mod sealed {
    /// Keeps [`super::SigningContext`] to the crate's three flavours: a new
    /// one needs its own section of the spec.
    pub trait Sealed {}
}

/// The keys of an interactive signing session and the challenge each party's
/// share answers (docs/spec/musig.md §Interactive signing, Contexts).
///
/// Implemented by [`Multikey`] (every party signs the transcript's message;
/// the signature verifies with [`crate::Signature::verify`] under
/// [`Multikey::aggregated_key`]) and by [`Multimessage`] (party `i` signs its
/// own message `m_i`; the signature verifies with
/// [`crate::Signature::verify_multimessage`]), by [`NestedMultimessage`]
/// (one message per entry key, an entry key possibly a tweaked aggregate of
/// several parties' keys; the signature verifies with
/// [`crate::Signature::verify_multimessage`] over
/// [`NestedMultimessage::pairs`]), and by references to any of them.
/// Sealed: no other flavour exists.
pub trait SigningContext: sealed::Sealed {
    /// Number of parties, one per key (at least one).
    fn parties(&self) -> usize;

    /// The verification key `X_i` of party `party`, if there is one: the
    /// key its share is checked against (for a [`NestedMultimessage`], the
    /// shifted key `X'_i` at a tweaked position).
    fn party_key(&self, party: usize) -> Option<&VerificationKey>;

    /// Appends the context and the aggregated nonce commitment `R` to
    /// `transcript` and returns, for each party `i`, the scalar `e_i` its
    /// share must answer: `s_i·B = R_i + e_i·X_i`. For a [`Multikey`],
    /// `e_i = c·a_i`; for a [`Multimessage`], `e_i = c_i`; for a
    /// [`NestedMultimessage`], `e_i = c_j·a_i` with `j` the party's entry.
    /// The transcript steps are those of the one-shot signature, so the
    /// results agree.
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

/// One party of a [`NestedMultimessage`]: a constituent key of one entry.
#[derive(Clone, Debug)]
struct NestedParty {
    /// The key the party signs for, `X'_i = X_i + δ_i·B`.
    key: VerificationKey,
    /// The constituent's own key `X_i`.
    constituent: VerificationKey,
    /// Index of the party's entry.
    entry: usize,
    /// The constituent's aggregation factor `a_i` in its entry (1 for an
    /// entry of one key).
    factor: Scalar,
    /// The public shift `δ_i`: `tweak / a_i` for the first constituent of an
    /// entry with a non-zero tweak, zero otherwise.
    shift: Scalar,
}

/// Multi-message signing where an entry's key may belong to several parties:
/// entry `j` has constituent keys `X_{j,1} … X_{j,k}` (one person, or a MuSig
/// n-of-n account), a public tweak `t_j` (a taproot commitment, or zero) and
/// a message `m_j`, and its key is
/// `K_j = Multikey::new([X_{j,1} … X_{j,k}]).aggregated_key() + t_j·B`
/// (just `X_{j,1} + t_j·B` for one key). The signature is an ordinary
/// multi-message signature over the pairs `(K_j, m_j)`
/// ([`NestedMultimessage::pairs`], what
/// [`crate::Signature::verify_multimessage`] and ZkVM's `signtx` take)
/// (docs/spec/musig.md §Interactive signing, Contexts).
///
/// The parties are all constituents, entry by entry, in the order of their
/// keys. Party `i` signs for `X_i`, except the first constituent of an entry
/// with a non-zero tweak, which signs for `X_i + (t_j/a_i)·B` with the secret
/// `x_i + t_j/a_i` ([`NestedMultimessage::party_secret`]), so that
/// `Σ a_i·X'_i = K_j`. Its share answers `e_i = c_j·a_i`, with `c_j` the
/// multi-message challenge of entry `j`.
#[derive(Clone, Debug)]
pub struct NestedMultimessage<M> {
    pairs: Vec<(VerificationKey, M)>,
    parties: Vec<NestedParty>,
}

impl<M: AsRef<[u8]>> NestedMultimessage<M> {
    /// Builds the context from `(constituent keys, tweak, message)` entries,
    /// in signing order. A zero tweak means none.
    ///
    /// Fails with [`MusigError::NoKeys`] if there are no entries, and with
    /// [`MusigError::EmptyEntry`] naming the first entry without keys.
    pub fn new(entries: Vec<(Vec<VerificationKey>, Scalar, M)>) -> Result<Self, MusigError> {
        if entries.is_empty() {
            return Err(MusigError::NoKeys);
        }
        let mut pairs = Vec::with_capacity(entries.len());
        let mut parties = Vec::new();
        for (entry, (keys, tweak, message)) in entries.into_iter().enumerate() {
            if keys.is_empty() {
                return Err(MusigError::EmptyEntry { entry });
            }
            let multikey = Multikey::new(keys)?;
            let tweaked = tweak != Scalar::ZERO;
            let tweak_point = &tweak * RISTRETTO_BASEPOINT_TABLE;
            let entry_key =
                VerificationKey::from_point(multikey.aggregated_key().as_point() + tweak_point);
            for (i, (constituent, factor)) in
                multikey.keys().iter().zip(multikey.factors()).enumerate()
            {
                // A factor is a hash output: zero with negligible
                // probability. Were it zero, `invert` would give zero, the
                // shift would be lost and the shares would not add up to a
                // valid signature (no secret would leak).
                let (key, shift) = if i == 0 && tweaked {
                    let shift = tweak * factor.invert();
                    let point = constituent.as_point() + &shift * RISTRETTO_BASEPOINT_TABLE;
                    (VerificationKey::from_point(point), shift)
                } else {
                    (*constituent, Scalar::ZERO)
                };
                parties.push(NestedParty {
                    key,
                    constituent: *constituent,
                    entry,
                    factor: *factor,
                    shift,
                });
            }
            pairs.push((entry_key, message));
        }
        Ok(NestedMultimessage { pairs, parties })
    }

    /// The pairs `(K_j, m_j)`, in entry order: what
    /// [`crate::Signature::verify_multimessage`] takes and what `signtx`
    /// signs (`K_j` the predicate key, `m_j` the contract ID).
    pub fn pairs(&self) -> &[(VerificationKey, M)] {
        &self.pairs
    }

    /// The entry party `position` belongs to, if there is such a party.
    pub fn entry_of(&self, position: usize) -> Option<usize> {
        self.parties.get(position).map(|p| p.entry)
    }

    /// The constituent key `X_i` at `position`, untweaked: the key whose
    /// secret the party holds. [`SigningContext::party_key`] gives the key it
    /// signs for.
    pub fn constituent_key(&self, position: usize) -> Option<&VerificationKey> {
        self.parties.get(position).map(|p| &p.constituent)
    }

    /// The secret party `position` signs with, given its own secret `x_i`:
    /// `x_i + t_j/a_i` at the tweaked position of entry `j`, `x_i` elsewhere.
    /// Pass the result to [`crate::SignerAwaitingPrecommitments::new`] at
    /// the same position.
    ///
    /// Fails with [`MusigError::PositionOutOfRange`], or with
    /// [`MusigError::WrongSecretKey`] if `x_i·B` is not the constituent key
    /// at `position`.
    pub fn party_secret(&self, position: usize, key: &SecretKey) -> Result<SecretKey, MusigError> {
        let party = self
            .parties
            .get(position)
            .ok_or(MusigError::PositionOutOfRange {
                position,
                parties: self.parties.len(),
            })?;
        if key.verification_key() != party.constituent {
            return Err(MusigError::WrongSecretKey { index: position });
        }
        Ok(key.tweak(&party.shift))
    }
}

impl<M> sealed::Sealed for NestedMultimessage<M> {}

/// Nested multi-message: `c_j` from the multi-message transcript over the
/// entry pairs, `e_i = c_j·a_i` for party `i` of entry `j`.
impl<M: AsRef<[u8]>> SigningContext for NestedMultimessage<M> {
    fn parties(&self) -> usize {
        self.parties.len()
    }

    fn party_key(&self, party: usize) -> Option<&VerificationKey> {
        self.parties.get(party).map(|p| &p.key)
    }

    fn share_challenges(
        &self,
        transcript: &mut Transcript,
        nonce_sum: &CompressedRistretto,
    ) -> Result<Vec<Scalar>, MusigError> {
        let c = multimessage::challenges(
            transcript,
            self.pairs.iter().map(|(key, msg)| (key, msg)),
            nonce_sum,
        )?;
        self.parties
            .iter()
            .map(|p| {
                c.get(p.entry)
                    .map(|cj| cj * p.factor)
                    .ok_or(MusigError::NoKeys)
            })
            .collect()
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::{Signature, SignatureShare, SignerAwaitingPrecommitments, VerificationKey as Key};

    fn secrets(n: u64) -> Vec<SecretKey> {
        (0..n)
            .map(|i| SecretKey::from_scalar(Scalar::from(1_000 + 31 * i)))
            .collect()
    }

    fn signtx_transcript() -> Transcript {
        let mut t = Transcript::new(b"ZkVM.signtx");
        t.append_message(b"txid", &[7; 32]);
        t
    }

    /// Runs a full session, every party signing with
    /// `context.party_secret(i, x_i)`; `corrupt` adds one to that party's
    /// share on the wire. Returns every party's outcome.
    fn run(
        context: &NestedMultimessage<[u8; 32]>,
        keys: &[SecretKey],
        corrupt: Option<usize>,
    ) -> Vec<Result<Signature, MusigError>> {
        let t = signtx_transcript();
        let (states, pre): (Vec<_>, Vec<_>) = keys
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let secret = context.party_secret(i, x).unwrap();
                SignerAwaitingPrecommitments::new(t.clone(), context, i, &secret).unwrap()
            })
            .unzip();
        let (states, com): (Vec<_>, Vec<_>) = states
            .into_iter()
            .map(|s| s.receive_precommitments(&pre).unwrap())
            .unzip();
        let (states, mut shares): (Vec<_>, Vec<_>) = states
            .into_iter()
            .map(|s| s.receive_commitments(&com).unwrap())
            .unzip();
        if let Some(bad) = corrupt {
            shares[bad] = SignatureShare::from_scalar(shares[bad].as_scalar() + Scalar::ONE);
        }
        states
            .into_iter()
            .map(|s| s.receive_shares(&shares))
            .collect()
    }

    fn agreed(outcomes: Vec<Result<Signature, MusigError>>) -> Signature {
        let first = outcomes[0].clone().unwrap();
        assert!(outcomes.iter().all(|o| *o == Ok(first)));
        first
    }

    /// Entry 0: alice and bob's 2-of-2 account tweaked by `tweak`; entry 1:
    /// carol alone.
    fn account_and_single(keys: &[SecretKey], tweak: Scalar) -> NestedMultimessage<[u8; 32]> {
        NestedMultimessage::new(vec![
            (
                vec![keys[0].verification_key(), keys[1].verification_key()],
                tweak,
                [1; 32],
            ),
            (vec![keys[2].verification_key()], Scalar::from(0u8), [2; 32]),
        ])
        .unwrap()
    }

    fn check_account_and_single(tweak: Scalar) {
        let keys = secrets(3);
        let context = account_and_single(&keys, tweak);
        assert_eq!(context.parties(), 3);
        assert_eq!(
            (0..4).map(|i| context.entry_of(i)).collect::<Vec<_>>(),
            [Some(0), Some(0), Some(1), None]
        );

        // The entry keys are the tweaked aggregated key and carol's key:
        // what a holder of every secret would sign for.
        let account =
            Multikey::new(vec![keys[0].verification_key(), keys[1].verification_key()]).unwrap();
        let account_secret = account.aggregated_secret(&keys[..2]).unwrap().tweak(&tweak);
        let expected: Vec<(Key, [u8; 32])> = vec![
            (account_secret.verification_key(), [1; 32]),
            (keys[2].verification_key(), [2; 32]),
        ];
        assert_eq!(context.pairs(), &expected[..]);

        // Σ a_i·X'_i = K_0 over the account's parties.
        let sum: curve25519_dalek::ristretto::RistrettoPoint = (0..2)
            .map(|i| account.factor(i).unwrap() * context.party_key(i).unwrap().as_point())
            .sum();
        assert_eq!(sum, *expected[0].0.as_point());

        let sig = agreed(run(&context, &keys, None));
        assert_eq!(
            sig.verify_multimessage(&mut signtx_transcript(), &expected),
            Ok(())
        );
        // Not under the untweaked account key (unless there is no tweak).
        let untweaked = vec![
            (account.aggregated_key(), [1; 32]),
            (keys[2].verification_key(), [2; 32]),
        ];
        assert_eq!(
            sig.verify_multimessage(&mut signtx_transcript(), &untweaked)
                .is_ok(),
            tweak == Scalar::ZERO
        );
        // A one-shot signer holding every entry secret makes a signature
        // that verifies under the same pairs.
        let one_shot = Signature::sign_multimessage(
            &mut signtx_transcript(),
            &[(account_secret, [1; 32]), (keys[2].clone(), [2; 32])],
        )
        .unwrap();
        assert_eq!(
            one_shot.verify_multimessage(&mut signtx_transcript(), context.pairs()),
            Ok(())
        );
    }

    #[test]
    fn tweaked_account_and_single_key_sign_together() {
        check_account_and_single(Scalar::from(0x7a9_u64) * Scalar::from(u64::MAX));
    }

    #[test]
    fn untweaked_account_and_single_key_sign_together() {
        check_account_and_single(Scalar::ZERO);
        let keys = secrets(3);
        let context = account_and_single(&keys, Scalar::ZERO);
        for (i, x) in keys.iter().enumerate() {
            assert_eq!(context.party_key(i), Some(&x.verification_key()));
            assert_eq!(context.constituent_key(i), Some(&x.verification_key()));
        }
    }

    #[test]
    fn single_inner_key_with_a_tweak_is_a_taproot_key() {
        let keys = secrets(2);
        let tweak = Scalar::from(12_345u64);
        let context = NestedMultimessage::new(vec![
            (vec![keys[0].verification_key()], Scalar::ZERO, [1; 32]),
            (vec![keys[1].verification_key()], tweak, [2; 32]),
        ])
        .unwrap();
        let outer = keys[1].tweak(&tweak).verification_key();
        assert_eq!(context.pairs()[1].0, outer);
        assert_eq!(context.party_key(1), Some(&outer));
        assert_eq!(
            context
                .party_secret(1, &keys[1])
                .unwrap()
                .verification_key(),
            outer
        );
        let sig = agreed(run(&context, &keys, None));
        assert_eq!(
            sig.verify_multimessage(&mut signtx_transcript(), context.pairs()),
            Ok(())
        );
    }

    #[test]
    fn a_wrong_share_from_a_constituent_is_named_by_its_position() {
        let keys = secrets(3);
        let context = account_and_single(&keys, Scalar::from(99u8));
        for bad in 0..3 {
            let outcomes = run(&context, &keys, Some(bad));
            assert!(outcomes
                .iter()
                .all(|o| *o == Err(MusigError::InvalidShare { party: bad })));
        }
    }

    #[test]
    fn the_untweaked_secret_is_refused_at_the_tweaked_position() {
        let keys = secrets(3);
        let context = account_and_single(&keys, Scalar::from(5u8));
        let t = signtx_transcript();
        assert_eq!(
            SignerAwaitingPrecommitments::new(t.clone(), &context, 0, &keys[0]).unwrap_err(),
            MusigError::WrongSecretKey { index: 0 }
        );
        // The other constituent of the entry signs with its own key.
        assert!(SignerAwaitingPrecommitments::new(t.clone(), &context, 1, &keys[1]).is_ok());
        // party_secret wants the constituent's own key at its own position.
        assert_eq!(
            context.party_secret(0, &keys[1]).unwrap_err(),
            MusigError::WrongSecretKey { index: 0 }
        );
        let tweaked = context.party_secret(0, &keys[0]).unwrap();
        assert_eq!(
            context.party_secret(0, &tweaked).unwrap_err(),
            MusigError::WrongSecretKey { index: 0 }
        );
        assert_eq!(
            context.party_secret(3, &keys[0]).unwrap_err(),
            MusigError::PositionOutOfRange {
                position: 3,
                parties: 3
            }
        );
    }

    #[test]
    fn malformed_entries_are_rejected() {
        let keys = secrets(1);
        assert_eq!(
            NestedMultimessage::<[u8; 32]>::new(vec![]).unwrap_err(),
            MusigError::NoKeys
        );
        assert_eq!(
            NestedMultimessage::new(vec![
                (vec![keys[0].verification_key()], Scalar::ZERO, [1u8; 32]),
                (vec![], Scalar::ONE, [2u8; 32]),
            ])
            .unwrap_err(),
            MusigError::EmptyEntry { entry: 1 }
        );
    }
}
