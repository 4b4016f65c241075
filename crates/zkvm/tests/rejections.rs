#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Negative scenarios: every way a transaction can be wrong that these
//! tests know of, each with the exact typed error. Where the honest prover
//! refuses a program, the verifier is also shown the program (inside an
//! otherwise valid transaction: the VM fails before the proof is read) and
//! must reject it for the same reason.

mod common;

use cloak::CloakError;
use common::*;
use curve25519_dalek::scalar::Scalar;
use musig::{MusigError, SecretKey, Signature};
use r1cs::R1CSError;
use zkvm::{
    limits, CallProof, Commitment, Contract, Data, DecodeError, Encodable, Instruction,
    PortableItem, Predicate, PredicateTree, Program, ProgramItem, Prover, ScalarWitness, Tx,
    TxHeader, VMError, Value, Verifier,
};

/// Asserts that the prover refuses `program` and the verifier rejects it
/// (inside `carrier`) with the same failure of `instruction`.
#[track_caller]
fn refused_everywhere(
    carrier: &Tx,
    header: TxHeader,
    program: Program,
    instruction: &str,
    inner: VMError,
) {
    let bytes = with_program(carrier, &program);
    assert_fails_in(
        Prover::build_tx(header, program),
        instruction,
        inner.clone(),
    );
    let mut tx = Tx::from_bytes(&bytes).unwrap();
    tx.header = header;
    assert_fails_in(Verifier::verify_bytes(&tx.to_bytes()), instruction, inner);
}

/// The prover's error for `program`, which must be refused.
fn prover_error(header: TxHeader, program: Program) -> VMError {
    match Prover::build_tx(header, program) {
        Err(e) => e,
        Ok(_) => panic!("the prover accepted the program"),
    }
}

/// `push:x scalar`.
fn constant(p: &mut Program, x: u64) -> &mut Program {
    p.push(ScalarWitness::from(Scalar::from(x))).scalar()
}

#[test]
fn inflation_is_refused_by_the_prover() {
    let mut rng = rng(200);
    let alice = SecretKey::random(&mut rng);
    let inputs = [
        key_utxo(&alice, 600, usd(), &mut rng),
        key_utxo(&alice, 400, usd(), &mut rng),
    ];
    // 1000 in, 1001 out.
    let outs = [
        (open_value(700, usd(), &mut rng), address(&alice)),
        (open_value(301, usd(), &mut rng), address(&alice)),
    ];
    assert_fails_in(
        Prover::build_tx(header(), payment(&inputs, &outs)),
        "cloak",
        VMError::Cloak(CloakError::Unbalanced),
    );
    // Same total, another flavor: turning dollars into euros.
    let outs = [(open_value(1000, eur(), &mut rng), address(&alice))];
    assert_fails_in(
        Prover::build_tx(header(), payment(&inputs, &outs)),
        "cloak",
        VMError::Cloak(CloakError::Unbalanced),
    );
}

#[test]
fn values_and_contracts_cannot_be_dropped() {
    let mut rng = rng(201);
    let carrier = carrier(&mut rng);
    let alice = SecretKey::random(&mut rng);
    let c = key_utxo(&alice, 5, usd(), &mut rng);
    refused_everywhere(
        &carrier,
        header(),
        Program::build(|p| p.push(c.clone()).input().signtx().drop()),
        "drop",
        VMError::WrongType {
            expected: "droppable item",
            found: "value",
        },
    );
    refused_everywhere(
        &carrier,
        header(),
        Program::build(|p| p.push(c.clone()).input().drop()),
        "drop",
        VMError::WrongType {
            expected: "droppable item",
            found: "contract",
        },
    );
}

#[test]
fn a_value_cannot_be_duplicated() {
    let mut rng = rng(202);
    let carrier = carrier(&mut rng);
    let alice = SecretKey::random(&mut rng);
    let c = key_utxo(&alice, 5, usd(), &mut rng);
    refused_everywhere(
        &carrier,
        header(),
        Program::build(|p| {
            p.push(c)
                .input()
                .signtx()
                .dup(0)
                .push(address(&alice))
                .output(2)
        }),
        "dup",
        VMError::WrongType {
            expected: "copyable item (string or variable)",
            found: "value",
        },
    );
}

#[test]
fn a_value_left_on_the_stack_is_rejected() {
    let mut rng = rng(203);
    let carrier = carrier(&mut rng);
    let alice = SecretKey::random(&mut rng);
    let c = key_utxo(&alice, 5, usd(), &mut rng);
    let program = Program::build(|p| p.push(c).input().signtx());
    let bytes = with_program(&carrier, &program);
    assert_eq!(
        Prover::build_tx(header(), program).err(),
        Some(VMError::StackNotClean(1))
    );
    assert_eq!(
        Verifier::verify_bytes(&bytes).err(),
        Some(VMError::StackNotClean(1))
    );
}

