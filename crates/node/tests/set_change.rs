#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Validator-set changes (docs/spec/consensus.md §Validator-set changes),
//! in process: four validators, a fifth node whose key is not in the set
//! but runs the engine, and a follower, on loopback. A change adding the
//! fifth, approved by three of the four, is submitted to the follower as a
//! transaction logging it: blocks before its effective height are
//! certified by the old set, from it on by the new one, the fifth's
//! signature among them. A change approved by two of four, and a second
//! change while one is pending, are refused. The follower reopens with the
//! change in its schedule. Every wait is bounded.

mod common;

use blockchain::Block;
use common::federation::{approved, pay_logging};
use common::peer::wait_for;
use common::{node_config, Net};
use consensus::{
    ApprovedSetChange, ChainId, CommitCertificate, SetChange, Validator, ValidatorKey, ValidatorSet,
};
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use node::{Chain, Client, Limits, NodeConfig, RunningNode};

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn set_of(keys: &[SecretKey]) -> ValidatorSet {
    ValidatorSet::new(
        keys.iter()
            .map(|k| Validator::new(ValidatorKey::new(k.verification_key()).unwrap(), 1).unwrap())
            .collect(),
    )
    .unwrap()
}

fn start(config: NodeConfig, genesis: &blockchain::Genesis) -> RunningNode {
    let path = config.db_path();
    let genesis = genesis.clone();
    RunningNode::start(config, move || {
        Chain::init(&path, genesis, None, Limits::default())
    })
    .unwrap()
}

fn height(node: &RunningNode) -> u64 {
    node.chain().unwrap().view().height()
}

