#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! End-to-end: build, prove, sign, encode, decode and verify payments.

use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use zkvm::{
    Anchor, Commitment, Contract, Data, PortableItem, Predicate, Program, Prover, TxEntry,
    TxHeader, VMError, Value, Verifier,
};

fn header() -> TxHeader {
    TxHeader {
        version: 1,
        mintime_ms: 0,
        maxtime_ms: u64::MAX,
    }
}

fn blind(rng: &mut StdRng) -> Scalar {
    Scalar::from(rng.gen::<u64>())
}

/// A UTXO holding `qty` of `flavor` under `key`, with known openings.
fn utxo(key: &SecretKey, qty: u64, flavor: Scalar, rng: &mut StdRng) -> Contract {
    Contract {
        anchor: Anchor::from_bytes(rng.gen()),
        predicate: Predicate::key(key.clone()),
        payload: vec![PortableItem::Value(Value {
            qty: Commitment::blinded_with_factor(qty, blind(rng)),
            flv: Commitment::blinded_with_factor(flavor, blind(rng)),
        })],
    }
}

/// Spends `inputs` (each signed by its key) into `outputs` (qty, flavor,
/// recipient), cloaked.
fn payment(
    inputs: &[(SecretKey, Contract)],
    outputs: &[(u64, Scalar, Predicate)],
    rng: &mut StdRng,
) -> Program {
    let mut p = Program::new();
    for (_, c) in inputs {
        p.push(Data::Output(Box::new(c.clone()))).input().signtx();
    }
    for (q, f, _) in outputs {
        p.push(Commitment::blinded_with_factor(*q, blind(rng)))
            .push(Commitment::blinded_with_factor(*f, blind(rng)));
    }
    p.cloak(inputs.len(), outputs.len());
    // Cloak pushes the outputs in reverse: the first output ends on top.
    for (_, _, pred) in outputs {
        p.push(pred.clone()).output(1);
    }
    p
}

#[test]
fn payment_1_to_2_proves_and_verifies() {
    let mut rng = StdRng::seed_from_u64(1);
    let alice = SecretKey::random(&mut rng);
    let bob = Predicate::key(SecretKey::random(&mut rng));
    let carol = Predicate::key(SecretKey::random(&mut rng));
    let usd = Scalar::from(840u64);
    let input = utxo(&alice, 1000, usd, &mut rng);
    let program = payment(
        &[(alice.clone(), input.clone())],
        &[(700, usd, bob.clone()), (300, usd, carol.clone())],
        &mut rng,
    );
    let unsigned = Prover::build_tx(header(), program).unwrap();
    let tx = unsigned.sign().unwrap();
    let bytes = tx.to_bytes();
    let verified = Verifier::verify_bytes(&bytes).unwrap();
    assert_eq!(verified.log.inputs().next(), Some(&input.id()));
    let outputs: Vec<_> = verified.log.outputs().collect();
    assert_eq!(outputs.len(), 2);
    assert_eq!(outputs[0].predicate, bob);
    assert_eq!(outputs[1].predicate, carol);
    // Same size as the reference: 96 + program + proof; 142 multipliers.
    assert_eq!(tx.proof.ipp_rounds(), 8);
    assert_eq!(bytes.len(), 1502);
}

#[test]
fn inflation_is_refused_by_the_prover() {
    let mut rng = StdRng::seed_from_u64(2);
    let alice = SecretKey::random(&mut rng);
    let bob = Predicate::key(SecretKey::random(&mut rng));
    let usd = Scalar::from(840u64);
    let input = utxo(&alice, 1000, usd, &mut rng);
    let program = payment(
        &[(alice, input)],
        &[(700, usd, bob.clone()), (301, usd, bob)],
        &mut rng,
    );
    let err = Prover::build_tx(header(), program).err().unwrap();
    assert!(
        matches!(&err, VMError::Instruction { instruction: "cloak", error, .. }
            if matches!(**error, VMError::Cloak(cloak::CloakError::Unbalanced))),
        "{err:?}"
    );
}

#[test]
fn a_wrong_signature_is_rejected() {
    let mut rng = StdRng::seed_from_u64(3);
    let alice = SecretKey::random(&mut rng);
    let bob = Predicate::key(SecretKey::random(&mut rng));
    let usd = Scalar::from(840u64);
    let input = utxo(&alice, 50, usd, &mut rng);
    let program = payment(&[(alice.clone(), input)], &[(50, usd, bob)], &mut rng);
    let unsigned = Prover::build_tx(header(), program).unwrap();
    let request = unsigned.signing_request().unwrap();
    // Someone other than Alice signs for Alice's predicate.
    let mut t = request.transcript.clone();
    let forged = musig::Signature::sign_multimessage(
        &mut t,
        &[(SecretKey::random(&mut rng), request.pairs[0].1)],
    )
    .unwrap();
    let tx = unsigned.with_signature(forged);
    assert_eq!(
        Verifier::verify_bytes(&tx.to_bytes()).err(),
        Some(VMError::PointChecksFailed)
    );
}

#[test]
fn issuance_then_retirement_logs_both() {
    let mut rng = StdRng::seed_from_u64(4);
    let issuer = SecretKey::random(&mut rng);
    let issuer_pred = Predicate::key(issuer.clone());
    let metadata = Data::Opaque(b"gold".to_vec());
    let flavor = Value::issue_flavor(&issuer_pred, &metadata);
    // Issue 100 (an input supplies the anchor), retire 60, keep 40.
    let fuel = utxo(&issuer, 0, Scalar::ZERO, &mut rng);
    let mut p = Program::new();
    p.push(Data::Output(Box::new(fuel.clone())))
        .input()
        .signtx();
    p.push(Commitment::blinded_with_factor(100u64, blind(&mut rng)))
        .commit()
        .push(Commitment::unblinded(flavor))
        .commit()
        .push(metadata)
        .push(issuer_pred.clone())
        .issue()
        .signtx();
    for (q, f) in [(60u64, flavor), (40, flavor), (0, Scalar::ZERO)] {
        p.push(Commitment::blinded_with_factor(q, blind(&mut rng)))
            .push(Commitment::blinded_with_factor(f, blind(&mut rng)));
    }
    p.cloak(2, 3);
    p.retire();
    p.push(issuer_pred.clone()).output(1);
    p.push(issuer_pred).output(1);
    let tx = Prover::build_tx(header(), p).unwrap().sign().unwrap();
    let verified = Verifier::verify_bytes(&tx.to_bytes()).unwrap();
    let kinds: Vec<&str> = verified
        .log
        .0
        .iter()
        .map(|e| match e {
            TxEntry::Header(_) => "header",
            TxEntry::Input(_) => "input",
            TxEntry::Issue(..) => "issue",
            TxEntry::Retire(..) => "retire",
            TxEntry::Output(_) => "output",
            TxEntry::Fee(_) => "fee",
            TxEntry::Data(_) => "data",
        })
        .collect();
    assert_eq!(
        kinds,
        ["header", "input", "issue", "retire", "output", "output"]
    );
}
