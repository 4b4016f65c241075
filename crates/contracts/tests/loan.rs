#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Loans through the prover and the verifier: the borrower takes the
//! principal by borrowing the collateral into the loan; repays the
//! principal with 5% interest (the lender's wallet opens the repayment
//! from its note) and gets the collateral back; a loan whose repayment is
//! one unit short cannot be repaid; the lender claims only after the
//! term.

mod common;

use common::loan::{asset_a, asset_c, keys, loan, open_value, utxo};
use common::{call, cloak_to_two, header, sign_with_keys, verify};
use contracts::loan::{self, LoanContracts};
use musig::SecretKey;
use wallet::{EncryptedNote, Keys, NoteOpening};
use zkvm::{Anchor, Contract, PortableItem, Predicate, Program, Prover, TxEntry};

/// Proves, then signs with every key in `signers` (in the order the
/// transaction asks), then verifies.
fn run(p: Program, mintime: u64, signers: &[SecretKey]) -> Result<Vec<TxEntry>, String> {
    let unsigned = Prover::build_tx(header(mintime, 1_000_000), p).map_err(|e| e.to_string())?;
    verify(&sign_with_keys(unsigned, signers)?)
}

/// The borrower's repayment of `open_loan` (opened by `opening`) from its
/// UTXO of 2000 A, `change` of A back to itself with the collateral.
fn repay_tx(
    c: &LoanContracts,
    open_loan: Contract,
    opening: &NoteOpening,
    borrower: &Keys,
    change: u64,
) -> Program {
    let (proof, _) = c.loan.tree().unwrap().unwrap().call_proof(0).unwrap();
    let mut p = call(open_loan, &proof, c.repay.clone());
    p.push(utxo(borrower, 2000, asset_a(), 3)).input().signtx();
    let back = opening.value();
    let change = open_value(change, asset_a(), 700);
    cloak_to_two(
        &mut p,
        back,
        change,
        Predicate::opaque(borrower.receiving_point(0)),
    );
    p
}

#[test]
fn a_loan_is_taken_repaid_and_claimed_only_after_its_term() {
    let (lender, borrower) = (keys(1), keys(2));
    let terms = loan(&lender, &borrower);
    let seed = [9u8; 32];
    let c = terms.contracts(&seed).unwrap();
    // Deterministic: the borrower builds the same contracts.
    assert_eq!(terms.contracts(&seed).unwrap().offer, c.offer);
    assert_eq!(c.repayment.qty, 1050);

    // The lender's offer holds the principal.
    let offer = Contract {
        anchor: Anchor::from_bytes([1; 32]),
        predicate: Predicate::opaque(c.offer.predicate()),
        payload: vec![PortableItem::Value(open_value(1000, asset_a(), 500))],
    };
    // The borrower takes it: the branch borrows the collateral into the
    // loan and leaves −collateral and the principal.
    let (proof, _) = c.offer.tree().unwrap().unwrap().call_proof(0).unwrap();
    let mut p = call(offer, &proof, c.take.clone());
    p.push(utxo(&borrower, 50, asset_c(), 2)).input().signtx();
    let principal = open_value(1000, asset_a(), 600);
    let change = open_value(20, asset_c(), 800);
    let to = Predicate::opaque(borrower.receiving_point(0));
    cloak_to_two(&mut p, principal, change, to);
    let log = run(p, 0, &[borrower.spend_key(0)]).unwrap();
    // The loan output, its contract note right after it.
    let at = log
        .iter()
        .position(
            |e| matches!(e, TxEntry::Output(o) if o.predicate.to_point() == c.loan.predicate()),
        )
        .unwrap();
    let TxEntry::Output(loan_output) = &log[at] else {
        panic!()
    };
    let TxEntry::Data(note) = &log[at + 1] else {
        panic!("no note after the loan")
    };
    for k in [&lender, &borrower] {
        let secrets = wallet::open_contract_note(note, k.view_key(), &c.loan.predicate()).unwrap();
        assert_eq!(secrets.terms, c.loan);
        assert_eq!(secrets.opening.qty, 30);
    }
    let opening = wallet::open_contract_note(note, borrower.view_key(), &c.loan.predicate())
        .unwrap()
        .opening;
    let open_loan = Contract {
        anchor: loan_output.anchor,
        predicate: Predicate::opaque(c.loan.predicate()),
        payload: vec![PortableItem::Value(opening.value())],
    };
    assert_eq!(open_loan.id(), loan_output.id());

    let tree = c.loan.tree().unwrap().unwrap();
    // The lender cannot claim before the term: refused at `range`.
    let claim = |mintime: u64| {
        let (proof, program) = tree.call_proof(1).unwrap();
        let mut p = call(open_loan.clone(), &proof, program);
        let back = opening.value();
        p.push(back.qty).push(back.flv).cloak(1, 1);
        p.push(Predicate::opaque(lender.receiving_point(0)))
            .output(1);
        run(p, mintime, &[lender.spend_key(0)])
    };
    let e = claim(49_999).unwrap_err();
    assert!(e.contains("`range`"), "{e}");
    claim(50_000).unwrap();

    // The borrower repays 1050 and gets the collateral back.
    let p = repay_tx(&c, open_loan, &opening, &borrower, 950);
    let log = run(p, 0, &[borrower.spend_key(0)]).unwrap();
    // The lender's wallet opens the repayment from its note.
    let paid = log
        .iter()
        .find_map(|e| match e {
            TxEntry::Output(o) if o.predicate.to_point() == lender.receiving_point(0) => Some(o),
            _ => None,
        })
        .unwrap();
    let [PortableItem::Value(v), PortableItem::String(n)] = paid.payload.as_slice() else {
        panic!()
    };
    let note = EncryptedNote::from_bytes(&n.to_bytes()).unwrap();
    let o = note
        .open(lender.view_key(), &lender.receiving_point(0))
        .unwrap();
    assert_eq!((o.qty, o.flavor), (1050, asset_a()));
    assert!(o.opens(v));
}

#[test]
fn a_repayment_one_unit_short_is_refused_by_the_vm() {
    let (lender, borrower) = (keys(1), keys(2));
    let terms = loan(&lender, &borrower);
    let c = terms.contracts_repaying(&[9u8; 32], 1049).unwrap();
    let opening = NoteOpening::random(30, asset_c(), &mut rand::thread_rng());
    let open_loan = Contract {
        anchor: Anchor::from_bytes([4; 32]),
        predicate: Predicate::opaque(c.loan.predicate()),
        payload: vec![PortableItem::Value(opening.value())],
    };
    let p = repay_tx(&c, open_loan, &opening, &borrower, 951);
    let e = run(p, 0, &[borrower.spend_key(0)]).unwrap_err();
    assert!(e.contains("`range`") && e.contains("depth 1"), "{e}");
    let _ = loan::repayment(1000, 500);
}
