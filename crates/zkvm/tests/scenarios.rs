#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! End-to-end scenarios, after the spec's examples (lock and unlock, simple
//! payment, multisig, offer, time locks): each program is proven, signed,
//! encoded and verified from its bytes; the log is checked entry by entry,
//! and outputs are spent again in a following transaction with the
//! openings their owner knows.

mod common;

use common::*;
use curve25519_dalek::scalar::Scalar;
use musig::{Multikey, Multimessage, SecretKey, Signature};
use zkvm::{
    Anchor, Commitment, Contract, Data, Encodable, FeeRate, Instruction, PortableItem, Predicate,
    PredicateTree, Program, ProgramItem, Prover, ScalarWitness, TxEntry, TxHeader, Value,
    CURRENT_VERSION, MAX_FEE,
};

/// `push:x scalar`: the cleartext constant `x`.
fn constant(p: &mut Program, x: u64) -> &mut Program {
    p.push(ScalarWitness::from(Scalar::from(x))).scalar()
}

/// Pays 1000 USD from each of `m` inputs to `n` recipients; checks the
/// log, the program's and the transaction's sizes against the reference;
/// returns the transaction and each output's value and owner.
fn pay(m: usize, n: usize, seed: u64) -> (Proven, Vec<(Value, SecretKey)>) {
    let mut rng = rng(seed);
    let payers: Vec<SecretKey> = (0..m).map(|_| SecretKey::random(&mut rng)).collect();
    let inputs: Vec<Contract> = payers
        .iter()
        .map(|k| key_utxo(k, 1000, usd(), &mut rng))
        .collect();
    let total = 1000 * m as u64;
    let owners: Vec<(Value, SecretKey)> = (0..n)
        .map(|i| {
            let share = total / n as u64 + if i == 0 { total % n as u64 } else { 0 };
            (
                open_value(share, usd(), &mut rng),
                SecretKey::random(&mut rng),
            )
        })
        .collect();
    let outs: Vec<(Value, Predicate)> = owners
        .iter()
        .map(|(v, k)| (v.clone(), address(k)))
        .collect();
    let program = payment(&inputs, &outs);
    let proven = prove(header(), program);

    assert_eq!(proven.tx.program.len(), 140 * m + 116 * n + 9);
    let log = &proven.verified.log;
    let mut expected_kinds = vec!["header"];
    expected_kinds.extend(std::iter::repeat_n("input", m));
    expected_kinds.extend(std::iter::repeat_n("output", n));
    assert_eq!(kinds(log), expected_kinds);
    let spent: Vec<_> = log.inputs().copied().collect();
    let ids: Vec<_> = inputs.iter().map(Contract::id).collect();
    assert_eq!(spent, ids);
    for (logged, (v, k)) in log.outputs().zip(&owners) {
        assert_eq!(logged.predicate, address(k));
        assert_holds(logged, &[v]);
    }
    (proven, owners)
}

/// Spends the outputs `picked` of `proven` (owners sign) to one fresh key.
fn spend_outputs(proven: &Proven, owners: &[(Value, SecretKey)], picked: &[usize], seed: u64) {
    let mut rng = rng(seed);
    let logged = outputs(&proven.verified);
    let inputs: Vec<Contract> = picked
        .iter()
        .map(|&i| {
            reopen_value(
                &logged[i],
                Predicate::key(owners[i].1.clone()),
                &owners[i].0,
            )
        })
        .collect();
    let total = picked
        .iter()
        .map(|&i| owners[i].0.qty.assignment().unwrap().to_integer().unwrap())
        .fold(0u64, |acc, q| acc + q.to_u64().unwrap());
    let dest = SecretKey::random(&mut rng);
    let out = open_value(total, usd(), &mut rng);
    let next = prove(header(), payment(&inputs, &[(out.clone(), address(&dest))]));
    let spent: Vec<_> = next.verified.log.inputs().copied().collect();
    let expected: Vec<_> = picked.iter().map(|&i| logged[i].id()).collect();
    assert_eq!(spent, expected);
    assert_holds(&outputs(&next.verified)[0], &[&out]);
}

