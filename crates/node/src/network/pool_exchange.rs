//! The pool exchange state machine (docs/spec/network.md §Pool
//! exchange): once a node is level with a newly connected peer it asks for
//! the peer's mempool listing, then fetches the transactions it lacks, a
//! few hundred at a time, parents first, one request at a time. Gossip
//! only carries what is new while nodes are connected; this carries what
//! one of them accepted while they were not. Fetched transactions are
//! admitted by [`take`], through the chain's trait.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::PeerId;
use tracing::debug;
use zkvm::TxID;

use super::action::{Action, Topic};
use super::chain::ChainAccess;
use super::messages::{PoolRequest, PoolResponse, MAX_TXS};
use super::scores::Offence;
use crate::admission;

/// A peer may ask for the pool listing at most this often.
pub(super) const POOL_LISTING_INTERVAL: Duration = Duration::from_secs(30);

/// The exchange with one peer, for the life of its connection.
#[derive(Debug, Default)]
struct Exchange {
    /// Numbers this connection, so that a late result of work for an
    /// earlier one is not taken for this one's.
    session: u64,
    /// Whether its listing was asked for (once per connection).
    asked: bool,
    /// Whether the listing's answer is outstanding.
    listing: bool,
    /// Listed transactions this node lacks, not yet asked for, in the
    /// listing's order.
    wanted: VecDeque<TxID>,
    /// The transactions asked for and not yet taken: one request at a
    /// time (from the request until the fetched ones are admitted).
    in_flight: Option<Vec<TxID>>,
    /// When it last asked for our listing.
    served: Option<Instant>,
    /// Given up on (a failure or an offence): nothing more is asked.
    closed: bool,
}

impl Exchange {
    /// The next transactions to ask for, unless a request is outstanding.
    fn next_batch(&mut self) -> Option<Vec<TxID>> {
        if self.closed || self.in_flight.is_some() || self.wanted.is_empty() {
            return None;
        }
        let n = self.wanted.len().min(MAX_TXS as usize);
        let batch: Vec<TxID> = self.wanted.drain(..n).collect();
        self.in_flight = Some(batch.clone());
        Some(batch)
    }

    /// Nothing more is asked of the peer on this connection.
    fn give_up(&mut self) {
        self.closed = true;
        self.asked = true;
        self.listing = false;
        self.wanted.clear();
        self.in_flight = None;
    }
}

/// The exchanges with every connected peer.
#[derive(Debug)]
pub(super) struct PoolExchange {
    /// Started from a snapshot: takes no transactions, so fetches none.
    pruned: bool,
    peers: HashMap<PeerId, Exchange>,
    sessions: u64,
}

impl PoolExchange {
    pub fn new(pruned: bool) -> PoolExchange {
        PoolExchange {
            pruned,
            peers: HashMap::new(),
            sessions: 0,
        }
    }

    pub fn on_connected(&mut self, peer: PeerId) {
        self.sessions += 1;
        let exchange = Exchange {
            session: self.sessions,
            ..Exchange::default()
        };
        self.peers.insert(peer, exchange);
    }

    pub fn on_disconnected(&mut self, peer: &PeerId) {
        self.peers.remove(peer);
    }

    /// `peer`'s exchange if its connection is still `session`.
    fn current(&mut self, peer: &PeerId, session: u64) -> Option<&mut Exchange> {
        self.peers.get_mut(peer).filter(|x| x.session == session)
    }

    /// `peer`'s status shows a tip no higher than ours, so its pool is
    /// valid on our state: its listing is asked for, once per connection,
    /// unless this node takes no transactions.
    pub fn on_level(&mut self, peer: PeerId) -> Vec<Action> {
        let pruned = self.pruned;
        match self.peers.get_mut(&peer) {
            Some(x) if !x.asked && !pruned => {
                x.asked = true;
                x.listing = true;
                vec![Action::Pool(peer, PoolRequest::Listing)]
            }
            _ => Vec::new(),
        }
    }

    /// Whether `peer` may have our listing now (at most once per
    /// [`POOL_LISTING_INTERVAL`]); counts as serving it if so.
    pub fn may_list(&mut self, peer: &PeerId, now: Instant) -> bool {
        let Some(x) = self.peers.get_mut(peer) else {
            return true;
        };
        let last = x.served.replace(now);
        last.is_none_or(|t| now.saturating_duration_since(t) >= POOL_LISTING_INTERVAL)
    }

