#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The mempool: fee-rate order, the minimum relay fee rate, replace-by-fee
//! (a higher rate, and the fees of everything replaced plus the
//! incremental relay fee), double spends caught before the proof check,
//! the size cap, parents before children, and blocks that remove, evict
//! and re-prove.

mod common;

use accumulator::{Forest, Proof};
use blockchain::{
    utxo_leaf, witness_hash, Block, BlockRemovals, BlockchainError, ChainState, CheckedTx,
    ExecutedTx, Mempool, MempoolEntry, MempoolPolicy,
};
use common::{Chain, T0};
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use zkvm::{
    Anchor, Commitment, Contract, Data, Encodable, FeeRate, PortableItem, Predicate, Program,
    Prover, Tx, TxHeader, TxID, VMError, Value,
};

const ANY_TIME: TxHeader = TxHeader {
    version: 1,
    mintime_ms: 0,
    maxtime_ms: u64::MAX,
};

/// A spendable output: the contract (with its value's opening) and its
/// quantity, in the fee flavor (zero), so that it can pay fees.
#[derive(Clone)]
struct Coin {
    contract: Contract,
    qty: u64,
}

fn owned(owner: &SecretKey, qty: u64, anchor: Anchor, rng: &mut StdRng) -> Coin {
    let value = Value {
        qty: Commitment::blinded_with_factor(qty, Scalar::random(rng)),
        flv: Commitment::blinded_with_factor(Scalar::ZERO, Scalar::random(rng)),
    };
    Coin {
        contract: Contract {
            anchor,
            predicate: Predicate::key(owner.clone()),
            payload: vec![PortableItem::Value(value)],
        },
        qty,
    }
}

/// A network with `n` genesis coins of 1000 owned by `alice`.
struct Net {
    chain: Chain,
    alice: SecretKey,
    genesis: Vec<Coin>,
    rng: StdRng,
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

impl Net {
    fn new(n: usize, seed: u64) -> Net {
        let mut rng = StdRng::seed_from_u64(seed);
        let alice = SecretKey::random(&mut rng);
        let block_key = SecretKey::random(&mut rng);
        let genesis: Vec<Coin> = (0..n)
            .map(|_| {
                let anchor = Anchor::from_bytes(rng.gen());
                owned(&alice, 1000, anchor, &mut rng)
            })
            .collect();
        let ids: Vec<_> = genesis.iter().map(|c| c.contract.id()).collect();
        Net {
            chain: Chain::start(&ids, block_key),
            alice,
            genesis,
            rng,
        }
    }

    /// Spends `inputs` (owned by Alice), paying `fee` and splitting the
    /// rest evenly among `owners`.
    fn spend(
        &mut self,
        inputs: &[&Coin],
        fee: u32,
        owners: &[&SecretKey],
        header: TxHeader,
    ) -> (Tx, Vec<Coin>) {
        let total: u64 = inputs.iter().map(|c| c.qty).sum::<u64>() - u64::from(fee);
        let n = owners.len() as u64;
        let mut p = Program::new();
        for c in inputs {
            p.push(Data::Output(Box::new(c.contract.clone())))
                .input()
                .signtx();
        }
        p.push(Data::U32(fee)).fee();
        let shares: Vec<(u64, Coin)> = owners
            .iter()
            .enumerate()
            .map(|(i, owner)| {
                let qty = if i as u64 + 1 == n {
                    total - (n - 1) * (total / n)
                } else {
                    total / n
                };
                (qty, owned(owner, qty, Anchor::default(), &mut self.rng))
            })
            .collect();
        for (_, coin) in &shares {
            let PortableItem::Value(v) = &coin.contract.payload[0] else {
                unreachable!()
            };
            p.push(v.qty.clone()).push(v.flv.clone());
        }
        p.cloak(inputs.len() + 1, owners.len());
        for owner in owners {
            p.push(Predicate::opaque(*owner.verification_key().as_compressed()))
                .output(1);
        }
        let unsigned = Prover::build_tx(header, p).unwrap();
        let created = unsigned
            .log
            .outputs()
            .zip(shares)
            .map(|(logged, (_, mut coin))| {
                coin.contract.anchor = logged.anchor;
                assert_eq!(coin.contract.id(), logged.id());
                coin
            })
            .collect();
        (unsigned.sign().unwrap(), created)
    }

    /// Alice pays one coin to herself with `fee` (all such transactions
    /// have the same size, so their fee rates rank as their fees).
    fn pay(&mut self, input: &Coin, fee: u32) -> (Tx, Coin) {
        let alice = self.alice.clone();
        let (tx, mut out) = self.spend(&[input], fee, &[&alice], ANY_TIME);
        (tx, out.remove(0))
    }

    /// The Utreexo proof of `coins` against the current UTXO set.
    fn prove(&self, coins: &[&Coin]) -> Proof {
        if coins.is_empty() {
            return Proof::empty();
        }
        let leaves: Vec<_> = coins.iter().map(|c| utxo_leaf(&c.contract.id())).collect();
        self.forest.prove(&leaves).unwrap()
    }

