#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Dry runs of programs whose secrets violate a constraint
//! (docs/spec/simulate.md §What is reported): the failure names the
//! instruction that added the unsatisfied constraint, at its offset and
//! program depth, as the VM's instruction errors read.

mod common;

use common::{header, key_utxo, rng, usd};
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use zkvm::simulate::{simulate, Failure, Options};
use zkvm::{Commitment, Encodable, Predicate, Program, Prover};

/// A commitment to `value` with a fixed blinding factor.
fn secret(value: Scalar) -> Commitment {
    Commitment::blinded_with_factor(value, Scalar::from(1234u64))
}

/// `input signtx <pred> output:1`: spends a UTXO to a new owner, so the
/// transaction has an anchor and a clean stack.
fn anchored() -> Program {
    let mut r = rng(3);
    let alice = SecretKey::from_scalar(Scalar::from(7u64));
    let bob = Predicate::opaque(*SecretKey::random(&mut r).verification_key().as_compressed());
    let utxo = key_utxo(&alice, 10, usd(), &mut r);
    let mut p = Program::new();
    p.push(utxo).input().signtx().push(bob).output(1);
    p
}

/// `<a> commit expr <b> commit expr eq` (stops before `verify`).
fn compare(p: &mut Program, a: Scalar, b: Scalar) {
    p.push(secret(a))
        .commit()
        .expr()
        .push(secret(b))
        .commit()
        .expr()
        .eq();
}

fn failure_of(program: Program) -> Failure {
    let sim = simulate(header(), program, &Options::default());
    assert!(!sim.ok, "the run should fail");
    sim.failure.expect("a failure")
}

#[test]
fn an_out_of_range_secret_fails_at_range() {
    // `-1`, i.e. the group order minus one: not a 64-bit quantity. The
    // prover's range gadget refuses it when it assigns the bits, so `range`
    // fails as it runs (before its constraints exist), at its offset.
    let mut before = anchored();
    before.push(secret(-Scalar::ONE)).commit().expr();
    let offset = before.encoded_size();
    let mut program = before;
    program.range();

    let f = failure_of(program);
    assert_eq!(f.instruction.as_deref(), Some("range"), "{f:?}");
    assert_eq!(f.offset, Some(offset));
    assert_eq!(f.depth, Some(0));
    assert_eq!(f.text.as_deref(), Some("range"));
    let expected = format!("`range` at offset {offset} (program depth 0): ");
    assert!(f.message.starts_with(&expected), "{}", f.message);
    assert!(f.error.contains("outside the range"), "{}", f.error);
    println!("range failure: {}", f.message);
}

#[test]
fn two_different_secrets_fail_at_verify() {
    let mut before = anchored();
    compare(&mut before, Scalar::from(5u64), Scalar::from(6u64));
    let offset = before.encoded_size();
    let mut program = before;
    program.verify();

    let f = failure_of(program.clone());
    // `eq` only builds the constraint; `verify` adds it to the constraint
    // system (in the second phase), so `verify` is named.
    assert_eq!(f.instruction.as_deref(), Some("verify"), "{f:?}");
    assert_eq!(f.offset, Some(offset));
    assert_eq!(f.depth, Some(0));
    assert_eq!(f.text.as_deref(), Some("verify"));
    assert!(
        f.error
            .starts_with("constraint not satisfied (constraint #"),
        "{}",
        f.error
    );
    assert_eq!(
        f.message,
        format!("`verify` at offset {offset} (program depth 0): {}", f.error)
    );
    println!("verify failure: {}", f.message);

    // The prover refuses the same program at the same constraint.
    let index = f
        .error
        .trim_start_matches("constraint not satisfied (constraint #")
        .trim_end_matches(')');
    let refused = Prover::build_tx(header(), program)
        .err()
        .expect("the prover refuses");
    assert!(
        refused
            .to_string()
            .contains(&format!("constraint #{index}")),
        "{refused}"
    );
}

#[test]
fn equal_secrets_pass() {
    // The same program with equal secrets is honest: the failure above is
    // the secrets', not the program's.
    let mut program = anchored();
    compare(&mut program, Scalar::from(5u64), Scalar::from(5u64));
    program.verify();
    let sim = simulate(header(), program, &Options::default());
    assert!(sim.ok, "{:?}", sim.failure);
}

#[test]
fn the_first_unsatisfied_constraint_is_named() {
    // A satisfied `range` (phase-one constraints) and `verify` first, then
    // two violated `verify`s: the first violated one is reported.
    let mut before = anchored();
    before
        .push(secret(Scalar::from(9u64)))
        .commit()
        .expr()
        .range()
        .push(secret(Scalar::from(9u64)))
        .commit()
        .expr()
        .eq()
        .verify();
    compare(&mut before, Scalar::from(1u64), Scalar::from(2u64));
    let offset = before.encoded_size();
    let mut program = before;
    program.verify();
    compare(&mut program, Scalar::from(3u64), Scalar::from(4u64));
    program.verify();

    let f = failure_of(program);
    assert_eq!(f.instruction.as_deref(), Some("verify"));
    assert_eq!(f.offset, Some(offset));
    // 64 bits of two constraints each, and the sum: the range's 129 come
    // first; the satisfied `verify`'s is #129, the violated one #130.
    assert_eq!(f.error, "constraint not satisfied (constraint #130)");
}

#[test]
fn a_violation_in_an_evaluated_program_is_at_depth_one() {
    let mut inner = Program::new();
    compare(&mut inner, Scalar::from(5u64), Scalar::from(6u64));
    let offset = inner.encoded_size();
    inner.verify();
    let mut program = anchored();
    program.program(inner).eval();

    let f = failure_of(program);
    assert_eq!(f.instruction.as_deref(), Some("verify"), "{f:?}");
    assert_eq!(f.offset, Some(offset));
    assert_eq!(f.depth, Some(1));
    assert_eq!(f.text.as_deref(), Some("verify"));
    assert!(
        f.message.starts_with(&format!(
            "`verify` at offset {offset} (program depth 1): constraint not satisfied"
        )),
        "{}",
        f.message
    );
}
