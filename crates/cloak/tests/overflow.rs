#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Cloaks whose per-flavor totals exceed `2^64 - 1` (docs/spec/cloak.md
//! §The prover's witness). The circuit range-proves only the outputs; the
//! merged totals in between are wires taken modulo the group order. So
//! same-flavor inputs adding up beyond `2^64 - 1` are a true statement
//! whenever the outputs are each in range, and the honest prover must prove
//! it. False statements of the same sizes are still refused with an error.

mod common;

use cloak::{CloakError, SignedInteger, Value};
use common::{neg, prove, v};
use curve25519_dalek::scalar::Scalar;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

const MAX: u64 = u64::MAX;
const HALF: u64 = 1 << 63;

fn prove_and_verify(inputs: &[Value], outputs: &[Value], rng: &mut StdRng) {
    let t = prove(inputs, outputs, rng).unwrap_or_else(|e| {
        panic!(
            "{}x{} refused by the prover: {e}",
            inputs.len(),
            outputs.len()
        )
    });
    t.verify().unwrap_or_else(|e| {
        panic!(
            "{}x{} rejected by the verifier: {e}",
            inputs.len(),
            outputs.len()
        )
    });
}

#[test]
fn max_and_one_cloak_into_two_halves() {
    let mut rng = StdRng::seed_from_u64(1);
    prove_and_verify(&[v(MAX, 1), v(1, 1)], &[v(HALF, 1), v(HALF, 1)], &mut rng);
    // The same total the other way round, and split unevenly.
    prove_and_verify(&[v(HALF, 1), v(HALF, 1)], &[v(MAX, 1), v(1, 1)], &mut rng);
    prove_and_verify(&[v(1, 1), v(MAX, 1)], &[v(1, 1), v(MAX, 1)], &mut rng);
}

#[test]
fn k_maxima_into_k_maxima_with_shuffled_flavors() {
    let mut rng = StdRng::seed_from_u64(2);
    for k in 2..=6usize {
        for flavors in [1, 2, 3] {
            if flavors > k {
                continue;
            }
            let mut assignment: Vec<u64> = (0..k).map(|i| (i % flavors) as u64).collect();
            assignment.shuffle(&mut rng);
            let inputs: Vec<Value> = assignment.iter().map(|&f| v(MAX, f)).collect();
            assignment.shuffle(&mut rng);
            let outputs: Vec<Value> = assignment.iter().map(|&f| v(MAX, f)).collect();
            prove_and_verify(&inputs, &outputs, &mut rng);
        }
    }
}

#[test]
fn mixed_flavors_where_one_flavor_overflows() {
    let mut rng = StdRng::seed_from_u64(3);
    // Flavor 1 totals 2^65 - 1, flavor 2 stays small.
    let inputs = [v(MAX, 1), v(5, 2), v(1, 1), v(7, 2), v(MAX, 1)];
    let outputs = [v(12, 2), v(MAX, 1), v(1, 1), v(MAX, 1)];
    prove_and_verify(&inputs, &outputs, &mut rng);
    // More outputs than inputs, and the overflowing flavor spread thin.
    let inputs = [v(MAX, 1), v(MAX, 1), v(9, 3)];
    let outputs = [
        v(HALF, 1),
        v(9, 3),
        v(HALF, 1),
        v(MAX - HALF, 1),
        v(MAX - HALF, 1),
    ];
    prove_and_verify(&inputs, &outputs, &mut rng);
    // Two flavors that both overflow, one output each would not do.
    let inputs = [v(MAX, 1), v(MAX, 2), v(2, 1), v(2, 2)];
    let outputs = [v(MAX, 2), v(MAX, 1), v(2, 1), v(2, 2)];
    prove_and_verify(&inputs, &outputs, &mut rng);
}

#[test]
fn negative_inputs_cancel_an_overflowing_sum() {
    let mut rng = StdRng::seed_from_u64(4);
    // Wide values (from `borrow`) in the middle of an overflowing group.
    let inputs = [v(MAX, 1), v(MAX, 1), neg(MAX, 1)];
    prove_and_verify(&inputs, &[v(MAX, 1)], &mut rng);
    let inputs = [neg(3, 1), v(MAX, 1), v(4, 1)];
    prove_and_verify(&inputs, &[v(HALF, 1), v(HALF, 1)], &mut rng);
}

#[test]
fn false_statements_beyond_2_pow_64_are_refused() {
    let mut rng = StdRng::seed_from_u64(5);
    let cases: Vec<(&str, Vec<Value>, Vec<Value>, CloakError)> = vec![
        (
            "outputs one short of 2^64",
            vec![v(MAX, 1), v(1, 1)],
            vec![v(HALF, 1), v(HALF - 1, 1)],
            CloakError::Unbalanced,
        ),
        (
            "outputs one more than 2^64",
            vec![v(MAX, 1), v(1, 1)],
            vec![v(HALF, 1), v(HALF, 1), v(1, 1)],
            CloakError::Unbalanced,
        ),
        (
            "one output for a total of 2^64",
            vec![v(MAX, 1), v(1, 1)],
            vec![v(MAX, 1)],
            CloakError::Unbalanced,
        ),
        (
            "overflow moved to another flavor",
            vec![v(MAX, 1), v(1, 1)],
            vec![v(HALF, 1), v(HALF, 2)],
            CloakError::Unbalanced,
        ),
        (
            "total 2^64 reached with a negative output",
            vec![v(MAX, 1), v(1, 1)],
            vec![v(MAX, 1), v(2, 1), neg(1, 1)],
            CloakError::OutOfRange { bits: 64 },
        ),
        (
            "a wide input passed to an output",
            vec![v(MAX, 1), neg(MAX, 1)],
            vec![v(MAX, 1), neg(MAX, 1)],
            CloakError::OutOfRange { bits: 64 },
        ),
    ];
    for (name, inputs, outputs, expected) in cases {
        assert_eq!(
            prove(&inputs, &outputs, &mut rng).err(),
            Some(expected),
            "{name}"
        );
    }
}

