//! docs/openapi.json describes exactly the routes the API serves: every
//! `.route(path, method(handler))` of the router (read from its source,
//! crates/node/src/api.rs) is a path and operation of the description,
//! and the description has no other; the node serves the file itself at
//! `GET /v1/openapi.json`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use common::{node_config, Net};
use node::{Chain, Limits, RunningNode};
use serde_json::Value;

/// `(method, path)` of every route in the router's source: each
/// `.route("PATH", get(…))`, with `axum::routing::post(…)` and chained
/// methods (`get(a).post(b)`) too.
fn served_routes() -> BTreeSet<(String, String)> {
    let source = include_str!("../src/api.rs");
    let mut routes = BTreeSet::new();
    for (i, _) in source.match_indices(".route(\"") {
        let rest = &source[i + ".route(\"".len()..];
        let end = rest.find('"').unwrap();
        let path = rest[..end].to_owned();
        // The method router: up to the call's closing parenthesis.
        let mut depth = 1;
        let mut close = 0;
        for (j, c) in rest[end..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        close = end + j;
                        break;
                    }
                }
                _ => {}
            }
        }
        let methods = &rest[end..close];
        for method in ["get", "post", "put", "delete", "patch"] {
            let called = methods.match_indices(&format!("{method}(")).any(|(k, _)| {
                k == 0 || !methods[..k].ends_with(|c: char| c.is_alphanumeric() || c == '_')
            });
            if called {
                routes.insert((method.to_owned(), path.clone()));
            }
        }
    }
    routes
}

fn described_routes(doc: &Value) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            routes.insert((method.clone(), path.clone()));
        }
    }
    routes
}

#[test]
fn the_openapi_description_lists_every_route_and_only_those() {
    let served = served_routes();
    assert!(
        served.len() >= 15,
        "the router's source was not read: {served:?}"
    );
    assert!(served.contains(&("post".into(), "/v1/txs".into())));
    let doc: Value = serde_json::from_str(node::api::OPENAPI).unwrap();
    let described = described_routes(&doc);
    let missing: Vec<_> = served.difference(&described).collect();
    let extra: Vec<_> = described.difference(&served).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "docs/openapi.json lacks {missing:?} and describes routes not served: {extra:?}"
    );
    // Every schema referred to is defined.
    let text = node::api::OPENAPI;
    for (i, _) in text.match_indices("#/components/schemas/") {
        let name: String = text[i + 21..]
            .chars()
            .take_while(|c| c.is_alphanumeric())
            .collect();
        assert!(
            doc["components"]["schemas"].get(&name).is_some(),
            "no schema {name}"
        );
    }
}

#[test]
fn the_node_serves_its_openapi_description() {
    let dir = tempfile::tempdir().unwrap();
    let net = Net::new(1);
    drop(net.init(dir.path()));
    let path = dir.path().join("chain.redb");
    let node = RunningNode::start(node_config(dir.path(), vec![], 60_000), move || {
        Chain::open(&path, Limits::default())
    })
    .unwrap();
    let served: Value = reqwest::blocking::get(format!("{}/v1/openapi.json", node.url()))
        .unwrap()
        .json()
        .unwrap();
    let file: Value = serde_json::from_str(include_str!("../../../docs/openapi.json")).unwrap();
    assert_eq!(served, file);
    assert_eq!(served["openapi"], "3.1.0");
    // Not a validator: no consensus progress; the set is the genesis's
    // (its signers key, power 1), and the tip has no certificate.
    let status: Value = reqwest::blocking::get(format!("{}/v1/status", node.url()))
        .unwrap()
        .json()
        .unwrap();
    assert!(status["consensus"].is_null(), "{status}");
    let validators: Value = reqwest::blocking::get(format!("{}/v1/validators", node.url()))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(validators["validators"].as_array().unwrap().len(), 1);
    assert_eq!(validators["validators"][0]["power"], 1);
    assert_eq!(validators["validators"][0]["signed_tip"], false);
    assert_eq!(validators["total_power"], 1);
    assert!(validators["tip_certificate"].is_null(), "{validators}");
}