#[test]
fn a_transaction_without_an_anchor_is_rejected() {
    let mut rng = rng(204);
    let carrier = carrier(&mut rng);
    let program = Program::build(|p| p.push(b"hello".to_vec()).log());
    let bytes = with_program(&carrier, &program);
    assert_eq!(
        Prover::build_tx(header(), program).err(),
        Some(VMError::AnchorMissing)
    );
    assert_eq!(
        Verifier::verify_bytes(&bytes).err(),
        Some(VMError::AnchorMissing)
    );
    // A contract made before any input has no anchor either.
    let alice = SecretKey::random(&mut rng);
    refused_everywhere(
        &carrier,
        header(),
        Program::build(|p| p.push(address(&alice)).output(0)),
        "output",
        VMError::AnchorMissing,
    );
}

#[test]
fn a_signature_by_another_key_or_for_another_tx_is_rejected() {
    let mut rng = rng(205);
    let alice = SecretKey::random(&mut rng);
    let bob = SecretKey::random(&mut rng);
    let input = key_utxo(&alice, 50, usd(), &mut rng);
    let build = |to: &SecretKey, rng: &mut rand::rngs::StdRng| {
        let out = open_value(50, usd(), rng);
        Prover::build_tx(
            header(),
            payment(std::slice::from_ref(&input), &[(out, address(to))]),
        )
        .unwrap()
    };

    // Mallory signs for Alice's predicate.
    let unsigned = build(&bob, &mut rng);
    let request = unsigned.signing_request().unwrap();
    let mallory = SecretKey::random(&mut rng);
    let forged = Signature::sign_multimessage(
        &mut request.transcript.clone(),
        &[(mallory, request.pairs[0].1)],
    )
    .unwrap();
    assert_eq!(
        Verifier::verify_bytes(&unsigned.with_signature(forged).to_bytes()).err(),
        Some(VMError::PointChecksFailed)
    );

    // Alice's genuine signature of one transaction, moved to another that
    // spends the same input elsewhere: the txid differs.
    let to_bob = build(&bob, &mut rng).sign().unwrap();
    let to_mallory = build(&SecretKey::random(&mut rng), &mut rng);
    let stolen = to_mallory.with_signature(to_bob.signature);
    assert_eq!(
        Verifier::verify_bytes(&stolen.to_bytes()).err(),
        Some(VMError::PointChecksFailed)
    );
    // Signing requires the key: a predicate known only by its point cannot.
    let opaque = utxo(
        address(&alice),
        vec![PortableItem::Value(value_of(&input))],
        &mut rng,
    );
    let out = open_value(50, usd(), &mut rng);
    let unsigned = Prover::build_tx(header(), payment(&[opaque], &[(out, address(&bob))])).unwrap();
    assert_eq!(
        unsigned.sign().err(),
        Some(VMError::MissingWitness("signtx signing key"))
    );
}

/// A two-program taproot tree (pay to Bob, pay to Carol) with no inner
/// secret, and a contract locked by it.
fn taproot_contract(rng: &mut rand::rngs::StdRng) -> (PredicateTree, Contract, SecretKey) {
    let bob = SecretKey::random(rng);
    let carol = SecretKey::random(rng);
    let programs = vec![
        Program::build(|p| p.push(address(&bob)).output(1)).into(),
        Program::build(|p| p.push(address(&carol)).output(1)).into(),
    ];
    let tree = PredicateTree::new(None, programs, [3u8; 32]).unwrap();
    let contract = utxo(
        Predicate::opaque(tree.outer_key()),
        vec![PortableItem::Value(open_value(9, usd(), rng))],
        rng,
    );
    (tree, contract, bob)
}

fn call_program(contract: &Contract, proof: Vec<u8>, prog: Program) -> Program {
    Program::build(|p| {
        p.push(contract.clone())
            .input()
            .push(proof)
            .program(prog)
            .call()
    })
}

#[test]
fn a_call_of_a_program_outside_the_tree_is_rejected() {
    let mut rng = rng(206);
    let (tree, contract, _) = taproot_contract(&mut rng);
    let (proof, _) = tree.call_proof(0).unwrap();
    let mallory = SecretKey::random(&mut rng);
    let theft = Program::build(|p| p.push(address(&mallory)).output(1));
    // The prover does not check taproot commitments; the verifier does.
    let tx = Prover::build_tx(
        header(),
        call_program(&contract, proof.encode_to_vec(), theft),
    )
    .unwrap()
    .sign()
    .unwrap();
    assert_eq!(
        Verifier::verify_bytes(&tx.to_bytes()).err(),
        Some(VMError::PointChecksFailed)
    );
    // With the honest program the same transaction shape verifies.
    let (proof, honest) = tree.call_proof(0).unwrap();
    let ProgramItem::Program(honest) = honest else {
        panic!("built program expected")
    };
    prove(
        header(),
        call_program(&contract, proof.encode_to_vec(), honest),
    );
    // An unsignable tree (no inner secret) has no signing key.
    assert!(Predicate::tree(tree).signing_key().is_none());
}

