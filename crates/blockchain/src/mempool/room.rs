//! Making room under the byte limit (docs/spec/blockchain.md §Mempool,
//! Size limit).

use std::cmp::Reverse;
use std::collections::HashSet;

use zkvm::{FeeRate, TxID};

use super::Mempool;
use crate::BlockchainError;

impl Mempool {
    /// Which transactions to evict so that `size` more bytes fit, once
    /// `replaced` are gone: lowest fee rate first, each with its
    /// descendants, never one of `rate` or more nor an ancestor of the new
    /// transaction (docs/spec/blockchain.md §Mempool, Size limit).
    ///
    /// Every evicted transaction pays a fee rate strictly below the
    /// newcomer's, so the evicted set as a whole does too: a newcomer never
    /// evicts for less than the evicted fees' rate, and the pool's worst
    /// rate only rises. (Unlike a replacement, an eviction need not cover
    /// the evicted fees in total: the bytes it frees stay open to others.)
    pub(super) fn plan_room(
        &self,
        size: usize,
        rate: FeeRate,
        replaced: &HashSet<TxID>,
        ancestors: &HashSet<TxID>,
    ) -> Result<Vec<TxID>, BlockchainError> {
        let full = BlockchainError::MempoolFull {
            size,
            limit: self.policy.max_bytes,
        };
        if size > self.policy.max_bytes {
            return Err(full);
        }
        let bytes = |t: &TxID| self.entries.get(t).map_or(0, |e| e.size);
        let mut used = self
            .size_bytes
            .saturating_sub(replaced.iter().map(bytes).sum());
        let fits = |used: usize| {
            used.checked_add(size)
                .is_some_and(|n| n <= self.policy.max_bytes)
        };
        let mut planned = Vec::new();
        let mut planned_set = HashSet::new();
        for (Reverse(candidate_rate), _, candidate) in self.by_rate.iter().rev() {
            if fits(used) {
                break;
            }
            if *candidate_rate >= rate {
                return Err(full);
            }
            if replaced.contains(candidate) || planned_set.contains(candidate) {
                continue;
            }
            let package: Vec<TxID> = self
                .descendants(&[*candidate])
                .into_iter()
                .filter(|t| !replaced.contains(t) && !planned_set.contains(t))
                .collect();
            let evictable = package.iter().all(|t| {
                !ancestors.contains(t) && self.entries.get(t).is_some_and(|e| e.fee_rate < rate)
            });
            if evictable {
                for t in package {
                    used = used.saturating_sub(bytes(&t));
                    planned_set.insert(t);
                    planned.push(t);
                }
            }
        }
        if fits(used) {
            Ok(planned)
        } else {
            Err(full)
        }
    }
}
