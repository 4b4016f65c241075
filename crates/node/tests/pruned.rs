#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! A pruned chain: bootstrapped from a producer's snapshot, it validates
//! and stores the producer's next blocks with only the Utreexo roots,
//! refuses bad blocks, survives restarts, and refuses what needs the UTXO
//! forest it does not keep.

mod common;

use blockchain::{BlockchainError, ChainState};
use common::{Net, T0};
use node::{verify_submission, Chain, Limits, NodeError, FOREST_CHECKPOINT_INTERVAL};

/// Submits `tx` to the producer and makes a block holding it.
fn block_with(producer: &mut Chain, tx: &zkvm::Tx, now_ms: u64) -> u64 {
    producer.submit(&tx.to_bytes()).unwrap();
    let b = producer.produce_block(now_ms).unwrap();
    assert_eq!(b.txids.len(), 1);
    b.height
}

/// The pruned chain `chain` is at the producer's tip, with the same state.
fn assert_same_tip(chain: &Chain, producer: &Chain) {
    assert_eq!(chain.state(), producer.state());
    assert_eq!(chain.snapshot(), producer.snapshot());
    assert_eq!(chain.utxo_leaves(), producer.utxo_leaves());
}

#[test]
fn pruned_chain_follows_refuses_bad_blocks_and_restarts() {
    let producer_dir = tempfile::tempdir().unwrap();
    let pruned_dir = tempfile::tempdir().unwrap();
    let path = pruned_dir.path().join("chain.redb");
    let mut net = Net::new(6);
    let pays: Vec<zkvm::Tx> = (0..6).map(|i| net.pay(i, 5 + i as u64).0).collect();

    // The producer makes blocks 2 and 3 with a payment each, and an empty 4.
    let mut producer = net.init(producer_dir.path());
    assert!(!producer.is_pruned());
    assert_eq!(producer.base_height(), 1);
    assert_eq!(block_with(&mut producer, &pays[0], T0 + 1000), 2);
    assert_eq!(block_with(&mut producer, &pays[1], T0 + 2000), 3);
    assert_eq!(producer.produce_block(T0 + 3000).unwrap().height, 4);

    // A new node trusts the producer's tip ID and starts from its snapshot.
    let tip_id = producer.state().tip.id();
    let state = ChainState::from_snapshot(&producer.snapshot(), Some(tip_id)).unwrap();
    let mut pruned = Chain::init_from_snapshot(
        &path,
        net.genesis.clone(),
        state.clone(),
        &[],
        Limits::default(),
    )
    .unwrap();
    assert!(pruned.is_pruned());
    assert!(!pruned.is_producer());
    assert_eq!(pruned.base_height(), 4);
    assert_same_tip(&pruned, &producer);
    // It keeps no chain state at or below its snapshot (it has no block
    // there to show a signed header): a wallet's rescan asks a full node.
    for h in [1, 2, 4] {
        assert!(pruned.block_reader().past_state(h).unwrap().is_none());
        assert!(producer.block_reader().past_state(h).unwrap().is_some());
    }
    // The file exists now: a second start is refused as `init` refuses.
    let again =
        Chain::init_from_snapshot(&path, net.genesis.clone(), state, &[], Limits::default())
            .unwrap_err();
    assert!(matches!(again, NodeError::DataDir(_)), "{again}");

    // The producer's next blocks, each with a payment.
    let h5 = block_with(&mut producer, &pays[2], T0 + 4000);
    let h6 = block_with(&mut producer, &pays[3], T0 + 5000);
    assert_eq!((h5, h6), (5, 6));
    let b4 = producer.block(4).unwrap().unwrap();
    let b5 = producer.block(5).unwrap().unwrap();
    let b6 = producer.block(6).unwrap().unwrap();

    // Bad blocks are refused with typed errors and change nothing.
    let mut forged = b5.clone();
    forged.signature = b4.signature;
    let e = pruned.apply_block(&forged).unwrap_err();
    assert!(
        matches!(e, NodeError::Chain(BlockchainError::BadSignature)),
        "{e}"
    );
    let mut wrong_height = b5.clone();
    wrong_height.header.height = 6;
    let e = pruned.apply_block(&wrong_height).unwrap_err();
    assert!(
        matches!(e, NodeError::Chain(BlockchainError::BadHeight { .. })),
        "{e}"
    );
    let e = pruned.apply_block(&b6).unwrap_err();
    assert!(
        matches!(e, NodeError::Chain(BlockchainError::BadHeight { .. })),
        "{e}"
    );
    let mut no_proof = b5.clone();
    no_proof.utxo_proof = accumulator::Proof::empty();
    let e = pruned.apply_block(&no_proof).unwrap_err();
    assert!(matches!(e, NodeError::Chain(_)), "{e}");
    assert_eq!(pruned.state().tip.height, 4);
    assert!(pruned.block(5).unwrap().is_none());

    // The right blocks go in.
    let s5 = pruned.apply_block(&b5).unwrap();
    assert_eq!(s5.height, 5);
    assert_eq!(s5.id, b5.header.id());
    assert_eq!(s5.txids.len(), 1);
    assert!(s5.evicted.is_empty());
    pruned.apply_block(&b6).unwrap();
    assert_same_tip(&pruned, &producer);
    // Above its snapshot it keeps the state after each block, as the
    // producer does.
    for h in [5, 6] {
        let mine = pruned.block_reader().past_state(h).unwrap().unwrap();
        let theirs = producer.block_reader().past_state(h).unwrap().unwrap();
        assert_eq!(mine.utxos, theirs.utxos);
        assert_eq!(mine.header.unwrap().0, theirs.header.unwrap().0);
    }

    // Blocks are stored above the snapshot only; stored ones are indexed.
    for h in 0..=4 {
        assert!(pruned.block(h).unwrap().is_none(), "block {h}");
    }
    assert_eq!(pruned.block(5).unwrap().unwrap().to_bytes(), b5.to_bytes());
    assert_eq!(pruned.block(6).unwrap().unwrap().to_bytes(), b6.to_bytes());
    assert!(pruned.block(7).unwrap().is_none());
    assert_eq!(pruned.height_of(&b6.header.id()).unwrap(), Some(6));
    assert_eq!(
        pruned.height_of(&pruned.state().initial.id()).unwrap(),
        Some(1)
    );
    let confirmed = pruned.tx(&s5.txids[0]).unwrap().unwrap();
    assert_eq!(confirmed.location, Some((5, 0)));

    // Without a forest: no transactions, no proofs, no production.
    let bytes = pays[4].to_bytes();
    let e = pruned.submit(&bytes).unwrap_err();
    assert!(matches!(e, NodeError::Pruned(_)), "{e}");
    let checked = verify_submission(&bytes).unwrap();
    let e = pruned.submit_verified(&bytes, checked).unwrap_err();
    assert!(matches!(e, NodeError::Pruned(_)), "{e}");
    let e = pruned.utxo_proof(&net.utxos[5].id()).unwrap_err();
    assert!(matches!(e, NodeError::Pruned(_)), "{e}");
    let e = pruned.produce_block(T0 + 6000).unwrap_err();
    assert!(matches!(e, NodeError::NotProducer), "{e}");
    assert!(pruned.mempool().is_empty());
    assert_eq!(pruned.stored_mempool_len().unwrap(), 0);
    // The full producer still proves what the pruned chain cannot.
    assert!(producer.utxo_proof(&net.utxos[5].id()).unwrap().is_some());

    // A restart reopens it pruned, at the same tip.
    drop(pruned);
    let mut pruned = Chain::open(&path, Limits::default()).unwrap();
    assert!(pruned.is_pruned());
    assert!(!pruned.is_producer());
    assert_eq!(pruned.base_height(), 4);
    assert_same_tip(&pruned, &producer);
    assert!(pruned.block(4).unwrap().is_none());
    assert!(pruned.block(5).unwrap().is_some());
    let e = pruned.submit(&bytes).unwrap_err();
    assert!(matches!(e, NodeError::Pruned(_)), "{e}");

    // It follows on, past a forest checkpoint height (which it skips).
    let h7 = block_with(&mut producer, &pays[4], T0 + 7000);
    pruned
        .apply_block(&producer.block(h7).unwrap().unwrap())
        .unwrap();
    assert_same_tip(&pruned, &producer);
    let mut now = T0 + 8000;
    while producer.state().tip.height <= FOREST_CHECKPOINT_INTERVAL + 1 {
        let h = producer.produce_block(now).unwrap().height;
        pruned
            .apply_block(&producer.block(h).unwrap().unwrap())
            .unwrap();
        now += 1;
    }
    let last = block_with(&mut producer, &pays[5], now);
    pruned
        .apply_block(&producer.block(last).unwrap().unwrap())
        .unwrap();
    assert_same_tip(&pruned, &producer);
    drop(pruned);
    let pruned = Chain::open(&path, Limits::default()).unwrap();
    assert!(pruned.is_pruned());
    assert_same_tip(&pruned, &producer);
    assert_eq!(pruned.base_height(), 4);

    // The producer, reopened, is still a full chain.
    drop(producer);
    let producer = Chain::open(&producer_dir.path().join("chain.redb"), Limits::default()).unwrap();
    assert!(!producer.is_pruned());
    assert_eq!(producer.base_height(), 1);
    assert_same_tip(&pruned, &producer);
}

