#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Chains of blocks: payments apply block after block, and every rule of
//! block validation rejects its violation with a typed error.

mod common;

use std::collections::HashMap;

use blockchain::{Block, BlockHeader, BlockID, BlockchainError, ChainState, VerifiedBlock};
use common::{Chain, T0};
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use zkvm::{
    Anchor, Commitment, Contract, Data, PortableItem, Predicate, Program, Prover, Tx, TxHeader,
    VMError, Value,
};

fn usd() -> Scalar {
    Scalar::from(840u64)
}

fn open_value(qty: u64, rng: &mut StdRng) -> Value {
    Value {
        qty: Commitment::blinded_with_factor(qty, Scalar::random(rng)),
        flv: Commitment::blinded_with_factor(usd(), Scalar::random(rng)),
    }
}

fn owned(key: &SecretKey, value: Value, anchor: Anchor) -> Contract {
    Contract {
        anchor,
        predicate: Predicate::key(key.clone()),
        payload: vec![PortableItem::Value(value)],
    }
}

fn header(mintime_ms: u64, maxtime_ms: u64) -> TxHeader {
    TxHeader {
        version: 1,
        mintime_ms,
        maxtime_ms,
    }
}

/// Spends `input` into outputs (value, owner); returns the transaction and
/// the spendable contracts it creates (openings attached).
fn pay(input: &Contract, outputs: &[(u64, &SecretKey)], rng: &mut StdRng) -> (Tx, Vec<Contract>) {
    let mut p = Program::new();
    p.push(Data::Output(Box::new(input.clone())))
        .input()
        .signtx();
    let values: Vec<Value> = outputs.iter().map(|(q, _)| open_value(*q, rng)).collect();
    for v in &values {
        p.push(v.qty.clone()).push(v.flv.clone());
    }
    p.cloak(1, outputs.len());
    for (_, owner) in outputs {
        p.push(Predicate::opaque(*owner.verification_key().as_compressed()))
            .output(1);
    }
    let unsigned = Prover::build_tx(header(0, u64::MAX), p).unwrap();
    let created: Vec<Contract> = unsigned
        .log
        .outputs()
        .zip(values.iter().zip(outputs))
        .map(|(logged, (v, (_, owner)))| {
            let c = owned(owner, v.clone(), logged.anchor);
            assert_eq!(c.id(), logged.id());
            c
        })
        .collect();
    (unsigned.sign().unwrap(), created)
}

/// Moves `input` to `owner` without a cloak (no multipliers: cheap).
fn relock(input: &Contract, owner: &SecretKey, tx_header: TxHeader) -> Tx {
    let mut p = Program::new();
    p.push(Data::Output(Box::new(input.clone())))
        .input()
        .signtx()
        .push(Predicate::opaque(*owner.verification_key().as_compressed()))
        .output(1);
    Prover::build_tx(tx_header, p).unwrap().sign().unwrap()
}

/// A network with `n` genesis UTXOs of 1000 owned by `alice`.
struct Net {
    chain: Chain,
    alice: SecretKey,
    genesis: Vec<Contract>,
    rng: StdRng,
}

impl Net {
    fn new(n: usize, seed: u64) -> Net {
        let mut rng = StdRng::seed_from_u64(seed);
        let alice = SecretKey::random(&mut rng);
        let block_key = SecretKey::random(&mut rng);
        let genesis: Vec<Contract> = (0..n)
            .map(|_| {
                let v = open_value(1000, &mut rng);
                owned(&alice, v, Anchor::from_bytes(rng.gen()))
            })
            .collect();
        let ids: Vec<_> = genesis.iter().map(Contract::id).collect();
        Net {
            chain: Chain::start(&ids, block_key),
            alice,
            genesis,
            rng,
        }
    }
}

impl core::ops::Deref for Net {
    type Target = Chain;
    fn deref(&self) -> &Chain {
        &self.chain
    }
}

impl core::ops::DerefMut for Net {
    fn deref_mut(&mut self) -> &mut Chain {
        &mut self.chain
    }
}

