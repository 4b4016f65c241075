//! Nodes in one process talking over libp2p on loopback: a payment
//! submitted to a follower is gossiped to the producer and confirmed
//! everywhere; a late node downloads the blocks it missed; a payment taken
//! while a node had no peers is fetched from its pool once they connect;
//! peers that send
//! malformed or invalid messages are scored down and cut off while the
//! honest nodes go on (docs/spec/network.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use accumulator::Proof;
use blockchain::{sign_header, txroot, Block, BlockHeader, Genesis};
use common::peer::{listen_addr, peer_id, wait_for, Attacker};
use common::{node_config, Net};
use futures::StreamExt;
use libp2p::identity::Keypair;
use libp2p::{PeerId, Swarm};
use musig::SecretKey;
use node::network::messages::{PeerStatus, PoolRequest, PoolResponse, SyncRequest, SyncResponse};
use node::network::{build_swarm, Behaviour, CompactBlock, Names, MAX_TX_MESSAGE};
use node::{Chain, Client, Limits, RunningNode};
use zkvm::Tx;

/// Peers a node looks for beyond its configured ones (the default).
const DISCOVER: usize = 8;

fn producer(net: &Net, dir: &std::path::Path, target_peers: usize) -> RunningNode {
    drop(net.init(dir));
    let path = dir.join("chain.redb");
    let mut config = node_config(dir, vec![], 100);
    config.target_peers = target_peers;
    RunningNode::start(config, move || Chain::open(&path, Limits::default())).unwrap()
}

fn follower(
    genesis: &Genesis,
    dir: &std::path::Path,
    peers: &[&RunningNode],
    target_peers: usize,
) -> RunningNode {
    let path = dir.join("chain.redb");
    drop(Chain::init(&path, genesis.clone(), None, Limits::default()).unwrap());
    let peers = peers.iter().map(|p| listen_addr(p).to_string()).collect();
    let mut config = node_config(dir, peers, 100);
    config.target_peers = target_peers;
    RunningNode::start(config, move || Chain::open(&path, Limits::default())).unwrap()
}

fn tip(node: &RunningNode) -> (u64, blockchain::BlockID) {
    let view = node.chain().unwrap().view();
    (view.height(), view.state.tip.id())
}

fn confirmed(node: &RunningNode, tx: &Tx) -> bool {
    let id = zkvm::Verifier::precompute(tx).unwrap().id;
    node.chain()
        .unwrap()
        .tx_blocking(id)
        .unwrap()
        .is_some_and(|r| r.location.is_some())
}

fn connected(node: &RunningNode, n: usize) {
    wait_for("peers to connect", 20, || {
        node.network().info().peers.len() >= n
    });
}

#[test]
fn payments_relay_through_followers_and_late_nodes_sync() {
    let mut net = Net::new(4);
    let dirs: Vec<_> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    // A line p <- f1 <- f2 (no discovery), so gossip crosses two hops.
    let p = producer(&net, dirs[0].path(), 0);
    let f1 = follower(&net.genesis, dirs[1].path(), &[&p], 0);
    let f2 = follower(&net.genesis, dirs[2].path(), &[&f1], 0);
    connected(&p, 1);
    connected(&f1, 2);
    connected(&f2, 1);
    // Subscriptions travel after the connection; give the mesh a heartbeat.
    std::thread::sleep(Duration::from_secs(2));

    // Submitted to the far follower: it reaches the producer through f1.
    let (tx, _) = net.pay(0, 5);
    Client::new(&f2.url())
        .unwrap()
        .submit(&tx.to_bytes())
        .unwrap();
    wait_for("the payment confirmed on every node", 30, || {
        [&p, &f1, &f2].iter().all(|n| confirmed(n, &tx))
    });
    wait_for("equal tips", 10, || {
        tip(&p) == tip(&f1) && tip(&f1) == tip(&f2)
    });
    assert!(tip(&p).0 >= 2);
    // Verified once per node: the producer made its block from its pool,
    // the followers rebuilt it from theirs; no transaction was verified
    // again on import.
    for n in [&p, &f1, &f2] {
        let stats = n.chain().unwrap().import_stats();
        assert_eq!(stats.txs_verified, 0, "{stats:?}");
        assert!(stats.txs_known >= 1, "{stats:?}");
    }

    // A payment only the producer has (put in its pool, not gossiped): the
    // compact block cannot be rebuilt from the followers' pools, so they
    // download the full block from the peer that announced it.
    let (tx, _) = net.pay(3, 5);
    let bytes = tx.to_bytes();
    p.chain().unwrap().submit_blocking(bytes).unwrap();
    wait_for("the unrelayed payment confirmed everywhere", 30, || {
        [&p, &f1, &f2].iter().all(|n| confirmed(n, &tx))
    });
    // The followers verified that one transaction, once, on import.
    assert_eq!(p.chain().unwrap().import_stats().txs_verified, 0);
    for n in [&f1, &f2] {
        assert_eq!(n.chain().unwrap().import_stats().txs_verified, 1);
    }

    // More blocks, then a node that was not there downloads them.
    for i in 1..3 {
        let (tx, _) = net.pay(i, 5);
        Client::new(&p.url())
            .unwrap()
            .submit(&tx.to_bytes())
            .unwrap();
        wait_for("a payment confirmed", 30, || confirmed(&f2, &tx));
    }
    // It knows only f2, and finds f1 and the producer through the peer
    // lists of the nodes it reaches.
    let late = follower(&net.genesis, dirs[3].path(), &[&f2], DISCOVER);
    wait_for("the late node to sync", 30, || tip(&late) == tip(&p));
    wait_for("the late node to find every node", 30, || {
        let peers: Vec<PeerId> = late.network().info().peers.iter().map(|p| p.id).collect();
        [&p, &f1, &f2].iter().all(|n| peers.contains(&peer_id(n)))
    });
    let status = Client::new(&late.url()).unwrap().status().unwrap();
    assert_eq!(status.peers, 3);
    // The late node verified every downloaded transaction itself.
    let imported = status.imported;
    assert_eq!(imported.txs_known, 0);
    assert!(imported.txs_verified >= 4, "{imported:?}");
    assert!(!status.pruned);
    // The others do not look: the line stays a line plus the late node.
    assert_eq!(f2.network().info().peers.len(), 2);
    for n in [late, f2, f1, p] {
        n.stop().unwrap();
    }
}