#[test]
fn snapshot_of_another_network_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let net = Net::new(2);
    // Same block key (same seed), other genesis UTXOs: another network.
    let other = Net::new(3);
    assert_eq!(net.genesis.signers, other.genesis.signers);
    let other_chain = other.init(dir.path());
    let state = ChainState::from_snapshot(&other_chain.snapshot(), None).unwrap();
    let path = dir.path().join("pruned.redb");
    let e = Chain::init_from_snapshot(&path, net.genesis.clone(), state, &[], Limits::default())
        .unwrap_err();
    assert!(matches!(e, NodeError::Config(_)), "{e}");
    assert!(e.to_string().contains("initial header"), "{e}");
    assert!(!path.exists(), "nothing is created for a refused snapshot");

    // The right initial header with another signers key is refused too.
    let mut state = net.genesis.state().unwrap();
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(99);
    state.signers = musig::SecretKey::random(&mut rng).verification_key();
    let e = Chain::init_from_snapshot(&path, net.genesis.clone(), state, &[], Limits::default())
        .unwrap_err();
    assert!(matches!(e, NodeError::Config(_)), "{e}");
    assert!(!path.exists());

    // The genesis's own state is a valid (if trivial) snapshot: base 1.
    let state =
        ChainState::from_snapshot(&net.genesis.state().unwrap().to_snapshot(), None).unwrap();
    let chain =
        Chain::init_from_snapshot(&path, net.genesis.clone(), state, &[], Limits::default())
            .unwrap();
    assert!(chain.is_pruned());
    assert_eq!(chain.base_height(), 1);
    assert!(chain.block(1).unwrap().is_none());
    drop(chain);
    let chain = Chain::open(&path, Limits::default()).unwrap();
    assert!(chain.is_pruned());
    assert_eq!(chain.base_height(), 1);
}
