//! End-to-end throughput of a node on this machine (docs/api.md): payments
//! (1 input, 2 outputs, a fee) submitted over HTTP by concurrent client
//! threads into the mempool, then confirmed in blocks by the node's producer.
//!
//! Prints: the one-core single-verification rate of these payments
//! (decode and full verification, one after another on one thread, the
//! reference point of DESIGN.md's target), transactions per second
//! accepted by the API (each verified in full) and its ratio to that
//! rate, transactions per second confirmed (accepted to stored in a
//! block), and the latency from submission to inclusion (the including
//! block's timestamp minus the submission time): median, 90th percentile
//! and maximum.
//!
//! `cargo bench -p node --bench throughput` (`ZKVM_BENCH_TXS` sets the
//! number of payments, default 400; `ZKVM_BENCH_CLIENTS` the number of
//! client threads, default 8).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{node_config, Net};
use node::{Chain, Client, Limits, RunningNode};
use zkvm::Verifier;

fn main() {
    let n: usize = std::env::var("ZKVM_BENCH_TXS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    println!("preparing {n} payments (proving)...");
    let mut net = Net::new(n);
    let txs: Vec<(String, Vec<u8>)> = (0..n)
        .map(|i| {
            let (tx, _) = net.pay(i, 10);
            let id = Verifier::precompute(&tx).unwrap().id.to_string();
            (id, tx.to_bytes())
        })
        .collect();
    let size = txs[0].1.len();

    // The one-core single-verification rate (DESIGN.md: the API's rate on
    // two cores is to be at least 1.7 times this).
    let sample = txs.len().min(200);
    let started = Instant::now();
    for (_, bytes) in &txs[..sample] {
        let tx = zkvm::Tx::from_bytes(bytes).unwrap();
        blockchain::CheckedTx::verify(tx).unwrap();
    }
    let one_core = sample as f64 / started.elapsed().as_secs_f64();
    println!("one core, single verification: {one_core:.1} tx/s");

    let dir = tempfile::tempdir().unwrap();
    drop(net.init(dir.path()));
    let path = dir.path().join("chain.redb");
    let config = node_config(dir.path(), vec![], 1000);
    let node = RunningNode::start(config, move || Chain::open(&path, Limits::default())).unwrap();
    let url = node.url();

    // Submit from several client threads (an API has many callers; the
    // node's group commit and its verification cores only fill up when
    // requests overlap), recording each submission's time.
    let clients: usize = std::env::var("ZKVM_BENCH_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8)
        .max(1);
    let txs = Arc::new(txs);
    let start = Instant::now();
    let epoch_ms = node::now_ms();
    let handles: Vec<_> = (0..clients)
        .map(|t| {
            let txs = txs.clone();
            let url = url.clone();
            std::thread::spawn(move || {
                let client = Client::new(&url).unwrap();
                let mut submitted = Vec::new();
                for (i, (id, bytes)) in txs.iter().enumerate() {
                    if i % clients != t {
                        continue;
                    }
                    client.submit(bytes).unwrap();
                    submitted.push((id.clone(), node::now_ms()));
                }
                submitted
            })
        })
        .collect();
    let submitted: Vec<(String, u64)> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let accepted_s = start.elapsed().as_secs_f64();

    // Wait until every payment is in a block.
    let client = Client::new(&url).unwrap();
    loop {
        let pool = client.mempool().unwrap();
        if pool.txs.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let confirmed_s = start.elapsed().as_secs_f64();

    let mut latencies: Vec<u64> = submitted
        .iter()
        .map(|(id, at)| {
            let tx = client.tx(id).unwrap().unwrap();
            assert_eq!(tx.status, node::api_types::TxStatus::Confirmed);
            let height = tx.height.unwrap();
            let block = client.block_json(&height.to_string()).unwrap().unwrap();
            let ts = block.header.timestamp_ms;
            ts.saturating_sub(*at)
        })
        .collect();
    latencies.sort_unstable();
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
    let height = client.status().unwrap().height;
    println!(
        "{n} payments of {size} bytes, {clients} client threads, block interval 1 s, started at {epoch_ms}"
    );
    println!(
        "accepted into the mempool: {:.1} tx/s ({:.2} ms each), {:.2}x the one-core rate",
        n as f64 / accepted_s,
        accepted_s * 1000.0 / n as f64,
        n as f64 / accepted_s / one_core
    );
    println!(
        "confirmed in blocks:       {:.1} tx/s ({} blocks, tip {height})",
        n as f64 / confirmed_s,
        height - 1
    );
    println!(
        "submit-to-inclusion latency: median {} ms, p90 {} ms, max {} ms",
        pct(0.5),
        pct(0.9),
        pct(1.0)
    );
    node.stop().unwrap();
}
