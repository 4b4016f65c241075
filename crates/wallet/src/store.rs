//! The wallet file (docs/spec/wallet.md §Storage): one redb database,
//! every change committed in one write transaction. All the storage keys
//! and record encodings are here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use accumulator::Pollard;
use blockchain::ChainState;
use curve25519_dalek::scalar::Scalar;
use redb::{Database, ReadableTable, TableDefinition};
use zkvm::{Contract, ContractID, Encodable, PortableItem, Tx, TxID};

use crate::keys::canonical_scalar;
use crate::note::NoteOpening;
use crate::seal::SeedRecord;
use crate::wallet::{Following, State};
use crate::{
    Address, Amount, AssetInfo, AssetMetadata, HeldContract, HistoryEntry, HistoryKind, OwnedUtxo,
    PendingTx, Terms, WalletError,
};

/// Single values, by name.
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// Owned UTXOs by contract ID.
const UTXOS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("utxos");
/// Pending transactions by transaction ID.
const PENDING: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("pending");
/// History entries by sequence number, from 0.
const HISTORY: TableDefinition<u64, &[u8]> = TableDefinition::new("history");
/// Contracts the wallet has a role in, by contract ID (format 2).
const CONTRACTS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("contracts");
/// Labels of addresses, by address index (absent from files made before
/// labels: no label).
const LABELS: TableDefinition<u32, &str> = TableDefinition::new("labels");
/// flavor → `issuer (32) || LE64 height || metadata` (docs/spec/wallet.md
/// §Asset metadata); absent in files made before assets had names.
const ASSETS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("assets");

/// `META` keys.
const FORMAT: &str = "format";
const SEED: &str = "seed";
const NEXT_INDEX: &str = "next_index";
const WINDOW: &str = "validity_window_ms";
const CHAIN: &str = "chain";
const POLLARD: &str = "pollard";
/// On a validators chain, the genesis's validator set (its binary encoding,
/// docs/spec/consensus.md §Validator set); absent on a block-key chain and
/// in files written before wallets checked certificates.
const VALIDATORS: &str = "validators";
/// On a validators chain, the validator-set changes scanned blocks applied
/// ([`encode_set_changes`]); absent when there were none.
const SET_CHANGES: &str = "set_changes";

/// The version of the file's layout: 2 added the contracts table; a
/// format 1 file is upgraded on open.
const FORMAT_VERSION: u8 = 2;

/// How long an open of the file waits while another process has it open
/// for one transaction (docs/spec/wallet.md §Storage, Concurrent use).
const OPEN_RETRY: Duration = Duration::from_secs(10);

/// The wallet file. The database is opened for one read or one write
/// transaction at a time and closed after it, so that other processes can
/// read the wallet between the commits of a long command (`send --wait`);
/// redb lets one process at a time open a file.
pub(crate) struct Store {
    path: PathBuf,
    /// `false` for a read-only wallet: commits change only the memory.
    persist: bool,
    /// The database while kept open between commits (a sync's blocks),
    /// with when it was opened: closed after [`HOLD`] or on `release`.
    db: Mutex<Option<(Database, Instant)>>,
}

/// How long a run of commits keeps the database open before closing it
/// to let other processes in.
const HOLD: Duration = Duration::from_millis(500);

impl Store {
    /// Creates the file (which must not exist), readable and writable by
    /// its owner only (mode 0600), holding `seed` and `state`.
    pub(crate) fn create(
        path: &Path,
        seed: &SeedRecord,
        state: &State,
    ) -> Result<Store, WalletError> {
        if path.exists() {
            return Err(WalletError::WalletExists(path.to_path_buf()));
        }
        create_private(path)?;
        let store = Store {
            path: path.to_path_buf(),
            persist: true,
            db: Mutex::new(None),
        };
        let db = Database::create(path).map_err(WalletError::storage)?;
        let txn = db.begin_write().map_err(WalletError::storage)?;
        {
            let mut meta = txn.open_table(META).map_err(WalletError::storage)?;
            meta.insert(FORMAT, [FORMAT_VERSION].as_slice())
                .map_err(WalletError::storage)?;
            meta.insert(SEED, seed.to_bytes().as_slice())
                .map_err(WalletError::storage)?;
            txn.open_table(UTXOS).map_err(WalletError::storage)?;
            txn.open_table(PENDING).map_err(WalletError::storage)?;
            txn.open_table(HISTORY).map_err(WalletError::storage)?;
            txn.open_table(CONTRACTS).map_err(WalletError::storage)?;
        }
        write_diff(&txn, &State::default(), state, true)?;
        txn.commit().map_err(WalletError::storage)?;
        Ok(store)
    }

