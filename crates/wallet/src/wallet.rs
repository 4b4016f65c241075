//! The wallet: its state, following a chain, scanning blocks
//! (docs/spec/wallet.md §Wallet state, §Scanning, §Sync).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use accumulator::{Accumulator, Pollard, Proof, ZkvmHash};
use blockchain::{utxo_leaf, Block, BlockID, ChainState, Genesis};
use curve25519_dalek::scalar::Scalar;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;
use zkvm::{Commitment, Contract, ContractID, Encodable, PortableItem, Tx, TxEntry, TxID};

use crate::contracts::HeldContract;
use crate::keys::{Keys, Seed};
use crate::lock::{WalletLock, DEFAULT_LOCK_WAIT};
use crate::note::{value_and_note, NoteOpening};
use crate::seal::{Secrets, SeedRecord};
use crate::store::Store;
use crate::{Address, AssetInfo, OfferTag, WalletError};

/// Addresses beyond the highest one handed out that scanning still
/// recognizes (docs/spec/wallet.md §Scanning).
pub const LOOKAHEAD: u32 = 20;

/// How long a built transaction stays valid by default: its `maxtime_ms`
/// is the tip's time plus this (docs/spec/wallet.md §Transactions).
pub const DEFAULT_VALIDITY_WINDOW_MS: u64 = 10 * 60 * 1000;

/// The longest address label, in bytes.
pub const MAX_LABEL: usize = 256;

/// A quantity of a flavor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount {
    /// The asset type.
    pub flavor: Scalar,
    /// The quantity.
    pub qty: u64,
}

/// An unspent output the wallet owns, with what its commitments hide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedUtxo {
    /// The output as the chain logged it (closed commitments).
    pub contract: Contract,
    /// The opening of its value, from its note.
    pub opening: NoteOpening,
    /// The index of the address (receiving key) it pays.
    pub key_index: u32,
    /// The height of the block that created it (1 for the genesis).
    pub height: u64,
}

impl OwnedUtxo {
    /// The contract ID (the UTXO ID).
    pub fn id(&self) -> ContractID {
        self.contract.id()
    }

    /// The quantity.
    pub fn qty(&self) -> u64 {
        self.opening.qty
    }

    /// The flavor.
    pub fn flavor(&self) -> Scalar {
        self.opening.flavor
    }

    /// If it is one of the wallet's offers: its terms (docs/spec/contracts.md
    /// §Offers). Offers are not spent by payments: only taken or cancelled.
    pub fn offer_terms(&self) -> Option<OfferTag> {
        match self.contract.payload.as_slice() {
            [PortableItem::Value(_), PortableItem::String(s), PortableItem::String(t)]
                if s.to_bytes().len() == crate::OFFER_SIGNATURES_BYTES =>
            {
                OfferTag::from_bytes(&t.to_bytes()).ok()
            }
            _ => None,
        }
    }
}

/// What a history entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryKind {
    /// Outputs paid to the wallet by others (or by the genesis).
    Received,
    /// A payment the wallet made: the amounts paid away.
    Sent,
    /// An issuance: the amount issued.
    Issued,
    /// A retirement: the amount retired.
    Retired,
    /// Value locked into a contract the wallet has a role in (by this
    /// wallet or another): the amount locked.
    Locked,
    /// A contract the wallet has a role in was spent: what the wallet
    /// received from it, or the contract's value if it received nothing.
    Unlocked,
    /// The wallet put goods on offer: the amount offered.
    OfferMade,
    /// One of the wallet's offers was taken, in part or whole: the payment
    /// received.
    OfferTaken,
    /// The wallet cancelled an offer: the goods taken back.
    OfferCancelled,
    /// The wallet took an offer: the goods bought.
    Bought,
}

impl HistoryKind {
    pub(crate) fn code(self) -> u8 {
        match self {
            HistoryKind::Received => 0,
            HistoryKind::Sent => 1,
            HistoryKind::Issued => 2,
            HistoryKind::Retired => 3,
            HistoryKind::Locked => 4,
            HistoryKind::Unlocked => 5,
            HistoryKind::OfferMade => 6,
            HistoryKind::OfferTaken => 7,
            HistoryKind::OfferCancelled => 8,
            HistoryKind::Bought => 9,
        }
    }

    pub(crate) fn from_code(c: u8) -> Result<Self, WalletError> {
        Ok(match c {
            0 => HistoryKind::Received,
            1 => HistoryKind::Sent,
            2 => HistoryKind::Issued,
            3 => HistoryKind::Retired,
            4 => HistoryKind::Locked,
            5 => HistoryKind::Unlocked,
            6 => HistoryKind::OfferMade,
            7 => HistoryKind::OfferTaken,
            8 => HistoryKind::OfferCancelled,
            9 => HistoryKind::Bought,
            _ => return Err(WalletError::Corrupt("history kind")),
        })
    }
}

/// One confirmed event (docs/spec/wallet.md §History).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    /// What happened.
    pub kind: HistoryKind,
    /// The transaction; `None` for outputs of the genesis.
    pub txid: Option<TxID>,
    /// The block height.
    pub height: u64,
    /// Received: what arrived; sent: what was paid to others; issued and
    /// retired: the amount. One entry per flavor (a flavor appears twice
    /// only if its total passes 2^64 − 1).
    pub amounts: Vec<Amount>,
    /// The fee the wallet paid (0 for received).
    pub fee: u64,
    /// The including block's timestamp (0 in records written before the
    /// wallet kept it).
    pub time_ms: u64,
    /// Where a payment went: the addresses the wallet paid (empty when not
    /// known, e.g. for what it received: a payment names no sender).
    pub counterparties: Vec<Address>,
}

/// A transaction the wallet built that no block has included yet. Its
/// inputs are locked; its outputs to the wallet count as pending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingTx {
    /// The ID.
    pub txid: TxID,
    /// The signed transaction (to broadcast again if needed).
    pub tx: Tx,
    /// What it does, for the history once confirmed.
    pub kind: HistoryKind,
    /// The amounts of its history entry.
    pub amounts: Vec<Amount>,
    /// Its fee.
    pub fee: u64,
    /// The wallet's outputs it spends.
    pub inputs: Vec<ContractID>,
    /// What it pays back to the wallet (change, issued assets).
    pub incoming: Vec<Amount>,
    /// The addresses it pays, each once, for the history.
    pub recipients: Vec<Address>,
    /// The wallet's own outputs it creates (change, issued value), height
    /// 0: a later transaction may spend them before a block includes this
    /// one (docs/spec/wallet.md §Unconfirmed change).
    pub outputs: Vec<OwnedUtxo>,
}

