#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The execution budget (docs/spec/zkvm.md §Execution budget): hostile
//! programs of every family are stopped by it, and
//! honest transactions (reference vectors, payments up to 16×16, deep
//! `eval` nesting) stay far inside it. `budget_allocations.rs` measures
//! the verifier's work independently of the budget's own accounting.

mod common;

use common::*;
use musig::SecretKey;
use zkvm::adversarial::{transaction, Family};
use zkvm::{Budget, Program, Prover, Tx, VMError, Verifier};

/// The verifier's result for `tx`'s bytes: the budget of a successful run.
fn precompute(tx: &Tx) -> Result<Budget, VMError> {
    Verifier::precompute_bytes(&tx.to_bytes()).map(|p| p.budget)
}

/// The innermost error of a VM failure.
fn inner(e: &VMError) -> &VMError {
    match e {
        VMError::Instruction { error, .. } => inner(error),
        other => other,
    }
}

fn is_budget_error(e: &VMError) -> bool {
    matches!(inner(e), VMError::ExecutionBudgetExceeded { .. })
}

#[test]
fn exponential_chains_are_refused_by_the_budget() {
    for family in Family::ALL.into_iter().filter(|f| f.is_exponential()) {
        // 2^40 runs without a budget; a few kilobytes of transaction.
        let tx = transaction(&family.program(40)).unwrap();
        let err = precompute(&tx).expect_err("refused");
        assert!(is_budget_error(&err), "{family:?}: {err}");
        // The error names the instruction that asked for the work.
        assert!(
            matches!(err, VMError::Instruction { .. }),
            "{family:?}: {err:?}"
        );
    }
}

#[test]
fn shallow_chains_run_within_the_budget() {
    // Depth 3 runs 8 programs: far inside the budget; the run succeeds
    // and only the (fake) proof fails afterwards.
    for family in Family::ALL.into_iter().filter(|f| f.is_exponential()) {
        let tx = transaction(&family.program(3)).unwrap();
        let budget = precompute(&tx).unwrap_or_else(|e| panic!("{family:?}: {e}"));
        assert!(budget.spent() < budget.limit(), "{family:?}");
        assert!(Verifier::verify_bytes(&tx.to_bytes()).is_err());
    }
}

#[test]
fn linear_families_stop_at_the_budget_or_a_limit() {
    // Families whose work per byte is high are refused by the budget or a
    // limit; the others (e.g. `unblind` floods, six bytes per deferred
    // point) run to the end, and a run that ends has kept to its budget.
    for family in Family::ALL.into_iter().filter(|f| !f.is_exponential()) {
        let tx = transaction(&family.program(20_000)).unwrap();
        match precompute(&tx) {
            Ok(budget) => assert!(budget.spent() <= budget.limit(), "{family:?}"),
            Err(err) => {
                let stopped =
                    is_budget_error(&err) || matches!(inner(&err), VMError::LimitExceeded { .. });
                let finished = matches!(err, VMError::StackNotClean(_) | VMError::AnchorMissing);
                assert!(stopped || finished, "{family:?}: {err}");
                if finished {
                    assert!(
                        !matches!(
                            family,
                            Family::DupCopies
                                | Family::LogFlood
                                | Family::ExpressionGrowth
                                | Family::NotChain
                                | Family::RangeFlood
                        ),
                        "{family:?} should have been stopped"
                    );
                }
            }
        }
    }
}

/// The share of its budget a transaction spent, in percent.
fn percent(b: &Budget) -> f64 {
    100.0 * b.spent() as f64 / b.limit() as f64
}

#[test]
fn payments_use_a_small_part_of_their_budget() {
    let mut rng = rng(1400);
    for (m, n) in [(1, 1), (1, 2), (2, 2), (4, 4), (8, 8), (16, 16)] {
        let key = SecretKey::random(&mut rng);
        let inputs: Vec<_> = (0..m)
            .map(|_| key_utxo(&key, 100, usd(), &mut rng))
            .collect();
        let total = 100 * m as u64;
        let outputs: Vec<_> = (0..n)
            .map(|i| {
                let qty = total / n as u64 + u64::from(i == 0) * (total % n as u64);
                (open_value(qty, usd(), &mut rng), address(&key))
            })
            .collect();
        let unsigned = Prover::build_tx(header(), payment(&inputs, &outputs)).unwrap();
        let prover_budget = unsigned.budget;
        let prover_share = percent(&prover_budget);
        let proven = finish(unsigned.sign().unwrap());
        let verified = Verifier::precompute_bytes(&proven.bytes).unwrap();
        let share = percent(&verified.budget);
        // docs/spec/zkvm.md §Execution budget quotes these figures.
        assert!(share < 35.0, "{m}x{n}: {share:.1}% of the budget");
        assert!(prover_share >= share, "the prover's budget is the tighter");
        assert_eq!(prover_budget.spent(), verified.budget.spent());
        println!(
            "{m}x{n}: {share:.1}% of the verifier's budget ({} of {} units)",
            verified.budget.spent(),
            verified.budget.limit()
        );
    }
}

#[test]
fn reference_transactions_use_a_small_part_of_their_budget() {
    let text = include_str!("../../../tests/vectors/zkvm-reference-txs.json");
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    for case in v["valid"].as_array().unwrap() {
        let bytes = hex::decode(case["tx_hex"].as_str().unwrap()).unwrap();
        let p = Verifier::precompute_bytes(&bytes).unwrap();
        let share = percent(&p.budget);
        println!("{}: {share:.1}%", case["name"]);
        assert!(share < 25.0, "{}: {share:.1}%", case["name"]);
    }
}

#[test]
fn deep_eval_nesting_fits_the_budget() {
    // A 1x1 payment run 64 programs deep (the depth limit): each level is
    // `program:{…} eval`, so the innermost bytes are copied 64 times.
    let mut rng = rng(1401);
    let key = SecretKey::random(&mut rng);
    let input = key_utxo(&key, 100, usd(), &mut rng);
    let output = (open_value(100, usd(), &mut rng), address(&key));
    let mut program = payment(&[input], &[output]);
    for _ in 0..64 {
        let mut outer = Program::new();
        outer.program(program).eval();
        program = outer;
    }
    let unsigned = Prover::build_tx(header(), program).unwrap();
    let proven = finish(unsigned.sign().unwrap());
    let p = Verifier::precompute_bytes(&proven.bytes).unwrap();
    let share = percent(&p.budget);
    println!("1x1 payment 64 evals deep: {share:.1}%");
    assert!(share < 75.0, "{share:.1}%");
}

#[test]
fn the_prover_refuses_what_the_verifier_would_refuse() {
    let program = Family::EvalChain.program(40);
    let err = match Prover::build_tx(header(), program) {
        Err(e) => e,
        Ok(_) => panic!("the prover ran 2^40 programs"),
    };
    assert!(is_budget_error(&err), "{err}");
}

#[test]
fn hostile_transactions_within_the_budget_reach_the_multiscalar_check() {
    // What the benchmark measures: a family's transaction at a small scale
    // runs to the end, builds its whole equation (the fake proof has the
    // right shape) and is refused only by the final check.
    for family in Family::ALL {
        let tx = family.transaction(4).unwrap();
        let p = Verifier::precompute_bytes(&tx.to_bytes())
            .unwrap_or_else(|e| panic!("{family:?}: {e}"));
        assert!(p.budget.spent() <= p.budget.limit());
        let err = p.verify().expect_err("a fake proof");
        assert!(
            matches!(
                err,
                VMError::InvalidR1CSProof(_) | VMError::PointChecksFailed
            ),
            "{family:?}: {err}"
        );
    }
}
