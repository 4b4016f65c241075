//! Criterion benchmarks of each contract's transactions next to a 1×2
//! payment (docs/bench-contracts.md). Every transaction is built in memory
//! with the ZkVM prover (no node, no wallet file):
//! - `contract_prove`: `Prover::build_tx` and signing;
//! - `contract_verify`: `Verifier::verify_bytes` of the encoded transaction.
//!
//! Before measuring, prints a table of each transaction's encoded size and
//! multiplier count (`zkvm::simulate::simulate` on the same program).
//!
//! The transactions:
//! - `payment_1x2`: one key-locked input, `cloak:1:2`, two outputs;
//! - `offer_make`: the maker's input cloaked to unblinded goods, then
//!   `contracts::offer::make`;
//! - `offer_take_part` / `offer_take_all`: `contracts::offer::take` of 30
//!   of the 100 on offer, then of the remaining 70, with the taker's input,
//!   `cloak:3:2` and two outputs;
//! - `escrow_release`: the escrow's `release` branch (`call`, signed by the
//!   arbiter and the seller), the value cloaked to one output;
//! - `account_key_path`: a 2-of-2 shared account spent through its key
//!   path (the MuSig aggregated key), the value cloaked to one output;
//! - `loan_take`: the borrower calls the loan offer's `take` branch
//!   (`LoanContracts::take`, 1000 A against 30 C at 5%), adds its 50 C
//!   input and cloaks (`cloak:3:2`) into the principal and its 20 C
//!   change, as in tests/loan.rs;
//! - `loan_repay`: the borrower calls the loan's `repay` branch
//!   (`LoanContracts::repay`, 1050 A to the lender) on the loan output of
//!   `loan_take`, adds its 2000 A input and cloaks (`cloak:3:2`) into the
//!   collateral back and 950 A change, as `repay_tx` in tests/loan.rs.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::time::Duration;

use common::{
    b, call, cloak_to_two, header, key, make_offer, offer_terms, offers, open_value, prove, run,
    sign_with_keys, take_tx, to, utxo, verify,
};
use contracts::account::Account;
use contracts::escrow::{Escrow, RELEASE};
use contracts::loan::LoanContracts;
use contracts::offer::Take;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use curve25519_dalek::scalar::Scalar;
use musig::{Multikey, SecretKey};
use wallet::{Keys, Seed};
use zkvm::{Anchor, Contract, PortableItem, Predicate, Program, Prover, Tx, TxEntry, Verifier};

#[path = "../tests/common/mod.rs"]
mod common;

/// The transactions' time bounds.
const MAXTIME: u64 = 5_000;

/// Cloaks the value on top of the stack (`qty` of `flavor`) to one output
/// to `key`.
fn pay_out(p: &mut Program, qty: u64, flavor: Scalar, key: &SecretKey) {
    let v = open_value(qty, flavor);
    p.push(v.qty).push(v.flv).cloak(1, 1);
    p.push(to(key)).output(1);
}

/// A signer of a transaction: its program, and how it signs once proved.
#[derive(Clone)]
enum Signing {
    /// The predicates carry their secrets: `UnsignedTx::sign`.
    Prover,
    /// The predicates are opaque: `sign_multimessage` with these secrets,
    /// matched to the signers by their verification keys.
    Keys(Vec<SecretKey>),
}

#[derive(Clone)]
struct Case {
    name: &'static str,
    program: Program,
    signing: Signing,
}

impl Case {
    fn prove(&self) -> Tx {
        match &self.signing {
            Signing::Prover => prove(self.program.clone(), header(0, MAXTIME)).unwrap(),
            Signing::Keys(keys) => {
                let unsigned = Prover::build_tx(header(0, MAXTIME), self.program.clone()).unwrap();
                sign_with_keys(unsigned, keys).unwrap()
            }
        }
    }
}

fn payment_1x2() -> Case {
    let payer = key(100);
    let mut p = Program::new();
    p.push(utxo(&payer, 1000, b(), 1)).input().signtx();
    let x = open_value(400, b());
    let y = open_value(600, b());
    p.push(x.qty)
        .push(x.flv)
        .push(y.qty)
        .push(y.flv)
        .cloak(1, 2);
    p.push(to(&key(101)))
        .output(1)
        .push(to(&key(102)))
        .output(1);
    Case {
        name: "payment_1x2",
        program: p,
        signing: Signing::Prover,
    }
}

