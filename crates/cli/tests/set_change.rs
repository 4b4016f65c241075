//! A validator-set change run as the built binary (docs/spec/consensus.md
//! §Validator-set changes): `zkvm testnet init --validators 4`, a fifth
//! node with its own validator key outside the set, started with the
//! consensus engine configured; three validators approve a set of five
//! (`zkvm validators approve-change`), the dev wallet submits it (`zkvm
//! validators submit-change`); after the effective height the fifth's
//! signature appears in the tip's certificate (`zkvm chain validators`),
//! and with one old validator killed (`kill -9`) the four left still
//! decide. The dev wallet, a light client checking every certificate,
//! rescans across the change, in full and from just after it; wallets
//! born above the change's block, and a node bootstrapped from a snapshot
//! above it, learn the change from the node's list, replayed from the
//! genesis's set. Every wait is bounded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::testnet::{approve, height, init_testnet, ok, wait_height, zkvm, BOUND};
use common::NodeProcess;
use curve25519_dalek::scalar::Scalar;
use serde_json::{json, Value};

#[test]
fn a_fifth_validator_joins_by_a_change_and_signs_after_its_effective_height() {
    let started = Instant::now();
    let testnet = init_testnet(4, 3 * 6, "set change testnet");
    let (dir, base) = (testnet.dir.clone(), testnet.base);
    let mut members: Vec<Value> = testnet.init["validators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| json!({"public_key": v["validator_key"], "power": 1}))
        .collect();
    let mut validators = testnet.spawn_validators(4);
    let api = validators[0].as_ref().unwrap().api.clone();
    wait_height(&dir, &api, 3);

    // A fifth node, its key outside the genesis's set, running the engine.
    let v5 = dir.join("v5");
    ok(
        &dir,
        &api,
        &[
            "node",
            "init",
            "--data-dir",
            v5.to_str().unwrap(),
            "--genesis",
            dir.join("genesis.hex").to_str().unwrap(),
        ],
    );
    let scalar = Scalar::from(0x5eed_0005u64);
    node::write_validator_key(&v5.join(node::VALIDATOR_KEY_FILE), &scalar).unwrap();
    let key5 = hex::encode(
        musig::SecretKey::from_scalar(scalar)
            .verification_key()
            .to_bytes(),
    );
    let cons5 = format!("/ip4/127.0.0.1/tcp/{}", base + 3 * 4 + 2);
    let mut args: Vec<String> = [
        "node",
        "run",
        "--data-dir",
        v5.to_str().unwrap(),
        "--api-addr",
        "127.0.0.1:0",
        "--listen",
        &format!("127.0.0.1:{}", base + 3 * 4 + 1),
        "--consensus-listen",
        &cons5,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for k in 0..4u16 {
        args.extend([
            "--peer".to_string(),
            format!("127.0.0.1:{}", base + 3 * k + 1),
            "--consensus-peer".to_string(),
            format!("/ip4/127.0.0.1/tcp/{}", base + 3 * k + 2),
        ]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let fifth = NodeProcess::spawn(&args, &dir.join("v5.log"));

    // Three of four approve the set of five; the dev wallet submits it.
    members.push(json!({"public_key": key5, "power": 1}));
    let set_file = dir.join("new-set.json");
    std::fs::write(&set_file, json!({"validators": members}).to_string()).unwrap();
    let effective = height(&dir, &api) + 10;
    let effective_s = effective.to_string();
    let approvals: Vec<_> = (1..=3)
        .map(|k| approve(&dir, &api, &set_file, effective, k).unwrap())
        .collect();
    // Two approvals are not a quorum: refused before anything is paid.
    let short = zkvm(
        &dir,
        &api,
        &[
            "validators",
            "submit-change",
            "--set",
            set_file.to_str().unwrap(),
            "--effective",
            &effective_s,
            "--approval",
            approvals[0].to_str().unwrap(),
            "--approval",
            approvals[1].to_str().unwrap(),
        ],
    )
    .unwrap_err();
    assert!(short.contains("two thirds"), "{short}");
    let mut submit: Vec<&str> = vec![
        "validators",
        "submit-change",
        "--set",
        set_file.to_str().unwrap(),
        "--effective",
        &effective_s,
        "--wait",
    ];
    for a in &approvals {
        submit.extend(["--approval", a.to_str().unwrap()]);
    }
    let submitted = ok(&dir, &api, &submit);
    assert_eq!(submitted["status"], "confirmed", "{submitted}");
    let listed = ok(&dir, &api, &["chain", "validators"]);
    assert_eq!(listed["pending"]["effective_height"], effective, "{listed}");

    // From the effective height on, the fifth signs.
    wait_height(&dir, &api, effective);
    let start = Instant::now();
    loop {
        let listed = ok(&dir, &api, &["chain", "validators"]);
        let vs = listed["validators"].as_array().unwrap();
        assert_eq!(vs.len(), 5, "{listed}");
        let me = vs.iter().find(|v| v["key"] == key5).unwrap();
        if me["signed_tip"] == true {
            break;
        }
        assert!(
            start.elapsed() < BOUND,
            "the fifth validator never signed a tip: {listed}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // One old validator killed: four of five remain, a quorum.
    let mut killed = validators[3].take().unwrap();
    killed.child.kill().unwrap();
    killed.child.wait().unwrap();
    let h = height(&dir, &api);
    wait_height(&dir, &api, h + 3);
    wait_height(&dir, &fifth.api, h + 3);

    // The dev wallet, a light client checking every certificate, follows
    // the chain across the change: blocks from the effective height are
    // sealed by the new set, which it learned from the change's block.
    let included = listed["changes"][0]["included_height"].as_u64().unwrap();
    let full = ok(&dir, &api, &["wallet", "rescan"]);
    let tip = full["height"].as_u64().unwrap();
    assert!(tip > effective, "{full}");
    assert_eq!(full["blocks_scanned"], tip - 1, "{full}");
    // From a height after the change's block, the change stays known.
    let from = (included + 1).to_string();
    let again = ok(&dir, &api, &["wallet", "rescan", "--from", &from]);
    let tip = again["height"].as_u64().unwrap();
    assert!(tip > effective, "{again}");
    assert_eq!(again["blocks_scanned"], tip - included, "{again}");

    // Wallets born above the change's block never scan it: they replay
    // the changes the node serves with the past state from the genesis's
    // set, then check every certificate (the one of their first state
    // included) against the set in force.
    let now = height(&dir, &api);
    for (name, from) in [("late", included + 1), ("later", now)] {
        let wallet = dir.join(format!("{name}.redb"));
        let wallet = wallet.to_str().unwrap();
        let from_s = from.to_string();
        let made = ok(
            &dir,
            &api,
            &["wallet", "--wallet", wallet, "new", "--from", &from_s],
        );
        assert_eq!(made["scans_from"], from, "{made}");
        let balance = ok(&dir, &api, &["wallet", "--wallet", wallet, "balance"]);
        assert!(balance["height"].as_u64().unwrap() >= now, "{balance}");
    }

    // A node bootstrapped from a snapshot above the change replays the
    // same changes from a validator, checks the tip's certificate against
    // the set they put in force, and follows with every certificate
    // checked against it.
    let snap = dir.join("snap");
    let peer = format!("127.0.0.1:{}", base + 1);
    let init = ok(
        &dir,
        &api,
        &[
            "node",
            "init",
            "--data-dir",
            snap.to_str().unwrap(),
            "--genesis",
            dir.join("genesis.hex").to_str().unwrap(),
            "--from-snapshot",
            "--peer",
            &peer,
        ],
    );
    assert_eq!(init["pruned"], true, "{init}");
    let from = init["height"].as_u64().unwrap();
    assert!(from > effective, "{init}");
    let pruned = NodeProcess::spawn(
        &[
            "node",
            "run",
            "--data-dir",
            snap.to_str().unwrap(),
            "--api-addr",
            "127.0.0.1:0",
            "--listen",
            &format!("127.0.0.1:{}", base + 16),
            "--peer",
            &peer,
        ],
        &dir.join("snap.log"),
    );
    wait_height(&dir, &pruned.api, from + 3);
    let seen = ok(&dir, &pruned.api, &["chain", "validators"]);
    assert_eq!(seen["changes"][0]["included_height"], included, "{seen}");
    assert_eq!(seen["validators"].as_array().unwrap().len(), 5, "{seen}");
    let theirs = ok(&dir, &api, &["chain", "block", &(from + 3).to_string()]);
    let mine = ok(
        &dir,
        &pruned.api,
        &["chain", "block", &(from + 3).to_string()],
    );
    assert_eq!(mine["id"], theirs["id"], "{mine}");
    eprintln!("set change test took {:?}", started.elapsed());
    drop(pruned);
    drop(fifth);
    drop(validators);
}
