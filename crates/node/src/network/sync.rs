//! The sync state machine (docs/spec/network.md §Catching up, §Compact
//! relay): peers' statuses, asked for every tick; the download of the
//! blocks after the tip from the highest peer, one at a time; a compact
//! block held until its full block is in. Downloaded blocks are imported
//! by [`import`], through the chain's trait.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use blockchain::{BlockID, BlockchainError};
use libp2p::gossipsub::MessageId;
use libp2p::PeerId;
use tracing::{debug, warn};

use super::action::{Acceptance, Action};
use super::chain::ChainAccess;
use super::messages::{PeerStatus, SyncRequest, SyncResponse, MAX_BLOCKS};
use super::scores::Offence;
use crate::actor::Import;
use crate::NodeError;

/// How long a node one block behind its best peer waits for that block's
/// gossip before downloading it.
pub(super) const SYNC_GRACE: Duration = Duration::from_secs(2);

/// The sync side of every connection.
#[derive(Debug)]
pub(super) struct BlockSync {
    network: BlockID,
    /// This node's tip height, as last known.
    local_height: u64,
    /// Each connected peer's last status.
    statuses: HashMap<PeerId, Option<PeerStatus>>,
    /// The peer blocks are being downloaded from, and the first height
    /// asked for.
    syncing: Option<(PeerId, u64)>,
    /// A compact block held unvalidated until its full block is fetched.
    pending_compact: Option<(MessageId, PeerId, u64)>,
    /// Gossiped blocks being validated now.
    validating_blocks: usize,
    /// Since when a peer has been one block ahead.
    behind_since: Option<Instant>,
}

impl BlockSync {
    pub fn new(network: BlockID, local_height: u64) -> BlockSync {
        BlockSync {
            network,
            local_height,
            statuses: HashMap::new(),
            syncing: None,
            pending_compact: None,
            validating_blocks: 0,
            behind_since: None,
        }
    }

    #[cfg(test)]
    pub fn local_height(&self) -> u64 {
        self.local_height
    }

    /// A peer's tip height, once it said.
    pub fn height_of(&self, peer: &PeerId) -> Option<u64> {
        self.statuses.get(peer)?.as_ref().map(|s| s.height)
    }

    /// Whether `peer` last said its tip is above this node's.
    pub fn is_ahead(&self, peer: &PeerId) -> bool {
        self.height_of(peer).is_some_and(|h| h > self.local_height)
    }

    /// Whether `peer`'s tip is no higher than this node's.
    pub fn is_level(&self, peer: &PeerId) -> bool {
        self.height_of(peer).is_some_and(|h| h <= self.local_height)
    }

    /// A new peer is asked for its status at once.
    pub fn on_connected(&mut self, peer: PeerId) -> Vec<Action> {
        self.statuses.insert(peer, None);
        vec![Action::Sync(peer, SyncRequest::Status)]
    }

    pub fn on_disconnected(&mut self, peer: &PeerId) -> Vec<Action> {
        self.statuses.remove(peer);
        self.stop_syncing_with(*peer)
    }

    /// Every tick every peer is asked for its status.
    pub fn on_tick(&mut self) -> Vec<Action> {
        let mut peers: Vec<PeerId> = self.statuses.keys().copied().collect();
        peers.sort();
        peers
            .into_iter()
            .map(|p| Action::Sync(p, SyncRequest::Status))
            .collect()
    }

    /// A sync answer from `peer`.
    pub fn on_response(
        &mut self,
        peer: PeerId,
        response: SyncResponse,
        now: Instant,
    ) -> Vec<Action> {
        match response {
            SyncResponse::Status(status) => {
                if status.network != self.network {
                    return vec![Action::Penalize(peer, Offence::BadResponse)];
                }
                if let Some(s) = self.statuses.get_mut(&peer) {
                    *s = Some(status);
                }
                self.maybe_sync(now)
            }
            SyncResponse::Blocks(blocks) if self.syncing.is_some_and(|(p, _)| p == peer) => {
                let from = self.syncing.map_or(self.local_height + 1, |(_, f)| f);
                if blocks.is_empty() {
                    // It said it had them; treat it as level with us.
                    if let Some(Some(s)) = self.statuses.get_mut(&peer) {
                        s.height = self.local_height;
                    }
                    self.syncing = None;
                    return Vec::new();
                }
                vec![Action::Import { peer, from, blocks }]
            }
            SyncResponse::Error(reason) => {
                debug!(%peer, reason, "peer refused a sync request");
                self.stop_syncing_with(peer)
            }
            // Headers, snapshots and blocks nobody asked for.
            _ => vec![Action::Penalize(peer, Offence::BadResponse)],
        }
    }