fn offer_make(maker: &SecretKey) -> Case {
    Case {
        name: "offer_make",
        program: make_offer(&offer_terms(), maker, 2),
        signing: Signing::Prover,
    }
}

fn escrow_release() -> Case {
    let seeds = [11u8, 12, 13].map(|n| Keys::new(Seed::from_bytes([n; 64])));
    let [buyer, seller, arbiter] = &seeds;
    let escrow = Escrow {
        buyer: buyer.address(0),
        seller: seller.address(0),
        arbiter: arbiter.address(0),
        deadline_ms: 1_000_000,
    };
    let terms = escrow.terms([9; 32]).unwrap();
    let held = Contract {
        anchor: Anchor::from_bytes([4; 32]),
        predicate: Predicate::opaque(terms.predicate()),
        payload: vec![PortableItem::Value(open_value(500, b()))],
    };
    let (index, _) = terms.branch(RELEASE).unwrap();
    let tree = terms.tree().unwrap().unwrap();
    let (proof, program) = tree.call_proof(index).unwrap();
    let mut p = call(held, &proof, program);
    pay_out(&mut p, 500, b(), &seller.spend_key(1));
    Case {
        name: "escrow_release",
        program: p,
        signing: Signing::Keys(vec![arbiter.spend_key(0), seller.spend_key(0)]),
    }
}

fn account_key_path() -> Case {
    let seeds = [21u8, 22].map(|n| Keys::new(Seed::from_bytes([n; 64])));
    let account = Account {
        parties: seeds.iter().map(|k| k.address(0)).collect(),
        recovery: None,
    };
    let terms = account.terms([8; 32]).unwrap();
    let secrets: Vec<SecretKey> = seeds.iter().map(|k| k.spend_key(0)).collect();
    let multikey = Multikey::new(terms.key_path_keys().unwrap()).unwrap();
    let aggregated = multikey.aggregated_secret(&secrets).unwrap();
    assert_eq!(
        *aggregated.verification_key().as_compressed(),
        terms.predicate()
    );
    let held = Contract {
        anchor: Anchor::from_bytes([5; 32]),
        predicate: Predicate::key(aggregated),
        payload: vec![PortableItem::Value(open_value(500, b()))],
    };
    let mut p = Program::new();
    p.push(held).input().signtx();
    pay_out(&mut p, 500, b(), &seeds[0].spend_key(1));
    Case {
        name: "account_key_path",
        program: p,
        signing: Signing::Prover,
    }
}

/// The two loan cases, as in tests/loan.rs: 1000 A lent against 30 C at
/// 5% (1050 A repaid). The take is proved and verified once to find the
/// loan output and open its contract note for the repayment.
fn loan_cases() -> [Case; 2] {
    let [lender, borrower] = [1u8, 2].map(common::loan::keys);
    let terms = common::loan::loan(&lender, &borrower);
    let c: LoanContracts = terms.contracts(&[9u8; 32]).unwrap();
    assert_eq!(c.repayment.qty, 1050);
    let signing = Signing::Keys(vec![borrower.spend_key(0)]);
    let to_borrower = Predicate::opaque(borrower.receiving_point(0));

    // Take: the offer's `take` branch borrows the collateral into the
    // loan; the borrower's 50 C pays it in, 20 C change.
    let offer = Contract {
        anchor: Anchor::from_bytes([1; 32]),
        predicate: Predicate::opaque(c.offer.predicate()),
        payload: vec![PortableItem::Value(common::loan::open_value(
            1000,
            common::loan::asset_a(),
            500,
        ))],
    };
    let (proof, _) = c.offer.tree().unwrap().unwrap().call_proof(0).unwrap();
    let mut p = call(offer, &proof, c.take.clone());
    p.push(common::loan::utxo(
        &borrower,
        50,
        common::loan::asset_c(),
        2,
    ))
    .input()
    .signtx();
    let principal = common::loan::open_value(1000, common::loan::asset_a(), 600);
    let change = common::loan::open_value(20, common::loan::asset_c(), 800);
    cloak_to_two(&mut p, principal, change, to_borrower.clone());
    let take = Case {
        name: "loan_take",
        program: p,
        signing: signing.clone(),
    };

    // The loan output and its contract note, right after it.
    let log = verify(&take.prove()).unwrap();
    let at = log
        .iter()
        .position(
            |e| matches!(e, TxEntry::Output(o) if o.predicate.to_point() == c.loan.predicate()),
        )
        .unwrap();
    let (TxEntry::Output(loan_output), TxEntry::Data(note)) = (&log[at], &log[at + 1]) else {
        unreachable!("the loan output and its note")
    };
    let opening = wallet::open_contract_note(note, borrower.view_key(), &c.loan.predicate())
        .unwrap()
        .opening;
    let open_loan = Contract {
        anchor: loan_output.anchor,
        predicate: Predicate::opaque(c.loan.predicate()),
        payload: vec![PortableItem::Value(opening.value())],
    };
    assert_eq!(open_loan.id(), loan_output.id());

    // Repay: the loan's `repay` branch borrows 1050 A to the lender; the
    // borrower's 2000 A pays it in, the collateral back and 950 A change.
    let (proof, _) = c.loan.tree().unwrap().unwrap().call_proof(0).unwrap();
    let mut p = call(open_loan, &proof, c.repay.clone());
    p.push(common::loan::utxo(
        &borrower,
        2000,
        common::loan::asset_a(),
        3,
    ))
    .input()
    .signtx();
    let change = common::loan::open_value(950, common::loan::asset_a(), 700);
    cloak_to_two(&mut p, opening.value(), change, to_borrower);
    let repay = Case {
        name: "loan_repay",
        program: p,
        signing,
    };
    [take, repay]
}

