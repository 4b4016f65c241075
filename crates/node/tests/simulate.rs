#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `POST /v1/simulate` (docs/api.md §Simulate): a witness file's dry run
//! answered as JSON; failing programs are reports, malformed files and
//! other media types are JSON errors.

mod common;

use common::{http, node_config, Net};
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use node::{Chain, Limits, RunningNode};
use serde_json::{json, Value};
use zkvm::{Anchor, Commitment, Contract, Data, Encodable, PortableItem, Predicate};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn s(x: u64) -> String {
    hex(Scalar::from(x).as_bytes())
}

/// A 1-in 1-out payment of 5 units; balanced only if `out` is 5.
fn witness(out: u64) -> Value {
    let alice = SecretKey::from_scalar(Scalar::from(21u64));
    let bob = SecretKey::from_scalar(Scalar::from(22u64)).verification_key();
    let utxo = Contract {
        anchor: Anchor::from_bytes([9; 32]),
        predicate: Predicate::opaque(*alice.verification_key().as_compressed()),
        payload: vec![PortableItem::Value(zkvm::Value {
            qty: Commitment::blinded_with_factor(5u64, Scalar::from(1u64)),
            flv: Commitment::blinded_with_factor(Scalar::ZERO, Scalar::from(2u64)),
        })],
    };
    json!({
        "program": "push $utxo; input; signtx; push $q; push $f; cloak:1:1; push $bob; output:1",
        "params": {
            "utxo": format!("0x{}", hex(&Data::Output(Box::new(utxo)).encode_to_vec())),
            "bob": format!("point:0x{}", hex(bob.as_compressed().as_bytes())),
        },
        "commitments": {
            "in_q": {"quantity": 5, "blinding": s(1)},
            "in_f": {"flavor": s(0), "blinding": s(2)},
            "q": {"quantity": out, "blinding": s(3)},
            "f": {"flavor": s(0), "blinding": s(4)},
        },
        "keys": {"alice": s(21)},
    })
}

fn post(url: &str, query: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let client = reqwest::blocking::Client::new();
    http::post(
        &client,
        &format!("{url}/v1/simulate{query}"),
        content_type,
        body,
    )
}

#[test]
fn simulate_answers_reports_and_json_errors() {
    let dir = tempfile::tempdir().unwrap();
    let net = Net::new(1);
    drop(net.init(dir.path()));
    let path = dir.path().join("chain.redb");
    let node = RunningNode::start(node_config(dir.path(), vec![], 50), move || {
        Chain::open(&path, Limits::default())
    })
    .unwrap();
    let url = node.url();
    let body = |w: &Value| w.to_string().into_bytes();

    let (status, report) = post(&url, "?fee_rate=1/1", "application/json", body(&witness(5)));
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["txid"].as_str().unwrap().len(), 64);
    assert_eq!(report["log"][1]["kind"], "input");
    assert_eq!(report["fee_rate"]["required_fee"], report["size"]["total"]);
    assert!(report["trace"].is_null());

    let (status, report) = post(&url, "?trace=true", "application/json", body(&witness(6)));
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["ok"], false);
    assert_eq!(report["failure"]["instruction"], "cloak");
    assert_eq!(report["failure"]["stack"]["depth"], 3);
    assert_eq!(report["trace"]["total"], 6);
    assert!(report["trace"]["steps"][5]["stack"].is_null());

    let (status, e) = post(
        &url,
        "",
        "application/json",
        br#"{"program": "drop", "x": 1}"#.to_vec(),
    );
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["error"], "bad_request");
    assert!(
        e["reason"].as_str().unwrap().contains("unknown field `x`"),
        "{e}"
    );

    let (status, e) = post(&url, "?fee_rate=1", "application/json", body(&witness(5)));
    assert_eq!(status, 400, "{e}");
    assert!(e["reason"].as_str().unwrap().contains("fee_rate"), "{e}");

    let (status, e) = post(&url, "", "text/plain", body(&witness(5)));
    assert_eq!(status, 415, "{e}");
    assert_eq!(e["error"], "unsupported_media_type");

    let (status, e) = post(&url, "?bogus=1", "application/json", body(&witness(5)));
    assert_eq!(status, 400, "{e}");
    assert!(e["error"].is_string(), "{e}");
    node.stop().unwrap();
}
