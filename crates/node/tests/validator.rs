#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The node as a consensus application (docs/spec/consensus.md §Node):
//! one validator (the devnet's case) runs Malachite's engine over the
//! node's chain; payments in the pool are decided, each decided block is
//! stored with a certificate that checks against the validator set, no
//! pool transaction is verified again, and after a restart the WAL and
//! the store agree and deciding resumes. Every wait is bounded.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use blockchain::{Block, BlockID};
use common::Net;
use consensus::{
    start, App, ChainId, CommitCertificate, Config, Multiaddr, NetworkKeypair, Running, Timeouts,
    Validator, ValidatorKey, ValidatorSet,
};
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use node::{Chain, ChainHandle, Limits, NodeApp, Pace};

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn validator_key(net: &Net) -> SecretKey {
    SecretKey::from_scalar(Scalar::from_bytes_mod_order(*net.block_key))
}

fn set_of(key: &SecretKey) -> ValidatorSet {
    let v = Validator::new(ValidatorKey::new(key.verification_key()).unwrap(), 1).unwrap();
    ValidatorSet::new(vec![v]).unwrap()
}

fn open(dir: &Path) -> (ChainHandle, std::thread::JoinHandle<()>) {
    let path = dir.join("chain.redb");
    ChainHandle::spawn(move || Chain::open(&path, Limits::default())).unwrap()
}

/// A certificate for `block` at `height` signed by `key` alone.
fn certify(chain: &ChainHandle, key: &SecretKey, height: u64, block: BlockID) -> CommitCertificate {
    let id = ChainId::from_genesis(chain.view().state.initial.id());
    let msg = consensus::signing::precommit_sign_bytes(&id, height, 0, &block);
    let address = ValidatorKey::new(key.verification_key()).unwrap().address();
    let signature = consensus::signing::sign_bytes(key, &msg);
    CommitCertificate::new(height, 0, block, vec![(address, signature)])
}

async fn run_validator(
    chain: &ChainHandle,
    key: &SecretKey,
    set: &ValidatorSet,
    home: &Path,
    port: u16,
) -> Running {
    let listen: Multiaddr = format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap();
    let config = Config {
        chain: ChainId::from_genesis(chain.view().state.initial.id()),
        moniker: "v0".into(),
        home: home.to_path_buf(),
        listen,
        peers: vec![],
        timeouts: Timeouts {
            propose: Duration::from_millis(1000),
            prevote: Duration::from_millis(300),
            precommit: Duration::from_millis(300),
            delta: Duration::from_millis(200),
        },
    };
    let network_key = NetworkKeypair::ed25519_from_bytes([9u8; 32]).unwrap();
    start(
        config,
        network_key,
        key.clone(),
        set.clone(),
        NodeApp::new(chain.clone(), Pace::NONE, None),
    )
    .await
    .unwrap()
}

async fn wait_height(chain: &ChainHandle, height: u64, limit: Duration) {
    let deadline = Instant::now() + limit;
    let mut watch = chain.watch();
    while watch.borrow().height() < height {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "height {height} not reached in {limit:?}");
        // A timeout only loops back to the deadline check.
        let _ = tokio::time::timeout(left, watch.changed()).await;
    }
}

