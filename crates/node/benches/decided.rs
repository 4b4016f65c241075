//! Payments per second decided by four validators on loopback (issue 18,
//! docs/bench-node.md): the in-process federation of the certified-chain
//! test (four validators, each with its key, and a follower; every node
//! on this machine's cores), payments (1 input, 2 outputs, a fee) built
//! beforehand, submitted over HTTP to the follower by concurrent client
//! threads, which relays them to the validators; the engine decides
//! blocks of them and every node stores them.
//!
//! Prints: payments accepted per second by the follower's API (each
//! verified in full on submission), payments per second decided (from
//! the first submission until the follower stored a decided block holding
//! the last payment), the blocks they took and the most payments in one,
//! and the latency from submission to the including block's timestamp.
//!
//! `cargo bench -p node --bench decided` (`ZKVM_BENCH_TXS` sets the number
//! of payments, default 400; `ZKVM_BENCH_CLIENTS` the client threads,
//! default 4; `ZKVM_BENCH_INTERVAL_MS` the validators' block interval,
//! default 200).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use blockchain::Block;
use common::federation::{height, validators, Federation};
use common::Net;
use node::Client;
use zkvm::Verifier;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let n = env("ZKVM_BENCH_TXS", 400) as usize;
    let clients = env("ZKVM_BENCH_CLIENTS", 4).max(1) as usize;
    let interval = env("ZKVM_BENCH_INTERVAL_MS", 200);
    println!("preparing {n} payments (proving)...");
    let mut net = Net::new(n);
    let (scalars, _, set) = validators();
    net.genesis.validators = set.genesis_entries();
    let genesis = net.genesis.clone();
    let txs: Vec<(zkvm::TxID, Vec<u8>)> = (0..n)
        .map(|i| {
            let (tx, _) = net.pay(i, 10);
            (Verifier::precompute(&tx).unwrap().id, tx.to_bytes())
        })
        .collect();

    let fed = Federation::start(&genesis, &scalars, interval, 1_000);
    let deadline = Instant::now() + Duration::from_secs(120);
    while height(&fed.follower) < 3 {
        assert!(Instant::now() < deadline, "the federation decides no block");
        std::thread::sleep(Duration::from_millis(50));
    }
    let first_height = height(&fed.follower) + 1;
    let url = fed.follower.url();

    // Submission: the clients share the list; each records when it sent.
    let sent: Arc<Mutex<HashMap<zkvm::TxID, u64>>> = Arc::new(Mutex::new(HashMap::new()));
    let queue = Arc::new(Mutex::new(txs.clone()));
    let started = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let queue = Arc::clone(&queue);
            let sent = Arc::clone(&sent);
            let url = url.clone();
            std::thread::spawn(move || {
                let client = Client::new(&url).unwrap();
                loop {
                    let Some((id, bytes)) = queue.lock().unwrap().pop() else {
                        break;
                    };
                    let at = node::now_ms();
                    // A full node answers `busy` when its verifiers are
                    // taken: try again.
                    while let Err(e) = client.submit(&bytes) {
                        assert!(e.to_string().contains("busy"), "{e}");
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    sent.lock().unwrap().insert(id, at);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let accepted = started.elapsed();

    // Decided: the follower's stored blocks, read as they come.
    let chain = fed.follower.chain().unwrap();
    let mut found = 0usize;
    let mut blocks = 0usize;
    let mut largest = 0usize;
    let mut latencies = Vec::with_capacity(n);
    let mut next = first_height;
    let deadline = Instant::now() + Duration::from_secs(600);
    let sent = sent.lock().unwrap().clone();
    while found < n {
        assert!(
            Instant::now() < deadline,
            "{found} of {n} payments decided in 600 s"
        );
        let Some(bytes) = chain.blocks().block_bytes(next).unwrap() else {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        };
        let block = Block::from_bytes(&bytes).unwrap();
        let mut here = 0;
        for tx in &block.txs {
            let id = Verifier::precompute(tx).unwrap().id;
            if let Some(at) = sent.get(&id) {
                here += 1;
                latencies.push(block.header.timestamp_ms.saturating_sub(*at));
            }
        }
        if here > 0 {
            blocks += 1;
            largest = largest.max(here);
        }
        found += here;
        next += 1;
    }
    let decided = started.elapsed();
    latencies.sort_unstable();
    let pct = |p: usize| latencies[(latencies.len() - 1) * p / 100];
    println!(
        "four validators and a follower on loopback, {} cores, block interval {interval} ms",
        std::thread::available_parallelism().map_or(0, |c| c.get())
    );
    println!(
        "accepted by the follower's API: {:.1} payments/s ({n} in {:.2} s, {clients} clients)",
        n as f64 / accepted.as_secs_f64(),
        accepted.as_secs_f64()
    );
    println!(
        "decided: {:.1} payments/s ({n} in {:.2} s from the first submission, {blocks} blocks, at most {largest} in one)",
        n as f64 / decided.as_secs_f64(),
        decided.as_secs_f64()
    );
    println!(
        "submission to the including block's time: median {} ms, p90 {} ms, max {} ms",
        pct(50),
        pct(90),
        pct(100)
    );
    for v in fed.validators {
        v.stop().unwrap();
    }
    fed.follower.stop().unwrap();
}