/// The wallet's funds of one flavor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Balance {
    /// The flavor.
    pub flavor: Scalar,
    /// Confirmed and not spent by a pending transaction.
    pub spendable: u128,
    /// Confirmed but spent by a pending transaction.
    pub locked: u128,
    /// Coming back to the wallet from pending transactions (change,
    /// issuance).
    pub pending: u128,
    /// On offer (docs/spec/contracts.md §Offers): confirmed, not
    /// spendable by payments until taken back.
    pub offered: u128,
}

/// What one block changed (docs/spec/wallet.md §Scanning).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanSummary {
    /// The height now followed.
    pub height: u64,
    /// Amounts others paid the wallet.
    pub received: Vec<Amount>,
    /// Pending transactions the block included.
    pub confirmed: Vec<TxID>,
    /// Pending transactions dropped: expired, or their inputs spent by
    /// another transaction. Their inputs are unlocked.
    pub dropped: Vec<TxID>,
}

/// What [`Wallet::sync`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncSummary {
    /// Blocks applied.
    pub blocks: u64,
    /// The height now followed.
    pub height: u64,
    /// Amounts others paid the wallet.
    pub received: Vec<Amount>,
    /// Pending transactions confirmed.
    pub confirmed: Vec<TxID>,
    /// Pending transactions dropped.
    pub dropped: Vec<TxID>,
}

/// Where the wallet gets the chain from (docs/spec/wallet.md §Sync): a
/// node's HTTP API, or a chain in memory.
pub trait BlockSource {
    /// Why the source failed.
    type Error: std::error::Error + Send + Sync + 'static;
    /// The network's genesis.
    fn genesis(&self) -> Result<Genesis, Self::Error>;
    /// The block at `height` (2 for the first after the genesis), or
    /// `None` if the chain is not that long yet.
    fn block(&self, height: u64) -> Result<Option<Block>, Self::Error>;
}

/// The chain the wallet follows: the light chain state, the pollard of
/// its own outputs and, on a validators chain, the validator set whose
/// certificates seal its blocks (docs/spec/wallet.md §Wallet state).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Following {
    pub(crate) chain: ChainState,
    pub(crate) pollard: Pollard,
    /// The validator sets of the chain's life: the genesis's and each
    /// change applied by a scanned block (see [`Following::validators_at`]);
    /// `None` on a block-key chain, and on a validators chain followed by
    /// a file written before wallets checked certificates (filled in from
    /// the genesis by [`Wallet::sync`]).
    pub(crate) validators: Option<consensus::ValidatorSchedule>,
}

/// Everything persisted besides the seed.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(crate) struct State {
    pub(crate) next_index: u32,
    pub(crate) window_ms: u64,
    pub(crate) following: Option<Following>,
    pub(crate) utxos: BTreeMap<ContractID, OwnedUtxo>,
    pub(crate) pending: BTreeMap<TxID, PendingTx>,
    pub(crate) history: Vec<HistoryEntry>,
    pub(crate) contracts: BTreeMap<ContractID, HeldContract>,
    /// Labels of addresses handed out, by index.
    pub(crate) labels: BTreeMap<u32, String>,
    /// Asset metadata read from the chain, by flavor (docs/spec/wallet.md
    /// §Asset metadata).
    pub(crate) assets: BTreeMap<[u8; 32], AssetInfo>,
}

impl State {
    /// The inputs of pending transactions.
    pub(crate) fn locked(&self) -> HashSet<ContractID> {
        self.pending
            .values()
            .flat_map(|p| p.inputs.iter().copied())
            .collect()
    }
}

/// A wallet backed by its file (docs/spec/wallet.md). Every change is
/// committed to the file in one transaction before it shows in memory.
pub struct Wallet {
    pub(crate) keys: Keys,
    pub(crate) state: State,
    store: Store,
    /// Receiving points of indices `0 .. next_index + LOOKAHEAD`.
    pub(crate) known: HashMap<[u8; 32], u32>,
    /// The lock file, held while open for writing (`None`: read only).
    lock: Option<WalletLock>,
    /// The recovery phrase, if the file keeps it (sealed); else empty.
    phrase: Zeroizing<String>,
    /// The block a rescan from a past height must meet again: the tip the
    /// wallet had scanned before it (docs/spec/wallet.md §Rescan). Kept in
    /// memory for the process that started the rescan.
    rescan_check: Option<(u64, BlockID)>,
}

impl core::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Wallet")
            .field("height", &self.height())
            .field("addresses", &self.state.next_index)
            .field("utxos", &self.state.utxos.len())
            .field("pending", &self.state.pending.len())
            .finish_non_exhaustive()
    }
}

/// Two wallets are equal when they hold the same seed and state.
impl PartialEq for Wallet {
    fn eq(&self, other: &Self) -> bool {
        bool::from(self.keys.ct_eq(&other.keys)) && self.state == other.state
    }
}

/// How to open a wallet file ([`Wallet::open_with`]). `Debug` does not
/// show the passphrase.
#[derive(Clone)]
pub struct Access<'a> {
    /// The passphrase, for a wallet whose seed is sealed under one.
    pub passphrase: Option<&'a [u8]>,
    /// Read only: no lock is taken and nothing is written; the wallet
    /// still follows the chain, in memory (a second reader beside a
    /// running writer).
    pub read_only: bool,
    /// How long to wait for another process to let go of the wallet's
    /// lock before failing with [`WalletError::Busy`].
    pub lock_wait: Duration,
}

impl core::fmt::Debug for Access<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Access")
            .field("passphrase", &self.passphrase.map(|_| "…"))
            .field("read_only", &self.read_only)
            .field("lock_wait", &self.lock_wait)
            .finish()
    }
}

impl Default for Access<'_> {
    fn default() -> Self {
        Access {
            passphrase: None,
            read_only: false,
            lock_wait: DEFAULT_LOCK_WAIT,
        }
    }
}

impl Wallet {
    /// Creates a wallet file at `path` (which must not exist) from a
    /// 24-word `mnemonic`, or from a new random one; returns the wallet and
    /// its phrase (words separated by single spaces), which is shown to
    /// the user once: the file keeps only the seed, in the clear
    /// (docs/spec/wallet.md §Seed, §Storage). A wallet for people is made
    /// with [`Wallet::create_with_passphrase`].
    pub fn create(
        path: impl AsRef<Path>,
        mnemonic: Option<&str>,
    ) -> Result<(Wallet, String), WalletError> {
        let (w, phrase) = Wallet::create_with_passphrase(path, mnemonic, None)?;
        Ok((w, phrase.as_str().to_string()))
    }

