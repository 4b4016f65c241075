//! Loans as processes on a devnet, lender and borrower with their own
//! wallets: a loan taken and repaid with 5% interest (the collateral comes
//! back); a loan defaulted, the lender's claim refused before the term and
//! accepted after it. Every balance is checked, fees included. (A
//! repayment one unit short is refused by the VM:
//! crates/contracts/tests/loan.rs.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::wallets::{balance, fails, new_wallet, ok, with_wallet};
use common::{Devnet, FAST};

fn spendable(net: &Devnet, dir: &Path, wallet: Option<&str>, asset: &str) -> u128 {
    balance(net, dir, wallet, asset, "spendable")
}

/// A loan the lender offers: `principal` native against `collateral`
/// GOLD, at `rate_bp`, for `term` seconds, written to `file`.
struct Offer<'a> {
    principal: &'a str,
    collateral: &'a str,
    rate_bp: &'a str,
    term: &'a str,
    file: &'a str,
}

/// `loan offer` of `offer` to `bob`, `gold` the collateral's flavor.
fn offer_loan(net: &Devnet, dir: &Path, bob: &str, gold: &str, offer: &Offer) -> serde_json::Value {
    ok(
        net,
        dir,
        &[
            "loan",
            "offer",
            "--to",
            bob,
            "--principal",
            offer.principal,
            "native",
            "--collateral",
            offer.collateral,
            gold,
            "--rate-bp",
            offer.rate_bp,
            "--term",
            offer.term,
            "--file",
            offer.file,
            "--fee",
            "10",
            "--wait",
        ],
    )
}

/// The borrower's (bob.redb's) `loan <command>` of the loan in `file`,
/// waiting for it to be confirmed if `wait`.
fn borrower<'a>(command: &'a str, file: &'a str, wait: bool) -> Vec<&'a str> {
    let mut args = vec![
        "loan", "--wallet", "bob.redb", command, "--file", file, "--fee", "10",
    ];
    if wait {
        args.push("--wait");
    }
    args
}

/// The lender's `loan claim` of the loan in `file`, waiting for it to be
/// confirmed if `wait`.
fn claim(file: &str, wait: bool) -> Vec<&str> {
    let mut args = vec!["loan", "claim", "--file", file, "--fee", "10"];
    if wait {
        args.push("--wait");
    }
    args
}

#[test]
fn a_loan_repaid_and_a_loan_defaulted() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), FAST);
    let work = dir.path();
    let (_, bob) = new_wallet(&net, work, "bob");
    let gold = ok(
        &net,
        work,
        &[
            "wallet", "issue", "--qty", "1000", "--name", "GOLD", "--fee", "10", "--wait",
        ],
    )["flavor"]
        .as_str()
        .unwrap()
        .to_string();
    ok(
        &net,
        work,
        &[
            "wallet", "send", "--to", &bob, "--qty", "100", "--asset", "GOLD", "--fee", "10",
            "--wait",
        ],
    );
    ok(
        &net,
        work,
        &[
            "wallet", "send", "--to", &bob, "--qty", "500", "--fee", "10", "--wait",
        ],
    );
    let lender_start = spendable(&net, work, None, "native");

    // Repaid: 1000 at 5% against 30 GOLD.
    let offered = offer_loan(
        &net,
        work,
        &bob,
        &gold,
        &Offer {
            principal: "1000",
            collateral: "30",
            rate_bp: "500",
            term: "600",
            file: "loan1.json",
        },
    );
    assert_eq!(offered["repayment"]["qty"], 1050);
    ok(&net, work, &borrower("take", "loan1.json", true));
    assert_eq!(
        spendable(&net, work, Some("bob.redb"), "native"),
        500 + 1000 - 10
    );
    assert_eq!(spendable(&net, work, Some("bob.redb"), &gold), 70);
    // Both wallets hold the loan.
    for w in [None, Some("bob.redb")] {
        let listed = ok(&net, work, &with_wallet("contract", w, &["list"]));
        let branches = &listed["contracts"][0]["branches"];
        assert_eq!(branches, &serde_json::json!(["repay", "claim"]), "{listed}");
    }
    // The lender cannot claim before the term.
    let e = fails(&net, work, &claim("loan1.json", false));
    assert!(e.contains("`range`"), "{e}");
    let repaid = ok(&net, work, &borrower("repay", "loan1.json", true));
    assert_eq!(repaid["repaid"]["qty"], 1050);
    assert_eq!(
        spendable(&net, work, Some("bob.redb"), "native"),
        1490 - 1050 - 10
    );
    assert_eq!(spendable(&net, work, Some("bob.redb"), &gold), 100);
    assert_eq!(
        spendable(&net, work, None, "native"),
        lender_start - 1000 - 10 + 1050
    );

    // Defaulted: a 2-second term; the lender claims the collateral after.
    offer_loan(
        &net,
        work,
        &bob,
        &gold,
        &Offer {
            principal: "100",
            collateral: "40",
            rate_bp: "1000",
            term: "3",
            file: "loan2.json",
        },
    );
    ok(&net, work, &borrower("take", "loan2.json", true));
    let e = fails(&net, work, &claim("loan2.json", false));
    assert!(e.contains("`range`"), "{e}");
    std::thread::sleep(Duration::from_secs(4));
    // The borrower may still repay until the lender claims; the lender
    // claims first.
    ok(&net, work, &claim("loan2.json", true));
    assert_eq!(spendable(&net, work, None, &gold), 1000 - 100 + 40);
    assert_eq!(spendable(&net, work, Some("bob.redb"), &gold), 60);
    let e = fails(&net, work, &borrower("repay", "loan2.json", false));
    assert!(e.contains("no open loan"), "{e}");
    // The histories say what happened, in words.
    let words: Vec<String> = ok(&net, work, &["wallet", "--wallet", "bob.redb", "history"])
        ["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["description"].as_str().unwrap().to_string())
        .collect();
    // Taking the offer, then repaying the loan (the collateral back).
    assert!(
        words
            .iter()
            .any(|w| w.contains("(you: borrower; branches take) spent: 1000 native")),
        "{words:?}"
    );
    assert!(
        words
            .iter()
            .any(|w| w.contains("(you: borrower; branches repay, claim) spent: 30 ")),
        "{words:?}"
    );
}