#[test]
fn value_locked_to_a_key_is_unlocked_in_a_second_tx() {
    let mut rng = rng(10);
    let alice = SecretKey::random(&mut rng);
    let bob = SecretKey::random(&mut rng);
    let carol = SecretKey::random(&mut rng);
    let input = key_utxo(&alice, 100, usd(), &mut rng);
    let locked = open_value(100, usd(), &mut rng);

    // Lock: `(value) <bob> output:1`, the value coming out of a 1×1 cloak.
    let lock = prove(
        header(),
        payment(
            std::slice::from_ref(&input),
            &[(locked.clone(), address(&bob))],
        ),
    );
    assert_eq!(lock.bytes.len(), 1162, "1×1 payment size of the reference");
    assert_eq!(kinds(&lock.verified.log), ["header", "input", "output"]);
    assert_eq!(lock.verified.log.inputs().next(), Some(&input.id()));
    let out = outputs(&lock.verified).remove(0);
    assert_eq!(out.predicate, address(&bob));
    assert_eq!(out.anchor, Anchor::ratchet(&input.id()));
    assert_holds(&out, &[&locked]);

    // Unlock: `<output> input signtx`, then lock the same value to Carol
    // without a cloak (no constraints at all: the proof is the empty one).
    let spend = reopen_value(&out, Predicate::key(bob), &locked);
    let unlock = prove(
        header(),
        Program::build(|p| {
            p.push(spend)
                .input()
                .signtx()
                .push(address(&carol))
                .output(1)
        }),
    );
    assert_eq!(kinds(&unlock.verified.log), ["header", "input", "output"]);
    assert_eq!(unlock.verified.log.inputs().next(), Some(&out.id()));
    let moved = outputs(&unlock.verified).remove(0);
    assert_eq!(moved.predicate, address(&carol));
    assert_eq!(moved.anchor, Anchor::ratchet(&out.id()));
    assert_holds(&moved, &[&locked]);
    assert_eq!(
        unlock.tx.proof.to_bytes().len(),
        417,
        "proof with no multipliers"
    );
    assert_ne!(unlock.verified.id, lock.verified.id);
}

#[test]
fn payment_1_to_2_and_both_outputs_are_spent_together() {
    let (proven, owners) = pay(1, 2, 11);
    assert_eq!(proven.bytes.len(), 1502);
    spend_outputs(&proven, &owners, &[0, 1], 111);
}

#[test]
fn payment_2_to_2_and_an_output_is_spent() {
    let (proven, owners) = pay(2, 2, 12);
    assert_eq!(proven.bytes.len(), 1642);
    spend_outputs(&proven, &owners, &[1], 112);
}

#[test]
fn payment_4_to_4_and_an_output_is_spent() {
    let (proven, owners) = pay(4, 4, 13);
    assert_eq!(proven.bytes.len(), 2218);
    spend_outputs(&proven, &owners, &[3], 113);
}

#[test]
fn payment_16_to_16_and_two_outputs_are_spent() {
    let (proven, owners) = pay(16, 16, 14);
    assert_eq!(proven.bytes.len(), 5418);
    spend_outputs(&proven, &owners, &[0, 15], 114);
}

#[test]
fn payments_1_to_1_and_8_to_8_have_the_reference_sizes() {
    assert_eq!(pay(1, 1, 15).0.bytes.len(), 1162);
    assert_eq!(pay(8, 8, 16).0.bytes.len(), 3306);
}

#[test]
fn multi_asset_payment_two_flavors_in_three_outputs() {
    let mut rng = rng(20);
    let alice = SecretKey::random(&mut rng);
    let bob = SecretKey::random(&mut rng);
    let carol = SecretKey::random(&mut rng);
    let dollars = key_utxo(&alice, 100, usd(), &mut rng);
    let euros = key_utxo(&alice, 50, eur(), &mut rng);
    let to_bob_usd = open_value(70, usd(), &mut rng);
    let change = open_value(30, usd(), &mut rng);
    let to_bob_eur = open_value(50, eur(), &mut rng);
    let proven = prove(
        header(),
        payment(
            &[dollars.clone(), euros.clone()],
            &[
                (to_bob_usd.clone(), address(&bob)),
                (change.clone(), address(&alice)),
                (to_bob_eur.clone(), address(&bob)),
            ],
        ),
    );
    assert_eq!(
        kinds(&proven.verified.log),
        ["header", "input", "input", "output", "output", "output"]
    );
    let outs = outputs(&proven.verified);
    assert_eq!(
        outs.iter().map(|c| c.predicate.clone()).collect::<Vec<_>>(),
        [address(&bob), address(&alice), address(&bob)]
    );
    assert_holds(&outs[0], &[&to_bob_usd]);
    assert_holds(&outs[1], &[&change]);
    assert_holds(&outs[2], &[&to_bob_eur]);

    // Bob spends both of his outputs (two flavors) to Carol.
    let inputs = [
        reopen_value(&outs[0], Predicate::key(bob.clone()), &to_bob_usd),
        reopen_value(&outs[2], Predicate::key(bob), &to_bob_eur),
    ];
    let carol_eur = open_value(50, eur(), &mut rng);
    let carol_usd = open_value(70, usd(), &mut rng);
    let next = prove(
        header(),
        payment(
            &inputs,
            &[
                (carol_eur.clone(), address(&carol)),
                (carol_usd.clone(), address(&carol)),
            ],
        ),
    );
    let outs = outputs(&next.verified);
    assert_holds(&outs[0], &[&carol_eur]);
    assert_holds(&outs[1], &[&carol_usd]);
}