    /// [`Wallet::create`], with the seed and the phrase sealed under
    /// `passphrase` when one is given (Argon2id and ChaCha20-Poly1305,
    /// docs/spec/wallet.md §Storage, Passphrase). The file (and its lock
    /// file) are readable by the owner only.
    pub fn create_with_passphrase(
        path: impl AsRef<Path>,
        mnemonic: Option<&str>,
        passphrase: Option<&[u8]>,
    ) -> Result<(Wallet, Zeroizing<String>), WalletError> {
        let path = path.as_ref();
        if path.exists() {
            return Err(WalletError::WalletExists(path.to_path_buf()));
        }
        let (seed, phrase) = match mnemonic {
            Some(m) => (
                Seed::from_phrase(m)?,
                Zeroizing::new(m.split_whitespace().collect::<Vec<_>>().join(" ")),
            ),
            None => Seed::generate(&mut rand_core::OsRng)?,
        };
        let lock = WalletLock::acquire(path, Duration::ZERO)?;
        let record = match passphrase {
            None => SeedRecord::Clear(seed.clone()),
            Some(p) => SeedRecord::seal(
                &Secrets {
                    seed: seed.clone(),
                    phrase: phrase.clone(),
                },
                p,
                &mut rand_core::OsRng,
            )?,
        };
        let state = State {
            window_ms: DEFAULT_VALIDITY_WINDOW_MS,
            ..State::default()
        };
        let store = Store::create(path, &record, &state)?;
        let kept = if passphrase.is_some() {
            phrase.clone()
        } else {
            Zeroizing::new(String::new())
        };
        let mut w = Wallet::assemble(Keys::new(seed), state, store);
        w.lock = Some(lock);
        w.phrase = kept;
        Ok((w, phrase))
    }

    /// Opens the wallet file at `path`, checking every record, with its
    /// lock ([`Access::default`]: waits a few seconds for another writer;
    /// no passphrase).
    pub fn open(path: impl AsRef<Path>) -> Result<Wallet, WalletError> {
        Wallet::open_with(path, &Access::default())
    }

    /// Whether the wallet file at `path` seals its seed under a
    /// passphrase (so [`Wallet::open_with`] needs one).
    pub fn is_encrypted(path: impl AsRef<Path>) -> Result<bool, WalletError> {
        let (_, record, _) = Store::open(path.as_ref(), false)?;
        Ok(record.is_sealed())
    }

    /// Opens the wallet file at `path` as `access` says: takes its lock
    /// (unless read only), reads every record, opens the seed.
    pub fn open_with(path: impl AsRef<Path>, access: &Access<'_>) -> Result<Wallet, WalletError> {
        let path = path.as_ref();
        if !path.exists() {
            return Err(WalletError::Io {
                path: path.to_path_buf(),
                source: std::io::ErrorKind::NotFound.into(),
            });
        }
        let lock = if access.read_only {
            None
        } else {
            Some(WalletLock::acquire(path, access.lock_wait)?)
        };
        let (store, record, state) = Store::open(path, !access.read_only)?;
        let secrets = record.open(access.passphrase)?;
        let keys = Keys::new(secrets.seed.clone());
        for u in state.utxos.values() {
            if keys.receiving_point(u.key_index) != u.contract.predicate.to_point() {
                return Err(WalletError::Corrupt("UTXO not locked by its key"));
            }
        }
        let mut w = Wallet::assemble(keys, state, store);
        w.lock = lock;
        w.phrase = secrets.phrase;
        Ok(w)
    }

    /// Closes the wallet file if a run of changes kept it open, so that
    /// other processes can read it (before a long wait; docs/spec/wallet.md
    /// §Concurrent use). The next change opens it again.
    pub fn release(&self) {
        self.store.release();
    }

    /// Whether this wallet was opened read only.
    pub fn is_read_only(&self) -> bool {
        self.lock.is_none()
    }

    /// The recovery phrase, kept (sealed) by wallets made with a
    /// passphrase; `NoPhrase` for others.
    pub fn recovery_phrase(&self) -> Result<Zeroizing<String>, WalletError> {
        if self.phrase.is_empty() {
            return Err(WalletError::NoPhrase);
        }
        Ok(self.phrase.clone())
    }

    /// Seals the seed under a new passphrase, or stores it in the clear
    /// with `None` (and keeps no phrase then).
    pub fn set_passphrase(&mut self, passphrase: Option<&[u8]>) -> Result<(), WalletError> {
        if self.lock.is_none() {
            return Err(WalletError::ReadOnly);
        }
        let record = match passphrase {
            None => SeedRecord::Clear(self.keys.seed().clone()),
            Some(p) => SeedRecord::seal(
                &Secrets {
                    seed: self.keys.seed().clone(),
                    phrase: self.phrase.clone(),
                },
                p,
                &mut rand_core::OsRng,
            )?,
        };
        self.store.write_seed(&record)
    }

    /// Drops pending transaction `txid` (docs/spec/wallet.md §Pending):
    /// its inputs are spendable again and its incoming amounts are no
    /// longer counted. The transaction may still reach a block if a node
    /// kept it; the wallet then records it when it scans that block.
    /// `AlreadyConfirmed` if a block included it, `NotPending` if the
    /// wallet has no such transaction.
    pub fn abandon(&mut self, txid: &TxID) -> Result<PendingTx, WalletError> {
        if let Some(h) = self.state.history.iter().find(|h| h.txid == Some(*txid)) {
            return Err(WalletError::AlreadyConfirmed(*txid, h.height));
        }
        let mut new = self.state.clone();
        let p = new
            .pending
            .remove(txid)
            .ok_or(WalletError::NotPending(*txid))?;
        // Transactions spending its outputs (unconfirmed change) cannot be
        // included without it: they go too, and so on down.
        let mut gone: HashSet<ContractID> = p.outputs.iter().map(OwnedUtxo::id).collect();
        loop {
            let children: Vec<TxID> = new
                .pending
                .values()
                .filter(|c| c.inputs.iter().any(|i| gone.contains(i)))
                .map(|c| c.txid)
                .collect();
            if children.is_empty() {
                break;
            }
            for id in children {
                if let Some(c) = new.pending.remove(&id) {
                    gone.extend(c.outputs.iter().map(OwnedUtxo::id));
                }
            }
        }
        self.commit(new)?;
        Ok(p)
    }

    /// The pending transaction `txid`, if any.
    pub fn pending_tx(&self, txid: &TxID) -> Option<&PendingTx> {
        self.state.pending.get(txid)
    }

    fn assemble(keys: Keys, state: State, store: Store) -> Wallet {
        let mut w = Wallet {
            keys,
            state,
            store,
            known: HashMap::new(),
            lock: None,
            phrase: Zeroizing::new(String::new()),
            rescan_check: None,
        };
        let upto = w.state.next_index;
        w.extend_known(upto);
        w
    }