    /// Applies `block` to the chain, the forest and `pool`.
    fn apply(&mut self, block: &Block, pool: &mut Mempool) -> BlockRemovals {
        let applied = self.chain.apply(block).unwrap();
        pool.apply_block(&applied, &self.chain.state, &self.chain.forest)
            .unwrap()
    }
}

fn txid(tx: &Tx) -> TxID {
    zkvm::Verifier::precompute(tx).unwrap().id
}

fn ids(txs: &[&Tx]) -> Vec<TxID> {
    txs.iter().map(|tx| txid(tx)).collect()
}

fn order(pool: &Mempool) -> Vec<TxID> {
    pool.iter_by_fee_rate().map(MempoolEntry::txid).collect()
}

fn sorted(mut v: Vec<TxID>) -> Vec<TxID> {
    v.sort();
    v
}

/// Every entry's stored proof proves its UTXO inputs against the state.
fn assert_proofs_valid(pool: &Mempool, state: &ChainState) {
    for e in pool.iter_by_fee_rate() {
        state
            .utxos
            .verify(e.utxo_proof(), &e.utxo_leaves())
            .unwrap();
    }
}

#[test]
fn transactions_are_ordered_by_fee_rate() {
    let mut net = Net::new(5, 1);
    let mut pool = Mempool::new(1 << 20);
    let g = net.genesis.clone();
    let mut txs = Vec::new();
    for (coin, fee) in g.iter().zip([5, 20, 1, 10]) {
        let (tx, _) = net.pay(coin, fee);
        let out = pool
            .insert(tx.clone(), net.prove(&[coin]), &net.state)
            .unwrap();
        assert_eq!(out.txid, txid(&tx));
        assert!(out.replaced.is_empty() && out.evicted.is_empty());
        txs.push(tx);
    }
    assert_eq!(pool.len(), 4);
    assert_eq!(order(&pool), ids(&[&txs[1], &txs[3], &txs[0], &txs[2]]));
    let fees: Vec<u64> = pool
        .iter_by_fee_rate()
        .map(|e| e.fee_rate().fee())
        .collect();
    assert_eq!(fees, [20, 10, 5, 1]);

    let size = txs[0].encoded_size();
    assert!(txs.iter().all(|tx| tx.encoded_size() == size));
    assert_eq!(pool.size_bytes(), 4 * size);
    let e = pool.get(&txid(&txs[2])).unwrap();
    assert_eq!(e.tx(), &txs[2]);
    assert_eq!(e.utxo_inputs(), &[g[2].contract.id()]);
    assert!(pool.contains_spend(&g[2].contract.id()));
    assert!(!pool.contains_spend(&g[4].contract.id()));

    // A block's share per transaction is its encoding and a 4-byte length.
    let t = net.next_time();
    assert_eq!(
        pool.select(2 * (size + 4), t),
        vec![txs[1].clone(), txs[3].clone()]
    );
    assert_eq!(pool.select(2 * (size + 4) - 1, t), vec![txs[1].clone()]);
    assert_eq!(pool.select(0, t), Vec::<Tx>::new());

    // The selection makes a valid block, which empties the pool.
    let block = net.make(pool.select(usize::MAX, t));
    let removed = net.apply(&block, &mut pool);
    assert_eq!(
        sorted(removed.included),
        sorted(ids(&txs.iter().collect::<Vec<_>>()))
    );
    assert!(pool.is_empty());
    assert_eq!(pool.size_bytes(), 0);

    assert_eq!(pool.remove(&txid(&txs[0])), vec![]);
}

#[test]
fn duplicates_expired_and_unproven_transactions_are_rejected() {
    let mut net = Net::new(3, 2);
    let mut pool = Mempool::new(1 << 20);
    let g = net.genesis.clone();
    let (tx, _) = net.pay(&g[0], 5);
    pool.insert(tx.clone(), net.prove(&[&g[0]]), &net.state)
        .unwrap();
    assert_eq!(
        pool.insert(tx.clone(), net.prove(&[&g[0]]), &net.state),
        Err(BlockchainError::AlreadyKnown { txid: txid(&tx) })
    );

    // Valid at no block after the tip (the next block is later).
    let alice = net.alice.clone();
    let stale = TxHeader {
        maxtime_ms: T0,
        ..ANY_TIME
    };
    let (expired, _) = net.spend(&[&g[1]], 5, &[&alice], stale);
    assert_eq!(
        pool.insert(expired, net.prove(&[&g[1]]), &net.state),
        Err(BlockchainError::TxExpired {
            maxtime_ms: T0,
            tip_ms: T0
        })
    );

    // No proof, a proof of another output, an output that does not exist.
    let (tx1, _) = net.pay(&g[1], 5);
    assert!(matches!(
        pool.insert(tx1.clone(), Proof::empty(), &net.state),
        Err(BlockchainError::Utxo(_))
    ));
    assert!(matches!(
        pool.insert(tx1.clone(), net.prove(&[&g[2]]), &net.state),
        Err(BlockchainError::Utxo(_))
    ));
    let ghost = owned(&alice, 1000, Anchor::from_bytes([7; 32]), &mut net.rng);
    let (tx2, _) = net.pay(&ghost, 5);
    assert!(matches!(
        pool.insert(tx2, net.prove(&[&g[2]]), &net.state),
        Err(BlockchainError::Utxo(_))
    ));
    // One output spent twice by one transaction.
    let (twice, _) = net.spend(&[&g[2], &g[2]], 5, &[&alice], ANY_TIME);
    assert_eq!(
        pool.insert(twice, net.prove(&[&g[2]]), &net.state),
        Err(BlockchainError::DoubleSpend {
            index: 0,
            id: g[2].contract.id()
        })
    );
    assert_eq!(pool.len(), 1);

    // After a block, the old state is refused; a forest that did not
    // follow the block is too.
    let old_state = net.state.clone();
    let block = net.make(vec![]);
    let (state, applied) = net.state.apply_block(&block).unwrap();
    assert_eq!(
        pool.apply_block(&applied, &state, &Forest::new()),
        Err(BlockchainError::ForestMismatch)
    );
    // (An empty block leaves the forest as it was.)
    pool.apply_block(&applied, &state, &net.forest).unwrap();
    net.state = state;
    assert_eq!(
        pool.insert(tx1.clone(), net.prove(&[&g[1]]), &old_state),
        Err(BlockchainError::MempoolTipMismatch {
            pool: net.state.tip.id(),
            state: old_state.tip.id()
        })
    );
    pool.insert(tx1, net.prove(&[&g[1]]), &net.state).unwrap();
    assert_eq!(pool.len(), 2);
}

#[test]
fn replacement_needs_a_strictly_higher_fee_rate() {
    let mut net = Net::new(2, 3);
    let mut pool = Mempool::new(1 << 20);
    let g = net.genesis.clone();
    let (a, a_out) = net.pay(&g[0], 10);
    let (child, _) = net.pay(&a_out, 30);
    pool.insert(a.clone(), net.prove(&[&g[0]]), &net.state)
        .unwrap();
    pool.insert(child.clone(), Proof::empty(), &net.state)
        .unwrap();
    assert!(pool.contains_spend(&a_out.contract.id()));

    let conflict = Err(BlockchainError::Conflict {
        id: g[0].contract.id(),
        txid: txid(&a),
    });
    for fee in [10, 9] {
        let (rival, _) = net.pay(&g[0], fee);
        assert_eq!(
            pool.insert(rival, net.prove(&[&g[0]]), &net.state)
                .map(|o| o.txid),
            conflict
        );
    }
    assert_eq!(pool.len(), 2);

    // A replacement cannot spend an output of the transaction it replaces.
    let alice = net.alice.clone();
    let (parricide, _) = net.spend(&[&g[0], &a_out], 500, &[&alice], ANY_TIME);
    assert_eq!(
        pool.insert(parricide, net.prove(&[&g[0]]), &net.state),
        Err(BlockchainError::Conflict {
            id: a_out.contract.id(),
            txid: txid(&a)
        })
    );

    // A higher fee rate than `a`'s is not enough: the replacement also pays
    // the fees of `a` and of its child, plus the incremental relay fee for
    // its own size (default policy).
    let (cheap, _) = net.pay(&g[0], 11);
    let size = cheap.encoded_size();
    let needed = pool.policy().replacement_fee(10 + 30, size);
    assert!(needed > 40);
    assert_eq!(
        pool.insert(cheap, net.prove(&[&g[0]]), &net.state),
        Err(BlockchainError::ReplacementFeeTooLow {
            paid: 11,
            needed,
            replaced_fees: 40,
            replaced: 2
        })
    );
    let (short, _) = net.pay(&g[0], needed as u32 - 1);
    assert!(matches!(
        pool.insert(short, net.prove(&[&g[0]]), &net.state),
        Err(BlockchainError::ReplacementFeeTooLow { .. })
    ));
    assert_eq!(order(&pool), ids(&[&a, &child]));

    // Enough replaces it, and its child goes with it.
    let (better, _) = net.pay(&g[0], needed as u32);
    let out = pool
        .insert(better.clone(), net.prove(&[&g[0]]), &net.state)
        .unwrap();
    assert_eq!(out.replaced, ids(&[&a, &child]));
    assert!(out.evicted.is_empty());
    assert_eq!(order(&pool), ids(&[&better]));
    assert!(!pool.contains_spend(&a_out.contract.id()));
    assert_eq!(pool.size_bytes(), better.encoded_size());
}

/// A pool of 1 MiB with these relay fee rates.
fn pool_with(min_relay_fee_rate: FeeRate, incremental_relay_fee_rate: FeeRate) -> Mempool {
    Mempool::with_policy(MempoolPolicy {
        max_bytes: 1 << 20,
        min_relay_fee_rate,
        incremental_relay_fee_rate,
    })
}

#[test]
fn a_fee_rate_below_the_minimum_is_refused_before_the_proof_check() {
    let mut net = Net::new(4, 10);
    let g = net.genesis.clone();
    let (probe, _) = net.pay(&g[0], 10);
    let size = probe.encoded_size();
    // The minimum is exactly the rate of a fee of 10 at this size.
    let minimum = FeeRate::new(10, size);
    let mut pool = pool_with(minimum, FeeRate::new(0, 1));
    let too_low = Err(BlockchainError::FeeRateTooLow {
        fee_rate: FeeRate::new(9, size),
        minimum,
    });

    let (low, _) = net.pay(&g[0], 9);
    assert_eq!(
        pool.insert(low.clone(), net.prove(&[&g[0]]), &net.state)
            .map(|o| o.txid),
        too_low
    );
    let e = pool
        .insert(low.clone(), net.prove(&[&g[0]]), &net.state)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("minimum relay fee rate") && e.contains("at least 10"),
        "{e}"
    );

