//! Peer scores (docs/spec/network.md §Scoring). Every peer starts at zero;
//! each offence subtracts its penalty, and a peer at or below
//! [`BAN_SCORE`] is disconnected and refused for the rest of the node's
//! run. Scores never rise: good messages cannot buy room for bad ones.

use std::collections::{HashMap, HashSet};

use libp2p::PeerId;

/// The score at which a peer is cut off.
pub const BAN_SCORE: i32 = -100;

/// Something a peer did wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offence {
    /// Bytes that do not decode (gossip, request or response).
    Malformed,
    /// A message over its topic's size limit.
    Oversize,
    /// A transaction that fails verification (VM, proof or signature), or
    /// whose witness this node refused so recently that it remembers.
    InvalidTx,
    /// A transaction whose VM run exceeds its execution budget
    /// (docs/spec/zkvm.md §Execution budget): built to waste verifiers'
    /// time, so charged as an invalid one.
    OverBudget,
    /// A transaction the mempool already holds: the same bytes, or the
    /// same txid with other signature bytes. Honest relays rarely do it
    /// (gossip drops repeated bytes by message ID), so it costs little;
    /// a peer repeating it is cut off after ten.
    Duplicate,
    /// A transaction spending outputs this node does not know or that are
    /// spent in a block, or one already confirmed. An honest peer does it
    /// when it is a block ahead or behind, so it costs little, and nothing
    /// while the peer's last known height is above this node's.
    Unspendable,
    /// A block that fails validation at the height it claims.
    InvalidBlock,
    /// A sync answer that contradicts the protocol (another network, or
    /// blocks other than those asked for).
    BadResponse,
}

impl Offence {
    /// What it costs.
    pub fn penalty(self) -> i32 {
        match self {
            Offence::Malformed | Offence::Oversize => 40,
            Offence::InvalidTx | Offence::OverBudget => 35,
            Offence::Duplicate => 10,
            Offence::Unspendable => 5,
            Offence::InvalidBlock | Offence::BadResponse => 60,
        }
    }
}

/// The scores of the peers seen in this run.
#[derive(Debug, Default)]
pub struct Scores {
    scores: HashMap<PeerId, i32>,
    banned: HashSet<PeerId>,
}

impl Scores {
    /// Charges `peer` for `offence`; true if this bans it.
    pub fn penalize(&mut self, peer: PeerId, offence: Offence) -> bool {
        let score = self.scores.entry(peer).or_insert(0);
        *score = score.saturating_sub(offence.penalty());
        *score <= BAN_SCORE && self.banned.insert(peer)
    }

    /// The score of `peer`.
    pub fn score(&self, peer: &PeerId) -> i32 {
        self.scores.get(peer).copied().unwrap_or(0)
    }

    /// Whether `peer` is banned.
    pub fn is_banned(&self, peer: &PeerId) -> bool {
        self.banned.contains(peer)
    }

    /// The banned peers.
    pub fn banned(&self) -> impl Iterator<Item = &PeerId> {
        self.banned.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_offences_ban_once() {
        let mut s = Scores::default();
        let p = PeerId::random();
        assert!(!s.penalize(p, Offence::Malformed));
        assert!(!s.penalize(p, Offence::InvalidTx));
        assert!(!s.is_banned(&p));
        assert!(s.penalize(p, Offence::Oversize));
        assert!(s.is_banned(&p));
        assert!(!s.penalize(p, Offence::InvalidBlock), "banned only once");
        assert_eq!(s.score(&p), -175);
        assert_eq!(s.score(&PeerId::random()), 0);
    }

    #[test]
    fn persistent_duplicates_and_unspendables_are_cut_off() {
        let mut s = Scores::default();
        let (d, u) = (PeerId::random(), PeerId::random());
        for _ in 0..9 {
            assert!(!s.penalize(d, Offence::Duplicate));
        }
        assert!(
            s.penalize(d, Offence::Duplicate),
            "the tenth duplicate bans"
        );
        for _ in 0..19 {
            assert!(!s.penalize(u, Offence::Unspendable));
        }
        assert!(s.penalize(u, Offence::Unspendable), "the twentieth bans");
        let o = PeerId::random();
        for _ in 0..2 {
            assert!(!s.penalize(o, Offence::OverBudget));
        }
        assert!(s.penalize(o, Offence::OverBudget), "over budget is invalid");
    }
}