    /// A sync request to `peer` failed (timeout, closed stream).
    pub fn on_failure(&mut self, peer: PeerId) -> Vec<Action> {
        self.stop_syncing_with(peer)
    }

    /// Downloaded blocks from `peer` were imported up to `height`;
    /// `offence` stopped the import, if any.
    pub fn on_imported(
        &mut self,
        peer: PeerId,
        height: u64,
        offence: Option<Offence>,
        now: Instant,
    ) -> Vec<Action> {
        let mut actions = self.on_height(height, now);
        actions.extend(self.stop_syncing_with(peer));
        if let Some(offence) = offence {
            actions.push(Action::Penalize(peer, offence));
        }
        actions.extend(self.maybe_sync(now));
        actions
    }

    /// The chain's tip is at `height` (at least).
    pub fn on_height(&mut self, height: u64, now: Instant) -> Vec<Action> {
        self.local_height = self.local_height.max(height);
        let mut actions = Vec::new();
        if self.pending_compact.as_ref().is_some_and(|p| height >= p.2) {
            if let Some((id, source, _)) = self.pending_compact.take() {
                actions.push(Action::Report(id, source, Acceptance::Accept));
            }
        }
        actions.extend(self.maybe_sync(now));
        actions
    }

    /// A gossiped block is being validated: a download now would likely
    /// fetch it again.
    pub fn block_validation_started(&mut self) {
        self.validating_blocks += 1;
    }

    pub fn block_validation_ended(&mut self) {
        self.validating_blocks = self.validating_blocks.saturating_sub(1);
    }

    /// A gossiped block was stored at `height`: known at once, so the next
    /// status from a peer at this height does not start a download of it.
    pub fn on_applied(&mut self, height: u64) {
        self.local_height = self.local_height.max(height);
    }

    /// `peer` gossiped a block at `height`, above the tip's successor: it
    /// is ahead of us.
    pub fn on_ahead(&mut self, peer: PeerId, height: u64, now: Instant) -> Vec<Action> {
        if let Some(Some(s)) = self.statuses.get_mut(&peer) {
            s.height = s.height.max(height);
        }
        self.maybe_sync(now)
    }

    /// A compact block from `source` at `height` needs its full block:
    /// held until it is in, unless a download runs (then ignored).
    pub fn on_compact_needs_full(
        &mut self,
        id: MessageId,
        source: PeerId,
        height: u64,
    ) -> Vec<Action> {
        if self.syncing.is_some() || self.pending_compact.is_some() {
            return vec![Action::Report(id, source, Acceptance::Ignore)];
        }
        self.pending_compact = Some((id, source, height));
        vec![self.request_blocks(source, height, 1)]
    }

    /// Asks the highest peer for the blocks after our tip, unless a
    /// download is under way.
    fn maybe_sync(&mut self, now: Instant) -> Vec<Action> {
        // A block under validation is likely the one a download would
        // fetch again.
        if self.syncing.is_some() || self.validating_blocks > 0 {
            return Vec::new();
        }
        let want = self.local_height + 1;
        let best = self
            .statuses
            .iter()
            .filter_map(|(id, s)| s.as_ref().map(|s| (*id, s)))
            .filter(|(_, s)| s.height >= want && s.first_block <= want)
            .max_by_key(|(id, s)| (s.height, *id))
            .map(|(id, s)| (id, s.height));
        let Some((peer, height)) = best else {
            self.behind_since = None;
            return Vec::new();
        };
        // One block behind is the normal state while a new block is on its
        // way by gossip: download it only if it has not come after a grace.
        if height == want {
            let since = *self.behind_since.get_or_insert(now);
            if now.saturating_duration_since(since) < SYNC_GRACE {
                return Vec::new();
            }
        }
        self.behind_since = None;
        debug!(%peer, from = want, "downloading blocks");
        vec![self.request_blocks(peer, want, MAX_BLOCKS)]
    }

    fn request_blocks(&mut self, peer: PeerId, from: u64, count: u32) -> Action {
        self.syncing = Some((peer, from));
        Action::Sync(peer, SyncRequest::Blocks { from, count })
    }

