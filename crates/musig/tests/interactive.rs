#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Interactive multi-party signing (docs/spec/musig.md §Interactive signing):
//! sessions of 1 to 7 parties for both flavours, signatures checked with the
//! one-shot verifiers and in an r1cs batch, misbehaving parties named,
//! wrong message counts rejected, and the wire encodings of the three
//! messages (with proptest).

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use musig::{
    Multikey, Multimessage, MusigError, NonceCommitment, NoncePrecommitment, SecretKey, Signature,
    SignatureShare, SignerAwaitingPrecommitments, SigningContext, VerificationKey,
};
use proptest::prelude::*;
use r1cs::{find_failures, verify_batch, BulletproofGens};
use rand::rngs::StdRng;
use rand::SeedableRng;

const PARTY_COUNTS: [u64; 4] = [1, 2, 3, 7];

fn secrets(n: u64, seed: u64) -> Vec<SecretKey> {
    (0..n)
        .map(|i| SecretKey::from_scalar(Scalar::from(seed * 1000 + i + 1)))
        .collect()
}

fn message_transcript(msg: &[u8]) -> Transcript {
    let mut t = Transcript::new(b"musig interactive test");
    t.append_message(b"msg", msg);
    t
}

fn signtx_transcript(txid: u8) -> Transcript {
    let mut t = Transcript::new(b"ZkVM.signtx");
    t.append_message(b"txid", &[txid; 32]);
    t
}

fn multikey(keys: &[SecretKey]) -> Multikey {
    Multikey::new(keys.iter().map(SecretKey::verification_key).collect()).unwrap()
}

/// Each party `i` signs the 32-byte "contract ID" `[i; 32]`.
fn multimessage(keys: &[SecretKey]) -> Multimessage<[u8; 32]> {
    Multimessage::new(
        keys.iter()
            .enumerate()
            .map(|(i, k)| (k.verification_key(), [i as u8; 32]))
            .collect(),
    )
    .unwrap()
}

/// How one party misbehaves: it alters the message it broadcasts in one
/// round (everyone, itself included, receives the altered message).
#[derive(Clone, Copy, Debug)]
enum Fault {
    None,
    /// Reveals a commitment other than the one it precommitted to.
    SwapsCommitment(usize),
    /// Sends its share plus one.
    CorruptsShare(usize),
}

/// Runs a full session with every party in its own state machine and
/// returns each party's outcome.
fn run_session<C: SigningContext + Copy>(
    transcript: &Transcript,
    context: C,
    keys: &[SecretKey],
    fault: Fault,
) -> Vec<Result<Signature, MusigError>> {
    let (states, precommitments): (Vec<_>, Vec<_>) = keys
        .iter()
        .enumerate()
        .map(|(i, k)| SignerAwaitingPrecommitments::new(transcript.clone(), context, i, k).unwrap())
        .unzip();

    let (states, mut commitments): (Vec<_>, Vec<_>) = states
        .into_iter()
        .map(|s| s.receive_precommitments(&precommitments).unwrap())
        .unzip();
    if let Fault::SwapsCommitment(j) = fault {
        let other = Scalar::from(123_456u64) * RISTRETTO_BASEPOINT_POINT;
        commitments[j] = NonceCommitment::from_bytes(other.compress().as_bytes()).unwrap();
    }

    let mut states_and_shares = Vec::new();
    let mut outcomes = vec![None; keys.len()];
    for (i, s) in states.into_iter().enumerate() {
        match s.receive_commitments(&commitments) {
            Ok(pair) => states_and_shares.push((i, pair)),
            Err(e) => outcomes[i] = Some(Err(e)),
        }
    }
    let mut shares: Vec<SignatureShare> = states_and_shares.iter().map(|(_, (_, z))| *z).collect();
    if shares.len() == keys.len() {
        if let Fault::CorruptsShare(j) = fault {
            let bumped = shares[j].as_scalar() + Scalar::ONE;
            shares[j] = SignatureShare::from_bytes(bumped.as_bytes()).unwrap();
        }
        for (i, (state, _)) in states_and_shares {
            outcomes[i] = Some(state.receive_shares(&shares));
        }
    }
    outcomes.into_iter().map(Option::unwrap).collect()
}

