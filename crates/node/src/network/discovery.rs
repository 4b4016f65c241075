//! Peer discovery (docs/spec/network.md §Peer discovery): a node learns
//! the addresses its peers listen on from identify, hands them to peers
//! that ask, and while it has fewer peers than its target it asks one peer
//! at a time for its list and dials the peers it does not know.

use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};

use super::messages::MAX_PEER_ADDRS;

/// Ask for a peer list every this many ticks while under the target.
pub(super) const DISCOVERY_TICKS: u64 = 2;

/// Whether `addr` can only be reached from the same machine.
fn is_loopback(addr: &Multiaddr) -> bool {
    addr.iter().any(|p| match p {
        Protocol::Ip4(ip) => ip.is_loopback(),
        Protocol::Ip6(ip) => ip.is_loopback(),
        _ => false,
    })
}

/// Whether `addr` is a plain TCP address this node can dial (no relay,
/// no unspecified IP, no peer ID of its own).
fn dialable(addr: &Multiaddr) -> bool {
    let mut tcp = false;
    for p in addr.iter() {
        match p {
            Protocol::Ip4(ip) if ip.is_unspecified() => return false,
            Protocol::Ip6(ip) if ip.is_unspecified() => return false,
            Protocol::Ip4(_)
            | Protocol::Ip6(_)
            | Protocol::Dns(_)
            | Protocol::Dns4(_)
            | Protocol::Dns6(_) => {}
            Protocol::Tcp(port) => tcp = port != 0,
            _ => return false,
        }
    }
    tcp
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
/// its best address, at most [`MAX_PEER_ADDRS`].
pub(super) fn peer_list<'a>(
    peers: impl Iterator<Item = (&'a PeerId, &'a [Multiaddr])>,
    requester: &PeerId,
) -> Vec<(PeerId, Multiaddr)> {
    peers
        .filter(|(id, _)| *id != requester)
        .filter_map(|(id, addrs)| best_address(addrs).map(|a| (*id, a)))
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
        assert_eq!(best_address(&[]), None);
    }

    #[test]
    fn the_requester_is_left_out() {
        let (a, b) = (PeerId::random(), PeerId::random());
        let addrs = vec![addr("/ip4/10.0.0.1/tcp/1")];
        let peers = [(a, addrs.clone()), (b, addrs.clone())];
        let list = peer_list(peers.iter().map(|(id, v)| (id, v.as_slice())), &a);
        assert_eq!(list, vec![(b, addrs[0].clone())]);
    }
}
