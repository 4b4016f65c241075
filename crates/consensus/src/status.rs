//! What a running validator shows of its progress and of its peers'
//! misbehaviour (docs/spec/consensus.md §Status, §Evidence): a
//! [`ConsensusStatus`] published on a `tokio::sync::watch` channel, so a
//! reader (the node's API) gets the latest without asking the engine.

use blockchain::BlockID;
use malachitebft_app_channel::app::types::core::{NilOrVal, Round, VoteType};
use malachitebft_app_channel::app::types::MisbehaviorEvidence;

use crate::context::ZkContext;
use crate::validators::{Address, ValidatorSet};

/// Evidence records a status keeps, the newest last: enough to see who
/// misbehaved recently; a flood of it cannot grow the node's memory.
pub const MAX_EVIDENCE_KEPT: usize = 32;

/// A validator's consensus progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsensusStatus {
    /// This validator's address.
    pub address: Address,
    /// How many validators the set of the height being decided has.
    pub validators: usize,
    /// Their total voting power.
    pub total_power: u64,
    /// The height consensus is deciding (the tip's successor).
    pub height: u64,
    /// The round at that height (0 until a round times out).
    pub round: u32,
    /// The last decision this validator committed, if any since it started.
    pub last_decision: Option<Decision>,
    /// Misbehaviour seen since start, at most [`MAX_EVIDENCE_KEPT`] records,
    /// the newest last.
    pub evidence: Vec<Evidence>,
}

impl ConsensusStatus {
    /// The status of a validator that has not started a height yet.
    pub(crate) fn new(address: Address, set: &ValidatorSet) -> ConsensusStatus {
        ConsensusStatus {
            address,
            validators: set.validators().len(),
            total_power: set.total_power(),
            height: 0,
            round: 0,
            last_decision: None,
            evidence: Vec::new(),
        }
    }

    /// The set of the height being started (docs/spec/consensus.md
    /// §Validator-set changes): its size and power.
    pub(crate) fn set_validators(&mut self, set: &ValidatorSet) {
        self.validators = set.validators().len();
        self.total_power = set.total_power();
    }

    /// Appends `records`, dropping the oldest beyond [`MAX_EVIDENCE_KEPT`].
    pub(crate) fn record(&mut self, records: &[Evidence]) {
        self.evidence.extend_from_slice(records);
        let excess = self.evidence.len().saturating_sub(MAX_EVIDENCE_KEPT);
        self.evidence.drain(..excess);
    }
}

/// A decided block: its height, the round that decided it, and who signed
/// its certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The block's height.
    pub height: u64,
    /// The deciding round.
    pub round: u32,
    /// The block.
    pub block: BlockID,
    /// The certificate's signers, in address order.
    pub signers: Vec<Address>,
}

/// What a validator signed twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EvidenceKind {
    /// Two different prevotes at one height and round.
    DoublePrevote,
    /// Two different precommits at one height and round.
    DoublePrecommit,
    /// Two different proposals at one height and round.
    DoubleProposal,
}

impl EvidenceKind {
    /// The kind's name in answers and logs.
    pub fn as_str(&self) -> &'static str {
        match self {
            EvidenceKind::DoublePrevote => "double_prevote",
            EvidenceKind::DoublePrecommit => "double_precommit",
            EvidenceKind::DoubleProposal => "double_proposal",
        }
    }
}

/// One piece of equivocation evidence: `validator` signed two conflicting
/// messages of `kind` at `(height, round)`, for `first` and `second`
/// (`None`: a vote for nil). Both signatures were verified by the engine
/// before it kept them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    /// What was signed twice.
    pub kind: EvidenceKind,
    /// Who signed.
    pub validator: Address,
    /// The height.
    pub height: u64,
    /// The round.
    pub round: u32,
    /// The block the first message was for (`None`: nil).
    pub first: Option<BlockID>,
    /// The block the second message was for (`None`: nil).
    pub second: Option<BlockID>,
}

fn round_number(round: Round) -> u32 {
    // Signed messages always carry a defined round; nil cannot occur.
    round.as_u32().unwrap_or(0)
}

fn block_of(value: &NilOrVal<crate::BlockValue>) -> Option<BlockID> {
    match value {
        NilOrVal::Nil => None,
        NilOrVal::Val(v) => Some(v.0),
    }
}

/// Flattens Malachite's evidence maps into records, proposals first, each
/// map in address order.
pub(crate) fn evidence_records(evidence: &MisbehaviorEvidence<ZkContext>) -> Vec<Evidence> {
    let mut out = Vec::new();
    for (address, pairs) in &evidence.proposals {
        for (a, b) in pairs {
            out.push(Evidence {
                kind: EvidenceKind::DoubleProposal,
                validator: *address,
                height: a.message.height.0,
                round: round_number(a.message.round),
                first: Some(a.message.value.0),
                second: Some(b.message.value.0),
            });
        }
    }
    for (address, pairs) in &evidence.votes {
        for (a, b) in pairs {
            out.push(Evidence {
                kind: match a.message.kind {
                    VoteType::Prevote => EvidenceKind::DoublePrevote,
                    VoteType::Precommit => EvidenceKind::DoublePrecommit,
                },
                validator: *address,
                height: a.message.height.0,
                round: round_number(a.message.round),
                first: block_of(&a.message.value),
                second: block_of(&b.message.value),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::signing::ValidatorSignature;
    use crate::{Height, Vote};
    use malachitebft_app_channel::app::types::core::SignedMessage;

    fn record(n: u64) -> Evidence {
        Evidence {
            kind: EvidenceKind::DoublePrevote,
            validator: Address::from_bytes([1; 32]),
            height: n,
            round: 0,
            first: None,
            second: Some(BlockID::from_bytes([2; 32])),
        }
    }

    #[test]
    fn evidence_is_bounded_and_keeps_the_newest() {
        let mut status = ConsensusStatus {
            address: Address::from_bytes([0; 32]),
            validators: 4,
            total_power: 4,
            height: 2,
            round: 0,
            last_decision: None,
            evidence: Vec::new(),
        };
        let many: Vec<Evidence> = (0..(MAX_EVIDENCE_KEPT as u64 + 5)).map(record).collect();
        status.record(&many[..3]);
        assert_eq!(status.evidence.len(), 3);
        status.record(&many[3..]);
        assert_eq!(status.evidence.len(), MAX_EVIDENCE_KEPT);
        assert_eq!(status.evidence[0].height, 5);
        assert_eq!(
            status.evidence.last().unwrap().height,
            MAX_EVIDENCE_KEPT as u64 + 4
        );
    }

    #[test]
    fn conflicting_votes_become_one_record_naming_both_values() {
        let who = Address::from_bytes([3; 32]);
        let block = BlockID::from_bytes([4; 32]);
        let vote = |value| {
            SignedMessage::new(
                Vote {
                    kind: VoteType::Precommit,
                    height: Height(7),
                    round: Round::new(2),
                    value,
                    validator: who,
                },
                ValidatorSignature::from_bytes(&[0; 64]).unwrap(),
            )
        };
        let mut evidence = MisbehaviorEvidence::<ZkContext> {
            proposals: Default::default(),
            votes: Default::default(),
        };
        evidence.votes.add(
            vote(NilOrVal::Val(crate::BlockValue(block))),
            vote(NilOrVal::Nil),
        );
        let records = evidence_records(&evidence);
        assert_eq!(
            records,
            vec![Evidence {
                kind: EvidenceKind::DoublePrecommit,
                validator: who,
                height: 7,
                round: 2,
                first: Some(block),
                second: None,
            }]
        );
    }
}
