//! Several `zkvm` node processes on loopback (docs/spec/network.md): one
//! producer (the devnet) and followers joined by `--peer`. A payment sent
//! through the farthest follower is confirmed in a block every node has; a
//! node started after 50 blocks syncs; a node killed with SIGKILL catches
//! up after a restart; a node bootstrapped from a snapshot follows new
//! blocks. Every wait is bounded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use common::NodeProcess as Node;

impl Node {
    /// A follower in `dir` (initialised from the genesis on first use).
    fn follower(dir: &Path, genesis: &Path, peer: &str) -> Node {
        let data = dir.to_str().unwrap();
        if !dir.join("chain.redb").exists() {
            ok(
                &[
                    "node",
                    "init",
                    "--data-dir",
                    data,
                    "--genesis",
                    genesis.to_str().unwrap(),
                ],
                "",
            );
        }
        // `zkvm node …` is `zkvm node run …`.
        Node::spawn(
            &[
                "node",
                "--data-dir",
                data,
                "--api-addr",
                "127.0.0.1:0",
                "--listen",
                "127.0.0.1:0",
                "--peer",
                peer,
                // Only the configured peer: the tests choose the shapes.
                "--target-peers",
                "0",
            ],
            &dir.with_extension("log"),
        )
    }

    fn status(&self) -> Value {
        ok(&["chain", "status"], &self.api)
    }

    fn height(&self) -> u64 {
        self.status()["height"].as_u64().unwrap()
    }

    fn listen(&self) -> String {
        let mut addr = None;
        wait_for("a listening address", 10, || {
            addr = self.status()["listen"][0].as_str().map(str::to_string);
            addr.is_some()
        });
        addr.unwrap()
    }

    fn block_id(&self, height: u64) -> Option<String> {
        zkvm(&["chain", "block", &height.to_string()], &self.api)
            .ok()
            .map(|b| b["header"]["id"].as_str().unwrap().to_string())
    }

