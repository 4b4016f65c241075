#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! A validators chain (docs/spec/consensus.md §Node, docs/spec/blockchain.md
//! §Block signature), in process: four validator nodes, each with its own
//! key in its data directory, and a follower, on loopback. Payments
//! submitted to the follower are decided; every node holds the same block
//! at every height, sealed by a certificate of the genesis's set; a
//! follower fed blocks whose certificate is forged, short of a quorum or
//! missing refuses them and scores the sender down; a follower started late
//! refuses a syncing peer's tampered certificates, then syncs every block
//! from the validators and checks every certificate. Every wait is bounded.

mod common;

use std::time::Instant;

use blockchain::{Block, BlockHeader};
use common::federation::{height, start, validators, Federation};
use common::peer::{listen_addr, wait_for, Attacker};
use common::{node_config, Net};
use consensus::{signing, ChainId, CommitCertificate, ValidatorKey};
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use node::network::messages::{PeerStatus, SignedHeader, SyncRequest, SyncResponse};
use node::{Chain, Client, Limits, RunningNode, Seal};

/// The block `node` stores at `h`, decoded.
fn stored_block(node: &RunningNode, h: u64) -> Block {
    let bytes = node
        .chain()
        .unwrap()
        .blocks()
        .block_bytes(h)
        .unwrap()
        .unwrap();
    Block::from_bytes(&bytes).unwrap()
}

/// A certificate deciding `header` signed by `keys`.
fn certify(chain: &ChainId, header: &BlockHeader, keys: &[&SecretKey]) -> Vec<u8> {
    let msg = signing::precommit_sign_bytes(chain, header.height, 0, &header.id());
    let mut sigs: Vec<_> = keys
        .iter()
        .map(|k| {
            let address = ValidatorKey::new(k.verification_key()).unwrap().address();
            (address, signing::sign_bytes(k, &msg))
        })
        .collect();
    sigs.sort_by_key(|(a, _)| *a);
    CommitCertificate::new(header.height, 0, header.id(), sigs).to_bytes()
}