    // With another transaction's proof and no Utreexo proof at all, the
    // fee rate is still what is refused: neither proof is looked at.
    let corrupt = Tx {
        proof: net.pay(&g[1], 10).0.proof,
        ..low.clone()
    };
    assert_eq!(
        pool.insert(corrupt.clone(), Proof::empty(), &net.state)
            .map(|o| o.txid),
        too_low
    );
    // Pre-verified or not, the same rule; and a caller verifying for the
    // pool is spared the proof check too.
    let checked = CheckedTx::verify(low.clone()).unwrap();
    assert_eq!(
        pool.insert_verified(checked, net.prove(&[&g[0]]), &net.state)
            .map(|o| o.txid),
        too_low
    );
    assert_eq!(
        CheckedTx::verify_relayable(corrupt, pool.policy()).map(|c| c.verified().id),
        too_low
    );
    assert!(matches!(
        CheckedTx::verify_relayable(
            Tx {
                proof: low.proof.clone(),
                ..probe.clone()
            },
            pool.policy()
        ),
        Err(BlockchainError::InvalidTx { .. })
    ));
    assert!(pool.is_empty());

    // Exactly the minimum is accepted.
    let out = pool
        .insert(probe.clone(), net.prove(&[&g[0]]), &net.state)
        .unwrap();
    assert_eq!(out.fee_rate, minimum);
    assert_eq!(
        CheckedTx::verify_relayable(probe.clone(), pool.policy())
            .unwrap()
            .verified()
            .id,
        txid(&probe)
    );