fn in_pool(node: &RunningNode, tx: &Tx) -> bool {
    let id = zkvm::Verifier::precompute(tx).unwrap().id;
    node.chain().unwrap().pool_contains_blocking(id).unwrap()
}

#[test]
fn a_payment_taken_while_apart_reaches_the_network_when_peers_connect() {
    let mut net = Net::new(3);
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    // No discovery: the producer must learn of the payment through f2.
    let p = producer(&net, dirs[0].path(), 0);
    let f2 = follower(&net.genesis, dirs[2].path(), &[&p], 0);
    connected(&p, 1);
    std::thread::sleep(Duration::from_secs(2));

    // f1 has no peers when it takes the payment: no one hears of it.
    let f1 = follower(&net.genesis, dirs[1].path(), &[], 0);
    let (tx, _) = net.pay(0, 5);
    Client::new(&f1.url())
        .unwrap()
        .submit(&tx.to_bytes())
        .unwrap();
    std::thread::sleep(Duration::from_secs(1));
    assert!(in_pool(&f1, &tx));
    assert!(!in_pool(&p, &tx) && !in_pool(&f2, &tx) && !confirmed(&p, &tx));
    f1.stop().unwrap();

    // Restarted with f2 as its peer (its pool is kept on disk): f2 fetches
    // the payment from f1's pool and gossips it on to the producer, which
    // confirms it, and the block comes back to f1.
    let path = dirs[1].path().join("chain.redb");
    let mut config = node_config(dirs[1].path(), vec![listen_addr(&f2).to_string()], 100);
    config.target_peers = 0;
    let f1 = RunningNode::start(config, move || Chain::open(&path, Limits::default())).unwrap();
    wait_for("the payment confirmed on every node", 30, || {
        [&p, &f1, &f2].iter().all(|n| confirmed(n, &tx))
    });
    wait_for("equal tips", 10, || {
        tip(&p) == tip(&f1) && tip(&f1) == tip(&f2)
    });
    assert_eq!(p.network().info().peers.len(), 1, "the producer met f1");
    for n in [f1, f2, p] {
        n.stop().unwrap();
    }
}

#[test]
fn inbound_connections_are_capped() {
    let net = Net::new(1);
    let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    drop(net.init(dirs[0].path()));
    let path = dirs[0].path().join("chain.redb");
    let mut config = node_config(dirs[0].path(), vec![], 100);
    config.max_inbound_peers = 1;
    config.target_peers = 0;
    let p = RunningNode::start(config, move || Chain::open(&path, Limits::default())).unwrap();
    let f = follower(&net.genesis, dirs[1].path(), &[&p], 0);
    connected(&p, 1);

    // A second inbound connection is refused while the first holds.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let names = Names::new(&net.genesis.state().unwrap().initial.id()).unwrap();
    let mut swarm = runtime
        .block_on(async { build_swarm(Keypair::generate_ed25519(), &names, 0) })
        .unwrap();
    let (addr, target) = (listen_addr(&p), peer_id(&p));
    let dial_and_wait = |swarm: &mut Swarm<Behaviour>| {
        runtime.block_on(async {
            swarm.dial(addr.clone()).unwrap();
            let _ = tokio::time::timeout(Duration::from_secs(3), async {
                loop {
                    swarm.select_next_some().await;
                }
            })
            .await;
        });
        swarm.is_connected(&target)
    };
    assert!(!dial_and_wait(&mut swarm), "a connection over the cap held");
    assert_eq!(p.network().info().peers.len(), 1);

    // Once the follower leaves there is room again.
    f.stop().unwrap();
    wait_for("the follower to go", 10, || {
        p.network().info().peers.is_empty()
    });
    assert!(dial_and_wait(&mut swarm), "no room after the follower left");
    p.stop().unwrap();
}