fn cases() -> Vec<Case> {
    let maker = key(1000);
    let make = offer_make(&maker);
    let made = offers(&verify(&make.prove()).unwrap());
    assert_eq!(made.len(), 1);
    let take = Take { fill: 30, pay: 75 };
    let part = take_tx(&made[0], 100, take, &key(2000), 1000, 3);
    let rest = offers(&run(part.clone(), MAXTIME).unwrap());
    assert_eq!(rest.len(), 1);
    let take = Take { fill: 70, pay: 175 };
    let all = take_tx(&rest[0], 70, take, &key(3000), 500, 4);
    let [loan_take, loan_repay] = loan_cases();
    vec![
        payment_1x2(),
        make,
        Case {
            name: "offer_take_part",
            program: part,
            signing: Signing::Prover,
        },
        Case {
            name: "offer_take_all",
            program: all,
            signing: Signing::Prover,
        },
        escrow_release(),
        account_key_path(),
        loan_take,
        loan_repay,
    ]
}

fn bench(c: &mut Criterion) {
    // As crates/zkvm/benches/payments.rs: the first measurement does not
    // pay for the shared generators.
    r1cs::BulletproofGens::shared().precompute_all();
    let cases = cases();

    // Sizes and multipliers, relative to the 1×2 payment.
    let txs: Vec<(&Case, Vec<u8>)> = cases
        .iter()
        .map(|case| {
            let bytes = case.prove().to_bytes();
            Verifier::verify_bytes(&bytes).unwrap();
            (case, bytes)
        })
        .collect();
    let stats: Vec<(usize, usize)> = txs
        .iter()
        .map(|(case, bytes)| {
            let sim = zkvm::simulate::simulate(
                header(0, MAXTIME),
                case.program.clone(),
                &Default::default(),
            );
            assert!(sim.ok, "{}: {:?}", case.name, sim.failure);
            (bytes.len(), sim.multipliers)
        })
        .collect();
    let (base_size, base_mul) = stats[0];
    println!(
        "{:<18} {:>6} {:>6} {:>11} {:>7}",
        "transaction", "bytes", "×1x2", "multipliers", "×1x2"
    );
    for ((case, _), (size, mul)) in txs.iter().zip(&stats) {
        println!(
            "{:<18} {:>6} {:>6.2} {:>11} {:>7.2}",
            case.name,
            size,
            *size as f64 / base_size as f64,
            mul,
            *mul as f64 / base_mul as f64
        );
    }

    let mut group = c.benchmark_group("contract_prove");
    for case in &cases {
        group.bench_function(BenchmarkId::from_parameter(case.name), |b| {
            b.iter(|| case.prove())
        });
    }
    group.finish();

    let mut group = c.benchmark_group("contract_verify");
    for (case, bytes) in &txs {
        group.bench_function(BenchmarkId::from_parameter(case.name), |b| {
            b.iter(|| Verifier::verify_bytes(bytes).unwrap())
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
