//! Node operations over HTTP: the Prometheus metrics move with a payment
//! and count refusals by reason, blocks are listed by page, the fee
//! estimate follows the pool, and CORS answers only allowed origins.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{Read, Write};

use common::peer::wait_for;
use common::{node_config, Net};
use node::{now_ms, Chain, Client, Limits, NodeConfig, RunningNode};
use zkvm::Encodable;

/// A producing node on `net`'s genesis in `dir` that makes blocks only
/// when told to (its interval is a minute, and its first tick finds the
/// pool empty).
fn start(net: &Net, dir: &std::path::Path, tune: impl FnOnce(&mut NodeConfig)) -> RunningNode {
    drop(net.init(dir));
    let path = dir.join("chain.redb");
    let mut config = node_config(dir, vec![], 60_000);
    tune(&mut config);
    RunningNode::start(config, move || Chain::open(&path, Limits::default())).unwrap()
}

/// `GET /metrics` as text.
fn scrape(node: &RunningNode) -> String {
    let response = reqwest::blocking::get(format!("{}/metrics", node.url())).unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let ctype = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
    response.text().unwrap()
}

/// The value of the sample `series` (name and labels as rendered).
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
        .parse()
        .unwrap()
}

#[test]
fn metrics_move_with_a_payment_and_count_refusals_by_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut net = Net::new(2);
    let (tx, _) = net.pay(0, 10);
    let node = start(&net, dir.path(), |_| {});
    let client = Client::new(&node.url()).unwrap();

    let before = scrape(&node);
    assert_eq!(sample(&before, "zkvm_height"), 1.0);
    assert_eq!(sample(&before, "zkvm_mempool_txs"), 0.0);
    assert_eq!(sample(&before, "zkvm_txs_accepted_total"), 0.0);
    assert_eq!(
        sample(&before, "zkvm_tx_verify_seconds_count{stage=\"proof\"}"),
        0.0
    );

    let bytes = tx.to_bytes();
    client.submit(&bytes).unwrap();
    let pending = scrape(&node);
    assert_eq!(sample(&pending, "zkvm_mempool_txs"), 1.0);
    assert_eq!(sample(&pending, "zkvm_mempool_bytes"), bytes.len() as f64);
    assert_eq!(sample(&pending, "zkvm_txs_accepted_total"), 1.0);
    assert_eq!(
        sample(&pending, "zkvm_tx_verify_seconds_count{stage=\"vm\"}"),
        1.0
    );
    assert_eq!(
        sample(&pending, "zkvm_tx_verify_seconds_count{stage=\"proof\"}"),
        1.0
    );
    assert!(sample(&pending, "zkvm_tx_verify_seconds_sum{stage=\"proof\"}") > 0.0);
    assert_eq!(
        sample(
            &pending,
            "zkvm_tx_verify_seconds_bucket{stage=\"proof\",le=\"+Inf\"}"
        ),
        1.0
    );

    // Refusals, each under its reason: the same transaction again, and
    // bytes that are no transaction.
    assert!(client.submit(&bytes).is_err());
    assert!(client.submit(&[0xff; 40]).is_err());
    node.chain().unwrap().produce_blocking(now_ms()).unwrap();
    wait_for("the tip at 2", 30, || client.status().unwrap().height == 2);
    assert!(client.submit(&bytes).is_err());

    let after = scrape(&node);
    assert_eq!(sample(&after, "zkvm_height"), 2.0);
    assert_eq!(sample(&after, "zkvm_mempool_txs"), 0.0);
    assert_eq!(sample(&after, "zkvm_mempool_bytes"), 0.0);
    assert_eq!(
        sample(&after, "zkvm_blocks_accepted_total{source=\"produced\"}"),
        1.0
    );
    assert_eq!(sample(&after, "zkvm_block_produce_seconds_count"), 1.0);
    assert_eq!(
        sample(&after, "zkvm_txs_refused_total{reason=\"duplicate\"}"),
        1.0
    );
    assert_eq!(
        sample(&after, "zkvm_txs_refused_total{reason=\"malformed\"}"),
        1.0
    );
    assert_eq!(
        sample(
            &after,
            "zkvm_txs_refused_total{reason=\"already_confirmed\"}"
        ),
        1.0
    );
    assert_eq!(sample(&after, "zkvm_txs_accepted_total"), 1.0);
    assert_eq!(sample(&after, "zkvm_peers"), 0.0);
    // Every sample line is `name[{labels}] number`.
    for line in after.lines().filter(|l| !l.starts_with('#')) {
        let (_, value) = line.rsplit_once(' ').unwrap();
        value.parse::<f64>().unwrap();
    }
}

