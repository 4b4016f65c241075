//! The node's database (docs/api.md §Storage): one redb file holding the
//! genesis, every block, the indexes by block ID and by transaction ID, the
//! chain state, the UTXO forest (a checkpoint plus each later block's
//! changes), the mempool's transactions, the block-signing key and the
//! contract index (each output's record by contract ID, and outputs by
//! data tag: see [`ContractRecord`] and [`tag_key`]).
//!
//! A pruned database (a node bootstrapped from a snapshot, see
//! [`crate::Chain::init_from_snapshot`]) has no forest and no blocks at or
//! below its base height (the snapshot's tip): its `meta` table marks it
//! [`PRUNED`] and holds no forest records; blocks, indexes and per-block
//! UTXO changes are stored from the base height + 1 as on a full node.
//!
//! A block is stored with everything it changes in one write transaction,
//! so the file always holds the chain at some block, whole: a process
//! killed at any moment restarts at the last block whose transaction
//! committed.

use std::path::Path;
use std::sync::Arc;

use accumulator::{Accumulator, Forest, ZkvmHash};
use blockchain::{utxo_leaf, Block, BlockHeader, BlockID, ChainState, Genesis};
use encoding::{DecodeError, Reader};
use merlin::Transcript;
use redb::{Database, ReadableTable, ReadableTableMetadata, TableError};
use zeroize::Zeroizing;
use zkvm::{Contract, ContractID, Encodable, TxEntry, TxID, TxLog, Verifier};

use crate::NodeError;

mod error;
mod schema;

pub use error::StoreError;
pub use schema::FORMAT_VERSION;
use schema::*;

/// How many distinct `data` entries of one transaction tag its outputs
/// (docs/api.md §`GET /v1/contracts`): bounds the tag index's rows to this
/// many per output, whatever the transaction logs.
pub const MAX_TAGS_PER_TX: usize = 4;

/// The longest `data` entry that is a tag (docs/api.md §`GET
/// /v1/contracts`): longer entries are payloads such as contract notes
/// (docs/spec/wallet.md §Contract notes), not names to look up.
pub const MAX_TAG_BYTES: usize = 64;

/// How often (in blocks) the full forest is written; between checkpoints a
/// restart replays the stored changes of each block.
pub const FOREST_CHECKPOINT_INTERVAL: u64 = 64;

/// Most equivocation evidence records a node keeps (the newest); each is
/// at most [`consensus::MAX_EVIDENCE_BYTES`].
pub const MAX_EVIDENCE_STORED: u64 = 10_000;

/// The UTXO set's changes in one block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delta {
    /// Leaves added, in order.
    pub additions: Vec<ZkvmHash>,
    /// Leaves deleted, in order.
    pub deletions: Vec<ZkvmHash>,
}

impl Delta {
    /// `LE32 a || a × 32 || LE32 d || d × 32`.
    fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(8 + 32 * (self.additions.len() + self.deletions.len()));
        for list in [&self.additions, &self.deletions] {
            v.extend_from_slice(&(list.len() as u32).to_le_bytes());
            for leaf in list {
                v.extend_from_slice(leaf.as_bytes());
            }
        }
        v
    }

    fn from_bytes(bytes: &[u8]) -> Result<Delta, NodeError> {
        Ok(Delta::decode(bytes).map_err(StoreError::decode("utxo delta"))?)
    }

    fn decode(bytes: &[u8]) -> Result<Delta, DecodeError> {
        Reader::read_all(bytes, |r| {
            let mut lists = [Vec::new(), Vec::new()];
            for list in &mut lists {
                let n = r.read_count()?;
                *list = r.read_vec(n, 32, |r| r.read_32().map(ZkvmHash::from_bytes))?;
            }
            let [additions, deletions] = lists;
            Ok::<_, DecodeError>(Delta {
                additions,
                deletions,
            })
        })
    }
}

/// Everything a block changes in the database.
pub struct BlockCommit<'a> {
    /// The block.
    pub block: &'a Block,
    /// Its encoding, as received: what is stored.
    pub bytes: &'a [u8],
    /// Its transactions' IDs, in order.
    pub txids: &'a [TxID],
    /// Its transactions' logs, in order (for the contract index).
    pub logs: &'a [&'a TxLog],
    /// The chain state after it.
    pub state: &'a ChainState,
    /// Its UTXO changes.
    pub delta: &'a Delta,
    /// The full forest after it, when this block is a checkpoint (never on
    /// a pruned node, which has none).
    pub forest: Option<Vec<u8>>,
    /// Mempool transactions the block removed (included, conflicting,
    /// expired).
    pub mempool_removed: &'a [TxID],
    /// The block's commit certificate (encoded) when consensus decided it.
    pub certificate: Option<&'a [u8]>,
    /// The validator-set change the block includes (its encoding), if any.
    pub set_change: Option<&'a [u8]>,
}

/// The chain state at a past height as stored ([`BlockReader::past_state`]).
#[derive(Clone, Debug)]
pub struct PastState {
    /// The block's header and its signature; `None` at height 1, the
    /// genesis's initial header.
    pub header: Option<(BlockHeader, musig::Signature)>,
    /// The accumulator after the block.
    pub utxos: Accumulator,
}

/// What [`Store::load`] reads back to restart a node.
pub struct Loaded {
    /// The network's genesis.
    pub genesis: Genesis,
    /// The chain state at the last stored block.
    pub state: ChainState,
    /// The last forest checkpoint, its roots and its height; `None` on a
    /// pruned database.
    pub forest: Option<(Vec<u8>, Accumulator, u64)>,
    /// The height of the state the database started from (1 on a full
    /// node, the snapshot's tip on a pruned one).
    pub base_height: u64,
    /// The mempool's transactions, in ID order.
    pub mempool: Vec<Vec<u8>>,
    /// The block-signing key's scalar, if this node produces blocks.
    pub block_key: Option<Zeroizing<[u8; 32]>>,
    /// The applied validator-set changes (encodings) by inclusion height,
    /// in order.
    pub set_changes: Vec<(u64, Vec<u8>)>,
}

/// The database.
pub struct Store {
    db: Arc<Database>,
}

/// Reads stored blocks from any thread (redb readers see the last
/// committed state and never wait for a writer): sync answers use it so
/// that copying blocks out does not hold up the chain's thread.
#[derive(Clone)]
pub struct BlockReader {
    db: Arc<Database>,
}

impl std::fmt::Debug for BlockReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockReader").finish_non_exhaustive()
    }
}

