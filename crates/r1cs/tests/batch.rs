//! Batch verification: many proofs (and other point equations) in one
//! multiscalar multiplication, and finding the bad one when it fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod gadgets;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use gadgets::Statement;
use r1cs::{
    find_failures, verify_batch, BatchVerifier, BulletproofGens, R1CSError, R1CSProof,
    VerificationEquation,
};

const LABEL: &[u8] = b"batch test";

/// The i-th statement of a mixed workload: shapes and sizes vary with i.
fn statement(i: usize) -> Statement {
    match i % 4 {
        0 => Statement::shuffle(2 + i % 7),
        1 => {
            let bits = 8 << ((i / 4) % 4);
            let value = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - bits);
            Statement::Range { value, bits }
        }
        2 => Statement::Product {
            factors: vec![i as u64 + 1, 3, 5],
            product: 15 * (i as u64 + 1),
        },
        _ => Statement::shuffle(1 + i % 3),
    }
}

struct Item {
    st: Statement,
    commitments: Vec<CompressedRistretto>,
    proof: R1CSProof,
}

fn items(n: usize, gens: &BulletproofGens) -> Vec<Item> {
    (0..n)
        .map(|i| {
            let st = statement(i);
            let (commitments, proof) = st.prove(gens, LABEL).unwrap();
            Item {
                st,
                commitments,
                proof,
            }
        })
        .collect()
}

fn equations(items: &[Item], gens: &BulletproofGens) -> Vec<VerificationEquation> {
    items
        .iter()
        .map(|it| {
            it.st
                .verification_equation(gens, LABEL, &it.commitments, &it.proof)
                .unwrap()
        })
        .collect()
}

#[test]
fn batches_of_1_10_100_mixed_proofs_verify() {
    let gens = BulletproofGens::new(64);
    let all = items(100, &gens);
    let mut rng = rand::thread_rng();
    for n in [1usize, 10, 100] {
        let eqs = equations(&all[..n], &gens);
        assert_eq!(verify_batch(&gens, &eqs, &mut rng), Ok(()), "batch of {n}");
    }
}

#[test]
fn one_bad_proof_fails_the_batch_and_is_found() {
    let gens = BulletproofGens::new(64);
    let mut all = items(100, &gens);
    let mut rng = rand::thread_rng();
    // Proof 38 (a product chain) is presented with its commitments in the
    // wrong order: its equation builds, but it is false.
    let bad = 38;
    assert!(matches!(all[bad].st, Statement::Product { .. }));
    all[bad].commitments.reverse();
    let eqs = equations(&all, &gens);
    assert_eq!(
        verify_batch(&gens, &eqs, &mut rng),
        Err(R1CSError::VerificationFailed)
    );
    assert_eq!(find_failures(&gens, &eqs), vec![bad]);

    // Smaller batches that exclude it pass; a batch of just it fails.
    assert_eq!(verify_batch(&gens, &eqs[..bad], &mut rng), Ok(()));
    assert!(verify_batch(&gens, &eqs[bad..=bad], &mut rng).is_err());
}

#[test]
fn proofs_and_signature_like_equations_share_one_check() {
    let gens = BulletproofGens::new(64);
    let all = items(10, &gens);
    let mut rng = rand::thread_rng();
    let mut batch = BatchVerifier::new(&gens);
    for eq in equations(&all, &gens) {
        batch.append(&eq, &mut rng);
    }
    // A Schnorr-style statement s·B = R + c·X with known logs.
    let (x, k, c) = (Scalar::from(11u64), Scalar::from(29u64), Scalar::from(5u64));
    let (big_x, big_r) = (x * RISTRETTO_BASEPOINT_POINT, k * RISTRETTO_BASEPOINT_POINT);
    let s = k + c * x;
    let mut sig = VerificationEquation::new();
    sig.add_basepoint_term(s);
    sig.add_term(-Scalar::ONE, big_r);
    sig.add_term(-c, big_x);
    batch.append(&sig, &mut rng);
    assert_eq!(batch.len(), 11);
    assert_eq!(batch.verify(), Ok(()));

    // The same batch with a forged signature fails.
    let mut batch = BatchVerifier::new(&gens);
    for eq in equations(&all, &gens) {
        batch.append(&eq, &mut rng);
    }
    let mut forged = VerificationEquation::new();
    forged.add_basepoint_term(s + Scalar::ONE);
    forged.add_term(-Scalar::ONE, big_r);
    forged.add_term(-c, big_x);
    batch.append(&forged, &mut rng);
    assert_eq!(batch.verify(), Err(R1CSError::VerificationFailed));
}

#[test]
fn empty_batch_is_trivially_valid() {
    let gens = BulletproofGens::new(8);
    let batch = BatchVerifier::new(&gens);
    assert!(batch.is_empty());
    assert_eq!(batch.verify(), Ok(()));
}
