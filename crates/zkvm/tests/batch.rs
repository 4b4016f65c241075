#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Batch verification of many transactions: all valid ones pass together,
//! and a bad one among them is found and named by its position.

use serde_json::Value as Json;
use zkvm::{verify_batch, Tx, VMError, Verifier};

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn load(text: &str, key: &str) -> Vec<(String, Vec<u8>)> {
    let doc: Json = serde_json::from_str(text).unwrap();
    doc[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let bytes = unhex(c["tx_hex"].as_str().unwrap());
            (c["name"].as_str().unwrap().to_string(), bytes)
        })
        .collect()
}

fn valid_txs() -> Vec<Tx> {
    let reference = include_str!("../../../tests/vectors/zkvm-reference-txs.json");
    let generated = include_str!("../../../tests/vectors/zkvm-generated-txs.json");
    load(reference, "valid")
        .into_iter()
        .chain(load(generated, "valid"))
        .map(|(_, bytes)| Tx::from_bytes(&bytes).unwrap())
        .collect()
}

#[test]
fn valid_transactions_verify_together_with_the_same_results() {
    let txs = valid_txs();
    assert!(txs.len() >= 14);
    let batch = verify_batch(&txs).unwrap();
    for (tx, verified) in txs.iter().zip(&batch) {
        let alone = Verifier::precompute(tx).unwrap().verify().unwrap();
        assert_eq!(&alone, verified);
    }
    assert!(verify_batch(&[]).unwrap().is_empty());
}

#[test]
fn a_bad_signature_among_valid_transactions_is_named() {
    let reference = include_str!("../../../tests/vectors/zkvm-reference-txs.json");
    let bad = load(reference, "invalid")
        .into_iter()
        .find(|(name, _)| name == "wrong_signature_s")
        .unwrap()
        .1;
    let bad = Tx::from_bytes(&bad).unwrap();
    let mut txs = valid_txs();
    txs.insert(5, bad.clone());
    txs.push(bad);
    let err = verify_batch(&txs).unwrap_err();
    assert_eq!(err.index, 5);
    assert_eq!(err.error, VMError::PointChecksFailed);
}

#[test]
fn a_transaction_whose_program_fails_is_named_before_any_proof_work() {
    let reference = include_str!("../../../tests/vectors/zkvm-reference-txs.json");
    let bad = load(reference, "invalid")
        .into_iter()
        .find(|(name, _)| name == "ext_opcode_with_version1")
        .unwrap()
        .1;
    let bad = Tx::from_bytes(&bad).unwrap();
    let mut txs = valid_txs();
    txs.insert(3, bad);
    let err = verify_batch(&txs).unwrap_err();
    assert_eq!(err.index, 3);
    assert!(matches!(
        err.error,
        VMError::Instruction {
            instruction: "ext",
            ..
        }
    ));
}
