//! A node under a flood of hostile transactions (docs/spec/network.md
//! §Admission, §Scoring; docs/spec/zkvm.md §Execution budget): every
//! adversarial family, by API from a few threads and by gossip from a
//! misbehaving peer. The node keeps answering `GET /v1/status`, stays
//! within a memory bound, refuses every hostile submission with a JSON 4xx
//! (or 503 busy), bans the gossiping peer, and still confirms an honest
//! payment. And the busy path: with every verification core taken and no
//! queue, submissions are refused at once with 503 busy. And the cheap
//! offences: a gossiped duplicate costs 10, an unspendable transaction 5,
//! and a peer repeating duplicates is cut off.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::http::post_tx;
use common::peer::{wait_for, Attacker};
use common::{node_config, Net};
use node::{Chain, Client, Limits, NodeConfig, RunningNode};
use serde_json::Value;
use zkvm::adversarial::{transaction, Family};

/// Growth of the process's peak resident memory the flood may cause.
const MEMORY_BOUND_MB: u64 = 512;

/// A field of /proc/self/status in kB (VmRSS, VmHWM).
fn proc_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn producer(net: &Net, dir: &std::path::Path, edit: impl FnOnce(&mut NodeConfig)) -> RunningNode {
    drop(net.init(dir));
    let path = dir.join("chain.redb");
    let mut config = node_config(dir, vec![], 100);
    config.target_peers = 0;
    edit(&mut config);
    RunningNode::start(config, move || Chain::open(&path, Limits::default())).unwrap()
}

fn post(client: &reqwest::blocking::Client, url: &str, bytes: Vec<u8>) -> (u16, Value) {
    post_tx(client, url, "application/octet-stream", bytes)
}

/// Hostile transactions of every family at a few scales: `variant` shifts
/// the scales so that each caller's bytes are its own.
fn hostile(variant: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for family in Family::ALL {
        let scales: &[usize] = if family.is_exponential() {
            &[24, 32, 40]
        } else {
            &[2_000, 8_000, 20_000]
        };
        for n in scales {
            let tx = transaction(&family.program(n + variant)).unwrap();
            out.push(tx.to_bytes());
        }
    }
    out
}

