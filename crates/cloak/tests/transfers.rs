#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! End-to-end cloak proofs: valid redistributions of many shapes prove and
//! verify; false statements are refused by the prover, and proofs do not
//! verify against altered commitments.

mod common;

use cloak::{cloak, cloak_multipliers, range_proof, CloakError, Value};
use common::{gens, neg, prove, v, verify, LABEL};
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use r1cs::{Prover, R1CSError};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A random redistribution: `m` inputs of up to `flavors` flavors, whose
/// per-flavor totals are split into `n` outputs (n ≥ number of flavors used)
/// and shuffled.
fn random_transfer(
    m: usize,
    n: usize,
    flavors: usize,
    rng: &mut StdRng,
) -> (Vec<Value>, Vec<Value>) {
    let used = flavors.min(m).min(n);
    let flavor = |i: usize| Scalar::from(1000 + i as u64);
    let inputs: Vec<Value> = (0..m)
        .map(|i| {
            // Every used flavor appears at least once.
            let f = if i < used { i } else { rng.gen_range(0..used) };
            Value::new(rng.gen_range(0..1u64 << 40), flavor(f))
        })
        .collect();
    let mut outputs = Vec::new();
    let mut slots: Vec<usize> = (0..n)
        .map(|i| if i < used { i } else { rng.gen_range(0..used) })
        .collect();
    slots.sort();
    for f in 0..used {
        let total: u64 = inputs
            .iter()
            .filter(|x| x.f == flavor(f))
            .map(|x| x.q.to_u64().unwrap())
            .sum();
        let count = slots.iter().filter(|&&s| s == f).count();
        let mut left = total;
        for j in 0..count {
            let q = if j + 1 == count {
                left
            } else {
                rng.gen_range(0..=left)
            };
            left -= q;
            outputs.push(Value::new(q, flavor(f)));
        }
    }
    // Shuffle the outputs.
    for i in (1..outputs.len()).rev() {
        outputs.swap(i, rng.gen_range(0..=i));
    }
    (inputs, outputs)
}

#[test]
fn valid_redistributions_prove_and_verify() {
    let mut rng = StdRng::seed_from_u64(7);
    let shapes = [
        (1, 1),
        (1, 2),
        (2, 1),
        (2, 2),
        (1, 3),
        (3, 1),
        (3, 3),
        (2, 5),
        (5, 2),
        (4, 4),
        (6, 3),
        (8, 8),
        (1, 16),
        (16, 1),
        (16, 16),
    ];
    for &(m, n) in &shapes {
        for flavors in 1..=4 {
            if flavors > m.min(n) && flavors > 1 {
                continue;
            }
            let (inputs, outputs) = random_transfer(m, n, flavors, &mut rng);
            let t = prove(&inputs, &outputs, &mut rng)
                .unwrap_or_else(|e| panic!("{m}x{n} with {flavors} flavors: {e}"));
            // Second-phase multipliers exist only once the proof is made:
            // the proof's size tells their total.
            let padded = cloak_multipliers(m, n).next_power_of_two();
            assert_eq!(1 << t.proof.ipp_rounds(), padded, "{m}x{n}");
            assert!(t.first_phase <= cloak_multipliers(m, n), "{m}x{n}");
            verify(&t.inputs, &t.outputs, &t.proof)
                .unwrap_or_else(|e| panic!("{m}x{n} with {flavors} flavors: {e}"));
        }
    }
}

#[test]
fn proof_sizes_follow_the_padded_multiplier_count() {
    let mut rng = StdRng::seed_from_u64(8);
    // 1x1: 64 multipliers, one phase; kxk: 81k - 12, two phases.
    for (k, size) in [
        (1, 1 + 11 * 32 + 32 * (2 * 6 + 2)),
        (2, 1 + 14 * 32 + 32 * (2 * 8 + 2)),
        (4, 1 + 14 * 32 + 32 * (2 * 9 + 2)),
    ] {
        let (inputs, outputs) = random_transfer(k, k, 1, &mut rng);
        let t = prove(&inputs, &outputs, &mut rng).unwrap();
        assert_eq!(t.proof.to_bytes().len(), size, "{k}x{k}");
    }
}

#[test]
fn zero_values_and_equal_flavors_in_many_places() {
    let mut rng = StdRng::seed_from_u64(9);
    let cases: Vec<(Vec<Value>, Vec<Value>)> = vec![
        (vec![v(0, 1)], vec![v(0, 1)]),
        (vec![v(5, 1), v(0, 1)], vec![v(5, 1)]),
        (vec![v(5, 1)], vec![v(0, 1), v(5, 1), v(0, 1)]),
        (vec![v(5, 1), v(5, 1)], vec![v(5, 1), v(5, 1)]),
        (
            vec![v(1, 1), v(2, 2), v(3, 1), v(4, 2)],
            vec![v(6, 2), v(4, 1)],
        ),
        (vec![v(u64::MAX, 3)], vec![v(u64::MAX - 1, 3), v(1, 3)]),
    ];
    for (inputs, outputs) in cases {
        let t = prove(&inputs, &outputs, &mut rng).unwrap();
        verify(&t.inputs, &t.outputs, &t.proof).unwrap();
    }
}