/// Every stored block from 2 to the tip has a certificate for exactly it,
/// at its height, that checks against the set.
fn check_certificates(chain: &ChainHandle, set: &ValidatorSet) -> Vec<BlockID> {
    let view = chain.view();
    let id = ChainId::from_genesis(view.state.initial.id());
    (2..=view.height())
        .map(|h| {
            let (bytes, cert) = chain.decided(h).unwrap().expect("a decided block");
            let block = Block::from_bytes(&bytes).unwrap();
            let cert = CommitCertificate::from_bytes(&cert).unwrap();
            assert_eq!(cert.height(), h);
            assert_eq!(cert.block_id(), block.header.id());
            cert.verify(&id, set).unwrap();
            assert_eq!(cert.signatures().len(), 1);
            block.header.id()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_validator_decides_pool_payments_and_resumes_after_restart() {
    let mut net = Net::new(2);
    let dir = tempfile::tempdir().unwrap();
    drop(net.init(dir.path()));
    let key = validator_key(&net);
    let set = set_of(&key);
    let home = dir.path().join("consensus");
    let port = free_port();

    let (chain, thread) = open(dir.path());
    let (tx, _) = net.pay(0, 10);
    chain.submit_blocking(tx.to_bytes()).unwrap();
    let txid = chain.pool(10).await.unwrap()[0].txid;
    let running = run_validator(&chain, &key, &set, &home, port).await;
    wait_height(&chain, 4, Duration::from_secs(60)).await;
    running.stop().await;

    let record = chain.tx(txid).await.unwrap().unwrap();
    let (height, _) = record.location.expect("the payment is decided");
    assert!(height >= 2);
    // Proposed from the pool: the payment was verified on admission only.
    let stats = chain.import_stats();
    assert_eq!(stats.txs_verified, 0);
    assert!(stats.txs_known >= 1);
    let before = check_certificates(&chain, &set);
    assert!(home.join("wal").join("consensus.wal").exists());
    let tip = chain.view().height();
    drop(chain);
    thread.join().unwrap();

    // Restarted on the same store and WAL: the decided blocks are still
    // there with their certificates, and deciding resumes above them.
    let (chain, _thread) = open(dir.path());
    assert_eq!(chain.view().height(), tip);
    let (tx, _) = net.pay(1, 10);
    chain.submit_blocking(tx.to_bytes()).unwrap();
    let txid = chain.pool(10).await.unwrap()[0].txid;
    let running = run_validator(&chain, &key, &set, &home, port).await;
    wait_height(&chain, tip + 2, Duration::from_secs(60)).await;
    running.stop().await;
    let after = check_certificates(&chain, &set);
    assert_eq!(after[..before.len()], before[..]);
    let record = chain.tx(txid).await.unwrap().unwrap();
    assert!(record.location.expect("decided").0 > tip);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_application_refuses_what_it_must() {
    let mut net = Net::new(1);
    let dir = tempfile::tempdir().unwrap();
    drop(net.init(dir.path()));
    let (chain, _thread) = open(dir.path());
    let key = validator_key(&net);
    let mut app = NodeApp::new(chain.clone(), Pace::NONE, None);
    assert_eq!(app.tip_height(), 1);

    // Proposing or judging for a height other than the tip's successor.
    assert!(app.propose(3).await.is_err());
    let (tx, _) = net.pay(0, 10);
    chain.submit_blocking(tx.to_bytes()).unwrap();
    let bytes = app.propose(2).await.unwrap();
    assert!(app.validate(3, &bytes).await.is_err());
    // Proposing stores nothing.
    assert_eq!(chain.view().height(), 1);
    assert_eq!(chain.view().mempool_txs, 1);
    app.validate(2, &bytes).await.unwrap();

    // Garbage and a tampered block are refused.
    assert!(app.validate(2, &[0u8; 40]).await.is_err());
    let mut block = Block::from_bytes(&bytes).unwrap();
    block.header.timestamp_ms += 1;
    assert!(app.validate(2, &block.to_bytes()).await.is_err());

    // A certificate naming another block than the one decided is refused
    // before anything is stored.
    let wrong = certify(&chain, &key, 2, block.header.id());
    assert!(app.commit(bytes.clone(), wrong).await.is_err());
    assert_eq!(chain.view().height(), 1);
    assert!(app.decided_block(2).await.unwrap().is_none());

    // The block the certificate names is stored, with the certificate.
    let id = Block::from_bytes(&bytes).unwrap().header.id();
    let cert = certify(&chain, &key, 2, id);
    app.commit(bytes.clone(), cert.clone()).await.unwrap();
    // The view is published just after the job answers.
    wait_height(&chain, 2, Duration::from_secs(10)).await;
    assert_eq!(chain.view().mempool_txs, 0);
    let (stored, got) = app.decided_block(2).await.unwrap().unwrap();
    assert_eq!(stored, bytes);
    assert_eq!(got.to_bytes(), cert.to_bytes());

    // A block the block key alone made has no certificate to serve.
    chain.produce_blocking(node::now_ms()).unwrap();
    assert!(app.decided_block(3).await.unwrap().is_none());
}

/// A validating node (the engine deciding its blocks) and a follower:
/// a payment submitted to the follower is decided, the follower imports
/// the decided blocks, both agree at every height, and the validator
/// stores a certificate for each.
#[test]
fn a_validating_node_decides_what_a_follower_relays() {
    use common::node_config;
    use common::peer::{listen_addr, wait_for};
    use node::{Client, RunningNode};

    let mut net = Net::new(2);
    let (vdir, fdir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    drop(net.init(vdir.path()));
    let path = vdir.path().join("chain.redb");
    let mut config = node_config(vdir.path(), vec![], 100);
    config.target_peers = 0;
    config.consensus_listen = Some(format!("/ip4/127.0.0.1/tcp/{}", free_port()));
    let v = RunningNode::start(config, move || Chain::open(&path, Limits::default())).unwrap();

    let path = fdir.path().join("chain.redb");
    drop(Chain::init(&path, net.genesis.clone(), None, Limits::default()).unwrap());
    let mut config = node_config(fdir.path(), vec![listen_addr(&v).to_string()], 100);
    config.target_peers = 0;
    let f = RunningNode::start(config, move || Chain::open(&path, Limits::default())).unwrap();
    wait_for("peers to connect", 20, || {
        !f.network().info().peers.is_empty()
    });
    // Subscriptions travel after the connection; give the mesh a heartbeat.
    std::thread::sleep(Duration::from_secs(2));

    let (tx, _) = net.pay(0, 5);
    Client::new(&f.url())
        .unwrap()
        .submit(&tx.to_bytes())
        .unwrap();
    let txid = zkvm::Verifier::precompute(&tx).unwrap().id;
    let confirmed = |n: &RunningNode| {
        n.chain()
            .unwrap()
            .tx_blocking(txid)
            .unwrap()
            .is_some_and(|r| r.location.is_some())
    };
    wait_for("the payment decided on both nodes", 60, || {
        confirmed(&v) && confirmed(&f)
    });
    let (vc, fc) = (v.chain().unwrap().clone(), f.chain().unwrap().clone());
    wait_for("the follower at the validator's tip", 30, || {
        fc.view().height() >= vc.view().height()
    });
    let top = vc.view().height().min(fc.view().height());
    assert!(top >= 2);
    let key = validator_key(&net);
    let set = set_of(&key);
    let ids = check_certificates(&vc, &set);
    for h in 2..=top {
        let a = vc.blocks().block_bytes(h).unwrap().unwrap();
        let b = fc.blocks().block_bytes(h).unwrap().unwrap();
        assert_eq!(a, b, "the nodes differ at height {h}");
        assert_eq!(
            Block::from_bytes(&a).unwrap().header.id(),
            ids[(h - 2) as usize]
        );
    }
    assert!(vdir
        .path()
        .join("consensus")
        .join("wal")
        .join("consensus.wal")
        .exists());
    drop((vc, fc));
    f.stop().unwrap();
    v.stop().unwrap();
}
