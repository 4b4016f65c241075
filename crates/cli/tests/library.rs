//! The contract library as processes on a devnet, with wallets of distinct
//! parties: escrow released and refunded by the arbiter with one party,
//! released by buyer and seller together, reclaimed after the deadline and
//! refused before it; a 3-party account spent by all three and recovered
//! by two of them after its timeout (refused before). Every balance is
//! checked, fees included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Devnet, FAST};
use serde_json::Value;

fn command(net: &Devnet, dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zkvm"));
    c.args(args)
        .current_dir(dir)
        .env("ZKVM_NODE", &net.addr)
        .env("ZKVM_WALLET", net.dir.join("data/wallet.redb"));
    c
}

fn run(net: &Devnet, dir: &Path, args: &[&str]) -> Result<Value, String> {
    let out = command(net, dir, args).output().unwrap();
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

fn spawn(net: &Devnet, dir: &Path, args: &[&str]) -> Child {
    command(net, dir, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn join(child: Child) -> Value {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn native(net: &Devnet, dir: &Path, wallet: Option<&str>) -> u128 {
    let mut args = vec!["wallet"];
    if let Some(w) = wallet {
        args.extend(["--wallet", w]);
    }
    args.push("balance");
    let balance = ok(net, dir, &args);
    balance["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["asset"] == "native")
        .map(|b| b["spendable"].as_str().unwrap().parse().unwrap())
        .unwrap_or(0)
}

fn new_wallet(net: &Devnet, dir: &Path, name: &str) -> (String, String) {
    let file = format!("{name}.redb");
    ok(net, dir, &["wallet", "--wallet", &file, "new"]);
    let address = ok(net, dir, &["wallet", "--wallet", &file, "address"])["address"]
        .as_str()
        .unwrap()
        .to_string();
    (file, address)
}

fn id(v: &Value) -> String {
    v["contract_id"].as_str().unwrap().to_string()
}

#[test]
fn escrow_release_refund_and_reclaim() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), FAST);
    let work = dir.path();
    let (seller, seller_addr) = new_wallet(&net, work, "seller");
    let (arbiter, arbiter_addr) = new_wallet(&net, work, "arbiter");
    let buyer_start = native(&net, work, None);
    let new = |qty: &str, deadline_in: &str| {
        id(&ok(
            &net,
            work,
            &[
                "escrow",
                "new",
                "--seller",
                &seller_addr,
                "--arbiter",
                &arbiter_addr,
                "--qty",
                qty,
                "--deadline-in",
                deadline_in,
                "--fee",
                "10",
                "--wait",
            ],
        ))
    };

    // The arbiter sides with the seller: the seller takes 1000, less the fee.
    let e1 = new("1000", "600");
    let shown = ok(&net, work, &["contract", "--wallet", &arbiter, "show", &e1]);
    assert_eq!(shown["roles"][0], "arbiter");
    assert_eq!(shown["key_path"], "buyer and seller sign together (MuSig)");
    let s1 = work.join("s1");
    let seller_call = spawn(
        &net,
        work,
        &[
            "escrow",
            "--wallet",
            &seller,
            "release",
            &e1,
            "--with",
            "arbiter",
            "--session",
            s1.to_str().unwrap(),
            "--fee",
            "10",
            "--wait",
        ],
    );
    ok(
        &net,
        work,
        &[
            "contract",
            "--wallet",
            &arbiter,
            "cosign",
            "--session",
            s1.to_str().unwrap(),
        ],
    );
    assert_eq!(join(seller_call)["status"], "confirmed");
    assert_eq!(native(&net, work, Some(&seller)), 990);

    // The arbiter sides with the buyer: a refund of 500 (less the fee).
    let e2 = new("500", "600");
    let s2 = work.join("s2");
    let buyer_call = spawn(
        &net,
        work,
        &[
            "escrow",
            "refund",
            &e2,
            "--with",
            "arbiter",
            "--session",
            s2.to_str().unwrap(),
            "--fee",
            "10",
            "--wait",
        ],
    );
    ok(
        &net,
        work,
        &[
            "contract",
            "--wallet",
            &arbiter,
            "cosign",
            "--session",
            s2.to_str().unwrap(),
        ],
    );
    assert_eq!(join(buyer_call)["status"], "confirmed");

    // Buyer and seller together (the key path): released to the seller.
    let e3 = new("300", "600");
    let s3 = work.join("s3");
    let seller_call = spawn(
        &net,
        work,
        &[
            "escrow",
            "--wallet",
            &seller,
            "release",
            &e3,
            "--with",
            "buyer",
            "--session",
            s3.to_str().unwrap(),
            "--fee",
            "10",
            "--wait",
        ],
    );
    ok(
        &net,
        work,
        &["contract", "cosign", "--session", s3.to_str().unwrap()],
    );
    assert_eq!(join(seller_call)["status"], "confirmed");
    assert_eq!(native(&net, work, Some(&seller)), 990 + 290);
    // The seller cannot refund through the arbiter's branch for himself.
    let e = run(
        &net,
        work,
        &[
            "escrow",
            "--wallet",
            &seller,
            "refund",
            &e3,
            "--with",
            "buyer",
            "--session",
            "x",
        ],
    )
    .unwrap_err();
    assert!(e.contains("arbiter or the seller"), "{e}");

    // Reclaim: refused before the deadline, accepted after.
    let e4 = new("200", "3");
    let e = run(&net, work, &["escrow", "reclaim", &e4, "--fee", "10"]).unwrap_err();
    assert!(
        e.contains("`range`") && e.contains("program depth 1"),
        "{e}"
    );
    std::thread::sleep(Duration::from_secs(4));
    let e = run(
        &net,
        work,
        &["escrow", "--wallet", &seller, "reclaim", &e4, "--fee", "10"],
    )
    .unwrap_err();
    assert!(e.contains("more signer"), "only the buyer reclaims: {e}");
    let reclaimed = ok(
        &net,
        work,
        &["escrow", "reclaim", &e4, "--fee", "10", "--wait"],
    );
    assert_eq!(reclaimed["status"], "confirmed");
    // Locks of 1000, 500, 300 and 200 with fees of 10; 490 refunded and
    // 190 reclaimed (their fees came out of the contracts).
    assert_eq!(
        native(&net, work, None),
        buyer_start - 1010 - 510 + 490 - 310 - 210 + 190
    );
    let history = ok(&net, work, &["wallet", "--wallet", &seller, "history"]);
    let kinds: Vec<&str> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    // Four escrows naming the seller; two went to the seller, two back.
    assert_eq!(
        kinds.iter().filter(|k| **k == "locked").count(),
        4,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "unlocked").count(),
        4,
        "{kinds:?}"
    );
}

#[test]
fn a_three_party_account_spent_by_all_and_recovered_by_two() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), FAST);
    let work = dir.path();
    let (bob, bob_addr) = new_wallet(&net, work, "bob");
    let (carol, carol_addr) = new_wallet(&net, work, "carol");
    let (_dave, dave_addr) = new_wallet(&net, work, "dave");
    let account = id(&ok(
        &net,
        work,
        &[
            "account",
            "new",
            "--with",
            &bob_addr,
            "--with",
            &carol_addr,
            "--qty",
            "3000",
            "--recover",
            "2",
            "--recover-after",
            "4",
            "--fee",
            "10",
            "--wait",
        ],
    ));
    for w in [&bob, &carol] {
        let listed = ok(&net, work, &["contract", "--wallet", w, "list"]);
        assert_eq!(listed["contracts"][0]["contract_id"], account.as_str());
        assert_eq!(
            listed["contracts"][0]["branches"].as_array().unwrap().len(),
            3
        );
    }
    // Recovery before the timeout is refused.
    let e = run(
        &net,
        work,
        &[
            "account",
            "--wallet",
            &bob,
            "recover",
            &account,
            "--branch",
            "recover-2-3",
            "--fee",
            "10",
        ],
    )
    .unwrap_err();
    assert!(e.contains("`range`"), "{e}");

    // All three sign a payment of the whole account to Dave.
    let s = work.join("all");
    let session = s.to_str().unwrap();
    let proposer = spawn(
        &net,
        work,
        &[
            "account",
            "propose",
            &account,
            "--to",
            &dave_addr,
            "--session",
            session,
            "--fee",
            "10",
            "--wait",
        ],
    );
    let bob_signs = spawn(
        &net,
        work,
        &["account", "--wallet", &bob, "sign", "--session", session],
    );
    ok(
        &net,
        work,
        &["account", "--wallet", &carol, "sign", "--session", session],
    );
    join(bob_signs);
    assert_eq!(join(proposer)["status"], "confirmed");
    assert_eq!(native(&net, work, Some("dave.redb")), 3000);

    // A second account, recovered by Bob and Carol after the timeout.
    let account = id(&ok(
        &net,
        work,
        &[
            "account",
            "new",
            "--with",
            &bob_addr,
            "--with",
            &carol_addr,
            "--qty",
            "800",
            "--recover",
            "2",
            "--recover-after",
            "2",
            "--fee",
            "10",
            "--wait",
        ],
    ));
    std::thread::sleep(Duration::from_secs(3));
    let s = work.join("recover");
    let session = s.to_str().unwrap();
    let bob_call = spawn(
        &net,
        work,
        &[
            "account",
            "--wallet",
            &bob,
            "recover",
            &account,
            "--branch",
            "recover-2-3",
            "--session",
            session,
            "--fee",
            "10",
            "--wait",
        ],
    );
    ok(
        &net,
        work,
        &["account", "--wallet", &carol, "sign", "--session", session],
    );
    assert_eq!(join(bob_call)["status"], "confirmed");
    assert_eq!(native(&net, work, Some(&bob)), 790);
    let history = ok(&net, work, &["wallet", "--wallet", &bob, "history"]);
    let kinds: Vec<&str> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["locked", "unlocked", "locked", "unlocked"]);
}

