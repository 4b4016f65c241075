//! The ZkVM blockchain (docs/spec/blockchain.md): signed blocks of ZkVM
//! transactions over a chain state that is only a few hundred bytes — the
//! tip header and the Utreexo roots of the UTXO set.
//!
//! [`ChainState::apply_block`] validates a block all or nothing, running
//! the transactions' VMs in parallel and checking every proof and
//! signature of the block in one batched multiscalar multiplication;
//! [`ChainState::make_block`] builds and signs the next block.

mod asset;
mod block;
mod errors;
mod genesis;
mod headers;
mod mempool;
mod snapshot;
mod state;
mod verified;

pub use asset::{
    check_name, format_units, parse_units, AssetMetadata, GenesisAsset, MAX_ASSET_DESCRIPTION,
    MAX_ASSET_METADATA, MAX_ASSET_NAME, MAX_DECIMALS, MAX_GENESIS_ASSETS,
};
pub use block::{
    check_seal, sign_header, txroot, utxoroot, verify_header_signature, witness_hash, Block,
    BlockHeader, BlockID, CURRENT_BLOCK_VERSION, MAX_BLOCK_SIZE, MAX_CERTIFICATE_SIZE,
    NO_SIGNATURE,
};
pub use errors::BlockchainError;
pub use genesis::{Genesis, ValidatorEntry, MAX_GENESIS_VALIDATORS};
pub use mempool::{
    fee_for, format_fee_rate, parse_fee_rate, BlockRemovals, CheckedTx, ExecutedTx, InsertOutcome,
    Mempool, MempoolEntry, MempoolPolicy, DEFAULT_INCREMENTAL_RELAY_FEE_RATE,
    DEFAULT_MEMPOOL_BYTES, DEFAULT_MIN_RELAY_FEE_RATE,
};
pub use snapshot::MAX_SNAPSHOT_SIZE;
pub use state::{utxo_leaf, AppliedBlock, ChainState};
pub use verified::{KnownTxs, VerifiedBlock};
