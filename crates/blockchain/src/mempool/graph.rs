//! The pool's dependency graph — parents, children, descendants — and the
//! bookkeeping of its indexes (docs/spec/blockchain.md §Mempool, Entries).

use std::cmp::Reverse;
use std::collections::{HashSet, VecDeque};

use zkvm::TxID;

use super::{Mempool, MempoolEntry};

impl Mempool {
    /// The pool transactions whose outputs `e` spends (distinct).
    pub(super) fn parents(&self, e: &MempoolEntry) -> Vec<TxID> {
        distinct(e.inputs.iter().filter_map(|id| self.created.get(id)))
    }

    /// The pool transactions that spend outputs of `e` (distinct).
    pub(super) fn children(&self, e: &MempoolEntry) -> Vec<TxID> {
        distinct(e.outputs.iter().filter_map(|id| self.spent.get(id)))
    }

    /// `roots` (those in the pool) and all their descendants, each once.
    pub(super) fn descendants(&self, roots: &[TxID]) -> Vec<TxID> {
        self.closure(roots, |e| self.children(e))
    }

    /// `parents` and all their ancestors.
    pub(super) fn ancestors(&self, parents: &[TxID]) -> HashSet<TxID> {
        self.closure(parents, |e| self.parents(e))
            .into_iter()
            .collect()
    }

    fn closure(&self, roots: &[TxID], next: impl Fn(&MempoolEntry) -> Vec<TxID>) -> Vec<TxID> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut queue: VecDeque<TxID> = roots.iter().copied().collect();
        while let Some(t) = queue.pop_front() {
            let Some(e) = self.entries.get(&t) else {
                continue;
            };
            if seen.insert(t) {
                out.push(t);
                queue.extend(next(e));
            }
        }
        out
    }

    /// Removes `roots` and their descendants; returns their IDs.
    pub(super) fn evict(&mut self, roots: &[TxID]) -> Vec<TxID> {
        let gone = self.descendants(roots);
        for t in &gone {
            self.remove_entry(t);
        }
        gone
    }

    pub(super) fn add_entry(&mut self, e: MempoolEntry) {
        self.size_bytes += e.size;
        self.by_rate.insert((Reverse(e.fee_rate), e.seq, e.txid));
        for id in &e.inputs {
            self.spent.insert(*id, e.txid);
        }
        for id in &e.outputs {
            self.created.insert(*id, e.txid);
        }
        self.witnesses.insert(e.witness, e.txid);
        self.entries.insert(e.txid, e);
    }

    /// Removes one entry (not its descendants).
    pub(super) fn remove_entry(&mut self, txid: &TxID) -> Option<MempoolEntry> {
        let e = self.entries.remove(txid)?;
        self.size_bytes -= e.size;
        self.by_rate.remove(&(Reverse(e.fee_rate), e.seq, e.txid));
        for id in &e.inputs {
            self.spent.remove(id);
        }
        for id in &e.outputs {
            self.created.remove(id);
        }
        self.witnesses.remove(&e.witness);
        Some(e)
    }
}

fn distinct<'a>(ids: impl Iterator<Item = &'a TxID>) -> Vec<TxID> {
    let mut out: Vec<TxID> = Vec::new();
    for id in ids {
        if !out.contains(id) {
            out.push(*id);
        }
    }
    out
}