#[test]
fn blocks_are_listed_newest_first_or_by_page_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let mut net = Net::new(2);
    let (tx, _) = net.pay(0, 10);
    let node = start(&net, dir.path(), |_| {});
    let client = Client::new(&node.url()).unwrap();
    let chain = node.chain().unwrap();
    client.submit(&tx.to_bytes()).unwrap();
    chain.produce_blocking(now_ms()).unwrap();
    chain.produce_blocking(now_ms() + 1).unwrap();
    // The view is published just after the block is stored.
    wait_for("the tip at 3", 30, || client.status().unwrap().height == 3);

    let newest = client.blocks(None, 10).unwrap();
    assert_eq!(newest.tip, 3);
    let heights: Vec<u64> = newest.blocks.iter().map(|b| b.height).collect();
    assert_eq!(heights, [3, 2, 1]);
    assert_eq!(newest.next, None);
    let two = &newest.blocks[1];
    let full = client.block_json("2").unwrap().unwrap();
    assert_eq!(two.id, full.header.id);
    assert_eq!(two.timestamp_ms, full.header.timestamp_ms);
    assert_eq!(two.txs, 1);
    assert_eq!(two.size as usize, full.hex.unwrap().len() / 2);
    assert_eq!(newest.blocks[0].txs, 0);
    assert_eq!(newest.blocks[2].size, 0, "the initial header is no block");

    let page = client.blocks(Some(1), 2).unwrap();
    let heights: Vec<u64> = page.blocks.iter().map(|b| b.height).collect();
    assert_eq!((heights, page.next), (vec![1, 2], Some(3)));
    let last = client.blocks(page.next, 2).unwrap();
    assert_eq!((last.blocks.len(), last.next), (1, None));
    assert!(client.blocks(Some(99), 5).unwrap().blocks.is_empty());
    assert_eq!(client.blocks(None, 1).unwrap().blocks[0].height, 3);

    for bad in [
        "limit=0",
        "limit=101",
        "limit=-1",
        "limit=x",
        "from=0",
        "from=abc",
        "from=99999999999999999999999",
    ] {
        let r = reqwest::blocking::get(format!("{}/v1/blocks?{bad}", node.url())).unwrap();
        assert_eq!(r.status().as_u16(), 400, "{bad}");
        let body: serde_json::Value = r.json().unwrap();
        assert_eq!(body["error"], "bad_request", "{bad}");
    }
}

#[test]
fn the_fee_estimate_is_the_minimum_until_the_next_block_is_full() {
    let dir = tempfile::tempdir().unwrap();
    let mut net = Net::new(2);
    let (tx, _) = net.pay(0, 10);
    let size = tx.encoded_size();
    // Room for the payment and 10 bytes more in a block.
    let node = start(&net, dir.path(), |c| c.block_bytes = size + 10);
    let client = Client::new(&node.url()).unwrap();

    let empty = client.fee_estimate(None).unwrap();
    assert!(!empty.congested);
    let typical = node::api::DEFAULT_ESTIMATE_BYTES.min(size + 10);
    assert_eq!(empty.size as usize, typical, "at most a block");
    assert_eq!(empty.minimum.fee, 1);
    assert_eq!(empty.minimum.bytes, 2000);
    assert_eq!(
        empty.fee,
        blockchain::fee_for(zkvm::FeeRate::new(1, 2000), typical)
    );

    client.submit(&tx.to_bytes()).unwrap();
    let fits = client.fee_estimate(Some(10)).unwrap();
    assert!(!fits.congested);
    assert_eq!(fits.fee, 1, "the minimum for 10 bytes");
    assert_eq!(fits.mempool.txs, 1);

    let crowded = client.fee_estimate(Some(1000)).unwrap();
    assert!(crowded.congested);
    assert_eq!(
        (crowded.fee_rate.fee, crowded.fee_rate.bytes),
        (crowded.fee, 1000)
    );
    // Strictly above the pool transaction's rate, which it must outbid.
    assert!(
        u128::from(crowded.fee) * size as u128 > 10 * 1000,
        "{crowded:?}"
    );

    for bad in ["size=0", "size=x", &format!("size={}", size + 11)] {
        let r = reqwest::blocking::get(format!("{}/v1/fee-estimate?{bad}", node.url())).unwrap();
        assert_eq!(r.status().as_u16(), 400, "{bad}");
    }
}

/// Sends `request` as is over a new connection and reads the answer's
/// head (status line and headers), lower-cased.
fn raw(node: &RunningNode, request: &str) -> String {
    let mut s = std::net::TcpStream::connect(node.addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    text.split("\r\n\r\n").next().unwrap().to_owned()
}

#[test]
fn cors_answers_allowed_origins_only_and_is_off_by_default() {
    let preflight = |origin: &str| {
        format!(
            "OPTIONS /v1/txs HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\n\
             Access-Control-Request-Method: POST\r\n\
             Access-Control-Request-Headers: content-type\r\nConnection: close\r\n\r\n"
        )
    };
    let get = |origin: &str| {
        format!(
            "GET /v1/status HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\nConnection: close\r\n\r\n"
        )
    };

    let dir = tempfile::tempdir().unwrap();
    let net = Net::new(1);
    let node = start(&net, dir.path(), |c| {
        c.cors_origins = vec!["http://wallet.example".into()];
    });
    let head = raw(&node, &preflight("http://wallet.example"));
    assert!(head.starts_with("http/1.1 204"), "{head}");
    assert!(
        head.contains("access-control-allow-origin: http://wallet.example"),
        "{head}"
    );
    assert!(head.contains("access-control-allow-methods: get, post, options"));
    assert!(head.contains("access-control-allow-headers: content-type"));
    let head = raw(&node, &get("http://wallet.example"));
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("access-control-allow-origin: http://wallet.example"));
    let head = raw(&node, &get("http://evil.example"));
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(!head.contains("access-control-allow-origin"), "{head}");
    let head = raw(&node, &preflight("http://evil.example"));
    assert!(!head.contains("access-control-allow-origin"), "{head}");
    assert!(!head.starts_with("http/1.1 2"), "{head}");
    drop(node);

    let dir = tempfile::tempdir().unwrap();
    let node = start(&net, dir.path(), |_| {});
    let head = raw(&node, &get("http://wallet.example"));
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(!head.contains("access-control"), "{head}");
    let head = raw(&node, &preflight("http://wallet.example"));
    assert!(!head.contains("access-control"), "{head}");
}
