//! The `signtx` signatures of the reference transactions
//! (tests/vectors/zkvm-reference-txs.json, made by the Slingshot reference
//! implementation at commit 4a9ec80a) verify under our multi-message
//! verifier: transcript "ZkVM.signtx" with the txid under "txid", then the
//! (predicate key, contract ID) pair of each signed input in order.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use merlin::Transcript;
use musig::{MusigError, Signature, VerificationKey};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/vectors/zkvm-reference-txs.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn bytes32(hex_str: &str) -> [u8; 32] {
    hex::decode(hex_str).unwrap().try_into().unwrap()
}

/// The signed pairs: each input's predicate (bytes 32..64 of its previous
/// output) and its contract ID.
fn pairs(v: &Value) -> Vec<(VerificationKey, [u8; 32])> {
    v["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|input| {
            let prev = hex::decode(input["prev_output_hex"].as_str().unwrap()).unwrap();
            let key = VerificationKey::from_bytes(&prev[32..64].try_into().unwrap()).unwrap();
            (key, bytes32(input["contract_id"].as_str().unwrap()))
        })
        .collect()
}

fn signtx_transcript(v: &Value) -> Transcript {
    let mut t = Transcript::new(b"ZkVM.signtx");
    t.append_message(b"txid", &bytes32(v["txid_hex"].as_str().unwrap()));
    t
}

/// Vectors whose program signs exactly its inputs with `signtx`.
const SIGNED_INPUTS: &[&str] = &[
    "payment_1x2",
    "multiasset_2x3",
    "fee_1x2",
    "retire_60_of_100",
];

#[test]
fn reference_signtx_signatures_verify() {
    let all = vectors();
    let mut checked = 0;
    for v in all["valid"].as_array().unwrap() {
        let name = v["name"].as_str().unwrap();
        if !SIGNED_INPUTS.contains(&name) {
            continue;
        }
        let sig =
            Signature::from_bytes(&hex::decode(v["signature_hex"].as_str().unwrap()).unwrap())
                .unwrap();
        let pairs = pairs(v);
        assert_eq!(
            sig.verify_multimessage(&mut signtx_transcript(v), &pairs),
            Ok(()),
            "{name}"
        );
        // The signature is bound to the txid and to every message.
        let mut other = Transcript::new(b"ZkVM.signtx");
        other.append_message(b"txid", &[0u8; 32]);
        assert_eq!(
            sig.verify_multimessage(&mut other, &pairs),
            Err(MusigError::VerificationFailed)
        );
        let mut wrong = pairs.clone();
        wrong[0].1[0] ^= 1;
        assert_eq!(
            sig.verify_multimessage(&mut signtx_transcript(v), &wrong),
            Err(MusigError::VerificationFailed)
        );
        checked += 1;
    }
    assert_eq!(checked, SIGNED_INPUTS.len());
}
