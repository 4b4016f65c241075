//! Peer scores (docs/spec/network.md §Scoring). Every peer starts at zero;
//! each offence subtracts its penalty, and a peer at or below
//! [`BAN_SCORE`] is disconnected and refused for the rest of the node's
//! run. Good messages cannot buy room for bad ones: the penalties of
//! offences only a faulty or hostile peer commits never wear off. Those an
//! honest peer commits now and then by racing a block or another relay
//! ([`Offence::is_soft`]) wear off at one point per [`SOFT_RECOVERY_SECS`], so that
//! rare races spread over a long run never add up to a ban (nor can a
//! third party who provokes races between two honest peers, e.g. with
//! re-signed copies of a transaction, make them ban each other unless it
//! provokes ten in a minute), while a peer repeating them quickly is cut
//! off.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use libp2p::PeerId;

/// The score at which a peer is cut off.
pub const BAN_SCORE: i32 = -100;

/// Soft penalties are forgiven one point per this many seconds (ten points
/// a minute).
pub const SOFT_RECOVERY_SECS: u64 = 6;

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
    /// Whether honest peers commit it now and then (a race with a block
    /// or another relay): its penalty wears off.
    pub fn is_soft(self) -> bool {
        matches!(self, Offence::Duplicate | Offence::Unspendable)
    }

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

/// A peer's penalties: those that last, and the soft ones still owed as
/// of `since`.
#[derive(Debug, Clone, Copy)]
struct Record {
    lasting: i32,
    soft: i32,
    since: Instant,
}

impl Record {
    /// Whole points forgiven between `since` and `now`.
    fn forgiven(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.since).as_secs() / SOFT_RECOVERY_SECS
    }

    /// The soft debt left at `now`.
    fn soft_at(&self, now: Instant) -> i32 {
        let forgiven = i32::try_from(self.forgiven(now)).unwrap_or(i32::MAX);
        self.soft.saturating_sub(forgiven).max(0)
    }

    /// Adds a soft penalty at `now`, keeping the part of a recovery
    /// period already served.
    fn add_soft(&mut self, penalty: i32, now: Instant) {
        let soft = self.soft_at(now);
        self.since = if soft == 0 {
            now
        } else {
            let served = self.forgiven(now).saturating_mul(SOFT_RECOVERY_SECS);
            self.since + std::time::Duration::from_secs(served)
        };
        self.soft = soft.saturating_add(penalty);
    }

    fn score_at(&self, now: Instant) -> i32 {
        self.lasting.saturating_sub(self.soft_at(now))
    }
}

/// The scores of the peers seen in this run.
#[derive(Debug, Default)]
pub struct Scores {
    records: HashMap<PeerId, Record>,
    banned: HashSet<PeerId>,
}

impl Scores {
    /// Charges `peer` for `offence`; true if this bans it.
    pub fn penalize(&mut self, peer: PeerId, offence: Offence) -> bool {
        self.penalize_at(peer, offence, Instant::now())
    }

    /// [`Scores::penalize`] at `now`.
    pub fn penalize_at(&mut self, peer: PeerId, offence: Offence, now: Instant) -> bool {
        let r = self.records.entry(peer).or_insert(Record {
            lasting: 0,
            soft: 0,
            since: now,
        });
        if offence.is_soft() {
            r.add_soft(offence.penalty(), now);
        } else {
            r.lasting = r.lasting.saturating_sub(offence.penalty());
        }
        r.score_at(now) <= BAN_SCORE && self.banned.insert(peer)
    }

    /// The score of `peer` now.
    pub fn score(&self, peer: &PeerId) -> i32 {
        self.score_at(peer, Instant::now())
    }

    /// The score of `peer` at `now`.
    pub fn score_at(&self, peer: &PeerId, now: Instant) -> i32 {
        self.records.get(peer).map_or(0, |r| r.score_at(now))
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

    #[test]
    fn soft_penalties_wear_off_and_lasting_ones_do_not() {
        use std::time::Duration;
        let mut s = Scores::default();
        let p = PeerId::random();
        let t0 = Instant::now();
        // A race every two minutes for a day never bans.
        for i in 0..720u64 {
            let at = t0 + Duration::from_secs(120 * i);
            assert!(!s.penalize_at(p, Offence::Duplicate, at), "race {i}");
            assert!(!s.penalize_at(p, Offence::Unspendable, at), "race {i}");
        }
        let end = t0 + Duration::from_secs(120 * 720);
        assert_eq!(s.score_at(&p, end), 0, "all forgiven");
        // Unspendables every 30 s (10 points a minute, as fast as they
        // are forgiven) never ban, whatever the phase.
        let u = PeerId::random();
        for i in 0..1000u64 {
            let at = t0 + Duration::from_secs(30 * i + 1);
            assert!(!s.penalize_at(u, Offence::Unspendable, at), "{i}");
        }
        // Ten quick duplicates still ban.
        for i in 0..9 {
            assert!(!s.penalize_at(p, Offence::Duplicate, end + Duration::from_millis(500 * i)));
        }
        assert!(s.penalize_at(p, Offence::Duplicate, end + Duration::from_millis(4500)));
        // Lasting penalties stay.
        let q = PeerId::random();
        s.penalize_at(q, Offence::InvalidTx, t0);
        assert_eq!(s.score_at(&q, t0 + Duration::from_secs(86_400)), -35);
        // Both kinds add up.
        s.penalize_at(q, Offence::Duplicate, t0);
        assert_eq!(s.score_at(&q, t0), -45);
        assert_eq!(s.score_at(&q, t0 + Duration::from_secs(60)), -35);
    }
}
