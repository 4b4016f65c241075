//! Signing and verifying: single-message, aggregated keys, multi-message,
//! strict decoding and batch verification with r1cs's equations.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use musig::{Multikey, MusigError, SecretKey, Signature, VerificationKey};
use r1cs::{find_failures, verify_batch, BulletproofGens};

fn transcript(msg: &[u8]) -> Transcript {
    let mut t = Transcript::new(b"musig test");
    t.append_message(b"msg", msg);
    t
}

fn key(i: u64) -> SecretKey {
    SecretKey::from_scalar(Scalar::from(1000 + i))
}

#[test]
fn sign_and_verify_single_message() {
    let k = key(1);
    let sig = Signature::sign(&mut transcript(b"hello"), &k);
    assert_eq!(
        sig.verify(&mut transcript(b"hello"), &k.verification_key()),
        Ok(())
    );
    assert_eq!(
        sig.verify(&mut transcript(b"hellp"), &k.verification_key()),
        Err(MusigError::VerificationFailed)
    );
    assert_eq!(
        sig.verify(&mut transcript(b"hello"), &key(2).verification_key()),
        Err(MusigError::VerificationFailed)
    );
}

#[test]
fn encoding_is_strict_and_round_trips() {
    let sig = Signature::sign(&mut transcript(b"m"), &key(3));
    let bytes = sig.to_bytes();
    assert_eq!(Signature::from_bytes(&bytes), Ok(sig));
    assert_eq!(
        Signature::from_bytes(&bytes[..63]),
        Err(MusigError::InvalidSignatureLength(63))
    );
    let mut long = bytes.to_vec();
    long.push(0);
    assert_eq!(
        Signature::from_bytes(&long),
        Err(MusigError::InvalidSignatureLength(65))
    );
    let mut high = bytes;
    high[32..].copy_from_slice(&[0xff; 32]);
    assert_eq!(
        Signature::from_bytes(&high),
        Err(MusigError::NonCanonicalScalar)
    );
    // An R that is not a point fails verification with a named error.
    let mut bad_r = bytes;
    bad_r[..32].copy_from_slice(&[0xff; 32]);
    let bad = Signature::from_bytes(&bad_r).unwrap();
    assert_eq!(
        bad.verify(&mut transcript(b"m"), &key(3).verification_key()),
        Err(MusigError::InvalidPoint("R"))
    );
    assert_eq!(
        VerificationKey::from_bytes(&[0xff; 32]),
        Err(MusigError::InvalidPoint("verification key"))
    );
}

#[test]
fn every_bit_of_a_signature_matters() {
    let k = key(4);
    let bytes = Signature::sign(&mut transcript(b"m"), &k).to_bytes();
    for i in 0..64 {
        let mut t = bytes;
        t[i] ^= 1 << (i % 8);
        let verdict = Signature::from_bytes(&t)
            .and_then(|s| s.verify(&mut transcript(b"m"), &k.verification_key()));
        assert!(
            verdict.is_err(),
            "flipping byte {i} kept the signature valid"
        );
    }
}

#[test]
fn aggregated_key_signature_is_an_ordinary_signature() {
    let secrets: Vec<SecretKey> = (0..3).map(key).collect();
    let keys: Vec<VerificationKey> = secrets.iter().map(SecretKey::verification_key).collect();
    let multikey = Multikey::new(keys.clone()).unwrap();
    let x = multikey.aggregated_secret(&secrets).unwrap();
    assert_eq!(x.verification_key(), multikey.aggregated_key());
    let sig = Signature::sign(&mut transcript(b"agg"), &x);
    assert_eq!(
        sig.verify(&mut transcript(b"agg"), &multikey.aggregated_key()),
        Ok(())
    );

    // Order is part of the aggregated key; one key aggregates to itself.
    let reversed = Multikey::new(keys.iter().rev().copied().collect()).unwrap();
    assert_ne!(reversed.aggregated_key(), multikey.aggregated_key());
    assert_eq!(
        Multikey::new(vec![keys[0]]).unwrap().aggregated_key(),
        keys[0]
    );
    assert!(matches!(Multikey::new(vec![]), Err(MusigError::NoKeys)));
    // Factors differ per position, so no key can cancel another.
    assert_ne!(multikey.factor(0), multikey.factor(1));
    assert!(matches!(
        multikey.aggregated_secret(&secrets[..2]),
        Err(MusigError::KeyCount {
            expected: 3,
            got: 2
        })
    ));
    let wrong = vec![key(0), key(9), key(2)];
    assert!(matches!(
        multikey.aggregated_secret(&wrong),
        Err(MusigError::WrongSecretKey { index: 1 })
    ));
}

#[test]
fn multimessage_signatures() {
    for n in 1..=5u64 {
        let pairs: Vec<(SecretKey, Vec<u8>)> = (0..n)
            .map(|i| (key(i), format!("contract {i}").into_bytes()))
            .collect();
        let public: Vec<(VerificationKey, Vec<u8>)> = pairs
            .iter()
            .map(|(k, m)| (k.verification_key(), m.clone()))
            .collect();
        let sig = Signature::sign_multimessage(&mut transcript(b"tx"), &pairs).unwrap();
        assert_eq!(
            sig.verify_multimessage(&mut transcript(b"tx"), &public),
            Ok(()),
            "n = {n}"
        );
        if n > 1 {
            let mut swapped = public.clone();
            swapped.swap(0, 1);
            assert_eq!(
                sig.verify_multimessage(&mut transcript(b"tx"), &swapped),
                Err(MusigError::VerificationFailed)
            );
        }
        let mut dropped = public.clone();
        dropped.pop();
        assert!(sig
            .verify_multimessage(&mut transcript(b"tx"), &dropped)
            .is_err());
    }
    let none: Vec<(SecretKey, Vec<u8>)> = vec![];
    assert_eq!(
        Signature::sign_multimessage(&mut transcript(b"tx"), &none),
        Err(MusigError::NoKeys)
    );
}

#[test]
fn signatures_batch_with_r1cs_equations_and_the_bad_one_is_found() {
    let gens = BulletproofGens::new(1);
    let mut rng = rand::thread_rng();
    let mut eqs: Vec<_> = (0..64u64)
        .map(|i| {
            let k = key(i);
            let msg = i.to_le_bytes();
            let sig = Signature::sign(&mut transcript(&msg), &k);
            sig.verification_equation(&mut transcript(&msg), &k.verification_key())
                .unwrap()
        })
        .collect();
    assert_eq!(verify_batch(&gens, &eqs, &mut rng), Ok(()));
    // Signature 17 checked against another message.
    let k = key(17);
    let sig = Signature::sign(&mut transcript(b"x"), &k);
    eqs[17] = sig
        .verification_equation(&mut transcript(b"y"), &k.verification_key())
        .unwrap();
    assert!(verify_batch(&gens, &eqs, &mut rng).is_err());
    assert_eq!(find_failures(&gens, &eqs), vec![17]);
}

#[test]
fn secret_keys_do_not_print() {
    let k = SecretKey::from_scalar(Scalar::from(0x1234_5678u64));
    let shown = format!("{k:?}");
    assert_eq!(shown, "SecretKey { .. }");
}