    // The default policy refuses a transaction without a fee, and takes one
    // paying a single unit (docs/spec/blockchain.md §Mempool, Relay fees).
    let mut default = Mempool::new(1 << 20);
    assert_eq!(default.policy(), &MempoolPolicy::with_max_bytes(1 << 20));
    let (free, _) = net.pay(&g[2], 0);
    assert!(matches!(
        default.insert(free, net.prove(&[&g[2]]), &net.state),
        Err(BlockchainError::FeeRateTooLow { .. })
    ));
    let (one, _) = net.pay(&g[2], 1);
    assert!(one.encoded_size() <= 2000);
    default
        .insert(one, net.prove(&[&g[2]]), &net.state)
        .unwrap();

    // A policy without a minimum takes a zero fee.
    let mut free_pool = Mempool::with_policy(MempoolPolicy::free(1 << 20));
    let (free, _) = net.pay(&g[3], 0);
    free_pool
        .insert(free, net.prove(&[&g[3]]), &net.state)
        .unwrap();
}

#[test]
fn a_replacement_pays_the_fees_it_replaces_plus_the_incremental_fee() {
    let mut net = Net::new(4, 11);
    let g = net.genesis.clone();
    let alice = net.alice.clone();
    let (probe, _) = net.pay(&g[0], 1);
    let size = probe.encoded_size();
    // 5 units for a replacement of `pay`'s size.
    let incremental = FeeRate::new(5, size);
    let mut pool = pool_with(FeeRate::new(0, 1), incremental);

    // One conflict, no descendants: 10 + 5.
    let (a, _) = net.pay(&g[0], 10);
    pool.insert(a.clone(), net.prove(&[&g[0]]), &net.state)
        .unwrap();
    let (r14, _) = net.pay(&g[0], 14);
    assert_eq!(
        pool.insert(r14, net.prove(&[&g[0]]), &net.state),
        Err(BlockchainError::ReplacementFeeTooLow {
            paid: 14,
            needed: 15,
            replaced_fees: 10,
            replaced: 1
        })
    );
    let (r15, r15_out) = net.pay(&g[0], 15);
    let out = pool
        .insert(r15.clone(), net.prove(&[&g[0]]), &net.state)
        .unwrap();
    assert_eq!(out.replaced, ids(&[&a]));

    // Descendants count: r15 (15) <- child (30) <- grandchild (20). A
    // replacement of r15 paying a far higher rate than r15 but less than
    // 65 + 5 is refused; 70 exactly replaces all three.
    let (child, child_out) = net.pay(&r15_out, 30);
    let (grandchild, _) = net.pay(&child_out, 20);
    pool.insert(child.clone(), Proof::empty(), &net.state)
        .unwrap();
    pool.insert(grandchild.clone(), Proof::empty(), &net.state)
        .unwrap();
    let (r69, _) = net.pay(&g[0], 69);
    assert_eq!(
        pool.insert(r69, net.prove(&[&g[0]]), &net.state),
        Err(BlockchainError::ReplacementFeeTooLow {
            paid: 69,
            needed: 70,
            replaced_fees: 65,
            replaced: 3
        })
    );
    assert_eq!(pool.len(), 3);
    let (r70, _) = net.pay(&g[0], 70);
    let out = pool
        .insert(r70.clone(), net.prove(&[&g[0]]), &net.state)
        .unwrap();
    assert_eq!(out.replaced, ids(&[&r15, &child, &grandchild]));
    assert_eq!(order(&pool), ids(&[&r70]));

    // Two direct conflicts: a replacement spending both inputs pays both
    // fees plus the incremental fee for its own (larger) size, and a
    // higher rate than each.
    let (b, _) = net.pay(&g[1], 10);
    let (c, _) = net.pay(&g[2], 20);
    pool.insert(b.clone(), net.prove(&[&g[1]]), &net.state)
        .unwrap();
    pool.insert(c.clone(), net.prove(&[&g[2]]), &net.state)
        .unwrap();
    let (both, _) = net.spend(&[&g[1], &g[2]], 1, &[&alice], ANY_TIME);
    let both_size = both.encoded_size();
    assert!(both_size > size);
    let needed = 30 + blockchain::fee_for(incremental, both_size);
    assert_eq!(needed, pool.policy().replacement_fee(30, both_size));
    // A fee rate above both, one unit short of the fees.
    let (short, _) = net.spend(&[&g[1], &g[2]], needed as u32 - 1, &[&alice], ANY_TIME);
    assert!(FeeRate::new(needed - 1, both_size) > FeeRate::new(20, size));
    assert_eq!(
        pool.insert(short, net.prove(&[&g[1], &g[2]]), &net.state),
        Err(BlockchainError::ReplacementFeeTooLow {
            paid: needed - 1,
            needed,
            replaced_fees: 30,
            replaced: 2
        })
    );
    let (enough, _) = net.spend(&[&g[1], &g[2]], needed as u32, &[&alice], ANY_TIME);
    let out = pool
        .insert(enough.clone(), net.prove(&[&g[1], &g[2]]), &net.state)
        .unwrap();
    assert_eq!(sorted(out.replaced), sorted(ids(&[&b, &c])));

    // The rate rule still comes first and is strict: with no incremental
    // fee, paying the replaced fee exactly at the same rate is a conflict.
    let mut plain = pool_with(FeeRate::new(0, 1), FeeRate::new(0, 1));
    let (d, _) = net.pay(&g[3], 10);
    plain
        .insert(d.clone(), net.prove(&[&g[3]]), &net.state)
        .unwrap();
    let (same, _) = net.pay(&g[3], 10);
    assert_eq!(
        plain.insert(same, net.prove(&[&g[3]]), &net.state),
        Err(BlockchainError::Conflict {
            id: g[3].contract.id(),
            txid: txid(&d)
        })
    );
    let (plus_one, _) = net.pay(&g[3], 11);
    assert_eq!(
        plain
            .insert(plus_one, net.prove(&[&g[3]]), &net.state)
            .unwrap()
            .replaced,
        ids(&[&d])
    );
}