#[test]
fn issuance_to_a_holder_then_retirement_in_a_second_tx() {
    let mut rng = rng(30);
    let issuer = SecretKey::random(&mut rng);
    let holder = SecretKey::random(&mut rng);
    let issuer_pred = Predicate::key(issuer.clone());
    let metadata = Data::Opaque(b"GOLD, 1 unit = 1 g".to_vec());
    let flavor = Value::issue_flavor(&issuer_pred, &metadata);
    // Any input supplies the anchor: here a zero-quantity fee-flavor UTXO.
    let fuel = key_utxo(&issuer, 0, fee_flavor(), &mut rng);
    let issued_qty = Commitment::blinded_with_factor(100u64, Scalar::random(&mut rng));
    let issued_flv = Commitment::unblinded(flavor);
    let gold = open_value(100, flavor, &mut rng);
    let fuel_back = open_value(0, fee_flavor(), &mut rng);

    let mut p = Program::new();
    p.push(fuel.clone()).input().signtx();
    // `unblind` shows the flavor commitment is the flavor in the clear.
    p.push(issued_qty.clone())
        .commit()
        .push(issued_flv.clone())
        .push(ScalarWitness::from(flavor))
        .unblind()
        .commit()
        .push(metadata)
        .push(issuer_pred)
        .issue()
        .signtx();
    push_cloak(
        &mut p,
        2,
        &[
            (gold.clone(), address(&holder)),
            (fuel_back, address(&issuer)),
        ],
    );
    let issue = prove(header(), p);
    assert_eq!(
        kinds(&issue.verified.log),
        ["header", "input", "issue", "output", "output"]
    );
    assert_eq!(
        issue.verified.log.0[2],
        TxEntry::Issue(issued_qty.to_point(), issued_flv.to_point())
    );
    let held = outputs(&issue.verified).remove(0);
    assert_eq!(held.predicate, address(&holder));
    assert_holds(&held, &[&gold]);

    // The holder retires 60 and keeps 40.
    let retired = open_value(60, flavor, &mut rng);
    let kept = open_value(40, flavor, &mut rng);
    let mut p = Program::new();
    p.push(reopen_value(&held, Predicate::key(holder.clone()), &gold))
        .input()
        .signtx()
        .push(retired.qty.clone())
        .push(retired.flv.clone())
        .push(kept.qty.clone())
        .push(kept.flv.clone())
        .cloak(1, 2)
        .retire()
        .push(address(&holder))
        .output(1);
    let retire = prove(header(), p);
    assert_eq!(
        kinds(&retire.verified.log),
        ["header", "input", "retire", "output"]
    );
    assert_eq!(
        retire.verified.log.0[2],
        TxEntry::Retire(retired.qty.to_point(), retired.flv.to_point())
    );
    assert_holds(&outputs(&retire.verified)[0], &[&kept]);
}

#[test]
fn fee_is_paid_from_a_wide_value_and_logged() {
    let mut rng = rng(40);
    let alice = SecretKey::random(&mut rng);
    let input = key_utxo(&alice, 1000, fee_flavor(), &mut rng);
    let change = open_value(950, fee_flavor(), &mut rng);
    let mut p = Program::new();
    p.push(input).input().signtx().push(Data::U32(50)).fee();
    push_cloak(&mut p, 2, &[(change.clone(), address(&alice))]);
    let proven = prove(header(), p);
    let log = &proven.verified.log;
    assert_eq!(kinds(log), ["header", "input", "fee", "output"]);
    assert_eq!(log.0[2], TxEntry::Fee(50));
    assert_eq!(log.fee(), 50);
    let rate = proven.verified.fee_rate;
    assert_eq!(rate.fee(), 50);
    assert_eq!(rate.size(), proven.bytes.len() as u64);
    assert_eq!(rate, FeeRate::new(50, proven.bytes.len()));
    // A rate over the program alone would be higher: the whole tx counts.
    assert!(rate < FeeRate::new(50, proven.tx.program.len()));
    assert_holds(&outputs(&proven.verified)[0], &[&change]);
}

#[test]
fn fees_of_exactly_2_24_in_two_parts_are_accepted() {
    let mut rng = rng(41);
    let alice = SecretKey::random(&mut rng);
    let input = key_utxo(&alice, MAX_FEE + 7, fee_flavor(), &mut rng);
    let change = open_value(7, fee_flavor(), &mut rng);
    let half = u32::try_from(MAX_FEE / 2).unwrap();
    let mut p = Program::new();
    p.push(input)
        .input()
        .signtx()
        .push(Data::U32(half))
        .fee()
        .push(Data::U32(half))
        .fee();
    push_cloak(&mut p, 3, &[(change, address(&alice))]);
    let proven = prove(header(), p);
    assert_eq!(proven.verified.log.fee(), MAX_FEE);
    assert_eq!(
        kinds(&proven.verified.log),
        ["header", "input", "fee", "fee", "output"]
    );
}

