//! What the protocol state machines ask the driver to do. The machines
//! (gossip, sync, pool exchange, peers) own their state and never touch
//! the swarm or the chain: fed an event, they return actions, which the
//! driver carries out on the swarm or in a task of its own whose result
//! comes back to a machine as another event. So each machine can be
//! tested by feeding it events and reading the actions.

use libp2p::gossipsub::MessageId;
use libp2p::{Multiaddr, PeerId};
use zkvm::TxID;

use super::messages::{PoolRequest, SyncRequest};
use super::scores::Offence;

/// A gossip topic (docs/spec/network.md §Gossip).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Topic {
    Tx,
    Block,
    Compact,
}

/// What gossipsub is told of a held message (its `MessageAcceptance`,
/// which cannot be compared).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Acceptance {
    /// Forwarded to the mesh.
    Accept,
    /// Dropped, the sender not penalized by gossipsub.
    Ignore,
    /// Dropped, the sender penalized by gossipsub.
    Reject,
}

/// One thing for the driver to do.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Action {
    /// Send a sync request.
    Sync(PeerId, SyncRequest),
    /// Send a pool exchange request.
    Pool(PeerId, PoolRequest),
    /// Ask a peer for its peer list.
    AskPeers(PeerId),
    /// Publish on a topic.
    Publish(Topic, Vec<u8>),
    /// Tell gossipsub what a held message turned out to be.
    Report(MessageId, PeerId, Acceptance),
    /// Charge a peer (the peers machine decides on a ban).
    Penalize(PeerId, Offence),
    /// Cut a peer off: close its connections, refuse new ones, drop it
    /// from gossip.
    Ban(PeerId),
    /// Dial an address (a configured peer).
    Dial(Multiaddr),
    /// Dial a discovered peer at an address, by its ID.
    DialPeer(PeerId, Multiaddr),
    /// Validate a gossiped message through the chain, then report its
    /// verdict.
    Validate {
        id: MessageId,
        source: PeerId,
        topic: Topic,
        data: Vec<u8>,
    },
    /// Import downloaded blocks from height `from` in order.
    Import {
        peer: PeerId,
        from: u64,
        blocks: Vec<Vec<u8>>,
    },
    /// Drop from a peer's pool listing what the mempool holds.
    Filter {
        peer: PeerId,
        session: u64,
        listing: Vec<TxID>,
    },
    /// Admit transactions fetched from a peer's pool.
    Take {
        peer: PeerId,
        session: u64,
        asked: Vec<TxID>,
        txs: Vec<Vec<u8>>,
    },
}
