//! The minimum relay fee rate end to end (docs/spec/blockchain.md §Mempool,
//! Relay fees; docs/spec/wallet.md §Fees): a devnet with the default
//! minimum reports it in `GET /v1/status`, `zkvm wallet` pays it when not
//! given `--fee`, and a submission below it is refused with a 4xx JSON
//! error naming the minimum.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Devnet, FAST};
use curve25519_dalek::scalar::Scalar;
use serde_json::Value;

/// The node's API as a wallet's block source.
struct NodeSource(node::Client);

impl wallet::BlockSource for NodeSource {
    type Error = node::NodeError;

    fn genesis(&self) -> Result<blockchain::Genesis, node::NodeError> {
        self.0.genesis()
    }

    fn block(&self, height: u64) -> Result<Option<blockchain::Block>, node::NodeError> {
        self.0.block(height)
    }
}

/// The confirmed transaction `txid` pays exactly the least fee that meets 1
/// unit per 2,000 bytes.
fn assert_pays_the_default_minimum(net: &Devnet, txid: &str) -> u64 {
    let tx = net.ok(&["chain", "tx", txid]);
    assert_eq!(tx["status"], "confirmed", "{tx}");
    let (fee, size) = (tx["fee"].as_u64().unwrap(), tx["size"].as_u64().unwrap());
    assert_eq!(fee, size.div_ceil(2000), "fee {fee} for {size} bytes");
    fee
}

#[test]
fn wallets_pay_the_default_minimum_and_the_node_refuses_less() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), FAST);
    let bob_file = dir.path().join("bob.redb");
    let bob = bob_file.to_str().unwrap();

    // The node says what it asks.
    let status = net.ok(&["chain", "status"]);
    assert_eq!(
        status["min_relay_fee_rate"],
        serde_json::json!({"fee": 1, "bytes": 2000})
    );

    net.ok(&["wallet", "--wallet", bob, "new"]);
    let bob_addr = net.ok(&["wallet", "--wallet", bob, "address"])["address"]
        .as_str()
        .unwrap()
        .to_string();
    let dev_addr = net.ok(&["wallet", "address"])["address"]
        .as_str()
        .unwrap()
        .to_string();

    // No --fee: a payment with change (about 1.99 KB) pays 1; one with
    // two inputs, the asset and the fee's, is larger and pays 2 (the
    // wallet's first estimate falls short and it builds again).
    let paid = net.ok(&[
        "wallet", "send", "--to", &bob_addr, "--qty", "1000", "--wait",
    ]);
    assert_eq!(paid["status"], "confirmed", "{paid}");
    let fee = assert_pays_the_default_minimum(&net, paid["txid"].as_str().unwrap());
    assert_eq!(paid["fee"], fee);
    assert_eq!(fee, 1);
    let paid = net.ok(&[
        "wallet", "send", "--to", &bob_addr, "--qty", "10", "--asset", "DEV", "--wait",
    ]);
    let fee = assert_pays_the_default_minimum(&net, paid["txid"].as_str().unwrap());
    assert_eq!(fee, 2);

    // Below the minimum over HTTP: a clear 400 with a JSON error.
    let mut w = wallet::Wallet::open(&bob_file).unwrap();
    w.sync(&NodeSource(node::Client::new(&net.addr).unwrap()))
        .unwrap();
    let dev: wallet::Address = dev_addr.parse().unwrap();
    let free = w
        .send(&dev, 10, Scalar::ZERO, 0, &mut rand::thread_rng())
        .unwrap();
    drop(w);
    let response = reqwest::blocking::Client::new()
        .post(format!("http://{}/v1/txs", net.addr))
        .json(&serde_json::json!({"hex": hex::encode(free.tx.to_bytes())}))
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().unwrap();
    assert_eq!(body["error"], "rejected", "{body}");
    let reason = body["reason"].as_str().unwrap();
    assert!(
        reason.contains("below the minimum relay fee rate of 1 per 2000 bytes")
            && reason.contains("a fee of at least 1"),
        "{reason}"
    );
    assert!(net.ok(&["chain", "mempool"])["txs"]
        .as_array()
        .unwrap()
        .is_empty());

    // An explicit fee below the minimum is sent as given, and the node's
    // refusal is the command's one error line.
    let e = net
        .zkvm(&[
            "wallet", "send", "--to", &bob_addr, "--qty", "5", "--asset", "DEV", "--fee", "1",
        ])
        .unwrap_err();
    assert!(
        e.contains("400") && e.contains("minimum relay fee rate"),
        "{e}"
    );
}