/// A libp2p peer driven by the test, sending what an honest node never
/// would.
#[test]
fn a_node_under_a_flood_of_hostile_transactions_keeps_serving() {
    let mut net = Net::new(2);
    let dir = tempfile::tempdir().unwrap();
    // Built before the baseline: the test's own copies are not the node's.
    // Four API threads, each with two sets of its own bytes, then each
    // thread's first set again (refused from the cache of refused
    // witnesses).
    let api_floods: Vec<Vec<Vec<u8>>> = (0..4)
        .map(|t| {
            let first = hostile(2 * t);
            let mut all = first.clone();
            all.extend(hostile(2 * t + 1));
            all.extend(first);
            all
        })
        .collect();
    let submissions: usize = api_floods.iter().map(Vec::len).sum();
    let gossip_flood = hostile(8);
    let node = producer(&net, dir.path(), |_| {});
    let url = node.url();
    let rss_before = proc_kb("VmRSS");

    // Status, polled throughout.
    let stop = Arc::new(AtomicBool::new(false));
    let worst = Arc::new(Mutex::new((Duration::ZERO, 0u32)));
    let poller = {
        let (stop, worst, url) = (stop.clone(), worst.clone(), url.clone());
        std::thread::spawn(move || {
            let client = reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap();
            while !stop.load(Ordering::Relaxed) {
                let start = Instant::now();
                let r = client.get(format!("{url}/v1/status")).send().unwrap();
                assert_eq!(r.status().as_u16(), 200);
                let took = start.elapsed();
                let mut w = worst.lock().unwrap();
                w.0 = w.0.max(took);
                w.1 += 1;
                drop(w);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };

    // By API, from four threads.
    let flood_start = Instant::now();
    let submitters: Vec<_> = api_floods
        .into_iter()
        .map(|txs| {
            let url = url.clone();
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(60))
                    .build()
                    .unwrap();
                let mut codes = Vec::new();
                for bytes in txs {
                    let (status, body) = post(&client, &url, bytes);
                    assert!(
                        (400..500).contains(&status) || status == 503,
                        "{status} {body}"
                    );
                    assert!(body["error"].is_string(), "{status} {body}");
                    if status == 503 {
                        assert_eq!(body["error"], "busy", "{body}");
                    }
                    codes.push(body["error"].as_str().unwrap().to_owned());
                }
                codes
            })
        })
        .collect();

    // By gossip, at the same time: cut off and banned.
    let mut a = Attacker::connect(&net.genesis, &node);
    let mut gossiped = 0;
    for bytes in gossip_flood {
        if !a.publish(false, bytes) {
            break;
        }
        gossiped += 1;
    }
    assert!(a.cut_off(), "the gossiping attacker is still connected");
    wait_for("the attacker banned", 20, || {
        node.network()
            .info()
            .banned
            .contains(a.swarm.local_peer_id())
    });

    let mut codes: Vec<String> = submitters
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let flood_time = flood_start.elapsed();
    stop.store(true, Ordering::Relaxed);
    poller.join().unwrap();
    codes.sort();
    codes.dedup();

    // An honest payment still confirms.
    let (tx, _) = net.pay(0, 10);
    let client = Client::new(&url).unwrap();
    let id = common::json(client.submit(&tx.to_bytes()).unwrap())["id"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_for("the honest payment confirmed", 60, || {
        client
            .tx(&id)
            .unwrap()
            .is_some_and(|t| common::json(t)["status"] == "confirmed")
    });

    let (hwm_after, rss_after) = (proc_kb("VmHWM"), proc_kb("VmRSS"));
    let growth_mb = hwm_after.saturating_sub(rss_before) / 1024;
    let (worst_status, polls) = *worst.lock().unwrap();
    println!(
        "flood: {submissions} API submissions in {flood_time:?} ({codes:?}), {gossiped} gossiped before the ban; \
         status answered {polls} times, worst {worst_status:?}; \
         memory: VmRSS {} MB before, VmHWM {} MB and VmRSS {} MB after, peak growth {growth_mb} MB \
         (bound {MEMORY_BOUND_MB} MB)",
        rss_before / 1024,
        hwm_after / 1024,
        rss_after / 1024,
    );
    let stats = node.network().admission().stats();
    println!("admission: {stats:?}");
    // Bytes refused once cost no second VM run.
    assert!(stats.known_bad > 0, "{stats:?}");
    assert!(stats.vm_runs < (submissions + gossiped) as u64, "{stats:?}");
    assert!(polls > 0);
    assert!(
        growth_mb < MEMORY_BOUND_MB,
        "peak memory grew by {growth_mb} MB"
    );
    node.stop().unwrap();
}

#[test]
fn submissions_beyond_a_full_verification_pool_are_refused_busy() {
    let mut net = Net::new(2);
    let (tx, _) = net.pay(0, 10);
    let dir = tempfile::tempdir().unwrap();
    let node = producer(&net, dir.path(), |c| {
        c.verify_queue = 0;
        c.verify_wait_ms = 100;
    });
    let url = node.url();
    // Every verification core taken for a while.
    let admission = node.network().admission().clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let holds: Vec<_> = (0..node::admission::default_workers())
        .map(|_| {
            let admission = admission.clone();
            runtime.spawn(async move {
                admission
                    .run(|| std::thread::sleep(Duration::from_secs(2)))
                    .await
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));

    // Concurrent submissions: each refused at once with 503 busy.
    let refused: Vec<_> = (0..4)
        .map(|_| {
            let (url, bytes) = (url.clone(), tx.to_bytes());
            std::thread::spawn(move || {
                let start = Instant::now();
                let answer = post(&reqwest::blocking::Client::new(), &url, bytes);
                (answer, start.elapsed())
            })
        })
        .collect();
    for t in refused {
        let ((status, body), took) = t.join().unwrap();
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"], "busy", "{body}");
        assert!(body["reason"].is_string(), "{body}");
        assert!(took < Duration::from_secs(1), "{took:?}");
    }
    for h in holds {
        runtime.block_on(h).unwrap().unwrap();
    }
    // Free again: taken.
    let (status, body) = post(&reqwest::blocking::Client::new(), &url, tx.to_bytes());
    assert_eq!(status, 200, "{body}");
    assert!(admission.stats().busy >= 4);
    node.stop().unwrap();
}

/// `tx` with bit 0 of byte `k` of its signature's scalar flipped: other
/// bytes, the same txid.
fn resigned(tx: &zkvm::Tx, k: usize) -> Vec<u8> {
    let mut bytes = tx.to_bytes();
    bytes[24 + 4 + tx.program.len() + 32 + k] ^= 1;
    bytes
}

#[test]
fn duplicates_and_unspendable_transactions_cost_a_little_until_they_persist() {
    let mut net = Net::new(2);
    let mut wide = Net::new(3);
    let (foreign, _) = wide.pay(2, 10);
    let (tx, _) = net.pay(0, 10);
    let dir = tempfile::tempdir().unwrap();
    // No block for the test's length: the payment stays in the pool.
    let node = producer(&net, dir.path(), |c| c.block_interval_ms = 600_000);
    Client::new(&node.url())
        .unwrap()
        .submit(&tx.to_bytes())
        .unwrap();
    let mut a = Attacker::connect(&net.genesis, &node);
    // The pool's payment with other signature bytes: a duplicate.
    assert!(a.publish(false, resigned(&tx, 0)));
    a.wait_score(&node, -10, true);
    // A spend of an output this node does not know.
    assert!(a.publish(false, foreign.to_bytes()));
    a.wait_score(&node, -15, true);
    assert!(a.swarm.is_connected(&a.target));
    // Persisting: cut off at the tenth duplicate.
    for k in 1..10 {
        if !a.publish(false, resigned(&tx, k)) {
            break;
        }
    }
    assert!(a.cut_off(), "the duplicating peer is still connected");
    assert!(node
        .network()
        .info()
        .banned
        .contains(a.swarm.local_peer_id()));
    node.stop().unwrap();
}