    /// Derives the receiving points up to `next_index + LOOKAHEAD`.
    fn extend_known(&mut self, next_index: u32) {
        let end = next_index.saturating_add(LOOKAHEAD);
        let start = u32::try_from(self.known.len()).unwrap_or(u32::MAX);
        for i in start..end {
            self.known.insert(self.keys.receiving_point(i).0, i);
        }
    }

    /// Persists `new` (one write transaction), then takes it.
    pub(crate) fn commit(&mut self, new: State) -> Result<(), WalletError> {
        self.store.commit(&self.state, &new)?;
        let next = new.next_index;
        self.state = new;
        self.extend_known(next);
        Ok(())
    }

    /// The keys (secrets included).
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// Address `index` (handed out or not).
    pub fn address(&self, index: u32) -> Address {
        self.keys.address(index)
    }

    /// A fresh address: the next index, recorded in the file.
    pub fn new_address(&mut self) -> Result<Address, WalletError> {
        let mut new = self.state.clone();
        let index = new.next_index;
        new.next_index = index.checked_add(1).ok_or(WalletError::IndexExhausted)?;
        self.commit(new)?;
        Ok(self.keys.address(index))
    }

    /// A fresh address, as [`Wallet::new_address`], labelled `label` (at
    /// most [`MAX_LABEL`] bytes) in the wallet file.
    pub fn new_labelled_address(&mut self, label: &str) -> Result<Address, WalletError> {
        if label.len() > MAX_LABEL {
            return Err(WalletError::LabelTooLong {
                max: MAX_LABEL,
                got: label.len(),
            });
        }
        let mut new = self.state.clone();
        let index = new.next_index;
        new.next_index = index.checked_add(1).ok_or(WalletError::IndexExhausted)?;
        new.labels.insert(index, label.to_string());
        self.commit(new)?;
        Ok(self.keys.address(index))
    }

    /// The label of address `index`, if it has one.
    pub fn label(&self, index: u32) -> Option<&str> {
        self.state.labels.get(&index).map(String::as_str)
    }

    /// Forgets everything learned from the chain — the chain state, the
    /// wallet's outputs, held contracts, history and pending transactions —
    /// so that the next [`Wallet::sync`] scans again from the genesis
    /// (docs/spec/wallet.md §Rescan). The seed, the addresses handed out,
    /// their labels, the settings and the metadata of the wallet's own
    /// assets are kept.
    pub fn reset_chain(&mut self) -> Result<(), WalletError> {
        let new = self.forgotten_chain();
        self.store.reset(&new)?;
        self.state = new;
        self.rescan_check = None;
        Ok(())
    }

    /// Forgets what the wallet learned from the chain, as
    /// [`Wallet::reset_chain`] does, and follows the chain from the state
    /// at a past height instead of the genesis, so that the next
    /// [`Wallet::sync`] reads only the blocks above it
    /// (docs/spec/wallet.md §Rescan). Outputs the wallet received at or
    /// below that height are not found. Returns the state's height.
    ///
    /// `snapshot` is the chain state at that height in the snapshot
    /// encoding (docs/spec/blockchain.md §Snapshot; a node's `GET
    /// /v1/snapshots/{height}`), `signature` its block's signature on a
    /// block-key chain and `certificate` its commit certificate on a
    /// validators chain (neither at height 1), and `set_changes` the
    /// validator-set changes included at or below it (each inclusion
    /// height and encoding, as the node serves them; heights above are
    /// ignored). They are checked as a
    /// snapshot bootstrap is: the accumulator hashes to the header's
    /// `utxoroot`; the initial header and the block key are those of
    /// `genesis`, which must be the network the wallet follows, if any; the
    /// header is signed by that key, or on a validators chain sealed by a
    /// certificate of the validator set in force at that height
    /// ([`WalletError::BadCertificate`] otherwise; docs/spec/consensus.md
    /// §Commit certificate) — the set of the changes this wallet scanned up
    /// to that height, or, if it has scanned none, of the given changes
    /// replayed from the genesis's set, each approved by a quorum of the
    /// set before it ([`WalletError::BadSetChange`] otherwise;
    /// §Validator-set changes, Snapshots) — or is the initial header at
    /// height 1, with the
    /// genesis's accumulator; and
    /// if the wallet has scanned that height, the header is the one it
    /// scanned when that is its tip, and otherwise the rescan must meet its
    /// old tip again ([`WalletError::ChainDiverged`] from
    /// [`Wallet::scan_block`]). A height above the wallet's is
    /// [`WalletError::RescanAboveScanned`]. Nothing changes on an error.
    pub fn reset_chain_at(
        &mut self,
        genesis: &Genesis,
        snapshot: &[u8],
        signature: Option<&musig::Signature>,
        certificate: Option<&[u8]>,
        set_changes: &[(u64, Vec<u8>)],
    ) -> Result<u64, WalletError> {
        let chain = ChainState::from_snapshot(snapshot, None)?;
        let start = genesis.state()?;
        let height = chain.tip.height;
        let untrusted = |reason| WalletError::UntrustedPastState { height, reason };
        let mut check = None;
        if let Some(f) = &self.state.following {
            let following = f.chain.initial.id();
            let given = start.initial.id();
            if following != given {
                return Err(WalletError::OtherNetwork { following, given });
            }
            let scanned = f.chain.tip.height;
            if height > scanned {
                return Err(WalletError::RescanAboveScanned {
                    from: height.saturating_add(1),
                    scanned,
                });
            }
            if height == scanned && chain.tip.id() != f.chain.tip.id() {
                return Err(untrusted(
                    "not the block this wallet scanned at that height",
                ));
            }
            if height < scanned {
                check = Some((scanned, f.chain.tip.id()));
            }
        }
        if chain.initial.id() != start.initial.id() {
            return Err(untrusted("its initial header is not the genesis's"));
        }
        if chain.signers != start.signers {
            return Err(untrusted("its block key is not the genesis's"));
        }
        let pollard = Pollard::new(chain.utxos.clone());
        // The set changes this wallet scanned up to that height stay known:
        // the blocks above it are read again and apply theirs. A wallet
        // that scanned nothing replays the node's from the genesis's set.
        let known = self
            .state
            .following
            .as_ref()
            .and_then(|f| f.validators.as_ref());
        let validators = match crate::certified::genesis_validators(genesis)? {
            Some(mut schedule) => {
                match known {
                    Some(known) => {
                        for (included, change) in known.changes() {
                            if *included <= height {
                                schedule.apply(*included, change.clone());
                            }
                        }
                    }
                    None => crate::certified::adopt_set_changes(
                        &start,
                        &mut schedule,
                        set_changes
                            .iter()
                            .filter(|(included, _)| *included <= height),
                    )?,
                }
                Some(schedule)
            }
            None => None,
        };
        let following = Following {
            validators,
            chain,
            pollard,
        };
        let chain = &following.chain;
        if height == 1 {
            if chain.tip.id() != start.tip.id() || chain.utxos != start.utxos {
                return Err(untrusted("height 1 is the genesis's state"));
            }
        } else if chain.certified() {
            crate::certified::check_certificate(
                chain,
                following.validators_at(height)?,
                &chain.tip,
                certificate,
            )?;
        } else {
            let signature = signature.ok_or(untrusted("its block signature is missing"))?;
            blockchain::verify_header_signature(&chain.tip, signature, &start.signers)
                .map_err(|_| untrusted("its header is not signed by the network's block key"))?;
        }
        let mut new = self.forgotten_chain();
        learn_genesis_assets(&mut new, genesis);
        new.following = Some(following);
        self.store.reset(&new)?;
        self.state = new;
        self.rescan_check = check;
        Ok(height)
    }

