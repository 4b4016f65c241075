//! Loans as processes on a devnet, lender and borrower with their own
//! wallets: a loan taken and repaid with 5% interest (the collateral comes
//! back); a loan defaulted, the lender's claim refused before the term and
//! accepted after it. Every balance is checked, fees included. (A
//! repayment one unit short is refused by the VM:
//! crates/contracts/tests/loan.rs.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{Devnet, FAST};
use serde_json::Value;

fn run(net: &Devnet, dir: &Path, args: &[&str]) -> Result<Value, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_zkvm"))
        .args(args)
        .current_dir(dir)
        .env("ZKVM_NODE", &net.addr)
        .env("ZKVM_WALLET", net.dir.join("data/wallet.redb"))
        .output()
        .unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap_or(Value::Null))
    } else {
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(err.lines().count(), 1, "one error line: {err}");
        Err(err)
    }
}

fn ok(net: &Devnet, dir: &Path, args: &[&str]) -> Value {
    run(net, dir, args).unwrap_or_else(|e| panic!("zkvm {args:?}: {e}"))
}

fn spendable(net: &Devnet, dir: &Path, wallet: Option<&str>, asset: &str) -> u128 {
    let mut args = vec!["wallet"];
    if let Some(w) = wallet {
        args.extend(["--wallet", w]);
    }
    args.push("balance");
    ok(net, dir, &args)["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["asset"] == asset)
        .map(|x| x["spendable"].as_str().unwrap().parse().unwrap())
        .unwrap_or(0)
}

#[test]
fn a_loan_repaid_and_a_loan_defaulted() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), FAST);
    let work = dir.path();
    ok(&net, work, &["wallet", "--wallet", "bob.redb", "new"]);
    let bob = ok(&net, work, &["wallet", "--wallet", "bob.redb", "address"])["address"]
        .as_str()
        .unwrap()
        .to_string();
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
    let offered = ok(
        &net,
        work,
        &[
            "loan",
            "offer",
            "--to",
            &bob,
            "--principal",
            "1000",
            "native",
            "--collateral",
            "30",
            &gold,
            "--rate-bp",
            "500",
            "--term",
            "600",
            "--file",
            "loan1.json",
            "--fee",
            "10",
            "--wait",
        ],
    );
    assert_eq!(offered["repayment"]["qty"], 1050);
    ok(
        &net,
        work,
        &[
            "loan",
            "--wallet",
            "bob.redb",
            "take",
            "--file",
            "loan1.json",
            "--fee",
            "10",
            "--wait",
        ],
    );
    assert_eq!(
        spendable(&net, work, Some("bob.redb"), "native"),
        500 + 1000 - 10
    );
    assert_eq!(spendable(&net, work, Some("bob.redb"), &gold), 70);
    // Both wallets hold the loan.
    for w in [None, Some("bob.redb")] {
        let mut args = vec!["contract"];
        if let Some(w) = w {
            args.extend(["--wallet", w]);
        }
        args.push("list");
        let listed = ok(&net, work, &args);
        let branches = &listed["contracts"][0]["branches"];
        assert_eq!(branches, &serde_json::json!(["repay", "claim"]), "{listed}");
    }
    // The lender cannot claim before the term.
    let e = run(
        &net,
        work,
        &["loan", "claim", "--file", "loan1.json", "--fee", "10"],
    )
    .unwrap_err();
    assert!(e.contains("`range`"), "{e}");
    let repaid = ok(
        &net,
        work,
        &[
            "loan",
            "--wallet",
            "bob.redb",
            "repay",
            "--file",
            "loan1.json",
            "--fee",
            "10",
            "--wait",
        ],
    );
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
    ok(
        &net,
        work,
        &[
            "loan",
            "offer",
            "--to",
            &bob,
            "--principal",
            "100",
            "native",
            "--collateral",
            "40",
            &gold,
            "--rate-bp",
            "1000",
            "--term",
            "3",
            "--file",
            "loan2.json",
            "--fee",
            "10",
            "--wait",
        ],
    );
    ok(
        &net,
        work,
        &[
            "loan",
            "--wallet",
            "bob.redb",
            "take",
            "--file",
            "loan2.json",
            "--fee",
            "10",
            "--wait",
        ],
    );
    let e = run(
        &net,
        work,
        &["loan", "claim", "--file", "loan2.json", "--fee", "10"],
    )
    .unwrap_err();
    assert!(e.contains("`range`"), "{e}");
    std::thread::sleep(Duration::from_secs(4));
    // The borrower may still repay until the lender claims; the lender
    // claims first.
    ok(
        &net,
        work,
        &[
            "loan",
            "claim",
            "--file",
            "loan2.json",
            "--fee",
            "10",
            "--wait",
        ],
    );
    assert_eq!(spendable(&net, work, None, &gold), 1000 - 100 + 40);
    assert_eq!(spendable(&net, work, Some("bob.redb"), &gold), 60);
    let e = run(
        &net,
        work,
        &[
            "loan",
            "--wallet",
            "bob.redb",
            "repay",
            "--file",
            "loan2.json",
            "--fee",
            "10",
        ],
    )
    .unwrap_err();
    assert!(e.contains("no open loan"), "{e}");
}