    fn peers(&self) -> u64 {
        self.status()["peers"].as_u64().unwrap()
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// `zkvm <args>` against the node at `api`: stdout as JSON, or the error.
fn zkvm(args: &[&str], api: &str) -> Result<Value, String> {
    common::zkvm_at(api, None, args)
}

fn ok(args: &[&str], api: &str) -> Value {
    zkvm(args, api).unwrap_or_else(|e| panic!("zkvm {args:?}: {e}"))
}

fn wait_for(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The devnet as the producer, on free ports, in `dir/p`.
fn producer(dir: &Path, config: &str) -> (Node, PathBuf) {
    let p = dir.join("p");
    std::fs::create_dir_all(&p).unwrap();
    let config_path = p.join("node.toml");
    std::fs::write(
        &config_path,
        format!("api_addr = \"127.0.0.1:0\"\nlisten = [\"127.0.0.1:0\"]\n{config}"),
    )
    .unwrap();
    let data = p.join("data");
    let node = Node::spawn(
        &[
            "devnet",
            "--config",
            config_path.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
        ],
        &p.join("devnet.log"),
    );
    (node, data)
}

#[test]
fn four_node_processes_confirm_a_payment_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let (p, data) = producer(dir.path(), "block_interval_ms = 200\ntarget_peers = 0\n");
    let genesis = data.join("genesis.hex");
    // A line: f3 -> f2 -> f1 -> producer, so gossip crosses three hops.
    let f1 = Node::follower(&dir.path().join("f1"), &genesis, &p.listen());
    let f2 = Node::follower(&dir.path().join("f2"), &genesis, &f1.listen());
    let f3 = Node::follower(&dir.path().join("f3"), &genesis, &f2.listen());
    wait_for("the line to connect", 30, || {
        p.peers() == 1 && f1.peers() == 2 && f2.peers() == 2 && f3.peers() == 1
    });
    std::thread::sleep(Duration::from_secs(2)); // gossip meshes form

    let dev = data.join("wallet.redb");
    let bob = dir.path().join("bob.redb");
    let (dev, bob) = (dev.to_str().unwrap(), bob.to_str().unwrap());
    ok(&["wallet", "--wallet", bob, "new"], &f3.api);
    let bob_addr = ok(&["wallet", "--wallet", bob, "address"], &f3.api)["address"]
        .as_str()
        .unwrap()
        .to_string();
    let paid = ok(
        &[
            "wallet", "--wallet", dev, "send", "--to", &bob_addr, "--qty", "1234", "--fee", "10",
            "--wait",
        ],
        &f3.api,
    );
    assert_eq!(paid["status"], "confirmed");
    let txid = paid["txid"].as_str().unwrap();
    let height = paid["height"].as_u64().unwrap();

    let nodes = [&p, &f1, &f2, &f3];
    wait_for("the block on every node", 30, || {
        nodes.iter().all(|n| n.height() >= height)
    });
    let id = p.block_id(height).unwrap();
    for n in nodes {
        assert_eq!(n.block_id(height).as_deref(), Some(id.as_str()));
        let tx = ok(&["chain", "tx", txid], &n.api);
        assert_eq!(tx["height"], height);
    }
    wait_for("equal tips", 30, || {
        let tips: Vec<Value> = nodes.iter().map(|n| n.status()["tip"].clone()).collect();
        tips.windows(2).all(|w| w[0] == w[1])
    });
    let balance = ok(&["wallet", "--wallet", bob, "balance"], &f1.api);
    let native = balance["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["asset"] == "native")
        .unwrap();
    assert_eq!(native["spendable"], 1234);
}

#[test]
fn late_restarted_and_snapshot_nodes_catch_up() {
    let dir = tempfile::tempdir().unwrap();
    // An empty block every 50 ms.
    let (p, data) = producer(
        dir.path(),
        "block_interval_ms = 50\nempty_block_interval_ms = 50\n",
    );
    let genesis = data.join("genesis.hex");
    let p_listen = p.listen();
    wait_for("50 blocks", 60, || p.height() >= 51);

    // Started after 50 blocks: downloads and validates them.
    let late_dir = dir.path().join("late");
    let late = Node::follower(&late_dir, &genesis, &p_listen);
    wait_for("the late node to sync", 60, || late.height() >= 51);
    assert_eq!(late.block_id(51), p.block_id(51));

    // Killed, left behind, restarted: catches up.
    let behind = late.height();
    late.kill();
    wait_for("the chain to move on", 60, || p.height() >= behind + 20);
    let late = Node::follower(&late_dir, &genesis, &p_listen);
    let target = p.height();
    wait_for("the restarted node to catch up", 60, || {
        late.height() >= target
    });
    assert_eq!(late.block_id(target), p.block_id(target));

    // From a snapshot: a wrong trusted block is refused; checked through
    // the signed headers from the genesis, it starts and follows.
    let snap = dir.path().join("snap");
    let snap_data = snap.to_str().unwrap();
    let g = genesis.to_str().unwrap();
    let wrong = "00".repeat(32);
    let refused = zkvm(
        &[
            "node",
            "init",
            "--data-dir",
            snap_data,
            "--genesis",
            g,
            "--from-snapshot",
            "--peer",
            &p_listen,
            "--trusted-block",
            &wrong,
        ],
        "",
    )
    .unwrap_err();
    assert!(
        refused.contains("error: snapshot tip is not the trusted block"),
        "{refused}"
    );
    let _ = std::fs::remove_dir_all(&snap);
    let init = ok(
        &[
            "node",
            "init",
            "--data-dir",
            snap_data,
            "--genesis",
            g,
            "--from-snapshot",
            "--peer",
            &p_listen,
        ],
        "",
    );
    assert_eq!(init["pruned"], true);
    let base = init["height"].as_u64().unwrap();
    assert!(base > 51, "snapshot at {base}");
    let s = Node::follower(&snap, &genesis, &p_listen);
    assert_eq!(s.status()["pruned"], true);
    wait_for("the snapshot node to follow", 60, || {
        s.height() >= base + 10
    });
    assert_eq!(s.block_id(base + 10), p.block_id(base + 10));
    assert_eq!(s.block_id(base), None, "no blocks below the snapshot");
}