/// The one signature every party agrees on, if they all succeeded.
fn agreed(outcomes: Vec<Result<Signature, MusigError>>) -> Signature {
    let first = outcomes[0].clone().unwrap();
    for o in outcomes {
        assert_eq!(o, Ok(first));
    }
    first
}

#[test]
fn aggregated_key_signatures_by_1_2_3_and_7_parties_verify() {
    for n in PARTY_COUNTS {
        let keys = secrets(n, n);
        let context = multikey(&keys);
        let t = message_transcript(b"pay 10 to carol");
        let sig = agreed(run_session(&t, &context, &keys, Fault::None));
        let key = context.aggregated_key();
        assert_eq!(sig.verify(&mut t.clone(), &key), Ok(()), "n = {n}");
        assert_eq!(
            sig.verify(&mut message_transcript(b"pay 11 to carol"), &key),
            Err(MusigError::VerificationFailed)
        );
        // Decoding the signature from the wire changes nothing.
        let decoded = Signature::from_bytes(&sig.to_bytes()).unwrap();
        assert_eq!(decoded.verify(&mut t.clone(), &key), Ok(()));
    }
}

#[test]
fn multimessage_signatures_by_1_2_3_and_7_parties_verify() {
    for n in PARTY_COUNTS {
        let keys = secrets(n, 10 + n);
        let context = multimessage(&keys);
        let sig = agreed(run_session(
            &signtx_transcript(7),
            &context,
            &keys,
            Fault::None,
        ));
        assert_eq!(
            sig.verify_multimessage(&mut signtx_transcript(7), context.pairs()),
            Ok(()),
            "n = {n}"
        );
        assert_eq!(
            sig.verify_multimessage(&mut signtx_transcript(8), context.pairs()),
            Err(MusigError::VerificationFailed)
        );
        let mut other = context.pairs().to_vec();
        other[n as usize - 1].1[0] ^= 1;
        assert_eq!(
            sig.verify_multimessage(&mut signtx_transcript(7), &other),
            Err(MusigError::VerificationFailed)
        );
    }
}

#[test]
fn one_party_with_the_same_nonce_matches_the_one_shot_multimessage_signature() {
    let keys = secrets(1, 99);
    let context = multimessage(&keys);
    let seed = 2024;
    let (state, precommitment) = SignerAwaitingPrecommitments::new_with_rng(
        signtx_transcript(1),
        &context,
        0,
        &keys[0],
        &mut StdRng::seed_from_u64(seed),
    )
    .unwrap();
    let (state, commitment) = state.receive_precommitments(&[precommitment]).unwrap();
    let (state, share) = state.receive_commitments(&[commitment]).unwrap();
    let interactive = state.receive_shares(&[share]).unwrap();

    let pairs = [(keys[0].clone(), [0u8; 32])];
    let one_shot = Signature::sign_multimessage_with_rng(
        &mut signtx_transcript(1),
        &pairs,
        &mut StdRng::seed_from_u64(seed),
    )
    .unwrap();
    assert_eq!(interactive.to_bytes(), one_shot.to_bytes());
    assert_eq!(
        interactive.nonce_commitment().as_bytes(),
        &commitment.to_bytes()
    );
}

#[test]
fn one_party_aggregated_signature_is_a_plain_signature_by_its_key() {
    let keys = secrets(1, 5);
    let context = multikey(&keys);
    let t = message_transcript(b"alone");
    let sig = agreed(run_session(&t, &context, &keys, Fault::None));
    assert_eq!(
        sig.verify(&mut t.clone(), &keys[0].verification_key()),
        Ok(())
    );
}

