//! `zkvm devnet` and the wallet commands, run as the built binary: a
//! confidential-asset chain from one command; issue, pay between two
//! wallets, retire; balances and history; restart on the same chain; and
//! `kill -9` during block production, restarted consistent each time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{Devnet, FAST};

#[test]
fn devnet_issue_pay_retire_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), FAST);
    let bob_file = dir.path().join("bob.redb");
    let bob = bob_file.to_str().unwrap();

    let status = net.ok(&["chain", "status"]);
    assert_eq!(status["height"], 1);
    let dev = net.ok(&["wallet", "balance"]);
    assert_eq!(common::spendable(&dev, "native"), 1_000_000_000);

    let created = net.ok(&["wallet", "--wallet", bob, "new"]);
    assert_eq!(created["mnemonic"].as_str().unwrap().split(' ').count(), 24);
    let bob_addr = net.ok(&["wallet", "--wallet", bob, "address"])["address"]
        .as_str()
        .unwrap()
        .to_string();

    // Issue a new asset, then pay part of it and some native units to Bob.
    let issued = net.ok(&[
        "wallet", "issue", "--qty", "5000", "--name", "GOLD", "--fee", "7", "--wait",
    ]);
    assert_eq!(issued["status"], "confirmed");
    let gold = issued["flavor"].as_str().unwrap().to_string();
    let paid = net.ok(&[
        "wallet", "send", "--to", &bob_addr, "--qty", "1200", "--asset", "GOLD", "--fee", "9",
        "--wait",
    ]);
    assert_eq!(paid["status"], "confirmed");
    net.ok(&[
        "wallet", "send", "--to", &bob_addr, "--qty", "100", "--fee", "9", "--wait",
    ]);

    let bob_balance = net.ok(&["wallet", "--wallet", bob, "balance"]);
    assert_eq!(common::spendable(&bob_balance, &gold), 1200);
    assert_eq!(common::spendable(&bob_balance, "native"), 100);
    let dev = net.ok(&["wallet", "balance"]);
    assert_eq!(common::spendable(&dev, &gold), 3800);
    assert_eq!(
        common::spendable(&dev, "native"),
        1_000_000_000 - 100 - 7 - 9 - 9
    );

    // Bob pays some back with a fee from his native units, and retires some.
    let dev_addr = net.ok(&["wallet", "address"])["address"]
        .as_str()
        .unwrap()
        .to_string();
    net.ok(&[
        "wallet", "--wallet", bob, "send", "--to", &dev_addr, "--qty", "200", "--asset", &gold,
        "--fee", "3", "--wait",
    ]);
    net.ok(&[
        "wallet", "--wallet", bob, "retire", "--qty", "50", "--asset", &gold, "--fee", "2",
        "--wait",
    ]);
    let bob_balance = net.ok(&["wallet", "--wallet", bob, "balance"]);
    assert_eq!(common::spendable(&bob_balance, &gold), 950);
    assert_eq!(common::spendable(&bob_balance, "native"), 95);
    let kinds: Vec<String> = net.ok(&["wallet", "--wallet", bob, "history"])["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["received", "received", "sent", "retired"]);
    let dev = net.ok(&["wallet", "balance"]);
    assert_eq!(common::spendable(&dev, &gold), 4000);

    // Refusals are one line and a non-zero exit.
    let e = net
        .zkvm(&[
            "wallet", "--wallet", bob, "send", "--to", &dev_addr, "--qty", "999999",
        ])
        .unwrap_err();
    assert!(e.to_lowercase().contains("insufficient"), "{e}");
    let e = net
        .zkvm(&["wallet", "send", "--to", "zkvm1nonsense", "--qty", "1"])
        .unwrap_err();
    assert!(e.contains("address"), "{e}");
    assert!(net.zkvm(&["chain", "block", "99999"]).is_err());

    // A restart resumes the same chain, and the wallets agree with it.
    let before = net.ok(&["chain", "status"]);
    let dir_path = net.dir.clone();
    net.kill();
    let net = Devnet::start(&dir_path, FAST);
    let after = net.ok(&["chain", "status"]);
    assert_eq!(after["network"], before["network"]);
    assert!(after["height"].as_u64() >= before["height"].as_u64());
    let block = net.ok(&["chain", "block", &before["height"].to_string()]);
    assert_eq!(block["header"]["id"], before["tip"]);
    let bob_balance = net.ok(&["wallet", "--wallet", bob, "balance"]);
    assert_eq!(common::spendable(&bob_balance, &gold), 950);

    // Bob's phrase, from a file, restores his funds in a new wallet file.
    let phrase_file = dir.path().join("phrase.txt");
    std::fs::write(&phrase_file, created["mnemonic"].as_str().unwrap()).unwrap();
    let restored = dir.path().join("restored.redb");
    let restored = restored.to_str().unwrap();
    net.ok(&[
        "wallet",
        "--wallet",
        restored,
        "new",
        "--mnemonic-file",
        phrase_file.to_str().unwrap(),
    ]);
    let restored_balance = net.ok(&["wallet", "--wallet", restored, "balance"]);
    assert_eq!(common::spendable(&restored_balance, &gold), 950);
    assert_eq!(common::spendable(&restored_balance, "native"), 95);
}

#[test]
fn kill_9_during_block_production_restarts_consistent() {
    let dir = tempfile::tempdir().unwrap();
    // Blocks as fast as the node can make them, empty or not.
    let config = "block_interval_ms = 10\nempty_block_interval_ms = 1\n";
    let mut net = Devnet::start(dir.path(), config);
    let mut last_height = 0u64;
    let mut seen_txids: Vec<String> = Vec::new();
    let bob_file = dir.path().join("bob.redb");
    let bob = bob_file.to_str().unwrap().to_string();
    net.ok(&["wallet", "--wallet", &bob, "new"]);
    let bob_addr = net.ok(&["wallet", "--wallet", &bob, "address"])["address"]
        .as_str()
        .unwrap()
        .to_string();
    for round in 0..5u64 {
        // Keep the producer busy with payments, then kill it mid-work.
        let sent = net.ok(&[
            "wallet", "send", "--to", &bob_addr, "--qty", "1", "--fee", "1",
        ]);
        seen_txids.push(sent["txid"].as_str().unwrap().to_string());
        std::thread::sleep(Duration::from_millis(37 * (round + 1)));
        let dir_path = net.dir.clone();
        net.kill();

        net = Devnet::start(&dir_path, config);
        let status = net.ok(&["chain", "status"]);
        let height = status["height"].as_u64().unwrap();
        assert!(
            height >= last_height,
            "height went back: {height} < {last_height}"
        );
        last_height = height;
        // Every accepted payment is confirmed or still pending after the
        // restart: nothing accepted is lost.
        for id in &seen_txids {
            let tx = net.ok(&["chain", "tx", id]);
            assert!(
                tx["status"] == "confirmed" || tx["status"] == "pending",
                "{tx}"
            );
        }
        // Wait for the pending ones before the wallet builds the next payment.
        net.wait_for_empty_mempool();
    }
    // A fresh light client verifies every stored block from the genesis.
    let fresh = dir.path().join("fresh.redb");
    let fresh = fresh.to_str().unwrap();
    net.ok(&["wallet", "--wallet", fresh, "new"]);
    let synced = net.ok(&["wallet", "--wallet", fresh, "balance"]);
    assert!(synced["height"].as_u64().unwrap() >= last_height);
    let bob_balance = net.ok(&["wallet", "--wallet", &bob, "balance"]);
    assert_eq!(common::spendable(&bob_balance, "native"), 5);
}