#[test]
fn a_double_spend_is_rejected_before_its_proof_is_checked() {
    let mut net = Net::new(2, 4);
    let g = net.genesis.clone();
    let (a, _) = net.pay(&g[0], 10);
    // Double spends of g[0] carrying the proof of another transaction (of
    // the same shape, so the VM runs and only the proof check fails).
    let (other, _) = net.pay(&g[1], 10);
    let corrupt = |tx: Tx| Tx {
        proof: other.proof.clone(),
        ..tx
    };
    let low = corrupt(net.pay(&g[0], 5).0);
    let high = corrupt(net.pay(&g[0], 50).0);

    // Alone, their proofs are found invalid.
    let mut empty = Mempool::new(1 << 20);
    for tx in [&low, &high] {
        assert!(matches!(
            empty.insert(tx.clone(), net.prove(&[&g[0]]), &net.state),
            Err(BlockchainError::InvalidTx {
                index: 0,
                error: VMError::InvalidR1CSProof(_)
            })
        ));
    }
    assert!(empty.is_empty());

    // Against the pool, the lower fee rate is a conflict: the proof is
    // never looked at.
    let mut pool = Mempool::new(1 << 20);
    pool.insert(a.clone(), net.prove(&[&g[0]]), &net.state)
        .unwrap();
    assert_eq!(
        pool.insert(low, net.prove(&[&g[0]]), &net.state),
        Err(BlockchainError::Conflict {
            id: g[0].contract.id(),
            txid: txid(&a)
        })
    );
    // A higher fee rate gets to the proof check, fails it, and replaces
    // nothing.
    assert!(matches!(
        pool.insert(high, net.prove(&[&g[0]]), &net.state),
        Err(BlockchainError::InvalidTx { .. })
    ));
    assert_eq!(order(&pool), ids(&[&a]));
}

