#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Our own transaction vectors (tests/vectors/zkvm-generated-txs.json),
//! made by our prover beside the reference's: each must keep verifying with
//! the txid and fee it was generated with, so a change to encodings, IDs or
//! the constraint system shows up here. Regenerate (only on purpose) with
//! `cargo test -p zkvm --test generated_vectors -- --ignored`.

mod common;

use common::*;
use musig::SecretKey;
use serde_json::{json, Value as Json};
use zkvm::{Data, PredicateTree, Program, ProgramItem, Verifier};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/vectors/zkvm-generated-txs.json"
);

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// (name, description, transaction bytes) of each generated case.
fn generate() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let mut rng = rng(2026);
    let mut cases = Vec::new();
    let alice = SecretKey::random(&mut rng);
    let bob = SecretKey::random(&mut rng);

    for (m, n) in [(1usize, 1usize), (1, 2), (2, 2), (4, 4)] {
        let inputs: Vec<_> = (0..m)
            .map(|_| key_utxo(&alice, 1000, usd(), &mut rng))
            .collect();
        let total = 1000 * m as u64;
        let outputs: Vec<_> = (0..n as u64)
            .map(|j| {
                let q = if j + 1 == n as u64 {
                    total - (n as u64 - 1) * (total / n as u64)
                } else {
                    total / n as u64
                };
                (open_value(q, usd(), &mut rng), address(&bob))
            })
            .collect();
        let name = match (m, n) {
            (1, 1) => "payment_1x1",
            (1, 2) => "payment_1x2",
            (2, 2) => "payment_2x2",
            _ => "payment_4x4",
        };
        let proven = prove(header(), payment(&inputs, &outputs));
        cases.push((
            name,
            "key-locked inputs, signtx, cloak, outputs to a key",
            proven.bytes,
        ));
    }

    // Two flavors in, and a fee paid from a value of the fee flavor (zero).
    let inputs = vec![
        key_utxo(&alice, 500, usd(), &mut rng),
        key_utxo(&alice, 70, eur(), &mut rng),
        key_utxo(&alice, 30, fee_flavor(), &mut rng),
    ];
    let mut p = Program::new();
    for c in &inputs {
        p.push(c.clone()).input().signtx();
    }
    p.push(Data::U32(20)).fee();
    let outputs = vec![
        (open_value(500, usd(), &mut rng), address(&bob)),
        (open_value(70, eur(), &mut rng), address(&bob)),
        (open_value(10, fee_flavor(), &mut rng), address(&alice)),
    ];
    push_cloak(&mut p, 4, &outputs);
    let proven = prove(header(), p);
    cases.push((
        "multiasset_fee_4x3",
        "three flavors in, a fee of 20, three outputs",
        proven.bytes,
    ));

    // A taproot branch opened with `call`.
    let mut branch = Program::new();
    branch.push(address(&bob)).output(1);
    let tree = PredicateTree::new(
        None,
        vec![
            ProgramItem::Program(branch.clone()),
            ProgramItem::Bytecode(vec![]),
        ],
        [7u8; 32],
    )
    .unwrap();
    let (call_proof, program) = tree.call_proof(0).unwrap();
    let locked = utxo(
        zkvm::Predicate::tree(tree),
        vec![zkvm::PortableItem::Value(open_value(5, usd(), &mut rng))],
        &mut rng,
    );
    let mut p = Program::new();
    p.push(locked)
        .input()
        .push(zkvm::Encodable::encode_to_vec(&call_proof))
        .program(program)
        .call();
    let proven = prove(header(), p);
    cases.push((
        "taproot_call",
        "a value locked by a taproot tree, released by calling a branch",
        proven.bytes,
    ));
    cases
}

#[test]
#[ignore = "rewrites tests/vectors/zkvm-generated-txs.json"]
fn regenerate() {
    let cases: Vec<Json> = generate()
        .into_iter()
        .map(|(name, description, bytes)| {
            let v = Verifier::verify_bytes(&bytes).unwrap();
            json!({
                "name": name,
                "description": description,
                "tx_hex": hex(&bytes),
                "txid_hex": v.id.to_string(),
                "fee": v.log.fee(),
                "log_entries": v.log.0.len(),
            })
        })
        .collect();
    let doc = json!({
        "about": "Transactions made by this project's prover (crates/zkvm/tests/generated_vectors.rs). Each must verify with its txid and fee.",
        "valid": cases,
    });
    std::fs::write(PATH, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
}

#[test]
fn generated_transactions_keep_verifying_with_their_ids() {
    let text = std::fs::read_to_string(PATH).unwrap();
    let doc: Json = serde_json::from_str(&text).unwrap();
    let cases = doc["valid"].as_array().unwrap();
    assert!(cases.len() >= 6);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let bytes = unhex(case["tx_hex"].as_str().unwrap());
        let v = Verifier::verify_bytes(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            v.id.to_string(),
            case["txid_hex"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(v.log.fee(), case["fee"].as_u64().unwrap(), "{name}");
        assert_eq!(
            v.log.0.len() as u64,
            case["log_entries"].as_u64().unwrap(),
            "{name}"
        );
    }
}