#[test]
fn four_validators_and_a_follower_agree_on_every_certified_block() {
    let mut net = Net::new(3);
    let (scalars, keys, set) = validators();
    net.genesis.validators = set.genesis_entries();
    let genesis = net.genesis.clone();
    // Validators propose every 50 ms when payments wait, an empty block
    // after 300 ms.
    let Federation {
        dirs,
        validators: nodes,
        follower,
    } = Federation::start(&genesis, &scalars, 50, 300);
    // A block key on a validators chain is refused.
    let other = tempfile::tempdir().unwrap();
    assert!(Chain::init(
        &other.path().join("c.redb"),
        genesis.clone(),
        Some(net.block_key.clone()),
        Limits::default()
    )
    .is_err());

    wait_for("the follower at height 3", 60, || height(&follower) >= 3);

    // Payments submitted to the follower are decided.
    let client = Client::new(&follower.url()).unwrap();
    let started = Instant::now();
    let mut txids = Vec::new();
    for i in 0..3 {
        let (tx, _) = net.pay(i, 1);
        let submitted = client.submit(&tx.to_bytes()).unwrap();
        txids.push(submitted.id);
    }
    let mut at = 0;
    wait_for("the payments decided", 60, || {
        txids.iter().all(|id| {
            let answer = client.tx(id).unwrap();
            match answer.and_then(|a| a.height) {
                Some(h) => {
                    at = at.max(h);
                    true
                }
                None => false,
            }
        })
    });
    eprintln!(
        "three payments submitted to the follower and decided in {:?}",
        started.elapsed()
    );
    let mut all: Vec<&RunningNode> = nodes.iter().collect();
    all.push(&follower);
    for n in &all {
        wait_for("every node at the payments' height", 60, || height(n) >= at);
    }
    let seal = Seal::of(&genesis).unwrap().unwrap();
    for h in 2..=at {
        let first = stored_block(all[0], h);
        for n in &all {
            let b = stored_block(n, h);
            assert_eq!(b.header, first.header, "a node differs at height {h}");
            assert!(b.is_unsigned());
            let c = seal.check(&b.header, b.certificate.as_deref()).unwrap();
            assert!(c.signatures().len() >= 3);
            // The certificate is also in the certificates table.
            let (_, stored) = n.chain().unwrap().decided(h).unwrap().unwrap();
            assert_eq!(Some(stored), b.certificate);
        }
    }

    // Forged seals, gossiped to the follower at the next height: each
    // refused before any other work, the sender scored down.
    let chain_id = ChainId::from_genesis(genesis.state().unwrap().initial.id());
    let tip = follower.chain().unwrap().view().state.tip.clone();
    let header = BlockHeader {
        version: 1,
        height: tip.height + 1,
        previd: tip.id(),
        timestamp_ms: tip.timestamp_ms + 1,
        txroot: blockchain::txroot(&[]),
        utxoroot: tip.utxoroot,
        ext: Vec::new(),
    };
    let forged = |certificate: Option<Vec<u8>>| Block {
        header: header.clone(),
        signature: musig::Signature::from_bytes(&blockchain::NO_SIGNATURE).unwrap(),
        txs: Vec::new(),
        utxo_proof: accumulator::Proof::empty(),
        certificate,
    };
    // Two of four validators: not a quorum.
    let short = certify(&chain_id, &header, &[&keys[0], &keys[1]]);
    // Three, one signature altered.
    let mut bad = certify(&chain_id, &header, &[&keys[0], &keys[1], &keys[2]]);
    let len = bad.len();
    bad[len - 10] ^= 1;
    // Three keys outside the set.
    let strangers: Vec<SecretKey> = (0..3u64)
        .map(|i| SecretKey::from_scalar(Scalar::from(9 + i)))
        .collect();
    let unknown = certify(&chain_id, &header, &strangers.iter().collect::<Vec<_>>());
    // A good certificate of another block.
    let mut other_header = header.clone();
    other_header.timestamp_ms += 1;
    let elsewhere = certify(&chain_id, &other_header, &[&keys[0], &keys[1], &keys[2]]);
    for certificate in [Some(short), Some(bad), Some(unknown), Some(elsewhere), None] {
        let mut attacker = Attacker::connect(&genesis, &follower);
        assert!(attacker.publish(true, forged(certificate).to_bytes()));
        // An invalid block's penalty.
        attacker.wait_score(&follower, -60, true);
    }
    // The follower's chain holds no forged block.
    let h = tip.height + 1;
    wait_for("the follower past the forged height", 60, || {
        height(&follower) >= h
    });
    let stored = stored_block(&follower, h);
    assert_ne!(stored.header.id(), header.id());
    seal.check(&stored.header, stored.certificate.as_deref())
        .unwrap();

    // A follower started late, first peered only with a node whose blocks
    // carry tampered certificates (real headers, real blocks): it stores
    // none of them and scores that peer down. Restarted with the
    // validators as peers, it syncs every block and checks every
    // certificate.
    let late_dir = tempfile::tempdir().unwrap();
    let late = start(node_config(late_dir.path(), vec![], 50), &genesis);
    let (top, top_id) = {
        let view = nodes[0].chain().unwrap().view();
        (view.height(), view.state.tip.id())
    };
    let real = |h: u64| stored_block(&nodes[0], h);
    let network = genesis.state().unwrap().initial.id();
    let zero = musig::Signature::from_bytes(&blockchain::NO_SIGNATURE).unwrap();
    let mut liar = Attacker::connect(&genesis, &late);
    let liar_id = liar.peer_id();
    liar.serve_until(
        &late,
        |n| {
            let info = n.network().info();
            info.banned.contains(&liar_id)
                || info.peers.iter().any(|p| p.id == liar_id && p.score <= -60)
        },
        |request| match request {
            SyncRequest::Status => Some(SyncResponse::Status(PeerStatus {
                network,
                height: top,
                tip: top_id,
                first_block: 2,
            })),
            SyncRequest::Headers { from, count } => Some(SyncResponse::Headers(
                (*from..=top)
                    .take(*count as usize)
                    .map(|h| SignedHeader {
                        header: real(h).header,
                        signature: zero,
                    })
                    .collect(),
            )),
            SyncRequest::Blocks { from, count } => Some(SyncResponse::Blocks(
                (*from..=top)
                    .take(*count as usize)
                    .map(|h| {
                        let mut b = real(h);
                        let c = b.certificate.as_mut().unwrap();
                        let n = c.len();
                        c[n - 10] ^= 1;
                        b.to_bytes()
                    })
                    .collect(),
            )),
            _ => None,
        },
        |_| None,
    );
    assert_eq!(
        height(&late),
        1,
        "a block with a tampered certificate was stored"
    );
    // Refused for their seal, and the liar banned after two such answers.
    let refused = late
        .chain()
        .unwrap()
        .metrics()
        .blocks_refused(node::metrics::BlockRefusal::BadSignature);
    assert!(refused >= 1, "no block refused for its certificate");
    assert!(late.network().info().banned.contains(&liar_id));
    drop(liar);
    late.stop().unwrap();
    let peers = nodes.iter().map(|n| listen_addr(n).to_string()).collect();
    let late_path = late_dir.path().join("chain.redb");
    let late = RunningNode::start(node_config(late_dir.path(), peers, 50), move || {
        Chain::open(&late_path, Limits::default())
    })
    .unwrap();
    let target = height(&nodes[0]);
    wait_for("the late follower synced", 60, || height(&late) >= target);
    for h in 2..=target {
        let ours = real(h);
        let b = stored_block(&late, h);
        assert_eq!(
            b.header, ours.header,
            "the late follower differs at height {h}"
        );
        seal.check(&b.header, b.certificate.as_deref()).unwrap();
    }
    late.stop().unwrap();

    // The follower's chain reopens as a validators chain.
    let dir = dirs[4].path().to_path_buf();
    follower.stop().unwrap();
    let reopened = Chain::open(&dir.join("chain.redb"), Limits::default()).unwrap();
    assert!(reopened.seal().is_some());
    assert!(reopened.state().certified());
    for n in nodes {
        n.stop().unwrap();
    }
}
