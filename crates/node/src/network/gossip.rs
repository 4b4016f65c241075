//! The gossip state machine (docs/spec/network.md §Gossip, §Validation
//! before relay): a received message is held, checked through the chain
//! ([`check`]), then reported to gossipsub as accept, ignore or reject,
//! its sender charged for what only a faulty or hostile peer sends.

use std::sync::Arc;
use std::time::Instant;

use libp2p::gossipsub::{MessageId, TopicHash};
use libp2p::PeerId;
use tokio::sync::Semaphore;
use tracing::{debug, warn};

use super::action::{Acceptance, Action, Topic};
use super::chain::ChainAccess;
use super::compact::CompactBlock;
use super::protocol::{Names, MAX_BLOCK_MESSAGE, MAX_TX_MESSAGE};
use super::scores::Offence;
use super::sync::{block_is_invalid, block_is_malformed, BlockSync};
use crate::actor::Import;
use crate::admission;
use crate::NodeError;

/// What a gossip message turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    Accept,
    /// A block applied and stored at this height.
    Applied(u64),
    Ignore,
    Reject(Offence),
    /// Not relayed, and the sender charged (gossipsub is told to ignore
    /// it: an honest peer can send it in a race).
    Refuse(Offence),
    /// A block above the tip's successor: the sender is ahead of us.
    Ahead(u64),
    /// A compact block whose transactions are not all in the mempool: the
    /// full block at this height is to be downloaded from the sender.
    Fetch(u64),
}

/// The topics, and what the node publishes on them.
#[derive(Debug)]
pub(super) struct Gossip {
    tx: TopicHash,
    block: TopicHash,
    compact: TopicHash,
    /// Announce produced blocks as compact blocks.
    compact_relay: bool,
}

impl Gossip {
    pub fn new(names: &Names, compact_relay: bool) -> Gossip {
        Gossip {
            tx: names.tx.hash(),
            block: names.block.hash(),
            compact: names.compact.hash(),
            compact_relay,
        }
    }

    /// Whether produced blocks go out compact.
    pub fn compact_relay(&self) -> bool {
        self.compact_relay
    }

    /// A message arrived: an unknown topic is ignored, one over its
    /// topic's limit rejected and charged, the rest validated.
    pub fn on_message(
        &mut self,
        source: PeerId,
        id: MessageId,
        topic: &TopicHash,
        data: Vec<u8>,
    ) -> Vec<Action> {
        let (topic, limit) = if *topic == self.tx {
            (Topic::Tx, MAX_TX_MESSAGE)
        } else if *topic == self.block {
            (Topic::Block, MAX_BLOCK_MESSAGE)
        } else if *topic == self.compact {
            (Topic::Compact, MAX_BLOCK_MESSAGE)
        } else {
            return vec![Action::Report(id, source, Acceptance::Ignore)];
        };
        if data.len() > limit {
            return vec![
                Action::Report(id, source, Acceptance::Reject),
                Action::Penalize(source, Offence::Oversize),
            ];
        }
        vec![Action::Validate {
            id,
            source,
            topic,
            data,
        }]
    }

    /// The verdict on a message: what gossipsub is told, whom to charge,
    /// and what sync learns from it (a block stored, a sender ahead, a
    /// compact block whose full block is needed).
    pub fn on_verdict(
        &mut self,
        id: MessageId,
        source: PeerId,
        verdict: Verdict,
        sync: &mut BlockSync,
        now: Instant,
    ) -> Vec<Action> {
        let report = |acceptance| Action::Report(id.clone(), source, acceptance);
        match verdict {
            Verdict::Accept => vec![report(Acceptance::Accept)],
            Verdict::Applied(height) => {
                sync.on_applied(height);
                vec![report(Acceptance::Accept)]
            }
            Verdict::Ignore => vec![report(Acceptance::Ignore)],
            Verdict::Reject(offence) => vec![
                report(Acceptance::Reject),
                Action::Penalize(source, offence),
            ],
            // A peer a block ahead spends outputs this node has not seen
            // yet: not charged (docs/spec/network.md §Scoring).
            Verdict::Refuse(Offence::Unspendable) if sync.is_ahead(&source) => {
                vec![report(Acceptance::Ignore)]
            }
            Verdict::Refuse(offence) => vec![
                report(Acceptance::Ignore),
                Action::Penalize(source, offence),
            ],
            Verdict::Ahead(height) => {
                let mut actions = vec![report(Acceptance::Ignore)];
                actions.extend(sync.on_ahead(source, height, now));
                actions
            }
            Verdict::Fetch(height) => sync.on_compact_needs_full(id, source, height),
        }
    }
}

