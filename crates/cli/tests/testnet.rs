//! `zkvm testnet init --validators 4` run as the built binary: four
//! validator processes and a follower on loopback (docs/spec/consensus.md
//! §Node). A payment submitted to the follower is decided, every node
//! holds the same block at every height, sealed by a certificate of the
//! genesis's set; one validator killed with `kill -9`, the other three
//! keep deciding and the restarted one catches up; two killed, no block
//! is decided and none forks; restarted, the chain resumes. The wallets
//! check every block's certificate (docs/spec/wallet.md §Scanning): the
//! payee's balance is right, and it rescans from the payment's height and
//! is restored with that birthday, which checks the certificate of the
//! block below (docs/spec/wallet.md §Rescan).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use blockchain::{Block, Genesis};
use common::testnet::{height, init_testnet, ok, wait_height};
use common::NodeProcess;

/// The block at `h` from the node at `api`, decoded, with its header ID.
fn block(dir: &Path, api: &str, h: u64) -> Block {
    let answer = ok(dir, api, &["chain", "block", &h.to_string()]);
    let bytes = hex::decode(answer["hex"].as_str().unwrap()).unwrap();
    Block::from_bytes(&bytes).unwrap()
}

/// Every node in `apis` has the same block at heights 2..=`to`, each
/// sealed by a certificate of the genesis's validators deciding it.
fn same_certified_blocks(dir: &Path, apis: &[String], seal: &node::Seal, to: u64) {
    for h in 2..=to {
        let first = block(dir, &apis[0], h);
        for api in apis {
            let b = block(dir, api, h);
            assert_eq!(b.header, first.header, "{api} differs at height {h}");
            assert_eq!(b.txs, first.txs);
            assert!(b.is_unsigned());
            let c = seal
                .check(&b.header, b.certificate.as_deref())
                .unwrap_or_else(|e| panic!("{api} at {h}: {e}"));
            assert!(c.signatures().len() >= 3, "a quorum of four is three");
        }
    }
}

struct Testnet {
    dir: PathBuf,
    validators: Vec<Option<NodeProcess>>,
    apis: Vec<String>,
}

impl Testnet {
    fn start(&mut self, k: usize) {
        let data = self.dir.join(format!("v{}", k + 1));
        let log = self.dir.join(format!("v{}.log", k + 1));
        let p = NodeProcess::spawn(&["node", "run", "--data-dir", data.to_str().unwrap()], &log);
        self.apis[k] = p.api.clone();
        self.validators[k] = Some(p);
    }

    fn kill(&mut self, k: usize) {
        let mut p = self.validators[k].take().unwrap();
        p.child.kill().unwrap(); // SIGKILL
        p.child.wait().unwrap();
    }

    fn alive(&self) -> Vec<String> {
        (0..self.apis.len())
            .filter(|k| self.validators[*k].is_some())
            .map(|k| self.apis[k].clone())
            .collect()
    }

    fn max_height(&self) -> u64 {
        self.alive()
            .iter()
            .map(|a| height(&self.dir, a))
            .max()
            .unwrap()
    }
}