    /// An answer from `peer`. Only the request outstanding can be
    /// answered (one at a time), so the answer's kind must be its.
    pub fn on_response(&mut self, peer: PeerId, response: PoolResponse) -> Vec<Action> {
        let Some(x) = self.peers.get_mut(&peer) else {
            return Vec::new();
        };
        let session = x.session;
        match response {
            PoolResponse::Listing(listing) if x.listing => {
                x.listing = false;
                vec![Action::Filter {
                    peer,
                    session,
                    listing,
                }]
            }
            // `in_flight` stays set until the transactions are taken.
            PoolResponse::Txs(txs) if x.in_flight.is_some() => {
                let asked = x.in_flight.clone().unwrap_or_default();
                vec![Action::Take {
                    peer,
                    session,
                    asked,
                    txs,
                }]
            }
            PoolResponse::Error(reason) => {
                debug!(%peer, reason, "peer refused a pool request");
                x.listing = false;
                x.in_flight = None;
                self.next(peer)
            }
            _ => {
                x.give_up();
                vec![Action::Penalize(peer, Offence::BadResponse)]
            }
        }
    }

    /// A request to `peer` failed: its pool is given up on until it
    /// reconnects.
    pub fn on_failure(&mut self, peer: &PeerId) {
        if let Some(x) = self.peers.get_mut(peer) {
            x.give_up();
        }
    }

    /// The listing less what our pool holds: asked for in batches.
    pub fn on_wanted(&mut self, peer: PeerId, session: u64, ids: Vec<TxID>) -> Vec<Action> {
        match self.current(&peer, session) {
            Some(x) => {
                debug!(%peer, wanted = ids.len(), "pool listing");
                x.wanted.extend(ids);
                self.next(peer)
            }
            None => Vec::new(),
        }
    }

    /// Fetched transactions were admitted: those `taken` are published
    /// (peers connected before this exchange will not ask for them), an
    /// offence charged and the exchange ended, else the next batch asked.
    pub fn on_taken(
        &mut self,
        peer: PeerId,
        session: u64,
        taken: Vec<Vec<u8>>,
        offence: Option<Offence>,
    ) -> Vec<Action> {
        let mut actions: Vec<Action> = taken
            .into_iter()
            .map(|tx| Action::Publish(Topic::Tx, tx))
            .collect();
        let Some(x) = self.current(&peer, session) else {
            // Late work of an earlier connection: its offence still counts.
            actions.extend(offence.map(|o| Action::Penalize(peer, o)));
            return actions;
        };
        x.in_flight = None;
        match offence {
            Some(offence) => {
                x.give_up();
                actions.push(Action::Penalize(peer, offence));
            }
            None => actions.extend(self.next(peer)),
        }
        actions
    }

    /// The next batch for `peer`, unless a request to it is outstanding.
    fn next(&mut self, peer: PeerId) -> Vec<Action> {
        self.peers
            .get_mut(&peer)
            .and_then(Exchange::next_batch)
            .map(|batch| Action::Pool(peer, PoolRequest::Txs(batch)))
            .into_iter()
            .collect()
    }
}

/// The IDs of `listing` that the mempool does not hold, in order and
/// without repeats.
pub(super) async fn unknown<C: ChainAccess>(chain: &C, listing: Vec<TxID>) -> Vec<TxID> {
    chain.missing_from_pool(listing).await.unwrap_or_default()
}