#[test]
fn payments_apply_block_after_block() {
    let mut net = Net::new(3, 1);
    let bob = SecretKey::random(&mut net.rng);
    let carol = SecretKey::random(&mut net.rng);
    let alice = net.alice.clone();

    // Block 2: Alice pays Bob 700, keeps 300.
    let (tx, created) = pay(&net.genesis[0], &[(700, &bob), (300, &alice)], &mut net.rng);
    let block = net.make(vec![tx]);
    let bytes = block.to_bytes();
    assert_eq!(Block::from_bytes(&bytes).unwrap(), block);
    net.apply(&block).unwrap();
    assert_eq!(net.state.tip.height, 2);
    assert_eq!(net.state.utxos.num_leaves(), 5);

    // Block 3: Bob pays Carol from his new output, and Alice spends another
    // genesis output and, in the same block, her change from block 2.
    let (tx_bob, _) = pay(&created[0], &[(650, &carol), (50, &bob)], &mut net.rng);
    let (tx_alice, _) = pay(&net.genesis[1], &[(1000, &carol)], &mut net.rng);
    let (tx_change, _) = pay(&created[1], &[(300, &carol)], &mut net.rng);
    let block = net.make(vec![tx_bob, tx_alice, tx_change]);
    net.apply(&block).unwrap();
    assert_eq!(net.state.tip.height, 3);

    // Block 4: an output created and spent within the same block.
    let (tx1, mid) = pay(&net.genesis[2], &[(1000, &bob)], &mut net.rng);
    let (tx2, _) = pay(&mid[0], &[(1000, &carol)], &mut net.rng);
    let block = net.make(vec![tx1, tx2]);
    let leaves_before = net.state.utxos.num_leaves();
    net.apply(&block).unwrap();
    // The intermediate output never enters the UTXO set.
    assert_eq!(net.state.utxos.num_leaves(), leaves_before + 1);

    // An empty block.
    let block = net.make(vec![]);
    net.apply(&block).unwrap();
    assert_eq!(net.state.tip.height, 5);
}

/// A block for `net` with its header changed by `f` and signed again.
fn altered(net: &Net, txs: Vec<Tx>, f: impl FnOnce(&mut Block)) -> Block {
    let mut block = net.make(txs);
    f(&mut block);
    block.signature = blockchain::sign_header(&block.header, &net.block_key);
    block
}

#[test]
fn header_rules_are_enforced() {
    let mut net = Net::new(2, 2);
    let bob = SecretKey::random(&mut net.rng);
    let tx = relock(&net.genesis[0], &bob, header(0, u64::MAX));

    let b = altered(&net, vec![tx.clone()], |b| b.header.height = 3);
    assert_eq!(
        net.state.apply_block(&b).err(),
        Some(BlockchainError::BadHeight {
            expected: 2,
            got: 3
        })
    );
    let b = altered(&net, vec![tx.clone()], |b| {
        let mut previd = b.header.previd.to_bytes();
        previd[0] ^= 1;
        b.header.previd = BlockID::from_bytes(previd);
    });
    assert_eq!(
        net.state.apply_block(&b).err(),
        Some(BlockchainError::BadPrevId)
    );
    let b = altered(&net, vec![tx.clone()], |b| b.header.timestamp_ms = T0);
    assert_eq!(
        net.state.apply_block(&b).err(),
        Some(BlockchainError::TimeNotIncreasing {
            previous: T0,
            got: T0
        })
    );
    let b = altered(&net, vec![tx.clone()], |b| b.header.ext = vec![1]);
    assert_eq!(
        net.state.apply_block(&b).err(),
        Some(BlockchainError::ExtNotEmpty)
    );
    let b = altered(&net, vec![tx.clone()], |b| b.header.version = 0);
    assert!(matches!(
        net.state.apply_block(&b),
        Err(BlockchainError::VersionDecreased { .. })
    ));
    let b = altered(&net, vec![tx.clone()], |b| b.header.utxoroot[0] ^= 1);
    assert_eq!(
        net.state.apply_block(&b).err(),
        Some(BlockchainError::UtxoRootMismatch)
    );
    let b = altered(&net, vec![tx.clone()], |b| b.header.txroot[0] ^= 1);
    assert_eq!(
        net.state.apply_block(&b).err(),
        Some(BlockchainError::TxRootMismatch)
    );

    // Signed by someone else, or not re-signed after a change.
    let mut b = net.make(vec![tx.clone()]);
    b.signature = blockchain::sign_header(&b.header, &SecretKey::random(&mut net.rng));
    assert_eq!(
        net.state.apply_block(&b).err(),
        Some(BlockchainError::BadSignature)
    );
    let mut b = net.make(vec![tx.clone()]);
    b.header.timestamp_ms += 1;
    assert_eq!(
        net.state.apply_block(&b).err(),
        Some(BlockchainError::BadSignature)
    );

    // Nothing was applied by the failures: the honest block still applies.
    let b = net.make(vec![tx]);
    net.apply(&b).unwrap();
}