#[test]
fn musig_multisig_output_is_spent_with_the_aggregated_key() {
    let mut rng = rng(50);
    let alice = SecretKey::random(&mut rng);
    let parties: Vec<SecretKey> = (0..3).map(|_| SecretKey::random(&mut rng)).collect();
    let multikey =
        Multikey::new(parties.iter().map(SecretKey::verification_key).collect()).unwrap();
    let escrow = Predicate::opaque(*multikey.aggregated_key().as_compressed());
    let input = key_utxo(&alice, 500, usd(), &mut rng);
    let held = open_value(500, usd(), &mut rng);
    let fund = prove(
        header(),
        payment(&[input], &[(held.clone(), escrow.clone())]),
    );
    let out = outputs(&fund.verified).remove(0);
    assert_eq!(out.predicate, escrow);

    // 3-of-3: one signer holding the aggregated secret signs `signtx`.
    let aggregated = multikey.aggregated_secret(&parties).unwrap();
    assert_eq!(aggregated.verification_key(), multikey.aggregated_key());
    let dest = SecretKey::random(&mut rng);
    let spend = prove(
        header(),
        Program::build(|p| {
            p.push(reopen_value(&out, Predicate::key(aggregated), &held))
                .input()
                .signtx()
                .push(address(&dest))
                .output(1)
        }),
    );
    assert_eq!(spend.verified.log.inputs().next(), Some(&out.id()));
    assert_eq!(outputs(&spend.verified)[0].predicate, address(&dest));
}

#[test]
fn musig_multisig_output_is_spent_by_signid_signed_interactively() {
    let mut rng = rng(51);
    let parties: Vec<SecretKey> = (0..3).map(|_| SecretKey::random(&mut rng)).collect();
    let multikey =
        Multikey::new(parties.iter().map(SecretKey::verification_key).collect()).unwrap();
    let escrow = Predicate::opaque(*multikey.aggregated_key().as_compressed());
    let held = open_value(500, usd(), &mut rng);
    let contract = utxo(escrow, vec![PortableItem::Value(held.clone())], &mut rng);
    // The three parties agree to send the value to `dest`: each signs its
    // share of one signature under the aggregated key, over the contract ID
    // and the program; nobody ever holds the aggregated secret.
    let dest = SecretKey::random(&mut rng);
    let prog = Program::build(|p| p.push(address(&dest)).output(1));
    let sig = interactive_sign(&signid_transcript(&contract, &prog), &multikey, &parties);
    sig.verify(
        &mut signid_transcript(&contract, &prog),
        &multikey.aggregated_key(),
    )
    .unwrap();
    let spend = prove(
        header(),
        Program::build(|p| {
            p.push(contract.clone())
                .input()
                .program(prog)
                .push(sig.to_bytes().to_vec())
                .signid()
        }),
    );
    assert_eq!(kinds(&spend.verified.log), ["header", "input", "output"]);
    assert_eq!(spend.verified.log.inputs().next(), Some(&contract.id()));
    let out = outputs(&spend.verified).remove(0);
    assert_eq!(out.predicate, address(&dest));
    assert_holds(&out, &[&held]);
}

#[test]
fn two_owners_sign_one_signtx_interactively() {
    let mut rng = rng(52);
    let alice = SecretKey::random(&mut rng);
    let bob = SecretKey::random(&mut rng);
    let carol = SecretKey::random(&mut rng);
    // The builder of the transaction holds neither key.
    let a = utxo(
        address(&alice),
        vec![PortableItem::Value(open_value(30, usd(), &mut rng))],
        &mut rng,
    );
    let b = utxo(
        address(&bob),
        vec![PortableItem::Value(open_value(12, usd(), &mut rng))],
        &mut rng,
    );
    let out = open_value(42, usd(), &mut rng);
    let unsigned = Prover::build_tx(
        header(),
        payment(&[a.clone(), b.clone()], &[(out, address(&carol))]),
    )
    .unwrap();
    let request = unsigned.signing_request().unwrap();
    assert_eq!(
        request.pairs,
        [
            (alice.verification_key(), a.id().to_bytes()),
            (bob.verification_key(), b.id().to_bytes())
        ]
    );
    let context = Multimessage::new(request.pairs.clone()).unwrap();
    let sig = interactive_sign(&request.transcript, &context, &[alice, bob]);
    let proven = finish(unsigned.with_signature(sig));
    assert_eq!(
        proven.verified.log.inputs().copied().collect::<Vec<_>>(),
        [a.id(), b.id()]
    );
}

/// A taproot tree of three programs under Alice's inner key: pay to Bob,
/// refund to Alice once `mintime ≥ 1000`, or log a note and pay to Carol.
fn escrow_tree(alice: &SecretKey, bob: &SecretKey, carol: &SecretKey) -> (PredicateTree, Program) {
    let to_bob = Program::build(|p| p.push(address(bob)).output(1));
    let mut refund = Program::new();
    refund.mintime();
    constant(&mut refund, 1000)
        .neg()
        .add()
        .range()
        .drop()
        .push(address(alice))
        .output(1);
    let to_carol = Program::build(|p| {
        p.push(b"escrow released".to_vec())
            .log()
            .push(address(carol))
            .output(1)
    });
    let tree = PredicateTree::new(
        Some(alice.clone()),
        vec![to_bob.into(), refund.clone().into(), to_carol.into()],
        [7u8; 32],
    )
    .unwrap();
    (tree, refund)
}

