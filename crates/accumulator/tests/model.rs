//! The accumulators against a naive model of the UTXO set (a set of live
//! leaves), over random sequences of blocks; and the pattern of upstream
//! rustreexo issue #150 (proofs for the sibling of a deleted leaf).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, HashSet};

use accumulator::{Accumulator, AccumulatorError, Forest, Pollard, Proof, ZkvmHash};
use proptest::prelude::*;
use proptest::sample::Index;

fn leaf(n: u64) -> ZkvmHash {
    let mut id = [0u8; 32];
    id[..8].copy_from_slice(&n.to_le_bytes());
    ZkvmHash::leaf(&id)
}

/// One block of the random scenario.
#[derive(Clone, Debug)]
struct Block {
    /// Number of new leaves.
    adds: usize,
    /// Bit `i` set: the wallet remembers the `i`-th new leaf.
    remember: u32,
    /// Live leaves to spend (duplicates collapse).
    spends: Vec<Index>,
    /// A live leaf the wallet starts tracking with a full node's proof.
    track: Option<Index>,
    /// A tracked leaf the wallet forgets.
    forget: Option<Index>,
}

fn block() -> impl Strategy<Value = Block> {
    (
        0usize..20,
        any::<u32>(),
        prop::collection::vec(any::<Index>(), 0..8),
        any::<Option<Index>>(),
        prop::option::weighted(0.2, any::<Index>()),
    )
        .prop_map(|(adds, remember, spends, track, forget)| Block {
            adds,
            remember,
            spends,
            track,
            forget,
        })
}

/// The three accumulators and the model they must agree with.
struct World {
    forest: Forest,
    state: Accumulator,
    wallet: Pollard,
    /// The model: live leaves, in order of addition.
    live: Vec<ZkvmHash>,
    /// Deleted leaves, each with the last proof it had while live.
    deleted: HashMap<ZkvmHash, Proof>,
    /// The model of the wallet: which leaves it tracks.
    tracked: HashSet<ZkvmHash>,
    added: u64,
}

impl World {
    fn new() -> Self {
        Self {
            forest: Forest::new(),
            state: Accumulator::new(),
            wallet: Pollard::default(),
            live: Vec::new(),
            deleted: HashMap::new(),
            tracked: HashSet::new(),
            added: 0,
        }
    }

    fn apply(&mut self, block: &Block) {
        // Spend some live leaves, proven by the full forest.
        let mut spends: Vec<ZkvmHash> = Vec::new();
        for index in &block.spends {
            if self.live.is_empty() {
                break;
            }
            let l = self.live[index.index(self.live.len())];
            if !spends.contains(&l) {
                spends.push(l);
            }
        }
        for l in &spends {
            let single = self.forest.prove(&[*l]).unwrap();
            self.deleted.insert(*l, single);
        }
        let proof = self.forest.prove(&spends).unwrap();
        let proof = Proof::from_bytes(&proof.to_bytes()).unwrap();
        self.state.verify(&proof, &spends).unwrap();

        let adds: Vec<ZkvmHash> = (0..block.adds as u64)
            .map(|i| leaf(self.added + i))
            .collect();
        let remember: Vec<ZkvmHash> = adds
            .iter()
            .enumerate()
            .filter(|(i, _)| block.remember >> (i % 32) & 1 == 1)
            .map(|(_, l)| *l)
            .collect();

        self.state.modify(&adds, &spends, &proof).unwrap();
        self.forest.modify(&adds, &spends).unwrap();
        self.wallet
            .modify(&adds, &remember, &spends, &proof)
            .unwrap();

        // The model.
        self.added += adds.len() as u64;
        self.live.retain(|l| !spends.contains(l));
        self.live.extend_from_slice(&adds);
        for l in &spends {
            self.tracked.remove(l);
        }
        self.tracked.extend(remember);

        // The wallet picks up a leaf it did not create, and drops one.
        if let Some(index) = &block.track {
            if !self.live.is_empty() {
                let l = self.live[index.index(self.live.len())];
                let proof = self.forest.prove(&[l]).unwrap();
                self.wallet.track(l, &proof).unwrap();
                self.tracked.insert(l);
            }
        }
        if let Some(index) = &block.forget {
            let tracked = self.wallet.tracked().to_vec();
            if !tracked.is_empty() {
                let l = tracked[index.index(tracked.len())];
                self.wallet.forget(&l).unwrap();
                self.tracked.remove(&l);
            }
        }
    }