/// A payment of genesis UTXO `i` (fee 1) whose log also carries `data`.
#[test]
fn a_change_approved_by_the_set_in_force_hands_the_blocks_to_the_new_set() {
    let mut net = Net::new(4);
    let scalars: Vec<Scalar> = (0..5u64).map(|i| Scalar::from(2000 + i)).collect();
    let keys: Vec<SecretKey> = scalars.iter().map(|s| SecretKey::from_scalar(*s)).collect();
    let old = set_of(&keys[..4]);
    let new = set_of(&keys);
    net.genesis.validators = old.genesis_entries();
    let genesis = net.genesis.clone();
    let chain = ChainId::from_genesis(genesis.state().unwrap().initial.id());
    // Nodes 0..4 hold keys 0..4 (key 4 outside the genesis's set); node 5
    // follows.
    let dirs: Vec<tempfile::TempDir> = (0..6).map(|_| tempfile::tempdir().unwrap()).collect();
    let p2p: Vec<u16> = (0..6).map(|_| free_port()).collect();
    let cons: Vec<u16> = (0..5).map(|_| free_port()).collect();
    let mut nodes = Vec::new();
    for i in 0..5 {
        let peers = (0..5)
            .filter(|j| *j != i)
            .map(|j| format!("127.0.0.1:{}", p2p[j]))
            .collect();
        let mut config = node_config(dirs[i].path(), peers, 50);
        config.listen = vec![format!("127.0.0.1:{}", p2p[i])];
        config.empty_block_interval_ms = 300;
        config.consensus_listen = Some(format!("/ip4/127.0.0.1/tcp/{}", cons[i]));
        config.consensus_peers = (0..5)
            .filter(|j| *j != i)
            .map(|j| format!("/ip4/127.0.0.1/tcp/{}", cons[j]))
            .collect();
        node::write_validator_key(&dirs[i].path().join(node::VALIDATOR_KEY_FILE), &scalars[i])
            .unwrap();
        nodes.push(start(config, &genesis));
    }
    let peers = (0..5).map(|j| format!("127.0.0.1:{}", p2p[j])).collect();
    let mut config = node_config(dirs[5].path(), peers, 50);
    config.listen = vec![format!("127.0.0.1:{}", p2p[5])];
    let follower = start(config, &genesis);
    wait_for("the follower at height 3", 90, || height(&follower) >= 3);
    let client = Client::new(&follower.url()).unwrap();

    // Two of four approvals: refused at admission.
    let tip = height(&follower);
    let effective = tip + 12;
    let change = SetChange::new(effective, new.clone());
    let short = approved(&chain, &change, &old, &[&keys[0], &keys[1]]);
    let tx = pay_logging(&mut net, 0, short.to_log_data());
    let refused = client.submit(&tx.to_bytes()).unwrap_err().to_string();
    assert!(refused.contains("more than two thirds"), "{refused}");
    // A prefixed entry that does not decode: refused too.
    let mut garbage = consensus::SET_CHANGE_PREFIX.to_vec();
    garbage.extend_from_slice(&[1, 2, 3]);
    let tx = pay_logging(&mut net, 0, garbage);
    assert!(client.submit(&tx.to_bytes()).is_err());

    // Three of four: accepted and decided. The same change submitted
    // twice at once is admitted twice (each passes against the tip); one
    // is decided, and the block that includes it evicts the other, whose
    // change is now pending.
    let good = approved(&chain, &change, &old, &[&keys[0], &keys[1], &keys[3]]);
    let tx = pay_logging(&mut net, 1, good.to_log_data());
    let twin = pay_logging(&mut net, 3, good.to_log_data());
    let id = client.submit(&tx.to_bytes()).unwrap().id;
    let twin = client.submit(&twin.to_bytes()).ok().map(|s| s.id);
    let mut included = 0;
    let mut decided = id.clone();
    wait_for("the change included", 60, || {
        for candidate in std::iter::once(&id).chain(&twin) {
            if let Some(h) = client.tx(candidate).unwrap().and_then(|a| a.height) {
                included = h;
                decided = candidate.clone();
                return true;
            }
        }
        false
    });
    match &twin {
        Some(twin) => {
            let other = if decided == id { twin } else { &id };
            assert!(
                client.tx(other).unwrap().is_none(),
                "the other transaction with the change is still known after block {included}"
            );
        }
        // Decided before the twin arrived: admission refused it.
        None => eprintln!("the twin arrived after the change was decided"),
    }
    assert!(
        included + 2 <= effective,
        "included at {included}, effective {effective}"
    );

    // A second change while the first is pending: refused.
    let back = SetChange::new(effective + 20, old.clone());
    let second = approved(&chain, &back, &old, &[&keys[0], &keys[1], &keys[2]]);
    let tx = pay_logging(&mut net, 2, second.to_log_data());
    if height(&follower) < effective {
        let refused = client.submit(&tx.to_bytes()).unwrap_err().to_string();
        assert!(refused.contains("already pending"), "{refused}");
    }

    // The new set decides from the effective height on, the fifth
    // validator signing.
    let fifth = ValidatorKey::new(keys[4].verification_key())
        .unwrap()
        .address();
    let mut signed_by_fifth = None;
    let mut checked = 2;
    wait_for("a certificate signed by the fifth validator", 120, || {
        let tip = height(&follower);
        while checked <= tip {
            let bytes = follower
                .chain()
                .unwrap()
                .blocks()
                .block_bytes(checked)
                .unwrap()
                .unwrap();
            let b = Block::from_bytes(&bytes).unwrap();
            let set = if checked < effective { &old } else { &new };
            let c = CommitCertificate::check_seal(&b.header, b.certificate.as_deref(), &chain, set)
                .unwrap_or_else(|e| panic!("block {checked}: {e}"));
            if checked < effective {
                assert!(c.signatures().iter().all(|(a, _)| *a != fifth));
            } else {
                // Four of five at least: the old set alone is no quorum.
                assert!(c.signatures().len() >= 4, "block {checked}");
                if c.signatures().iter().any(|(a, _)| *a == fifth) {
                    signed_by_fifth = Some(checked);
                }
            }
            checked += 1;
        }
        signed_by_fifth.is_some()
    });
    // Every node agrees on the blocks up to there.
    let last = signed_by_fifth.unwrap();
    for n in &nodes {
        wait_for("every node at the fifth's block", 60, || height(n) >= last);
        let mine = n.chain().unwrap().blocks().block_bytes(last).unwrap();
        let theirs = follower
            .chain()
            .unwrap()
            .blocks()
            .block_bytes(last)
            .unwrap();
        assert_eq!(
            Block::from_bytes(&mine.unwrap()).unwrap().header,
            Block::from_bytes(&theirs.unwrap()).unwrap().header
        );
    }

    // The API lists the change; the follower reopens with it.
    let answer: node::api_types::ValidatorsAnswer = client.get("/v1/validators").unwrap().unwrap();
    assert_eq!(answer.validators.len(), 5);
    assert_eq!(answer.changes.len(), 1);
    assert_eq!(answer.changes[0].included_height, included);
    assert_eq!(answer.changes[0].effective_height, effective);
    assert!(answer.pending.is_none());

    // A snapshot fetched from the follower comes with the change, which
    // replays from the genesis's set; the tip's certificate was checked
    // against the set in force there (signers outside the genesis's set).
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let peer: libp2p::Multiaddr = format!("/ip4/127.0.0.1/tcp/{}", p2p[5]).parse().unwrap();
    let snapshot = runtime
        .block_on(node::network::fetch_snapshot(
            &genesis,
            &[peer],
            None,
            std::time::Duration::from_secs(60),
        ))
        .unwrap();
    assert!(snapshot.state.tip.height >= last);
    assert_eq!(snapshot.set_changes, vec![(included, good.clone())]);
    let pruned_dir = tempfile::tempdir().unwrap();
    let pruned_path = pruned_dir.path().join("chain.redb");
    // The chain replays the list again: a forged approval, a change while
    // one is pending, or one above the snapshot's tip, is refused before
    // anything is stored.
    let tip = snapshot.state.tip.height;
    let mut forged = good.to_bytes();
    // The last approval's R, first byte: a signature that fails.
    let r = forged.len() - 64;
    forged[r] ^= 1;
    let forged = ApprovedSetChange::from_bytes(&forged).unwrap();
    let hostile = vec![
        vec![(included, forged)],
        vec![(tip + 1, good.clone())],
        vec![(included, good.clone()), (included + 2, good.clone())],
    ];
    for list in hostile {
        let e = Chain::init_from_snapshot(
            &pruned_path,
            genesis.clone(),
            snapshot.state.clone(),
            &list,
            Limits::default(),
        )
        .unwrap_err();
        assert!(
            matches!(
                e,
                node::NodeError::BadSetChanges(_) | node::NodeError::Config(_)
            ),
            "{e}"
        );
        assert!(!pruned_path.exists(), "nothing stored for {list:?}");
    }
    let pruned = Chain::init_from_snapshot(
        &pruned_path,
        genesis.clone(),
        snapshot.state.clone(),
        &snapshot.set_changes,
        Limits::default(),
    )
    .unwrap();
    assert_eq!(pruned.seal().unwrap().schedule().set_at(tip), &new);
    drop(pruned);
    let reopened = Chain::open(&pruned_path, Limits::default()).unwrap();
    let schedule = reopened.seal().unwrap().schedule();
    assert_eq!(schedule.changes(), snapshot.set_changes.as_slice());
    assert_eq!(schedule.set_at(effective - 1), &old);
    drop(reopened);

    let dir = dirs[5].path().to_path_buf();
    follower.stop().unwrap();
    let reopened = Chain::open(&dir.join("chain.redb"), Limits::default()).unwrap();
    let schedule = reopened.seal().unwrap().schedule();
    assert_eq!(schedule.changes().len(), 1);
    assert_eq!(schedule.set_at(effective - 1), &old);
    assert_eq!(schedule.set_at(effective), &new);
    drop(reopened);
    for n in nodes {
        n.stop().unwrap();
    }
}

#[test]
fn a_block_key_chain_refuses_a_set_change() {
    let mut net = Net::new(1);
    let dir = tempfile::tempdir().unwrap();
    let mut chain = net.init(dir.path());
    let keys: Vec<SecretKey> = (0..2u64)
        .map(|i| SecretKey::from_scalar(Scalar::from(3000 + i)))
        .collect();
    let set = set_of(&keys);
    let chain_id = ChainId::from_genesis(net.genesis.state().unwrap().initial.id());
    let change = SetChange::new(10, set.clone());
    let data = approved(&chain_id, &change, &set, &[&keys[0], &keys[1]]).to_log_data();
    let tx = pay_logging(&mut net, 0, data);
    let err = chain.submit(&tx.to_bytes()).unwrap_err();
    assert!(
        matches!(
            err,
            node::NodeError::Consensus(consensus::ConsensusError::SetChangeOnKeyChain)
        ),
        "{err}"
    );
    // An ordinary log entry is fine.
    let tx = pay_logging(&mut net, 0, b"hello".to_vec());
    chain.submit(&tx.to_bytes()).unwrap();
}