    /// The state without what the chain taught the wallet (see
    /// [`Wallet::reset_chain`]).
    fn forgotten_chain(&self) -> State {
        let own = self.keys.issuance_predicate().to_point();
        State {
            following: None,
            utxos: BTreeMap::new(),
            pending: BTreeMap::new(),
            history: Vec::new(),
            contracts: BTreeMap::new(),
            // What the chain said is read again; the wallet's own assets
            // are kept (a devnet's wallet made before the genesis's asset
            // section recorded DEV itself, and no chain says it again).
            assets: self
                .state
                .assets
                .iter()
                .filter(|(_, a)| a.issuer == own)
                .map(|(k, a)| (*k, a.clone()))
                .collect(),
            ..self.state.clone()
        }
    }

    /// Asset metadata seen on the chain, by flavor.
    pub fn assets(&self) -> impl Iterator<Item = &AssetInfo> {
        self.state.assets.values()
    }

    /// The metadata of `flavor`, if an issuance of it logged some.
    pub fn asset(&self, flavor: &Scalar) -> Option<&AssetInfo> {
        self.state.assets.get(&flavor.to_bytes())
    }

    /// The assets whose issuers chose `name`, oldest first (several when
    /// issuers chose the same name).
    pub fn assets_named(&self, name: &str) -> Vec<&AssetInfo> {
        let mut list: Vec<&AssetInfo> = self
            .state
            .assets
            .values()
            .filter(|a| a.metadata.name == name)
            .collect();
        list.sort_by_key(|a| (a.height, a.flavor.to_bytes()));
        list
    }

    /// The number of addresses handed out (indices `0 .. n`).
    pub fn addresses_issued(&self) -> u32 {
        self.state.next_index
    }

    /// The genesis's description of an asset this wallet's issuance key
    /// creates with `metadata` (docs/spec/blockchain.md §Genesis): what a
    /// network's genesis that funds the wallet with that asset carries so
    /// that every wallet knows its name.
    pub fn genesis_asset(&self, metadata: crate::AssetMetadata) -> crate::GenesisAsset {
        crate::GenesisAsset::new(&self.keys.issuance_predicate(), metadata)
    }

    /// The flavor [`Wallet::issue`] creates for `metadata`.
    pub fn issuance_flavor(&self, metadata: &[u8]) -> Scalar {
        self.keys.issuance_flavor(metadata)
    }

    /// How long built transactions stay valid, in milliseconds after the
    /// tip's time.
    pub fn validity_window_ms(&self) -> u64 {
        self.state.window_ms
    }

    /// Sets [`Wallet::validity_window_ms`] (recorded in the file).
    pub fn set_validity_window_ms(&mut self, ms: u64) -> Result<(), WalletError> {
        let mut new = self.state.clone();
        new.window_ms = ms;
        self.commit(new)
    }

    /// The chain state followed, if any.
    pub fn chain_state(&self) -> Option<&ChainState> {
        self.state.following.as_ref().map(|f| &f.chain)
    }

    /// The pollard: the UTXO accumulator with proofs of the wallet's
    /// outputs.
    pub fn pollard(&self) -> Option<&Pollard> {
        self.state.following.as_ref().map(|f| &f.pollard)
    }

    /// The ID of the initial header of the network followed.
    pub fn network(&self) -> Option<BlockID> {
        self.chain_state().map(|c| c.initial.id())
    }

    /// The height of the last block applied; 0 before following.
    pub fn height(&self) -> u64 {
        self.chain_state().map_or(0, |c| c.tip.height)
    }

    /// The owned unspent outputs, pending spends included, by contract ID.
    pub fn utxos(&self) -> impl Iterator<Item = &OwnedUtxo> {
        self.state.utxos.values()
    }

    /// The pending transactions, each after those whose outputs it spends
    /// (so that submitting them in this order never sends a child before
    /// its parent), else by ID.
    pub fn pending(&self) -> impl Iterator<Item = &PendingTx> {
        let mut left: Vec<&PendingTx> = self.state.pending.values().collect();
        let mut ordered: Vec<&PendingTx> = Vec::with_capacity(left.len());
        while !left.is_empty() {
            let waiting: HashSet<ContractID> = left
                .iter()
                .flat_map(|p| p.outputs.iter().map(OwnedUtxo::id))
                .collect();
            let (ready, rest): (Vec<&PendingTx>, Vec<&PendingTx>) = left
                .into_iter()
                .partition(|p| !p.inputs.iter().any(|i| waiting.contains(i)));
            if ready.is_empty() {
                // A cycle cannot be built (a transaction's outputs depend
                // on its ID); keep whatever is left rather than loop.
                ordered.extend(rest);
                break;
            }
            ordered.extend(ready);
            left = rest;
        }
        ordered.into_iter()
    }

    /// The confirmed history, oldest first.
    pub fn history(&self) -> &[HistoryEntry] {
        &self.state.history
    }

    /// A Utreexo proof of owned outputs `ids` against the followed state,
    /// in that order.
    pub fn prove(&self, ids: &[ContractID]) -> Result<Proof, WalletError> {
        let f = self
            .state
            .following
            .as_ref()
            .ok_or(WalletError::NotFollowing)?;
        let leaves: Vec<ZkvmHash> = ids.iter().map(utxo_leaf).collect();
        Ok(f.pollard.prove(&leaves)?)
    }