#[test]
fn a_commitment_that_does_not_match_its_precommitment_names_the_party() {
    for n in [2u64, 3, 7] {
        for cheater in [0, n as usize - 1] {
            let keys = secrets(n, 20 + n);
            let t = message_transcript(b"m");
            let outcomes =
                run_session(&t, &multikey(&keys), &keys, Fault::SwapsCommitment(cheater));
            for o in outcomes {
                assert_eq!(
                    o,
                    Err(MusigError::InconsistentCommitment { party: cheater })
                );
            }
            let context = multimessage(&keys);
            let outcomes = run_session(&t, &context, &keys, Fault::SwapsCommitment(cheater));
            for o in outcomes {
                assert_eq!(
                    o,
                    Err(MusigError::InconsistentCommitment { party: cheater })
                );
            }
        }
    }
}

#[test]
fn a_corrupted_share_names_the_party() {
    for n in [1u64, 2, 3, 7] {
        for cheater in [0, n as usize / 2, n as usize - 1] {
            let keys = secrets(n, 30 + n);
            let t = signtx_transcript(3);
            let outcomes = run_session(&t, &multikey(&keys), &keys, Fault::CorruptsShare(cheater));
            for o in outcomes {
                assert_eq!(o, Err(MusigError::InvalidShare { party: cheater }));
            }
            let context = multimessage(&keys);
            let outcomes = run_session(&t, &context, &keys, Fault::CorruptsShare(cheater));
            for o in outcomes {
                assert_eq!(o, Err(MusigError::InvalidShare { party: cheater }));
            }
        }
    }
}

#[test]
fn a_share_made_for_another_message_is_rejected() {
    // Party 1 answers the challenge of a different message: its share is
    // well-formed but fails s_1·B = R_1 + c·a_1·X_1.
    let keys = secrets(2, 40);
    let context = multikey(&keys);
    let honest = message_transcript(b"honest");
    let (s0, p0) =
        SignerAwaitingPrecommitments::new(honest.clone(), &context, 0, &keys[0]).unwrap();
    let (s1, p1) =
        SignerAwaitingPrecommitments::new(message_transcript(b"other"), &context, 1, &keys[1])
            .unwrap();
    let (s0, c0) = s0.receive_precommitments(&[p0, p1]).unwrap();
    let (s1, c1) = s1.receive_precommitments(&[p0, p1]).unwrap();
    let (s0, z0) = s0.receive_commitments(&[c0, c1]).unwrap();
    let (_, z1) = s1.receive_commitments(&[c0, c1]).unwrap();
    assert_eq!(
        s0.receive_shares(&[z0, z1]),
        Err(MusigError::InvalidShare { party: 1 })
    );
}

#[test]
fn messages_out_of_order_name_the_first_misplaced_party() {
    let keys = secrets(3, 50);
    let context = multikey(&keys);
    let t = message_transcript(b"m");
    let mut states = Vec::new();
    let mut precommitments = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let (s, p) = SignerAwaitingPrecommitments::new(t.clone(), &context, i, k).unwrap();
        states.push(s);
        precommitments.push(p);
    }
    let mut commitments = Vec::new();
    let mut next = Vec::new();
    for s in states {
        let (s, c) = s.receive_precommitments(&precommitments).unwrap();
        next.push(s);
        commitments.push(c);
    }
    commitments.swap(1, 2);
    for s in next {
        assert!(matches!(
            s.receive_commitments(&commitments),
            Err(MusigError::InconsistentCommitment { party: 1 })
        ));
    }

    // A signer whose own precommitment was replaced in transit names itself.
    let (s, _) = SignerAwaitingPrecommitments::new(t.clone(), &context, 2, &keys[2]).unwrap();
    let mut swapped = precommitments.clone();
    swapped.swap(0, 2);
    assert!(matches!(
        s.receive_precommitments(&swapped),
        Err(MusigError::InconsistentCommitment { party: 2 })
    ));
}