#[test]
fn a_malformed_call_proof_is_rejected() {
    let mut rng = rng(207);
    let carrier = carrier(&mut rng);
    let (tree, contract, bob) = taproot_contract(&mut rng);
    let (proof, _) = tree.call_proof(1).unwrap();
    let prog = Program::build(|p| p.push(address(&bob)).output(1));
    let good = proof.encode_to_vec();
    // Two programs and two blinding leaves: a path of two neighbors.
    assert_eq!(good.len(), 32 + 8 + 4 + 2 * 32);

    // A position bit above the path's length.
    let mut stray = good.clone();
    stray[32] |= 1 << 5;
    refused_everywhere(
        &carrier,
        header(),
        call_program(&contract, stray, prog.clone()),
        "call",
        VMError::InvalidCallProof("position bits beyond the path"),
    );
    // A path longer than 64 (the count is checked before any neighbor).
    let mut long = good[..40].to_vec();
    long.extend_from_slice(&65u32.to_le_bytes());
    refused_everywhere(
        &carrier,
        header(),
        call_program(&contract, long, prog.clone()),
        "call",
        VMError::InvalidCallProof("path longer than 64"),
    );
    // Truncated, and with a trailing byte.
    refused_everywhere(
        &carrier,
        header(),
        call_program(&contract, good[..good.len() - 1].to_vec(), prog.clone()),
        "call",
        VMError::Decode(DecodeError::UnexpectedEnd {
            needed: 64,
            remaining: 63,
        }),
    );
    let mut trailing = good.clone();
    trailing.push(0);
    refused_everywhere(
        &carrier,
        header(),
        call_program(&contract, trailing, prog),
        "call",
        VMError::Decode(DecodeError::TrailingBytes(1)),
    );
    // Decoding agrees with the VM.
    assert_eq!(CallProof::from_bytes(&good), Ok(proof));
}

#[test]
fn proofs_cannot_be_swapped_between_transactions() {
    let mut rng = rng(208);
    let a = carrier(&mut rng);
    let b = carrier(&mut rng);
    // Same shape (1×1, 64 multipliers), different statements.
    assert_eq!(a.proof.ipp_rounds(), b.proof.ipp_rounds());
    let mut swapped = a.clone();
    swapped.proof = b.proof.clone();
    assert_eq!(
        Verifier::verify_bytes(&swapped.to_bytes()).err(),
        Some(VMError::InvalidR1CSProof(R1CSError::VerificationFailed))
    );
}

/// Position of `needle` in `haystack` (it must occur once).
fn find(haystack: &[u8], needle: &[u8]) -> usize {
    let hits: Vec<usize> = haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(hits.len(), 1);
    hits[0]
}

#[test]
fn tampered_program_bytes_break_the_proof() {
    let mut rng = rng(209);
    let alice = SecretKey::random(&mut rng);
    let bob = SecretKey::random(&mut rng);
    let input = key_utxo(&alice, 10, usd(), &mut rng);
    let out = open_value(10, usd(), &mut rng);
    let tx = prove(
        header(),
        payment(
            std::slice::from_ref(&input),
            &[(out.clone(), address(&bob))],
        ),
    )
    .tx;
    let tamper = |needle: &[u8], change: &dyn Fn(&mut [u8])| {
        let mut t = tx.clone();
        let at = find(&t.program, needle);
        change(&mut t.program[at..at + needle.len()]);
        Verifier::verify_bytes(&t.to_bytes()).err()
    };
    let qty = out.qty.to_point().to_bytes();

    // The output's quantity commitment becomes another valid point: the VM
    // runs, but the R1CS statement (and the txid) changed.
    let other = Commitment::blinded_with_factor(11u64, Scalar::ONE).to_point();
    assert_eq!(
        tamper(&qty, &|c| c.copy_from_slice(other.as_bytes())),
        Some(VMError::InvalidR1CSProof(R1CSError::VerificationFailed))
    );
    // ... or no point at all (the top bit of a Ristretto encoding is 0): the
    // VM stores commitments undecoded; the proof's verifier finds it.
    assert_eq!(
        tamper(&qty, &|c| c[31] |= 0x80),
        Some(VMError::InvalidR1CSProof(R1CSError::InvalidPoint("V")))
    );
    // The spent contract's value commitment, replaced by another valid
    // point: another contract ID, so another input, txid and signed
    // message; the proof is checked first.
    let spent_qty = value_of(&input).qty.to_point().to_bytes();
    assert_eq!(
        tamper(&spent_qty, &|c| c.copy_from_slice(other.as_bytes())),
        Some(VMError::InvalidR1CSProof(R1CSError::VerificationFailed))
    );
    // The recipient's key: the output (so the txid) changes.
    let recipient = bob.verification_key().to_bytes();
    assert_eq!(
        tamper(&recipient, &|c| c[5] ^= 0x01),
        Some(VMError::InvalidR1CSProof(R1CSError::VerificationFailed))
    );
}