#[test]
fn transaction_rules_are_enforced() {
    let mut net = Net::new(3, 3);
    let bob = SecretKey::random(&mut net.rng);
    let t = net.next_time();

    // Time bounds that exclude the block's time.
    let late = relock(&net.genesis[0], &bob, header(t + 1, u64::MAX));
    let early = relock(&net.genesis[0], &bob, header(0, t - 1));
    for tx in [late, early] {
        let err = net
            .state
            .make_block(&net.forest, vec![tx], t, &net.block_key)
            .err();
        assert_eq!(err, Some(BlockchainError::TxOutsideTimeBounds { index: 0 }));
    }

    // A version-2 transaction in a version-1 block.
    let mut v2 = header(0, u64::MAX);
    v2.version = 2;
    let tx = relock(&net.genesis[0], &bob, v2);
    assert_eq!(
        net.state
            .make_block(&net.forest, vec![tx], t, &net.block_key)
            .err(),
        Some(BlockchainError::TxVersion {
            index: 0,
            version: 2
        })
    );

    // Two spends of one output in one block.
    let a = relock(&net.genesis[0], &bob, header(0, u64::MAX));
    let carol = SecretKey::random(&mut net.rng);
    let b = relock(&net.genesis[0], &carol, header(0, u64::MAX));
    let id = net.genesis[0].id();
    assert_eq!(
        net.state
            .make_block(&net.forest, vec![a.clone(), b.clone()], t, &net.block_key)
            .err(),
        Some(BlockchainError::DoubleSpend { index: 1, id })
    );

    // Spent in one block, spent again in the next: the producer cannot
    // prove it, and a block carrying the old proof is rejected.
    let first = net.make(vec![a]);
    let stale_proof = first.utxo_proof.clone();
    net.apply(&first).unwrap();
    assert!(matches!(
        net.state.make_block(
            &net.forest,
            vec![b.clone()],
            net.next_time(),
            &net.block_key
        ),
        Err(BlockchainError::Utxo(_))
    ));
    let mut forged = Block {
        header: first.header.clone(),
        signature: first.signature,
        txs: vec![b],
        utxo_proof: stale_proof,
        certificate: None,
    };
    forged.header.height = 3;
    forged.header.previd = net.state.tip.id();
    forged.header.timestamp_ms = net.next_time();
    forged.header.txroot = blockchain::txroot(&forged.txs);
    forged.signature = blockchain::sign_header(&forged.header, &net.block_key);
    assert!(matches!(
        net.state.apply_block(&forged),
        Err(BlockchainError::Utxo(_))
    ));
}

#[test]
fn an_invalid_transaction_among_999_valid_ones_is_found_and_named() {
    let n = 1000;
    let mut net = Net::new(n, 4);
    let bob = SecretKey::random(&mut net.rng);
    let mut txs: Vec<Tx> = net
        .genesis
        .iter()
        .map(|c| relock(c, &bob, header(0, u64::MAX)))
        .collect();
    // Transaction 617 carries a signature for another transaction.
    txs[617].signature = txs[616].signature;
    let block = net
        .state
        .make_block(&net.forest, txs, net.next_time(), &net.block_key)
        .unwrap();
    assert_eq!(
        net.state.apply_block(&block).err(),
        Some(BlockchainError::InvalidTx {
            index: 617,
            error: VMError::PointChecksFailed
        })
    );
}

