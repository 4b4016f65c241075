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
//!   decision and the equivocation [`Evidence`] it saw, on a watch channel;
//! - [`ApprovedSetChange`], [`ValidatorSchedule`]: validator-set changes
//!   approved by a quorum of the set in force, and each height's set.
//!
//! The engine ([`start`], its codec and [`ConsensusStatus`]) is the
//! default cargo feature `engine`, which brings Malachite's engine,
//! network and sync (libp2p, ractor). Without it the crate holds what a
//! light client needs to check decided blocks — [`ValidatorSet`],
//! [`GenesisValidators`], [`CommitCertificate`] (`from_bytes`, `verify`,
//! `check_seal`), the signed messages of [`signing`] and
//! [`signing::verify_many`] — on Malachite's light `core-types` and
//! `signing` crates (docs/spec/consensus.md §Node, API and light clients).

mod certificate;
#[cfg(feature = "engine")]
mod codec;
mod context;
mod encoding;
#[cfg(feature = "engine")]
mod engine;
mod error;
mod set_change;
pub mod signing;
#[cfg(feature = "engine")]
mod status;
mod validators;

pub use certificate::CommitCertificate;
#[cfg(feature = "engine")]
pub use codec::ZkCodec;
pub use context::{
    BlockValue, ChainId, Height, Proposal, ProposalPart, Vote, ZkContext, FIRST_HEIGHT,
    MAX_PART_SIZE,
};
#[cfg(feature = "engine")]
pub use engine::{start, App, Config, Running, Timeouts};
pub use error::{BoxError, ConsensusError};
#[cfg(feature = "engine")]
pub use malachitebft_app_channel::app::net::Multiaddr;
#[cfg(feature = "engine")]
pub use malachitebft_app_channel::app::types::Keypair as NetworkKeypair;
pub use set_change::{
    set_change_sign_bytes, set_hash, Approval, ApprovedSetChange, SetChange, ValidatorSchedule,
    MAX_SET_CHANGE_BYTES, SET_CHANGE_PREFIX,
};
pub use signing::{SchnorrScheme, ValidatorSignature, ZkSigner, ZkVerifier};
#[cfg(feature = "engine")]
pub use status::{
    ConsensusStatus, Decision, Evidence, EvidenceKind, MAX_EVIDENCE_BYTES, MAX_EVIDENCE_KEPT,
};
pub use validators::{
    Address, GenesisValidator, GenesisValidators, Validator, ValidatorKey, ValidatorSet,
    MAX_TOTAL_VOTING_POWER, MAX_VALIDATORS,
};