#[test]
fn malformed_transaction_encodings_are_rejected() {
    let mut rng = rng(210);
    let tx = carrier(&mut rng);
    let bytes = tx.to_bytes();
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert_eq!(
        Verifier::verify_bytes(&trailing).err(),
        Some(VMError::Decode(DecodeError::TrailingBytes(1)))
    );
    assert!(matches!(
        Verifier::verify_bytes(&bytes[..bytes.len() - 1]),
        Err(VMError::Decode(DecodeError::UnexpectedEnd { .. }))
    ));
    // A signature whose `s` is not reduced.
    let s_at = 24 + 4 + tx.program.len() + 32;
    let mut bad_s = bytes.clone();
    bad_s[s_at..s_at + 32].copy_from_slice(&[0xff; 32]);
    assert_eq!(
        Verifier::verify_bytes(&bad_s).err(),
        Some(VMError::InvalidSignature(MusigError::NonCanonicalScalar))
    );
    // A proof one byte short (length prefix adjusted).
    let proof = tx.proof.to_bytes();
    let mut short = bytes[..s_at + 32].to_vec();
    short.extend_from_slice(&u32::try_from(proof.len() - 1).unwrap().to_le_bytes());
    short.extend_from_slice(&proof[..proof.len() - 1]);
    assert!(matches!(
        Verifier::verify_bytes(&short),
        Err(VMError::InvalidR1CSProof(
            R1CSError::InvalidProofLength { .. }
        ))
    ));
}

#[test]
fn a_non_canonical_scalar_is_rejected() {
    let mut rng = rng(211);
    let carrier = carrier(&mut rng);
    refused_everywhere(
        &carrier,
        header(),
        Program::build(|p| p.push(vec![0xff; 32]).scalar()),
        "scalar",
        VMError::NonCanonicalScalar,
    );
    // The group order itself is not canonical either; ℓ − 1 is fine.
    let mut order = (-Scalar::ONE).to_bytes();
    order[0] += 1;
    refused_everywhere(
        &carrier,
        header(),
        Program::build(|p| p.push(order.to_vec()).scalar()),
        "scalar",
        VMError::NonCanonicalScalar,
    );
    refused_everywhere(
        &carrier,
        header(),
        Program::build(|p| p.push(vec![1; 31]).scalar()),
        "scalar",
        VMError::Decode(DecodeError::UnexpectedEnd {
            needed: 32,
            remaining: 31,
        }),
    );
}

/// A spend (for the anchor) followed by `range(mintime − 1000)`: valid only
/// when `mintime ≥ 1000`.
fn not_before_1000(rng: &mut rand::rngs::StdRng) -> Program {
    let owner = SecretKey::random(rng);
    let c = key_utxo(&owner, 1, usd(), rng);
    let mut p = Program::new();
    p.push(c).input().signtx().push(address(&owner)).output(1);
    p.mintime();
    constant(&mut p, 1000).neg().add().range().drop();
    p
}

#[test]
fn violated_time_bounds_are_refused_and_rejected() {
    let mut rng = rng(212);
    // Public bound: `mintime` is a constant, so `range` decides it in the
    // clear: 500 − 1000 is not in [0, 2^64). The prover refuses; a
    // transaction proven under a valid header and then given a violating
    // one is rejected by the verifier's VM for the same reason, before its
    // proof or signature is looked at.
    let program = not_before_1000(&mut rng);
    assert_fails_in(
        Prover::build_tx(header_at(500, 2000), program.clone()),
        "range",
        VMError::ConstantOutOfRange,
    );
    let mut tx = prove(header_at(1000, 2000), program).tx;
    tx.header.mintime_ms = 999;
    assert_fails_in(
        Verifier::verify_bytes(&tx.to_bytes()),
        "range",
        VMError::ConstantOutOfRange,
    );

    // Secret deadline 1500, `range(deadline − maxtime)` with maxtime 2000:
    // the prover's range proof has no witness in range, so it refuses.
    let owner = SecretKey::random(&mut rng);
    let secret_deadline = |rng: &mut rand::rngs::StdRng| {
        let c = key_utxo(&owner, 1, usd(), rng);
        Program::build(|p| {
            p.push(c)
                .input()
                .signtx()
                .push(address(&owner))
                .output(1)
                .push(Commitment::blinded_with_factor(
                    1500u64,
                    Scalar::random(rng),
                ))
                .commit()
                .expr()
                .maxtime()
                .neg()
                .add()
                .range()
                .drop()
        })
    };
    assert_fails_in(
        Prover::build_tx(header_at(0, 2000), secret_deadline(&mut rng)),
        "range",
        VMError::Cloak(CloakError::OutOfRange { bits: 64 }),
    );
    // Proven under maxtime 1400, then the header is moved to 2000: the
    // verifier cannot see the deadline, but the header is in the txid the
    // proof is bound to.
    let mut tx = prove(header_at(0, 1400), secret_deadline(&mut rng)).tx;
    tx.header.maxtime_ms = 2000;
    assert_eq!(
        Verifier::verify_bytes(&tx.to_bytes()).err(),
        Some(VMError::InvalidR1CSProof(R1CSError::VerificationFailed))
    );
}

