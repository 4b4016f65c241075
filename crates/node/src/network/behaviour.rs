//! The libp2p stack (docs/spec/network.md §Transport): TCP, Noise, Yamux;
//! gossipsub for transactions and blocks; one request-response behaviour
//! per protocol (sync, pool exchange, peers), so that an answer is routed
//! by the behaviour it comes from; identify and ping; a block list for banned peers; connection limits.

// The derive generates `BehaviourEvent`, one variant per field.
#![allow(missing_docs)]

use std::time::Duration;

use libp2p::allow_block_list::{self, BlockedPeers};
use libp2p::connection_limits::{self, ConnectionLimits};
use libp2p::gossipsub::{self, MessageAuthenticity, ValidationMode};
use libp2p::identity::Keypair;
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::NetworkBehaviour;
use libp2p::{identify, noise, ping, tcp, yamux, Swarm, SwarmBuilder};

use super::codec::Framed;
use super::messages::{
    PeerList, PeersRequest, PoolRequest, PoolResponse, SyncRequest, SyncResponse,
};
use super::protocol::{message_id, Names, IDENTIFY_PROTOCOL, MAX_GOSSIP_FRAME};
use crate::NodeError;

/// How long a request may take (a response of blocks can be 24 MiB).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The sync protocol's behaviour.
pub type SyncBehaviour = request_response::Behaviour<Framed<SyncRequest, SyncResponse>>;
/// The pool exchange's behaviour.
pub type PoolBehaviour = request_response::Behaviour<Framed<PoolRequest, PoolResponse>>;
/// The peers protocol's behaviour.
pub type PeersBehaviour = request_response::Behaviour<Framed<PeersRequest, PeerList>>;
/// Inbound connections still in their handshake at once.
const MAX_PENDING_INBOUND: u32 = 32;
/// Connections to one peer (two nodes that dial each other at once may
/// briefly hold two).
const MAX_PER_PEER: u32 = 2;
/// The default cap on inbound connections.
pub const DEFAULT_MAX_INBOUND: u32 = 64;

/// The node's network behaviours.
///
/// The two that deny connections come first: the derive asks each field in
/// order whether to accept a connection, and a request-response behaviour
/// asked before a later field denies it keeps the refused connection as
/// live, then trips its own debug assertion when the peer's last real
/// connection closes (rust-libp2p issue #4773; seen as validators killed
/// with `kill -9` in `crates/cli/tests/testnet.rs`), and meanwhile sends
/// requests to a connection that does not exist.
#[derive(NetworkBehaviour)]
pub struct Behaviour {
    /// Peers cut off for misbehaving.
    pub blocked: allow_block_list::Behaviour<BlockedPeers>,
    /// Caps on connections.
    pub limits: connection_limits::Behaviour,
    /// Transactions and blocks.
    pub gossip: gossipsub::Behaviour,
    /// Status, headers, blocks and snapshots on request.
    pub sync: SyncBehaviour,
    /// Mempool listings and transactions on request.
    pub pool: PoolBehaviour,
    /// Peer lists on request.
    pub peers: PeersBehaviour,
    /// Peers' versions and addresses.
    pub identify: identify::Behaviour,
    /// Liveness.
    pub ping: ping::Behaviour,
}

/// A swarm for the network `names`, with identity `key`, accepting at most
/// `max_inbound` inbound connections. Gossip messages are validated by the
/// node before they are forwarded.
pub fn build_swarm(
    key: Keypair,
    names: &Names,
    max_inbound: u32,
) -> Result<Swarm<Behaviour>, NodeError> {
    let net = |e: &dyn std::fmt::Display| NodeError::Network(e.to_string());
    let gossip_config = gossipsub::ConfigBuilder::default()
        .validation_mode(ValidationMode::Strict)
        .validate_messages()
        .message_id_fn(message_id)
        .max_transmit_size(MAX_GOSSIP_FRAME)
        .heartbeat_interval(Duration::from_millis(500))
        .build()
        .map_err(|e| net(&e))?;
    let names = names.clone();
    let swarm = SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| net(&e))?
        .with_behaviour(move |key| {
            let mut gossip =
                gossipsub::Behaviour::new(MessageAuthenticity::Signed(key.clone()), gossip_config)?;
            gossip.subscribe(&names.tx)?;
            gossip.subscribe(&names.block)?;
            gossip.subscribe(&names.compact)?;
            let config = request_response::Config::default().with_request_timeout(REQUEST_TIMEOUT);
            let sync = request_response::Behaviour::with_codec(
                Framed::default(),
                [(names.sync.clone(), ProtocolSupport::Full)],
                config.clone(),
            );
            let pool = request_response::Behaviour::with_codec(
                Framed::default(),
                [(names.pool.clone(), ProtocolSupport::Full)],
                config.clone(),
            );
            let peers = request_response::Behaviour::with_codec(
                Framed::default(),
                [(names.peers.clone(), ProtocolSupport::Full)],
                config,
            );
            let identify = identify::Behaviour::new(
                identify::Config::new(IDENTIFY_PROTOCOL.into(), key.public())
                    .with_agent_version(format!("zkvm/{}", env!("CARGO_PKG_VERSION"))),
            );
            Ok(Behaviour {
                blocked: allow_block_list::Behaviour::default(),
                limits: connection_limits::Behaviour::new(
                    ConnectionLimits::default()
                        .with_max_pending_incoming(Some(MAX_PENDING_INBOUND))
                        .with_max_established_incoming(Some(max_inbound))
                        .with_max_established_per_peer(Some(MAX_PER_PEER)),
                ),
                gossip,
                sync,
                pool,
                peers,
                identify,
                ping: ping::Behaviour::default(),
            })
        })
        .map_err(|e| net(&e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
        .build();
    Ok(swarm)
}