    /// Opens the file and reads the seed record and the state back,
    /// strictly; `persist` false makes a store whose commits are dropped.
    pub(crate) fn open(
        path: &Path,
        persist: bool,
    ) -> Result<(Store, SeedRecord, State), WalletError> {
        let db = open_db(path)?;
        if persist {
            upgrade(&db)?;
        }
        let txn = db.begin_read().map_err(WalletError::storage)?;
        let meta = txn.open_table(META).map_err(WalletError::storage)?;
        let get = |key: &str| -> Result<Option<Vec<u8>>, WalletError> {
            Ok(meta
                .get(key)
                .map_err(WalletError::storage)?
                .map(|v| v.value().to_vec()))
        };
        let required = |key: &str| get(key)?.ok_or(WalletError::Corrupt("missing record"));
        let format = required(FORMAT)?;
        if format != [FORMAT_VERSION] && (persist || format != [1]) {
            return Err(WalletError::Corrupt("unknown file format"));
        }
        let seed = SeedRecord::from_bytes(&required(SEED)?)?;
        let next_index = u32::from_le_bytes(
            required(NEXT_INDEX)?
                .try_into()
                .map_err(|_| WalletError::Corrupt("next index"))?,
        );
        let window_ms = u64::from_le_bytes(
            required(WINDOW)?
                .try_into()
                .map_err(|_| WalletError::Corrupt("validity window"))?,
        );
        let following = match (get(CHAIN)?, get(POLLARD)?) {
            (None, None) => None,
            (Some(chain), Some(pollard)) => {
                let chain = ChainState::from_snapshot(&chain, None)
                    .map_err(|_| WalletError::Corrupt("chain state"))?;
                let pollard =
                    Pollard::from_bytes(&pollard).map_err(|_| WalletError::Corrupt("pollard"))?;
                if pollard.accumulator() != &chain.utxos {
                    return Err(WalletError::Corrupt(
                        "pollard does not match the chain state",
                    ));
                }
                let validators = match get(VALIDATORS)? {
                    None => None,
                    Some(_) if !chain.certified() => {
                        return Err(WalletError::Corrupt(
                            "a validator set for a block-key chain",
                        ))
                    }
                    Some(bytes) => {
                        let genesis = consensus::ValidatorSet::from_bytes(&bytes)
                            .map_err(|_| WalletError::Corrupt("validator set"))?;
                        let mut schedule = consensus::ValidatorSchedule::new(genesis);
                        if let Some(bytes) = get(SET_CHANGES)? {
                            for (height, change) in decode_set_changes(&bytes)? {
                                schedule.apply(height, change);
                            }
                        }
                        Some(schedule)
                    }
                };
                Some(Following {
                    chain,
                    pollard,
                    validators,
                })
            }
            _ => return Err(WalletError::Corrupt("chain state without pollard")),
        };

        let mut utxos = BTreeMap::new();
        let table = txn.open_table(UTXOS).map_err(WalletError::storage)?;
        for row in table.iter().map_err(WalletError::storage)? {
            let (k, v) = row.map_err(WalletError::storage)?;
            let id = ContractID::from_bytes(*k.value());
            let utxo = decode_utxo(v.value())?;
            if utxo.id() != id {
                return Err(WalletError::Corrupt("UTXO stored under another ID"));
            }
            utxos.insert(id, utxo);
        }
        let mut pending = BTreeMap::new();
        let table = txn.open_table(PENDING).map_err(WalletError::storage)?;
        for row in table.iter().map_err(WalletError::storage)? {
            let (k, v) = row.map_err(WalletError::storage)?;
            let txid = TxID::from_bytes(*k.value());
            pending.insert(txid, decode_pending(txid, v.value())?);
        }
        let mut history = Vec::new();
        let table = txn.open_table(HISTORY).map_err(WalletError::storage)?;
        for row in table.iter().map_err(WalletError::storage)? {
            let (k, v) = row.map_err(WalletError::storage)?;
            if k.value() != history.len() as u64 {
                return Err(WalletError::Corrupt("history has a gap"));
            }
            history.push(decode_history(v.value())?);
        }
        let mut contracts = BTreeMap::new();
        if format == [FORMAT_VERSION] {
            let table = txn.open_table(CONTRACTS).map_err(WalletError::storage)?;
            for row in table.iter().map_err(WalletError::storage)? {
                let (k, v) = row.map_err(WalletError::storage)?;
                let id = ContractID::from_bytes(*k.value());
                let c = decode_contract(v.value())?;
                if c.id() != id {
                    return Err(WalletError::Corrupt("contract stored under another ID"));
                }
                contracts.insert(id, c);
            }
        }
        let mut labels = BTreeMap::new();
        match txn.open_table(LABELS) {
            Ok(table) => {
                for row in table.iter().map_err(WalletError::storage)? {
                    let (k, v) = row.map_err(WalletError::storage)?;
                    labels.insert(k.value(), v.value().to_string());
                }
            }
            Err(redb::TableError::TableDoesNotExist(_)) => {}
            Err(e) => return Err(WalletError::storage(e)),
        }
        let mut assets = BTreeMap::new();
        match txn.open_table(ASSETS) {
            Ok(table) => {
                for row in table.iter().map_err(WalletError::storage)? {
                    let (k, v) = row.map_err(WalletError::storage)?;
                    let info = decode_asset(v.value())?;
                    if info.flavor.to_bytes() != *k.value() {
                        return Err(WalletError::Corrupt("asset stored under another flavor"));
                    }
                    assets.insert(*k.value(), info);
                }
            }
            Err(redb::TableError::TableDoesNotExist(_)) => {}
            Err(e) => return Err(WalletError::storage(e)),
        }
        drop((meta, txn, db));
        let state = State {
            labels,
            assets,
            next_index,
            window_ms,
            following,
            utxos,
            pending,
            history,
            contracts,
        };
        let store = Store {
            path: path.to_path_buf(),
            persist,
            db: Mutex::new(None),
        };
        Ok((store, seed, state))
    }

