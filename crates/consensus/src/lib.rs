//! Federated consensus for ZkVM on Malachite (Tendermint as a library):
//! validators agree on each block, and a [`CommitCertificate`] proves the
//! decision to anyone who holds the [`ValidatorSet`]
//! (docs/spec/consensus.md).
//!
//! - [`ValidatorSet`]: keys (musig's Schnorr keys on Ristretto) and voting
//!   powers, with a strict binary encoding and a genesis JSON section;
//! - [`ZkContext`]: the Malachite context (heights, block IDs as values,
//!   proposals, proposal parts, votes, the [`SchnorrScheme`]);
//! - [`CommitCertificate`]: precommit signatures of more than two thirds
//!   of the power over exactly specified bytes
//!   ([`signing::precommit_sign_bytes`]);
//! - [`start`]: runs a validator's engine for an [`App`] (propose,
//!   validate, commit, serve decided blocks), its WAL in its own directory;
//! - [`ConsensusStatus`]: a running validator's height, round, last
//!   decision and the equivocation [`Evidence`] it saw, on a watch channel.
//!
//! - [`ApprovedSetChange`], [`ValidatorSchedule`]: validator-set changes
//!   approved by a quorum of the set in force, and each height's set.

mod certificate;
mod codec;
mod context;
mod encoding;
mod engine;
mod error;
mod set_change;
pub mod signing;
mod status;
mod validators;

pub use certificate::CommitCertificate;
pub use codec::ZkCodec;
pub use context::{
    BlockValue, ChainId, Height, Proposal, ProposalPart, Vote, ZkContext, FIRST_HEIGHT,
    MAX_PART_SIZE,
};
pub use engine::{start, App, Config, Running, Timeouts};
pub use error::{BoxError, ConsensusError};
pub use malachitebft_app_channel::app::net::Multiaddr;
pub use malachitebft_app_channel::app::types::Keypair as NetworkKeypair;
pub use set_change::{
    set_change_sign_bytes, set_hash, Approval, ApprovedSetChange, SetChange, ValidatorSchedule,
    SET_CHANGE_PREFIX,
};
pub use signing::{SchnorrScheme, ValidatorSignature, ZkSigner, ZkVerifier};
pub use status::{ConsensusStatus, Decision, Evidence, EvidenceKind, MAX_EVIDENCE_KEPT};
pub use validators::{
    Address, GenesisValidator, GenesisValidators, Validator, ValidatorKey, ValidatorSet,
    MAX_TOTAL_VOTING_POWER, MAX_VALIDATORS,
};
