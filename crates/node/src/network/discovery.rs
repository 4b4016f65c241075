//! Peer discovery (docs/spec/network.md §Peer discovery): a node learns
//! the addresses its peers listen on from identify, hands them to peers
//! that ask, and while it has fewer peers than its target it asks one peer
//! at a time for its list and dials the peers it does not know.

use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};

use super::messages::{MAX_ADDR_BYTES, MAX_PEER_ADDRS, MAX_PEER_ID_BYTES};

/// Ask for a peer list every this many ticks while under the target.
pub(super) const DISCOVERY_TICKS: u64 = 2;

/// Whether `addr` can only be reached from the same machine.
pub(super) fn is_loopback(addr: &Multiaddr) -> bool {
    addr.iter().any(|p| match p {
        Protocol::Ip4(ip) => ip.is_loopback(),
        Protocol::Ip6(ip) => ip.is_loopback(),
        _ => false,
    })
}

/// Whether `addr` is exactly `/ip4|ip6/<address>/tcp/<port>` with a
/// specified IP and a port: what this node's transport dials (there is no
/// DNS resolution), and nothing a peer could pad.
pub(super) fn dialable(addr: &Multiaddr) -> bool {
    let mut parts = addr.iter();
    let ip = match parts.next() {
        Some(Protocol::Ip4(ip)) => !ip.is_unspecified(),
        Some(Protocol::Ip6(ip)) => !ip.is_unspecified(),
        _ => false,
    };
    let port = matches!(parts.next(), Some(Protocol::Tcp(p)) if p != 0);
    ip && port && parts.next().is_none()
}

/// The address to hand out for a peer that listens on `addrs`: the first
/// dialable one that is not loopback, else the first dialable one (nodes
/// of a devnet on one machine listen on loopback only).
pub(super) fn best_address(addrs: &[Multiaddr]) -> Option<Multiaddr> {
    let mut usable = addrs.iter().filter(|a| dialable(a));
    let first = usable.clone().next().cloned();
    usable.find(|a| !is_loopback(a)).cloned().or(first)
}

/// The list sent to `requester`: connected peers other than it, each with
/// its best address, at most [`MAX_PEER_ADDRS`]. Loopback addresses go
/// only to a `local` requester (one connected over loopback), for whom
/// they mean the same machine.
pub(super) fn peer_list<'a>(
    peers: impl Iterator<Item = (&'a PeerId, &'a [Multiaddr])>,
    requester: &PeerId,
    local: bool,
) -> Vec<(PeerId, Multiaddr)> {
    peers
        .filter(|(id, _)| *id != requester && id.to_bytes().len() <= MAX_PEER_ID_BYTES)
        .filter_map(|(id, addrs)| best_address(addrs).map(|a| (*id, a)))
        .filter(|(_, a)| local || !is_loopback(a))
        .filter(|(_, a)| a.as_ref().len() <= MAX_ADDR_BYTES)
        .take(MAX_PEER_ADDRS as usize)
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn addr(s: &str) -> Multiaddr {
        s.parse().unwrap()
    }

    #[test]
    fn routable_addresses_are_preferred_and_odd_ones_skipped() {
        let lo = addr("/ip4/127.0.0.1/tcp/9798");
        let lan = addr("/ip4/10.1.2.3/tcp/9798");
        assert_eq!(best_address(&[lo.clone(), lan.clone()]), Some(lan));
        assert_eq!(best_address(std::slice::from_ref(&lo)), Some(lo));
        assert_eq!(best_address(&[addr("/ip4/0.0.0.0/tcp/9798")]), None);
        assert_eq!(best_address(&[addr("/ip4/10.1.2.3/tcp/0")]), None);
        assert_eq!(best_address(&[addr("/ip4/10.1.2.3/udp/9798")]), None);
        assert_eq!(best_address(&[addr("/dns4/example.org/tcp/9798")]), None);
        let with_id =
            "/ip4/10.1.2.3/tcp/9798/p2p/12D3KooWLRPJAA5o6WnoTCHdHtEh9qgTqLYXN8YqZrHs8uMURr3M";
        assert_eq!(best_address(&[addr(with_id)]), None);
        assert_eq!(best_address(&[]), None);
    }

    /// Found in review: a peer announcing a long address through identify
    /// made every list that named it undecodable, and the honest node that
    /// sent the list was charged for it.
    #[test]
    fn every_list_decodes() {
        use super::super::messages::{PeerList, Wire};
        let padded: Multiaddr = format!("{}/tcp/1", "/ip4/10.0.0.1".repeat(60))
            .parse()
            .unwrap();
        assert!(padded.as_ref().len() > MAX_ADDR_BYTES);
        let peers: Vec<(PeerId, Vec<Multiaddr>)> = (0..100)
            .map(|i| {
                let addrs = match i % 3 {
                    0 => vec![padded.clone()],
                    1 => vec![addr("/ip4/127.0.0.1/tcp/9798")],
                    _ => vec![addr(&format!("/ip6/fd00::{i}/tcp/9798"))],
                };
                (PeerId::random(), addrs)
            })
            .collect();
        for local in [false, true] {
            let list = peer_list(
                peers.iter().map(|(id, v)| (id, v.as_slice())),
                &PeerId::random(),
                local,
            );
            assert!(!list.is_empty() && list.len() <= MAX_PEER_ADDRS as usize);
            assert_eq!(list.iter().any(|(_, a)| is_loopback(a)), local);
            assert!(list.iter().all(|(_, a)| dialable(a)));
            assert!(PeerList::from_bytes(&PeerList(list).to_bytes()).is_ok());
        }
    }

    #[test]
    fn the_requester_is_left_out() {
        let (a, b) = (PeerId::random(), PeerId::random());
        let addrs = vec![addr("/ip4/10.0.0.1/tcp/1")];
        let peers = [(a, addrs.clone()), (b, addrs.clone())];
        let list = peer_list(peers.iter().map(|(id, v)| (id, v.as_slice())), &a, false);
        assert_eq!(list, vec![(b, addrs[0].clone())]);
    }
}