    /// Writes the difference from `old` to `new` in one write transaction:
    /// after a crash the file holds one or the other. A read-only store
    /// writes nothing.
    pub(crate) fn commit(&self, old: &State, new: &State) -> Result<(), WalletError> {
        if !self.persist {
            return Ok(());
        }
        let mut guard = self.db.lock().unwrap_or_else(|e| e.into_inner());
        let (db, since) = match guard.take() {
            Some(open) => open,
            None => (open_db(&self.path)?, Instant::now()),
        };
        let txn = db.begin_write().map_err(WalletError::storage)?;
        write_diff(&txn, old, new, false)?;
        txn.commit().map_err(WalletError::storage)?;
        if since.elapsed() < HOLD {
            *guard = Some((db, since));
        }
        Ok(())
    }

    /// Closes the database if a run of commits kept it open.
    pub(crate) fn release(&self) {
        *self.db.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Replaces everything but the seed with `state`, in one write
    /// transaction (a rescan).
    pub(crate) fn reset(&self, state: &State) -> Result<(), WalletError> {
        if !self.persist {
            return Err(WalletError::ReadOnly);
        }
        self.release();
        let db = open_db(&self.path)?;
        let txn = db.begin_write().map_err(WalletError::storage)?;
        txn.delete_table(UTXOS).map_err(WalletError::storage)?;
        txn.delete_table(PENDING).map_err(WalletError::storage)?;
        txn.delete_table(HISTORY).map_err(WalletError::storage)?;
        txn.delete_table(CONTRACTS).map_err(WalletError::storage)?;
        txn.delete_table(LABELS).map_err(WalletError::storage)?;
        txn.delete_table(ASSETS).map_err(WalletError::storage)?;
        write_diff(&txn, &State::default(), state, true)?;
        txn.commit().map_err(WalletError::storage)
    }

    /// Replaces the seed record (a new passphrase, or none).
    pub(crate) fn write_seed(&self, seed: &SeedRecord) -> Result<(), WalletError> {
        if !self.persist {
            return Err(WalletError::ReadOnly);
        }
        self.release();
        let db = open_db(&self.path)?;
        let txn = db.begin_write().map_err(WalletError::storage)?;
        {
            let mut meta = txn.open_table(META).map_err(WalletError::storage)?;
            meta.insert(SEED, seed.to_bytes().as_slice())
                .map_err(WalletError::storage)?;
        }
        txn.commit().map_err(WalletError::storage)
    }
}

/// Creates an empty file at `path` that only its owner can read and write.
fn create_private(path: &Path) -> Result<(), WalletError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map(drop)
        .map_err(|source| WalletError::Io {
            path: path.to_path_buf(),
            source,
        })
}

