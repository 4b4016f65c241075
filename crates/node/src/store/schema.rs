//! The database's schema (docs/api.md §Storage): every table, every
//! `meta` key, and the format version, in one place. Keys that encode
//! positions (the tag index's) are built in [`super`] next to the code
//! that reads them back.

use redb::TableDefinition;

/// The layout version this node reads and writes, stored in the `meta`
/// table under `format`. A database of a later version, or of an earlier
/// one this node does not convert, is refused on open
/// ([`super::StoreError::Format`]), never misread.
///
/// Versions: 1, the tables below but `block_txids` (databases written
/// before the version was stored have it; their contract index is built on
/// open if missing); 2 adds `block_txids`, which opening a version-1
/// database fills from the `txs` index; 3 adds `certificates`, empty in a
/// converted database (blocks stored before consensus have none: they were
/// proven by the block key's signature alone); 4 adds `utxo_roots`, which
/// opening a full version-3 database fills by replaying its stored UTXO
/// changes from the genesis (a pruned one has no state below its blocks to
/// start from: its table starts empty); 5 adds `set_changes`, empty in a
/// converted database: a chain stored before validator-set changes existed
/// has only its genesis's set, which is the state a conversion derives; 6
/// adds `evidence`, empty in a converted database (evidence was not kept
/// before).
pub const FORMAT_VERSION: u32 = 6;

/// The oldest layout this node converts to [`FORMAT_VERSION`] on open.
pub(super) const OLDEST_CONVERTED: u32 = 1;

/// Single values, by name.
pub(super) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// Block encodings by height (from the base height + 1: 2 on a full node,
/// whose height 1 is the initial header).
pub(super) const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");
/// Block heights by block ID.
pub(super) const BLOCK_IDS: TableDefinition<[u8; 32], u64> = TableDefinition::new("block_ids");
/// Each block's transaction IDs, in order (32 bytes each), written with
/// the block: its listing needs no VM run.
pub(super) const BLOCK_TXIDS: TableDefinition<u64, &[u8]> = TableDefinition::new("block_txids");
/// Each decided block's commit certificate (docs/spec/consensus.md
/// §Commit certificate, its strict encoding) by height, written in the
/// same transaction as the block.
pub(super) const CERTIFICATES: TableDefinition<u64, &[u8]> = TableDefinition::new("certificates");
/// The accumulator's snapshot (docs/spec/utreexo.md, leaf count and roots)
/// after each block, by height, written in the same transaction as the
/// block; height 1 (the genesis's) on a full node. It is what the state at
/// a past height is made of (docs/api.md §`GET /v1/snapshots/{height}`).
pub(super) const UTXO_ROOTS: TableDefinition<u64, &[u8]> = TableDefinition::new("utxo_roots");
/// Each applied validator-set change (docs/spec/consensus.md
/// §Validator-set changes, the `ApprovedSetChange` encoding) by the height
/// of the block that included it, written in the same transaction as the
/// block: with the genesis's set, every height's set.
pub(super) const SET_CHANGES: TableDefinition<u64, &[u8]> = TableDefinition::new("set_changes");
/// Equivocation evidence the node's validator saw (docs/spec/consensus.md
/// §Evidence, each record's `consensus::Evidence` encoding), by a sequence
/// number growing from 0: the newest [`super::MAX_EVIDENCE_STORED`] are
/// kept.
pub(super) const EVIDENCE: TableDefinition<u64, &[u8]> = TableDefinition::new("evidence");
/// Each confirmed transaction's block height and position.
pub(super) const TXS: TableDefinition<[u8; 32], (u64, u32)> = TableDefinition::new("txs");
/// Each block's UTXO changes: additions then deletions (see [`Delta`]).
pub(super) const DELTAS: TableDefinition<u64, &[u8]> = TableDefinition::new("utxo_deltas");
/// Mempool transactions (encodings) by ID.
pub(super) const MEMPOOL: TableDefinition<[u8; 32], &[u8]> = TableDefinition::new("mempool");
/// Each output's [`ContractRecord`] by contract ID: where it was created,
/// where it was spent, and the contract itself.
pub(super) const CONTRACTS: TableDefinition<[u8; 32], &[u8]> = TableDefinition::new("contracts");
/// Outputs by data tag: [`tag_key`] → contract ID. The key ends with the
/// output's position in big-endian, so one tag's outputs sort oldest to
/// newest and a reverse range lists them newest first.
pub(super) const CONTRACT_TAGS: TableDefinition<[u8; 48], [u8; 32]> =
    TableDefinition::new("contract_tags");

pub(super) const GENESIS: &str = "genesis";
pub(super) const STATE: &str = "state";
pub(super) const FOREST: &str = "forest";
pub(super) const FOREST_HEIGHT: &str = "forest_height";
pub(super) const FOREST_ROOTS: &str = "forest_roots";
pub(super) const BLOCK_KEY: &str = "block_key";
/// `LE64`: the height of the state the database started from; blocks are
/// stored above it. 1 on a full node; absent in databases written before
/// pruned nodes existed, which are all full (read as 1).
pub(super) const BASE_HEIGHT: &str = "base_height";
/// Present (empty value) on a pruned database: it has no forest records,
/// and their absence is then not corruption.
pub(super) const PRUNED: &str = "pruned";

/// `LE32`: the layout version ([`FORMAT_VERSION`]).
pub(super) const FORMAT: &str = "format";