#[test]
fn the_stack_cannot_hold_more_than_its_limit() {
    let mut rng = rng(213);
    let carrier = carrier(&mut rng);
    let mut p = Program::new();
    for _ in 0..=limits::MAX_STACK_ITEMS {
        p.push(Vec::<u8>::new());
    }
    refused_everywhere(
        &carrier,
        header(),
        p,
        "push",
        VMError::LimitExceeded {
            what: "stack items",
            value: limits::MAX_STACK_ITEMS + 1,
            limit: limits::MAX_STACK_ITEMS,
        },
    );
    // Exactly the limit is fine.
    let owner = SecretKey::random(&mut rng);
    let mut p = Program::new();
    for _ in 0..limits::MAX_STACK_ITEMS {
        p.push(Vec::<u8>::new());
    }
    for _ in 0..limits::MAX_STACK_ITEMS {
        p.drop();
    }
    p.push(key_utxo(&owner, 1, usd(), &mut rng))
        .input()
        .signtx()
        .push(address(&owner))
        .output(1);
    prove(header(), p);
}

/// `n` nested `program:… eval`, the innermost program empty.
fn nested_evals(n: usize) -> Program {
    let mut p = Program::new();
    for _ in 0..n {
        p = Program::build(|q| q.program(p).eval());
    }
    p
}

#[test]
fn eval_nesting_deeper_than_the_limit_is_rejected() {
    let mut rng = rng(214);
    let carrier = carrier(&mut rng);
    let depth = limits::MAX_PROGRAM_DEPTH;
    let program = nested_evals(depth + 1);
    let limit = VMError::LimitExceeded {
        what: "program depth",
        value: depth + 1,
        limit: depth,
    };
    let bytes = with_program(&carrier, &program);
    // The innermost failing program is `program:<empty> eval`: its `eval`
    // is at byte 5, `depth` programs deep.
    assert_eq!(
        Verifier::verify_bytes(&bytes).err(),
        Some(VMError::Instruction {
            instruction: "eval",
            offset: 5,
            depth,
            error: Box::new(limit.clone()),
        })
    );
    match prover_error(header(), program) {
        VMError::Instruction {
            instruction: "eval",
            depth: d,
            error,
            ..
        } => assert_eq!((d, *error), (depth, limit)),
        other => panic!("{other:?}"),
    }
    // The same through `call` and `signid`: every nested run counts. Here
    // one level of eval is replaced by a call of a one-program tree.
    let inner = nested_evals(depth);
    let tree = PredicateTree::new(None, vec![inner.clone().into()], [1u8; 32]).unwrap();
    let (proof, _) = tree.call_proof(0).unwrap();
    let owner = SecretKey::random(&mut rng);
    let c = key_utxo(&owner, 1, usd(), &mut rng);
    let c = Contract {
        predicate: Predicate::opaque(tree.outer_key()),
        payload: Vec::new(),
        ..c
    };
    let program = Program::build(|p| {
        p.push(c.clone())
            .input()
            .push(proof.encode_to_vec())
            .program(inner.clone())
            .call()
    });
    assert_fails_in(
        Prover::build_tx(header(), program),
        "eval",
        VMError::LimitExceeded {
            what: "program depth",
            value: depth + 1,
            limit: depth,
        },
    );
}

#[test]
fn extension_opcodes_fail_at_version_1() {
    let mut rng = rng(215);
    let owner = SecretKey::random(&mut rng);
    let c = key_utxo(&owner, 1, usd(), &mut rng);
    let program = Program::build(|p| {
        p.push(c.clone())
            .input()
            .signtx()
            .push_instruction(Instruction::Ext(0x23))
            .push(address(&owner))
            .output(1)
    });
    assert_fails_in(
        Prover::build_tx(header(), program.clone()),
        "ext",
        VMError::ExtensionsNotAllowed(0x23),
    );
    // Valid at version 2; moved to version 1 it fails in the VM.
    let v2 = TxHeader {
        version: 2,
        ..header()
    };
    let mut tx = prove(v2, program).tx;
    tx.header.version = 1;
    assert_fails_in(
        Verifier::verify_bytes(&tx.to_bytes()),
        "ext",
        VMError::ExtensionsNotAllowed(0x23),
    );
}

#[test]
fn fees_above_2_24_are_rejected() {
    let mut rng = rng(216);
    let carrier = carrier(&mut rng);
    let max = u32::try_from(zkvm::MAX_FEE).unwrap();
    for fees in [vec![max + 1], vec![u32::MAX], vec![max / 2, max / 2 + 1]] {
        let mut p = Program::new();
        for f in &fees {
            p.push(Data::U32(*f)).fee();
        }
        refused_everywhere(&carrier, header(), p, "fee", VMError::FeeTooHigh);
    }
    // The fee is exactly a 4-byte LE32.
    refused_everywhere(
        &carrier,
        header(),
        Program::build(|p| p.push(Data::U64(1)).fee()),
        "fee",
        VMError::Decode(DecodeError::TrailingBytes(4)),
    );
}