#[test]
fn garbage_blocks_are_decoding_errors() {
    let net = Net::new(1, 5);
    let block = net.make(vec![]);
    let bytes = block.to_bytes();
    for cut in [0, 10, bytes.len() - 1] {
        assert!(Block::from_bytes(&bytes[..cut]).is_err());
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(Block::from_bytes(&longer).is_err());
    let mut huge_count = bytes[..bytes.len()].to_vec();
    // The transaction count sits after the 124-byte header and the signature.
    huge_count[124 + 64..124 + 68].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(Block::from_bytes(&huge_count).is_err());
}

#[test]
fn a_node_bootstraps_from_a_snapshot_and_follows_new_blocks() {
    let mut net = Net::new(4, 6);
    let bob = SecretKey::random(&mut net.rng);
    for i in 0..2 {
        let tx = relock(&net.genesis[i], &bob, header(0, u64::MAX));
        let b = net.make(vec![tx]);
        net.apply(&b).unwrap();
    }
    let snapshot = net.state.to_snapshot();
    assert!(snapshot.len() < 4096, "{} bytes", snapshot.len());
    let tip = net.state.tip.id();
    let restored = ChainState::from_snapshot(&snapshot, Some(tip)).unwrap();
    assert_eq!(restored, net.state);

    // The restored node validates the next block like the original.
    let tx = relock(&net.genesis[2], &bob, header(0, u64::MAX));
    let block = net.make(vec![tx]);
    let (from_snapshot, _) = restored.apply_block(&block).unwrap();
    net.apply(&block).unwrap();
    assert_eq!(from_snapshot, net.state);

    // Another tip, a tampered accumulator, trailing bytes, truncation.
    assert_eq!(
        ChainState::from_snapshot(&snapshot, Some(net.state.tip.id())).err(),
        Some(BlockchainError::UntrustedSnapshot)
    );
    let mut tampered = snapshot.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(
        ChainState::from_snapshot(&tampered, None).err(),
        Some(BlockchainError::UtxoRootMismatch)
    );
    let mut longer = snapshot.clone();
    longer.push(0);
    assert!(ChainState::from_snapshot(&longer, None).is_err());
    assert!(ChainState::from_snapshot(&snapshot[..snapshot.len() - 1], None).is_err());
}

#[test]
fn a_snapshot_tip_is_checked_through_signed_headers() {
    let mut net = Net::new(3, 8);
    let start = net.state.clone();
    let bob = SecretKey::random(&mut net.rng);
    let mut signed = Vec::new();
    for i in 0..3 {
        let tx = relock(&net.genesis[i], &bob, header(0, u64::MAX));
        let b = net.make(vec![tx]);
        net.apply(&b).unwrap();
        signed.push((b.header.clone(), b.signature));
    }
    let walk = |hs: &[(BlockHeader, musig::Signature)]| {
        start.follow_headers(hs.iter().map(|(h, s)| (h, s)))
    };
    assert_eq!(walk(&signed).unwrap(), net.state.tip);
    assert_eq!(walk(&[]).unwrap(), start.tip);

    // A gap, a header signed by another key, a changed header.
    assert!(matches!(
        walk(&signed[1..]),
        Err(BlockchainError::BadHeight { .. })
    ));
    let mut forged = signed.clone();
    forged[2].1 = blockchain::sign_header(&forged[2].0, &SecretKey::random(&mut net.rng));
    assert_eq!(walk(&forged).err(), Some(BlockchainError::BadSignature));
    let mut changed = signed.clone();
    changed[1].0.utxoroot[0] ^= 1;
    assert_eq!(walk(&changed).err(), Some(BlockchainError::BadSignature));
}

/// Stage 1 (`VerifiedBlock::verify`, off the chain's thread) and stage 2
/// (`ChainState::apply_verified`) end where `apply_block` does, and keep
/// the bytes as received.
#[test]
fn two_stages_apply_a_block_as_one_call_does() {
    let mut net = Net::new(2, 7);
    let bob = SecretKey::random(&mut net.rng);
    let (tx1, _) = pay(&net.genesis[0], &[(1000, &bob)], &mut net.rng);
    let (tx2, _) = pay(&net.genesis[1], &[(600, &bob), (400, &bob)], &mut net.rng);
    let block = net.make(vec![tx1, tx2]);
    let bytes = block.to_bytes();

    let verified = VerifiedBlock::verify(bytes.clone(), &net.state, &()).unwrap();
    assert_eq!(verified.bytes(), bytes.as_slice());
    assert_eq!(verified.verified_here(), 2);
    assert_eq!(verified.id(), block.header.id());
    let staged = net.state.apply_verified(&verified).unwrap();
    let (direct, applied) = net.state.apply_block(&block).unwrap();
    assert_eq!(staged, direct);
    assert_eq!(verified.applied().additions, applied.additions);
    assert_eq!(verified.applied().deletions, applied.deletions);

    // Stage 2 checks the tip: once the block is applied, applying it
    // again is refused by its height.
    net.apply(&block).unwrap();
    assert!(matches!(
        net.state.apply_verified(&verified),
        Err(BlockchainError::BadHeight { .. })
    ));
}

/// Transactions known verified (a mempool's) are neither run nor checked
/// again; the others are, and a bad one among them is still named by its
/// position in the block.
#[test]
fn known_transactions_are_not_verified_again() {
    let mut net = Net::new(3, 8);
    let bob = SecretKey::random(&mut net.rng);
    let txs: Vec<Tx> = (0..3)
        .map(|i| pay(&net.genesis[i], &[(1000, &bob)], &mut net.rng).0)
        .collect();
    let mut known = HashMap::new();
    for tx in &txs[..2] {
        let v = zkvm::Verifier::precompute(tx).unwrap().verify().unwrap();
        known.insert(blockchain::witness_hash(tx), v);
    }
    let block = net.make(txs.clone());
    let verified = VerifiedBlock::verify(block.to_bytes(), &net.state, &known).unwrap();
    assert_eq!(verified.verified_here(), 1);
    let ids: Vec<_> = verified.applied().txs.iter().map(|t| t.id).collect();
    let expected: Vec<_> = txs
        .iter()
        .map(|tx| zkvm::Verifier::precompute(tx).unwrap().id)
        .collect();
    assert_eq!(ids, expected);

    // The third transaction's proof broken: found at index 2 though it is
    // the only one checked.
    let block = altered(&net, txs, |b| {
        b.txs[2].proof = b.txs[0].proof.clone();
        b.header.txroot = blockchain::txroot(&b.txs);
    });
    let err = VerifiedBlock::verify(block.to_bytes(), &net.state, &known).unwrap_err();
    assert!(
        matches!(err, BlockchainError::InvalidTx { index: 2, .. }),
        "{err:?}"
    );
    let empty = net.make(vec![]);
    net.apply(&empty).unwrap();
}

/// A block made from verified transactions runs no VM, and another node
/// verifying its bytes from nothing reaches the same state.
#[test]
fn a_block_made_from_verified_transactions_is_verified_by_construction() {
    let mut net = Net::new(2, 9);
    let bob = SecretKey::random(&mut net.rng);
    let pairs: Vec<(Tx, zkvm::VerifiedTx)> = (0..2)
        .map(|i| {
            let tx = pay(&net.genesis[i], &[(1000, &bob)], &mut net.rng).0;
            let v = zkvm::Verifier::precompute(&tx).unwrap().verify().unwrap();
            (tx, v)
        })
        .collect();
    let made = net
        .state
        .make_verified_block(&net.forest, pairs, net.next_time(), Some(&net.block_key))
        .unwrap();
    assert_eq!(made.verified_here(), 0);
    let decoded = Block::from_bytes(made.bytes()).unwrap();
    assert_eq!(&decoded, made.block());
    let (elsewhere, _) = net.state.apply_block(&decoded).unwrap();
    assert_eq!(net.state.apply_verified(&made).unwrap(), elsewhere);
    net.apply(&decoded).unwrap();
}