#[test]
fn wrong_numbers_of_messages_are_rejected() {
    let keys = secrets(3, 60);
    let context = multimessage(&keys);
    let t = signtx_transcript(9);
    let start = |i: usize| SignerAwaitingPrecommitments::new(t.clone(), &context, i, &keys[i]);
    let (states, precommitments): (Vec<_>, Vec<_>) = (0..3).map(|i| start(i).unwrap()).unzip();

    let (s, _) = start(0).unwrap();
    assert!(matches!(
        s.receive_precommitments(&precommitments[..2]),
        Err(MusigError::MessageCount {
            message: "nonce precommitment",
            expected: 3,
            got: 2
        })
    ));
    let (s, _) = start(0).unwrap();
    assert!(matches!(
        s.receive_precommitments(&[]),
        Err(MusigError::MessageCount { got: 0, .. })
    ));

    let (states, commitments): (Vec<_>, Vec<_>) = states
        .into_iter()
        .map(|s| s.receive_precommitments(&precommitments).unwrap())
        .unzip();
    let mut four = commitments.clone();
    four.push(commitments[0]);
    let mut states = states.into_iter();
    assert!(matches!(
        states.next().unwrap().receive_commitments(&four),
        Err(MusigError::MessageCount {
            message: "nonce commitment",
            expected: 3,
            got: 4
        })
    ));
    let (s1, z1) = states
        .next()
        .unwrap()
        .receive_commitments(&commitments)
        .unwrap();
    let (s2, z2) = states
        .next()
        .unwrap()
        .receive_commitments(&commitments)
        .unwrap();
    assert!(matches!(
        s1.receive_shares(&[z1, z2]),
        Err(MusigError::MessageCount {
            message: "signature share",
            expected: 3,
            got: 2
        })
    ));
    assert!(matches!(
        s2.receive_shares(&[z1, z2, z2, z1]),
        Err(MusigError::MessageCount { got: 4, .. })
    ));
}

#[test]
fn a_signer_must_hold_the_key_at_its_position() {
    let keys = secrets(3, 70);
    let context = multikey(&keys);
    let t = message_transcript(b"m");
    assert!(matches!(
        SignerAwaitingPrecommitments::new(t.clone(), &context, 3, &keys[0]),
        Err(MusigError::PositionOutOfRange {
            position: 3,
            parties: 3
        })
    ));
    assert!(matches!(
        SignerAwaitingPrecommitments::new(t.clone(), &context, 1, &keys[2]),
        Err(MusigError::WrongSecretKey { index: 1 })
    ));
    let none: Vec<(VerificationKey, [u8; 32])> = vec![];
    assert_eq!(Multimessage::new(none), Err(MusigError::NoKeys));
}

#[test]
fn interactive_signatures_verify_in_an_r1cs_batch() {
    let gens = BulletproofGens::new(1);
    let mut rng = rand::thread_rng();
    let mut equations = Vec::new();
    for (round, n) in [1u64, 2, 3, 7, 2, 3].into_iter().enumerate() {
        let keys = secrets(n, 80 + round as u64);
        let context = multikey(&keys);
        let msg = [round as u8; 4];
        let sig = agreed(run_session(
            &message_transcript(&msg),
            &context,
            &keys,
            Fault::None,
        ));
        equations.push(
            sig.verification_equation(&mut message_transcript(&msg), &context.aggregated_key())
                .unwrap(),
        );
    }
    // A multi-message signature joins the same batch.
    let keys = secrets(3, 90);
    let context = multimessage(&keys);
    let sig = agreed(run_session(
        &signtx_transcript(4),
        &context,
        &keys,
        Fault::None,
    ));
    equations.push(
        sig.multimessage_verification_equation(&mut signtx_transcript(4), context.pairs())
            .unwrap(),
    );
    assert_eq!(verify_batch(&gens, &equations, &mut rng), Ok(()));
    assert!(find_failures(&gens, &equations).is_empty());

    // The same 3-party signature checked against another message fails the
    // batch and is found.
    let keys = secrets(3, 83);
    let context = multikey(&keys);
    let sig = agreed(run_session(
        &message_transcript(b"x"),
        &context,
        &keys,
        Fault::None,
    ));
    equations[2] = sig
        .verification_equation(&mut message_transcript(b"y"), &context.aggregated_key())
        .unwrap();
    assert!(verify_batch(&gens, &equations, &mut rng).is_err());
    assert_eq!(find_failures(&gens, &equations), vec![2]);
}