#[test]
fn a_full_pool_evicts_lower_fee_rates_or_rejects() {
    let mut net = Net::new(6, 5);
    let g = net.genesis.clone();
    let (probe, _) = net.pay(&g[0], 1);
    let size = probe.encoded_size();
    let mut pool = Mempool::new(3 * size);
    let mut txs = Vec::new();
    for (coin, fee) in g.iter().zip([3, 4, 5]) {
        let (tx, _) = net.pay(coin, fee);
        pool.insert(tx.clone(), net.prove(&[coin]), &net.state)
            .unwrap();
        txs.push(tx);
    }
    assert_eq!(pool.size_bytes(), 3 * size);

    let (cheap, _) = net.pay(&g[3], 3);
    assert_eq!(
        pool.insert(cheap, net.prove(&[&g[3]]), &net.state),
        Err(BlockchainError::MempoolFull {
            size,
            limit: 3 * size
        })
    );
    let (rich, _) = net.pay(&g[3], 6);
    let out = pool
        .insert(rich.clone(), net.prove(&[&g[3]]), &net.state)
        .unwrap();
    assert_eq!(out.evicted, ids(&[&txs[0]]));
    assert_eq!(order(&pool), ids(&[&rich, &txs[2], &txs[1]]));
    assert_eq!(pool.size_bytes(), 3 * size);

    // A parent is evicted with its child, and only if the new transaction
    // pays a higher rate than both; the new transaction's own parent is
    // never evicted.
    let mut pool = Mempool::new(3 * size);
    let (parent, parent_out) = net.pay(&g[0], 2);
    let (child, _) = net.pay(&parent_out, 50);
    let (other, _) = net.pay(&g[1], 4);
    pool.insert(parent.clone(), net.prove(&[&g[0]]), &net.state)
        .unwrap();
    pool.insert(child.clone(), Proof::empty(), &net.state)
        .unwrap();
    pool.insert(other.clone(), net.prove(&[&g[1]]), &net.state)
        .unwrap();
    let (mid, _) = net.pay(&g[2], 10);
    let out = pool
        .insert(mid.clone(), net.prove(&[&g[2]]), &net.state)
        .unwrap();
    assert_eq!(out.evicted, ids(&[&other]));
    let (low, _) = net.pay(&g[3], 3);
    assert!(matches!(
        pool.insert(low, net.prove(&[&g[3]]), &net.state),
        Err(BlockchainError::MempoolFull { .. })
    ));
    let (top, _) = net.pay(&g[3], 60);
    let out = pool
        .insert(top.clone(), net.prove(&[&g[3]]), &net.state)
        .unwrap();
    assert_eq!(out.evicted, ids(&[&parent, &child]));
    assert_eq!(order(&pool), ids(&[&top, &mid]));

    let mut pool = Mempool::new(2 * size);
    let (parent, parent_out) = net.pay(&g[4], 1);
    let (other, _) = net.pay(&g[5], 2);
    pool.insert(parent.clone(), net.prove(&[&g[4]]), &net.state)
        .unwrap();
    pool.insert(other.clone(), net.prove(&[&g[5]]), &net.state)
        .unwrap();
    let (child, _) = net.pay(&parent_out, 100);
    let out = pool
        .insert(child.clone(), Proof::empty(), &net.state)
        .unwrap();
    assert_eq!(out.evicted, ids(&[&other]));
    assert_eq!(order(&pool), ids(&[&parent, &child]));

    // Larger than the whole pool.
    let mut tiny = Mempool::new(size - 1);
    assert_eq!(
        tiny.insert(probe, net.prove(&[&g[0]]), &net.state),
        Err(BlockchainError::MempoolFull {
            size,
            limit: size - 1
        })
    );
}

#[test]
fn children_are_selected_after_their_parents() {
    let mut net = Net::new(3, 6);
    let mut pool = Mempool::new(1 << 20);
    let g = net.genesis.clone();
    let alice = net.alice.clone();
    let parent_time = TxHeader {
        maxtime_ms: net.next_time(),
        ..ANY_TIME
    };
    let (parent, parent_out) = net.spend(&[&g[0]], 1, &[&alice], parent_time);
    let parent_out = parent_out[0].clone();
    // The child spends the parent's output and a UTXO; its proof is of the
    // UTXO alone.
    let (child, _) = net.spend(&[&parent_out, &g[1]], 200, &[&alice], ANY_TIME);
    let (other, _) = net.pay(&g[2], 10);
    pool.insert(parent.clone(), net.prove(&[&g[0]]), &net.state)
        .unwrap();
    pool.insert(child.clone(), net.prove(&[&g[1]]), &net.state)
        .unwrap();
    pool.insert(other.clone(), net.prove(&[&g[2]]), &net.state)
        .unwrap();
    let e = pool.get(&txid(&child)).unwrap();
    assert_eq!(e.utxo_inputs(), &[g[1].contract.id()]);
    assert!(e.fee_rate() > pool.get(&txid(&other)).unwrap().fee_rate());

    assert_eq!(order(&pool), ids(&[&other, &parent, &child]));
    let t = net.next_time();
    let all = pool.select(usize::MAX, t);
    assert_eq!(all, vec![other.clone(), parent.clone(), child.clone()]);
    // Without room for the child, or with the parent expired at the block's
    // time, the child stays out.
    let two = other.encoded_size() + parent.encoded_size() + 8;
    assert_eq!(pool.select(two, t), vec![other.clone(), parent.clone()]);
    assert_eq!(pool.select(usize::MAX, t + 1), vec![other.clone()]);

    let block = net.make(all);
    let removed = net.apply(&block, &mut pool);
    assert_eq!(removed.included, ids(&[&other, &parent, &child]));
    assert!(pool.is_empty());
}

