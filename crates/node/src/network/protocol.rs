//! Names and limits of the network protocol (docs/spec/network.md): every
//! topic and protocol name carries the network's ID (the initial header's
//! ID, in hex), so nodes of different networks never exchange messages.

use blockchain::{BlockID, MAX_BLOCK_SIZE};
use libp2p::gossipsub::{IdentTopic, Message, MessageId};
use libp2p::StreamProtocol;

use crate::NodeError;

/// Largest transaction message: the VM's transaction limit.
pub const MAX_TX_MESSAGE: usize = zkvm::limits::MAX_TX_SIZE;
/// Largest block message: the block limit.
pub const MAX_BLOCK_MESSAGE: usize = MAX_BLOCK_SIZE;
/// Gossipsub's frame limit: a block message and its envelope (topic,
/// sender, sequence number, signature).
pub const MAX_GOSSIP_FRAME: usize = MAX_BLOCK_MESSAGE + 4096;
/// The identify protocol's version string.
pub const IDENTIFY_PROTOCOL: &str = "/zkvm/id/1";

/// The network's topics and request-response protocols.
#[derive(Clone, Debug)]
pub struct Names {
    /// Transactions: `/zkvm/<network>/tx/1`.
    pub tx: IdentTopic,
    /// Blocks: `/zkvm/<network>/block/1`.
    pub block: IdentTopic,
    /// Compact blocks: `/zkvm/<network>/cblock/1`.
    pub compact: IdentTopic,
    /// Status, headers, blocks and snapshots: `/zkvm/<network>/sync/3`
    /// (version 3 moved the pool exchange and peer lists to protocols of
    /// their own).
    pub sync: StreamProtocol,
    /// The pool exchange: `/zkvm/<network>/pool/1`.
    pub pool: StreamProtocol,
    /// Peer lists: `/zkvm/<network>/peers/1`.
    pub peers: StreamProtocol,
}

impl Names {
    /// The names for the network whose initial header is `network`.
    pub fn new(network: &BlockID) -> Result<Names, NodeError> {
        let net = network.to_string();
        let protocol = |name: &str| {
            StreamProtocol::try_from_owned(format!("/zkvm/{net}/{name}"))
                .map_err(|e| NodeError::Network(e.to_string()))
        };
        Ok(Names {
            tx: IdentTopic::new(format!("/zkvm/{net}/tx/1")),
            block: IdentTopic::new(format!("/zkvm/{net}/block/1")),
            compact: IdentTopic::new(format!("/zkvm/{net}/cblock/1")),
            sync: protocol("sync/3")?,
            pool: protocol("pool/1")?,
            peers: protocol("peers/1")?,
        })
    }
}

/// A gossip message's ID: a hash of its topic and content, so the same
/// transaction or block published by two nodes is one message (a node
/// forwards it once).
pub fn message_id(message: &Message) -> MessageId {
    let mut t = merlin::Transcript::new(b"ZkVM.p2p.message");
    t.append_message(b"topic", message.topic.as_str().as_bytes());
    t.append_message(b"data", &message.data);
    let mut id = [0u8; 20];
    t.challenge_bytes(b"id", &mut id);
    MessageId::new(&id)
}
