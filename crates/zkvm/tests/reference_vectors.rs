#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Reference transactions made by the Slingshot implementation
//! (tests/vectors/zkvm-reference-txs.json, origin in tests/vectors/README.md):
//! each valid one verifies with the reference's txid and log, each invalid
//! one is rejected.

use serde_json::Value as Json;
use zkvm::{DecodeError, Encodable, Program, TxEntry, VMError, Verifier};

fn vectors() -> Json {
    let text = include_str!("../../../tests/vectors/zkvm-reference-txs.json");
    serde_json::from_str(text).unwrap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The log in the vectors' text form (outputs without their payload text,
/// which `contract_encoding` covers).
fn render(entry: &TxEntry) -> String {
    match entry {
        TxEntry::Header(h) => format!(
            "header version={} mintime_ms={} maxtime_ms={}",
            h.version, h.mintime_ms, h.maxtime_ms
        ),
        TxEntry::Input(id) => format!("input contract_id={id}"),
        TxEntry::Output(c) => format!(
            "output contract_id={} predicate={} anchor={} contract_encoding={}",
            c.id(),
            hex(c.predicate.to_point().as_bytes()),
            c.anchor,
            hex(&c.encode_to_vec())
        ),
        TxEntry::Issue(q, f) => {
            format!("issue qty={} flv={}", hex(q.as_bytes()), hex(f.as_bytes()))
        }
        TxEntry::Retire(q, f) => {
            format!("retire qty={} flv={}", hex(q.as_bytes()), hex(f.as_bytes()))
        }
        TxEntry::Fee(x) => format!("fee {x}"),
        TxEntry::Data(d) => format!("data {}", hex(d)),
    }
}

/// Drops the `payload=[…]` part of a reference output line.
fn without_payload(line: &str) -> String {
    match (line.find(" payload=["), line.find(" contract_encoding=")) {
        (Some(a), Some(b)) => format!("{}{}", &line[..a], &line[b..]),
        _ => line.to_string(),
    }
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn valid_reference_transactions_verify_with_their_txid_and_log() {
    let v = vectors();
    let valid = v["valid"].as_array().unwrap();
    assert_eq!(valid.len(), 8);
    for case in valid {
        let name = case["name"].as_str().unwrap();
        let bytes = unhex(case["tx_hex"].as_str().unwrap());
        let verified = Verifier::verify_bytes(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            verified.id.to_string(),
            case["txid_hex"].as_str().unwrap(),
            "{name}"
        );
        let expected: Vec<String> = case["log"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| without_payload(l.as_str().unwrap()))
            .collect();
        let got: Vec<String> = verified.log.0.iter().map(render).collect();
        assert_eq!(got, expected, "{name}");
        assert_eq!(verified.log.fee(), case["fee"].as_u64().unwrap(), "{name}");
        assert_eq!(verified.fee_rate.size(), bytes.len() as u64, "{name}");
        // The program decodes and re-encodes to the same bytes.
        let program = unhex(case["program_hex"].as_str().unwrap());
        assert_eq!(
            Program::parse(&program).unwrap().encode_to_vec(),
            program,
            "{name}"
        );
    }
}

#[test]
fn invalid_reference_transactions_are_rejected() {
    let v = vectors();
    for case in v["invalid"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let bytes = unhex(case["tx_hex"].as_str().unwrap());
        let err = Verifier::verify_bytes(&bytes).expect_err(name);
        let reference = case["reference_error"].as_str().unwrap();
        let ok = match reference {
            "verify: InvalidR1CSProof" => matches!(err, VMError::InvalidR1CSProof(_)),
            "verify: BatchSignatureVerificationFailed" => matches!(err, VMError::PointChecksFailed),
            "decode: InvalidFormat" => {
                matches!(err, VMError::Decode(DecodeError::TrailingBytes(_)))
            }
            "verify: ExtensionsNotAllowed" => matches!(
                err,
                VMError::Instruction { ref error, .. } if matches!(**error, VMError::ExtensionsNotAllowed(0xf0))
            ),
            other => panic!("{name}: unknown reference error {other}"),
        };
        assert!(ok, "{name}: reference says {reference}, we say {err:?}");
    }
}