#[test]
fn precommitment_is_the_spec_hash_of_the_commitment() {
    // Transcript "Musig.nonce-precommit", R under "R", 32 challenge bytes
    // under "precommitment" (docs/spec/musig.md §Interactive signing).
    let r = RISTRETTO_BASEPOINT_POINT.compress();
    let commitment = NonceCommitment::from_bytes(r.as_bytes()).unwrap();
    let mut t = Transcript::new(b"Musig.nonce-precommit");
    t.append_message(b"R", r.as_bytes());
    let mut expected = [0u8; 32];
    t.challenge_bytes(b"precommitment", &mut expected);
    assert_eq!(commitment.precommit().to_bytes(), expected);
}

fn scalar() -> impl Strategy<Value = Scalar> {
    any::<[u8; 32]>().prop_map(Scalar::from_bytes_mod_order)
}

fn wrong_length() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..100).prop_filter("not 32 bytes", |v| v.len() != 32)
}

fn length_error(message: &'static str, got: usize) -> MusigError {
    MusigError::InvalidMessageLength {
        message,
        expected: 32,
        got,
    }
}

proptest! {
    #[test]
    fn precommitments_round_trip(bytes in any::<[u8; 32]>()) {
        let p = NoncePrecommitment::from_bytes(&bytes).unwrap();
        prop_assert_eq!(p.to_bytes(), bytes);
    }

    #[test]
    fn commitments_round_trip(x in scalar()) {
        let point = (x * RISTRETTO_BASEPOINT_POINT).compress();
        let c = NonceCommitment::from_bytes(point.as_bytes()).unwrap();
        prop_assert_eq!(c.to_bytes(), point.to_bytes());
        prop_assert_eq!(*c.as_point(), x * RISTRETTO_BASEPOINT_POINT);
    }

    #[test]
    fn shares_round_trip(s in scalar()) {
        let share = SignatureShare::from_bytes(s.as_bytes()).unwrap();
        prop_assert_eq!(share.to_bytes(), s.to_bytes());
        prop_assert_eq!(*share.as_scalar(), s);
    }

    /// Any 32 bytes either decode and re-encode to themselves or are rejected
    /// with the reason.
    #[test]
    fn decoders_accept_only_canonical_encodings(bytes in any::<[u8; 32]>()) {
        match NonceCommitment::from_bytes(&bytes) {
            Ok(c) => prop_assert_eq!(c.to_bytes(), bytes),
            Err(e) => prop_assert_eq!(e, MusigError::InvalidPoint("nonce commitment")),
        }
        match SignatureShare::from_bytes(&bytes) {
            Ok(s) => prop_assert_eq!(s.to_bytes(), bytes),
            Err(e) => prop_assert_eq!(e, MusigError::NonCanonicalScalar),
        }
    }

    #[test]
    fn decoders_reject_wrong_lengths(bytes in wrong_length()) {
        let n = bytes.len();
        prop_assert_eq!(
            NoncePrecommitment::from_bytes(&bytes),
            Err(length_error("nonce precommitment", n))
        );
        prop_assert_eq!(
            NonceCommitment::from_bytes(&bytes),
            Err(length_error("nonce commitment", n))
        );
        prop_assert_eq!(
            SignatureShare::from_bytes(&bytes),
            Err(length_error("signature share", n))
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Sessions with random keys, sizes and messages: the aggregated-key and
    /// the multi-message signatures verify.
    #[test]
    fn random_sessions_verify(
        xs in proptest::collection::vec(scalar(), 1..6),
        msg in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let keys: Vec<SecretKey> = xs.into_iter().map(SecretKey::from_scalar).collect();
        let t = message_transcript(&msg);
        let context = multikey(&keys);
        let sig = agreed(run_session(&t, &context, &keys, Fault::None));
        prop_assert_eq!(sig.verify(&mut t.clone(), &context.aggregated_key()), Ok(()));
        let context = multimessage(&keys);
        let sig = agreed(run_session(&t, &context, &keys, Fault::None));
        prop_assert_eq!(sig.verify_multimessage(&mut t.clone(), context.pairs()), Ok(()));
    }
}