#[test]
fn a_block_removes_included_transactions_and_evicts_conflicting_ones() {
    let mut net = Net::new(4, 7);
    let mut pool = Mempool::new(1 << 20);
    let g = net.genesis.clone();
    let alice = net.alice.clone();
    let (a, a_out) = net.pay(&g[0], 10);
    let (a_child, _) = net.pay(&a_out, 10);
    let (b, b_out) = net.pay(&g[1], 10);
    let (b_child, _) = net.pay(&b_out, 10);
    let soon = TxHeader {
        maxtime_ms: net.next_time(),
        ..ANY_TIME
    };
    let (expiring, _) = net.spend(&[&g[2]], 10, &[&alice], soon);
    let (kept, _) = net.pay(&g[3], 10);
    for (tx, coins) in [
        (&a, vec![&g[0]]),
        (&a_child, vec![]),
        (&b, vec![&g[1]]),
        (&b_child, vec![]),
        (&expiring, vec![&g[2]]),
        (&kept, vec![&g[3]]),
    ] {
        pool.insert(tx.clone(), net.prove(&coins), &net.state)
            .unwrap();
    }
    assert_eq!(pool.len(), 6);

    // The block includes `a` and another spend of `b`'s input.
    let (rival, _) = net.pay(&g[1], 1);
    let block = net.make(vec![a.clone(), rival]);
    let removed = net.apply(&block, &mut pool);
    assert_eq!(
        removed,
        BlockRemovals {
            included: ids(&[&a]),
            conflicting: ids(&[&b, &b_child]),
            expired: ids(&[&expiring]),
            unprovable: vec![],
        }
    );
    assert_eq!(sorted(order(&pool)), sorted(ids(&[&a_child, &kept])));
    assert_eq!(
        pool.size_bytes(),
        a_child.encoded_size() + kept.encoded_size()
    );
    // `a_child` now spends an unspent output, proven against the new state.
    let e = pool.get(&txid(&a_child)).unwrap();
    assert_eq!(e.utxo_inputs(), &[a_out.contract.id()]);
    assert_proofs_valid(&pool, &net.state);

    let block = net.make(pool.select(usize::MAX, net.next_time()));
    let removed = net.apply(&block, &mut pool);
    assert_eq!(sorted(removed.included), sorted(ids(&[&a_child, &kept])));
    assert!(pool.is_empty());
}

#[test]
fn proofs_of_remaining_transactions_stay_valid_across_three_blocks() {
    let mut net = Net::new(10, 8);
    let mut pool = Mempool::new(1 << 20);
    let g = net.genesis.clone();
    let mut waiting = Vec::new();
    for (coin, fee) in g[..4].iter().zip([1, 2, 3, 4]) {
        let (tx, _) = net.pay(coin, fee);
        pool.insert(tx.clone(), net.prove(&[coin]), &net.state)
            .unwrap();
        waiting.push(tx);
    }
    let first_proofs: Vec<Proof> = pool
        .iter_by_fee_rate()
        .map(|e| e.utxo_proof().clone())
        .collect();

    // Three blocks of other payments, each deleting and adding leaves; the
    // last one also spends an output of the first.
    let (t1, out1) = net.pay(&g[4], 1);
    let (t2, _) = net.pay(&g[5], 1);
    let (t3, _) = net.pay(&g[6], 1);
    let (t4, _) = net.pay(&out1, 1);
    let (t5, _) = net.pay(&g[7], 1);
    for txs in [vec![t1, t2], vec![t3], vec![t4, t5]] {
        let block = net.make(txs);
        let removed = net.apply(&block, &mut pool);
        assert_eq!(removed, BlockRemovals::default());
        assert_eq!(pool.len(), 4);
        assert_proofs_valid(&pool, &net.state);
    }
    // The proofs changed: the old ones no longer verify.
    for (e, old) in pool.iter_by_fee_rate().zip(&first_proofs) {
        assert_ne!(e.utxo_proof(), old);
        assert!(net.state.utxos.verify(old, &e.utxo_leaves()).is_err());
    }

    // A later block including them applies.
    let txs = pool.select(usize::MAX, net.next_time());
    assert_eq!(txs.len(), 4);
    let block = net.make(txs);
    let removed = net.apply(&block, &mut pool);
    assert_eq!(
        sorted(removed.included),
        sorted(ids(&waiting.iter().collect::<Vec<_>>()))
    );
    assert!(pool.is_empty());
}

#[test]
fn a_pool_that_missed_a_block_drops_what_it_can_no_longer_prove() {
    let mut net = Net::new(3, 9);
    let mut pool = Mempool::new(1 << 20);
    let g = net.genesis.clone();
    let (a, a_out) = net.pay(&g[0], 10);
    let (a_child, _) = net.pay(&a_out, 10);
    let (kept, _) = net.pay(&g[1], 10);
    pool.insert(a.clone(), net.prove(&[&g[0]]), &net.state)
        .unwrap();
    pool.insert(a_child.clone(), Proof::empty(), &net.state)
        .unwrap();
    pool.insert(kept.clone(), net.prove(&[&g[1]]), &net.state)
        .unwrap();

    // A block the pool never sees spends `a`'s input; the next one it sees.
    let (rival, _) = net.pay(&g[0], 1);
    let missed = net.make(vec![rival]);
    let mut unaware = Mempool::new(0);
    net.apply(&missed, &mut unaware);
    let (other, _) = net.pay(&g[2], 1);
    let block = net.make(vec![other]);
    let removed = net.apply(&block, &mut pool);
    assert_eq!(
        removed,
        BlockRemovals {
            unprovable: ids(&[&a, &a_child]),
            ..BlockRemovals::default()
        }
    );
    assert_eq!(order(&pool), ids(&[&kept]));
    assert_proofs_valid(&pool, &net.state);
    assert_eq!(pool.tip(), Some(net.state.tip.id()));
}