#[test]
fn cloak_needs_at_least_one_input_and_one_output() {
    let mut rng = rng(217);
    let carrier = carrier(&mut rng);
    let owner = SecretKey::random(&mut rng);
    let c = key_utxo(&owner, 1, usd(), &mut rng);
    let v = open_value(0, usd(), &mut rng);
    refused_everywhere(
        &carrier,
        header(),
        Program::build(|p| p.push(v.qty.clone()).push(v.flv.clone()).cloak(0, 1)),
        "cloak",
        VMError::Cloak(CloakError::EmptySide {
            inputs: 0,
            outputs: 1,
        }),
    );
    refused_everywhere(
        &carrier,
        header(),
        Program::build(|p| p.push(c.clone()).input().signtx().cloak(1, 0)),
        "cloak",
        VMError::Cloak(CloakError::EmptySide {
            inputs: 1,
            outputs: 0,
        }),
    );
    refused_everywhere(
        &carrier,
        header(),
        Program::build(|p| p.cloak(0, 0)),
        "cloak",
        VMError::Cloak(CloakError::EmptySide {
            inputs: 0,
            outputs: 0,
        }),
    );
    // More than the stack holds.
    refused_everywhere(
        &carrier,
        header(),
        Program::build(|p| p.push(c.clone()).input().signtx().cloak(1, 1)),
        "cloak",
        VMError::StackUnderflow,
    );
}

#[test]
fn malformed_output_structures_are_rejected_by_input() {
    let mut rng = rng(218);
    let carrier = carrier(&mut rng);
    let owner = SecretKey::random(&mut rng);
    let good = key_utxo(&owner, 1, usd(), &mut rng).encode_to_vec();
    // anchor(32) predicate(32) k(4) then one value item (1 + 32 + 32).
    assert_eq!(good.len(), 32 + 32 + 4 + 65);
    let spend = |bytes: Vec<u8>| Program::build(|p| p.push(bytes).input());

    refused_everywhere(
        &carrier,
        header(),
        spend(good[..good.len() - 1].to_vec()),
        "input",
        VMError::Decode(DecodeError::UnexpectedEnd {
            needed: 32,
            remaining: 31,
        }),
    );
    let mut trailing = good.clone();
    trailing.push(0);
    refused_everywhere(
        &carrier,
        header(),
        spend(trailing),
        "input",
        VMError::Decode(DecodeError::TrailingBytes(1)),
    );
    let mut unknown_type = good.clone();
    unknown_type[68] = 0x03;
    refused_everywhere(
        &carrier,
        header(),
        spend(unknown_type),
        "input",
        VMError::InvalidFormat("unknown payload item type"),
    );
    // A count of 2^32 − 1 items is refused before anything is allocated.
    let mut huge = good.clone();
    huge[64..68].copy_from_slice(&u32::MAX.to_le_bytes());
    refused_everywhere(
        &carrier,
        header(),
        spend(huge),
        "input",
        VMError::Decode(DecodeError::UnexpectedEnd {
            needed: 5 * u32::MAX as usize,
            remaining: 65,
        }),
    );
    // A string item whose length runs past the end.
    let mut string = good[..68].to_vec();
    string.extend_from_slice(&[0x00, 9, 0, 0, 0, 1, 2]);
    refused_everywhere(
        &carrier,
        header(),
        spend(string),
        "input",
        VMError::Decode(DecodeError::UnexpectedEnd {
            needed: 9,
            remaining: 2,
        }),
    );
    // Not a string at all.
    refused_everywhere(
        &carrier,
        header(),
        Program::build(|p| p.push(key_utxo(&owner, 1, usd(), &mut rng)).input().input()),
        "input",
        VMError::WrongType {
            expected: "string",
            found: "contract",
        },
    );
}

#[test]
fn false_constraints_are_refused() {
    let mut rng = rng(219);
    let owner = SecretKey::random(&mut rng);
    // A secret 6 claimed to be 5 or 7: the prover refuses before proving.
    let mut p = Program::new();
    p.push(key_utxo(&owner, 1, usd(), &mut rng))
        .input()
        .signtx()
        .push(address(&owner))
        .output(1)
        .push(Commitment::blinded_with_factor(
            6u64,
            Scalar::random(&mut rng),
        ))
        .commit()
        .dup(0)
        .expr();
    constant(&mut p, 5).eq().roll(1).expr();
    constant(&mut p, 7).eq().or().verify();
    assert!(matches!(
        prover_error(header(), p),
        VMError::R1CS(R1CSError::UnsatisfiedConstraint { .. })
    ));
    // `not` of a true statement over a secret.
    let mut p = Program::new();
    p.push(key_utxo(&owner, 1, usd(), &mut rng))
        .input()
        .signtx()
        .push(address(&owner))
        .output(1)
        .push(Commitment::blinded_with_factor(
            5u64,
            Scalar::random(&mut rng),
        ))
        .commit()
        .expr();
    constant(&mut p, 5).eq().not().verify();
    assert!(matches!(
        prover_error(header(), p),
        VMError::R1CS(R1CSError::UnsatisfiedConstraint { .. })
    ));
    // A false statement over constants fails at `verify`, on both sides.
    let carrier = carrier(&mut rng);
    let mut p = Program::new();
    constant(&mut p, 1);
    constant(&mut p, 2).eq().verify();
    refused_everywhere(
        &carrier,
        header(),
        p,
        "verify",
        VMError::CleartextConstraintFalse,
    );
}