/// Makes the database file at `path` readable and writable by its owner
/// only (mode 0600 on Unix; nothing elsewhere), creating it empty first
/// when `create`.
fn owner_only(path: &Path, create: bool) -> Result<(), NodeError> {
    let io = |e: std::io::Error| {
        NodeError::DataDir(format!(
            "cannot restrict {} to its owner: {e}",
            path.display()
        ))
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if create {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(io)?;
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    }
    #[cfg(not(unix))]
    if create {
        std::fs::File::create_new(path).map_err(io)?;
    }
    Ok(())
}

impl BlockReader {
    /// The stored encoding of the block at `height`.
    pub fn block_bytes(&self, height: u64) -> Result<Option<Vec<u8>>, NodeError> {
        self.with_block_bytes(height, <[u8]>::to_vec)
    }

    /// `f` of the stored encoding of the block at `height`, read in place.
    pub fn with_block_bytes<T>(
        &self,
        height: u64,
        f: impl FnOnce(&[u8]) -> T,
    ) -> Result<Option<T>, NodeError> {
        let r = self.db.begin_read().map_err(StoreError::db)?;
        let t = r.open_table(BLOCKS).map_err(StoreError::db)?;
        Ok(t.get(height).map_err(StoreError::db)?.map(|v| f(v.value())))
    }

    /// At most `max` of the stored equivocation evidence records
    /// (encoded), newest first, each with its sequence number.
    pub fn evidence(&self, max: usize) -> Result<Vec<(u64, Vec<u8>)>, NodeError> {
        let r = self.db.begin_read().map_err(StoreError::db)?;
        let t = r.open_table(EVIDENCE).map_err(StoreError::db)?;
        let mut out = Vec::new();
        for e in t.iter().map_err(StoreError::db)?.rev().take(max) {
            let (k, v) = e.map_err(StoreError::db)?;
            out.push((k.value(), v.value().to_vec()));
        }
        Ok(out)
    }

    /// The encoded commit certificate of the block at `height`, if
    /// consensus decided it (blocks made by the block key alone have none).
    pub fn certificate_bytes(&self, height: u64) -> Result<Option<Vec<u8>>, NodeError> {
        let r = self.db.begin_read().map_err(StoreError::db)?;
        let t = r.open_table(CERTIFICATES).map_err(StoreError::db)?;
        Ok(t.get(height)
            .map_err(StoreError::db)?
            .map(|v| v.value().to_vec()))
    }

    /// The stored block at `height`, decoded.
    pub fn block(&self, height: u64) -> Result<Option<Block>, NodeError> {
        self.block_bytes(height)?
            .map(|bytes| {
                Block::from_bytes(&bytes).map_err(|e| StoreError::chain("block")(e).into())
            })
            .transpose()
    }

    /// The transaction IDs of the stored block at `height`, in order, as
    /// indexed when it was stored.
    pub fn block_txids(&self, height: u64) -> Result<Option<Vec<TxID>>, NodeError> {
        let r = self.db.begin_read().map_err(StoreError::db)?;
        let t = r.open_table(BLOCK_TXIDS).map_err(StoreError::db)?;
        let Some(v) = t.get(height).map_err(StoreError::db)? else {
            return Ok(None);
        };
        let ids = Reader::read_all(v.value(), |r| {
            r.read_vec(r.remaining() / 32, 32, |r| {
                r.read_32().map(TxID::from_bytes)
            })
        })
        .map_err(StoreError::decode("block txids"))?;
        Ok(Some(ids))
    }

    /// What the chain state at `height` is made of, besides the genesis's
    /// initial header and key (docs/api.md §`GET /v1/snapshots/{height}`):
    /// the block's header and signature and the accumulator after it; at
    /// height 1 (a full node) the accumulator only. `None` when the node
    /// keeps no such state: above its tip, or at or below a pruned node's
    /// snapshot. One table lookup and one stored block's first bytes: the
    /// work is the same for every height.
    pub fn past_state(&self, height: u64) -> Result<Option<PastState>, NodeError> {
        let r = self.db.begin_read().map_err(StoreError::db)?;
        let roots = r.open_table(UTXO_ROOTS).map_err(StoreError::db)?;
        let Some(utxos) = roots.get(height).map_err(StoreError::db)? else {
            return Ok(None);
        };
        let utxos = Accumulator::from_bytes(utxos.value()).map_err(|_| corrupt("utxo roots"))?;
        if height == 1 {
            return Ok(Some(PastState {
                header: None,
                utxos,
            }));
        }
        let blocks = r.open_table(BLOCKS).map_err(StoreError::db)?;
        let Some(block) = blocks.get(height).map_err(StoreError::db)? else {
            return Err(corrupt("utxo roots without a block"));
        };
        // The header and the signature lead the block's encoding
        // (docs/spec/blockchain.md §Block): the transactions are not read.
        let mut r = Reader::new(block.value());
        let (header, signature) = BlockHeader::decode(&mut r)
            .and_then(|header| Ok((header, r.read_array::<64>()?)))
            .map_err(StoreError::decode("block"))?;
        let signature =
            musig::Signature::from_bytes(&signature).map_err(|_| corrupt("block signature"))?;
        if header.height != height {
            return Err(corrupt("block height"));
        }
        Ok(Some(PastState {
            header: Some((header, signature)),
            utxos,
        }))
    }

    /// The height of the stored block `id`.
    pub fn height_of(&self, id: &BlockID) -> Result<Option<u64>, NodeError> {
        let r = self.db.begin_read().map_err(StoreError::db)?;
        let t = r.open_table(BLOCK_IDS).map_err(StoreError::db)?;
        Ok(t.get(id.to_bytes())
            .map_err(StoreError::db)?
            .map(|v| v.value()))
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

/// The database's layout version against this node's
/// ([`FORMAT_VERSION`]): equal; or older but convertible (absent means a
/// database written before the version was stored, whose layout is 1),
/// then converted in one write transaction; else [`StoreError::Format`].
fn check_format(db: &Database) -> Result<(), StoreError> {
    let r = db.begin_read().map_err(StoreError::db)?;
    let meta = r.open_table(META).map_err(StoreError::db)?;
    let stored = meta
        .get(FORMAT)
        .map_err(StoreError::db)?
        .map(|v| v.value().to_vec());
    drop((meta, r));
    let found = match stored {
        None => 1,
        Some(bytes) => <[u8; 4]>::try_from(bytes.as_slice())
            .map(u32::from_le_bytes)
            .map_err(|_| StoreError::Corrupt("bad format record".into()))?,
    };
    if found == FORMAT_VERSION {
        return Ok(());
    }
    if found > FORMAT_VERSION {
        return Err(StoreError::Format {
            found,
            expected: FORMAT_VERSION,
            advice: "written by a newer node: run that version",
        });
    }
    if found < OLDEST_CONVERTED {
        return Err(StoreError::Format {
            found,
            expected: FORMAT_VERSION,
            advice: "an older layout this node does not convert: sync a new data directory",
        });
    }
    tracing::info!(from = found, to = FORMAT_VERSION, "converting the database");
    let w = db.begin_write().map_err(StoreError::db)?;
    if found < 2 {
        // 1 to 2: each block's txids, from the txs index.
        let txs = w.open_table(TXS).map_err(StoreError::db)?;
        let mut by_block: std::collections::BTreeMap<u64, Vec<(u32, [u8; 32])>> =
            std::collections::BTreeMap::new();
        for item in txs.iter().map_err(StoreError::db)? {
            let (id, place) = item.map_err(StoreError::db)?;
            let (height, index) = place.value();
            by_block
                .entry(height)
                .or_default()
                .push((index, id.value()));
        }
        let mut lists = w.open_table(BLOCK_TXIDS).map_err(StoreError::db)?;
        for (height, mut ids) in by_block {
            ids.sort_unstable();
            let flat: Vec<u8> = ids.iter().flat_map(|(_, id)| *id).collect();
            lists
                .insert(height, flat.as_slice())
                .map_err(StoreError::db)?;
        }
    }
    // 2 to 3: the certificates table, empty (earlier blocks have none).
    w.open_table(CERTIFICATES).map_err(StoreError::db)?;
    // 3 to 4: the accumulator after each stored block.
    if found < 4 {
        fill_utxo_roots(&w)?;
    }
    // 4 to 5: the set changes, none (the genesis's set is in force).
    w.open_table(SET_CHANGES).map_err(StoreError::db)?;
    // 5 to 6: the evidence, none kept before.
    w.open_table(EVIDENCE).map_err(StoreError::db)?;
    {
        let mut meta = w.open_table(META).map_err(StoreError::db)?;
        meta.insert(FORMAT, FORMAT_VERSION.to_le_bytes().as_slice())
            .map_err(StoreError::db)?;
    }
    w.commit().map_err(StoreError::db)?;
    Ok(())
}

/// Fills the `utxo_roots` table of a database converted from format 3: on
/// a full database, the accumulator after the genesis and after each
/// stored block, rebuilt by replaying the blocks' stored UTXO changes over
/// a forest of the genesis's outputs (the work a restart does from a
/// checkpoint, once); the last must be the chain state's, or the file is
/// corrupt. A pruned database has no state below its first block to
/// replay from: its table starts empty and fills with the blocks to come.
fn fill_utxo_roots(w: &redb::WriteTransaction) -> Result<(), StoreError> {
    let mut roots = w.open_table(UTXO_ROOTS).map_err(StoreError::db)?;
    let meta = w.open_table(META).map_err(StoreError::db)?;
    let get = |name: &str| -> Result<Option<Vec<u8>>, StoreError> {
        Ok(meta
            .get(name)
            .map_err(StoreError::db)?
            .map(|v| v.value().to_vec()))
    };
    if get(PRUNED)?.is_some() {
        return Ok(());
    }
    let genesis = get(GENESIS)?.ok_or_else(|| StoreError::Corrupt("no genesis record".into()))?;
    let genesis = Genesis::from_bytes(&genesis).map_err(StoreError::chain("genesis"))?;
    let state = get(STATE)?.ok_or_else(|| StoreError::Corrupt("no state record".into()))?;
    let state = ChainState::from_snapshot(&state, None).map_err(StoreError::chain("state"))?;
    let replay = |e: accumulator::AccumulatorError| {
        StoreError::Corrupt(format!("the stored UTXO changes do not replay: {e}"))
    };
    let mut forest = Forest::new();
    let leaves: Vec<ZkvmHash> = genesis.utxo_ids().iter().map(utxo_leaf).collect();
    forest.modify(&leaves, &[]).map_err(replay)?;
    roots
        .insert(1, forest.accumulator().to_bytes().as_slice())
        .map_err(StoreError::db)?;
    let deltas = w.open_table(DELTAS).map_err(StoreError::db)?;
    for height in 2..=state.tip.height {
        let delta = deltas
            .get(height)
            .map_err(StoreError::db)?
            .ok_or_else(|| StoreError::Corrupt(format!("no utxo delta at height {height}")))?;
        let delta = Delta::decode(delta.value()).map_err(StoreError::decode("utxo delta"))?;
        forest
            .modify(&delta.additions, &delta.deletions)
            .map_err(replay)?;
        roots
            .insert(height, forest.accumulator().to_bytes().as_slice())
            .map_err(StoreError::db)?;
    }
    if forest.accumulator() != state.utxos {
        return Err(StoreError::Corrupt(
            "the stored UTXO changes do not lead to the chain state".into(),
        ));
    }
    Ok(())
}

fn corrupt(what: &str) -> NodeError {
    StoreError::Corrupt(format!("bad {what} record")).into()
}

impl Store {
    /// Creates a database at `path` for a new chain: its genesis, its
    /// starting state and the full forest matching it, and the block key if
    /// this node produces blocks. Fails if the file exists.
    ///
    /// Without a forest the database is pruned: `state` is a snapshot's
    /// (any height), no forest records are written, and its base height is
    /// the state's tip height; with one it is a full node's, from height 1.
    /// `set_changes` are the validator-set changes included at or below a
    /// pruned state's tip (each height and encoding), verified by the
    /// caller; a full chain starts with none.
    pub fn create(
        path: &Path,
        genesis: &Genesis,
        state: &ChainState,
        forest: Option<&[u8]>,
        block_key: Option<&[u8; 32]>,
        set_changes: &[(u64, Vec<u8>)],
    ) -> Result<Store, NodeError> {
        if path.exists() {
            return Err(NodeError::DataDir(format!(
                "{} already holds a chain",
                path.display()
            )));
        }
        // The file holds the block-signing key: owner-only from the start,
        // before a byte of it is written.
        owner_only(path, true)?;
        let db = Database::create(path).map_err(StoreError::db)?;
        let w = db.begin_write().map_err(StoreError::db)?;
        {
            let mut meta = w.open_table(META).map_err(StoreError::db)?;
            meta.insert(FORMAT, FORMAT_VERSION.to_le_bytes().as_slice())
                .map_err(StoreError::db)?;
            meta.insert(GENESIS, genesis.to_bytes().as_slice())
                .map_err(StoreError::db)?;
            meta.insert(STATE, state.to_snapshot().as_slice())
                .map_err(StoreError::db)?;
            meta.insert(BASE_HEIGHT, state.tip.height.to_le_bytes().as_slice())
                .map_err(StoreError::db)?;
            match forest {
                Some(forest) => {
                    meta.insert(FOREST, forest).map_err(StoreError::db)?;
                    meta.insert(FOREST_ROOTS, state.utxos.to_bytes().as_slice())
                        .map_err(StoreError::db)?;
                    meta.insert(FOREST_HEIGHT, state.tip.height.to_le_bytes().as_slice())
                        .map_err(StoreError::db)?;
                }
                None => {
                    meta.insert(PRUNED, [].as_slice()).map_err(StoreError::db)?;
                }
            }
            if let Some(key) = block_key {
                meta.insert(BLOCK_KEY, key.as_slice())
                    .map_err(StoreError::db)?;
            }
            // Create the other tables so readers never miss one.
            w.open_table(BLOCKS).map_err(StoreError::db)?;
            w.open_table(BLOCK_IDS).map_err(StoreError::db)?;
            w.open_table(TXS).map_err(StoreError::db)?;
            w.open_table(BLOCK_TXIDS).map_err(StoreError::db)?;
            w.open_table(CERTIFICATES).map_err(StoreError::db)?;
            w.open_table(EVIDENCE).map_err(StoreError::db)?;
            let mut changes = w.open_table(SET_CHANGES).map_err(StoreError::db)?;
            for (height, change) in set_changes {
                changes
                    .insert(*height, change.as_slice())
                    .map_err(StoreError::db)?;
            }
            let mut roots = w.open_table(UTXO_ROOTS).map_err(StoreError::db)?;
            if forest.is_some() {
                // The genesis's state: a full node serves it as height 1.
                roots
                    .insert(state.tip.height, state.utxos.to_bytes().as_slice())
                    .map_err(StoreError::db)?;
            }
            w.open_table(DELTAS).map_err(StoreError::db)?;
            w.open_table(MEMPOOL).map_err(StoreError::db)?;
            let mut contracts = w.open_table(CONTRACTS).map_err(StoreError::db)?;
            w.open_table(CONTRACT_TAGS).map_err(StoreError::db)?;
            if forest.is_some() {
                index_genesis(&mut contracts, genesis)?;
            }
        }
        w.commit().map_err(StoreError::db)?;
        Ok(Store { db: Arc::new(db) })
    }

    /// Opens an existing database. One written before the contract index
    /// existed gets it here, built from its stored blocks (the schema has
    /// no version number: a missing table is the sign).
    pub fn open(path: &Path) -> Result<Store, NodeError> {
        if !path.exists() {
            return Err(NodeError::DataDir(format!(
                "no chain at {} (run `zkvm devnet` or `zkvm node init` first)",
                path.display()
            )));
        }
        // Databases made before they were created owner-only become so.
        if let Err(e) = owner_only(path, false) {
            tracing::warn!(%e, "the database stays readable by others");
        }
        let db = Database::open(path).map_err(StoreError::db)?;
        check_format(&db)?;
        if !has_contract_index(&db)? {
            tracing::info!("building the contract index from the stored blocks");
            build_contract_index(&db)?;
        }
        Ok(Store { db: Arc::new(db) })
    }

    /// A handle that reads blocks from other threads.
    pub fn block_reader(&self) -> BlockReader {
        BlockReader {
            db: self.db.clone(),
        }
    }

    /// A handle that reads the contract index from other threads.
    pub fn contract_reader(&self) -> ContractReader {
        ContractReader {
            db: self.db.clone(),
        }
    }

    /// Reads what a restart needs.
    pub fn load(&self) -> Result<Loaded, NodeError> {
        let r = self.db.begin_read().map_err(StoreError::db)?;
        let meta = r.open_table(META).map_err(StoreError::db)?;
        let get = |name: &str| -> Result<Option<Vec<u8>>, NodeError> {
            Ok(meta
                .get(name)
                .map_err(StoreError::db)?
                .map(|v| v.value().to_vec()))
        };
        let genesis = get(GENESIS)?.ok_or_else(|| corrupt("genesis"))?;
        let genesis = Genesis::from_bytes(&genesis).map_err(StoreError::chain("genesis"))?;
        let state = get(STATE)?.ok_or_else(|| corrupt("state"))?;
        let state = ChainState::from_snapshot(&state, None).map_err(StoreError::chain("state"))?;
        let le64 = |b: Vec<u8>| {
            <[u8; 8]>::try_from(b.as_slice())
                .ok()
                .map(u64::from_le_bytes)
        };
        let base_height = match get(BASE_HEIGHT)? {
            None => 1,
            Some(b) => le64(b).ok_or_else(|| corrupt("base height"))?,
        };
        if base_height < 1 || base_height > state.tip.height {
            return Err(corrupt("base height"));
        }
        let forest = if get(PRUNED)?.is_some() {
            None
        } else {
            let forest = get(FOREST)?.ok_or_else(|| corrupt("forest"))?;
            let forest_height = get(FOREST_HEIGHT)?
                .and_then(le64)
                .ok_or_else(|| corrupt("forest height"))?;
            let forest_roots = get(FOREST_ROOTS)?.ok_or_else(|| corrupt("forest roots"))?;
            let forest_roots =
                Accumulator::from_bytes(&forest_roots).map_err(|_| corrupt("forest roots"))?;
            Some((forest, forest_roots, forest_height))
        };
        let block_key = match get(BLOCK_KEY)? {
            None => None,
            Some(b) => {
                let key = <[u8; 32]>::try_from(b.as_slice()).map_err(|_| corrupt("block key"))?;
                Some(Zeroizing::new(key))
            }
        };
        let pool = r.open_table(MEMPOOL).map_err(StoreError::db)?;
        let mut mempool = Vec::new();
        for item in pool.iter().map_err(StoreError::db)? {
            let (_, v) = item.map_err(StoreError::db)?;
            mempool.push(v.value().to_vec());
        }
        let changes = r.open_table(SET_CHANGES).map_err(StoreError::db)?;
        let mut set_changes = Vec::new();
        for item in changes.iter().map_err(StoreError::db)? {
            let (height, v) = item.map_err(StoreError::db)?;
            set_changes.push((height.value(), v.value().to_vec()));
        }
        Ok(Loaded {
            genesis,
            state,
            forest,
            base_height,
            mempool,
            block_key,
            set_changes,
        })
    }

    /// The UTXO changes of the blocks after `height`, up to `to`, in order.
    pub fn deltas(&self, after: u64, to: u64) -> Result<Vec<Delta>, NodeError> {
        let r = self.db.begin_read().map_err(StoreError::db)?;
        let t = r.open_table(DELTAS).map_err(StoreError::db)?;
        let mut out = Vec::new();
        for h in after + 1..=to {
            let v = t
                .get(h)
                .map_err(StoreError::db)?
                .ok_or_else(|| corrupt("missing utxo delta"))?;
            out.push(Delta::from_bytes(v.value())?);
        }
        Ok(out)
    }

    /// Stores a block and everything it changes, in one transaction.
    pub fn commit_block(&self, c: &BlockCommit<'_>) -> Result<(), NodeError> {
        let height = c.block.header.height;
        let w = self.db.begin_write().map_err(StoreError::db)?;
        {
            let mut blocks = w.open_table(BLOCKS).map_err(StoreError::db)?;
            blocks.insert(height, c.bytes).map_err(StoreError::db)?;
            let mut ids = w.open_table(BLOCK_IDS).map_err(StoreError::db)?;
            ids.insert(c.block.header.id().to_bytes(), height)
                .map_err(StoreError::db)?;
            let mut txs = w.open_table(TXS).map_err(StoreError::db)?;
            for (i, id) in c.txids.iter().enumerate() {
                txs.insert(id.to_bytes(), (height, i as u32))
                    .map_err(StoreError::db)?;
            }
            let flat: Vec<u8> = c.txids.iter().flat_map(|id| id.to_bytes()).collect();
            let mut lists = w.open_table(BLOCK_TXIDS).map_err(StoreError::db)?;
            lists
                .insert(height, flat.as_slice())
                .map_err(StoreError::db)?;
            if let Some(certificate) = c.certificate {
                let mut certificates = w.open_table(CERTIFICATES).map_err(StoreError::db)?;
                certificates
                    .insert(height, certificate)
                    .map_err(StoreError::db)?;
            }
            if let Some(change) = c.set_change {
                let mut changes = w.open_table(SET_CHANGES).map_err(StoreError::db)?;
                changes.insert(height, change).map_err(StoreError::db)?;
            }
            let mut contracts = w.open_table(CONTRACTS).map_err(StoreError::db)?;
            let mut tags = w.open_table(CONTRACT_TAGS).map_err(StoreError::db)?;
            let txs: Vec<(TxID, &TxLog)> = c
                .txids
                .iter()
                .copied()
                .zip(c.logs.iter().copied())
                .collect();
            index_block(&mut contracts, &mut tags, height, &txs)?;
            let mut deltas = w.open_table(DELTAS).map_err(StoreError::db)?;
            deltas
                .insert(height, c.delta.to_bytes().as_slice())
                .map_err(StoreError::db)?;
            let mut roots = w.open_table(UTXO_ROOTS).map_err(StoreError::db)?;
            roots
                .insert(height, c.state.utxos.to_bytes().as_slice())
                .map_err(StoreError::db)?;
            let mut pool = w.open_table(MEMPOOL).map_err(StoreError::db)?;
            for id in c.mempool_removed {
                pool.remove(id.to_bytes()).map_err(StoreError::db)?;
            }
            let mut meta = w.open_table(META).map_err(StoreError::db)?;
            meta.insert(STATE, c.state.to_snapshot().as_slice())
                .map_err(StoreError::db)?;
            if let Some(forest) = &c.forest {
                meta.insert(FOREST, forest.as_slice())
                    .map_err(StoreError::db)?;
                meta.insert(FOREST_ROOTS, c.state.utxos.to_bytes().as_slice())
                    .map_err(StoreError::db)?;
                meta.insert(FOREST_HEIGHT, height.to_le_bytes().as_slice())
                    .map_err(StoreError::db)?;
            }
        }
        w.commit().map_err(NodeError::storage)
    }

    /// Adds a mempool transaction and drops those it replaced or evicted,
    /// in one transaction.
    pub fn mempool_insert(
        &self,
        id: &TxID,
        bytes: &[u8],
        removed: &[TxID],
    ) -> Result<(), NodeError> {
        self.mempool_write(&[(id, bytes, removed)])
    }

    /// Several mempool insertions in one transaction (a group commit: one
    /// disk sync for all), each with the transactions it removed.
    pub fn mempool_write(&self, writes: &[(&TxID, &[u8], &[TxID])]) -> Result<(), NodeError> {
        let w = self.db.begin_write().map_err(StoreError::db)?;
        {
            let mut pool = w.open_table(MEMPOOL).map_err(StoreError::db)?;
            for (id, bytes, removed) in writes {
                for r in *removed {
                    pool.remove(r.to_bytes()).map_err(StoreError::db)?;
                }
                pool.insert(id.to_bytes(), *bytes).map_err(StoreError::db)?;
            }
        }
        w.commit().map_err(NodeError::storage)
    }

    /// Appends equivocation evidence records (encoded), in one write
    /// transaction, and drops the oldest beyond [`MAX_EVIDENCE_STORED`]:
    /// a flood of evidence cannot grow the file without bound.
    pub fn record_evidence(&self, records: &[Vec<u8>]) -> Result<(), NodeError> {
        if records.is_empty() {
            return Ok(());
        }
        let w = self.db.begin_write().map_err(StoreError::db)?;
        {
            let mut t = w.open_table(EVIDENCE).map_err(StoreError::db)?;
            let mut next = match t.last().map_err(StoreError::db)? {
                Some((k, _)) => k.value().saturating_add(1),
                None => 0,
            };
            for r in records {
                t.insert(next, r.as_slice()).map_err(StoreError::db)?;
                next = next.saturating_add(1);
            }
            let kept = next.saturating_sub(MAX_EVIDENCE_STORED);
            let stale: Vec<u64> = t
                .range(..kept)
                .map_err(StoreError::db)?
                .map(|e| e.map(|(k, _)| k.value()))
                .collect::<Result<_, _>>()
                .map_err(StoreError::db)?;
            for k in stale {
                t.remove(k).map_err(StoreError::db)?;
            }
        }
        w.commit().map_err(NodeError::storage)
    }

    /// Drops mempool transactions (e.g. those that no longer verify after a
    /// restart).
    pub fn mempool_remove(&self, ids: &[TxID]) -> Result<(), NodeError> {
        let w = self.db.begin_write().map_err(StoreError::db)?;
        {
            let mut pool = w.open_table(MEMPOOL).map_err(StoreError::db)?;
            for r in ids {
                pool.remove(r.to_bytes()).map_err(StoreError::db)?;
            }
        }
        w.commit().map_err(NodeError::storage)
    }

    /// Mempool transactions stored now (for tests and status).
    pub fn mempool_len(&self) -> Result<u64, NodeError> {
        let r = self.db.begin_read().map_err(StoreError::db)?;
        let t = r.open_table(MEMPOOL).map_err(StoreError::db)?;
        t.len().map_err(NodeError::storage)
    }

    /// The block at `height`, if stored.
    pub fn block(&self, height: u64) -> Result<Option<Block>, NodeError> {
        self.block_reader().block(height)
    }

    /// The stored encoding of the block at `height`, as written (checked
    /// when it was stored).
    pub fn block_bytes(&self, height: u64) -> Result<Option<Vec<u8>>, NodeError> {
        self.block_reader().block_bytes(height)
    }

    /// `f` of the stored encoding of the block at `height`, read in place
    /// (e.g. to decode only its header).
    pub fn with_block_bytes<T>(
        &self,
        height: u64,
        f: impl FnOnce(&[u8]) -> T,
    ) -> Result<Option<T>, NodeError> {
        self.block_reader().with_block_bytes(height, f)
    }

    /// The height of the block `id`, if stored.
    pub fn height_of(&self, id: &BlockID) -> Result<Option<u64>, NodeError> {
        self.block_reader().height_of(id)
    }

    /// Where the confirmed transaction `id` is: block height and position.
    pub fn tx_location(&self, id: &TxID) -> Result<Option<(u64, u32)>, NodeError> {
        let r = self.db.begin_read().map_err(StoreError::db)?;
        let t = r.open_table(TXS).map_err(StoreError::db)?;
        Ok(t.get(id.to_bytes())
            .map_err(StoreError::db)?
            .map(|v| v.value()))
    }
}

/// Where an output was created: a genesis UTXO (`txid` is `None`, height
/// 1, `index` its position in the genesis) or a transaction's `output`
/// log entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Creation {
    /// The creating transaction; `None` for a genesis UTXO.
    pub txid: Option<TxID>,
    /// The block height (1 for the genesis).
    pub height: u64,
    /// The transaction's position in its block (the UTXO's in the genesis).
    pub index: u32,
    /// The `output` entry's position in the transaction's log.
    pub entry: u32,
}

/// The transaction that spent an output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spend {
    /// Its ID.
    pub txid: TxID,
    /// Its block's height.
    pub height: u64,
    /// Its position in the block.
    pub index: u32,
}

/// An output as the contract index holds it (docs/api.md §Storage).
///
/// Stored as `creation (49 bytes) || spend (45 bytes) || contract`:
/// creation is `kind (0 genesis, 1 tx) || txid || LE64 height || LE32
/// index || LE32 entry`, spend `flag (0 unspent, 1 spent) || txid || LE64
/// height || LE32 index` (zeros when unspent), and the contract's encoding
/// last. The contract is kept here rather than found again in its block so
/// that a lookup reads one record instead of decoding a block and running
/// the transaction's program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractRecord {
    /// The output.
    pub contract: Contract,
    /// Where it was created.
    pub created: Creation,
    /// Where it was spent, if it was.
    pub spent: Option<Spend>,
}

