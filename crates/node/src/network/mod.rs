//! The peer-to-peer network (docs/spec/network.md): libp2p over TCP with
//! Noise and Yamux; gossip of transactions and blocks, each verified before
//! it is forwarded; sync of headers, blocks and snapshots on request; an
//! exchange of mempools between newly connected peers; peer discovery;
//! peer scores that cut off misbehaving peers.
//!
//! One driver task owns the swarm; each protocol is a state machine
//! (gossip, sync, pool exchange, peers) that owns its state, is fed events
//! and returns actions for the driver to carry out. The network reaches
//! the chain only through [`ChainAccess`].

mod action;
mod answers;
mod behaviour;
mod bootstrap;
mod chain;
mod codec;
mod compact;
mod discovery;
mod driver;
#[cfg(test)]
mod fake_chain;
mod gossip;
mod handle;
mod key;
pub mod messages;
mod peers;
mod pool_exchange;
mod protocol;
mod scores;
mod sync;

pub use behaviour::{
    build_swarm, Behaviour, BehaviourEvent, PeersBehaviour, PoolBehaviour, SyncBehaviour,
    DEFAULT_MAX_INBOUND,
};
pub use bootstrap::{fetch_snapshot, VerifiedSnapshot};
pub use chain::ChainAccess;
pub use compact::{short_id, CompactBlock, ShortID};
pub use handle::{node_key, start_network, NetInfo, NetworkHandle, NetworkSettings, PeerView};
pub use key::{load_or_create as load_node_key, NODE_KEY_FILE};
pub use protocol::{message_id, Names, MAX_BLOCK_MESSAGE, MAX_GOSSIP_FRAME, MAX_TX_MESSAGE};
pub use scores::{Offence, Scores, BAN_SCORE};

/// Parses a peer or listening address: a multiaddr (`/ip4/1.2.3.4/tcp/9798`)
/// or `host:port` for TCP.
pub fn parse_addr(s: &str) -> Result<libp2p::Multiaddr, crate::NodeError> {
    if s.starts_with('/') {
        return s
            .parse()
            .map_err(|e| crate::NodeError::Config(format!("bad address {s:?}: {e}")));
    }
    let sock: std::net::SocketAddr = s.parse().map_err(|e| {
        crate::NodeError::Config(format!(
            "bad address {s:?} (expected host:port or a multiaddr): {e}"
        ))
    })?;
    let ip = match sock.ip() {
        std::net::IpAddr::V4(ip) => libp2p::multiaddr::Protocol::Ip4(ip),
        std::net::IpAddr::V6(ip) => libp2p::multiaddr::Protocol::Ip6(ip),
    };
    Ok(libp2p::Multiaddr::empty()
        .with(ip)
        .with(libp2p::multiaddr::Protocol::Tcp(sock.port())))
}

/// The IP address and TCP port of a multiaddr that is just those
/// (`/ip4/…/tcp/…` or `/ip6/…/tcp/…`); `None` for any other.
pub fn tcp_socket_addr(addr: &libp2p::Multiaddr) -> Option<std::net::SocketAddr> {
    use libp2p::multiaddr::Protocol;
    let mut parts = addr.iter();
    let ip: std::net::IpAddr = match parts.next()? {
        Protocol::Ip4(ip) => ip.into(),
        Protocol::Ip6(ip) => ip.into(),
        _ => return None,
    };
    let Protocol::Tcp(port) = parts.next()? else {
        return None;
    };
    parts
        .next()
        .is_none()
        .then_some(std::net::SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn addresses_parse_in_both_forms() {
        assert_eq!(
            parse_addr("127.0.0.1:9798").unwrap(),
            parse_addr("/ip4/127.0.0.1/tcp/9798").unwrap()
        );
        assert!(parse_addr("[::1]:1").is_ok());
        assert!(parse_addr("nowhere").is_err());
        assert!(parse_addr("/ip4/1.2.3/tcp/1").is_err());
    }
}
