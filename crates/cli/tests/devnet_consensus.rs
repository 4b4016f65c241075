//! `zkvm devnet` with its blocks decided by the consensus engine (one
//! validator, the devnet's block key; docs/spec/consensus.md §Node), run
//! as the built binary: a payment is decided; `kill -9` while deciding,
//! restarted on the same data directory (store and WAL) three times, the
//! chain never goes back, nothing accepted is lost, and deciding resumes;
//! `zkvm chain validators` and `chain status` show the set, who signed the
//! tip and the engine's progress.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::Devnet;

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn height(net: &Devnet) -> u64 {
    net.ok(&["chain", "status"])["height"].as_u64().unwrap()
}

/// Waits (bounded) until the chain passes `above`.
fn wait_above(net: &Devnet, above: u64) -> u64 {
    let start = Instant::now();
    loop {
        let h = height(net);
        if h > above {
            return h;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "stuck at height {h}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_consensus_devnet_decides_payments_and_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "block_interval_ms = 20\nempty_block_interval_ms = 50\n\
         consensus_listen = \"/ip4/127.0.0.1/tcp/{}\"\n",
        free_port()
    );
    let mut net = Devnet::start(dir.path(), &config);
    let bob_file = dir.path().join("bob.redb");
    let bob = bob_file.to_str().unwrap().to_string();
    net.ok(&["wallet", "--wallet", &bob, "new"]);
    let bob_addr = net.ok(&["wallet", "--wallet", &bob, "address"])["address"]
        .as_str()
        .unwrap()
        .to_string();
    let started = Instant::now();
    let sent = net.ok(&[
        "wallet", "send", "--to", &bob_addr, "--qty", "3", "--fee", "1", "--wait",
    ]);
    // A figure, not an assertion (docs/spec/consensus.md §Node).
    eprintln!(
        "submission to finality with 1 validator (send --wait): {:?}",
        started.elapsed()
    );
    assert_eq!(sent["status"], "confirmed", "{sent}");
    let mut txids = vec![sent["txid"].as_str().unwrap().to_string()];
    let mut last = wait_above(&net, 1);

    for round in 0..3u64 {
        let sent = net.ok(&[
            "wallet", "send", "--to", &bob_addr, "--qty", "1", "--fee", "1",
        ]);
        txids.push(sent["txid"].as_str().unwrap().to_string());
        std::thread::sleep(Duration::from_millis(41 * (round + 1)));
        let dir_path = net.dir.clone();
        net.kill();

        net = Devnet::start(&dir_path, &config);
        let h = height(&net);
        assert!(h >= last, "height went back: {h} < {last}");
        for id in &txids {
            let tx = net.ok(&["chain", "tx", id]);
            assert!(
                tx["status"] == "confirmed" || tx["status"] == "pending",
                "{tx}"
            );
        }
        // Deciding resumes above what was stored before the kill.
        last = wait_above(&net, h);
        net.wait_for_empty_mempool();
    }
    // A fresh light client verifies every block from the genesis, and Bob
    // holds every payment.
    let fresh = dir.path().join("fresh.redb");
    let fresh = fresh.to_str().unwrap();
    net.ok(&["wallet", "--wallet", fresh, "new"]);
    let synced = net.ok(&["wallet", "--wallet", fresh, "balance"]);
    assert!(synced["height"].as_u64().unwrap() >= last);
    let balance = net.ok(&["wallet", "--wallet", &bob, "balance"]);
    assert_eq!(common::spendable(&balance, "native"), 6);
}

#[test]
fn chain_validators_names_the_set_and_the_tip_signers() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "block_interval_ms = 20\nempty_block_interval_ms = 50\n\
         consensus_listen = \"/ip4/127.0.0.1/tcp/{}\"\n",
        free_port()
    );
    let net = Devnet::start(dir.path(), &config);
    wait_above(&net, 2);
    let answer = net.ok(&["chain", "validators"]);
    let set = answer["validators"].as_array().unwrap();
    // The devnet's set: its block key alone, power 1.
    assert_eq!(set.len(), 1, "{answer}");
    assert_eq!(answer["total_power"], 1);
    let me = &set[0];
    assert_eq!(me["power"], 1);
    assert_eq!(me["key"].as_str().unwrap().len(), 64);
    let address = me["address"].as_str().unwrap().to_string();
    assert_eq!(address.len(), 64);
    // The tip was decided: its certificate, signed by the one validator.
    let cert = &answer["tip_certificate"];
    assert_eq!(cert["height"], answer["height"], "{answer}");
    assert_eq!(cert["signers"], serde_json::json!([address]));
    assert_eq!(me["signed_tip"], true);
    let block = net.ok(&["chain", "block", &cert["height"].to_string()]);
    assert_eq!(block["header"]["id"], cert["block"], "{block}");

    // The engine's progress in the status: past the tip it reported.
    let status = net.ok(&["chain", "status"]);
    let consensus = &status["consensus"];
    assert_eq!(consensus["validator"], address.as_str(), "{status}");
    assert_eq!(consensus["validators"], 1);
    assert_eq!(consensus["total_power"], 1);
    assert!(consensus["height"].as_u64().unwrap() >= cert["height"].as_u64().unwrap());
    assert!(consensus["round"].is_u64(), "{status}");
    assert_eq!(consensus["evidence"], serde_json::json!([]));
    assert_eq!(
        consensus["last_decision"]["signers"],
        serde_json::json!([address])
    );

    // For a person: a table with the shortened address and the signer mark.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_zkvm"))
        .env_remove("ZKVM_JSON")
        .env("ZKVM_NODE", &net.addr)
        .args(["chain", "validators"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("SIGNED TIP"), "{text}");
    assert!(text.contains(&address[..6]), "{text}");
    assert!(text.contains("total power:"), "{text}");
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_err());
}