    /// Balances per flavor, ordered by the flavor's bytes (so the fee
    /// flavor, zero, comes first).
    pub fn balances(&self) -> Vec<Balance> {
        let locked = self.state.locked();
        let mut map: BTreeMap<[u8; 32], Balance> = BTreeMap::new();
        let entry = |map: &mut BTreeMap<[u8; 32], Balance>, flavor: Scalar| {
            *map.entry(flavor.to_bytes()).or_insert(Balance {
                flavor,
                spendable: 0,
                locked: 0,
                pending: 0,
                offered: 0,
            })
        };
        for (id, u) in &self.state.utxos {
            let mut b = entry(&mut map, u.flavor());
            if locked.contains(id) {
                b.locked += u128::from(u.qty());
            } else if u.offer_terms().is_some() {
                b.offered += u128::from(u.qty());
            } else {
                b.spendable += u128::from(u.qty());
            }
            map.insert(u.flavor().to_bytes(), b);
        }
        for p in self.state.pending.values() {
            // What comes back to the wallet and no other pending
            // transaction spends yet (records without their outputs: the
            // incoming amounts).
            let incoming: Vec<Amount> = if p.outputs.is_empty() {
                p.incoming.clone()
            } else {
                p.outputs
                    .iter()
                    .filter(|u| !locked.contains(&u.id()))
                    .map(|u| Amount {
                        flavor: u.flavor(),
                        qty: u.qty(),
                    })
                    .collect()
            };
            for a in &incoming {
                let mut b = entry(&mut map, a.flavor);
                b.pending += u128::from(a.qty);
                map.insert(a.flavor.to_bytes(), b);
            }
        }
        map.into_values().collect()
    }

    /// The balance of one flavor (zeros if none).
    pub fn balance(&self, flavor: Scalar) -> Balance {
        self.balances()
            .into_iter()
            .find(|b| b.flavor == flavor)
            .unwrap_or(Balance {
                flavor,
                spendable: 0,
                locked: 0,
                pending: 0,
                offered: 0,
            })
    }

    /// Starts following the network of `genesis` (docs/spec/wallet.md
    /// §Following): its chain state, a pollard of its outputs remembering
    /// the wallet's, which are recorded as received at height 1. Following
    /// the same network again changes nothing; another is `OtherNetwork`.
    pub fn follow(&mut self, genesis: &Genesis) -> Result<ScanSummary, WalletError> {
        let chain = genesis.state()?;
        let validators = crate::certified::genesis_validators(genesis)?;
        if let Some(f) = &self.state.following {
            let following = f.chain.initial.id();
            let given = chain.initial.id();
            if following != given {
                return Err(WalletError::OtherNetwork { following, given });
            }
            return Ok(ScanSummary {
                height: f.chain.tip.height,
                ..ScanSummary::default()
            });
        }
        let mut new = self.state.clone();
        let height = chain.tip.height;
        let time_ms = chain.tip.timestamp_ms;
        let mut leaves = Vec::with_capacity(genesis.utxos.len());
        let mut remember = Vec::new();
        let mut received = Vec::new();
        for c in &genesis.utxos {
            let leaf = utxo_leaf(&c.id());
            leaves.push(leaf);
            if let Some(u) = self.recognize(c, height, &mut new.next_index) {
                remember.push(leaf);
                add_amount(&mut received, u.flavor(), u.qty());
                new.utxos.insert(u.id(), u);
            }
        }
        let mut pollard = Pollard::new(Accumulator::new());
        pollard.modify(&leaves, &remember, &[], &Proof::empty())?;
        if pollard.accumulator() != &chain.utxos {
            return Err(WalletError::Corrupt("genesis accumulator"));
        }
        // The genesis's assets have no issuance log: its asset section
        // names them, for every wallet.
        learn_genesis_assets(&mut new, genesis);
        if !received.is_empty() {
            new.history.push(HistoryEntry {
                kind: HistoryKind::Received,
                txid: None,
                height,
                time_ms,
                counterparties: Vec::new(),
                amounts: received.clone(),
                fee: 0,
            });
        }
        new.following = Some(Following {
            chain,
            pollard,
            validators,
        });
        self.commit(new)?;
        Ok(ScanSummary {
            height,
            received,
            ..ScanSummary::default()
        })
    }