/// Opens the database, waiting up to [`OPEN_RETRY`] while another process
/// has it open (for one of its transactions).
fn open_db(path: &Path) -> Result<Database, WalletError> {
    let start = Instant::now();
    loop {
        match Database::open(path) {
            Ok(db) => return Ok(db),
            Err(redb::DatabaseError::DatabaseAlreadyOpen) if start.elapsed() < OPEN_RETRY => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(WalletError::storage(e)),
        }
    }
}

/// Writes into `txn` what changed from `old` to `new` (everything when
/// `all`).
fn write_diff(
    txn: &redb::WriteTransaction,
    old: &State,
    new: &State,
    all: bool,
) -> Result<(), WalletError> {
    {
        let mut meta = txn.open_table(META).map_err(WalletError::storage)?;
        if all || old.next_index != new.next_index {
            meta.insert(NEXT_INDEX, new.next_index.to_le_bytes().as_slice())
                .map_err(WalletError::storage)?;
        }
        if all || old.window_ms != new.window_ms {
            meta.insert(WINDOW, new.window_ms.to_le_bytes().as_slice())
                .map_err(WalletError::storage)?;
        }
        if all || old.following != new.following {
            match &new.following {
                Some(f) => {
                    meta.insert(CHAIN, f.chain.to_snapshot().as_slice())
                        .map_err(WalletError::storage)?;
                    meta.insert(POLLARD, f.pollard.to_bytes().as_slice())
                        .map_err(WalletError::storage)?;
                    match &f.validators {
                        Some(schedule) => {
                            meta.insert(VALIDATORS, schedule.genesis().to_bytes().as_slice())
                                .map_err(WalletError::storage)?;
                            if schedule.changes().is_empty() {
                                meta.remove(SET_CHANGES)
                            } else {
                                let bytes = encode_set_changes(schedule.changes());
                                meta.insert(SET_CHANGES, bytes.as_slice())
                            }
                        }
                        None => {
                            meta.remove(VALIDATORS).map_err(WalletError::storage)?;
                            meta.remove(SET_CHANGES)
                        }
                    }
                    .map_err(WalletError::storage)?;
                }
                None => {
                    meta.remove(CHAIN).map_err(WalletError::storage)?;
                    meta.remove(POLLARD).map_err(WalletError::storage)?;
                    meta.remove(VALIDATORS).map_err(WalletError::storage)?;
                    meta.remove(SET_CHANGES).map_err(WalletError::storage)?;
                }
            }
        }
    }
    {
        let mut table = txn.open_table(UTXOS).map_err(WalletError::storage)?;
        for id in old.utxos.keys().filter(|id| !new.utxos.contains_key(id)) {
            table.remove(&id.to_bytes()).map_err(WalletError::storage)?;
        }
        for (id, u) in &new.utxos {
            if all || old.utxos.get(id) != Some(u) {
                table
                    .insert(&id.to_bytes(), encode_utxo(u).as_slice())
                    .map_err(WalletError::storage)?;
            }
        }
    }
    {
        let mut table = txn.open_table(PENDING).map_err(WalletError::storage)?;
        for id in old
            .pending
            .keys()
            .filter(|id| !new.pending.contains_key(id))
        {
            table.remove(&id.to_bytes()).map_err(WalletError::storage)?;
        }
        for (id, p) in &new.pending {
            if all || old.pending.get(id) != Some(p) {
                table
                    .insert(&id.to_bytes(), encode_pending(p).as_slice())
                    .map_err(WalletError::storage)?;
            }
        }
    }
    {
        let mut table = txn.open_table(CONTRACTS).map_err(WalletError::storage)?;
        for (id, c) in &new.contracts {
            if all || old.contracts.get(id) != Some(c) {
                table
                    .insert(&id.to_bytes(), encode_contract(c).as_slice())
                    .map_err(WalletError::storage)?;
            }
        }
    }
    if all || old.labels != new.labels {
        let mut table = txn.open_table(LABELS).map_err(WalletError::storage)?;
        for i in old.labels.keys().filter(|i| !new.labels.contains_key(i)) {
            table.remove(*i).map_err(WalletError::storage)?;
        }
        for (i, label) in &new.labels {
            if all || old.labels.get(i) != Some(label) {
                table
                    .insert(*i, label.as_str())
                    .map_err(WalletError::storage)?;
            }
        }
    }
    if all || old.assets != new.assets {
        let mut table = txn.open_table(ASSETS).map_err(WalletError::storage)?;
        for (flavor, info) in &new.assets {
            if all || old.assets.get(flavor) != Some(info) {
                table
                    .insert(flavor, encode_asset(info).as_slice())
                    .map_err(WalletError::storage)?;
            }
        }
    }
    {
        let mut table = txn.open_table(HISTORY).map_err(WalletError::storage)?;
        let from = if all { 0 } else { old.history.len() };
        if new.history.len() < from || new.history[..from] != old.history[..from] {
            return Err(WalletError::Corrupt("history was rewritten"));
        }
        for (i, h) in new.history.iter().enumerate().skip(from) {
            table
                .insert(i as u64, encode_history(h).as_slice())
                .map_err(WalletError::storage)?;
        }
    }
    Ok(())
}