const CREATION_BYTES: usize = 1 + 32 + 8 + 4 + 4;
const SPEND_BYTES: usize = 1 + 32 + 8 + 4;

impl ContractRecord {
    fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(CREATION_BYTES + SPEND_BYTES + 64);
        let c = &self.created;
        v.push(u8::from(c.txid.is_some()));
        v.extend_from_slice(&c.txid.map_or([0; 32], |t| t.to_bytes()));
        v.extend_from_slice(&c.height.to_le_bytes());
        v.extend_from_slice(&c.index.to_le_bytes());
        v.extend_from_slice(&c.entry.to_le_bytes());
        match &self.spent {
            None => v.extend_from_slice(&[0; SPEND_BYTES]),
            Some(s) => {
                v.push(1);
                v.extend_from_slice(&s.txid.to_bytes());
                v.extend_from_slice(&s.height.to_le_bytes());
                v.extend_from_slice(&s.index.to_le_bytes());
            }
        }
        v.extend_from_slice(&self.contract.encode_to_vec());
        v
    }

    fn from_bytes(bytes: &[u8]) -> Result<ContractRecord, NodeError> {
        let (created, spent, contract) = Reader::read_all(bytes, |r| {
            let kind = r.read_u8()?;
            let txid = TxID::from_bytes(r.read_32()?);
            let created = Creation {
                txid: match kind {
                    0 => None,
                    1 => Some(txid),
                    _ => return Err(DecodeError::Invalid("unknown creation kind")),
                },
                height: r.read_u64()?,
                index: r.read_u32()?,
                entry: r.read_u32()?,
            };
            let flag = r.read_u8()?;
            let spend = Spend {
                txid: TxID::from_bytes(r.read_32()?),
                height: r.read_u64()?,
                index: r.read_u32()?,
            };
            let spent = match flag {
                0 => None,
                1 => Some(spend),
                _ => return Err(DecodeError::Invalid("unknown spend flag")),
            };
            Ok((created, spent, r.read_bytes(r.remaining())?))
        })
        .map_err(StoreError::decode("contract"))?;
        let contract = Contract::from_bytes(contract).map_err(StoreError::Contract)?;
        Ok(ContractRecord {
            contract,
            created,
            spent,
        })
    }
}

