//! ZkVM's Malachite [`Context`]: heights, values, proposals, proposal
//! parts, votes and the signing scheme (docs/spec/consensus.md §Mapping
//! onto Malachite).

use blockchain::BlockID;
use bytes::Bytes;
use malachitebft_core_types::{
    self as mtypes, Context, LinearTimeouts, NilOrVal, Round, SignedExtension, VoteType,
};

use crate::signing::{SchnorrScheme, ValidatorSignature};
use crate::validators::{Address, Validator, ValidatorKey, ValidatorSet};

/// The chain (genesis) ID every consensus signature is bound to: the ID of
/// the chain's initial header (height 1), so that a signature made for one
/// network is worthless on another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChainId(pub [u8; 32]);

impl ChainId {
    /// The chain ID of the network whose initial header has ID `genesis`.
    pub fn from_genesis(genesis: BlockID) -> ChainId {
        ChainId(genesis.to_bytes())
    }
}

/// A consensus height: the height of the block being decided (the initial
/// header is height 1 and is not decided by consensus, so the first
/// decided height is 2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Height(pub u64);

impl core::fmt::Display for Height {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl mtypes::Height for Height {
    const ZERO: Self = Height(0);
    const INITIAL: Self = Height(FIRST_HEIGHT);

    fn increment_by(&self, n: u64) -> Self {
        Height(self.0.saturating_add(n))
    }

    fn decrement_by(&self, n: u64) -> Option<Self> {
        self.0.checked_sub(n).map(Height)
    }

    fn as_u64(&self) -> u64 {
        self.0
    }
}

/// The first height decided by consensus (the block after the initial
/// header).
pub const FIRST_HEIGHT: u64 = 2;

/// The value consensus decides on: a block, named by its [`BlockID`]. The
/// block's bytes travel as proposal parts; votes and proposals carry only
/// the ID. The value is its own ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlockValue(pub BlockID);

impl core::fmt::Display for BlockValue {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(&self.0, f)
    }
}

impl mtypes::Value for BlockValue {
    type Id = BlockValue;

    fn id(&self) -> BlockValue {
        *self
    }
}

/// A proposal: the proposer's signed claim that `value` is its block for
/// `(height, round)`, with the round of its proof of lock (`pol_round`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// The height.
    pub height: Height,
    /// The round.
    pub round: Round,
    /// The proposed block's ID.
    pub value: BlockValue,
    /// The proof-of-lock round, or nil.
    pub pol_round: Round,
    /// The proposer's address.
    pub proposer: Address,
}

impl mtypes::Proposal<ZkContext> for Proposal {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &BlockValue {
        &self.value
    }

    fn take_value(self) -> BlockValue {
        self.value
    }

    fn pol_round(&self) -> Round {
        self.pol_round
    }

    fn validator_address(&self) -> &Address {
        &self.proposer
    }
}

/// A prevote or precommit for a block ID or for nil. Vote extensions are
/// not used (always `None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vote {
    /// Prevote or precommit.
    pub kind: VoteType,
    /// The height.
    pub height: Height,
    /// The round.
    pub round: Round,
    /// The block voted for, or nil.
    pub value: NilOrVal<BlockValue>,
    /// The voter's address.
    pub validator: Address,
}

impl mtypes::Vote<ZkContext> for Vote {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &NilOrVal<BlockValue> {
        &self.value
    }

    fn take_value(self) -> NilOrVal<BlockValue> {
        self.value
    }

    fn vote_type(&self) -> VoteType {
        self.kind
    }

    fn validator_address(&self) -> &Address {
        &self.validator
    }

    fn extension(&self) -> Option<&SignedExtension<ZkContext>> {
        None
    }

    fn take_extension(&mut self) -> Option<SignedExtension<ZkContext>> {
        None
    }

    fn extend(self, _extension: SignedExtension<ZkContext>) -> Self {
        // Extensions are disabled (VoteExtensionPolicy::Disabled): the
        // engine never extends a vote, and an extension is dropped.
        self
    }
}

