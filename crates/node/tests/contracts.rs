//! The contract index over HTTP (docs/api.md §`GET /v1/contracts/{id}`,
//! §`GET /v1/contracts`): an output is found by its ID with where it was
//! created and spent and by its transaction's data tag, pages are bounded
//! and chained by cursor, bad input is a 4xx JSON answer, and the index
//! survives a restart.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::peer::wait_for;
use common::{node_config, open_value, Net};
use musig::SecretKey;
use node::{Chain, Client, Limits, RunningNode};
use serde_json::Value;
use zkvm::{
    Contract, Data, Encodable, PortableItem, Predicate, Program, Prover, Tx, TxEntry, TxHeader,
    Verifier,
};

/// The tag the test's contracts are discovered by.
const TAG: &[u8] = b"zkvm-test-orderbook";

/// `GET url`: the status and the JSON body (every answer is JSON).
fn get(url: &str) -> (u16, Value) {
    let r = reqwest::blocking::get(url).unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(ct.as_deref(), Some("application/json"), "{url}");
    (status, r.json().unwrap())
}

/// An output this test can spend again: the contract with its openings and
/// key, as the log holds it.
struct Spendable {
    contract: Contract,
}

/// The program kept in the tagged outputs' payloads.
fn payload_program() -> Program {
    Program::build(|p| p.push(Data::U32(7)).drop())
}

/// A transaction spending `input` (a value of `qty`, alone or with
/// [`payload_program`] on top of it, under a key its predicate holds)
/// into one output holding a value and [`payload_program`], logging `TAG`
/// as data; and that output.
fn tagged(net: &mut Net, input: Contract, qty: u64, fee: u64) -> (Tx, Spendable) {
    let out_key = SecretKey::random(&mut net.rng);
    let value = open_value(qty - fee, &mut net.rng);
    let mut p = Program::new();
    p.push(input.clone()).input().signtx();
    // The program `signtx` leaves on top of the value: droppable.
    if input.payload.len() == 2 {
        p.drop();
    }
    p.push(Data::U32(fee as u32)).fee();
    p.push(value.qty.clone()).push(value.flv.clone());
    p.cloak(2, 1);
    p.program(payload_program());
    p.push(Predicate::key(out_key.clone())).output(2);
    p.push(TAG.to_vec()).log();
    let header = TxHeader {
        version: 1,
        mintime_ms: 0,
        maxtime_ms: u64::MAX,
    };
    let tx = Prover::build_tx(header, p).unwrap().sign().unwrap();
    let log = Verifier::precompute(&tx).unwrap().log;
    let logged = log
        .0
        .iter()
        .find_map(|e| match e {
            TxEntry::Output(c) => Some(c.clone()),
            _ => None,
        })
        .unwrap();
    let contract = Contract {
        anchor: logged.anchor,
        predicate: Predicate::key(out_key),
        payload: vec![
            PortableItem::Value(value),
            PortableItem::Program(payload_program().into()),
        ],
    };
    assert_eq!(contract.id(), logged.id());
    (tx, Spendable { contract })
}

fn txid(tx: &Tx) -> String {
    Verifier::precompute(tx).unwrap().id.to_string()
}

fn start(path: &Path, dir: &Path) -> RunningNode {
    let path = path.to_path_buf();
    RunningNode::start(node_config(dir, vec![], 50), move || {
        Chain::open(&path, Limits::default())
    })
    .unwrap()
}

fn confirmed_height(client: &Client, id: &str) -> u64 {
    wait_for("confirmed", 60, || {
        client
            .tx(id)
            .unwrap()
            .is_some_and(|t| t.status == node::api_types::TxStatus::Confirmed)
    });
    client.tx(id).unwrap().unwrap().height.unwrap()
}

