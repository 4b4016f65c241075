//! The peers state machine (docs/spec/network.md §Identity and transport,
//! §Peer discovery, §Scoring): the connected peers and where they listen,
//! their scores and bans, redialing the configured peers, and asking one
//! peer at a time for its list while under the target.

use std::collections::HashMap;

use libp2p::{Multiaddr, PeerId};

use super::action::Action;
use super::discovery::{self, DISCOVERY_TICKS};
use super::messages::PeerList;
use super::scores::{Offence, Scores};

/// Redial configured peers every this many ticks.
const REDIAL_TICKS: u64 = 3;

/// A connected peer.
#[derive(Debug)]
pub(super) struct Conn {
    /// The address of the connection.
    pub address: Multiaddr,
    /// Whether this node dialed it.
    pub dialed: bool,
    /// Where it says it listens (identify).
    pub listen_addrs: Vec<Multiaddr>,
}

/// Connections, scores and discovery.
#[derive(Debug)]
pub(super) struct Peers {
    me: PeerId,
    conns: HashMap<PeerId, Conn>,
    scores: Scores,
    /// Dialed, and redialed when no connection reaches them.
    configured: Vec<Multiaddr>,
    /// Discovery dials while there are fewer peers.
    target: usize,
    /// The peer asked for its list, while the answer is outstanding.
    asking: Option<PeerId>,
    ticks: u64,
}

impl Peers {
    pub fn new(me: PeerId, configured: Vec<Multiaddr>, target: usize) -> Peers {
        Peers {
            me,
            conns: HashMap::new(),
            scores: Scores::default(),
            configured,
            target,
            asking: None,
            ticks: 0,
        }
    }

    /// The connected peers.
    pub fn conns(&self) -> &HashMap<PeerId, Conn> {
        &self.conns
    }

    pub fn scores(&self) -> &Scores {
        &self.scores
    }

    /// Dials of every configured peer that no connection of ours reaches.
    pub fn redial(&self) -> Vec<Action> {
        let connected: Vec<Multiaddr> = self
            .conns
            .values()
            .filter(|c| c.dialed)
            .map(|c| transport_part(&c.address))
            .collect();
        self.configured
            .iter()
            .filter(|a| !connected.contains(&transport_part(a)))
            .map(|a| Action::Dial(a.clone()))
            .collect()
    }

    pub fn on_connected(&mut self, peer: PeerId, address: Multiaddr, dialed: bool) {
        let conn = Conn {
            address,
            dialed,
            listen_addrs: Vec::new(),
        };
        self.conns.insert(peer, conn);
    }

    pub fn on_disconnected(&mut self, peer: &PeerId) {
        self.conns.remove(peer);
        if self.asking == Some(*peer) {
            self.asking = None;
        }
    }

    pub fn on_identify(&mut self, peer: &PeerId, listen_addrs: Vec<Multiaddr>) {
        if let Some(c) = self.conns.get_mut(peer) {
            c.listen_addrs = listen_addrs;
        }
    }

    /// Every tick: the redials and the discovery request due.
    pub fn on_tick(&mut self) -> Vec<Action> {
        self.ticks += 1;
        let mut actions = Vec::new();
        if self.ticks.is_multiple_of(REDIAL_TICKS) {
            actions.extend(self.redial());
        }
        if self.ticks.is_multiple_of(DISCOVERY_TICKS) {
            actions.extend(self.ask_for_peers());
        }
        actions
    }

    /// Asks one peer (a different one each time) for its peer list, while
    /// this node has fewer peers than its target.
    fn ask_for_peers(&mut self) -> Option<Action> {
        if self.conns.len() >= self.target || self.asking.is_some() {
            return None;
        }
        let mut ids: Vec<PeerId> = self.conns.keys().copied().collect();
        if ids.is_empty() {
            return None;
        }
        ids.sort();
        let peer = ids[(self.ticks / DISCOVERY_TICKS) as usize % ids.len()];
        self.asking = Some(peer);
        Some(Action::AskPeers(peer))
    }

    /// The list for `requester`: loopback addresses only if it is
    /// connected over loopback.
    pub fn answer(&self, requester: &PeerId) -> PeerList {
        let local = self
            .conns
            .get(requester)
            .is_some_and(|c| discovery::is_loopback(&c.address));
        PeerList(discovery::peer_list(
            self.conns
                .iter()
                .map(|(id, c)| (id, c.listen_addrs.as_slice())),
            requester,
            local,
        ))
    }

    /// The asked peer's request failed or was refused.
    pub fn on_list_failed(&mut self, from: &PeerId) {
        if self.asking == Some(*from) {
            self.asking = None;
        }
    }

    /// Dials the listed peers this node is not connected to, not banned
    /// and not itself, up to its target. A list nobody asked for is a bad
    /// response.
    pub fn on_list(&mut self, from: PeerId, list: PeerList) -> Vec<Action> {
        if self.asking != Some(from) {
            return vec![Action::Penalize(from, Offence::BadResponse)];
        }
        self.asking = None;
        let local = self
            .conns
            .get(&from)
            .is_some_and(|c| discovery::is_loopback(&c.address));
        let mut room = self.target.saturating_sub(self.conns.len());
        let mut actions = Vec::new();
        for (id, addr) in list.0 {
            if room == 0 {
                break;
            }
            if id == self.me || self.conns.contains_key(&id) || self.scores.is_banned(&id) {
                continue;
            }
            // Only what our transport dials; loopback only from a peer on
            // this machine.
            if !discovery::dialable(&addr) || (!local && discovery::is_loopback(&addr)) {
                continue;
            }
            // A list naming a peer twice gets one dial.
            if actions
                .iter()
                .any(|a| matches!(a, Action::DialPeer(d, _) if *d == id))
            {
                continue;
            }
            actions.push(Action::DialPeer(id, addr));
            room -= 1;
        }
        actions
    }

