#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The verifier's work stays proportional to the transaction's size,
//! measured independently of the budget's own accounting: an instrumented
//! allocator counts the bytes allocated while the verifier decodes, runs
//! and builds its equation (docs/spec/zkvm.md §Execution budget). The
//! counter is process-wide, so this binary holds a single test that runs
//! every measurement in turn.

use std::alloc::System;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use zkvm::adversarial::{transaction, Family};
use zkvm::budget::UNITS_PER_BYTE;
use zkvm::{Encodable, Program, Tx, Verifier};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// What the verifier may allocate per byte of transaction while it decodes,
/// runs and builds its equation (docs/spec/zkvm.md §Execution budget)...
const ALLOCATED_PER_BYTE: u64 = 256;

/// ...plus room for the constraint system of the most multipliers a
/// transaction may have (about 1.2 KiB each, measured; the budget sells
/// two per byte of transaction, so without this constant a small
/// transaction full of range proofs would exceed the per-byte figure).
const ALLOCATED_FOR_MULTIPLIERS: u64 = 2048 * zkvm::limits::MAX_MULTIPLIERS as u64;

/// The allocation bound for a transaction of `size` bytes.
fn bound(size: u64) -> u64 {
    ALLOCATED_PER_BYTE * size + ALLOCATED_FOR_MULTIPLIERS
}

/// Precomputes `tx`, returning the bytes allocated meanwhile and whether
/// the run succeeded; checks that a successful run kept to its budget.
fn measure(tx: &Tx) -> (u64, u64) {
    let bytes = tx.to_bytes();
    let region = Region::new(GLOBAL);
    let result = Verifier::precompute_bytes(&bytes);
    let change = region.change();
    drop(result.map(|p| assert!(p.budget.spent() <= p.budget.limit())));
    let allocated = change.bytes_allocated as u64 + change.bytes_reallocated.max(0) as u64;
    (allocated, bytes.len() as u64)
}

#[track_caller]
fn check(tx: &Tx, what: &str) -> f64 {
    let (allocated, size) = measure(tx);
    assert!(
        allocated <= bound(size),
        "{what}: {allocated} bytes allocated for a {size}-byte transaction"
    );
    allocated as f64 / size as f64
}

#[test]
fn verifier_allocations_are_linear_in_size() {
    // The shared generators are built on first use, once per process:
    // not the work of any transaction.
    let _ = Verifier::precompute_bytes(
        &transaction(&Family::EvalChain.program(1))
            .unwrap()
            .to_bytes(),
    );
    let mut worst = (0.0, String::new());
    // Every family at growing scales, past the point where the budget
    // stops it.
    for family in Family::ALL {
        let scales: &[usize] = if family.is_exponential() {
            &[1, 2, 5, 10, 20, 40]
        } else {
            &[1, 10, 100, 1_000, 5_000, 20_000]
        };
        for &n in scales {
            let tx = transaction(&family.program(n)).unwrap();
            let what = format!("{family:?}({n})");
            let ratio = check(&tx, &what);
            if ratio > worst.0 {
                worst = (ratio, what);
            }
        }
    }

    println!("most allocated per byte: {:.1} by {}", worst.0, worst.1);

    // Random concatenations of hostile fragments.
    let fragment = (
        prop::sample::select(Family::ALL.to_vec()),
        prop_oneof![0usize..8, 0usize..300],
    );
    let mut runner = TestRunner::new(Config {
        cases: 64,
        ..Config::default()
    });
    runner
        .run(&prop::collection::vec(fragment, 1..6), |parts| {
            let mut bytes = Vec::new();
            for (family, n) in &parts {
                let n = if family.is_exponential() { n % 24 } else { *n };
                bytes.extend(family.program(n).encode_to_vec());
            }
            let tx = transaction(&Program::parse(&bytes).unwrap()).unwrap();
            let (allocated, size) = measure(&tx);
            prop_assert!(allocated <= bound(size), "{allocated} bytes for {size}");
            let budget = Verifier::precompute_bytes(&tx.to_bytes()).map(|p| p.budget.limit());
            if let Ok(limit) = budget {
                prop_assert_eq!(limit, UNITS_PER_BYTE * size);
            }
            Ok(())
        })
        .unwrap();
}