#[test]
fn a_signer_who_sends_a_bad_share_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), FAST);
    let work = dir.path();
    let (_bob, bob_addr) = new_wallet(&net, work, "bob");
    let account = id(&ok(
        &net,
        work,
        &[
            "account", "new", "--with", &bob_addr, "--qty", "100", "--fee", "10", "--wait",
        ],
    ));
    let s = work.join("bad");
    let session = s.to_str().unwrap();
    let proposer = spawn(
        &net,
        work,
        &[
            "account",
            "propose",
            &account,
            "--session",
            session,
            "--fee",
            "10",
            "--timeout",
            "60",
        ],
    );
    // Bob (position 1) plays along with a nonce, then sends a share that
    // answers nothing.
    while !s.join("request.json").exists() {
        std::thread::sleep(Duration::from_millis(50));
    }
    let r = curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT.compress();
    let commit = musig::NonceCommitment::from_bytes(r.as_bytes()).unwrap();
    std::fs::write(
        s.join("precommit-1"),
        hex::encode(commit.precommit().to_bytes()),
    )
    .unwrap();
    std::fs::write(s.join("commit-1"), hex::encode(commit.to_bytes())).unwrap();
    let mut share = [0u8; 32];
    share[0] = 7;
    std::fs::write(s.join("share-1"), hex::encode(share)).unwrap();
    let out = proposer.wait_with_output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("party #1's signature share is invalid"),
        "{err}"
    );
}