#[test]
fn taproot_hidden_branch_is_called_and_tweaked_key_signs() {
    let mut rng = rng(60);
    let (alice, bob, carol) = (
        SecretKey::random(&mut rng),
        SecretKey::random(&mut rng),
        SecretKey::random(&mut rng),
    );
    let (tree, refund) = escrow_tree(&alice, &bob, &carol);
    assert_eq!(tree.programs(), 3);
    let locked = Predicate::opaque(tree.outer_key());
    assert_ne!(locked, address(&alice));

    let funder = SecretKey::random(&mut rng);
    let input = key_utxo(&funder, 90, usd(), &mut rng);
    let (v1, v2) = (
        open_value(60, usd(), &mut rng),
        open_value(30, usd(), &mut rng),
    );
    let fund = prove(
        header(),
        payment(
            &[input],
            &[(v1.clone(), locked.clone()), (v2.clone(), locked.clone())],
        ),
    );
    let outs = outputs(&fund.verified);
    assert!(outs.iter().all(|c| c.predicate == locked));

    // Branch 1 (refund): reveal only that program and its Merkle path.
    let (proof, program) = tree.call_proof(1).unwrap();
    assert_eq!(program, ProgramItem::Program(refund));
    let call = prove(
        header_at(1500, 2000),
        Program::build(|p| {
            p.push(reopen_value(&outs[0], locked.clone(), &v1))
                .input()
                .push(proof.encode_to_vec())
                .program(program)
                .call()
        }),
    );
    assert_eq!(kinds(&call.verified.log), ["header", "input", "output"]);
    let refunded = outputs(&call.verified).remove(0);
    assert_eq!(refunded.predicate, address(&alice));
    assert_holds(&refunded, &[&v1]);
    // The other branches stay hidden: Bob's and Carol's keys are nowhere
    // in the transaction.
    for hidden in [&bob, &carol] {
        let key = hidden.verification_key().to_bytes();
        assert!(!call.bytes.windows(32).any(|w| w == key));
    }

    // The same predicate, opened by signing with the tweaked key x + h.
    let tweaked = Predicate::tree(tree.clone());
    let signing = tweaked.signing_key().unwrap();
    assert_eq!(
        signing.verification_key().as_compressed(),
        &tree.outer_key()
    );
    let dest = SecretKey::random(&mut rng);
    let signed = prove(
        header(),
        Program::build(|p| {
            p.push(reopen_value(&outs[1], tweaked, &v2))
                .input()
                .signtx()
                .push(address(&dest))
                .output(1)
        }),
    );
    assert_eq!(signed.verified.log.inputs().next(), Some(&outs[1].id()));
    assert_eq!(outputs(&signed.verified)[0].predicate, address(&dest));
}

#[test]
fn taproot_branch_can_log_data_before_paying() {
    let mut rng = rng(61);
    let (alice, bob, carol) = (
        SecretKey::random(&mut rng),
        SecretKey::random(&mut rng),
        SecretKey::random(&mut rng),
    );
    let (tree, _) = escrow_tree(&alice, &bob, &carol);
    let held = open_value(5, eur(), &mut rng);
    let contract = utxo(
        Predicate::opaque(tree.outer_key()),
        vec![PortableItem::Value(held.clone())],
        &mut rng,
    );
    let (proof, program) = tree.call_proof(2).unwrap();
    let proven = prove(
        header(),
        Program::build(|p| {
            p.push(contract)
                .input()
                .push(proof.encode_to_vec())
                .program(program)
                .call()
        }),
    );
    assert_eq!(
        kinds(&proven.verified.log),
        ["header", "input", "data", "output"]
    );
    assert_eq!(
        proven.verified.log.0[2],
        TxEntry::Data(b"escrow released".to_vec())
    );
    assert_eq!(outputs(&proven.verified)[0].predicate, address(&carol));
}

#[test]
fn signid_delegates_a_contract_to_a_signed_program() {
    let mut rng = rng(70);
    let alice = SecretKey::random(&mut rng);
    let bob = SecretKey::random(&mut rng);
    let held = open_value(33, usd(), &mut rng);
    // Bob builds the transaction; he does not know Alice's key.
    let contract = utxo(
        address(&alice),
        vec![PortableItem::Value(held.clone())],
        &mut rng,
    );
    let prog = Program::build(|p| p.push(address(&bob)).output(1));
    let sig = Signature::sign(&mut signid_transcript(&contract, &prog), &alice);
    let proven = prove(
        header(),
        Program::build(|p| {
            p.push(contract.clone())
                .input()
                .program(prog)
                .push(sig.to_bytes().to_vec())
                .signid()
        }),
    );
    assert_eq!(kinds(&proven.verified.log), ["header", "input", "output"]);
    let out = outputs(&proven.verified).remove(0);
    assert_eq!(out.predicate, address(&bob));
    assert_holds(&out, &[&held]);
    // No `signtx`: the transaction signature is the unused one.
    assert_eq!(proven.tx.signature.to_bytes(), [0u8; 64]);
}

