//! A validator removed by a set change, run as the built binary
//! (docs/spec/consensus.md §Validator-set changes, Engine): `zkvm testnet
//! init --validators 4`; v1, v2 and v4 approve a set without v4 in which
//! v1 has power 2 (`zkvm validators approve-change`), the dev wallet
//! submits it (`zkvm validators submit-change`). From the effective height
//! on, `zkvm chain validators` lists three validators of total power 4,
//! no block's certificate carries v4's signature, v4's node keeps the same
//! blocks as the others, and v4 can no longer approve a change; with v4
//! killed (`kill -9`) the three left still decide, and v4 restarted
//! catches up and still signs nothing. Every wait is bounded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Instant;

use common::testnet::{approve, height, init_testnet, ok, wait_height, zkvm};
use common::NodeProcess;
use consensus::{ChainId, CommitCertificate, GenesisValidators, ValidatorKey};
use serde_json::json;

/// Block `h` of the node at `api`, with its certificate checked against
/// `set`; returns the block's ID and the certificate's signers.
fn certified(
    api: &str,
    h: u64,
    chain: &ChainId,
    set: &consensus::ValidatorSet,
) -> (blockchain::BlockID, Vec<consensus::Address>) {
    let client = node::Client::new(api).unwrap();
    let block = client
        .block(h)
        .unwrap()
        .unwrap_or_else(|| panic!("{api} has no block {h}"));
    let cert =
        CommitCertificate::check_seal(&block.header, block.certificate.as_deref(), chain, set)
            .unwrap_or_else(|e| panic!("block {h} from {api}: {e}"));
    (
        block.header.id(),
        cert.signatures().iter().map(|(a, _)| *a).collect(),
    )
}

#[test]
fn a_removed_validator_never_signs_after_its_effective_height() {
    let started = Instant::now();
    let testnet = init_testnet(4, 3 * 4, "set removal testnet");
    let dir = testnet.dir.clone();
    let keys: Vec<String> = testnet.init["validators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["validator_key"].as_str().unwrap().to_owned())
        .collect();
    let removed_key = keys[3].clone();
    let mut validators = testnet.spawn_validators(4);
    let api = validators[0].as_ref().unwrap().api.clone();
    let api4 = validators[3].as_ref().unwrap().api.clone();
    wait_height(&dir, &api, 3);

    // v1 (power 2), v2, v3; v4 removed. v1, v2 and v4 approve.
    let members = json!({"validators": [
        {"public_key": keys[0], "power": 2},
        {"public_key": keys[1], "power": 1},
        {"public_key": keys[2], "power": 1},
    ]});
    let new: GenesisValidators = serde_json::from_value(members.clone()).unwrap();
    let new = new.to_set().unwrap();
    let set_file = dir.join("new-set.json");
    std::fs::write(&set_file, members.to_string()).unwrap();
    let effective = height(&dir, &api) + 8;
    let effective_s = effective.to_string();
    let mut submit: Vec<String> = [
        "validators",
        "submit-change",
        "--set",
        set_file.to_str().unwrap(),
        "--effective",
        &effective_s,
        "--wait",
    ]
    .map(String::from)
    .to_vec();
    for k in [1, 2, 4] {
        let out = approve(&dir, &api, &set_file, effective, k).unwrap();
        submit.extend(["--approval".to_string(), out.to_str().unwrap().to_owned()]);
    }
    let submit: Vec<&str> = submit.iter().map(String::as_str).collect();
    let submitted = ok(&dir, &api, &submit);
    assert_eq!(submitted["status"], "confirmed", "{submitted}");

    // Past the effective height: the new set listed, v4 absent.
    let past = wait_height(&dir, &api, effective + 3);
    let listed = ok(&dir, &api, &["chain", "validators"]);
    let vs = listed["validators"].as_array().unwrap();
    assert_eq!(vs.len(), 3, "{listed}");
    assert_eq!(listed["total_power"], 4, "{listed}");
    assert!(
        vs.iter().all(|v| v["key"] != removed_key.as_str()),
        "{listed}"
    );

    // Every block from the effective height on is certified by the new
    // set without v4, and v4's node holds the same blocks.
    let genesis = node::Client::new(&api).unwrap().genesis().unwrap();
    let chain = ChainId::from_genesis(genesis.state().unwrap().initial.id());
    let removed = ValidatorKey::from_bytes(&hex::decode(&removed_key).unwrap().try_into().unwrap())
        .unwrap()
        .address();
    wait_height(&dir, &api4, past);
    for h in effective..=past {
        let (id, signers) = certified(&api, h, &chain, &new);
        assert!(!signers.contains(&removed), "v4 signed block {h}");
        assert_eq!(certified(&api4, h, &chain, &new).0, id, "v4's block {h}");
    }

    // v4 can no longer approve a change.
    let refused = zkvm(
        &dir,
        &api,
        &[
            "validators",
            "approve-change",
            "--set",
            set_file.to_str().unwrap(),
            "--effective",
            &(past + 100).to_string(),
            "--data-dir",
            dir.join("v4").to_str().unwrap(),
        ],
    )
    .unwrap_err();
    assert!(refused.contains("not in the current set"), "{refused}");

    // v4 killed: v1, v2 and v3 keep deciding.
    let mut killed = validators[3].take().unwrap();
    killed.child.kill().unwrap();
    killed.child.wait().unwrap();
    let h = height(&dir, &api);
    let last = wait_height(&dir, &api, h + 3);
    for h in past + 1..=last {
        let (_, signers) = certified(&api, h, &chain, &new);
        assert!(!signers.contains(&removed), "v4 signed block {h}");
    }

    // v4 restarted (its engine starting outside the set): it catches up
    // and follows, and still signs nothing.
    let data4 = dir.join("v4");
    let restarted = NodeProcess::spawn(
        &["node", "run", "--data-dir", data4.to_str().unwrap()],
        &dir.join("v4-restarted.log"),
    );
    let end = wait_height(&dir, &api, last + 2);
    wait_height(&dir, &restarted.api, end);
    let status = node::Client::new(&restarted.api).unwrap().status().unwrap();
    let engine = status.consensus.expect("v4 runs its engine");
    assert!(engine.height > effective, "{engine:?}");
    assert_eq!(
        (engine.validators, engine.total_power),
        (3, 4),
        "{engine:?}"
    );
    for h in last + 1..=end {
        let (id, signers) = certified(&api, h, &chain, &new);
        assert!(!signers.contains(&removed), "v4 signed block {h}");
        assert_eq!(
            certified(&restarted.api, h, &chain, &new).0,
            id,
            "v4's block {h}"
        );
    }
    eprintln!("set removal test took {:?}", started.elapsed());
    drop(restarted);
    drop(validators);
}