/// Largest data part of a proposal stream.
pub const MAX_PART_SIZE: usize = 1 << 20;

/// One message of a proposal stream (docs/spec/consensus.md §Proposal
/// stream): `Init`, then the block's bytes in `Data` parts of at most
/// [`MAX_PART_SIZE`] bytes, then `Fin` with the proposer's signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProposalPart {
    /// Opens the stream.
    Init {
        /// The height.
        height: Height,
        /// The round.
        round: Round,
        /// The proof-of-lock round, or nil.
        pol_round: Round,
        /// The proposer's address.
        proposer: Address,
    },
    /// A piece of the block's bytes.
    Data(Bytes),
    /// Closes the stream: the proposer's signature of the stream
    /// (`signing::stream_sign_bytes`).
    Fin(ValidatorSignature),
}

impl mtypes::ProposalPart<ZkContext> for ProposalPart {
    fn is_first(&self) -> bool {
        matches!(self, ProposalPart::Init { .. })
    }

    fn is_last(&self) -> bool {
        matches!(self, ProposalPart::Fin(_))
    }
}

impl mtypes::Address for Address {}

impl mtypes::Validator<ZkContext> for Validator {
    fn address(&self) -> &Address {
        Validator::address(self)
    }

    fn public_key(&self) -> &ValidatorKey {
        self.key()
    }

    fn voting_power(&self) -> u64 {
        self.power()
    }
}

impl mtypes::ValidatorSet<ZkContext> for ValidatorSet {
    fn count(&self) -> usize {
        self.validators().len()
    }

    fn total_voting_power(&self) -> u64 {
        self.total_power()
    }

    fn get_by_address(&self, address: &Address) -> Option<&Validator> {
        self.get(address)
    }

    fn get_by_index(&self, index: usize) -> Option<&Validator> {
        self.validators().get(index)
    }
}

/// The Malachite context of a ZkVM chain. It carries the chain ID, which
/// every signed message includes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZkContext {
    chain: ChainId,
}

impl ZkContext {
    /// The context of the chain `chain`.
    pub fn new(chain: ChainId) -> ZkContext {
        ZkContext { chain }
    }

    /// The chain ID.
    pub fn chain(&self) -> ChainId {
        self.chain
    }
}

impl Context for ZkContext {
    type Address = Address;
    type Height = Height;
    type ProposalPart = ProposalPart;
    type Proposal = Proposal;
    type Validator = Validator;
    type ValidatorSet = ValidatorSet;
    type Timeouts = LinearTimeouts;
    type Value = BlockValue;
    type Vote = Vote;
    type Extension = ();
    type SigningScheme = SchnorrScheme;

    fn select_proposer<'a>(
        &self,
        validator_set: &'a ValidatorSet,
        height: Height,
        round: Round,
    ) -> &'a Validator {
        // Malachite asks only for defined rounds; nil counts as round 0.
        validator_set.proposer(height.0, round.as_u32().unwrap_or(0))
    }

    fn new_proposal(
        &self,
        height: Height,
        round: Round,
        value: BlockValue,
        pol_round: Round,
        address: Address,
    ) -> Proposal {
        Proposal {
            height,
            round,
            value,
            pol_round,
            proposer: address,
        }
    }

    fn new_prevote(
        &self,
        height: Height,
        round: Round,
        value_id: NilOrVal<BlockValue>,
        address: Address,
    ) -> Vote {
        Vote {
            kind: VoteType::Prevote,
            height,
            round,
            value: value_id,
            validator: address,
        }
    }

    fn new_precommit(
        &self,
        height: Height,
        round: Round,
        value_id: NilOrVal<BlockValue>,
        address: Address,
    ) -> Vote {
        Vote {
            kind: VoteType::Precommit,
            height,
            round,
            value: value_id,
            validator: address,
        }
    }
}