/// Checks a gossiped message through the chain. Blocks (whole or compact)
/// are decoded at most `decoding`'s permits at once, on blocking threads,
/// so that a flood of block messages cannot take more (docs/spec/
/// network.md §Admission).
pub(super) async fn check<C: ChainAccess>(
    chain: &C,
    decoding: Arc<Semaphore>,
    topic: Topic,
    data: Vec<u8>,
) -> Verdict {
    match topic {
        Topic::Tx => tx_verdict(chain.admit(data).await),
        Topic::Block => block_verdict(chain.import_block(data).await, "gossiped block"),
        Topic::Compact => {
            let decoded = async move {
                let _permit = decoding.acquire().await.ok()?;
                tokio::task::spawn_blocking(move || CompactBlock::from_bytes(&data))
                    .await
                    .ok()
            };
            match decoded.await {
                Some(Ok(compact)) => {
                    block_verdict(chain.import_compact(compact).await, "compact block")
                }
                Some(Err(_)) => Verdict::Reject(Offence::Malformed),
                // The node is stopping.
                None => Verdict::Ignore,
            }
        }
    }
}

/// The verdict on a gossiped transaction's admission: malformed, invalid
/// and over-budget ones are rejected and charged; duplicates and
/// unspendable ones are ignored but charged (a little: honest peers race);
/// a busy node, a full pool or a conflict ignore it without a charge.
pub(super) fn tx_verdict(admitted: Result<(), NodeError>) -> Verdict {
    match admitted {
        Ok(()) => Verdict::Accept,
        Err(e) => {
            debug!(%e, "gossiped transaction not taken");
            match admission::offence(&e) {
                Some(o @ (Offence::Duplicate | Offence::Unspendable)) => Verdict::Refuse(o),
                Some(o) => Verdict::Reject(o),
                None => Verdict::Ignore,
            }
        }
    }
}