    /// Ends the download from `peer`, if one runs; a compact block waiting
    /// for it is dropped unless its block arrived.
    fn stop_syncing_with(&mut self, peer: PeerId) -> Vec<Action> {
        if self.syncing.is_none_or(|(p, _)| p != peer) {
            return Vec::new();
        }
        self.syncing = None;
        match self.pending_compact.take() {
            Some((id, source, height)) => {
                let acceptance = if self.local_height >= height {
                    Acceptance::Accept
                } else {
                    Acceptance::Ignore
                };
                vec![Action::Report(id, source, acceptance)]
            }
            None => Vec::new(),
        }
    }
}

/// Whether a chain error means the block itself is invalid (rather than
/// this node failing to store it).
pub(super) fn block_is_invalid(e: &NodeError) -> bool {
    // A certificate that does not seal the block (forged, short of a
    // quorum, of another block, missing) is the sender's fault too.
    matches!(e, NodeError::Chain(_) | NodeError::Consensus(_))
}

/// Whether a chain error means the block's bytes do not decode.
pub(super) fn block_is_malformed(e: &NodeError) -> bool {
    matches!(
        e,
        NodeError::Chain(
            BlockchainError::Decode(_)
                | BlockchainError::DecodeTx { .. }
                | BlockchainError::SignatureEncoding(_)
                | BlockchainError::TooLarge { .. }
        )
    )
}

/// Imports downloaded blocks in order from height `from`; returns the new
/// tip height and the offence that stopped it, if any: a block at another
/// height than asked is a bad response, one that does not decode
/// malformed, one that fails validation invalid.
pub(super) async fn import<C: ChainAccess>(
    chain: &C,
    from: u64,
    blocks: Vec<Vec<u8>>,
) -> (u64, Option<Offence>) {
    let mut offence = None;
    for (i, bytes) in blocks.into_iter().enumerate() {
        let expected = from + i as u64;
        if header_height(&bytes) != Some(expected) {
            offence = Some(Offence::BadResponse);
            break;
        }
        match chain.import_block(bytes).await {
            // Known: arrived by gossip meanwhile.
            Ok(Import::Stored(_) | Import::Known) => {}
            Ok(Import::Ahead(_) | Import::NeedFull(_)) => break,
            Err(e) if block_is_malformed(&e) => {
                offence = Some(Offence::Malformed);
                break;
            }
            Err(e) if block_is_invalid(&e) => {
                warn!(%e, height = expected, "downloaded block refused");
                offence = Some(Offence::InvalidBlock);
                break;
            }
            Err(e) => {
                warn!(%e, "cannot apply a downloaded block");
                break;
            }
        }
    }
    (chain.status().height, offence)
}