#[test]
fn unblinding_with_the_wrong_scalar_is_rejected() {
    let mut rng = rng(220);
    let owner = SecretKey::random(&mut rng);
    let mut p = Program::new();
    p.push(key_utxo(&owner, 1, usd(), &mut rng))
        .input()
        .signtx()
        .push(address(&owner))
        .output(1)
        .push(Commitment::unblinded(41u64))
        .push(ScalarWitness::from(Scalar::from(42u64)))
        .unblind()
        .drop();
    let tx = Prover::build_tx(header(), p).unwrap().sign().unwrap();
    assert_eq!(
        Verifier::verify_bytes(&tx.to_bytes()).err(),
        Some(VMError::PointChecksFailed)
    );
}

#[test]
fn issuance_with_a_flavor_of_other_metadata_is_rejected() {
    let mut rng = rng(221);
    let issuer = SecretKey::random(&mut rng);
    let pred = Predicate::key(issuer.clone());
    let fake = Value::issue_flavor(&pred, &Data::Opaque(b"silver".to_vec()));
    let fuel = key_utxo(&issuer, 0, fee_flavor(), &mut rng);
    let mut p = Program::new();
    p.push(fuel)
        .input()
        .signtx()
        .push(address(&issuer))
        .output(1)
        .push(Commitment::blinded_with_factor(
            5u64,
            Scalar::random(&mut rng),
        ))
        .commit()
        .push(Commitment::unblinded(fake))
        .commit()
        .push(b"gold".to_vec())
        .push(pred)
        .issue()
        .signtx()
        .push(address(&issuer))
        .output(1);
    let tx = Prover::build_tx(header(), p).unwrap().sign().unwrap();
    assert_eq!(
        Verifier::verify_bytes(&tx.to_bytes()).err(),
        Some(VMError::PointChecksFailed)
    );
}

#[test]
fn delegated_signatures_do_not_cover_other_programs_or_tags() {
    let mut rng = rng(222);
    let alice = SecretKey::random(&mut rng);
    let bob = SecretKey::random(&mut rng);
    let mallory = SecretKey::random(&mut rng);
    let to = |k: &SecretKey| Program::build(|p| p.push(address(k)).output(1));
    let contract = utxo(
        address(&alice),
        vec![PortableItem::Value(open_value(3, usd(), &mut rng))],
        &mut rng,
    );
    let sig = Signature::sign(&mut signid_transcript(&contract, &to(&bob)), &alice);
    // Mallory keeps Alice's signature and substitutes her own program.
    let theft = Program::build(|p| {
        p.push(contract.clone())
            .input()
            .program(to(&mallory))
            .push(sig.to_bytes().to_vec())
            .signid()
    });
    let tx = Prover::build_tx(header(), theft).unwrap().sign().unwrap();
    assert_eq!(
        Verifier::verify_bytes(&tx.to_bytes()).err(),
        Some(VMError::PointChecksFailed)
    );
    // A signid signature does not open another contract of Alice's.
    let other = utxo(
        address(&alice),
        vec![PortableItem::Value(open_value(3, usd(), &mut rng))],
        &mut rng,
    );
    let reuse = Program::build(|p| {
        p.push(other.clone())
            .input()
            .program(to(&bob))
            .push(sig.to_bytes().to_vec())
            .signid()
    });
    let tx = Prover::build_tx(header(), reuse).unwrap().sign().unwrap();
    assert_eq!(
        Verifier::verify_bytes(&tx.to_bytes()).err(),
        Some(VMError::PointChecksFailed)
    );

    // signtag: a signature for tag "a" does not open a contract tagged "b".
    let prog = Program::build(|p| p.drop().push(address(&bob)).output(1));
    let sig = Signature::sign(&mut signtag_transcript(b"a", &prog), &alice);
    let tagged = utxo(
        address(&alice),
        vec![
            PortableItem::Value(open_value(3, usd(), &mut rng)),
            PortableItem::String(Data::Opaque(b"b".to_vec())),
        ],
        &mut rng,
    );
    let p = Program::build(|p| {
        p.push(tagged.clone())
            .input()
            .program(prog.clone())
            .push(sig.to_bytes().to_vec())
            .signtag()
    });
    let tx = Prover::build_tx(header(), p).unwrap().sign().unwrap();
    assert_eq!(
        Verifier::verify_bytes(&tx.to_bytes()).err(),
        Some(VMError::PointChecksFailed)
    );
    // A signature string that is not 64 bytes.
    let carrier = carrier(&mut rng);
    refused_everywhere(
        &carrier,
        header(),
        Program::build(|p| {
            p.push(tagged.clone())
                .input()
                .program(prog.clone())
                .push(vec![0u8; 63])
                .signtag()
        }),
        "signtag",
        VMError::InvalidSignature(MusigError::InvalidSignatureLength(63)),
    );
    // signtag needs a string on top of the payload.
    let untagged = utxo(
        address(&alice),
        vec![PortableItem::Value(open_value(3, usd(), &mut rng))],
        &mut rng,
    );
    refused_everywhere(
        &carrier,
        header(),
        Program::build(|p| {
            p.push(untagged.clone())
                .input()
                .program(prog.clone())
                .push(sig.to_bytes().to_vec())
                .signtag()
        }),
        "signtag",
        VMError::WrongType {
            expected: "string",
            found: "value",
        },
    );
}

