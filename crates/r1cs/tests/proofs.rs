//! Proving and verifying gadgets of several shapes through the public API.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod gadgets;

use gadgets::Statement;
use r1cs::{BulletproofGens, R1CSError, R1CSProof};

const LABEL: &[u8] = b"r1cs proofs test";

fn statements() -> Vec<Statement> {
    vec![
        Statement::shuffle(1),
        Statement::shuffle(2),
        Statement::shuffle(5),
        Statement::shuffle(33),
        Statement::Range { value: 0, bits: 8 },
        Statement::Range {
            value: u64::MAX,
            bits: 64,
        },
        Statement::Range {
            value: 12345,
            bits: 32,
        },
        Statement::Product {
            factors: vec![3, 5, 7],
            product: 105,
        },
        Statement::Product {
            factors: vec![9],
            product: 9,
        },
    ]
}

#[test]
fn valid_statements_prove_and_verify() {
    let gens = BulletproofGens::new(128);
    for st in statements() {
        let (commitments, proof) = st.prove(&gens, LABEL).unwrap();
        assert_eq!(
            st.verify(&gens, LABEL, &commitments, &proof),
            Ok(()),
            "{st:?}"
        );
        let padded = st.multipliers().max(1).next_power_of_two();
        assert_eq!(proof.ipp_rounds(), padded.trailing_zeros() as usize);
        // Round trip through bytes.
        let bytes = proof.to_bytes();
        assert_eq!(bytes.len(), proof.serialized_size());
        let decoded = R1CSProof::from_bytes(&bytes).unwrap();
        assert_eq!(decoded, proof);
        assert_eq!(st.verify(&gens, LABEL, &commitments, &decoded), Ok(()));
    }
}

#[test]
fn proof_sizes_follow_the_layout() {
    let gens = BulletproofGens::new(128);
    // 0 multipliers: one phase, one padded multiplier, no IPP rounds.
    let (_, p) = Statement::shuffle(1).prove(&gens, LABEL).unwrap();
    assert_eq!(p.to_bytes().len(), 417);
    assert_eq!(p.to_bytes()[0], 0x00);
    // Shuffle of 2: two-phase, 2 multipliers.
    let (_, p) = Statement::shuffle(2).prove(&gens, LABEL).unwrap();
    assert_eq!(p.to_bytes()[0], 0x01);
    assert_eq!(p.to_bytes().len(), 1 + 32 * 14 + 32 * (2 + 2));
    // 64-bit range proof: one phase, 64 multipliers.
    let (_, p) = Statement::Range { value: 5, bits: 64 }
        .prove(&gens, LABEL)
        .unwrap();
    assert_eq!(p.to_bytes().len(), 1 + 32 * 11 + 32 * (2 * 6 + 2));
}

#[test]
fn prover_refuses_unsatisfying_witness() {
    let gens = BulletproofGens::new(128);
    let bad = [
        Statement::Shuffle {
            inputs: vec![1, 2, 3],
            outputs: vec![3, 2, 2],
        },
        Statement::Range {
            value: 256,
            bits: 8,
        },
        Statement::Product {
            factors: vec![3, 5],
            product: 16,
        },
        Statement::Shuffle {
            inputs: vec![4],
            outputs: vec![5],
        },
    ];
    for st in bad {
        assert!(
            matches!(
                st.prove(&gens, LABEL),
                Err(R1CSError::UnsatisfiedConstraint { .. })
            ),
            "{st:?}"
        );
    }
}

#[test]
fn proof_for_other_commitments_fails() {
    let gens = BulletproofGens::new(128);
    let st = Statement::shuffle(4);
    let (mut commitments, proof) = st.prove(&gens, LABEL).unwrap();
    commitments.swap(0, 1);
    assert_eq!(
        st.verify(&gens, LABEL, &commitments, &proof),
        Err(R1CSError::VerificationFailed)
    );
    // A proof of one statement does not verify as another of the same size.
    let other = Statement::Product {
        factors: vec![2, 3, 4, 5, 6, 7, 1],
        product: 5040,
    };
    let (oc, _) = other.prove(&gens, LABEL).unwrap();
    assert!(other.verify(&gens, LABEL, &oc, &proof).is_err());
}

#[test]
fn proof_bound_to_its_transcript() {
    let gens = BulletproofGens::new(128);
    for st in [
        Statement::shuffle(3),
        Statement::Range { value: 9, bits: 16 },
    ] {
        let (commitments, proof) = st.prove(&gens, LABEL).unwrap();
        assert_eq!(
            st.verify(&gens, b"another transcript", &commitments, &proof),
            Err(R1CSError::VerificationFailed)
        );
    }
}