    /// Charges `peer`; a ban once its score reaches the threshold (once).
    pub fn penalize(&mut self, peer: PeerId, offence: Offence) -> Vec<Action> {
        if self.scores.is_banned(&peer) {
            return Vec::new();
        }
        if self.scores.penalize(peer, offence) {
            self.on_disconnected(&peer);
            return vec![Action::Ban(peer)];
        }
        Vec::new()
    }
}

/// An address without its `/p2p/<id>` part, to compare dialed addresses.
fn transport_part(addr: &Multiaddr) -> Multiaddr {
    addr.iter()
        .filter(|p| !matches!(p, libp2p::multiaddr::Protocol::P2p(_)))
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
    fn a_ban_comes_at_the_threshold_and_only_once() {
        let bad = PeerId::random();
        // -60 - 40 = -100: exactly the threshold.
        let mut q = Peers::new(PeerId::random(), Vec::new(), 8);
        q.on_connected(bad, addr("/ip4/10.0.0.1/tcp/1"), false);
        assert!(q.penalize(bad, Offence::InvalidBlock).is_empty());
        assert_eq!(q.scores().score(&bad), -60);
        assert_eq!(q.penalize(bad, Offence::Malformed), vec![Action::Ban(bad)]);
        assert!(q.conns().is_empty(), "a banned peer is no longer a peer");
        assert!(
            q.penalize(bad, Offence::Malformed).is_empty(),
            "banned once"
        );
        // A banned peer listed by another is not dialed.
        let good = PeerId::random();
        q.on_connected(good, addr("/ip4/10.0.0.2/tcp/1"), true);
        assert_eq!(q.ask_for_peers(), Some(Action::AskPeers(good)));
        let list = PeerList(vec![(bad, addr("/ip4/10.0.0.1/tcp/1"))]);
        assert!(q.on_list(good, list).is_empty());
    }

    #[test]
    fn discovery_dials_up_to_the_target() {
        let me = PeerId::random();
        let mut p = Peers::new(me, Vec::new(), 3);
        let first = PeerId::random();
        p.on_connected(first, addr("/ip4/10.0.0.1/tcp/1"), true);
        // The first tick asks nobody (every other tick does).
        assert!(p.on_tick().is_empty());
        assert_eq!(p.on_tick(), vec![Action::AskPeers(first)]);
        // One request at a time.
        assert!(p.on_tick().is_empty() && p.on_tick().is_empty());
        let others: Vec<PeerId> = (0..5).map(|_| PeerId::random()).collect();
        let mut list: Vec<_> = others
            .iter()
            .enumerate()
            .map(|(i, id)| (*id, addr(&format!("/ip4/10.0.1.{i}/tcp/9798"))))
            .collect();
        // Itself, a peer it has, loopback from a remote peer: skipped.
        list.insert(0, (me, addr("/ip4/10.0.2.1/tcp/1")));
        list.insert(0, (first, addr("/ip4/10.0.2.2/tcp/1")));
        list.insert(0, (PeerId::random(), addr("/ip4/127.0.0.1/tcp/1")));
        let dials = p.on_list(first, PeerList(list));
        // Room for two: the target is 3 and one is connected.
        assert_eq!(
            dials,
            vec![
                Action::DialPeer(others[0], addr("/ip4/10.0.1.0/tcp/9798")),
                Action::DialPeer(others[1], addr("/ip4/10.0.1.1/tcp/9798")),
            ]
        );
        // An answer nobody asked for is charged.
        assert_eq!(
            p.on_list(first, PeerList(Vec::new())),
            vec![Action::Penalize(first, Offence::BadResponse)]
        );
        // At the target, nobody is asked.
        p.on_connected(others[0], addr("/ip4/10.0.1.0/tcp/9798"), true);
        p.on_connected(others[1], addr("/ip4/10.0.1.1/tcp/9798"), true);
        assert!((0..4).all(|_| !p.on_tick().iter().any(|a| matches!(a, Action::AskPeers(_)))));
    }

    #[test]
    fn configured_peers_are_redialed_when_not_connected() {
        let configured = addr("/ip4/10.0.0.9/tcp/9798");
        let mut p = Peers::new(PeerId::random(), vec![configured.clone()], 0);
        assert_eq!(p.redial(), vec![Action::Dial(configured.clone())]);
        let id = PeerId::random();
        p.on_connected(id, configured.clone(), true);
        assert!(p.redial().is_empty());
        assert!(
            (0..6).all(|_| p.on_tick().is_empty()),
            "target 0: no asking"
        );
        p.on_disconnected(&id);
        assert_eq!(p.redial(), vec![Action::Dial(configured)]);
    }
}