#[test]
fn outputs_by_id_and_tag_spent_paged_and_kept_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let mut net = Net::new(4);
    let (tx1, out1) = {
        let input = net.utxos[0].clone();
        tagged(&mut net, input, 1000, 10)
    };
    let (tx2, out2) = {
        let input = net.utxos[1].clone();
        tagged(&mut net, input, 1000, 10)
    };
    let (tx3, out3) = {
        let input = net.utxos[2].clone();
        tagged(&mut net, input, 1000, 10)
    };
    let path = dir.path().join("chain.redb");
    drop(net.init(dir.path()));
    let node = start(&path, dir.path());
    let client = Client::new(&node.url()).unwrap();
    let url = node.url();

    // tx1 in one block, then tx2 and tx3.
    common::json(client.submit(&tx1.to_bytes()).unwrap());
    let h1 = confirmed_height(&client, &txid(&tx1));
    common::json(client.submit(&tx2.to_bytes()).unwrap());
    common::json(client.submit(&tx3.to_bytes()).unwrap());
    let h2 = confirmed_height(&client, &txid(&tx2));
    let h3 = confirmed_height(&client, &txid(&tx3));
    assert!(h1 < h2 && h1 < h3);

    // By ID: the contract, its creator and a proof that it is unspent.
    let id1 = out1.contract.id().to_string();
    let (status, c1) = get(&format!("{url}/v1/contracts/{id1}"));
    assert_eq!(status, 200, "{c1}");
    assert_eq!(c1["contract_id"], id1);
    assert_eq!(c1["created"]["txid"], txid(&tx1));
    assert_eq!(c1["created"]["height"], h1);
    assert_eq!(c1["created"]["index"], 0);
    assert_eq!(c1["anchor"], out1.contract.anchor.to_string(), "{c1}");
    let payload = c1["payload"].as_array().unwrap();
    assert_eq!(payload.len(), 2);
    assert_eq!(payload[0]["type"], "value");
    assert_eq!(payload[0]["qty"].as_str().unwrap().len(), 64);
    assert_eq!(payload[1]["type"], "program");
    let prog = payload_program().encode_to_vec();
    assert_eq!(payload[1]["hex"], hex::encode(&prog));
    assert_eq!(
        payload[1]["asm"],
        zkvm::asm::disassemble(&prog).unwrap(),
        "{c1}"
    );
    assert_eq!(c1["unspent"], true);
    assert!(c1["spent"].is_null());
    assert!(!c1["proof"]["hex"].as_str().unwrap().is_empty());
    assert_eq!(c1["proof"]["url"], format!("/v1/utxos/{id1}/proof"));

    // A genesis UTXO: no creating transaction.
    let g = net.utxos[3].id().to_string();
    let (status, genesis) = get(&format!("{url}/v1/contracts/{g}"));
    assert_eq!(status, 200, "{genesis}");
    assert!(genesis["created"]["txid"].is_null());
    assert_eq!(genesis["created"]["height"], 1);
    assert_eq!(genesis["created"]["index"], 3);
    // A spent genesis UTXO shows its spender.
    let g0 = net.utxos[0].id().to_string();
    let (_, spent_genesis) = get(&format!("{url}/v1/contracts/{g0}"));
    assert_eq!(spent_genesis["spent"]["txid"], txid(&tx1));
    assert_eq!(spent_genesis["unspent"], false);

    // By tag, newest first, two to a page.
    let tag = hex::encode(TAG);
    let (status, page) = get(&format!("{url}/v1/contracts?tag={tag}&limit=2"));
    assert_eq!(status, 200, "{page}");
    let ids = |page: &Value| -> Vec<String> {
        page["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["contract_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let newest: Vec<String> = {
        // tx2 and tx3 may share a block: the later position comes first.
        let mut later = [
            (h2, out2.contract.id(), txid(&tx2)),
            (h3, out3.contract.id(), txid(&tx3)),
        ];
        let index = |t: &str| u64::from(client.tx(t).unwrap().unwrap().index.unwrap());
        later.sort_by_key(|(h, _, t)| (*h, index(t)));
        later
            .iter()
            .rev()
            .map(|(_, id, _)| id.to_string())
            .collect()
    };
    assert_eq!(ids(&page), newest);
    let next = page["next"].as_str().unwrap().to_owned();
    let (status, page2) = get(&format!(
        "{url}/v1/contracts?tag={tag}&limit=2&after={next}"
    ));
    assert_eq!(status, 200, "{page2}");
    assert_eq!(ids(&page2), vec![id1.clone()]);
    assert!(page2["next"].is_null());
    let (_, all) = get(&format!("{url}/v1/contracts?tag={tag}"));
    assert_eq!(ids(&all).len(), 3);
    let (_, none) = get(&format!("{url}/v1/contracts?tag=00ff"));
    assert_eq!(ids(&none).len(), 0);
    assert!(none["next"].is_null());

    // Spent: the spender, and no proof.
    let (spend, _) = tagged(&mut net, out1.contract.clone(), 990, 10);
    common::json(client.submit(&spend.to_bytes()).unwrap());
    let hs = confirmed_height(&client, &txid(&spend));
    let (_, c1) = get(&format!("{url}/v1/contracts/{id1}"));
    assert_eq!(c1["unspent"], false, "{c1}");
    assert_eq!(c1["spent"]["txid"], txid(&spend));
    assert_eq!(c1["spent"]["height"], hs);
    assert!(c1["proof"].is_null());
    assert_eq!(c1["created"]["txid"], txid(&tx1));
    // The spender's output is tagged too: four under the tag now.
    let (_, all) = get(&format!("{url}/v1/contracts?tag={tag}&limit=100"));
    assert_eq!(ids(&all).len(), 4);

    // Refusals, each JSON.
    let unknown = "ab".repeat(32);
    let (status, e) = get(&format!("{url}/v1/contracts/{unknown}"));
    assert_eq!(status, 404, "{e}");
    assert_eq!(e["error"], "not_found");
    for bad in [
        "/v1/contracts/xyz".to_owned(),
        format!("/v1/contracts/{}", "g".repeat(64)),
        "/v1/contracts".to_owned(),
        "/v1/contracts?tag=".to_owned(),
        "/v1/contracts?tag=zz".to_owned(),
        format!("/v1/contracts?tag={tag}&limit=0"),
        format!("/v1/contracts?tag={tag}&limit=101"),
        format!("/v1/contracts?tag={tag}&limit=x"),
        format!("/v1/contracts?tag={tag}&after=00"),
    ] {
        let (status, e) = get(&format!("{url}{bad}"));
        assert_eq!(status, 400, "{bad}: {e}");
        assert_eq!(e["error"], "bad_request", "{bad}: {e}");
        assert!(e["reason"].is_string());
    }

    // A restart reopens the store with the index in it.
    let before_id = get(&format!("{url}/v1/contracts/{id1}")).1;
    let before_tag = get(&format!("{url}/v1/contracts?tag={tag}&limit=100")).1;
    node.stop().unwrap();
    let node = start(&path, dir.path());
    let url = node.url();
    assert_eq!(get(&format!("{url}/v1/contracts/{id1}")).1, before_id);
    assert_eq!(
        get(&format!("{url}/v1/contracts?tag={tag}&limit=100")).1,
        before_tag
    );
    node.stop().unwrap();
}