/// An output's position in the chain, which orders the tag index:
/// block height, transaction position, log entry position.
pub type OutputPosition = (u64, u32, u32);

/// The 32-byte digest of a tag under which its outputs are indexed (tags
/// may be of any length; keys are of one).
pub fn tag_digest(tag: &[u8]) -> [u8; 32] {
    let mut t = Transcript::new(b"ZkVM.node.contract-tag");
    t.append_message(b"tag", tag);
    let mut out = [0u8; 32];
    t.challenge_bytes(b"digest", &mut out);
    out
}

/// A tag index key: `tag_digest(tag) || BE64 height || BE32 index || BE32
/// entry`, so that keys sort by tag, then by position in the chain.
pub fn tag_key(digest: &[u8; 32], (height, index, entry): OutputPosition) -> [u8; 48] {
    let mut k = [0u8; 48];
    k[..32].copy_from_slice(digest);
    k[32..40].copy_from_slice(&height.to_be_bytes());
    k[40..44].copy_from_slice(&index.to_be_bytes());
    k[44..48].copy_from_slice(&entry.to_be_bytes());
    k
}

fn position_of(key: &[u8; 48]) -> OutputPosition {
    let mut h = [0u8; 8];
    h.copy_from_slice(&key[32..40]);
    let mut i = [0u8; 4];
    i.copy_from_slice(&key[40..44]);
    let mut e = [0u8; 4];
    e.copy_from_slice(&key[44..48]);
    (
        u64::from_be_bytes(h),
        u32::from_be_bytes(i),
        u32::from_be_bytes(e),
    )
}