/// Admits fetched transactions (docs/spec/network.md §Admission): each
/// is decoded and run by the VM on the bounded verification pool (one per
/// core at once), then, once every one is known to be asked for, finished
/// (cheap checks, proof, insertion) in the order received, parents first.
/// Returns the encodings of those the mempool took, to be gossiped on, and
/// the offence of a peer that sent a transaction it was not asked for, a
/// malformed one, an invalid one or one over its execution budget (then
/// nothing more is taken). Duplicates and unspendable ones are not
/// charged here: the listing was made before this node's pool or chain
/// moved.
pub(super) async fn take<C: ChainAccess>(
    chain: &C,
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
            let run = chain.execute(&bytes).await;
            (bytes, run)
        })
        .buffered(chain.workers());
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
        if !asked.remove(&C::txid(&run)) {
            return (Vec::new(), Some(Offence::BadResponse));
        }
        runs.push((bytes, run));
    }
    let mut taken = Vec::new();
    for (bytes, run) in runs {
        match chain.finish(bytes, run).await {
            Ok(bytes) => taken.push(bytes),
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
    use super::super::fake_chain::{two_peers, tx, FakeChain};
    use super::*;

    fn id(n: u8) -> TxID {
        TxID::from_bytes([n; 32])
    }

    #[tokio::test]
    async fn only_missing_transactions_are_asked_and_unrequested_ones_charged() {
        let chain = FakeChain::default();
        chain.pool.lock().unwrap().insert(id(1));
        let mut x = PoolExchange::new(false);
        let (p, _) = two_peers();
        x.on_connected(p);
        assert_eq!(x.on_level(p), vec![Action::Pool(p, PoolRequest::Listing)]);
        assert!(x.on_level(p).is_empty(), "once per connection");
        let listing = vec![id(1), id(2), id(3), id(2)];
        let actions = x.on_response(p, PoolResponse::Listing(listing.clone()));
        assert_eq!(
            actions,
            vec![Action::Filter {
                peer: p,
                session: 1,
                listing: listing.clone()
            }]
        );
        let wanted = unknown(&chain, listing).await;
        assert_eq!(wanted, vec![id(2), id(3)]);
        assert_eq!(
            x.on_wanted(p, 1, wanted),
            vec![Action::Pool(p, PoolRequest::Txs(vec![id(2), id(3)]))]
        );
        // The answer sends one asked for and one that was not.
        let sent = vec![tx(2, true), tx(9, true)];
        let actions = x.on_response(p, PoolResponse::Txs(sent.clone()));
        assert_eq!(
            actions,
            vec![Action::Take {
                peer: p,
                session: 1,
                asked: vec![id(2), id(3)],
                txs: sent.clone()
            }]
        );
        let (taken, offence) = take(&chain, vec![id(2), id(3)], sent).await;
        assert_eq!((taken.len(), offence), (0, Some(Offence::BadResponse)));
        assert_eq!(
            x.on_taken(p, 1, taken, offence),
            vec![Action::Penalize(p, Offence::BadResponse)]
        );
        // Nothing more is asked of it on this connection.
        assert!(x.on_wanted(p, 1, vec![id(4)]).is_empty());
        assert!(x.on_level(p).is_empty());
    }

    #[tokio::test]
    async fn taken_transactions_are_gossiped_and_batches_follow() {
        let chain = FakeChain::default();
        let mut x = PoolExchange::new(false);
        let (p, _) = two_peers();
        x.on_connected(p);
        x.on_level(p);
        x.on_response(p, PoolResponse::Listing(Vec::new()));
        let wanted: Vec<TxID> = (0..=255u8).chain([0; 44]).map(id).collect();
        let first = x.on_wanted(p, 1, wanted);
        assert!(
            matches!(&first[..], [Action::Pool(_, PoolRequest::Txs(b))] if b.len() == MAX_TXS as usize)
        );
        let (taken, offence) =
            take(&chain, vec![id(1), id(2)], vec![tx(1, true), tx(2, true)]).await;
        assert_eq!((taken.len(), offence), (2, None));
        let actions = x.on_taken(p, 1, taken, offence);
        assert_eq!(
            actions,
            vec![
                Action::Publish(Topic::Tx, tx(1, true)),
                Action::Publish(Topic::Tx, tx(2, true)),
                Action::Pool(p, PoolRequest::Txs(vec![id(0); 44])),
            ]
        );
        // A transaction the pool refuses (here: a duplicate) is no
        // offence; an invalid one is.
        let (taken, offence) = take(&chain, vec![id(1)], vec![tx(1, true)]).await;
        assert_eq!((taken.len(), offence), (0, None));
        let (_, offence) = take(&chain, vec![id(5)], vec![tx(5, false)]).await;
        assert_eq!(offence, Some(Offence::InvalidTx));
        // Late results of an earlier connection are not this one's.
        x.on_disconnected(&p);
        x.on_connected(p);
        assert_eq!(x.on_taken(p, 1, Vec::new(), None), Vec::new());
    }

    #[test]
    fn answers_of_the_wrong_kind_and_listings_asked_too_often() {
        let mut x = PoolExchange::new(false);
        let (p, q) = two_peers();
        x.on_connected(p);
        assert_eq!(
            x.on_response(p, PoolResponse::Txs(vec![tx(1, true)])),
            vec![Action::Penalize(p, Offence::BadResponse)]
        );
        let now = Instant::now();
        x.on_connected(q);
        assert!(x.may_list(&q, now));
        assert!(!x.may_list(&q, now + POOL_LISTING_INTERVAL / 2));
        assert!(x.may_list(&q, now + POOL_LISTING_INTERVAL * 2));
        // A node started from a snapshot asks nobody.
        let mut pruned = PoolExchange::new(true);
        pruned.on_connected(p);
        assert!(pruned.on_level(p).is_empty());
    }
}
