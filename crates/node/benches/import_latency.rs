//! What the API's callers see while a node imports a big block
//! (docs/api.md §Storage; DESIGN.md target: `GET /v1/status` p99 under
//! 50 ms while a 1,000-payment block imports).
//!
//! A producer chain (in-process) makes a block of N payments; a second
//! node, started from the same genesis with its API, imports the block's
//! bytes the way a gossiped block arrives (`ChainHandle::import_block`)
//! while two client threads poll it: one `GET /v1/status` (answered from
//! the published view), one `GET /v1/mempool` (answered on the chain's
//! thread, so it waits for stage 2 of the import only). Prints the import
//! time and each endpoint's latency percentiles over the requests made
//! during the import.
//!
//! `cargo bench -p node --bench import_latency` (`ZKVM_BENCH_TXS` sets N,
//! default 1000).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{node_config, Net, T0};
use node::{Chain, Client, Import, Limits, RunningNode};

/// Requests made by one poller: (sent at, latency).
type Samples = Vec<(Instant, Duration)>;

fn poll(url: String, path: &'static str, stop: Arc<AtomicBool>) -> Samples {
    let client = Client::new(&url).unwrap();
    let mut samples = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let at = Instant::now();
        match path {
            "status" => drop(client.status().unwrap()),
            _ => drop(client.mempool().unwrap()),
        }
        samples.push((at, at.elapsed()));
        std::thread::sleep(Duration::from_millis(2));
    }
    samples
}

fn report(what: &str, samples: &Samples, from: Instant, to: Instant) {
    let mut during: Vec<Duration> = samples
        .iter()
        .filter(|(at, _)| *at >= from && *at <= to)
        .map(|(_, d)| *d)
        .collect();
    during.sort_unstable();
    if during.is_empty() {
        println!("{what}: no request during the import");
        return;
    }
    let pct = |p: f64| during[((during.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e3;
    println!(
        "{what}: {} requests during the import: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        during.len(),
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
}

fn main() {
    let n: usize = std::env::var("ZKVM_BENCH_TXS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    println!("preparing {n} payments (proving)...");
    let mut net = Net::new(n);
    let txs: Vec<Vec<u8>> = (0..n).map(|i| net.pay(i, 10).0.to_bytes()).collect();

    println!("making the block on a producer...");
    let pdir = tempfile::tempdir().unwrap();
    let mut producer = net.init(pdir.path());
    for bytes in &txs {
        producer.submit(bytes).unwrap();
    }
    let made = producer.produce_block(T0 + 1000).unwrap();
    assert_eq!(made.txids.len(), n);
    let block = producer.block_bytes(made.height).unwrap().unwrap();
    drop(producer);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    drop(Chain::init(&path, net.genesis.clone(), None, Limits::default()).unwrap());
    let config = node_config(dir.path(), vec![], 1000);
    let node = RunningNode::start(config, move || Chain::open(&path, Limits::default())).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let pollers: Vec<_> = ["status", "mempool"]
        .into_iter()
        .map(|p| {
            let (url, stop) = (node.url(), stop.clone());
            std::thread::spawn(move || poll(url, p, stop))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let chain = node.chain().unwrap().clone();
    let size = block.len();
    let start = Instant::now();
    let imported = runtime.block_on(chain.import_block(block)).unwrap();
    let end = Instant::now();
    assert!(matches!(imported, Import::Stored(_)), "{imported:?}");
    std::thread::sleep(Duration::from_millis(100));
    stop.store(true, Ordering::Relaxed);
    let samples: Vec<Samples> = pollers.into_iter().map(|p| p.join().unwrap()).collect();

    println!(
        "imported a block of {n} payments ({size} bytes) in {:.0} ms ({:.3} ms per payment)",
        (end - start).as_secs_f64() * 1e3,
        (end - start).as_secs_f64() * 1e3 / n as f64
    );
    let stats = chain.import_stats();
    println!(
        "verified on import: {} transactions ({} known before)",
        stats.txs_verified, stats.txs_known
    );
    report("GET /v1/status ", &samples[0], start, end);
    report("GET /v1/mempool", &samples[1], start, end);
    node.stop().unwrap();
}