/// A block at `height` after `prev` that the block key did not sign.
fn forged_block(prev: &BlockHeader, utxoroot: [u8; 32], time_offset: u64) -> Vec<u8> {
    let header = BlockHeader {
        version: prev.version,
        height: prev.height + 1,
        previd: prev.id(),
        timestamp_ms: prev.timestamp_ms + time_offset,
        txroot: txroot(&[]),
        utxoroot,
        ext: Vec::new(),
    };
    let mut rng = rand::thread_rng();
    let signature = sign_header(&header, &SecretKey::random(&mut rng));
    Block {
        header,
        signature,
        txs: Vec::new(),
        utxo_proof: Proof::empty(),
        certificate: None,
    }
    .to_bytes()
}

#[test]
fn misbehaving_peers_are_scored_down_and_cut_off() {
    let mut net = Net::new(4);
    let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let p = producer(&net, dirs[0].path(), DISCOVER);
    let f = follower(&net.genesis, dirs[1].path(), &[&p], DISCOVER);
    connected(&f, 1);

    // Garbage, then an oversize transaction: scored down, still connected.
    let mut a = Attacker::connect(&net.genesis, &f);
    a.publish(false, b"not a transaction".to_vec());
    a.wait_score(&f, -40, false);
    a.publish(false, vec![0u8; MAX_TX_MESSAGE + 1]);
    a.wait_score(&f, -80, false);
    assert!(a.swarm.is_connected(&a.target));
    // A well-formed transaction with a bad signature: cut off.
    let (tx, _) = net.pay(0, 5);
    let mut bad = tx.to_bytes();
    let s_at = 24 + 4 + tx.program.len() + 32;
    bad[s_at] ^= 1;
    assert!(matches!(
        node::verify_submission(&bad),
        Err(node::NodeError::InvalidTx(_))
    ));
    a.publish(false, bad.clone());
    assert!(a.cut_off(), "the attacker is still connected");
    let info = f.network().info();
    assert!(info.banned.contains(&a.peer_id()));
    assert!(info.peers.iter().all(|peer| peer.id != a.peer_id()));
    // It cannot come back.
    let addr = listen_addr(&f);
    let target = a.target;
    a.dial(addr);
    a.drive(Duration::from_secs(2), |_| false);
    assert!(!a.swarm.is_connected(&target), "a banned peer reconnected");

    // Blocks the block key did not sign, whole then compact: cut off on
    // the second.
    let mut b = Attacker::connect(&net.genesis, &f);
    let state = f.chain().unwrap().view().state.clone();
    b.publish(true, forged_block(&state.tip, state.tip.utxoroot, 1));
    b.wait_score(&f, -60, false);
    let forged = Block::from_bytes(&forged_block(&state.tip, state.tip.utxoroot, 2)).unwrap();
    b.publish_compact(CompactBlock::new(&forged, &[], 7).to_bytes());
    assert!(b.cut_off(), "the block forger is still connected");

    // A peer whose pool serves the payment with a bad signature: scored
    // down when the follower fetches it, and nothing is taken.
    let mut c = Attacker::connect(&net.genesis, &f);
    let (height, tip_id) = tip(&f);
    let network = state.initial.id();
    let txid = zkvm::Verifier::precompute(&tx).unwrap().id;
    c.serve(
        &f,
        -35,
        |request| match request {
            SyncRequest::Status => Some(SyncResponse::Status(PeerStatus {
                network,
                height,
                tip: tip_id,
                first_block: 2,
            })),
            _ => None,
        },
        |request| match request {
            PoolRequest::Listing => Some(PoolResponse::Listing(vec![txid])),
            PoolRequest::Txs(ids) if *ids == [txid] => Some(PoolResponse::Txs(vec![bad.clone()])),
            _ => None,
        },
    );
    assert!(!in_pool(&f, &tx));
    drop(c);
    wait_for("the pool attacker to go", 10, || {
        f.network().info().peers.len() == 1
    });

    // Nothing of it was relayed: the producer charged nobody.
    assert!(p.network().info().peers.iter().all(|peer| peer.score == 0));
    assert!(p.network().info().banned.is_empty());
    // The honest nodes go on: a payment through the follower confirms.
    Client::new(&f.url())
        .unwrap()
        .submit(&tx.to_bytes())
        .unwrap();
    wait_for("the payment confirmed on both nodes", 30, || {
        confirmed(&p, &tx) && confirmed(&f, &tx)
    });
    assert_eq!(tip(&p), tip(&f));
    let peers: serde_json::Value = Client::new(&f.url())
        .unwrap()
        .get("/v1/peers")
        .unwrap()
        .unwrap();
    assert_eq!(peers["banned"].as_array().unwrap().len(), 2);
    assert_eq!(peers["peers"].as_array().unwrap().len(), 1);
    f.stop().unwrap();
    p.stop().unwrap();
}