/// The tags of a transaction (docs/api.md §`GET /v1/contracts`): its
/// first [`MAX_TAGS_PER_TX`] distinct `data` entries of 1 to
/// [`MAX_TAG_BYTES`] bytes, in log order.
pub fn tx_tags(log: &TxLog) -> Vec<&[u8]> {
    let mut tags: Vec<&[u8]> = Vec::new();
    for entry in &log.0 {
        if let TxEntry::Data(d) = entry {
            if (1..=MAX_TAG_BYTES).contains(&d.len()) && !tags.contains(&d.as_slice()) {
                tags.push(d);
                if tags.len() == MAX_TAGS_PER_TX {
                    break;
                }
            }
        }
    }
    tags
}

type Table<'t, K, V> = redb::Table<'t, K, V>;

/// Adds a block's outputs and spends to the contract index, in the write
/// transaction that stores the block. Inputs whose record is missing (on a
/// pruned database, outputs created at or below its base height) are
/// skipped: the index covers only what this database has seen created.
fn index_block(
    contracts: &mut Table<'_, [u8; 32], &[u8]>,
    tags: &mut Table<'_, [u8; 48], [u8; 32]>,
    height: u64,
    txs: &[(TxID, &TxLog)],
) -> Result<(), NodeError> {
    for (index, (txid, log)) in txs.iter().enumerate() {
        let index = index as u32;
        let digests: Vec<[u8; 32]> = tx_tags(log).into_iter().map(tag_digest).collect();
        for (entry, item) in log.0.iter().enumerate() {
            match item {
                TxEntry::Input(id) => {
                    let old = contracts
                        .get(id.to_bytes())
                        .map_err(StoreError::db)?
                        .map(|v| v.value().to_vec());
                    if let Some(old) = old {
                        let mut record = ContractRecord::from_bytes(&old)?;
                        record.spent = Some(Spend {
                            txid: *txid,
                            height,
                            index,
                        });
                        contracts
                            .insert(id.to_bytes(), record.to_bytes().as_slice())
                            .map_err(StoreError::db)?;
                    }
                }
                TxEntry::Output(contract) => {
                    let id = contract.id();
                    let record = ContractRecord {
                        contract: contract.clone(),
                        created: Creation {
                            txid: Some(*txid),
                            height,
                            index,
                            entry: entry as u32,
                        },
                        spent: None,
                    };
                    contracts
                        .insert(id.to_bytes(), record.to_bytes().as_slice())
                        .map_err(StoreError::db)?;
                    for digest in &digests {
                        tags.insert(
                            tag_key(digest, (height, index, entry as u32)),
                            id.to_bytes(),
                        )
                        .map_err(StoreError::db)?;
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Adds the genesis UTXOs to the contract index (a full database only: a
/// pruned one does not know which are still unspent).
fn index_genesis(
    contracts: &mut Table<'_, [u8; 32], &[u8]>,
    genesis: &Genesis,
) -> Result<(), NodeError> {
    for (i, contract) in genesis.utxos.iter().enumerate() {
        let record = ContractRecord {
            contract: contract.clone(),
            created: Creation {
                txid: None,
                height: 1,
                index: i as u32,
                entry: 0,
            },
            spent: None,
        };
        contracts
            .insert(contract.id().to_bytes(), record.to_bytes().as_slice())
            .map_err(StoreError::db)?;
    }
    Ok(())
}

/// Reads the contract index from any thread (like [`BlockReader`]): the
/// API answers from it on the blocking pool, not on the chain's thread.
#[derive(Clone)]
pub struct ContractReader {
    db: Arc<Database>,
}

impl std::fmt::Debug for ContractReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContractReader").finish_non_exhaustive()
    }
}

/// A page of outputs under one tag, newest first.
#[derive(Clone, Debug)]
pub struct TagPage {
    /// The outputs, each with its position and ID.
    pub outputs: Vec<(OutputPosition, ContractID, ContractRecord)>,
    /// The position to pass as `after` for the next page, if there is one.
    pub next: Option<OutputPosition>,
}

impl ContractReader {
    /// The record of output `id`, if the index has it.
    pub fn contract(&self, id: &ContractID) -> Result<Option<ContractRecord>, NodeError> {
        let r = self.db.begin_read().map_err(StoreError::db)?;
        let t = r.open_table(CONTRACTS).map_err(StoreError::db)?;
        let v = t.get(id.to_bytes()).map_err(StoreError::db)?;
        v.map(|v| ContractRecord::from_bytes(v.value())).transpose()
    }

    /// Up to `limit` outputs tagged `tag`, newest first, older than
    /// `after` if given; read in one transaction, so a page is consistent.
    pub fn by_tag(
        &self,
        tag: &[u8],
        after: Option<OutputPosition>,
        limit: usize,
    ) -> Result<TagPage, NodeError> {
        let digest = tag_digest(tag);
        let r = self.db.begin_read().map_err(StoreError::db)?;
        let tags = r.open_table(CONTRACT_TAGS).map_err(StoreError::db)?;
        let contracts = r.open_table(CONTRACTS).map_err(StoreError::db)?;
        let low = tag_key(&digest, (0, 0, 0));
        let range = match after {
            Some(p) => tags.range(low..tag_key(&digest, p)),
            None => tags.range(low..=tag_key(&digest, (u64::MAX, u32::MAX, u32::MAX))),
        }
        .map_err(StoreError::db)?;
        let mut outputs = Vec::new();
        let mut more = false;
        for item in range.rev() {
            let (k, v) = item.map_err(StoreError::db)?;
            if outputs.len() == limit {
                more = true;
                break;
            }
            let id = ContractID::from_bytes(v.value());
            let record = contracts
                .get(id.to_bytes())
                .map_err(StoreError::db)?
                .ok_or_else(|| corrupt("tagged contract"))?;
            let record = ContractRecord::from_bytes(record.value())?;
            outputs.push((position_of(&k.value()), id, record));
        }
        let next = if more {
            outputs.last().map(|(p, _, _)| *p)
        } else {
            None
        };
        Ok(TagPage { outputs, next })
    }
}

/// Builds the contract index of a database written before it existed,
/// from its genesis (unless pruned) and stored blocks, in one write
/// transaction: a node killed while building reopens without the tables
/// and builds them again.
fn build_contract_index(db: &Database) -> Result<(), NodeError> {
    let w = db.begin_write().map_err(StoreError::db)?;
    {
        let meta = w.open_table(META).map_err(StoreError::db)?;
        let genesis = meta
            .get(GENESIS)
            .map_err(StoreError::db)?
            .ok_or_else(|| corrupt("genesis"))?;
        let genesis = Genesis::from_bytes(genesis.value()).map_err(StoreError::chain("genesis"))?;
        let pruned = meta.get(PRUNED).map_err(StoreError::db)?.is_some();
        let blocks = w.open_table(BLOCKS).map_err(StoreError::db)?;
        let mut contracts = w.open_table(CONTRACTS).map_err(StoreError::db)?;
        let mut tags = w.open_table(CONTRACT_TAGS).map_err(StoreError::db)?;
        if !pruned {
            index_genesis(&mut contracts, &genesis)?;
        }
        for item in blocks.iter().map_err(StoreError::db)? {
            let (height, bytes) = item.map_err(StoreError::db)?;
            let block = Block::from_bytes(bytes.value()).map_err(StoreError::chain("block"))?;
            let mut runs = Vec::with_capacity(block.txs.len());
            for tx in &block.txs {
                // Stored blocks were verified in full; only the log is
                // needed again.
                let p = Verifier::precompute(tx).map_err(|_| corrupt("stored transaction"))?;
                runs.push((p.id, p.log));
            }
            let txs: Vec<(TxID, &TxLog)> = runs.iter().map(|(id, log)| (*id, log)).collect();
            index_block(&mut contracts, &mut tags, height.value(), &txs)?;
        }
    }
    w.commit().map_err(NodeError::storage)
}

/// Whether the database has the contract index (databases written before
/// it existed do not).
fn has_contract_index(db: &Database) -> Result<bool, NodeError> {
    let r = db.begin_read().map_err(StoreError::db)?;
    match r.open_table(CONTRACTS) {
        Ok(_) => Ok(true),
        Err(TableError::TableDoesNotExist(_)) => Ok(false),
        Err(e) => Err(NodeError::storage(e)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn delta_round_trip_and_strictness() {
        let d = Delta {
            additions: vec![ZkvmHash::leaf(&[1; 32]), ZkvmHash::leaf(&[2; 32])],
            deletions: vec![ZkvmHash::leaf(&[3; 32])],
        };
        let b = d.to_bytes();
        assert_eq!(Delta::from_bytes(&b).unwrap(), d);
        assert!(Delta::from_bytes(&b[..b.len() - 1]).is_err());
        let mut long = b.clone();
        long.push(0);
        assert!(Delta::from_bytes(&long).is_err());
        assert!(Delta::from_bytes(&[0xff, 0xff, 0xff, 0xff]).is_err());
    }

    /// A genesis UTXO of 1000 units under `key`, and a transaction paying
    /// it to a fresh key with `data` logged.
    fn payment(
        rng: &mut rand::rngs::StdRng,
        key: &musig::SecretKey,
        data: &[u8],
    ) -> (Contract, zkvm::Tx) {
        use curve25519_dalek::scalar::Scalar;
        use zkvm::{Anchor, Commitment, Data, PortableItem, Predicate, Program, Prover, TxHeader};
        let value = |q: u64, rng: &mut rand::rngs::StdRng| zkvm::Value {
            qty: Commitment::blinded_with_factor(q, Scalar::random(rng)),
            flv: Commitment::blinded_with_factor(Scalar::ZERO, Scalar::random(rng)),
        };
        let input = Contract {
            anchor: Anchor::from_bytes(rand::Rng::gen(rng)),
            predicate: Predicate::key(key.clone()),
            payload: vec![PortableItem::Value(value(1000, rng))],
        };
        let out = value(990, rng);
        let mut p = Program::new();
        p.push(input.clone()).input().signtx();
        p.push(Data::U32(10)).fee();
        p.push(out.qty.clone()).push(out.flv.clone()).cloak(2, 1);
        p.push(Predicate::key(musig::SecretKey::random(rng)))
            .output(1);
        p.push(data.to_vec()).log();
        let header = TxHeader {
            version: 1,
            mintime_ms: 0,
            maxtime_ms: u64::MAX,
        };
        let tx = Prover::build_tx(header, p).unwrap().sign().unwrap();
        (input, tx)
    }

    /// A database written before the contract index existed (its tables
    /// deleted here) gets the index on open, built from its genesis and
    /// blocks as the live path would have written it.
    #[test]
    fn old_database_gets_the_contract_index_on_open() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let block_scalar = curve25519_dalek::scalar::Scalar::random(&mut rng);
        let block_key = musig::SecretKey::from_scalar(block_scalar);
        let owner = musig::SecretKey::random(&mut rng);
        let (input, tx) = payment(&mut rng, &owner, b"tag");
        let genesis = Genesis {
            timestamp_ms: 1_700_000_000_000,
            signers: block_key.verification_key(),
            utxos: vec![input.clone()],
            validators: Vec::new(),
            assets: Vec::new(),
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chain.redb");
        let mut chain = crate::Chain::init(
            &path,
            genesis,
            Some(Zeroizing::new(block_scalar.to_bytes())),
            crate::Limits::default(),
        )
        .unwrap();
        chain.submit(&tx.to_bytes()).unwrap();
        let b = chain.produce_block(1_700_000_001_000).unwrap();
        assert_eq!(b.txids.len(), 1);
        let reader = chain.contract_reader();
        let spent = reader.contract(&input.id()).unwrap().unwrap();
        let page = reader.by_tag(b"tag", None, 10).unwrap();
        assert_eq!(page.outputs.len(), 1);
        let (_, out_id, out) = page.outputs[0].clone();
        drop((chain, reader));

        let db = Database::open(&path).unwrap();
        let w = db.begin_write().unwrap();
        w.delete_table(CONTRACTS).unwrap();
        w.delete_table(CONTRACT_TAGS).unwrap();
        w.commit().unwrap();
        assert!(!has_contract_index(&db).unwrap());
        drop(db);

        let store = Store::open(&path).unwrap();
        let reader = store.contract_reader();
        assert_eq!(reader.contract(&input.id()).unwrap().unwrap(), spent);
        assert_eq!(spent.spent.as_ref().unwrap().txid, b.txids[0]);
        assert_eq!(reader.contract(&out_id).unwrap().unwrap(), out);
        let page = reader.by_tag(b"tag", None, 10).unwrap();
        assert_eq!(page.outputs.len(), 1);
        assert_eq!(page.outputs[0].1, out_id);
        assert!(reader
            .by_tag(b"other", None, 10)
            .unwrap()
            .outputs
            .is_empty());
        let blocks = store.block_reader();
        assert_eq!(blocks.block_txids(2).unwrap().unwrap(), b.txids);
        drop((store, reader, blocks));

        // A version-1 database (no txid lists) is converted on open: each
        // block's list is rebuilt from the txs index.
        let db = Database::open(&path).unwrap();
        let w = db.begin_write().unwrap();
        w.delete_table(BLOCK_TXIDS).unwrap();
        {
            let mut meta = w.open_table(META).unwrap();
            meta.insert(FORMAT, 1u32.to_le_bytes().as_slice()).unwrap();
        }
        w.commit().unwrap();
        drop(db);
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.block_reader().block_txids(2).unwrap().unwrap(),
            b.txids
        );
        assert!(store.block_reader().block_txids(3).unwrap().is_none());
        drop(store);
        let db = Database::open(&path).unwrap();
        let r = db.begin_read().unwrap();
        let meta = r.open_table(META).unwrap();
        let format = meta.get(FORMAT).unwrap().unwrap().value().to_vec();
        assert_eq!(format, FORMAT_VERSION.to_le_bytes().to_vec());
        drop((meta, r, db));

        // A version-2 database (no certificates table) is converted on
        // open: the table is made, empty, and the block is still there.
        let db = Database::open(&path).unwrap();
        let w = db.begin_write().unwrap();
        assert!(w.delete_table(CERTIFICATES).unwrap());
        {
            let mut meta = w.open_table(META).unwrap();
            meta.insert(FORMAT, 2u32.to_le_bytes().as_slice()).unwrap();
        }
        w.commit().unwrap();
        drop(db);
        let store = Store::open(&path).unwrap();
        let blocks = store.block_reader();
        assert!(blocks.certificate_bytes(2).unwrap().is_none());
        assert_eq!(blocks.block_txids(2).unwrap().unwrap(), b.txids);
        drop((store, blocks));
        let db = Database::open(&path).unwrap();
        let r = db.begin_read().unwrap();
        let meta = r.open_table(META).unwrap();
        let format = meta.get(FORMAT).unwrap().unwrap().value().to_vec();
        assert_eq!(format, FORMAT_VERSION.to_le_bytes().to_vec());
        drop((meta, r, db));

        // A version-3 database (no past roots) is converted on open: the
        // roots after the genesis and after each block are replayed from
        // the stored UTXO changes, equal to those written with the blocks.
        let store = Store::open(&path).unwrap();
        let live: Vec<Accumulator> = (1..=2)
            .map(|h| store.block_reader().past_state(h).unwrap().unwrap().utxos)
            .collect();
        let (header, _) = store
            .block_reader()
            .past_state(2)
            .unwrap()
            .unwrap()
            .header
            .unwrap();
        assert_eq!(header.height, 2);
        assert_eq!(blockchain::utxoroot(&live[1]), header.utxoroot);
        assert!(store.block_reader().past_state(3).unwrap().is_none());
        drop(store);
        let db = Database::open(&path).unwrap();
        let w = db.begin_write().unwrap();
        assert!(w.delete_table(UTXO_ROOTS).unwrap());
        {
            let mut meta = w.open_table(META).unwrap();
            meta.insert(FORMAT, 3u32.to_le_bytes().as_slice()).unwrap();
        }
        w.commit().unwrap();
        drop(db);
        let store = Store::open(&path).unwrap();
        for (h, roots) in (1..=2).zip(&live) {
            let past = store.block_reader().past_state(h).unwrap().unwrap();
            assert_eq!(&past.utxos, roots, "height {h}");
        }
        drop(store);

        // A version-4 database (no set changes) is converted on open: the
        // table is made, empty (its chain has the genesis's set), and the
        // state loads.
        let db = Database::open(&path).unwrap();
        let w = db.begin_write().unwrap();
        assert!(w.delete_table(SET_CHANGES).unwrap());
        {
            let mut meta = w.open_table(META).unwrap();
            meta.insert(FORMAT, 4u32.to_le_bytes().as_slice()).unwrap();
        }
        w.commit().unwrap();
        drop(db);
        let store = Store::open(&path).unwrap();
        assert!(store.load().unwrap().set_changes.is_empty());
        assert_eq!(
            store.block_reader().past_state(2).unwrap().unwrap().utxos,
            live[1]
        );
        drop(store);

        // A version-5 database (no evidence table) is converted on open:
        // the table is made, empty, and takes records.
        let db = Database::open(&path).unwrap();
        let w = db.begin_write().unwrap();
        assert!(w.delete_table(EVIDENCE).unwrap());
        {
            let mut meta = w.open_table(META).unwrap();
            meta.insert(FORMAT, 5u32.to_le_bytes().as_slice()).unwrap();
        }
        w.commit().unwrap();
        drop(db);
        let store = Store::open(&path).unwrap();
        assert!(store.block_reader().evidence(10).unwrap().is_empty());
        store.record_evidence(&[vec![1, 2, 3]]).unwrap();
        assert_eq!(
            store.block_reader().evidence(10).unwrap(),
            vec![(0, vec![1, 2, 3])]
        );
        drop(store);

        // A version-3 database whose stored changes do not lead to its
        // state is refused as corrupt, not converted.
        let db = Database::open(&path).unwrap();
        let w = db.begin_write().unwrap();
        assert!(w.delete_table(UTXO_ROOTS).unwrap());
        {
            let mut deltas = w.open_table(DELTAS).unwrap();
            deltas
                .insert(2, Delta::default().to_bytes().as_slice())
                .unwrap();
            let mut meta = w.open_table(META).unwrap();
            meta.insert(FORMAT, 3u32.to_le_bytes().as_slice()).unwrap();
        }
        w.commit().unwrap();
        drop(db);
        let err = Store::open(&path).unwrap_err();
        assert!(err.to_string().contains("do not lead"), "{err}");
    }

    /// A database of another layout version is refused on open, with the
    /// versions named; one without a version (written before it was
    /// stored) is marked with this one.
    /// A block-key chain with no outputs, made in `dir`: its database's
    /// path.
    fn empty_chain(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("chain.redb");
        let key = musig::SecretKey::from_scalar(curve25519_dalek::scalar::Scalar::from(5u64));
        let genesis = Genesis {
            timestamp_ms: 1_700_000_000_000,
            signers: key.verification_key(),
            utxos: vec![],
            validators: Vec::new(),
            assets: Vec::new(),
        };
        drop(crate::Chain::init(&path, genesis, None, crate::Limits::default()).unwrap());
        path
    }

    #[test]
    fn databases_of_another_format_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = empty_chain(dir.path());
        let set = |v: Option<u32>| {
            let db = Database::open(&path).unwrap();
            let w = db.begin_write().unwrap();
            {
                let mut meta = w.open_table(META).unwrap();
                match v {
                    Some(v) => {
                        meta.insert(FORMAT, v.to_le_bytes().as_slice()).unwrap();
                    }
                    None => {
                        meta.remove(FORMAT).unwrap();
                    }
                }
            }
            w.commit().unwrap();
        };
        let stored = || {
            let db = Database::open(&path).unwrap();
            let r = db.begin_read().unwrap();
            let meta = r.open_table(META).unwrap();
            let v = meta.get(FORMAT).unwrap().map(|v| v.value().to_vec());
            v
        };
        assert_eq!(stored(), Some(FORMAT_VERSION.to_le_bytes().to_vec()));
        for (v, words) in [(FORMAT_VERSION + 1, "newer node"), (0, "older layout")] {
            set(Some(v));
            let Err(NodeError::Store(StoreError::Format {
                found, expected, ..
            })) = Store::open(&path)
            else {
                panic!("format {v} was not refused");
            };
            assert_eq!((found, expected), (v, FORMAT_VERSION));
            let message = Store::open(&path).err().unwrap().to_string();
            assert!(message.contains(words), "{message}");
        }
        set(None);
        Store::open(&path).unwrap();
        assert_eq!(stored(), Some(FORMAT_VERSION.to_le_bytes().to_vec()));
        // A storage error keeps its source.
        let e: NodeError = StoreError::db(redb::StorageError::Corrupted("x".into())).into();
        assert!(std::error::Error::source(&e).is_some());
    }

    #[test]
    fn contract_record_round_trip_and_strictness() {
        use zkvm::{Anchor, Data, PortableItem, Predicate};
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(5);
        let contract = Contract {
            anchor: Anchor::from_bytes([9; 32]),
            predicate: Predicate::key(musig::SecretKey::random(&mut rng)),
            payload: vec![PortableItem::String(Data::Opaque(b"tag".to_vec()))],
        };
        for (created_by, spent) in [
            (None, None),
            (
                Some(TxID::from_bytes([1; 32])),
                Some(Spend {
                    txid: TxID::from_bytes([2; 32]),
                    height: 7,
                    index: 3,
                }),
            ),
        ] {
            let record = ContractRecord {
                contract: contract.clone(),
                created: Creation {
                    txid: created_by,
                    height: 5,
                    index: 2,
                    entry: 4,
                },
                spent,
            };
            let bytes = record.to_bytes();
            let back = ContractRecord::from_bytes(&bytes).unwrap();
            assert_eq!(back.to_bytes(), bytes);
            assert_eq!(back.created, record.created);
            assert_eq!(back.spent, record.spent);
            assert_eq!(back.contract.id(), contract.id());
            assert!(ContractRecord::from_bytes(&bytes[..bytes.len() - 1]).is_err());
            assert!(ContractRecord::from_bytes(&bytes[..50]).is_err());
            let mut bad_kind = bytes.clone();
            bad_kind[0] = 2;
            assert!(ContractRecord::from_bytes(&bad_kind).is_err());
        }
    }

    #[test]
    fn tag_keys_sort_by_tag_then_position() {
        let d = tag_digest(b"a");
        assert_ne!(d, tag_digest(b"b"));
        let a = tag_key(&d, (2, 0, 9));
        let b = tag_key(&d, (2, 1, 0));
        let c = tag_key(&d, (10, 0, 0));
        assert!(a < b && b < c);
        assert_eq!(position_of(&b), (2, 1, 0));
    }

    #[test]
    fn evidence_keeps_the_newest_records_in_order_across_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = empty_chain(dir.path());
        let store = Store::open(&path).unwrap();
        store.record_evidence(&[]).unwrap();
        assert!(store.block_reader().evidence(5).unwrap().is_empty());
        let batch: Vec<Vec<u8>> = (0..(MAX_EVIDENCE_STORED + 3))
            .map(|i| i.to_le_bytes().to_vec())
            .collect();
        store.record_evidence(&batch[..3]).unwrap();
        store.record_evidence(&batch[3..]).unwrap();
        drop(store);
        let store = Store::open(&path).unwrap();
        let newest = store.block_reader().evidence(2).unwrap();
        let last = MAX_EVIDENCE_STORED + 2;
        assert_eq!(
            newest,
            vec![
                (last, last.to_le_bytes().to_vec()),
                (last - 1, (last - 1).to_le_bytes().to_vec())
            ]
        );
        let all = store.block_reader().evidence(usize::MAX).unwrap();
        assert_eq!(all.len() as u64, MAX_EVIDENCE_STORED);
        assert_eq!(all.last().unwrap().0, 3, "the three oldest dropped");
    }

    #[test]
    fn a_transaction_has_at_most_four_distinct_non_empty_tags() {
        let log = TxLog(
            [b"".as_slice(), b"a", b"a", b"b", b"c", b"d", b"e"]
                .iter()
                .map(|d| TxEntry::Data(d.to_vec()))
                .collect(),
        );
        let tags = tx_tags(&log);
        assert_eq!(tags, vec![b"a".as_slice(), b"b", b"c", b"d"]);
    }
}