#[test]
fn every_byte_of_a_proof_matters() {
    let gens = BulletproofGens::new(128);
    for st in [
        Statement::shuffle(3),
        Statement::Range { value: 77, bits: 8 },
    ] {
        let (commitments, proof) = st.prove(&gens, LABEL).unwrap();
        let bytes = proof.to_bytes();
        for i in 0..bytes.len() {
            let mut tampered = bytes.clone();
            tampered[i] ^= 1 << (i % 8);
            let verdict = R1CSProof::from_bytes(&tampered)
                .and_then(|p| st.verify(&gens, LABEL, &commitments, &p));
            assert!(
                verdict.is_err(),
                "{st:?}: flipping byte {i} kept the proof valid"
            );
        }
    }
}

#[test]
fn too_few_generators_is_an_error() {
    let small = BulletproofGens::new(16);
    let st = Statement::Range { value: 1, bits: 32 };
    assert!(matches!(
        st.prove(&small, LABEL),
        Err(R1CSError::GeneratorsCapacity {
            needed: 32,
            capacity: 16
        })
    ));
    let big = BulletproofGens::new(64);
    let (c, p) = st.prove(&big, LABEL).unwrap();
    assert!(matches!(
        st.verify(&small, LABEL, &c, &p),
        Err(R1CSError::GeneratorsCapacity { .. })
    ));
}

#[test]
fn identity_and_invalid_points_are_named() {
    let gens = BulletproofGens::new(64);
    let st = Statement::Range { value: 3, bits: 8 };
    let (c, p) = st.prove(&gens, LABEL).unwrap();
    let bytes = p.to_bytes();
    // A_I1 is the first point after the flag.
    let mut zeroed = bytes.clone();
    zeroed[1..33].fill(0);
    let p0 = R1CSProof::from_bytes(&zeroed).unwrap();
    assert_eq!(
        st.verify(&gens, LABEL, &c, &p0),
        Err(R1CSError::IdentityPoint("A_I1"))
    );
    // T_1 (after A_I1 A_O1 S1) replaced by a non-decodable encoding.
    let mut bad = bytes.clone();
    bad[1 + 96..1 + 128].fill(0xff);
    let p1 = R1CSProof::from_bytes(&bad).unwrap();
    assert_eq!(
        st.verify(&gens, LABEL, &c, &p1),
        Err(R1CSError::InvalidPoint("T_1"))
    );
}

/// Proves `l·r = product` with no commitments, with a seeded (weak) RNG.
fn product_without_commitments(l: u64, r: u64, product: u64) -> Vec<u8> {
    use curve25519_dalek::scalar::Scalar;
    use r1cs::{ConstraintSystem, Prover};
    use rand::SeedableRng;
    let gens = BulletproofGens::new(8);
    let mut t = merlin::Transcript::new(LABEL);
    let mut prover = Prover::new(&gens, &mut t);
    let (_, _, o) = prover
        .allocate_multiplier(Some((Scalar::from(l), Scalar::from(r))))
        .unwrap();
    prover.constrain(o - product);
    let mut weak = rand::rngs::StdRng::seed_from_u64(0);
    prover.prove_with_rng(&mut weak).unwrap().to_bytes()
}

#[test]
fn weak_rng_does_not_repeat_blinding_across_witnesses() {
    // With no commitments, only the wires can make the blinding differ: if
    // they did not key the RNG, S1 would repeat and A_I1 - A_I1' would
    // expose the witness difference.
    let a = product_without_commitments(3, 4, 12);
    let b = product_without_commitments(2, 6, 12);
    let s1 = 1 + 64..1 + 96;
    assert_ne!(a[s1.clone()], b[s1]);
}

#[test]
fn first_phase_constraint_on_second_phase_wire_is_rejected_by_both_sides() {
    use curve25519_dalek::scalar::Scalar;
    use r1cs::{ConstraintSystem, Prover, RandomizableConstraintSystem, Variable, Verifier};
    let gens = BulletproofGens::new(8);
    fn build<CS: RandomizableConstraintSystem>(cs: &mut CS, v: Variable) {
        // Names multiplier 0 before the second phase creates it.
        cs.constrain(Variable::MultiplierLeft(0) - v);
        cs.specify_randomized_constraints(move |cs| {
            let _ = cs.multiply(v.into(), v.into());
            Ok(())
        })
        .unwrap();
    }
    let mut t = merlin::Transcript::new(LABEL);
    let mut prover = Prover::new(&gens, &mut t);
    let (c, v) = prover.commit(Scalar::from(5u64), Scalar::from(7u64));
    build(&mut prover, v);
    assert!(matches!(prover.prove(), Err(R1CSError::UnknownVariable(_))));

    let (_, any_proof) = Statement::shuffle(2).prove(&gens, LABEL).unwrap();
    let mut t = merlin::Transcript::new(LABEL);
    let mut verifier = Verifier::new(&mut t);
    let v = verifier.commit(c);
    build(&mut verifier, v);
    assert!(matches!(
        verifier.verify(&any_proof, &gens),
        Err(R1CSError::UnknownVariable(_))
    ));
}