/// `LE64 height || LE32 key_index || LE32 n || opening (n bytes) ||
/// output structure`.
fn encode_utxo(u: &OwnedUtxo) -> Vec<u8> {
    let opening = u.opening.to_bytes();
    let mut out = Vec::new();
    out.extend_from_slice(&u.height.to_le_bytes());
    out.extend_from_slice(&u.key_index.to_le_bytes());
    put_len(&mut out, opening.len());
    out.extend_from_slice(&opening);
    u.contract.encode(&mut out);
    out
}

fn decode_utxo(bytes: &[u8]) -> Result<OwnedUtxo, WalletError> {
    let mut r = Cursor(bytes);
    let height = r.u64()?;
    let key_index = r.u32()?;
    let n = r.len()?;
    let opening =
        NoteOpening::from_bytes(r.take(n)?).map_err(|_| WalletError::Corrupt("UTXO opening"))?;
    let contract =
        Contract::from_bytes(r.rest()).map_err(|_| WalletError::Corrupt("UTXO contract"))?;
    match contract.payload.first() {
        Some(PortableItem::Value(value)) if opening.opens(value) => {}
        _ => return Err(WalletError::Corrupt("UTXO opening does not open it")),
    }
    Ok(OwnedUtxo {
        contract,
        opening,
        key_index,
        height,
    })
}

/// Upgrades a format 1 file (no contracts table) to format 2 in one write
/// transaction; other versions are left for `open` to refuse.
fn upgrade(db: &Database) -> Result<(), WalletError> {
    let txn = db.begin_read().map_err(WalletError::storage)?;
    let meta = txn.open_table(META).map_err(WalletError::storage)?;
    let format = meta
        .get(FORMAT)
        .map_err(WalletError::storage)?
        .map(|v| v.value().to_vec());
    drop((meta, txn));
    if format.as_deref() != Some(&[1u8][..]) {
        return Ok(());
    }
    let txn = db.begin_write().map_err(WalletError::storage)?;
    {
        txn.open_table(CONTRACTS).map_err(WalletError::storage)?;
        let mut meta = txn.open_table(META).map_err(WalletError::storage)?;
        meta.insert(FORMAT, [FORMAT_VERSION].as_slice())
            .map_err(WalletError::storage)?;
    }
    txn.commit().map_err(WalletError::storage)
}

/// `LE64 height || created_by || 0x00 | 0x01 spent_by LE64 spent_height ||
/// LE32 n || opening || LE32 m || terms || contract structure`.
fn encode_contract(c: &HeldContract) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&c.height.to_le_bytes());
    out.extend_from_slice(&c.created_by.to_bytes());
    match c.spent {
        None => out.push(0),
        Some((txid, height)) => {
            out.push(1);
            out.extend_from_slice(&txid.to_bytes());
            out.extend_from_slice(&height.to_le_bytes());
        }
    }
    let opening = c.opening.to_bytes();
    put_len(&mut out, opening.len());
    out.extend_from_slice(&opening);
    let terms = c.terms.to_bytes();
    put_len(&mut out, terms.len());
    out.extend_from_slice(&terms);
    c.contract.encode(&mut out);
    out
}