#[test]
fn negative_inputs_are_allowed_when_outputs_are_not() {
    let mut rng = StdRng::seed_from_u64(10);
    let t = prove(&[v(10, 1), neg(3, 1)], &[v(7, 1)], &mut rng).unwrap();
    verify(&t.inputs, &t.outputs, &t.proof).unwrap();
    // A negative output must be refused: 5 -> 6 + (-1) balances but is out of range.
    assert_eq!(
        prove(&[v(5, 1)], &[v(6, 1), neg(1, 1)], &mut rng).err(),
        Some(CloakError::OutOfRange { bits: 64 })
    );
}

#[test]
fn false_statements_are_refused_by_the_prover() {
    let mut rng = StdRng::seed_from_u64(11);
    let cases: Vec<(&str, Vec<Value>, Vec<Value>, CloakError)> = vec![
        (
            "outputs exceed inputs",
            vec![v(10, 1)],
            vec![v(7, 1), v(4, 1)],
            CloakError::Unbalanced,
        ),
        (
            "outputs below inputs",
            vec![v(10, 1), v(1, 2)],
            vec![v(9, 1), v(1, 2)],
            CloakError::Unbalanced,
        ),
        (
            "flavor swapped",
            vec![v(10, 1), v(5, 2)],
            vec![v(10, 2), v(5, 1)],
            CloakError::Unbalanced,
        ),
        (
            "input dropped",
            vec![v(10, 1), v(5, 1)],
            vec![v(10, 1)],
            CloakError::Unbalanced,
        ),
        (
            "new flavor with zero quantity",
            vec![v(5, 1)],
            vec![v(5, 1), v(0, 2)],
            CloakError::Unbalanced,
        ),
    ];
    for (name, inputs, outputs, expected) in cases {
        assert_eq!(
            prove(&inputs, &outputs, &mut rng).err(),
            Some(expected),
            "{name}"
        );
    }
    assert!(matches!(
        prove(&[], &[v(1, 1)], &mut rng).err(),
        Some(CloakError::EmptySide {
            inputs: 0,
            outputs: 1
        })
    ));
}

#[test]
fn an_output_of_2_pow_64_has_no_range_proof() {
    let two_64 = Scalar::from(u64::MAX) + Scalar::ONE;
    let mut t = Transcript::new(LABEL);
    let mut prover = Prover::new(gens(), &mut t);
    let (_, var) = prover.commit(two_64, Scalar::from(5u64));
    assert_eq!(
        range_proof(&mut prover, var.into(), Some(two_64), 64),
        Err(CloakError::OutOfRange { bits: 64 })
    );
}

#[test]
fn a_lying_witness_is_caught_before_proving() {
    // The commitment holds 11 while the cloak is told it holds 10: the
    // gadget's own checks pass, the constraint system's witness check does not.
    let mut rng = StdRng::seed_from_u64(12);
    let mut t = Transcript::new(LABEL);
    let mut prover = Prover::new(gens(), &mut t);
    let (_, q) = prover.commit(Scalar::from(11u64), Scalar::from(rng.gen::<u64>()));
    let (_, f) = prover.commit(Scalar::from(1u64), Scalar::from(rng.gen::<u64>()));
    let input = cloak::AllocatedValue {
        q,
        f,
        assignment: Some(v(10, 1)),
    };
    let (_, output) = v(10, 1).commit(&mut prover, Scalar::from(3u64), Scalar::from(4u64));
    cloak(&mut prover, &[input], &[output]).unwrap();
    assert!(matches!(
        prover.prove(),
        Err(R1CSError::UnsatisfiedConstraint { .. })
    ));
}

fn commitment(value: Scalar, blinding: u64) -> curve25519_dalek::ristretto::CompressedRistretto {
    gens()
        .pedersen()
        .commit(value, Scalar::from(blinding))
        .compress()
}

#[test]
fn proofs_do_not_verify_against_altered_commitments() {
    let mut rng = StdRng::seed_from_u64(13);
    let inputs = vec![v(10, 1), v(5, 2)];
    let outputs = vec![v(3, 1), v(7, 1), v(5, 2)];
    let t = prove(&inputs, &outputs, &mut rng).unwrap();
    verify(&t.inputs, &t.outputs, &t.proof).unwrap();

    // An output's quantity raised (a commitment the prover never made).
    let mut more = t.outputs.clone();
    more[1].q = commitment(Scalar::from(8u64), 1);
    assert!(
        verify(&t.inputs, &more, &t.proof).is_err(),
        "inflated output"
    );

    // Two outputs' flavors swapped.
    let mut swapped = t.outputs.clone();
    let f0 = swapped[0].f;
    swapped[0].f = swapped[2].f;
    swapped[2].f = f0;
    assert!(
        verify(&t.inputs, &swapped, &t.proof).is_err(),
        "flavor swapped"
    );

    // An input dropped.
    assert!(
        verify(&t.inputs[..1], &t.outputs, &t.proof).is_err(),
        "input dropped"
    );

    // Outputs reordered: the verifier checks a different statement.
    let mut reordered = t.outputs.clone();
    reordered.swap(0, 2);
    assert!(
        verify(&t.inputs, &reordered, &t.proof).is_err(),
        "outputs reordered"
    );

    // Inputs and outputs exchanged.
    assert!(
        verify(&t.outputs, &t.inputs, &t.proof).is_err(),
        "sides exchanged"
    );
}
