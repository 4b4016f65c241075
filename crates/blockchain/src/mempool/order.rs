//! Block production order (docs/spec/blockchain.md §Mempool, Selection):
//! highest fee rate first, a transaction only after its pool parents.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use zkvm::{FeeRate, Tx, TxID};

use super::{Mempool, MempoolEntry};

/// The heap key: fee rate, then earlier arrival; the ID only makes it total.
type Key = (FeeRate, Reverse<u64>, TxID);

fn key(e: &MempoolEntry) -> Key {
    (e.fee_rate, Reverse(e.seq), e.txid)
}

/// Per-transaction cost in a block: its `LE32` length prefix and encoding.
const LENGTH_PREFIX: usize = 4;

impl Mempool {
    /// Every pool transaction, highest fee rate first (ties: earlier
    /// arrival first), never a transaction before a pool transaction whose
    /// output it spends. This is the order of [`Mempool::select`] without
    /// its limits.
    pub fn iter_by_fee_rate(&self) -> impl Iterator<Item = &MempoolEntry> {
        self.mining_order(|_| true).into_iter()
    }

    /// Transactions for a block at `timestamp_ms`, in
    /// [`Mempool::iter_by_fee_rate`]'s order: each one valid at
    /// `timestamp_ms` whose parents were selected and which still fits in
    /// `max_block_bytes`, counting its encoding and its 4-byte length
    /// prefix (the header, signature and Utreexo proof are not counted). A
    /// transaction left out leaves its descendants out; smaller ones after
    /// it may still fit.
    pub fn select(&self, max_block_bytes: usize, timestamp_ms: u64) -> Vec<Tx> {
        self.select_entries(max_block_bytes, timestamp_ms)
            .into_iter()
            .map(|e| e.tx.clone())
            .collect()
    }

    /// [`Mempool::select`]'s entries, with what verifying each established
    /// ([`MempoolEntry::verified`]): a block made from them need verify
    /// nothing again.
    pub fn select_entries(&self, max_block_bytes: usize, timestamp_ms: u64) -> Vec<&MempoolEntry> {
        let mut used = 0usize;
        self.mining_order(|e| {
            let cost = e.size.saturating_add(LENGTH_PREFIX);
            let fits = used
                .checked_add(cost)
                .is_some_and(|total| total <= max_block_bytes);
            if fits && e.valid_at(timestamp_ms) {
                used += cost;
                true
            } else {
                false
            }
        })
    }

    /// Greedy ordering over the pool's dependency graph: repeatedly takes
    /// the best transaction whose pool parents were all taken, and offers
    /// it to `accept`; one refused is dropped with all its descendants.
    pub(super) fn mining_order(
        &self,
        mut accept: impl FnMut(&MempoolEntry) -> bool,
    ) -> Vec<&MempoolEntry> {
        let mut waiting: HashMap<TxID, usize> = HashMap::new();
        let mut ready: BinaryHeap<Key> = BinaryHeap::new();
        for e in self.entries.values() {
            match self.parents(e).len() {
                0 => ready.push(key(e)),
                n => {
                    waiting.insert(e.txid, n);
                }
            }
        }
        let mut order = Vec::with_capacity(self.entries.len());
        while let Some((_, _, txid)) = ready.pop() {
            let Some(e) = self.entries.get(&txid) else {
                continue;
            };
            if !accept(e) {
                continue;
            }
            order.push(e);
            for child in self.children(e) {
                if let Some(n) = waiting.get_mut(&child) {
                    *n -= 1;
                    if *n == 0 {
                        waiting.remove(&child);
                        if let Some(c) = self.entries.get(&child) {
                            ready.push(key(c));
                        }
                    }
                }
            }
        }
        order
    }
}