    /// Applies the next block (docs/spec/wallet.md §Scanning): on a
    /// validators chain first checks its commit certificate against the
    /// validator set in force ([`WalletError::BadCertificate`] naming the
    /// height), then validates it
    /// in full against the followed state, records the wallet's new
    /// outputs and spent ones, confirms and expires pending transactions,
    /// updates the pollard and the history; one write to the file.
    pub fn scan_block(&mut self, block: &Block) -> Result<ScanSummary, WalletError> {
        let f = self
            .state
            .following
            .as_ref()
            .ok_or(WalletError::NotFollowing)?;
        // The certificate before the transactions: one batched signature
        // check per block, next to a proof check per transaction.
        f.check_final(block)?;
        let (chain, applied) = f.chain.apply_block(block)?;
        let mut validators = f.validators.clone();
        if let Some(schedule) = validators.as_mut() {
            crate::certified::apply_set_changes(&f.chain, schedule, block.header.height, &applied)?;
        }
        if let Some((height, had)) = self.rescan_check {
            let got = block.header.id();
            if block.header.height == height && got != had {
                return Err(WalletError::ChainDiverged { height, had, got });
            }
        }
        let mut pollard = f.pollard.clone();
        let mut new = self.state.clone();
        let height = block.header.height;
        let time_ms = block.header.timestamp_ms;
        let mut summary = ScanSummary {
            height,
            ..ScanSummary::default()
        };
        // Outputs of this block the wallet owns, not (yet) spent.
        let mut fresh: BTreeMap<ContractID, OwnedUtxo> = BTreeMap::new();
        // Contracts of this block the wallet has a role in.
        let mut fresh_contracts: Vec<ContractID> = Vec::new();
        for tx in &applied.txs {
            // Every issuance's metadata, whoever issued: names for all.
            for info in crate::assets_in_log(&tx.log.0, height) {
                new.assets.entry(info.flavor.to_bytes()).or_insert(info);
            }
            let mut spent: Vec<Amount> = Vec::new();
            let mut unlocked: Vec<Amount> = Vec::new();
            // Offers of the wallet this transaction takes: the flavors its
            // payments to the wallet are in.
            let mut taken: Vec<OfferTag> = Vec::new();
            for id in tx.log.inputs() {
                if let Some(u) = new.utxos.remove(id).or_else(|| fresh.remove(id)) {
                    add_amount(&mut spent, u.flavor(), u.qty());
                    taken.extend(u.offer_terms());
                }
                if let Some(c) = new.contracts.get_mut(id) {
                    if c.spent.is_none() {
                        c.spent = Some((tx.id, height));
                        let a = c.amount();
                        add_amount(&mut unlocked, a.flavor, a.qty);
                    }
                }
            }
            let mut received: Vec<Amount> = Vec::new();
            let mut locked: Vec<Amount> = Vec::new();
            for (index, entry) in tx.log.0.iter().enumerate() {
                let TxEntry::Output(output) = entry else {
                    continue;
                };
                if let Some(u) = self
                    .recognize(output, height, &mut new.next_index)
                    .or_else(|| self.recognize_unblinded(output, &tx.log.0, &taken, height))
                {
                    add_amount(&mut received, u.flavor(), u.qty());
                    fresh.insert(u.id(), u);
                } else if let Some(c) = self.recognize_contract(&tx.log.0, index, tx.id, height) {
                    let a = c.amount();
                    add_amount(&mut locked, a.flavor, a.qty);
                    fresh_contracts.push(c.id());
                    new.contracts.insert(c.id(), c);
                }
            }
            let entry = if let Some(p) = new.pending.remove(&tx.id) {
                summary.confirmed.push(tx.id);
                Some(HistoryEntry {
                    kind: p.kind,
                    txid: Some(tx.id),
                    height,
                    time_ms,
                    counterparties: p.recipients,
                    amounts: p.amounts,
                    fee: p.fee,
                })
            } else if !taken.is_empty() {
                // The wallet's offer was taken: the payment is what it
                // received, besides the offer's remainder.
                let paid: Vec<Amount> = fresh
                    .values()
                    .filter(|u| {
                        u.offer_terms().is_none() && tx.log.outputs().any(|o| o.id() == u.id())
                    })
                    .map(|u| Amount {
                        flavor: u.flavor(),
                        qty: u.qty(),
                    })
                    .collect();
                Some(HistoryEntry {
                    kind: HistoryKind::OfferTaken,
                    txid: Some(tx.id),
                    height,
                    time_ms,
                    counterparties: Vec::new(),
                    amounts: paid,
                    fee: 0,
                })
            } else if !unlocked.is_empty() {
                Some(HistoryEntry {
                    kind: HistoryKind::Unlocked,
                    txid: Some(tx.id),
                    height,
                    time_ms,
                    counterparties: Vec::new(),
                    amounts: if received.is_empty() {
                        unlocked
                    } else {
                        received
                    },
                    fee: 0,
                })
            } else if !spent.is_empty() {
                Some(HistoryEntry {
                    kind: HistoryKind::Sent,
                    txid: Some(tx.id),
                    height,
                    time_ms,
                    counterparties: Vec::new(),
                    amounts: net_spent(&spent, &received, tx.log.fee()),
                    fee: tx.log.fee(),
                })
            } else if !received.is_empty() {
                for a in &received {
                    add_amount(&mut summary.received, a.flavor, a.qty);
                }
                Some(HistoryEntry {
                    kind: HistoryKind::Received,
                    txid: Some(tx.id),
                    height,
                    time_ms,
                    counterparties: Vec::new(),
                    amounts: received,
                    fee: 0,
                })
            } else if !locked.is_empty() {
                Some(HistoryEntry {
                    kind: HistoryKind::Locked,
                    txid: Some(tx.id),
                    height,
                    time_ms,
                    counterparties: Vec::new(),
                    amounts: locked,
                    fee: 0,
                })
            } else {
                None
            };
            new.history.extend(entry);
        }
        let mut remember: Vec<ZkvmHash> = fresh.keys().map(utxo_leaf).collect();
        remember.extend(
            fresh_contracts
                .iter()
                .filter(|id| new.contracts.get(id).is_some_and(|c| c.spent.is_none()))
                .map(utxo_leaf),
        );
        pollard.modify(
            &applied.additions,
            &remember,
            &applied.deletions,
            &block.utxo_proof,
        )?;
        new.utxos.extend(fresh);
        // Pending transactions that can no longer be included.
        let time = block.header.timestamp_ms;
        let utxos = &new.utxos;
        let contracts = &new.contracts;
        let live = |i: &ContractID| {
            utxos.contains_key(i) || contracts.get(i).is_some_and(|c| c.spent.is_none())
        };
        // An input may also be an output of a pending transaction still
        // there; dropping a parent drops its children on the next round.
        let mut dead: Vec<TxID> = Vec::new();
        loop {
            let created: HashSet<ContractID> = new
                .pending
                .values()
                .flat_map(|p| p.outputs.iter().map(OwnedUtxo::id))
                .collect();
            let now: Vec<TxID> = new
                .pending
                .values()
                .filter(|p| {
                    p.tx.header.maxtime_ms <= time
                        || p.inputs.iter().any(|i| !live(i) && !created.contains(i))
                })
                .map(|p| p.txid)
                .collect();
            if now.is_empty() {
                break;
            }
            for id in &now {
                new.pending.remove(id);
            }
            dead.extend(now);
        }
        summary.dropped = dead;
        new.following = Some(Following {
            chain,
            pollard,
            validators,
        });
        self.commit(new)?;
        if self.rescan_check.is_some_and(|(h, _)| h <= height) {
            self.rescan_check = None;
        }
        Ok(summary)
    }

    /// Follows `source` (docs/spec/wallet.md §Sync): its genesis first if
    /// the wallet follows nothing yet, then blocks from `height() + 1`
    /// until the source has none. Blocks of another network fail
    /// validation. Each block is committed on its own, so an error keeps
    /// the blocks before it.
    pub fn sync<S: BlockSource>(&mut self, source: &S) -> Result<SyncSummary, WalletError> {
        self.sync_with_progress(source, |_| {})
    }

    /// [`Wallet::sync`], calling `progress` with the height reached after
    /// each block (a caller shows a progress bar with it).
    pub fn sync_with_progress<S: BlockSource>(
        &mut self,
        source: &S,
        mut progress: impl FnMut(u64),
    ) -> Result<SyncSummary, WalletError> {
        let mut summary = SyncSummary::default();
        match &self.state.following {
            None => {
                let genesis = source
                    .genesis()
                    .map_err(|e| WalletError::Source(Box::new(e)))?;
                let s = self.follow(&genesis)?;
                summary.received.extend(s.received);
            }
            Some(f) if f.chain.certified() && f.validators.is_none() => {
                let genesis = source
                    .genesis()
                    .map_err(|e| WalletError::Source(Box::new(e)))?;
                self.learn_validators(&genesis)?;
            }
            Some(_) => {}
        }
        loop {
            let next = self.height().saturating_add(1);
            let Some(block) = source
                .block(next)
                .map_err(|e| WalletError::Source(Box::new(e)))?
            else {
                break;
            };
            let s = self.scan_block(&block)?;
            progress(self.height());
            summary.blocks += 1;
            for a in s.received {
                add_amount(&mut summary.received, a.flavor, a.qty);
            }
            summary.confirmed.extend(s.confirmed);
            summary.dropped.extend(s.dropped);
        }
        summary.height = self.height();
        Ok(summary)
    }