/// The verdict on a gossiped block (whole or compact) from its import.
pub(super) fn block_verdict(imported: Result<Import, NodeError>, what: &str) -> Verdict {
    match imported {
        Ok(Import::Stored(summary)) => Verdict::Applied(summary.height),
        Ok(Import::Known) => Verdict::Ignore,
        Ok(Import::Ahead(height)) => Verdict::Ahead(height),
        Ok(Import::NeedFull(height)) => Verdict::Fetch(height),
        Err(e) if block_is_malformed(&e) => Verdict::Reject(Offence::Malformed),
        Err(e) if block_is_invalid(&e) => {
            debug!(%e, "{what} refused");
            Verdict::Reject(Offence::InvalidBlock)
        }
        Err(e) => {
            warn!(%e, "cannot apply a {what}");
            Verdict::Ignore
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::fake_chain::{block, status, two_peers, tx, FakeChain, NETWORK};
    use super::super::messages::{SyncRequest, SyncResponse, MAX_BLOCKS};
    use super::*;
    use libp2p::gossipsub::TopicHash;

    fn gossip() -> (Gossip, Names) {
        let names = Names::new(&NETWORK).unwrap();
        (Gossip::new(&names, true), names)
    }

    #[test]
    fn messages_are_held_for_validation_unless_oversize_or_off_topic() {
        let (mut g, names) = gossip();
        let (p, _) = two_peers();
        let id = MessageId::new(b"m");
        let stray = TopicHash::from_raw("/elsewhere");
        assert_eq!(
            g.on_message(p, id.clone(), &stray, vec![1]),
            vec![Action::Report(id.clone(), p, Acceptance::Ignore)]
        );
        let big = vec![0u8; MAX_TX_MESSAGE + 1];
        assert_eq!(
            g.on_message(p, id.clone(), &names.tx.hash(), big),
            vec![
                Action::Report(id.clone(), p, Acceptance::Reject),
                Action::Penalize(p, Offence::Oversize),
            ]
        );
        // A block may be larger than a transaction.
        let large = vec![0u8; MAX_TX_MESSAGE + 1];
        assert_eq!(
            g.on_message(p, id.clone(), &names.block.hash(), large.clone()),
            vec![Action::Validate {
                id,
                source: p,
                topic: Topic::Block,
                data: large
            }]
        );
    }

    #[test]
    fn verdicts_map_to_acceptance_and_offences() {
        let (mut g, _) = gossip();
        let now = Instant::now();
        let mut sync = BlockSync::new(NETWORK, 5);
        let (p, ahead) = two_peers();
        sync.on_connected(p);
        sync.on_connected(ahead);
        sync.on_response(p, SyncResponse::Status(status(5)), now);
        sync.on_response(ahead, SyncResponse::Status(status(6)), now);
        let id = MessageId::new(b"m");
        let report = |peer, a| Action::Report(id.clone(), peer, a);
        let mut verdict = |peer, v| g.on_verdict(id.clone(), peer, v, &mut sync, now);
        assert_eq!(
            verdict(p, Verdict::Accept),
            vec![report(p, Acceptance::Accept)]
        );
        assert_eq!(
            verdict(p, Verdict::Ignore),
            vec![report(p, Acceptance::Ignore)]
        );
        assert_eq!(
            verdict(p, Verdict::Reject(Offence::InvalidTx)),
            vec![
                report(p, Acceptance::Reject),
                Action::Penalize(p, Offence::InvalidTx)
            ]
        );
        // Races: not relayed, charged a little, gossipsub told to ignore.
        assert_eq!(
            verdict(p, Verdict::Refuse(Offence::Duplicate)),
            vec![
                report(p, Acceptance::Ignore),
                Action::Penalize(p, Offence::Duplicate)
            ]
        );
        assert_eq!(
            verdict(p, Verdict::Refuse(Offence::Unspendable)),
            vec![
                report(p, Acceptance::Ignore),
                Action::Penalize(p, Offence::Unspendable)
            ]
        );
        // Not charged while the sender is ahead of us.
        assert_eq!(
            verdict(ahead, Verdict::Refuse(Offence::Unspendable)),
            vec![report(ahead, Acceptance::Ignore)]
        );
        // A block far ahead: ignored, and a download from its sender.
        assert_eq!(
            verdict(p, Verdict::Ahead(9)),
            vec![
                report(p, Acceptance::Ignore),
                Action::Sync(
                    p,
                    SyncRequest::Blocks {
                        from: 6,
                        count: MAX_BLOCKS
                    }
                ),
            ]
        );
        // A compact block missing transactions: held, its block fetched.
        let mut sync = BlockSync::new(NETWORK, 5);
        assert_eq!(
            g.on_verdict(id.clone(), p, Verdict::Fetch(6), &mut sync, now),
            vec![Action::Sync(p, SyncRequest::Blocks { from: 6, count: 1 })]
        );
        // A block stored: accepted, and the tip known at once.
        assert_eq!(
            g.on_verdict(id.clone(), p, Verdict::Applied(6), &mut sync, now),
            vec![report(p, Acceptance::Accept)]
        );
        assert_eq!(sync.local_height(), 6);
    }

    #[tokio::test]
    async fn checks_go_through_the_chain() {
        let chain = FakeChain::at(5);
        let decoding = Arc::new(Semaphore::new(1));
        let verdict = |topic, data| check(&chain, decoding.clone(), topic, data);
        assert_eq!(verdict(Topic::Tx, tx(1, true)).await, Verdict::Accept);
        assert_eq!(
            verdict(Topic::Tx, tx(1, true)).await,
            Verdict::Refuse(Offence::Duplicate)
        );
        assert_eq!(
            verdict(Topic::Tx, tx(2, false)).await,
            Verdict::Reject(Offence::InvalidTx)
        );
        assert_eq!(
            verdict(Topic::Tx, vec![1]).await,
            Verdict::Reject(Offence::Malformed)
        );
        assert_eq!(
            verdict(Topic::Block, block(6, false)).await,
            Verdict::Reject(Offence::InvalidBlock)
        );
        assert_eq!(
            verdict(Topic::Block, block(6, true)).await,
            Verdict::Applied(6)
        );
        assert_eq!(verdict(Topic::Block, block(6, true)).await, Verdict::Ignore);
        assert_eq!(
            verdict(Topic::Block, block(9, true)).await,
            Verdict::Ahead(9)
        );
        assert_eq!(
            verdict(Topic::Compact, vec![1, 2, 3]).await,
            Verdict::Reject(Offence::Malformed)
        );
    }
}
