#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `zkvm tx verify` and `zkvm tx decode`, run as the built binary on the
//! reference transactions (tests/vectors/zkvm-reference-txs.json, origin in
//! tests/vectors/README.md) and on malformed input.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::binary::{case, one_line_error, run, vectors, TempFile};
use serde_json::Value as Json;

/// Runs `zkvm tx <command> <file>`.
fn zkvm_tx(command: &str, file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkvm"))
        .env("ZKVM_JSON", "1")
        .args(["tx", command])
        .arg(file)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The verify JSON of a valid reference transaction.
fn verify_ok(out: &Output, name: &str) -> Json {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "{name}");
    serde_json::from_str(&stdout(out)).unwrap()
}

fn is_hex(s: &Json, len: usize) -> bool {
    s.as_str()
        .is_some_and(|s| s.len() == 2 * len && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[test]
fn valid_reference_transactions_verify_with_their_txid_and_log() {
    let v = vectors();
    let valid = v["valid"].as_array().unwrap();
    assert!(!valid.is_empty());
    for case in valid {
        let name = case["name"].as_str().unwrap();
        let tx_hex = case["tx_hex"].as_str().unwrap();
        let file = TempFile::new("", tx_hex.as_bytes());
        let json = verify_ok(&zkvm_tx("verify", file.path()), name);

        assert_eq!(json["txid"], case["txid_hex"], "{name}");
        assert_eq!(json["fee"], case["fee"], "{name}");
        assert_eq!(json["size"], tx_hex.len() / 2, "{name}");
        let fee_rate = json["fee_rate"].as_f64().unwrap();
        let expected = case["fee"].as_f64().unwrap() / (tx_hex.len() / 2) as f64;
        assert!((fee_rate - expected).abs() < 1e-12, "{name}");

        // The log: as many entries as the reference's, of the same types,
        // with the header and contract IDs the reference printed.
        let log = json["log"].as_array().unwrap();
        let reference = case["log"].as_array().unwrap();
        assert_eq!(log.len(), reference.len(), "{name}");
        for (entry, line) in log.iter().zip(reference) {
            let line = line.as_str().unwrap();
            let kind = entry["type"].as_str().unwrap();
            assert!(line.starts_with(kind), "{name}: {kind} vs {line}");
            match kind {
                "header" => {
                    let h = &case["header"];
                    assert_eq!(entry["version"], h["version"], "{name}");
                    assert_eq!(entry["mintime_ms"], h["mintime_ms"], "{name}");
                    assert_eq!(entry["maxtime_ms"], h["maxtime_ms"], "{name}");
                }
                "input" | "output" => {
                    let id = entry["contract_id"].as_str().unwrap();
                    assert!(line.contains(&format!("contract_id={id}")), "{name}");
                }
                "issue" | "retire" => {
                    assert!(is_hex(&entry["qty"], 32) && is_hex(&entry["flv"], 32));
                    let qty = entry["qty"].as_str().unwrap();
                    assert!(line.contains(qty), "{name}: {line}");
                }
                "fee" => assert_eq!(line, format!("fee {}", entry["amount"]), "{name}"),
                "data" => assert!(line.contains(entry["hex"].as_str().unwrap()), "{name}"),
                other => panic!("{name}: unknown entry type {other}"),
            }
            if kind == "output" {
                for key in ["predicate", "anchor"] {
                    let value = entry[key].as_str().unwrap();
                    assert!(line.contains(&format!("{key}={value}")), "{name}");
                }
                for item in entry["payload"].as_array().unwrap() {
                    match item["type"].as_str().unwrap() {
                        "value" => assert!(is_hex(&item["qty"], 32) && is_hex(&item["flv"], 32)),
                        "string" | "program" => assert!(item["hex"].is_string()),
                        other => panic!("{name}: unknown payload type {other}"),
                    }
                }
            }
        }
    }
}

#[test]
fn invalid_reference_transactions_fail_with_one_line() {
    let v = vectors();
    let invalid = v["invalid"].as_array().unwrap();
    assert!(!invalid.is_empty());
    for case in invalid {
        let name = case["name"].as_str().unwrap();
        let file = TempFile::new("", case["tx_hex"].as_str().unwrap().as_bytes());
        let line = one_line_error(&zkvm_tx("verify", file.path()), name);
        assert!(
            line.starts_with("error: invalid transaction: "),
            "{name}: {line}"
        );
    }
}

#[test]
fn decode_disassembles_the_program() {
    let v = vectors();
    let file = TempFile::new(
        "",
        case(&v, "payment_1x2")["tx_hex"]
            .as_str()
            .unwrap()
            .as_bytes(),
    );
    let out = zkvm_tx("decode", file.path());
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for expected in [
        "version: 1",
        "mintime_ms: 1600000000000",
        "maxtime_ms: 1600000600000",
        "size: 1502 bytes",
        "signature: ",
        "proof_size: ",
        "proof_rounds: ",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    // The program only as assembly (docs/spec/asm.md §Disassembly): every
    // line after `assembly:` is an instruction indented four spaces, and no
    // listing with offsets follows.
    let instructions: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "assembly:")
        .skip(1)
        .map(|l| {
            assert!(l.starts_with("    "), "{l:?} in\n{text}");
            l.split_whitespace().next().unwrap()
        })
        .collect();
    for expected in ["cloak:1:2", "signtx", "output:1", "input", "push"] {
        assert!(instructions.contains(&expected), "{expected} in\n{text}");
    }
    assert!(!text.contains("\nprogram:"), "{text}");
    assert!(!text.contains("  push:0x"), "{text}");
}

#[test]
fn decode_shows_nested_programs_indented() {
    let v = vectors();
    let file = TempFile::new(
        "",
        case(&v, "eval_nested")["tx_hex"]
            .as_str()
            .unwrap()
            .as_bytes(),
    );
    let out = zkvm_tx("decode", file.path());
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    // A nested program is a `program { … }` block whose lines are indented
    // two more spaces.
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.trim_start() == "program {")
        .unwrap_or_else(|| panic!("no nested program in\n{text}"));
    let indent = |l: &str| l.len() - l.trim_start().len();
    assert_eq!(indent(lines[at + 1]), indent(lines[at]) + 2, "{text}");
    assert!(lines[at..].iter().any(|l| l.trim() == "}"), "{text}");
}

#[test]
fn decode_prints_hex_of_a_nested_program_that_does_not_parse() {
    // Program: `program:` holding a lone `push` opcode (truncated), then
    // `drop`.
    let program = [0x01, 1, 0, 0, 0, 0x00, 0x02];
    let mut tx = vec![1u8];
    tx.extend([0u8; 23]);
    tx.extend((program.len() as u32).to_le_bytes());
    tx.extend(program);
    let v = vectors();
    let reference = hex::decode(case(&v, "payment_1x2")["tx_hex"].as_str().unwrap()).unwrap();
    // Signature and proof of a reference transaction: they decode.
    let program_len = u32::from_le_bytes(reference[24..28].try_into().unwrap()) as usize;
    tx.extend(&reference[28 + program_len..]);
    let file = TempFile::new("", &tx);
    let out = zkvm_tx("decode", file.path());
    assert_eq!(out.status.code(), Some(0), "{:?}", out);
    let text = stdout(&out);
    assert!(text.contains("\n    program 0x00\n    drop\n"), "{text}");
}

#[test]
fn hex_with_trailing_newline_and_raw_bytes_and_stdin_all_work() {
    let v = vectors();
    let case = case(&v, "payment_1x2");
    let tx_hex = case["tx_hex"].as_str().unwrap();
    let bytes = hex::decode(tx_hex).unwrap();

    let with_newline = TempFile::new("", format!("{tx_hex}\n").as_bytes());
    let json = verify_ok(&zkvm_tx("verify", with_newline.path()), "hex + newline");
    assert_eq!(json["txid"], case["txid_hex"]);

    let binary = TempFile::new("", &bytes);
    let json = verify_ok(&zkvm_tx("verify", binary.path()), "binary");
    assert_eq!(json["txid"], case["txid_hex"]);

    let json = verify_ok(&run(&["tx", "verify", "-"], &bytes), "binary stdin");
    assert_eq!(json["txid"], case["txid_hex"]);
    let json = verify_ok(
        &run(&["tx", "verify", "-"], format!("  {tx_hex}\r\n").as_bytes()),
        "hex stdin",
    );
    assert_eq!(json["txid"], case["txid_hex"]);

    let out = run(&["tx", "decode", "-"], &bytes);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("cloak:1:2"));
}

