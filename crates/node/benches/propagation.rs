//! How fast a block of payments reaches every node (docs/spec/network.md):
//! four nodes in this process, fully connected over libp2p on loopback;
//! N payments (1 input, 2 outputs, a fee) are gossiped to every mempool,
//! then the producer makes one block of them and gossips it, whole in one
//! round and compact (short transaction IDs) in the other; each follower
//! validates it in full before it forwards it.
//!
//! Prints: the block's size, the time from publication until each follower
//! has validated and stored it, and the bytes that crossed the loopback
//! interface meanwhile (all traffic on `lo`, from /proc/net/dev, so run it
//! on a quiet machine) as a multiple of the block's size.
//!
//! `cargo bench -p node --bench propagation` (`ZKVM_BENCH_TXS` sets N,
//! default 1000).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{node_config, Net};
use node::network::CompactBlock;
use node::{now_ms, Chain, Limits, RunningNode};

fn listen(node: &RunningNode) -> String {
    loop {
        if let Some(a) = node.network().info().listen.first() {
            return a.to_string();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Bytes received on the loopback interface so far.
fn loopback_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/net/dev").ok()?;
    let line = text.lines().find(|l| l.trim_start().starts_with("lo:"))?;
    line.split(':')
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn height(node: &RunningNode) -> u64 {
    node.chain().unwrap().view().height()
}

fn main() {
    let n: usize = std::env::var("ZKVM_BENCH_TXS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    for compact in [false, true] {
        round(n, compact);
    }
}

/// One block of `n` payments relayed whole or compact. The payments are
/// gossiped first (submitted to a follower), as on a live network, so the
/// peers' mempools hold them when the block comes.
fn round(n: usize, compact: bool) {
    let mode = if compact { "compact" } else { "full" };
    println!("\n== {mode} relay: preparing {n} payments (proving)...");
    let mut net = Net::new(n);
    let txs: Vec<Vec<u8>> = (0..n).map(|i| net.pay(i, 10).0.to_bytes()).collect();

    let dirs: Vec<_> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    drop(net.init(dirs[0].path()));
    let mut nodes: Vec<RunningNode> = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        let path = dir.path().join("chain.redb");
        if i > 0 {
            drop(Chain::init(&path, net.genesis.clone(), None, Limits::default()).unwrap());
        }
        // The bench makes the block itself.
        let mut c = node_config(dir.path(), nodes.iter().map(listen).collect(), 3_600_000);
        c.compact_relay = compact;
        nodes.push(RunningNode::start(c, move || Chain::open(&path, Limits::default())).unwrap());
    }
    while nodes.iter().any(|n| n.network().info().peers.len() < 3) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(2)); // gossip meshes form

    let entry = nodes[1].chain().unwrap().clone();
    for bytes in txs {
        let copy = bytes.clone();
        entry.submit_blocking(copy).unwrap();
        nodes[1].network().publish_tx(bytes);
    }
    let pool = |node: &RunningNode| node.chain().unwrap().view().mempool_txs;
    let started = Instant::now();
    while nodes.iter().any(|node| pool(node) < n) {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "payments not relayed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // Let the payments' gossip (forwards, duplicates) die down, so the
    // loopback counter sees the block's relay only.
    std::thread::sleep(Duration::from_secs(3));
    let chain = nodes[0].chain().unwrap().clone();
    let made = chain.produce_blocking(now_ms()).unwrap();
    let (block, txids) = (made.block, made.summary.txids);
    let target = block.header.height;
    let size = block.to_bytes().len();
    let compact_size = CompactBlock::new(&block, &txids, 0).to_bytes().len();
    println!(
        "block of {} payments: {size} bytes whole, {compact_size} bytes compact",
        block.txs.len()
    );

    let lo_before = loopback_bytes();
    let start = Instant::now();
    nodes[0].network().publish_block(block, txids);
    let mut reached = vec![None; nodes.len()];
    reached[0] = Some(Duration::ZERO);
    while reached.iter().any(Option::is_none) {
        for (i, node) in nodes.iter().enumerate() {
            if reached[i].is_none() && height(node) >= target {
                reached[i] = Some(start.elapsed());
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the block never arrived"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    // Let the last forwards and their cancellations finish.
    std::thread::sleep(Duration::from_secs(1));
    let lo_after = loopback_bytes();
    for (i, t) in reached.iter().enumerate().skip(1) {
        println!(
            "follower {i}: validated and stored after {:.0} ms",
            t.unwrap().as_secs_f64() * 1e3
        );
    }
    let all = reached.iter().flatten().max().unwrap();
    println!(
        "{mode}: all 4 nodes hold the block {:.0} ms after it was published ({:.2} ms per payment)",
        all.as_secs_f64() * 1e3,
        all.as_secs_f64() * 1e3 / n as f64
    );
    if let (Some(a), Some(b)) = (lo_before, lo_after) {
        let sent = b - a;
        println!(
            "{mode}: loopback bytes meanwhile: {sent} = {:.3} x the whole block",
            sent as f64 / size as f64
        );
    }
    // A node's chain thread ends when the last handle on it is gone.
    drop((chain, entry));
    for node in nodes.into_iter().rev() {
        node.stop().unwrap();
    }
}