#[test]
fn four_validators_decide_payments_survive_one_crash_and_stop_without_a_quorum() {
    let testnet = init_testnet(4, 3 * 5, "testnet");
    let (dir, base) = (testnet.dir.clone(), testnet.base);
    assert_eq!(testnet.init["validators"].as_array().unwrap().len(), 4);
    let genesis_hex = std::fs::read_to_string(dir.join("genesis.hex")).unwrap();
    let genesis = Genesis::from_bytes(&hex::decode(genesis_hex.trim()).unwrap()).unwrap();
    assert_eq!(genesis.validators.len(), 4);
    let seal = node::Seal::of(&genesis).unwrap().unwrap();
    for k in 1..=4 {
        let key = dir.join(format!("v{k}/validator.key"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    let mut net = Testnet {
        dir: dir.clone(),
        validators: (0..4).map(|_| None).collect(),
        apis: vec![String::new(); 4],
    };
    for k in 0..4 {
        net.start(k);
    }
    // A follower, peered with every validator's p2p address.
    let follower_dir = dir.join("follower");
    ok(
        &dir,
        &net.apis[0],
        &[
            "node",
            "init",
            "--data-dir",
            follower_dir.to_str().unwrap(),
            "--genesis",
            dir.join("genesis.hex").to_str().unwrap(),
        ],
    );
    let mut args: Vec<String> = [
        "node",
        "run",
        "--data-dir",
        follower_dir.to_str().unwrap(),
        "--api-addr",
        "127.0.0.1:0",
        "--listen",
        "127.0.0.1:0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for k in 0..4u16 {
        args.push("--peer".into());
        args.push(format!("127.0.0.1:{}", base + 3 * k + 1));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let follower = NodeProcess::spawn(&args, &dir.join("follower.log"));
    let f_api = follower.api.clone();
    wait_height(&dir, &f_api, 3);

    // A payment submitted to the follower is decided.
    let bob = dir.join("bob.redb");
    let bob = bob.to_str().unwrap();
    let created = ok(&dir, &f_api, &["wallet", "--wallet", bob, "new"]);
    let phrase = dir.join("bob.phrase");
    std::fs::write(&phrase, created["mnemonic"].as_str().unwrap()).unwrap();
    let phrase = phrase.to_str().unwrap();
    let bob_addr = ok(&dir, &f_api, &["wallet", "--wallet", bob, "address"])["address"]
        .as_str()
        .unwrap()
        .to_string();
    let started = Instant::now();
    let sent = ok(
        &dir,
        &f_api,
        &[
            "wallet", "send", "--to", &bob_addr, "--qty", "5", "--fee", "1", "--wait",
        ],
    );
    // A figure, not an assertion (docs/spec/consensus.md §Node).
    eprintln!(
        "submission to finality with 4 validators (send --wait via a follower): {:?}",
        started.elapsed()
    );
    assert_eq!(sent["status"], "confirmed", "{sent}");
    let txid = sent["txid"].as_str().unwrap().to_string();
    let at = ok(&dir, &f_api, &["chain", "tx", &txid])["height"]
        .as_u64()
        .unwrap();
    let mut all: Vec<String> = net.apis.clone();
    all.push(f_api.clone());
    for api in &all {
        wait_height(&dir, api, at);
    }
    same_certified_blocks(&dir, &all, &seal, at);
    // Honest validators equivocate never: no validator stored evidence.
    for api in &net.apis {
        let listed = ok(&dir, api, &["chain", "evidence"]);
        assert_eq!(listed["evidence"], serde_json::json!([]), "{listed}");
    }

    // Light wallets check every certificate: the payee's balance is the
    // payment, and so after a rescan from its height (the state below it
    // checked through block `at - 1`'s certificate, served by
    // `GET /v1/snapshots/{height}`) and after a restore with that birthday.
    assert!(at >= 3, "the state below the payment is a decided block's");
    let balance = ok(&dir, &f_api, &["wallet", "--wallet", bob, "balance"]);
    assert_eq!(common::spendable(&balance, "native"), 5);
    let from = at.to_string();
    let rescanned = ok(
        &dir,
        &f_api,
        &["wallet", "--wallet", bob, "rescan", "--from", &from],
    );
    assert_eq!(rescanned["rescanned_from"], at, "{rescanned}");
    assert_eq!(common::spendable(&rescanned, "native"), 5, "{rescanned}");
    let restored = dir.join("bob-restored.redb");
    let restored = restored.to_str().unwrap();
    let new = ok(
        &dir,
        &f_api,
        &[
            "wallet",
            "--wallet",
            restored,
            "new",
            "--mnemonic-file",
            phrase,
            "--from",
            &from,
        ],
    );
    assert_eq!(new["scans_from"], at, "{new}");
    let balance = ok(&dir, &f_api, &["wallet", "--wallet", restored, "balance"]);
    assert_eq!(common::spendable(&balance, "native"), 5, "{balance}");
    // A birthday above the payment does not find it.
    wait_height(&dir, &f_api, at + 1);
    let late = dir.join("bob-late.redb");
    let late = late.to_str().unwrap();
    let after = (at + 1).to_string();
    ok(
        &dir,
        &f_api,
        &[
            "wallet",
            "--wallet",
            late,
            "new",
            "--mnemonic-file",
            phrase,
            "--from",
            &after,
        ],
    );
    let balance = ok(&dir, &f_api, &["wallet", "--wallet", late, "balance"]);
    assert_eq!(common::spendable(&balance, "native"), 0, "{balance}");
    // The dev wallet rescans the whole chain, every certificate checked.
    let before = ok(&dir, &f_api, &["wallet", "balance"]);
    let full = ok(&dir, &f_api, &["wallet", "rescan"]);
    assert_eq!(
        common::spendable(&full, "native"),
        common::spendable(&before, "native"),
        "{full}"
    );

    // One validator killed: the other three keep deciding.
    net.kill(3);
    let h0 = net.max_height();
    wait_height(&dir, &net.apis[0], h0 + 3);
    wait_height(&dir, &f_api, h0 + 3);
    // Restarted, it catches up.
    net.start(3);
    let target = net.max_height();
    wait_height(&dir, &net.apis[3], target);

    // Two killed: no quorum, no new height, no fork.
    net.kill(2);
    net.kill(3);
    // A decision under way when they died may still land.
    std::thread::sleep(Duration::from_secs(2));
    let stalled = net.max_height();
    std::thread::sleep(Duration::from_secs(8));
    assert_eq!(net.max_height(), stalled, "decided without a quorum");
    let alive = net.alive();
    let low = alive.iter().map(|a| height(&dir, a)).min().unwrap();
    same_certified_blocks(&dir, &alive, &seal, low);
    // Restarted: the chain resumes.
    net.start(2);
    net.start(3);
    wait_height(&dir, &net.apis[0], stalled + 2);
    let end = wait_height(&dir, &f_api, stalled + 2);
    for api in &net.apis {
        wait_height(&dir, api, end);
    }
    let mut all: Vec<String> = net.apis.clone();
    all.push(f_api.clone());
    same_certified_blocks(&dir, &all, &seal, end);
    let balance = ok(&dir, &f_api, &["wallet", "--wallet", bob, "balance"]);
    assert_eq!(common::spendable(&balance, "native"), 5);
    drop(follower);
}