#[test]
fn signtag_signature_serves_every_contract_with_the_tag() {
    let mut rng = rng(71);
    let alice = SecretKey::random(&mut rng);
    let bob = SecretKey::random(&mut rng);
    let tag = b"standing order 42".to_vec();
    let (v1, v2) = (
        open_value(3, usd(), &mut rng),
        open_value(4, usd(), &mut rng),
    );
    let contracts: Vec<Contract> = [&v1, &v2]
        .into_iter()
        .map(|v| {
            utxo(
                address(&alice),
                vec![
                    PortableItem::Value(v.clone()),
                    PortableItem::String(Data::Opaque(tag.clone())),
                ],
                &mut rng,
            )
        })
        .collect();
    // The program finds the tag on top of the payload: it logs it, then
    // pays the value to Bob.
    let prog = Program::build(|p| p.log().push(address(&bob)).output(1));
    let sig = Signature::sign(&mut signtag_transcript(&tag, &prog), &alice);
    let mut p = Program::new();
    for c in &contracts {
        p.push(c.clone())
            .input()
            .program(prog.clone())
            .push(sig.to_bytes().to_vec())
            .signtag();
    }
    let proven = prove(header(), p);
    assert_eq!(
        kinds(&proven.verified.log),
        ["header", "input", "data", "output", "input", "data", "output"]
    );
    assert_eq!(proven.verified.log.0[2], TxEntry::Data(tag.clone()));
    let outs = outputs(&proven.verified);
    assert_holds(&outs[0], &[&v1]);
    assert_holds(&outs[1], &[&v2]);
    assert!(outs.iter().all(|c| c.predicate == address(&bob)));
}

/// The offer of the spec's example: `maker` sells `value` for `price`,
/// cancelled by the maker's (tweaked) key or lifted by the program
/// `<qty> commit <flv> commit borrow <maker> output:1`.
struct Offer {
    tree: PredicateTree,
    lift: Program,
}

fn offer(maker: &SecretKey, price_qty: u64, price_flavor: Scalar) -> Offer {
    let lift = Program::build(|p| {
        p.push(Commitment::unblinded(price_qty))
            .commit()
            .push(Commitment::unblinded(price_flavor))
            .commit()
            .borrow()
            .push(address(maker))
            .output(1)
    });
    let tree =
        PredicateTree::new(Some(maker.clone()), vec![lift.clone().into()], [9u8; 32]).unwrap();
    Offer { tree, lift }
}

/// Alice puts 10 gold on offer for 25 USD; returns the offer, its logged
/// contract and the gold value.
fn post_offer(rng: &mut rand::rngs::StdRng, alice: &SecretKey) -> (Offer, Contract, Value) {
    let gold_flavor = Scalar::from(79u64);
    let gold = key_utxo(alice, 10, gold_flavor, rng);
    let gold_value = value_of(&gold);
    let offer = offer(alice, 25, usd());
    let offer_pred = Predicate::opaque(offer.tree.outer_key());
    let posted = prove(
        header(),
        Program::build(|p| {
            p.push(gold.clone())
                .input()
                .signtx()
                .push(offer_pred.clone())
                .output(1)
                .push(b"Offer: 10 GOLD for 25 USD".to_vec())
                .log()
        }),
    );
    assert_eq!(
        kinds(&posted.verified.log),
        ["header", "input", "output", "data"]
    );
    let logged = outputs(&posted.verified).remove(0);
    assert_eq!(logged.predicate, offer_pred);
    (offer, logged, gold_value)
}

#[test]
fn offer_is_lifted_by_a_taker_paying_the_price() {
    let mut rng = rng(80);
    let alice = SecretKey::random(&mut rng);
    let taker = SecretKey::random(&mut rng);
    let (offer, logged, gold) = post_offer(&mut rng, &alice);

    // The taker pays 25 of their 30 USD and gets the gold and 5 USD change.
    let dollars = key_utxo(&taker, 30, usd(), &mut rng);
    let got_gold = open_value(10, Scalar::from(79u64), &mut rng);
    let change = open_value(5, usd(), &mut rng);
    let (proof, lift) = offer.tree.call_proof(0).unwrap();
    assert_eq!(lift, ProgramItem::Program(offer.lift.clone()));
    let mut p = Program::new();
    p.push(reopen_value(
        &logged,
        Predicate::opaque(logged.predicate.to_point()),
        &gold,
    ))
    .input()
    .push(proof.encode_to_vec())
    .program(lift)
    .call()
    // Stack: gold, −25 USD (wide). Add the taker's dollars and cloak.
    .push(dollars.clone())
    .input()
    .signtx();
    push_cloak(
        &mut p,
        3,
        &[
            (got_gold.clone(), address(&taker)),
            (change.clone(), address(&taker)),
        ],
    );
    let lifted = prove(header(), p);
    assert_eq!(
        kinds(&lifted.verified.log),
        ["header", "input", "output", "input", "output", "output"]
    );
    let outs = outputs(&lifted.verified);
    // The maker is paid exactly the price, in the clear commitments the
    // offer carries.
    assert_eq!(outs[0].predicate, address(&alice));
    assert_holds(
        &outs[0],
        &[&Value {
            qty: Commitment::unblinded(25u64),
            flv: Commitment::unblinded(usd()),
        }],
    );
    assert_holds(&outs[1], &[&got_gold]);
    assert_holds(&outs[2], &[&change]);
    assert_eq!(
        lifted.verified.log.inputs().copied().collect::<Vec<_>>(),
        [logged.id(), dollars.id()]
    );
}

