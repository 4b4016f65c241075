//! Every refusal of the HTTP API is JSON (`{"error", "reason"}`), the
//! answers axum would give by itself included (405, extractor rejections),
//! request bodies are limited in size and in time, a request's headers
//! in time, and a resubmitted confirmed transaction is named as such; the
//! node answers afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::{node_config, Net};
use node::{Chain, Client, Limits, NodeConfig, RunningNode};
use reqwest::blocking::{Body, RequestBuilder};
use serde_json::Value;

/// The request read timeout of the node in these tests, in ms.
const READ_TIMEOUT_MS: u64 = 500;

/// A producing node (a block every 50 ms when there are transactions)
/// with a short request read timeout; `dir` must outlive it.
fn start(net: &Net, dir: &std::path::Path) -> RunningNode {
    drop(net.init(dir));
    let path = dir.join("chain.redb");
    let config = NodeConfig {
        request_read_timeout_ms: READ_TIMEOUT_MS,
        ..node_config(dir, vec![], 50)
    };
    RunningNode::start(config, move || Chain::open(&path, Limits::default())).unwrap()
}

/// A client that opens a connection per request: the node closes idle
/// ones after the (short) read timeout, and a reused one could be closed
/// under the request.
fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Sends `request` and checks that the answer has `status`, a JSON content
/// type and the error `code` with a reason; returns the body.
fn expect_error(request: RequestBuilder, status: u16, code: &str) -> Value {
    let r = request.send().unwrap();
    let got = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = r.text().unwrap();
    assert_eq!(got, status, "{text}");
    assert_eq!(ct, "application/json", "{status}: {text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["error"], code, "{v}");
    assert!(!v["reason"].as_str().unwrap().is_empty(), "{v}");
    v
}

fn assert_alive(url: &str) {
    let status: Value = http()
        .get(format!("{url}/v1/status"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(status["height"].as_u64().unwrap() >= 1, "{status}");
}

/// Writes `request` on a new connection and reads the answer
/// ([`read_answer`]).
fn raw_exchange(addr: SocketAddr, request: &[u8]) -> (String, Duration) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(request).unwrap();
    read_answer(&mut s)
}

/// Reads until the answer is complete (headers and `Content-Length`
/// bytes) or the node closes the connection; returns what was read and
/// how long it took.
fn read_answer(s: &mut TcpStream) -> (String, Duration) {
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if got.len() >= end + 4 + length {
                return (text, start.elapsed());
            }
        }
        match s.read(&mut buf) {
            Ok(0) => return (text, start.elapsed()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => panic!("no answer after {:?}: {e}", start.elapsed()),
        }
    }
}

#[test]
fn every_refusal_is_json() {
    let dir = tempfile::tempdir().unwrap();
    let net = Net::new(1);
    let node = start(&net, dir.path());
    let url = node.url();
    let h = http();
    let txs = format!("{url}/v1/txs");
    let max = NodeConfig::default().max_request_bytes;

    // 413: declared too long, and streamed (chunked, no length) too long.
    expect_error(
        h.post(&txs)
            .header("content-type", "application/octet-stream")
            .body(vec![0; max + 1]),
        413,
        "too_large",
    );
    let endless = std::io::repeat(b'0').take(max as u64 + 10_000);
    expect_error(
        h.post(&txs)
            .header("content-type", "application/json")
            .body(Body::new(endless)),
        413,
        "too_large",
    );

    // A client waiting for `100 Continue` is refused before it sends.
    let head = format!(
        "POST /v1/txs HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        max + 1
    );
    let (answer, _) = raw_exchange(node.addr, head.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains(r#""error":"too_large""#), "{answer}");

    // 405 on existing routes, with the methods they take.
    let v = expect_error(
        h.delete(format!("{url}/v1/status")),
        405,
        "method_not_allowed",
    );
    assert!(v["reason"].as_str().unwrap().contains("GET"), "{v}");
    expect_error(h.get(&txs), 405, "method_not_allowed");
    expect_error(
        h.put(format!("{url}/v1/snapshot")),
        405,
        "method_not_allowed",
    );

    // 404: unknown paths, empty segments, trailing slashes. (`/` is the
    // explorer's page; with `explorer = false` it is a 404 too:
    // tests/explorer.rs.)
    for path in [
        "/v1/nothing",
        "/explorer/nothing",
        "/v1/blocks/",
        "/v1/txs/",
        "/v1/utxos//proof",
        "/v1/status/",
        "/v2/status",
    ] {
        expect_error(h.get(format!("{url}{path}")), 404, "not_found");
    }

    // 400 from axum's path extractor (not UTF-8 once decoded), and from
    // the handlers.
    expect_error(h.get(format!("{url}/v1/txs/%FF")), 400, "bad_request");
    expect_error(h.get(format!("{url}/v1/blocks/%C3")), 400, "bad_request");
    expect_error(h.get(format!("{url}/v1/blocks/abc")), 400, "bad_request");

    // 415: no content type or another one; the reason names the two.
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/jsonp"),
    ] {
        let mut r = h.post(&txs).body(r#"{"hex": "00"}"#);
        if let Some(ct) = ct {
            r = r.header("content-type", ct);
        }
        let v = expect_error(r, 415, "unsupported_media_type");
        let reason = v["reason"].as_str().unwrap();
        assert!(
            reason.contains("application/json") && reason.contains("application/octet-stream"),
            "{reason}"
        );
    }

    // 400: bad JSON, bad hex; parameters of the type are fine.
    for (ct, body) in [
        ("application/json", "{not json"),
        ("application/json", r#"{"hex": "zz"}"#),
        ("Application/JSON; charset=utf-8", r#"{"hex": "0"}"#),
        ("application/json", r#"{"tx": "00"}"#),
    ] {
        expect_error(
            h.post(&txs).header("content-type", ct).body(body),
            400,
            "bad_request",
        );
    }
    expect_error(
        h.post(&txs)
            .header("content-type", "application/octet-stream")
            .body(vec![0xff; 100]),
        400,
        "malformed_tx",
    );

    assert_alive(&url);
    node.stop().unwrap();
}

#[test]
fn slow_requests_are_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let net = Net::new(1);
    let node = start(&net, dir.path());
    let timeout = Duration::from_millis(READ_TIMEOUT_MS);

    // A body that stops arriving: 408 with JSON once the deadline passes.
    let head = "POST /v1/txs HTTP/1.1\r\nHost: node\r\n\
                Content-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n";
    let mut request = head.as_bytes().to_vec();
    request.extend_from_slice(&[0; 10]);
    let (answer, took) = raw_exchange(node.addr, &request);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{answer}"
    );
    assert!(answer.contains(r#""error":"request_timeout""#), "{answer}");
    assert!(took >= timeout / 2 && took < timeout * 10, "{took:?}");

    // A body dribbled a byte at a time, each well within the timeout: the
    // deadline is for the whole body.
    let mut s = TcpStream::connect(node.addr).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    let mut writer = s.try_clone().unwrap();
    let dribble = std::thread::spawn(move || {
        for _ in 0..200 {
            std::thread::sleep(timeout / 10);
            if writer.write_all(b"0").is_err() {
                break;
            }
        }
    });
    let (answer, took) = read_answer(&mut s);
    let _ = s.shutdown(std::net::Shutdown::Both);
    dribble.join().unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""error":"request_timeout""#), "{answer}");
    assert!(took < timeout * 5, "{took:?}");

    // Headers that stop arriving: the connection is closed, no answer.
    let (answer, took) = raw_exchange(node.addr, b"GET /v1/status HTTP/1.1\r\nHost: no");
    assert!(answer.is_empty(), "{answer}");
    assert!(took >= timeout / 2 && took < timeout * 10, "{took:?}");

    assert_alive(&node.url());
    node.stop().unwrap();
}

#[test]
fn resubmitting_a_confirmed_transaction_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut net = Net::new(1);
    let (tx, _) = net.pay(0, 10);
    let node = start(&net, dir.path());
    let url = node.url();
    let client = Client::new(&url).unwrap();

    let id = common::json(client.submit(&tx.to_bytes()).unwrap())["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let start = Instant::now();
    let height = loop {
        let t = common::json(client.tx(&id).unwrap().unwrap());
        if t["status"] == "confirmed" {
            break t["height"].as_u64().unwrap();
        }
        assert!(start.elapsed() < Duration::from_secs(60), "not confirmed");
        std::thread::sleep(Duration::from_millis(20));
    };

    // As JSON and as raw bytes: 409, naming the transaction and its block.
    let body = serde_json::json!({"hex": hex::encode(tx.to_bytes())}).to_string();
    for (ct, body) in [
        ("application/json", body.into_bytes()),
        ("application/octet-stream", tx.to_bytes()),
    ] {
        let v = expect_error(
            http()
                .post(format!("{url}/v1/txs"))
                .header("content-type", ct)
                .body(body),
            409,
            "already_confirmed",
        );
        let reason = v["reason"].as_str().unwrap();
        assert!(reason.contains(&id), "{reason}");
        assert!(reason.contains(&format!("block {height}")), "{reason}");
        assert!(!reason.contains("ContractID("), "{reason}");
    }
    let e = client.submit(&tx.to_bytes()).unwrap_err().to_string();
    assert!(e.contains("409") && e.contains("already confirmed"), "{e}");

    assert_alive(&url);
    node.stop().unwrap();
}
