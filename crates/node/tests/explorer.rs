//! The explorer's routes over HTTP (docs/explorer.md): pages and assets
//! are served with their types, its JSON answers link a transaction's
//! inputs and outputs, search finds each kind of name, hostile input is a
//! 4xx, and `explorer = false` leaves only the API. The pages themselves
//! are checked in a browser by crates/cli/tests/explorer.rs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::peer::wait_for;
use common::{node_config, Net};
use node::{Chain, Client, Limits, NodeConfig, RunningNode};
use serde_json::Value;

fn start(net: &Net, dir: &std::path::Path, explorer: bool) -> RunningNode {
    drop(net.init(dir));
    let path = dir.join("chain.redb");
    let config = NodeConfig {
        explorer,
        ..node_config(dir, vec![], 50)
    };
    RunningNode::start(config, move || Chain::open(&path, Limits::default())).unwrap()
}

/// Status, content type and body of `GET url`.
fn get(url: &str) -> (u16, String, String) {
    let r = reqwest::blocking::get(url).unwrap();
    let status = r.status().as_u16();
    let kind = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, r.text().unwrap())
}

fn get_json(url: &str) -> (u16, Value) {
    let (status, _, body) = get(url);
    (status, serde_json::from_str(&body).unwrap())
}

#[test]
fn pages_assets_answers_and_search() {
    let dir = tempfile::tempdir().unwrap();
    let mut net = Net::new(2);
    let (tx, _) = net.pay(0, 10);
    let node = start(&net, dir.path(), true);
    let base = node.url();
    let client = Client::new(&base).unwrap();
    let txid = client.submit(&tx.to_bytes()).unwrap().id;
    wait_for("confirmed", 60, || {
        client
            .tx(&txid)
            .unwrap()
            .is_some_and(|t| common::json(t)["status"] == "confirmed")
    });

    // Every page is the shell, with a policy that allows only the node's
    // own scripts (and the wasm verifier).
    for path in ["/", "/block/2", "/tx/x", "/network", "/search?q=2"] {
        let r = reqwest::blocking::get(format!("{base}{path}")).unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let csp = r.headers()["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{csp}"
        );
        assert!(r.text().unwrap().contains("/explorer/app.js"));
    }
    let (status, kind, js) = get(&format!("{base}/explorer/app.js"));
    assert_eq!(
        (status, kind.as_str()),
        (200, "text/javascript; charset=utf-8")
    );
    assert!(js.contains("verify_tx"));
    let (status, kind, _) = get(&format!("{base}/explorer/style.css"));
    assert_eq!((status, kind.as_str()), (200, "text/css; charset=utf-8"));
    let (status, kind, _) = get(&format!("{base}/explorer/verify.wasm"));
    match node::explorer::VERIFY_WASM {
        Some(_) => assert_eq!((status, kind.as_str()), (200, "application/wasm")),
        None => assert_eq!(status, 404),
    }

    // The transaction: its genesis input, two unspent outputs with
    // confidential values, its program as assembly, the block's ID.
    let (status, t) = get_json(&format!("{base}/explorer/api/tx/{txid}"));
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["id"], txid.as_str());
    assert_eq!(t["inputs"].as_array().unwrap().len(), 1);
    assert_eq!(t["inputs"][0]["known"], true);
    assert_eq!(t["inputs"][0]["created_txid"], Value::Null);
    assert_eq!(t["outputs"].as_array().unwrap().len(), 2);
    for out in t["outputs"].as_array().unwrap() {
        assert_eq!(out["spent_txid"], Value::Null);
        assert_eq!(out["payload"][0]["type"], "value");
    }
    assert!(t["program_asm"].as_str().unwrap().contains("input"));
    let height = t["height"].as_u64().unwrap();
    let (status, b) = get_json(&format!("{base}/explorer/api/block/{height}"));
    assert_eq!(status, 200);
    assert_eq!(t["block_id"], b["header"]["id"]);
    assert_eq!(b["txs"][0]["id"], txid.as_str());
    assert_eq!(b["signature"].as_str().unwrap().len(), 128);
    assert_eq!(
        b["signers"].as_str().unwrap(),
        hex::encode(net.genesis.signers.to_bytes())
    );
    let block_id = b["header"]["id"].as_str().unwrap().to_owned();
    let (_, by_id) = get_json(&format!("{base}/explorer/api/block/{block_id}"));
    assert_eq!(by_id["header"], b["header"]);

    // The genesis output it spent now names it as its spender.
    let spent = t["inputs"][0]["contract_id"].as_str().unwrap().to_owned();
    let (_, c) = get_json(&format!("{base}/v1/contracts/{spent}"));
    assert_eq!(c["spent"]["txid"], txid.as_str());

    // Search: each kind of name, and its page.
    let output = t["outputs"][0]["contract_id"].as_str().unwrap().to_owned();
    for (q, kind, path) in [
        (height.to_string(), "block", format!("/block/{height}")),
        (block_id.clone(), "block", format!("/block/{block_id}")),
        (txid.clone(), "tx", format!("/tx/{txid}")),
        (output.clone(), "contract", format!("/contract/{output}")),
        (
            output.to_uppercase(),
            "contract",
            format!("/contract/{output}"),
        ),
        ("native".into(), "asset", "/asset/native".into()),
    ] {
        let (status, found) = get_json(&format!("{base}/explorer/api/search?q={q}"));
        assert_eq!(status, 200, "{q}: {found}");
        assert_eq!(
            (
                found["kind"].as_str().unwrap(),
                found["path"].as_str().unwrap()
            ),
            (kind, path.as_str())
        );
    }
    let (status, _) = get_json(&format!("{base}/explorer/api/search?q={}", "ab".repeat(32)));
    assert_eq!(status, 404);
    let (status, _) = get_json(&format!("{base}/explorer/api/search?q=999"));
    assert_eq!(status, 404);

    // The native asset: no issuance after the genesis.
    let (status, a) = get_json(&format!("{base}/explorer/api/asset/native"));
    assert_eq!(status, 200);
    assert_eq!(a["events"].as_array().unwrap().len(), 0);
    assert_eq!(a["scanned_to"], height);

    let (status, n) = get_json(&format!("{base}/explorer/api/network"));
    assert_eq!(status, 200);
    assert_eq!(n["signers"], b["signers"]);
    assert_eq!(n["producer"], true);

    // Hostile or unknown names: typed refusals, and the node stays up.
    for (path, want) in [
        ("/explorer/api/tx/zz", 400),
        (&format!("/explorer/api/tx/{}", "00".repeat(32)), 404),
        ("/explorer/api/block/-1", 400),
        ("/explorer/api/block/99999", 404),
        (&format!("/explorer/api/block/{}", "0g".repeat(32)), 400),
        ("/explorer/api/asset/12", 400),
        (&format!("/explorer/api/asset/{}", "ff".repeat(32)), 400),
        ("/explorer/api/search", 400),
        ("/explorer/api/search?q=%20", 400),
        ("/explorer/nothing", 404),
    ] {
        let (status, body) = get_json(&format!("{base}{path}"));
        assert_eq!(status, want, "{path}: {body}");
        assert!(body["reason"].is_string(), "{path}: {body}");
    }
    assert_eq!(client.status().unwrap().height, height);
}

#[test]
fn explorer_off_leaves_only_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let net = Net::new(1);
    let node = start(&net, dir.path(), false);
    let base = node.url();
    for path in ["/", "/explorer/app.js", "/explorer/api/network", "/tx/00"] {
        let (status, body) = get_json(&format!("{base}{path}"));
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["error"], "not_found");
    }
    let (status, _) = get_json(&format!("{base}/v1/status"));
    assert_eq!(status, 200);
    let parsed: NodeConfig = toml::from_str("explorer = false").unwrap();
    assert!(!parsed.explorer);
    assert!(NodeConfig::default().explorer);
}