#[test]
fn offer_is_cancelled_by_the_maker() {
    let mut rng = rng(81);
    let alice = SecretKey::random(&mut rng);
    let (offer, logged, gold) = post_offer(&mut rng, &alice);
    let cancelled = prove(
        header(),
        Program::build(|p| {
            p.push(reopen_value(
                &logged,
                Predicate::tree(offer.tree.clone()),
                &gold,
            ))
            .input()
            .signtx()
            .push(address(&alice))
            .output(1)
        }),
    );
    let out = outputs(&cancelled.verified).remove(0);
    assert_eq!(out.predicate, address(&alice));
    assert_holds(&out, &[&gold]);
}

/// Appends a 1→1 unlock of a fresh UTXO (it supplies the anchor).
fn unlock_something(p: &mut Program, rng: &mut rand::rngs::StdRng) {
    let owner = SecretKey::random(rng);
    let c = key_utxo(&owner, 1, usd(), rng);
    p.push(c).input().signtx().push(address(&owner)).output(1);
}

#[test]
fn time_bounds_are_checked_against_public_and_secret_deadlines() {
    let mut rng = rng(90);
    let mut p = Program::new();
    unlock_something(&mut p, &mut rng);
    // Public deadline: range(5000 − maxtime) proves maxtime ≤ 5000 (a
    // cleartext check: no multiplier).
    constant(&mut p, 5000).maxtime().neg().add().range().drop();
    // Not before: range(mintime − 1000) proves mintime ≥ 1000.
    p.mintime();
    constant(&mut p, 1000).neg().add().range().drop();
    // Exact bound, cleartext `eq` + `verify`.
    p.maxtime();
    constant(&mut p, 2000).eq().verify();
    // Secret deadline (as the payment channel's exptime): a committed
    // 4000 with range(deadline − maxtime), a 64-bit range proof.
    p.push(Commitment::blinded_with_factor(
        4000u64,
        Scalar::random(&mut rng),
    ))
    .commit()
    .expr()
    .maxtime()
    .neg()
    .add()
    .range()
    .drop();
    let proven = prove(header_at(1200, 2000), p);
    assert_eq!(
        proven.verified.log.0[0],
        TxEntry::Header(header_at(1200, 2000))
    );
    assert_eq!(proven.tx.proof.ipp_rounds(), 6, "one 64-bit range proof");
}

#[test]
fn eval_runs_nested_programs_and_leaves_their_results() {
    let mut rng = rng(100);
    let alice = SecretKey::random(&mut rng);
    let bob = SecretKey::random(&mut rng);
    let c = key_utxo(&alice, 8, usd(), &mut rng);
    let held = value_of(&c);
    let inner = Program::build(|p| p.push(address(&bob)).output(1));
    let outer = Program::build(|p| p.program(inner).eval().push(b"from eval".to_vec()));
    let proven = prove(
        header(),
        Program::build(|p| {
            p.push(c)
                .input()
                .signtx()
                .program(outer)
                .eval()
                // The nested program left a string: log it here.
                .log()
        }),
    );
    assert_eq!(
        kinds(&proven.verified.log),
        ["header", "input", "output", "data"]
    );
    assert_eq!(
        proven.verified.log.0[3],
        TxEntry::Data(b"from eval".to_vec())
    );
    assert_holds(&outputs(&proven.verified)[0], &[&held]);
}

#[test]
fn eval_nesting_up_to_the_limit_is_accepted() {
    let mut rng = rng(101);
    let mut nested = Program::new();
    for _ in 1..zkvm::limits::MAX_PROGRAM_DEPTH {
        nested = Program::build(|p| p.program(nested).eval());
    }
    let mut p = Program::new();
    p.program(nested).eval();
    unlock_something(&mut p, &mut rng);
    prove(header(), p);
}

#[test]
fn data_entries_are_logged_in_order() {
    let mut rng = rng(110);
    let mut p = Program::new();
    p.push(b"first".to_vec()).log();
    unlock_something(&mut p, &mut rng);
    p.push(Vec::<u8>::new()).log().push(vec![0xab; 300]).log();
    let proven = prove(header(), p);
    assert_eq!(
        kinds(&proven.verified.log),
        ["header", "data", "input", "output", "data", "data"]
    );
    assert_eq!(proven.verified.log.0[1], TxEntry::Data(b"first".to_vec()));
    assert_eq!(proven.verified.log.0[4], TxEntry::Data(Vec::new()));
    assert_eq!(proven.verified.log.0[5], TxEntry::Data(vec![0xab; 300]));
}

/// `<C> commit`: a variable for a secret `x`.
fn secret(p: &mut Program, x: u64, rng: &mut rand::rngs::StdRng) {
    p.push(Commitment::blinded_with_factor(x, Scalar::random(rng)))
        .commit();
}

