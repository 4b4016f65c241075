//! The ZkVM node (docs/api.md): a chain stored in redb ([`Chain`]), block
//! production, the mempool, and the HTTP JSON API ([`api`]), with a
//! blocking [`Client`] for it.
//!
//! A block is validated, then stored with every change it makes in one
//! database transaction, and only then taken in memory: a node killed at
//! any moment restarts at its last stored block with the mempool it had
//! accepted.

mod actor;
pub mod admission;
pub mod api;
pub mod api_types;
pub mod assets;
mod chain;
mod client;
mod config;
mod error;
pub mod explorer;
pub mod json;
pub mod lock;
pub mod metrics;
pub mod network;
mod server;
mod store;
mod validator;

pub use actor::{ChainHandle, ChainView, Import, ImportStats, PoolEntry, Produced};
pub use admission::{Admission, AdmissionSettings, AdmissionStats, Admitted};
pub use chain::{verify_submission, BlockSummary, Chain, Limits, Seal, TxRecord};
pub use client::{Client, PastChainState};
pub use config::{NodeConfig, DEFAULT_API_ADDR, DEFAULT_LISTEN_ADDR};
pub use error::NodeError;
pub use server::{now_ms, RunningNode};
pub use store::{
    BlockReader, PastState, StoreError, FOREST_CHECKPOINT_INTERVAL, FORMAT_VERSION,
    MAX_EVIDENCE_STORED,
};
pub use validator::{read_validator_key, write_validator_key, NodeApp, Pace, VALIDATOR_KEY_FILE};