/// The height in a block's encoding (docs/spec/blockchain.md §Block
/// encoding: after the version), without decoding the rest.
fn header_height(block: &[u8]) -> Option<u64> {
    let bytes = block.get(8..16)?;
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::fake_chain::{block, status, two_peers, FakeChain, NETWORK};
    use super::*;

    fn blocks_from(peer: PeerId, from: u64, count: u32) -> Action {
        Action::Sync(peer, SyncRequest::Blocks { from, count })
    }

    #[tokio::test]
    async fn the_peer_ahead_is_asked_and_a_wrong_block_is_charged() {
        let now = Instant::now();
        let mut sync = BlockSync::new(NETWORK, 5);
        let (level, ahead) = two_peers();
        for p in [level, ahead] {
            assert_eq!(
                sync.on_connected(p),
                vec![Action::Sync(p, SyncRequest::Status)]
            );
        }
        let level_status = SyncResponse::Status(status(5));
        assert!(sync.on_response(level, level_status, now).is_empty());
        assert!(sync.is_level(&level));
        let ahead_status = SyncResponse::Status(status(9));
        assert_eq!(
            sync.on_response(ahead, ahead_status, now),
            vec![blocks_from(ahead, 6, MAX_BLOCKS)]
        );
        // One download at a time.
        let higher = SyncResponse::Status(status(12));
        assert!(sync.on_response(level, higher, now).is_empty());
        // Blocks from a peer nobody asked are charged.
        let unasked = SyncResponse::Blocks(vec![block(6, true)]);
        assert_eq!(
            sync.on_response(level, unasked, now),
            vec![Action::Penalize(level, Offence::BadResponse)]
        );
        // The third block is invalid: two are imported, the peer charged,
        // and the download goes on from the highest peer.
        let answer: Vec<_> = [(6, true), (7, true), (8, false), (9, true)]
            .iter()
            .map(|&(h, ok)| block(h, ok))
            .collect();
        let actions = sync.on_response(ahead, SyncResponse::Blocks(answer.clone()), now);
        assert_eq!(
            actions,
            vec![Action::Import {
                peer: ahead,
                from: 6,
                blocks: answer.clone()
            }]
        );
        let chain = FakeChain::at(5);
        let (height, offence) = import(&chain, 6, answer).await;
        assert_eq!((height, offence), (7, Some(Offence::InvalidBlock)));
        assert_eq!(
            sync.on_imported(ahead, height, offence, now),
            vec![
                Action::Penalize(ahead, Offence::InvalidBlock),
                blocks_from(level, 8, MAX_BLOCKS),
            ]
        );
        assert_eq!(sync.local_height(), 7);
        // A block at another height than asked is a bad response, and
        // nothing after it is imported.
        let (height, offence) = import(&chain, 8, vec![block(9, true)]).await;
        assert_eq!((height, offence), (7, Some(Offence::BadResponse)));
    }

    #[test]
    fn one_block_behind_waits_for_gossip_first() {
        let now = Instant::now();
        let mut sync = BlockSync::new(NETWORK, 5);
        let (a, _) = two_peers();
        sync.on_connected(a);
        assert!(sync
            .on_response(a, SyncResponse::Status(status(6)), now)
            .is_empty());
        assert!(sync.on_height(5, now + SYNC_GRACE / 2).is_empty());
        assert_eq!(
            sync.on_height(5, now + SYNC_GRACE),
            vec![blocks_from(a, 6, MAX_BLOCKS)]
        );
        // A gossiped block under validation holds a download back too.
        let mut sync = BlockSync::new(NETWORK, 5);
        sync.on_connected(a);
        sync.block_validation_started();
        assert!(sync
            .on_response(a, SyncResponse::Status(status(9)), now)
            .is_empty());
        sync.block_validation_ended();
        assert_eq!(sync.on_height(5, now), vec![blocks_from(a, 6, MAX_BLOCKS)]);
    }

    #[test]
    fn another_network_or_an_empty_answer() {
        let now = Instant::now();
        let mut sync = BlockSync::new(NETWORK, 5);
        let (a, _) = two_peers();
        sync.on_connected(a);
        let mut other = status(9);
        other.network = BlockID::from_bytes([8; 32]);
        assert_eq!(
            sync.on_response(a, SyncResponse::Status(other), now),
            vec![Action::Penalize(a, Offence::BadResponse)]
        );
        assert_eq!(sync.height_of(&a), None);
        assert_eq!(
            sync.on_response(a, SyncResponse::Status(status(9)), now),
            vec![blocks_from(a, 6, MAX_BLOCKS)]
        );
        // It had nothing after all: level with us, no charge, no retry.
        assert!(sync
            .on_response(a, SyncResponse::Blocks(Vec::new()), now)
            .is_empty());
        assert_eq!(sync.height_of(&a), Some(5));
        assert!(sync.on_height(5, now + SYNC_GRACE).is_empty());
    }

    #[test]
    fn a_compact_block_is_held_until_its_full_block_is_in() {
        let now = Instant::now();
        let mut sync = BlockSync::new(NETWORK, 5);
        let (a, b) = two_peers();
        sync.on_connected(a);
        let id = MessageId::new(b"compact");
        assert_eq!(
            sync.on_compact_needs_full(id.clone(), a, 6),
            vec![blocks_from(a, 6, 1)]
        );
        // Another while the first is held: ignored at once.
        let other = MessageId::new(b"other");
        assert_eq!(
            sync.on_compact_needs_full(other.clone(), b, 6),
            vec![Action::Report(other, b, Acceptance::Ignore)]
        );
        let actions = sync.on_imported(a, 6, None, now);
        assert_eq!(
            actions,
            vec![Action::Report(id.clone(), a, Acceptance::Accept)]
        );
        // Its sender gone before the block came: ignored.
        sync.on_compact_needs_full(id.clone(), a, 7);
        assert_eq!(
            sync.on_disconnected(&a),
            vec![Action::Report(id, a, Acceptance::Ignore)]
        );
    }
}