#[test]
fn an_offer_cannot_be_lifted_without_paying_the_price() {
    let mut rng = rng(223);
    let maker = SecretKey::random(&mut rng);
    let taker = SecretKey::random(&mut rng);
    let gold_flavor = Scalar::from(79u64);
    let lift = Program::build(|p| {
        p.push(Commitment::unblinded(25u64))
            .commit()
            .push(Commitment::unblinded(usd()))
            .commit()
            .borrow()
            .push(address(&maker))
            .output(1)
    });
    let tree =
        PredicateTree::new(Some(maker.clone()), vec![lift.clone().into()], [9u8; 32]).unwrap();
    let gold = open_value(10, gold_flavor, &mut rng);
    let offer = utxo(
        Predicate::opaque(tree.outer_key()),
        vec![PortableItem::Value(gold)],
        &mut rng,
    );
    let (proof, _) = tree.call_proof(0).unwrap();
    // The taker pays 20 USD, not 25.
    let dollars = key_utxo(&taker, 20, usd(), &mut rng);
    let mut p = Program::new();
    p.push(offer)
        .input()
        .push(proof.encode_to_vec())
        .program(lift)
        .call()
        .push(dollars)
        .input()
        .signtx();
    push_cloak(
        &mut p,
        3,
        &[(open_value(10, gold_flavor, &mut rng), address(&taker))],
    );
    assert_fails_in(
        Prover::build_tx(header(), p),
        "cloak",
        VMError::Cloak(CloakError::Unbalanced),
    );
}

#[test]
fn a_truncated_nested_program_reports_its_depth() {
    let mut rng = rng(224);
    let carrier = carrier(&mut rng);
    // `program:<push of 5 bytes with none> eval`: the nested bytecode is
    // only decoded when it runs, one program deep.
    let truncated = vec![0x00, 5, 0, 0, 0];
    let program = Program::build(|p| p.program(ProgramItem::Bytecode(truncated)).eval());
    let err = Verifier::verify_bytes(&with_program(&carrier, &program)).err();
    assert_eq!(
        err,
        Some(VMError::Instruction {
            instruction: "decode",
            offset: 0,
            depth: 1,
            error: Box::new(VMError::Decode(DecodeError::UnexpectedEnd {
                needed: 5,
                remaining: 0,
            })),
        })
    );
}

#[test]
fn call_proof_of_a_huge_index_is_an_error() {
    let mut rng = rng(225);
    let (tree, _, _) = taproot_contract(&mut rng);
    assert_eq!(
        tree.call_proof(2).err(),
        Some(VMError::InvalidCallProof("no such program"))
    );
    assert_eq!(
        tree.call_proof(usize::MAX / 2).err(),
        Some(VMError::InvalidCallProof("no such program"))
    );
}

#[test]
fn prover_and_verifier_report_the_same_error() {
    let mut rng = rng(226);
    let carrier = carrier(&mut rng);
    // `push:"" push:"" drop drop drop`: the third `drop` underflows. Its
    // opcode is at byte 12 (two 5-byte pushes, two 1-byte drops); it is
    // the instruction at index 4, which the prover reports instead.
    let program = Program::build(|p| {
        p.push(Vec::<u8>::new())
            .push(Vec::<u8>::new())
            .drop()
            .drop()
            .drop()
    });
    let expected = VMError::Instruction {
        instruction: "drop",
        offset: 12,
        depth: 0,
        error: Box::new(VMError::StackUnderflow),
    };
    assert_eq!(
        Verifier::verify_bytes(&with_program(&carrier, &program)).err(),
        Some(expected.clone())
    );
    assert_eq!(Prover::build_tx(header(), program).err(), Some(expected));
}

#[test]
fn a_cloak_beyond_the_multiplier_limit_is_refused_before_any_work() {
    // 64x64 needs 81·64 − 12 = 5172 multipliers, more than the 4096 the
    // generators hold: refused before a single value is examined.
    let mut p = Program::new();
    for _ in 0..64 * 3 {
        p.push(vec![0u8; 32]);
    }
    p.cloak(64, 64);
    assert_fails_in(
        Prover::build_tx(header(), p).map(|_| ()),
        "cloak",
        VMError::LimitExceeded {
            what: "multipliers",
            value: 5172,
            limit: limits::MAX_MULTIPLIERS,
        },
    );
}
