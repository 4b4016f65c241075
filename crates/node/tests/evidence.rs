//! Equivocation evidence kept by the node (docs/spec/consensus.md
//! §Evidence, docs/api.md §`GET /v1/evidence`): what a validator's engine
//! hands to the application is stored in the node's database, served
//! newest first with bounded pages, and still there after a restart.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use blockchain::BlockID;
use common::peer::wait_for;
use common::{node_config, Net};
use consensus::{Address, App, Evidence, EvidenceKind};
use node::api_types::EvidenceList;
use node::{Chain, Client, Limits, NodeApp, Pace, RunningNode};

fn list(client: &Client, query: &str) -> EvidenceList {
    client
        .get(&format!("/v1/evidence{query}"))
        .unwrap()
        .unwrap()
}

#[test]
fn evidence_is_stored_served_newest_first_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let net = Net::new(1);
    drop(net.init(dir.path()));
    let path = dir.path().join("chain.redb");
    let start = || {
        let path = path.clone();
        RunningNode::start(node_config(dir.path(), vec![], 60_000), move || {
            Chain::open(&path, Limits::default())
        })
        .unwrap()
    };
    let node = start();
    let client = Client::new(&node.url()).unwrap();
    assert!(list(&client, "").evidence.is_empty());

    // What an engine hands over when a height is finalized, given to the
    // node's application as the engine gives it.
    let records = vec![
        Evidence {
            kind: EvidenceKind::DoublePrevote,
            validator: Address::from_bytes([7; 32]),
            height: 5,
            round: 0,
            first: Some(BlockID::from_bytes([1; 32])),
            second: None,
        },
        Evidence {
            kind: EvidenceKind::DoubleProposal,
            validator: Address::from_bytes([8; 32]),
            height: 6,
            round: 2,
            first: Some(BlockID::from_bytes([2; 32])),
            second: Some(BlockID::from_bytes([3; 32])),
        },
    ];
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let chain = node.chain().unwrap().clone();
    runtime.block_on(async {
        NodeApp::new(chain, Pace::NONE, None).evidence(&records);
    });
    // The application stores it without holding up the engine.
    wait_for("the evidence stored", 30, || {
        list(&client, "").evidence.len() == 2
    });
    let check = |listed: &EvidenceList| {
        let seqs: Vec<u64> = listed.evidence.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, vec![1, 0], "newest first");
        let newest = &listed.evidence[0].record;
        assert_eq!(newest.kind, "double_proposal");
        assert_eq!(newest.validator, Address::from_bytes([8; 32]).to_string());
        assert_eq!((newest.height, newest.round), (6, 2));
        assert_eq!(
            newest.second,
            Some(BlockID::from_bytes([3; 32]).to_string())
        );
        let oldest = &listed.evidence[1].record;
        assert_eq!(oldest.kind, "double_prevote");
        assert_eq!(oldest.second, None, "a vote for nil");
    };
    check(&list(&client, ""));
    let one = list(&client, "?limit=1");
    assert_eq!(one.evidence.len(), 1);
    assert_eq!(one.evidence[0].seq, 1);
    for bad in ["0", "1001", "x"] {
        let e = client
            .get::<EvidenceList>(&format!("/v1/evidence?limit={bad}"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("limit"), "{bad}: {e}");
    }

    // Restarted: the records are read from the database.
    node.stop().unwrap();
    let node = start();
    let client = Client::new(&node.url()).unwrap();
    check(&list(&client, ""));
    node.stop().unwrap();
}