#[test]
fn garbage_and_empty_input_fail_cleanly() {
    let inputs: [(&str, &[u8]); 6] = [
        ("empty file", b""),
        ("only whitespace", b" \n\t\n"),
        ("text", b"this is not a transaction\n"),
        ("odd hex", b"abc\n"),
        ("short binary", &[1, 0, 0, 0xff]),
        ("short hex", b"0100000000000000\n"),
    ];
    for (what, input) in inputs {
        let file = TempFile::new("", input);
        for command in ["verify", "decode"] {
            one_line_error(&zkvm_tx(command, file.path()), what);
            one_line_error(&run(&["tx", command, "-"], input), what);
        }
    }
    let line = one_line_error(
        &zkvm_tx("verify", Path::new("/nonexistent/zkvm-cli-test")),
        "missing file",
    );
    assert!(line.contains("/nonexistent/zkvm-cli-test"), "{line}");
}

#[test]
fn a_reference_transaction_with_a_trailing_byte_does_not_decode() {
    let v = vectors();
    let tx_hex = case(&v, "payment_1x2")["tx_hex"].as_str().unwrap();
    let file = TempFile::new("", format!("{tx_hex}00").as_bytes());
    let line = one_line_error(&zkvm_tx("decode", file.path()), "trailing byte");
    assert!(
        line.starts_with("error: cannot decode transaction: "),
        "{line}"
    );
}