fn decode_contract(bytes: &[u8]) -> Result<HeldContract, WalletError> {
    let mut r = Cursor(bytes);
    let height = r.u64()?;
    let created_by = TxID::from_bytes(r.array()?);
    let spent = match r.u8()? {
        0 => None,
        1 => Some((TxID::from_bytes(r.array()?), r.u64()?)),
        _ => return Err(WalletError::Corrupt("contract record")),
    };
    let n = r.len()?;
    let opening = NoteOpening::from_bytes(r.take(n)?)
        .map_err(|_| WalletError::Corrupt("contract opening"))?;
    let m = r.len()?;
    let terms =
        Terms::from_bytes(r.take(m)?).map_err(|_| WalletError::Corrupt("contract terms"))?;
    let contract =
        Contract::from_bytes(r.rest()).map_err(|_| WalletError::Corrupt("contract structure"))?;
    match contract.payload.as_slice() {
        [PortableItem::Value(v)] if opening.opens(v) => {}
        _ => return Err(WalletError::Corrupt("contract opening does not open it")),
    }
    if terms.predicate() != contract.predicate.to_point() {
        return Err(WalletError::Corrupt(
            "contract terms do not give its predicate",
        ));
    }
    Ok(HeldContract {
        contract,
        opening,
        terms,
        created_by,
        height,
        spent,
    })
}

/// `LE32 n || tx (n bytes) || kind || LE64 fee || amounts || LE32 k || k ×
/// input ID || incoming amounts`.
fn encode_pending(p: &PendingTx) -> Vec<u8> {
    let tx = p.tx.to_bytes();
    let mut out = Vec::new();
    put_len(&mut out, tx.len());
    out.extend_from_slice(&tx);
    out.push(p.kind.code());
    out.extend_from_slice(&p.fee.to_le_bytes());
    put_amounts(&mut out, &p.amounts);
    put_len(&mut out, p.inputs.len());
    for id in &p.inputs {
        out.extend_from_slice(&id.to_bytes());
    }
    put_amounts(&mut out, &p.incoming);
    put_addresses(&mut out, &p.recipients);
    put_len(&mut out, p.outputs.len());
    for u in &p.outputs {
        let record = encode_utxo(u);
        put_len(&mut out, record.len());
        out.extend_from_slice(&record);
    }
    out
}

/// `issuer (32) || LE64 height || metadata`.
fn encode_asset(info: &AssetInfo) -> Vec<u8> {
    let mut out = info.issuer.as_bytes().to_vec();
    out.extend_from_slice(&info.height.to_le_bytes());
    out.extend_from_slice(&info.metadata.to_bytes());
    out
}

/// [`encode_asset`]'s record, its flavor recomputed from the issuer and
/// metadata.
fn decode_asset(bytes: &[u8]) -> Result<AssetInfo, WalletError> {
    let mut r = Cursor(bytes);
    let issuer = curve25519_dalek::ristretto::CompressedRistretto(r.array()?);
    let height = r.u64()?;
    let raw = r.rest();
    let metadata =
        AssetMetadata::from_bytes(raw).map_err(|_| WalletError::Corrupt("asset metadata"))?;
    let flavor = zkvm::Value::issue_flavor(
        &zkvm::Predicate::opaque(issuer),
        &zkvm::Data::Opaque(raw.to_vec()),
    );
    Ok(AssetInfo {
        flavor,
        issuer,
        metadata,
        height,
    })
}

/// `LE32 n || n × address (69)`: the recipients of a payment.
fn put_addresses(out: &mut Vec<u8>, list: &[Address]) {
    put_len(out, list.len());
    for a in list {
        out.extend_from_slice(&a.to_bytes());
    }
}

/// [`put_addresses`]' list; empty for a record written before it was kept
/// (nothing left to read).
fn read_addresses(r: &mut Cursor<'_>) -> Result<Vec<Address>, WalletError> {
    if r.0.is_empty() {
        return Ok(Vec::new());
    }
    let n = r.count(ADDRESS_RECORD)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(Address::from_bytes(r.take(ADDRESS_RECORD)?)?);
    }
    Ok(out)
}

/// The encoded size of an address.
const ADDRESS_RECORD: usize = 69;

fn decode_pending(txid: TxID, bytes: &[u8]) -> Result<PendingTx, WalletError> {
    let mut r = Cursor(bytes);
    let n = r.len()?;
    let tx = Tx::from_bytes(r.take(n)?).map_err(|_| WalletError::Corrupt("pending tx"))?;
    let kind = HistoryKind::from_code(r.u8()?)?;
    let fee = r.u64()?;
    let amounts = r.amounts()?;
    let k = r.count(32)?;
    let mut inputs = Vec::with_capacity(k);
    for _ in 0..k {
        inputs.push(ContractID::from_bytes(r.array()?));
    }
    let incoming = r.amounts()?;
    let recipients = read_addresses(&mut r)?;
    // Records written before the outputs were kept end here.
    let mut outputs = Vec::new();
    if !r.0.is_empty() {
        let k = r.count(4)?;
        for _ in 0..k {
            let n = r.len()?;
            let u = decode_utxo(r.take(n)?)?;
            if u.height != 0 {
                return Err(WalletError::Corrupt("a pending output with a height"));
            }
            outputs.push(u);
        }
    }
    r.finish()?;
    Ok(PendingTx {
        txid,
        tx,
        kind,
        amounts,
        fee,
        inputs,
        incoming,
        recipients,
        outputs,
    })
}

