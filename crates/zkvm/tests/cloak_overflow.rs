#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Transactions whose `cloak` merges same-flavor values adding up beyond
//! `2^64 - 1` (docs/spec/cloak.md §The prover's witness): the outputs are
//! each in range, so the statement is true and the prover must prove it;
//! the verifier accepts it from the encoded bytes. A false statement of the
//! same size is still refused by the prover with an error.

mod common;

use common::*;
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use zkvm::{Commitment, Data, Predicate, Program, Prover, ScalarWitness, TxEntry, VMError, Value};

const MAX: u64 = u64::MAX;
const HALF: u64 = 1 << 63;

#[test]
fn spending_max_and_one_into_two_halves_proves_and_verifies() {
    let mut rng = rng(1);
    let alice = SecretKey::random(&mut rng);
    let bob = SecretKey::random(&mut rng);
    let carol = SecretKey::random(&mut rng);
    let inputs = [
        key_utxo(&alice, MAX, usd(), &mut rng),
        key_utxo(&alice, 1, usd(), &mut rng),
    ];
    let to_bob = open_value(HALF, usd(), &mut rng);
    let to_carol = open_value(HALF, usd(), &mut rng);
    let proven = prove(
        header(),
        payment(
            &inputs,
            &[
                (to_bob.clone(), address(&bob)),
                (to_carol.clone(), address(&carol)),
            ],
        ),
    );
    assert_eq!(
        kinds(&proven.verified.log),
        ["header", "input", "input", "output", "output"]
    );
    let outs = outputs(&proven.verified);
    assert_eq!(outs[0].predicate, address(&bob));
    assert_holds(&outs[0], &[&to_bob]);
    assert_holds(&outs[1], &[&to_carol]);

    // Bob's half can be spent again with the openings he was given.
    let back = open_value(HALF, usd(), &mut rng);
    let held = reopen_value(&outs[0], Predicate::key(bob.clone()), &to_bob);
    let again = prove(header(), payment(&[held], &[(back.clone(), address(&bob))]));
    assert_holds(&outputs(&again.verified)[0], &[&back]);
}

#[test]
fn issuing_max_and_one_into_two_halves_proves_and_verifies() {
    let mut rng = rng(2);
    let issuer = SecretKey::random(&mut rng);
    let holder = SecretKey::random(&mut rng);
    let issuer_pred = Predicate::key(issuer.clone());
    let metadata = Data::Opaque(b"overflowing asset".to_vec());
    let flavor = Value::issue_flavor(&issuer_pred, &metadata);
    // The input only supplies the anchor.
    let fuel = key_utxo(&issuer, 0, fee_flavor(), &mut rng);
    let fuel_back = open_value(0, fee_flavor(), &mut rng);
    let halves = [
        open_value(HALF, flavor, &mut rng),
        open_value(HALF, flavor, &mut rng),
    ];

    let mut p = Program::new();
    p.push(fuel).input().signtx();
    let mut issued = Vec::new();
    for qty in [MAX, 1] {
        let q = Commitment::blinded_with_factor(qty, Scalar::random(&mut rng));
        let f = Commitment::unblinded(flavor);
        p.push(q.clone())
            .commit()
            .push(f.clone())
            .push(ScalarWitness::from(flavor))
            .unblind()
            .commit()
            .push(metadata.clone())
            .push(issuer_pred.clone())
            .issue()
            .signtx();
        issued.push(TxEntry::Issue(q.to_point(), f.to_point()));
    }
    push_cloak(
        &mut p,
        3,
        &[
            (halves[0].clone(), address(&holder)),
            (halves[1].clone(), address(&holder)),
            (fuel_back, address(&issuer)),
        ],
    );
    let proven = prove(header(), p);
    assert_eq!(
        kinds(&proven.verified.log),
        ["header", "input", "issue", "issue", "output", "output", "output"]
    );
    assert_eq!(proven.verified.log.0[2..4], issued[..]);
    let outs = outputs(&proven.verified);
    assert_holds(&outs[0], &[&halves[0]]);
    assert_holds(&outs[1], &[&halves[1]]);
}

#[test]
fn max_values_of_two_flavors_reshuffled_prove_and_verify() {
    // Four inputs of 2^64 - 1, two per flavor (each flavor's total is
    // 2^65 - 2), paid out as four outputs of 2^64 - 1 in another order.
    let mut rng = rng(3);
    let alice = SecretKey::random(&mut rng);
    let bob = SecretKey::random(&mut rng);
    let inputs: Vec<_> = [usd(), eur(), eur(), usd()]
        .into_iter()
        .map(|f| key_utxo(&alice, MAX, f, &mut rng))
        .collect();
    let outs: Vec<_> = [eur(), usd(), usd(), eur()]
        .into_iter()
        .map(|f| (open_value(MAX, f, &mut rng), address(&bob)))
        .collect();
    let proven = prove(header(), payment(&inputs, &outs));
    for (logged, (value, _)) in outputs(&proven.verified).iter().zip(&outs) {
        assert_holds(logged, &[value]);
    }
}

#[test]
fn a_false_cloak_of_the_same_size_is_refused_with_an_error() {
    let mut rng = rng(4);
    let alice = SecretKey::random(&mut rng);
    let inputs = [
        key_utxo(&alice, MAX, usd(), &mut rng),
        key_utxo(&alice, 1, usd(), &mut rng),
    ];
    // One unit short of the inputs' 2^64.
    let outs = [
        (open_value(HALF, usd(), &mut rng), address(&alice)),
        (open_value(HALF - 1, usd(), &mut rng), address(&alice)),
    ];
    assert_fails_in(
        Prover::build_tx(header(), payment(&inputs, &outs)),
        "cloak",
        VMError::Cloak(cloak::CloakError::Unbalanced),
    );
}
