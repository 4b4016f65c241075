//! The explorer's figures (docs/explorer.md §Figures), measured in
//! headless Chromium (scripts/install-browser.sh) against a node in this
//! process:
//!
//! - the block page's load time for a block of N payments (1 input, 2
//!   outputs each; N = `ZKVM_BENCH_TXS`, default 1000): from navigation
//!   until the page has rendered every transaction, median of 5 loads;
//! - a 1×2 payment verified in the browser by the wasm verifier, next to
//!   the native verifier in this process: median of 25 runs each, after
//!   one warm-up run (which builds the generator tables).
//!
//! `scripts/build-verify-wasm.sh && cargo bench -p node --bench explorer`
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr
)]

#[path = "../../cli/tests/common/browser.rs"]
mod browser;
#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::{node_config, Net};
use node::{now_ms, Chain, Limits, RunningNode};
use serde_json::json;

const RUNS: usize = 25;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    if browser::browser_or_skip().is_none() {
        return;
    }
    assert!(
        node::explorer::VERIFY_WASM.is_some(),
        "built without the wasm verifier: run scripts/build-verify-wasm.sh first"
    );
    let n: usize = std::env::var("ZKVM_BENCH_TXS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    println!("preparing {n} payments (proving)...");
    let mut net = Net::new(n + 1);
    let txs: Vec<Vec<u8>> = (0..n).map(|i| net.pay(i, 10).0.to_bytes()).collect();
    let (single, _) = net.pay(n, 10);
    let single = single.to_bytes();

    // The block is made before the node serves, so that its producer
    // cannot take some of the payments first.
    let dir = tempfile::tempdir().unwrap();
    let mut chain = net.init(dir.path());
    for bytes in &txs {
        chain.submit(bytes).unwrap();
    }
    let made = chain.produce(now_ms()).unwrap();
    let height = made.block.header.height;
    assert_eq!(made.block.txs.len(), n);
    println!(
        "block {height}: {n} payments, {} bytes",
        made.block.to_bytes().len()
    );
    drop(chain);
    let path = dir.path().join("chain.redb");
    let node = RunningNode::start(node_config(dir.path(), vec![], 3_600_000), move || {
        Chain::open(&path, Limits::default())
    })
    .unwrap();

    let b = browser::Browser::start(1200, 1000);
    let url = format!("{}/block/{height}", node.url());
    let mut loads = Vec::new();
    for _ in 0..5 {
        b.open(&format!("{}/network", node.url()));
        b.open(&url);
        let rows = b.value("document.querySelectorAll('#block-txs tbody tr').length");
        assert_eq!(rows, n as u64);
        let ms: f64 = b
            .value("document.getElementById('main').dataset.readyMs")
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        loads.push(ms);
    }
    println!(
        "block page, {n} payments: loaded and rendered in {:.0} ms (median of 5; {:?})",
        median(loads.clone()),
        loads
    );

    // The 1×2 payment, in the browser and natively.
    let hex_tx = hex::encode(&single);
    b.open(&format!("{}/network", node.url()));
    let script = "const [hex, runs] = arguments; const done = arguments[arguments.length - 1];\
        (async () => { const out = []; for (let i = 0; i <= runs; i++) {\
          const r = await window.explorer.verify(hex);\
          if (!r.ok) { done({error: r.text}); return; } out.push(r.ms); }\
          done({ms: out}); })();";
    let answer = b.eval_async(script, json!([hex_tx, RUNS]));
    let ms: Vec<f64> = answer["ms"]
        .as_array()
        .unwrap_or_else(|| panic!("in-browser verification failed: {answer}"))
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let first = ms[0];
    let browser_ms = median(ms[1..].to_vec());
    zkvm::Verifier::verify_bytes(&single).unwrap();
    let native: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            zkvm::Verifier::verify_bytes(&single).unwrap();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    let native_ms = median(native);
    println!(
        "1x2 payment ({} bytes): browser (wasm) {browser_ms:.2} ms, native {native_ms:.2} ms \
         ({:.1}x); the browser's first run {first:.1} ms",
        single.len(),
        browser_ms / native_ms
    );
    drop(b);
    node.stop().unwrap();
}