/// `kind || 0x00 | 0x01 txid || LE64 height || LE64 fee || amounts ||
/// LE64 time_ms || addresses`; records written before the last two end
/// after the amounts.
fn encode_history(h: &HistoryEntry) -> Vec<u8> {
    let mut out = vec![h.kind.code()];
    match h.txid {
        None => out.push(0),
        Some(id) => {
            out.push(1);
            out.extend_from_slice(&id.to_bytes());
        }
    }
    out.extend_from_slice(&h.height.to_le_bytes());
    out.extend_from_slice(&h.fee.to_le_bytes());
    put_amounts(&mut out, &h.amounts);
    out.extend_from_slice(&h.time_ms.to_le_bytes());
    put_addresses(&mut out, &h.counterparties);
    out
}

fn decode_history(bytes: &[u8]) -> Result<HistoryEntry, WalletError> {
    let mut r = Cursor(bytes);
    let kind = HistoryKind::from_code(r.u8()?)?;
    let txid = match r.u8()? {
        0 => None,
        1 => Some(TxID::from_bytes(r.array()?)),
        _ => return Err(WalletError::Corrupt("history entry")),
    };
    let height = r.u64()?;
    let fee = r.u64()?;
    let amounts = r.amounts()?;
    let (time_ms, counterparties) = if r.0.is_empty() {
        (0, Vec::new())
    } else {
        let time_ms = r.u64()?;
        if r.0.is_empty() {
            return Err(WalletError::Corrupt("history entry without its addresses"));
        }
        (time_ms, read_addresses(&mut r)?)
    };
    r.finish()?;
    Ok(HistoryEntry {
        kind,
        txid,
        height,
        amounts,
        fee,
        time_ms,
        counterparties,
    })
}

/// `LE32 n || n × (flavor (32) || LE64 qty)`.
fn put_amounts(out: &mut Vec<u8>, amounts: &[Amount]) {
    put_len(out, amounts.len());
    for a in amounts {
        out.extend_from_slice(a.flavor.as_bytes());
        out.extend_from_slice(&a.qty.to_le_bytes());
    }
}

fn put_len(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

/// A strict reader of records.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WalletError> {
        if self.0.len() < n {
            return Err(WalletError::Corrupt("truncated record"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], WalletError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, WalletError> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, WalletError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, WalletError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A length that must fit in what remains.
    fn len(&mut self) -> Result<usize, WalletError> {
        self.count(1)
    }

    /// A count of items of at least `size` bytes each, checked against
    /// what remains before anything is allocated.
    fn count(&mut self, size: usize) -> Result<usize, WalletError> {
        let n = usize::try_from(self.u32()?).map_err(|_| WalletError::Corrupt("count"))?;
        if n.saturating_mul(size) > self.0.len() {
            return Err(WalletError::Corrupt("count beyond the record"));
        }
        Ok(n)
    }

    fn amounts(&mut self) -> Result<Vec<Amount>, WalletError> {
        let n = self.count(40)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let flavor: Scalar =
                canonical_scalar(self.array()?).ok_or(WalletError::Corrupt("flavor"))?;
            let qty = self.u64()?;
            out.push(Amount { flavor, qty });
        }
        Ok(out)
    }

    fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.0)
    }

    fn finish(&self) -> Result<(), WalletError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(WalletError::Corrupt("trailing bytes in a record"))
        }
    }
}

/// The applied validator-set changes as stored: `LE32 n`, then for each
/// `LE64 height of the including block · LE32 len · the change's encoding`
/// (docs/spec/consensus.md §Validator-set changes, Encoding).
fn encode_set_changes(changes: &[(u64, consensus::ApprovedSetChange)]) -> Vec<u8> {
    let mut out = (changes.len() as u32).to_le_bytes().to_vec();
    for (height, change) in changes {
        let bytes = change.to_bytes();
        out.extend_from_slice(&height.to_le_bytes());
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(&bytes);
    }
    out
}

