//! What a running validator shows of its progress and of its peers'
//! misbehaviour (docs/spec/consensus.md §Status, §Evidence): a
//! [`ConsensusStatus`] published on a `tokio::sync::watch` channel, so a
//! reader (the node's API) gets the latest without asking the engine.

use blockchain::BlockID;
use malachitebft_app_channel::app::types::core::{NilOrVal, Round, VoteType};
use malachitebft_app_channel::app::types::MisbehaviorEvidence;

use crate::context::ZkContext;
use crate::encoding::{Reader, Writer};
use crate::validators::{Address, ValidatorSet};
use crate::ConsensusError;

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

impl EvidenceKind {
    fn tag(self) -> u8 {
        match self {
            EvidenceKind::DoublePrevote => 1,
            EvidenceKind::DoublePrecommit => 2,
            EvidenceKind::DoubleProposal => 3,
        }
    }

    fn from_tag(tag: u8) -> Result<EvidenceKind, ConsensusError> {
        match tag {
            1 => Ok(EvidenceKind::DoublePrevote),
            2 => Ok(EvidenceKind::DoublePrecommit),
            3 => Ok(EvidenceKind::DoubleProposal),
            tag => Err(ConsensusError::InvalidTag {
                what: "evidence kind",
                tag,
            }),
        }
    }
}

/// The longest [`Evidence`] encoding.
pub const MAX_EVIDENCE_BYTES: usize = 1 + 32 + 8 + 4 + 2 * 33;

impl Evidence {
    /// The record as a node stores it (docs/spec/consensus.md §Evidence):
    /// ```text
    /// kind       1   0x01 double prevote | 0x02 double precommit | 0x03 double proposal
    /// validator 32   address
    /// height     8   LE64
    /// round      4   LE32
    /// first      1   0x00 nil | 0x01 block, then the block ID (32)
    /// second     1   the same
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(self.kind.tag());
        w.bytes(&self.validator.to_bytes());
        w.u64(self.height);
        w.u32(self.round);
        for block in [&self.first, &self.second] {
            match block {
                None => w.u8(0),
                Some(id) => {
                    w.u8(1);
                    w.bytes(id.as_bytes());
                }
            }
        }
        w.into_bytes()
    }

    /// Strict decoding of [`Evidence::to_bytes`]: known tags and flags, no
    /// trailing bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Evidence, ConsensusError> {
        let mut r = Reader::new(bytes, "evidence");
        let kind = EvidenceKind::from_tag(r.array::<1>()?[0])?;
        let validator = Address::from_bytes(r.array::<32>()?);
        let height = r.u64()?;
        let round = r.u32()?;
        let mut block = || -> Result<Option<BlockID>, ConsensusError> {
            match r.array::<1>()?[0] {
                0 => Ok(None),
                1 => Ok(Some(BlockID::from_bytes(r.array::<32>()?))),
                tag => Err(ConsensusError::InvalidTag {
                    what: "evidence block flag",
                    tag,
                }),
            }
        };
        let first = block()?;
        let second = block()?;
        r.finish()?;
        Ok(Evidence {
            kind,
            validator,
            height,
            round,
            first,
            second,
        })
    }
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
    fn evidence_round_trips_strictly() {
        let mut e = record(7);
        e.kind = EvidenceKind::DoubleProposal;
        e.first = Some(BlockID::from_bytes([3; 32]));
        e.round = 4;
        for e in [record(9), e] {
            let bytes = e.to_bytes();
            assert!(bytes.len() <= MAX_EVIDENCE_BYTES);
            assert_eq!(Evidence::from_bytes(&bytes).unwrap(), e);
            // Every shorter prefix, a trailing byte, a bad kind or flag.
            for n in 0..bytes.len() {
                assert!(Evidence::from_bytes(&bytes[..n]).is_err());
            }
            let mut long = bytes.clone();
            long.push(0);
            assert!(Evidence::from_bytes(&long).is_err());
            let mut bad = bytes.clone();
            bad[0] = 9;
            assert!(Evidence::from_bytes(&bad).is_err());
            let mut bad = bytes.clone();
            bad[1 + 32 + 8 + 4] = 2;
            assert!(Evidence::from_bytes(&bad).is_err());
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