#[test]
fn pre_verified_transactions_skip_only_the_expensive_checks() {
    let mut net = Net::new(3, 9);
    let mut pool = Mempool::new(1 << 20);
    let g = net.genesis.clone();
    let (a, _) = net.pay(&g[0], 5);
    let (b, _) = net.pay(&g[1], 5);
    let (double, _) = net.pay(&g[0], 9);
    let check = |tx: &Tx| CheckedTx::verify(tx.clone()).unwrap();

    // Same outcome as `insert`.
    let out = pool
        .insert_verified(check(&a), net.prove(&[&g[0]]), &net.state)
        .unwrap();
    assert_eq!(out.txid, txid(&a));
    assert_eq!(check(&a).verified().id, txid(&a));
    assert_eq!(pool.get(&txid(&a)).unwrap().tx(), &a);

    // An invalid transaction never becomes a CheckedTx.
    let mut bad = b.clone();
    bad.program.push(0x00);
    assert!(CheckedTx::verify(bad).is_err());

    // The cheap rules still apply: the utxo proof, replace-by-fee.
    let e = pool
        .insert_verified(check(&b), net.prove(&[&g[2]]), &net.state)
        .unwrap_err();
    assert!(matches!(e, BlockchainError::Utxo(_)), "{e}");
    // A replacement proves the input it shares with the replaced one.
    let out = pool
        .insert_verified(check(&double), net.prove(&[&g[0]]), &net.state)
        .unwrap();
    assert_eq!(out.replaced, vec![txid(&a)]);
    assert_eq!(pool.len(), 1);
}

#[test]
fn check_agrees_with_insert_and_changes_nothing() {
    let mut net = Net::new(3, 9);
    let g = net.genesis.clone();
    let (a, _) = net.pay(&g[0], 10);
    let (low, _) = net.pay(&g[0], 5);
    let (high, _) = net.pay(&g[0], 50);
    let (b, _) = net.pay(&g[1], 10);
    let run = |tx: &Tx| ExecutedTx::run(tx.clone()).unwrap();
    let mut pool = Mempool::new(1 << 20);
    pool.check(&run(&a), &net.state).unwrap();
    assert!(pool.is_empty());
    pool.insert(a.clone(), net.prove(&[&g[0]]), &net.state)
        .unwrap();
    assert_eq!(pool.by_witness(&witness_hash(&a)), Some(txid(&a)));
    assert_eq!(
        pool.check(&run(&a), &net.state),
        Err(BlockchainError::AlreadyKnown { txid: txid(&a) })
    );
    // A lower fee rate conflicts; a higher one passes the check, and
    // nothing changes until it is inserted.
    assert!(matches!(
        pool.check(&run(&low), &net.state),
        Err(BlockchainError::Conflict { .. })
    ));
    pool.check(&run(&high), &net.state).unwrap();
    assert_eq!(order(&pool), ids(&[&a]));
    let outcome = pool
        .insert_verified(
            run(&high).verify().unwrap(),
            net.prove(&[&g[0]]),
            &net.state,
        )
        .unwrap();
    assert_eq!(outcome.replaced, ids(&[&a]));
    assert_eq!(order(&pool), ids(&[&high]));

    // A full pool: no room for a lower fee rate.
    let mut full = Mempool::new(b.encoded_size() + 16);
    full.insert(b.clone(), net.prove(&[&g[1]]), &net.state)
        .unwrap();
    assert!(matches!(
        full.check(&run(&low), &net.state),
        Err(BlockchainError::MempoolFull { .. })
    ));
    // A proof that does not verify passes the check (it is not looked at)
    // and fails verify.
    let (other, _) = net.pay(&g[2], 10);
    let forged = Tx {
        proof: other.proof.clone(),
        ..high.clone()
    };
    let empty = Mempool::new(1 << 20);
    empty.check(&run(&forged), &net.state).unwrap();
    assert!(run(&forged).verify().is_err());
}

#[test]
fn verify_all_gives_each_transaction_its_own_result() {
    let mut net = Net::new(3, 9);
    let g = net.genesis.clone();
    let (a, _) = net.pay(&g[0], 10);
    let (b, _) = net.pay(&g[1], 10);
    let (c, _) = net.pay(&g[2], 10);
    let run = |tx: &Tx| ExecutedTx::run(tx.clone()).unwrap();

    // All valid: one batch, every result Ok and naming its transaction.
    let results = ExecutedTx::verify_all(vec![run(&a), run(&b), run(&c)]);
    let ids_ok: Vec<TxID> = results
        .iter()
        .map(|r| r.as_ref().unwrap().verified().id)
        .collect();
    assert_eq!(ids_ok, ids(&[&a, &b, &c]));

    // One forged proof in the middle: the batch fails, and only that one
    // is refused.
    let forged = Tx {
        proof: a.proof.clone(),
        ..b.clone()
    };
    let results = ExecutedTx::verify_all(vec![run(&a), run(&forged), run(&c)]);
    assert!(results[0].is_ok());
    assert!(results[1].is_err());
    assert!(results[2].is_ok());
    assert_eq!(results[2].as_ref().unwrap().verified().id, txid(&c));

    // One alone is a single check.
    let results = ExecutedTx::verify_all(vec![run(&forged)]);
    assert!(results[0].is_err());
}