/// Reads [`encode_set_changes`]'s bytes strictly: no trailing bytes, every
/// length checked against what remains.
fn decode_set_changes(
    bytes: &[u8],
) -> Result<Vec<(u64, consensus::ApprovedSetChange)>, WalletError> {
    fn take<'a>(rest: &mut &'a [u8], n: usize) -> Result<&'a [u8], WalletError> {
        if rest.len() < n {
            return Err(WalletError::Corrupt("validator-set changes"));
        }
        let (head, tail) = rest.split_at(n);
        *rest = tail;
        Ok(head)
    }
    fn le<const N: usize>(rest: &mut &[u8]) -> Result<[u8; N], WalletError> {
        take(rest, N)?
            .try_into()
            .map_err(|_| WalletError::Corrupt("validator-set changes"))
    }
    let mut rest = bytes;
    let n = u32::from_le_bytes(le(&mut rest)?);
    let mut out = Vec::new();
    for _ in 0..n {
        let height = u64::from_le_bytes(le(&mut rest)?);
        let len = u32::from_le_bytes(le(&mut rest)?) as usize;
        let change = consensus::ApprovedSetChange::from_bytes(take(&mut rest, len)?)
            .map_err(|_| WalletError::Corrupt("validator-set changes"))?;
        out.push((height, change));
    }
    if !rest.is_empty() {
        return Err(WalletError::Corrupt("validator-set changes"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    #[test]
    fn set_changes_round_trip_and_refuse_bad_bytes() {
        use consensus::{
            ApprovedSetChange, ChainId, SetChange, Validator, ValidatorKey, ValidatorSet,
        };
        use curve25519_dalek::scalar::Scalar;
        let keys: Vec<musig::SecretKey> = (0..4u64)
            .map(|i| musig::SecretKey::from_scalar(Scalar::from(70 + i)))
            .collect();
        let set = |n: usize| {
            ValidatorSet::new(
                keys[..n]
                    .iter()
                    .map(|k| {
                        Validator::new(ValidatorKey::new(k.verification_key()).unwrap(), 1).unwrap()
                    })
                    .collect(),
            )
            .unwrap()
        };
        let chain = ChainId([5; 32]);
        let current = set(3);
        let change = SetChange::new(9, set(4));
        let approvals = keys[..3]
            .iter()
            .map(|k| change.approve(&chain, &current, k))
            .collect();
        let approved = ApprovedSetChange::new(change, approvals);
        let changes = vec![(7u64, approved)];
        let bytes = encode_set_changes(&changes);
        assert_eq!(decode_set_changes(&bytes).unwrap(), changes);
        assert_eq!(decode_set_changes(&0u32.to_le_bytes()).unwrap(), vec![]);
        for cut in 0..bytes.len() {
            assert!(decode_set_changes(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(decode_set_changes(&long).is_err());
        let mut many = bytes;
        many[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode_set_changes(&many).is_err());
    }

    use proptest::prelude::*;

    fn entry() -> HistoryEntry {
        HistoryEntry {
            kind: HistoryKind::Issued,
            txid: Some(TxID::from_bytes([5; 32])),
            height: 9,
            amounts: vec![Amount {
                flavor: Scalar::from(3u64),
                qty: 77,
            }],
            fee: 12,
            time_ms: 1_700_000_000_000,
            counterparties: vec![crate::Keys::new(crate::Seed::from_bytes([4; 64])).address(0)],
        }
    }

    #[test]
    fn history_records_round_trip_and_are_strict() {
        let bytes = encode_history(&entry());
        assert_eq!(decode_history(&bytes).unwrap(), entry());
        let mut long = bytes.clone();
        long.push(0);
        assert!(decode_history(&long).is_err());
        // A record written before times and counterparties were kept
        // ends after the amounts.
        let legacy = bytes.len() - 8 - 4 - 69;
        let old = decode_history(&bytes[..legacy]).unwrap();
        assert_eq!((old.time_ms, old.counterparties.len()), (0, 0));
        for n in (0..bytes.len()).filter(|n| *n != legacy) {
            assert!(decode_history(&bytes[..n]).is_err(), "prefix {n}");
        }
        let mut kind = bytes.clone();
        kind[0] = 10;
        assert!(decode_history(&kind).is_err());
    }

    proptest! {
        #[test]
        fn record_decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = decode_history(&bytes);
            let _ = decode_utxo(&bytes);
            let _ = decode_pending(TxID::from_bytes([0; 32]), &bytes);
            let _ = decode_contract(&bytes);
        }
    }
}
