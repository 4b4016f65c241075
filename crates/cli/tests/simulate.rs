#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `zkvm tx simulate` run as the built binary on witness files
//! (docs/spec/simulate.md): a payment that would prove, one that would
//! not, `--trace`, `--json`, `--fee-rate` and malformed witness files.

use std::path::Path;
use std::process::{Command, Output};

use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use serde_json::{json, Value as Json};
use zkvm::{Anchor, Commitment, Contract, Data, Encodable, PortableItem, Predicate, Value};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn s(x: u64) -> String {
    hex(Scalar::from(x).as_bytes())
}

const PAYMENT: &str = "
push $utxo; input; signtx        # spend Alice's output
push $q; push $f                 # the new value's commitments
cloak:1:1
push $bob; output:1
";

/// A 1-in 1-out payment of 10 units of flavor 0 from Alice to Bob, paying
/// `out` units out: balanced only if `out` is 10.
fn payment_witness(out: u64) -> Json {
    let alice = SecretKey::from_scalar(Scalar::from(7u64));
    let bob = SecretKey::from_scalar(Scalar::from(8u64)).verification_key();
    let utxo = Contract {
        anchor: Anchor::from_bytes([3; 32]),
        predicate: Predicate::opaque(*alice.verification_key().as_compressed()),
        payload: vec![PortableItem::Value(Value {
            qty: Commitment::blinded_with_factor(10u64, Scalar::from(11u64)),
            flv: Commitment::blinded_with_factor(Scalar::ZERO, Scalar::from(12u64)),
        })],
    };
    json!({
        "header": {"version": 1, "mintime_ms": 0, "maxtime_ms": 1_000_000},
        "program": PAYMENT,
        "params": {
            "utxo": format!("0x{}", hex(&Data::Output(Box::new(utxo)).encode_to_vec())),
            "bob": format!("point:0x{}", hex(bob.as_compressed().as_bytes())),
        },
        "commitments": {
            "in_q": {"quantity": 10, "blinding": s(11)},
            "in_f": {"flavor": s(0), "blinding": s(12)},
            "q": {"quantity": out, "blinding": s(13)},
            "f": {"flavor": s(0), "blinding": s(14)},
        },
        "keys": {"alice": s(7)},
    })
}

fn simulate(witness: &str, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("witness.json");
    std::fs::write(&path, witness).unwrap();
    run(&path, args)
}

fn run(path: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkvm"))
        .args(["tx", "simulate"])
        .arg(path)
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

fn one_line_error(out: &Output) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.ends_with('\n'),
        "{stderr:?}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    stderr.trim_end().to_string()
}

#[test]
fn a_balanced_payment_simulates() {
    let out = simulate(&payment_witness(10).to_string(), &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty());
    for expected in [
        "result: ok\n",
        "txid: ",
        "size: ",
        "fee: 0 (0.000000 per byte)",
        "constraints: ",
        "multipliers: ",
        "budget: ",
        "signers: 1 (keys known: 1)",
        "log:\n    header version=1 mintime_ms=0 maxtime_ms=1000000\n    input contract_id=",
        "    output contract_id=",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in\n{stdout}");
    }
    assert!(!stdout.contains("trace:"));
}

#[test]
fn json_output_and_fee_rate() {
    let out = simulate(
        &payment_witness(10).to_string(),
        &["--json", "--fee-rate", "1/1"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["ok"], true);
    assert_eq!(json["txid"].as_str().unwrap().len(), 64);
    let size = json["size"]["total"].as_u64().unwrap();
    assert_eq!(json["fee_rate"]["required_fee"], size);
    assert_eq!(json["fee_rate"]["meets_required"], false);
    assert_eq!(json["log"][1]["kind"], "input");
    assert!(json["multipliers"].as_u64().unwrap() > 0);
    assert!(json["failure"].is_null() && json["trace"].is_null());

    let out = simulate(&payment_witness(10).to_string(), &["--fee-rate", "1"]);
    assert!(one_line_error(&out).contains("--fee-rate"));
}

#[test]
fn an_unbalanced_payment_names_the_failing_instruction() {
    let out = simulate(&payment_witness(11).to_string(), &[]);
    let line = one_line_error(&out);
    assert!(
        line.starts_with("error: simulation failed: `cloak` at offset "),
        "{line}"
    );
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("result: failed\n"), "{stdout}");
    assert!(
        stdout.contains("failing instruction: cloak:1:1 (offset "),
        "{stdout}"
    );
    // Before `cloak`: the input's value and the two commitments.
    assert!(
        stdout.contains("stack (bottom to top): 3 items: value string(32) string(32)"),
        "{stdout}"
    );

    let out = simulate(&payment_witness(11).to_string(), &["--json"]);
    one_line_error(&out);
    let json: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["ok"], false);
    assert_eq!(json["failure"]["instruction"], "cloak");
    assert_eq!(json["failure"]["depth"], 0);
    assert_eq!(json["failure"]["stack"]["depth"], 3);
    assert_eq!(json["failure"]["stack"]["items"][0]["type"], "value");
}

#[test]
fn trace_lists_every_instruction() {
    let out = simulate(&payment_witness(10).to_string(), &["--trace"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("trace: "))
        .collect();
    assert_eq!(lines[0], "trace: 8 instructions", "{stdout}");
    let mnemonics: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().nth(2).unwrap())
        .map(|i| i.split(':').next().unwrap())
        .collect();
    assert_eq!(
        mnemonics,
        ["push", "input", "signtx", "push", "push", "cloak", "push", "output"]
    );
    assert!(
        lines[1].starts_with("     0      0  push:0x"),
        "{}",
        lines[1]
    );
    assert!(lines[8].ends_with("-> 0 items"), "{}", lines[8]);

    let out = simulate(&payment_witness(10).to_string(), &["--trace", "--json"]);
    let json: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["trace"]["total"], 8);
    assert_eq!(json["trace"]["steps"][2]["instruction"], "signtx");
    assert_eq!(
        json["trace"]["steps"][1]["stack"]["items"][0]["type"],
        "contract"
    );
    assert_eq!(
        json["trace"]["steps"][2]["stack"]["items"][0]["type"],
        "value"
    );
}

#[test]
fn malformed_witness_files_fail_with_one_line_naming_the_field() {
    for (witness, expected) in [
        ("{", "witness file: "),
        (r#"{"program": "drop", "typo": 1}"#, "unknown field `typo`"),
        (r#"{"program": "push $nope"}"#, "program: "),
        (r#"{"program": "drop", "keys": {"k": "zz"}}"#, "keys.k: "),
    ] {
        let out = simulate(witness, &[]);
        let line = one_line_error(&out);
        assert!(line.contains(expected), "{witness}: {line}");
        assert!(out.stdout.is_empty());
    }
    let out = run(Path::new("/nonexistent/witness.json"), &[]);
    assert!(one_line_error(&out).contains("/nonexistent/witness.json"));
}