    fn check(&self) {
        // The three agree on the state, and the leaf count is the model's.
        assert_eq!(self.forest.accumulator(), self.state);
        assert_eq!(self.wallet.accumulator(), &self.state);
        assert_eq!(self.state.num_leaves(), self.added);
        let snapshot = self.state.to_bytes();
        assert_eq!(Accumulator::from_bytes(&snapshot).unwrap(), self.state);

        // The stored forms come back as they were: the forest proves the
        // same, the wallet is equal; a forest stored with other roots is
        // refused, as is any damaged pollard.
        let stored = Forest::from_bytes(&self.forest.to_bytes(), &self.state).unwrap();
        assert_eq!(stored.accumulator(), self.state);
        if let Some(l) = self.live.first() {
            assert_eq!(stored.prove(&[*l]), self.forest.prove(&[*l]));
        }
        if self.state.num_leaves() > 0 {
            assert!(Forest::from_bytes(&self.forest.to_bytes(), &Accumulator::new()).is_err());
        }
        let wallet_bytes = self.wallet.to_bytes();
        assert_eq!(Pollard::from_bytes(&wallet_bytes).unwrap(), self.wallet);
        assert!(Pollard::from_bytes(&wallet_bytes[..wallet_bytes.len() - 1]).is_err());
        let mut long = wallet_bytes.clone();
        long.push(0);
        assert!(Pollard::from_bytes(&long).is_err());

        // Every live leaf can be proven, alone and all together.
        for l in &self.live {
            assert!(self.forest.contains(l));
            let proof = self.forest.prove(&[*l]).unwrap();
            self.state.verify(&proof, &[*l]).unwrap();
        }
        let all = self.forest.prove(&self.live).unwrap();
        self.state.verify(&all, &self.live).unwrap();

        // No deleted leaf can: neither fresh from the forest nor with the
        // last proof it had.
        for (l, stale) in &self.deleted {
            assert!(!self.forest.contains(l));
            assert_eq!(
                self.forest.prove(&[*l]),
                Err(AccumulatorError::UnknownLeaf(*l))
            );
            assert!(self.state.verify(stale, &[*l]).is_err());
        }

        // The wallet tracks what the model says and proves all of it.
        let tracked: HashSet<ZkvmHash> = self.wallet.tracked().iter().copied().collect();
        assert_eq!(tracked, self.tracked);
        for l in self.wallet.tracked() {
            let proof = self.wallet.prove(&[*l]).unwrap();
            self.state.verify(&proof, &[*l]).unwrap();
            assert_eq!(proof, self.forest.prove(&[*l]).unwrap());
        }
        let mine = self.wallet.tracked().to_vec();
        let proof = self.wallet.prove(&mine).unwrap();
        self.state.verify(&proof, &mine).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn accumulators_agree_with_the_model(
        first in 0usize..40,
        blocks in prop::collection::vec(block(), 1..10),
    ) {
        let mut world = World::new();
        world.apply(&Block { adds: first, remember: 0x5555_5555, spends: vec![], track: None, forget: None });
        world.check();
        for block in &blocks {
            world.apply(block);
            world.check();
        }
    }
}

/// Upstream issue #150: with 8 leaves, delete leaf `k`; its sibling `k ^ 1`
/// moves up a row, and rustreexo 0.6's `MemForest::prove` gave it a proof
/// that `Stump::verify` rejected, while its `Pollard` could no longer prove
/// even the untouched leaves. Then spend the sibling too, with that proof.
#[test]
fn sibling_of_a_deleted_leaf_can_be_proven_and_spent() {
    let leaves: Vec<ZkvmHash> = (0..8).map(leaf).collect();
    for k in 0..8 {
        let mut forest = Forest::new();
        let mut state = Accumulator::new();
        let mut wallet = Pollard::default();
        forest.modify(&leaves, &[]).unwrap();
        state.add(&leaves).unwrap();
        wallet
            .modify(&leaves, &leaves, &[], &Proof::empty())
            .unwrap();

        let gone = [leaves[k]];
        let proof = forest.prove(&gone).unwrap();
        state.modify(&[], &gone, &proof).unwrap();
        forest.modify(&[], &gone).unwrap();
        wallet.modify(&[], &[], &gone, &proof).unwrap();
        assert_eq!(forest.accumulator(), state);

        for (i, l) in leaves.iter().enumerate().filter(|(i, _)| *i != k) {
            let from_forest = forest.prove(&[*l]).unwrap();
            state.verify(&from_forest, &[*l]).unwrap();
            let from_wallet = wallet.prove(&[*l]).unwrap();
            state.verify(&from_wallet, &[*l]).unwrap();
            if i == k ^ 1 {
                // The sibling now sits one row up.
                assert_eq!(from_forest.targets()[0] >> 63, 1);
                assert_eq!(from_forest.hashes().len(), 2);
            }
        }

        let sibling = [leaves[k ^ 1]];
        let proof = forest.prove(&sibling).unwrap();
        state.modify(&[], &sibling, &proof).unwrap();
        forest.modify(&[], &sibling).unwrap();
        wallet.modify(&[], &[], &sibling, &proof).unwrap();
        assert_eq!(forest.accumulator(), state);
        assert_eq!(wallet.tracked().len(), 6);
        for l in wallet.tracked() {
            state.verify(&wallet.prove(&[*l]).unwrap(), &[*l]).unwrap();
        }
    }
}

/// Every way to spend some of the leaves of a forest of up to 8 leaves in
/// one block, followed by blocks that add leaves (overwriting the trees the
/// first block emptied) and spend one more: the three accumulators agree
/// and every live leaf is proven by the forest and by the wallet.
#[test]
fn every_spending_pattern_of_small_forests() {
    for n in 1..=8u64 {
        for mask in 0..(1u32 << n) {
            for adds in [0u64, 1, 2, 3, 5] {
                let leaves: Vec<ZkvmHash> = (0..n).map(leaf).collect();
                let mut forest = Forest::new();
                let mut state = Accumulator::new();
                let mut wallet = Pollard::default();
                forest.modify(&leaves, &[]).unwrap();
                state.add(&leaves).unwrap();
                wallet
                    .modify(&leaves, &leaves, &[], &Proof::empty())
                    .unwrap();

                let spends: Vec<ZkvmHash> = (0..n)
                    .filter(|i| mask >> i & 1 == 1)
                    .map(|i| leaves[i as usize])
                    .collect();
                let proof = forest.prove(&spends).unwrap();
                state.modify(&[], &spends, &proof).unwrap();
                forest.modify(&[], &spends).unwrap();
                wallet.modify(&[], &[], &spends, &proof).unwrap();

                let new: Vec<ZkvmHash> = (100..100 + adds).map(leaf).collect();
                state.add(&new).unwrap();
                forest.modify(&new, &[]).unwrap();
                wallet.modify(&new, &new, &[], &Proof::empty()).unwrap();

                let mut live: Vec<ZkvmHash> = leaves
                    .iter()
                    .chain(&new)
                    .filter(|l| !spends.contains(l))
                    .copied()
                    .collect();
                if let Some(last) = live.pop() {
                    let proof = wallet.prove(&[last]).unwrap();
                    state.modify(&[], &[last], &proof).unwrap();
                    forest.modify(&[], &[last]).unwrap();
                    wallet.modify(&[], &[], &[last], &proof).unwrap();
                }

                assert_eq!(
                    forest.accumulator(),
                    state,
                    "n={n} mask={mask:b} adds={adds}"
                );
                assert_eq!(wallet.accumulator(), &state);
                assert_eq!(wallet.tracked().len(), live.len());
                for l in &live {
                    state.verify(&forest.prove(&[*l]).unwrap(), &[*l]).unwrap();
                    state.verify(&wallet.prove(&[*l]).unwrap(), &[*l]).unwrap();
                }
                for l in &spends {
                    assert!(!forest.contains(l) && !wallet.is_tracked(l));
                }
            }
        }
    }
}