    /// Keeps the validator set of `genesis` for a validators chain followed
    /// without one (a file written before wallets checked certificates).
    /// The genesis must be the network's: its initial header, whose `ext`
    /// commits to the set, is the one the wallet follows.
    fn learn_validators(&mut self, genesis: &Genesis) -> Result<(), WalletError> {
        let given = genesis.state()?.initial.id();
        let mut new = self.state.clone();
        let Some(f) = new.following.as_mut() else {
            return Err(WalletError::NotFollowing);
        };
        let following = f.chain.initial.id();
        if following != given {
            return Err(WalletError::OtherNetwork { following, given });
        }
        f.validators = crate::certified::genesis_validators(genesis)?;
        self.commit(new)
    }

    /// [`Wallet::recognize`] for an output of a transaction the wallet
    /// builds: to a key already handed out, so nothing is extended.
    pub(crate) fn recognize_own(&self, output: &Contract) -> Option<OwnedUtxo> {
        let predicate = output.predicate.to_point();
        let index = *self.known.get(&predicate.0)?;
        let (value, note) = value_and_note(output)?;
        let opening = note.open(self.keys.view_key(), &predicate).ok()?;
        if !opening.opens(value) {
            return None;
        }
        // Keep the closed form, as the chain logs it.
        let contract = Contract::from_bytes(&output.encode_to_vec()).ok()?;
        Some(OwnedUtxo {
            contract,
            opening,
            key_index: index,
            height: 0,
        })
    }

    /// If `output` pays the wallet (docs/spec/wallet.md §Scanning): its
    /// predicate is a receiving key within the lookahead, its note decrypts
    /// with the view key, and the opening opens its value. Raises
    /// `next_index` past the key found.
    fn recognize(
        &mut self,
        output: &Contract,
        height: u64,
        next_index: &mut u32,
    ) -> Option<OwnedUtxo> {
        let utxo = self.recognize_own(output)?;
        if utxo.key_index >= *next_index {
            *next_index = utxo.key_index.saturating_add(1);
            self.extend_known(*next_index);
        }
        Some(OwnedUtxo { height, ..utxo })
    }
}

impl Wallet {
    /// An output to one of the wallet's keys whose value is unblinded and
    /// whose quantity the transaction logged as a 32-byte scalar
    /// (docs/spec/contracts.md §Offers, What wallets see): one of its
    /// offers (`[goods, signatures, terms]`, the flavor in the terms) or a
    /// payment for one (`[value]`, in the flavor asked by an offer in
    /// `taken`).
    fn recognize_unblinded(
        &self,
        output: &Contract,
        log: &[TxEntry],
        taken: &[OfferTag],
        height: u64,
    ) -> Option<OwnedUtxo> {
        let key_index = *self.known.get(&output.predicate.to_point().0)?;
        let (value, flavors): (&zkvm::Value, Vec<Scalar>) = match output.payload.as_slice() {
            [PortableItem::Value(v)] => (v, taken.iter().map(|t| t.want_flavor).collect()),
            [PortableItem::Value(v), PortableItem::String(s), PortableItem::String(t)]
                if s.to_bytes().len() == crate::OFFER_SIGNATURES_BYTES =>
            {
                (
                    v,
                    vec![OfferTag::from_bytes(&t.to_bytes()).ok()?.give_flavor],
                )
            }
            _ => return None,
        };
        let flavor = flavors
            .into_iter()
            .find(|f| Commitment::unblinded(*f).to_point() == value.flv.to_point())?;
        let qty = crate::logged_quantity(
            &value.qty.to_point(),
            log.iter().filter_map(|e| match e {
                TxEntry::Data(d) => Some(d.as_slice()),
                _ => None,
            }),
        )?;
        let opening = NoteOpening {
            qty,
            flavor,
            qty_blinding: Scalar::ZERO,
            flavor_blinding: Scalar::ZERO,
            memo: Vec::new(),
        };
        let contract = Contract::from_bytes(&output.encode_to_vec()).ok()?;
        Some(OwnedUtxo {
            contract,
            opening,
            key_index,
            height,
        })
    }

    /// The wallet's open offers.
    pub fn offers(&self) -> impl Iterator<Item = &OwnedUtxo> {
        self.state
            .utxos
            .values()
            .filter(|u| u.offer_terms().is_some())
    }
}

/// Adds `qty` of `flavor` to `list` (a new entry if the sum would pass
/// 2^64 − 1).
/// Records the metadata of the assets `genesis` describes
/// (docs/spec/blockchain.md §Genesis), which its decoder checked; an
/// asset the wallet already knows keeps what it knew.
fn learn_genesis_assets(state: &mut State, genesis: &Genesis) {
    for entry in &genesis.assets {
        state
            .assets
            .entry(entry.flavor.to_bytes())
            .or_insert_with(|| AssetInfo::from_genesis(entry));
    }
}

pub(crate) fn add_amount(list: &mut Vec<Amount>, flavor: Scalar, qty: u64) {
    for a in list.iter_mut() {
        if a.flavor == flavor {
            if let Some(sum) = a.qty.checked_add(qty) {
                a.qty = sum;
                return;
            }
        }
    }
    list.push(Amount { flavor, qty });
}

/// What a transaction not built here (e.g. by another copy of the wallet)
/// paid away: spent minus received back, minus the fee in the zero flavor.
fn net_spent(spent: &[Amount], received: &[Amount], fee: u64) -> Vec<Amount> {
    let total = |list: &[Amount], f: Scalar| -> u128 {
        list.iter()
            .filter(|a| a.flavor == f)
            .map(|a| u128::from(a.qty))
            .sum()
    };
    let mut flavors: Vec<Scalar> = Vec::new();
    for a in spent {
        if !flavors.contains(&a.flavor) {
            flavors.push(a.flavor);
        }
    }
    let mut out = Vec::new();
    for f in flavors {
        let mut out_of_wallet = total(spent, f).saturating_sub(total(received, f));
        if f == Scalar::ZERO {
            out_of_wallet = out_of_wallet.saturating_sub(u128::from(fee));
        }
        let mut left = out_of_wallet;
        while left > 0 {
            let part = u64::try_from(left).unwrap_or(u64::MAX);
            out.push(Amount {
                flavor: f,
                qty: part,
            });
            left -= u128::from(part);
        }
    }
    out
}