/// Expects a variable on top; leaves it and pushes the constraint
/// `var = k` above it.
fn var_equals(p: &mut Program, k: u64) {
    p.dup(0).expr();
    constant(p, k).eq();
}

#[test]
fn secret_quantity_is_proven_to_be_5_or_7() {
    let mut rng = rng(120);
    let mut p = Program::new();
    unlock_something(&mut p, &mut rng);
    secret(&mut p, 7, &mut rng);
    // var; (var = 5); roll the var up; (var = 7); or; verify.
    var_equals(&mut p, 5);
    p.roll(1).expr();
    constant(&mut p, 7).eq().or().verify();
    prove(header(), p);
}

#[test]
fn and_not_and_mul_constraints_over_secrets() {
    let mut rng = rng(121);
    let mut p = Program::new();
    unlock_something(&mut p, &mut rng);
    // x = 5: (x ≠ 6) and (x = 5 or x = 7), then x·y = 15 for a secret y = 3.
    secret(&mut p, 5, &mut rng);
    var_equals(&mut p, 6);
    p.not().roll(1);
    var_equals(&mut p, 5);
    p.roll(1);
    var_equals(&mut p, 7);
    // Stack: ¬c6 c5 x c7 → drop x.
    p.roll(1).drop().or().and().verify();
    secret(&mut p, 5, &mut rng);
    p.expr();
    secret(&mut p, 3, &mut rng);
    p.expr().mul();
    constant(&mut p, 15).eq().verify();
    let proven = prove(header(), p);
    assert!(proven.tx.proof.ipp_rounds() >= 2);
}

#[test]
fn extension_opcodes_are_no_ops_above_version_1() {
    let mut rng = rng(130);
    let version = CURRENT_VERSION + 1;
    let mut p = Program::new();
    p.push_instruction(Instruction::Ext(0x23));
    unlock_something(&mut p, &mut rng);
    p.push_instruction(Instruction::Ext(0xff));
    let h = TxHeader {
        version,
        ..header()
    };
    let proven = prove(h, p);
    assert_eq!(proven.verified.header.version, version);
    assert_eq!(proven.verified.log.0[0], TxEntry::Header(h));
    assert_eq!(proven.tx.program[0], 0x23);
}

#[test]
fn without_signtx_the_signature_field_is_ignored() {
    // As in the reference: nothing signs the transaction, so its signature
    // field is not checked and any canonical bytes there leave the txid and
    // the verdict unchanged (a relay can alter them: key transactions by
    // txid, never by their bytes).
    let mut rng = rng(140);
    let alice = SecretKey::random(&mut rng);
    let bob = SecretKey::random(&mut rng);
    let contract = utxo(
        address(&alice),
        vec![PortableItem::Value(open_value(2, usd(), &mut rng))],
        &mut rng,
    );
    let prog = Program::build(|p| p.push(address(&bob)).output(1));
    let sig = Signature::sign(&mut signid_transcript(&contract, &prog), &alice);
    let proven = prove(
        header(),
        Program::build(|p| {
            p.push(contract)
                .input()
                .program(prog)
                .push(sig.to_bytes().to_vec())
                .signid()
        }),
    );
    let mut altered = proven.tx.clone();
    altered.signature = sig;
    let again = finish(altered);
    assert_ne!(again.bytes, proven.bytes);
    assert_eq!(again.verified.id, proven.verified.id);
}

#[test]
fn the_same_utxo_spent_twice_is_left_to_the_chain_to_reject() {
    // The VM has no view of the UTXO set: a transaction that spends one
    // contract twice (doubling its value) verifies, and its log names the
    // same input twice, which the chain state must refuse.
    let mut rng = rng(141);
    let alice = SecretKey::random(&mut rng);
    let c = key_utxo(&alice, 10, usd(), &mut rng);
    let doubled = open_value(20, usd(), &mut rng);
    let proven = prove(
        header(),
        payment(&[c.clone(), c.clone()], &[(doubled, address(&alice))]),
    );
    assert_eq!(
        proven.verified.log.inputs().copied().collect::<Vec<_>>(),
        [c.id(), c.id()]
    );
}

#[test]
fn a_contract_holding_a_built_program_has_the_same_id_on_both_sides() {
    // The prover holds the payload program as instructions, the verifier as
    // bytecode: both must hash it as one `program` field.
    let mut rng = rng(77);
    let alice = SecretKey::random(&mut rng);
    let input = key_utxo(&alice, 10, usd(), &mut rng);
    let mut stored = Program::new();
    stored.push(vec![1u8, 2, 3]).drop();
    let mut p = Program::new();
    p.push(Data::Output(Box::new(input)))
        .input()
        .signtx()
        .program(stored.clone())
        .push(address(&alice))
        .output(2);
    let proven = prove(header(), p);
    let stored_bytes = stored.encode_to_vec();
    let out = &outputs(&proven.verified)[0];
    assert!(
        matches!(&out.payload[1], PortableItem::Program(ProgramItem::Bytecode(b)) if *b == stored_bytes)
    );
}
