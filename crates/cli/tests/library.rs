//! The contract library as processes on a devnet, with wallets of distinct
//! parties: escrow released and refunded by the arbiter with one party,
//! released by buyer and seller together, reclaimed after the deadline and
//! refused before it; a 3-party account spent by all three and recovered
//! by two of them after its timeout (refused before). Every balance is
//! checked, fees included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::wallets::{
    contract_id, fails, join, kinds, native, new_wallet, ok, spawn, with_wallet,
};
use common::{Devnet, FAST};

/// `account --wallet W sign --session S`: `wallet`'s part in a session.
fn sign<'a>(wallet: &'a str, session: &'a str) -> [&'a str; 6] {
    ["account", "--wallet", wallet, "sign", "--session", session]
}

/// `account --wallet W recover ID --branch recover-2-3 <options>`: `wallet`
/// recovering an account with two of its three parties.
fn recover<'a>(wallet: &'a str, account: &'a str, options: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["account", "--wallet", wallet, "recover", account];
    args.extend(["--branch", "recover-2-3"]);
    args.extend(options);
    args
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
        contract_id(&ok(
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
    // `escrow [--wallet W] release|refund ID --with PARTY` through the
    // session directory `session`, in the background.
    let settle = |wallet: Option<&str>, how: &str, id: &str, with: &str, session: &Path| {
        let session = session.to_str().unwrap();
        let rest = [
            how,
            id,
            "--with",
            with,
            "--session",
            session,
            "--fee",
            "10",
            "--wait",
        ];
        spawn(&net, work, &with_wallet("escrow", wallet, &rest))
    };
    // `contract [--wallet W] cosign --session S`.
    let cosign = |wallet: Option<&str>, session: &Path| {
        let rest = ["cosign", "--session", session.to_str().unwrap()];
        ok(&net, work, &with_wallet("contract", wallet, &rest))
    };

    // The arbiter sides with the seller: the seller takes 1000, less the fee.
    let e1 = new("1000", "600");
    let shown = ok(&net, work, &["contract", "--wallet", &arbiter, "show", &e1]);
    assert_eq!(shown["roles"][0], "arbiter");
    assert_eq!(shown["key_path"], "buyer and seller sign together (MuSig)");
    let s1 = work.join("s1");
    let seller_call = settle(Some(&seller), "release", &e1, "arbiter", &s1);
    cosign(Some(&arbiter), &s1);
    assert_eq!(join(seller_call)["status"], "confirmed");
    assert_eq!(native(&net, work, Some(&seller)), 990);

    // The arbiter sides with the buyer: a refund of 500 (less the fee).
    let e2 = new("500", "600");
    let s2 = work.join("s2");
    let buyer_call = settle(None, "refund", &e2, "arbiter", &s2);
    cosign(Some(&arbiter), &s2);
    assert_eq!(join(buyer_call)["status"], "confirmed");

    // Buyer and seller together (the key path): released to the seller.
    let e3 = new("300", "600");
    let s3 = work.join("s3");
    let seller_call = settle(Some(&seller), "release", &e3, "buyer", &s3);
    cosign(None, &s3);
    assert_eq!(join(seller_call)["status"], "confirmed");
    assert_eq!(native(&net, work, Some(&seller)), 990 + 290);
    // The seller cannot refund through the arbiter's branch for himself.
    let e = fails(
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
    );
    assert!(e.contains("arbiter or the seller"), "{e}");

    // Reclaim: refused before the deadline, accepted after.
    let e4 = new("200", "3");
    let e = fails(&net, work, &["escrow", "reclaim", &e4, "--fee", "10"]);
    assert!(
        e.contains("`range`") && e.contains("program depth 1"),
        "{e}"
    );
    std::thread::sleep(Duration::from_secs(4));
    let e = fails(
        &net,
        work,
        &["escrow", "--wallet", &seller, "reclaim", &e4, "--fee", "10"],
    );
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
    let kinds = kinds(&net, work, &seller);
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
    // An account of the dev wallet, Bob and Carol, of which two of the three
    // may recover `qty` after `recover_after` seconds.
    let new_account = |qty: &str, recover_after: &str| {
        contract_id(&ok(
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
                qty,
                "--recover",
                "2",
                "--recover-after",
                recover_after,
                "--fee",
                "10",
                "--wait",
            ],
        ))
    };
    let account = new_account("3000", "4");
    for w in [&bob, &carol] {
        let listed = ok(&net, work, &["contract", "--wallet", w, "list"]);
        assert_eq!(listed["contracts"][0]["contract_id"], account.as_str());
        assert_eq!(
            listed["contracts"][0]["branches"].as_array().unwrap().len(),
            3
        );
    }
    // Recovery before the timeout is refused.
    let e = fails(&net, work, &recover(&bob, &account, &["--fee", "10"]));
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
    let bob_signs = spawn(&net, work, &sign(&bob, session));
    ok(&net, work, &sign(&carol, session));
    join(bob_signs);
    assert_eq!(join(proposer)["status"], "confirmed");
    assert_eq!(native(&net, work, Some("dave.redb")), 3000);
    // `finish` assembles the same signature from the session's files: the
    // transaction verifies, and the node already has it.
    let e = fails(&net, work, &["account", "finish", "--session", session]);
    assert!(e.contains("already"), "{e}");

    // A second account, recovered by Bob and Carol after the timeout.
    let account = new_account("800", "2");
    std::thread::sleep(Duration::from_secs(3));
    let s = work.join("recover");
    let session = s.to_str().unwrap();
    let bob_call = spawn(
        &net,
        work,
        &recover(
            &bob,
            &account,
            &["--session", session, "--fee", "10", "--wait"],
        ),
    );
    ok(&net, work, &sign(&carol, session));
    assert_eq!(join(bob_call)["status"], "confirmed");
    assert_eq!(native(&net, work, Some(&bob)), 790);
    assert_eq!(
        kinds(&net, work, &bob),
        ["locked", "unlocked", "locked", "unlocked"]
    );
}

#[test]
fn a_signer_who_sends_a_bad_share_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), FAST);
    let work = dir.path();
    let (_bob, bob_addr) = new_wallet(&net, work, "bob");
    let account = contract_id(&ok(
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
    // Nor does `finish` submit it: the assembled signature does not verify.
    let e = fails(
        &net,
        work,
        &["account", "finish", "--session", s.to_str().unwrap()],
    );
    assert!(e.contains("invalid transaction"), "{e}");
}
