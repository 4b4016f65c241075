//! The pool exchange (docs/spec/network.md §Pool exchange): once a node is
//! level with a newly connected peer it asks for the peer's mempool
//! listing, then fetches the transactions it lacks, a few hundred at a
//! time, parents first. Gossip only carries what is new while nodes are
//! connected; this carries what one of them accepted while they were not.

use std::collections::{HashSet, VecDeque};

use futures::StreamExt;
use libp2p::request_response::OutboundRequestId;
use tracing::debug;
use zkvm::TxID;

use super::messages::MAX_TXS;
use super::scores::Offence;
use crate::actor::ChainHandle;
use crate::admission::{self, Admission};

/// The exchange with one peer, for the life of its connection.
#[derive(Debug, Default)]
pub(super) struct PoolExchange {
    /// Whether its listing was asked for (once per connection).
    pub asked: bool,
    /// The outstanding request for its listing.
    pub listing: Option<OutboundRequestId>,
    /// Listed transactions this node lacks, not yet asked for, in the
    /// listing's order.
    pub wanted: VecDeque<TxID>,
    /// The outstanding request for transactions, and which it asked for.
    pub in_flight: Option<(OutboundRequestId, Vec<TxID>)>,
}

impl PoolExchange {
    /// The next transactions to ask for, unless a request is outstanding.
    pub fn next_batch(&mut self) -> Option<Vec<TxID>> {
        if self.in_flight.is_some() || self.wanted.is_empty() {
            return None;
        }
        let n = self.wanted.len().min(MAX_TXS as usize);
        Some(self.wanted.drain(..n).collect())
    }

    /// Whether `id` is one of this exchange's outstanding requests.
    pub fn owns(&self, id: &OutboundRequestId) -> bool {
        self.listing.as_ref() == Some(id) || self.in_flight.as_ref().is_some_and(|(r, _)| r == id)
    }
}

/// The IDs of `listing` that the mempool does not hold, in order and
/// without repeats.
pub(super) async fn unknown(chain: &ChainHandle, listing: Vec<TxID>) -> Vec<TxID> {
    chain.missing_from_pool(listing).await.unwrap_or_default()
}

/// Admits fetched transactions (docs/spec/network.md §Admission): each
/// is decoded and run by the VM on the bounded verification pool (one per
/// core at once), then, once every one is known to be asked for, finished (cheap
/// checks, proof, insertion) in the order received, parents first.
/// Returns the encodings of those the mempool took, to be gossiped on, and
/// the offence of a peer that sent a transaction it was not asked for, a
/// malformed one, an invalid one or one over its execution budget (then
/// nothing more is taken). Duplicates and unspendable ones are not
/// charged here: the listing was made before this node's pool or chain
/// moved.
pub(super) async fn take(
    admission: &Admission,
    chain: &ChainHandle,
    asked: Vec<TxID>,
    txs: Vec<Vec<u8>>,
) -> (Vec<Vec<u8>>, Option<Offence>) {
    if txs.len() > asked.len() {
        return (Vec::new(), Some(Offence::BadResponse));
    }
    let mut asked: HashSet<TxID> = asked.into_iter().collect();
    // As many VM runs at once as the pool has cores, in order: more would
    // only wait in (and fill) the queue the API and gossip share.
    let mut executed = futures::stream::iter(txs)
        .map(|bytes| async move {
            let run = admission.execute(chain, &bytes).await;
            (bytes, run)
        })
        .buffered(admission.workers());
    let mut runs = Vec::new();
    while let Some((bytes, run)) = executed.next().await {
        let run = match run {
            Ok(run) => run,
            Err(e) => match admission::offence(&e) {
                Some(Offence::Duplicate | Offence::Unspendable) | None => {
                    debug!(%e, "fetched transaction not taken");
                    continue;
                }
                Some(o) => return (Vec::new(), Some(o)),
            },
        };
        // Each one asked for, once.
        if !asked.remove(&run.txid()) {
            return (Vec::new(), Some(Offence::BadResponse));
        }
        runs.push((bytes, run));
    }
    let mut taken = Vec::new();
    for (bytes, run) in runs {
        match admission.finish(chain, bytes, run).await {
            Ok(a) => taken.push(a.bytes),
            Err(e) => match admission::offence(&e) {
                Some(o @ (Offence::InvalidTx | Offence::OverBudget)) => return (taken, Some(o)),
                // Confirmed meanwhile, conflicting, a full pool or a busy
                // node.
                _ => debug!(%e, "fetched transaction not taken"),
            },
        }
    }
    (taken, None)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn batches_are_bounded_and_in_listing_order() {
        let mut x = PoolExchange::default();
        assert_eq!(x.next_batch(), None);
        x.wanted = (0..600u32)
            .map(|i| {
                let mut id = [0u8; 32];
                id[..4].copy_from_slice(&i.to_le_bytes());
                TxID(id)
            })
            .collect();
        let first = x.next_batch().unwrap();
        assert_eq!(first.len(), MAX_TXS as usize);
        assert_eq!(first[0].0[..4], [0, 0, 0, 0]);
        assert_eq!(x.wanted.len(), 600 - MAX_TXS as usize);
        let second = x.next_batch().unwrap();
        assert_eq!(second[0].0[..4], (MAX_TXS).to_le_bytes());
        assert_eq!(x.next_batch().unwrap().len(), 600 - 2 * MAX_TXS as usize);
        assert_eq!(x.next_batch(), None);
    }
}