/// Quantities that are often at or near the 64-bit boundary.
fn quantity() -> impl Strategy<Value = u64> {
    prop_oneof![
        (0..4u64).prop_map(|d| MAX - d),
        (0..4u64).prop_map(|d| HALF + d),
        0..16u64,
        any::<u64>(),
    ]
}

/// A valid redistribution: `inputs` as (quantity, flavor) pairs; each
/// flavor's total (up to `5·(2^64 - 1)`) split into the fewest outputs that
/// can hold it plus `extra[f]`, at cut points drawn from `cuts`, then the
/// outputs permuted by `order`.
fn distribution(
    inputs: &[(u64, u64)],
    extra: &[usize],
    cuts: &[u64],
    order: &[usize],
) -> (Vec<Value>, Vec<Value>) {
    let mut outputs = Vec::new();
    let mut cut = cuts.iter().cycle();
    let flavors: std::collections::BTreeSet<u64> = inputs.iter().map(|x| x.1).collect();
    for &f in &flavors {
        let total: u128 = inputs
            .iter()
            .filter(|x| x.1 == f)
            .map(|x| u128::from(x.0))
            .sum();
        let max = u128::from(MAX);
        let count = total.div_ceil(max).max(1) as usize + extra[f as usize];
        let mut left = total;
        for j in 0..count {
            let after = (count - j - 1) as u128;
            // This part must leave at most `after · max` for the rest.
            let low = left.saturating_sub(after * max);
            let high = left.min(max);
            let q = if j + 1 == count {
                left
            } else {
                low + u128::from(*cut.next().unwrap()) % (high - low + 1)
            };
            left -= q;
            outputs.push(v(u64::try_from(q).unwrap(), f));
        }
    }
    let mut shuffled: Vec<Value> = Vec::with_capacity(outputs.len());
    let mut pool = outputs;
    for &i in order {
        if pool.is_empty() {
            break;
        }
        shuffled.push(pool.remove(i % pool.len()));
    }
    shuffled.append(&mut pool);
    let inputs = inputs.iter().map(|&(q, f)| v(q, f)).collect();
    (inputs, shuffled)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        // Each case is two proofs and a verification of up to 5x12 values.
        cases: 64,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn valid_distributions_near_2_pow_64_prove_and_verify(
        inputs in vec((quantity(), 0..3u64), 1..=5),
        extra in vec(0..2usize, 3),
        cuts in vec(any::<u64>(), 1..8),
        order in vec(any::<usize>(), 0..12),
        tamper in 0..4u8,
        seed in any::<u64>(),
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        let (inputs, outputs) = distribution(&inputs, &extra, &cuts, &order);
        let t = prove(&inputs, &outputs, &mut rng);
        prop_assert!(t.is_ok(), "valid cloak refused: {:?}", t.err());
        prop_assert_eq!(t.unwrap().verify(), Ok(()));

        // The same cloak made false in one of a few ways: refused by the
        // prover with an error.
        let mut bad = outputs.clone();
        let i = cuts[0] as usize % bad.len();
        let expected = match tamper {
            0 => {
                // One unit more or less in one output.
                let q = bad[i].q.to_u64().unwrap();
                bad[i].q = SignedInteger::from(if q == MAX { q - 1 } else { q + 1 });
                CloakError::Unbalanced
            }
            1 => {
                // An output of a flavor no input has.
                bad[i].f = Scalar::from(7u64);
                CloakError::Unbalanced
            }
            2 => {
                // An output dropped, or one added if dropping changes nothing
                // (a zero) or leaves none.
                if bad[i].q.to_u64() == Some(0) || bad.len() == 1 {
                    bad.push(v(1, 0));
                } else {
                    bad.remove(i);
                }
                CloakError::Unbalanced
            }
            _ => {
                // Balanced, with a negative output paid for by a larger one:
                // only the range proof can see it.
                let q = bad[i].q.to_u64().unwrap();
                let f = bad[i].f;
                if q == MAX {
                    bad[i] = Value::new(MAX - 1, f);
                    bad.push(Value::new(-SignedInteger::from(MAX), f));
                    bad.push(Value::new(MAX, f));
                    bad.push(Value::new(1u64, f));
                } else {
                    bad[i] = Value::new(q + 1, f);
                    bad.push(Value::new(-SignedInteger::from(1u64), f));
                }
                CloakError::OutOfRange { bits: 64 }
            }
        };
        prop_assert_eq!(prove(&inputs, &bad, &mut rng).err(), Some(expected));
    }
}
