//! The node's chain (docs/api.md §Storage): the chain state, the full UTXO
//! forest that proves inputs, the mempool and the database behind them,
//! kept in step: a block is validated, stored with everything it changes
//! in one database transaction, and only then taken in memory.
//!
//! A chain is either full (started from the genesis with [`Chain::init`]:
//! it holds every block and the whole UTXO forest) or pruned (bootstrapped
//! from a verified snapshot with [`Chain::init_from_snapshot`]). A pruned
//! chain has only the chain state: the Utreexo roots are all that
//! validating a block needs, since a block carries the proof of its
//! inputs. It validates, stores and serves the blocks above its base height
//! (the snapshot's tip) and survives restarts, but without the forest it
//! cannot prove inputs, so it keeps no mempool, serves no UTXO proofs and
//! never produces blocks ([`NodeError::Pruned`]).

use std::path::Path;
use std::sync::Arc;

use accumulator::{Forest, Proof, ZkvmHash};
use std::collections::HashMap;

use blockchain::{
    utxo_leaf, Block, BlockID, BlockRemovals, BlockchainError, ChainState, CheckedTx, ExecutedTx,
    Genesis, InsertOutcome, KnownTxs, Mempool, MempoolPolicy, VerifiedBlock,
};
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use tracing::{info, warn};
use zeroize::Zeroizing;
use zkvm::{ContractID, FeeRate, Tx, TxID, VerifiedTx, Verifier};

use crate::actor::{ChainView, Produced};
use crate::store::{
    BlockCommit, BlockReader, ContractReader, Delta, Store, FOREST_CHECKPOINT_INTERVAL,
};
use crate::NodeError;

/// Limits of the chain's mempool and of the blocks it produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Mempool size cap, in encoded bytes.
    pub mempool_bytes: usize,
    /// Largest block this node produces, counting transaction bytes.
    pub block_bytes: usize,
    /// The mempool's minimum relay fee rate (docs/spec/blockchain.md
    /// §Mempool, Relay fees).
    pub min_relay_fee_rate: FeeRate,
    /// The fee rate a replacement pays for its own size on top of the fees
    /// it replaces (docs/spec/blockchain.md §Mempool, Insertion).
    pub incremental_relay_fee_rate: FeeRate,
}

impl Default for Limits {
    fn default() -> Self {
        let policy = MempoolPolicy::default();
        Limits {
            mempool_bytes: 64 << 20,
            block_bytes: 4 << 20,
            min_relay_fee_rate: policy.min_relay_fee_rate,
            incremental_relay_fee_rate: policy.incremental_relay_fee_rate,
        }
    }
}

impl Limits {
    /// What the mempool accepts: its cap and relay fee rates.
    pub fn mempool_policy(&self) -> MempoolPolicy {
        MempoolPolicy {
            max_bytes: self.mempool_bytes,
            min_relay_fee_rate: self.min_relay_fee_rate,
            incremental_relay_fee_rate: self.incremental_relay_fee_rate,
        }
    }
}

/// A transaction the node knows: confirmed in a block, or pending.
#[derive(Clone, Debug)]
pub struct TxRecord {
    /// The transaction.
    pub tx: Tx,
    /// Block height and position, if confirmed.
    pub location: Option<(u64, u32)>,
}

/// What a stored block changed, for logs and callers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockSummary {
    /// Its height.
    pub height: u64,
    /// Its ID.
    pub id: BlockID,
    /// Its transactions.
    pub txids: Vec<TxID>,
    /// Mempool transactions it evicted (conflicting, expired, unprovable).
    pub evicted: Vec<TxID>,
}

/// A full chain (from the genesis) or a pruned one (from a snapshot),
/// with what only a full chain keeps (see the module doc).
enum Kind {
    /// The whole UTXO forest, which proves inputs, and the block key if
    /// this node produces blocks.
    Full {
        forest: Forest,
        block_key: Option<SecretKey>,
    },
    /// The chain state's roots are all it has: it validates blocks (which
    /// carry the proofs of their inputs) but proves nothing itself.
    Pruned,
}

/// What seals the blocks of a validators chain (docs/spec/blockchain.md
/// §Block signature, docs/spec/consensus.md §Commit certificate and
/// §Validator-set changes): the chain ID certificates are signed for and
/// the schedule of validator sets (the genesis's and every applied
/// change), so that each block is checked against the set in force at its
/// height. Shared by the chain's thread, which records changes as it
/// stores blocks, and the readers that check received blocks.
pub struct Seal {
    /// The chain ID (the initial header's ID).
    pub chain: consensus::ChainId,
    /// The validator set the genesis names.
    pub set: consensus::ValidatorSet,
    schedule: std::sync::RwLock<Known>,
}

/// The schedule and the tip height it is complete for: `None` for a
/// seal no chain keeps up to date ([`Seal::of`] alone), which knows the
/// genesis's set only and answers it for every height.
struct Known {
    schedule: consensus::ValidatorSchedule,
    tip: Option<u64>,
}

impl std::fmt::Debug for Seal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seal")
            .field("chain", &self.chain)
            .field("genesis_validators", &self.set.validators().len())
            .finish_non_exhaustive()
    }
}

impl Seal {
    /// The seal of `genesis`'s chain, with no change applied yet: `None`
    /// if its blocks are signed by the block key; a genesis whose
    /// validator section is not a valid set is refused
    /// ([`NodeError::Consensus`]). Until a chain records its blocks in it,
    /// it checks every height against the genesis's set.
    pub fn of(genesis: &Genesis) -> Result<Option<Arc<Seal>>, NodeError> {
        let Some(set) = consensus::ValidatorSet::from_genesis(genesis)? else {
            return Ok(None);
        };
        let chain = consensus::ChainId::from_genesis(genesis.state()?.initial.id());
        Ok(Some(Arc::new(Seal {
            chain,
            schedule: std::sync::RwLock::new(Known {
                schedule: consensus::ValidatorSchedule::new(set.clone()),
                tip: None,
            }),
            set,
        })))
    }

    fn known(&self) -> std::sync::RwLockReadGuard<'_, Known> {
        // A writer never panics while holding the lock (it pushes one
        // entry); a poisoned lock still holds a consistent schedule.
        self.schedule
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The validator sets known: the genesis's and the applied changes.
    pub fn schedule(&self) -> consensus::ValidatorSchedule {
        self.known().schedule.clone()
    }

    /// At most `max` of the applied changes included at heights `from` to
    /// `upto`, oldest first, each with its inclusion height and encoding:
    /// what a peer bootstrapping from a snapshot, or a wallet starting
    /// above the genesis, replays from the genesis's set
    /// ([`consensus::ValidatorSchedule::replay`]). Only those are encoded.
    pub fn changes_between(&self, from: u64, upto: u64, max: usize) -> Vec<(u64, Vec<u8>)> {
        self.known()
            .schedule
            .changes()
            .iter()
            .filter(|(included, _)| (from..=upto).contains(included))
            .take(max)
            .map(|(included, change)| (*included, change.to_bytes()))
            .collect()
    }

    /// The set deciding the block at `height`, known for every height up
    /// to two above the stored tip (a change included later takes effect
    /// later still); [`consensus::ConsensusError::SetUnknown`] above.
    pub fn set_at(&self, height: u64) -> Result<consensus::ValidatorSet, NodeError> {
        let known = self.known();
        if let Some(tip) = known.tip {
            let through = tip.saturating_add(2);
            if height > through {
                return Err(consensus::ConsensusError::SetUnknown {
                    height,
                    known: through,
                }
                .into());
            }
        }
        Ok(known.schedule.set_at(height).clone())
    }

    /// Records that the block at `height` is stored, with the change it
    /// includes (checked by [`Seal::check_block`]).
    fn advance(&self, height: u64, change: Option<consensus::ApprovedSetChange>) {
        let mut known = self
            .schedule
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(change) = change {
            known.schedule.apply(height, change);
        }
        known.tip = Some(known.tip.map_or(height, |t| t.max(height)));
    }

    /// Checks the certificate a block of this chain carries against the
    /// set in force at its height
    /// ([`consensus::CommitCertificate::check_seal`]).
    pub fn check(
        &self,
        header: &blockchain::BlockHeader,
        certificate: Option<&[u8]>,
    ) -> Result<consensus::CommitCertificate, NodeError> {
        let set = self.set_at(header.height)?;
        Ok(consensus::CommitCertificate::check_seal(
            header,
            certificate,
            &self.chain,
            &set,
        )?)
    }

    /// The validator-set change a verified block at `height` includes, if
    /// any, judged by the chain's rules (docs/spec/consensus.md
    /// §Validator-set changes, Validity): at most one, decoding strictly,
    /// effective two heights later at the earliest, none pending, approved
    /// by a quorum of the set in force at `height`.
    pub fn check_block(
        &self,
        height: u64,
        txs: &[VerifiedTx],
    ) -> Result<Option<consensus::ApprovedSetChange>, NodeError> {
        let mut found = None;
        for tx in txs {
            if let Some(change) = set_change_of(&tx.log)? {
                if found.is_some() {
                    return Err(consensus::ConsensusError::TwoSetChanges { height }.into());
                }
                found = Some(change);
            }
        }
        if let Some(change) = &found {
            self.known().schedule.check(&self.chain, height, change)?;
        }
        Ok(found)
    }
}

/// The validator-set change a transaction's log carries: its `data`
/// entry that starts with [`consensus::SET_CHANGE_PREFIX`], decoded
/// strictly; two such entries in one transaction are refused (as two
/// changes; the height is not known here and reads 0).
pub fn set_change_of(log: &zkvm::TxLog) -> Result<Option<consensus::ApprovedSetChange>, NodeError> {
    let mut found = None;
    for entry in &log.0 {
        let zkvm::TxEntry::Data(data) = entry else {
            continue;
        };
        if let Some(change) = consensus::ApprovedSetChange::from_log_data(data) {
            if found.is_some() {
                return Err(consensus::ConsensusError::TwoSetChanges { height: 0 }.into());
            }
            found = Some(change?);
        }
    }
    Ok(found)
}

/// Whether a log carries a `data` entry with the set-change prefix.
fn logs_set_change(log: &zkvm::TxLog) -> bool {
    log.0
        .iter()
        .any(|e| matches!(e, zkvm::TxEntry::Data(d) if d.starts_with(consensus::SET_CHANGE_PREFIX)))
}

/// The validator-set change of a verified block at `height` under the
/// chain's rules (docs/spec/consensus.md §Validator-set changes,
/// Validity): on a validators chain, [`Seal::check_block`]; on a block-key
/// chain, which has no set to change, any such entry is refused.
pub fn check_set_change(
    seal: Option<&Seal>,
    height: u64,
    txs: &[VerifiedTx],
) -> Result<Option<consensus::ApprovedSetChange>, NodeError> {
    match seal {
        Some(seal) => seal.check_block(height, txs),
        None if txs.iter().any(|t| logs_set_change(&t.log)) => {
            Err(consensus::ConsensusError::SetChangeOnKeyChain.into())
        }
        None => Ok(None),
    }
}

/// Keeps, of the transactions selected for the block at `height`, the
/// first validator-set change the rules accept there and no other
/// (docs/spec/consensus.md §Validator-set changes: one per block; a pool
/// change may have gone stale since its admission), dropping with them
/// the selected transactions that spend their outputs.
fn one_valid_set_change(
    seal: Option<&Seal>,
    height: u64,
    selected: Vec<(Tx, VerifiedTx)>,
) -> Vec<(Tx, VerifiedTx)> {
    let mut kept = Vec::with_capacity(selected.len());
    let mut chosen = false;
    let mut dropped: std::collections::HashSet<ContractID> = std::collections::HashSet::new();
    for (tx, v) in selected {
        let spends_dropped = v.log.inputs().any(|i| dropped.contains(i));
        let keep = !spends_dropped
            && (!logs_set_change(&v.log)
                || (!chosen
                    && check_set_change(seal, height, std::slice::from_ref(&v))
                        .is_ok_and(|c| c.is_some())));
        if keep {
            chosen |= logs_set_change(&v.log);
            kept.push((tx, v));
        } else {
            dropped.extend(v.log.outputs().map(|c| c.id()));
        }
    }
    kept
}

/// Why a pruned chain refuses transactions (see the module doc).
const PRUNED_TXS: &str = "it cannot check transactions' inputs";

/// The chain, its UTXO forest, its mempool and its database.
pub struct Chain {
    store: Store,
    genesis: Genesis,
    /// On a validators chain, what seals its blocks.
    seal: Option<Arc<Seal>>,
    state: ChainState,
    /// Full or pruned, with what only a full chain has.
    kind: Kind,
    /// The height of the state the chain started from: 1 on a full chain,
    /// the snapshot's tip on a pruned one. Blocks are stored above it.
    base_height: u64,
    mempool: Mempool,
    limits: Limits,
    /// Set when the database failed after memory had moved on: memory is
    /// then ahead of the file, and the node must restart from the file.
    failed: Option<String>,
    /// Mempool insertions made in memory and waiting for the next group
    /// commit ([`Chain::flush`]).
    pending: Vec<PendingWrite>,
}

/// Who to tell once a deferred insertion is stored (or is not).
pub type InsertReply = Box<dyn FnOnce(Result<(Vec<u8>, InsertOutcome), NodeError>) + Send>;

/// A mempool insertion whose storage write waits for the group commit.
struct PendingWrite {
    bytes: Vec<u8>,
    removed: Vec<TxID>,
    outcome: InsertOutcome,
    reply: InsertReply,
}

impl Drop for Chain {
    /// Whatever waits for a group commit is written (or refused) before
    /// the database closes.
    fn drop(&mut self) {
        self.flush();
    }
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain")
            .field("height", &self.state.tip.height)
            .field("mempool", &self.mempool)
            .field("producer", &self.is_producer())
            .field("pruned", &self.is_pruned())
            .finish_non_exhaustive()
    }
}

/// The block key from its stored scalar.
fn block_key(bytes: &[u8; 32]) -> Result<SecretKey, NodeError> {
    Option::<Scalar>::from(Scalar::from_canonical_bytes(*bytes))
        .map(SecretKey::from_scalar)
        .ok_or_else(|| NodeError::Corrupt("block key is not a canonical scalar".into()))
}

impl Chain {
    /// Starts a new chain from `genesis` in the database file `path`
    /// (which must not exist); `block_key` is the scalar of the
    /// block-signing key if this node produces blocks, and must match the
    /// genesis's signers key.
    pub fn init(
        path: &Path,
        genesis: Genesis,
        block_key_scalar: Option<Zeroizing<[u8; 32]>>,
        limits: Limits,
    ) -> Result<Chain, NodeError> {
        let key = block_key_scalar.as_deref().map(block_key).transpose()?;
        let seal = Seal::of(&genesis)?;
        if seal.is_some() && key.is_some() {
            return Err(NodeError::Config(
                "the genesis names validators: its blocks are sealed by their certificates, and no node holds a block key".into(),
            ));
        }
        if let Some(key) = &key {
            if key.verification_key() != genesis.signers {
                return Err(NodeError::Config(
                    "the block key does not match the genesis's signers key".into(),
                ));
            }
        }
        let state = genesis.state()?;
        if let Some(seal) = &seal {
            seal.advance(state.tip.height, None);
        }
        let mut forest = Forest::new();
        let leaves: Vec<ZkvmHash> = genesis.utxo_ids().iter().map(utxo_leaf).collect();
        forest.modify(&leaves, &[])?;
        let store = Store::create(
            path,
            &genesis,
            &state,
            Some(&forest.to_bytes()),
            block_key_scalar.as_deref(),
            &[],
        )?;
        info!(network = %state.initial.id(), "new chain");
        Ok(Chain {
            store,
            genesis,
            seal,
            state,
            kind: Kind::Full {
                forest,
                block_key: key,
            },
            base_height: 1,
            mempool: Mempool::with_policy(limits.mempool_policy()),
            limits,
            failed: None,
            pending: Vec::new(),
        })
    }

    /// Starts a pruned chain (see the module doc) in the database file
    /// `path` (which must not exist) from `state`, a snapshot's chain state
    /// the caller has verified (`ChainState::from_snapshot` with the tip
    /// ID it trusts, or [`crate::network::fetch_snapshot`]), on the network
    /// of `genesis`. On a validators chain `set_changes` are the
    /// validator-set changes included at or below the snapshot's tip, in
    /// order; they are replayed from the genesis's set again here
    /// ([`consensus::ValidatorSchedule::replay`]) and stored, so the chain
    /// knows the set of every height from its first block on.
    ///
    /// The snapshot must belong to that network: the same initial header
    /// and signers key as the genesis's. The database records the state
    /// and its tip height as the base height, and no forest and no block
    /// key: a pruned chain cannot build blocks (docs/api.md §Storage).
    pub fn init_from_snapshot(
        path: &Path,
        genesis: Genesis,
        state: ChainState,
        set_changes: &[(u64, consensus::ApprovedSetChange)],
        limits: Limits,
    ) -> Result<Chain, NodeError> {
        if state.initial != genesis.state()?.initial {
            return Err(NodeError::Config(
                "the snapshot's initial header is not the genesis's: it belongs to another network"
                    .into(),
            ));
        }
        if state.signers != genesis.signers {
            return Err(NodeError::Config(
                "the snapshot's signers key is not the genesis's".into(),
            ));
        }
        let seal = Seal::of(&genesis)?;
        match &seal {
            Some(seal) => {
                // Cheap next to the bootstrap, and this is where the chain
                // state is owned: a change that does not replay, or one
                // included above the tip, never reaches the store.
                if let Some((height, _)) = set_changes.iter().find(|(h, _)| *h > state.tip.height) {
                    return Err(NodeError::Config(format!(
                        "a validator-set change included at {height} is above the snapshot's tip {}",
                        state.tip.height
                    )));
                }
                consensus::ValidatorSchedule::replay(
                    seal.set.clone(),
                    &seal.chain,
                    set_changes.iter().cloned(),
                )
                .map_err(NodeError::BadSetChanges)?;
                for (height, change) in set_changes {
                    seal.advance(*height, Some(change.clone()));
                }
                seal.advance(state.tip.height, None);
            }
            None if !set_changes.is_empty() => {
                return Err(NodeError::Config(
                    "a block-key chain has no validator-set changes".into(),
                ));
            }
            None => {}
        }
        let encoded: Vec<(u64, Vec<u8>)> = set_changes
            .iter()
            .map(|(height, change)| (*height, change.to_bytes()))
            .collect();
        let store = Store::create(path, &genesis, &state, None, None, &encoded)?;
        let base_height = state.tip.height;
        info!(
            network = %state.initial.id(),
            height = base_height,
            tip = %state.tip.id(),
            "new pruned chain from a snapshot"
        );
        Ok(Chain {
            store,
            genesis,
            seal,
            state,
            kind: Kind::Pruned,
            base_height,
            mempool: Mempool::with_policy(limits.mempool_policy()),
            limits,
            failed: None,
            pending: Vec::new(),
        })
    }

    /// Reopens the chain stored at `path`: the state at the last stored
    /// block, the forest rebuilt from its checkpoint and the later blocks'
    /// changes, and the stored mempool transactions offered again (those
    /// that no longer verify are dropped). A pruned chain has no forest to
    /// rebuild and no mempool: its stored state is all it needs.
    pub fn open(path: &Path, limits: Limits) -> Result<Chain, NodeError> {
        let store = Store::open(path)?;
        let loaded = store.load()?;
        let key = loaded.block_key.as_deref().map(block_key).transpose()?;
        let kind = match &loaded.forest {
            None => Kind::Pruned,
            Some((forest_bytes, forest_roots, forest_height)) => {
                let mut forest = Forest::from_bytes(forest_bytes, forest_roots)?;
                for delta in store.deltas(*forest_height, loaded.state.tip.height)? {
                    forest.modify(&delta.additions, &delta.deletions)?;
                }
                if forest.accumulator() != loaded.state.utxos {
                    return Err(NodeError::Corrupt(
                        "the UTXO forest does not match the chain state".into(),
                    ));
                }
                Kind::Full {
                    forest,
                    block_key: key,
                }
            }
        };
        let seal = Seal::of(&loaded.genesis)?;
        if let Some(seal) = &seal {
            for (height, bytes) in &loaded.set_changes {
                let change = consensus::ApprovedSetChange::from_bytes(bytes).map_err(|e| {
                    NodeError::Corrupt(format!("stored validator-set change at {height}: {e}"))
                })?;
                seal.advance(*height, Some(change));
            }
            seal.advance(loaded.state.tip.height, None);
        } else if !loaded.set_changes.is_empty() {
            return Err(NodeError::Corrupt(
                "validator-set changes stored on a block-key chain".into(),
            ));
        }
        let mut chain = Chain {
            store,
            seal,
            genesis: loaded.genesis,
            state: loaded.state,
            kind,
            base_height: loaded.base_height,
            mempool: Mempool::with_policy(limits.mempool_policy()),
            limits,
            failed: None,
            pending: Vec::new(),
        };
        chain.readmit(loaded.mempool)?;
        info!(
            height = chain.state.tip.height,
            mempool = chain.mempool.len(),
            pruned = chain.is_pruned(),
            "chain reopened"
        );
        Ok(chain)
    }

    /// Offers stored mempool transactions again, in passes so that a child
    /// stored before its parent still gets in; drops what never does. A
    /// pruned chain never stores any, so has nothing to do.
    fn readmit(&mut self, mut pending: Vec<Vec<u8>>) -> Result<(), NodeError> {
        if self.is_pruned() {
            return Ok(());
        }
        loop {
            let before = pending.len();
            let mut left = Vec::new();
            for bytes in pending {
                let admitted = Tx::from_bytes(&bytes)
                    .map_err(NodeError::Decode)
                    .and_then(|tx| self.admit(tx, None));
                if admitted.is_err() {
                    left.push(bytes);
                }
            }
            pending = left;
            if pending.is_empty() || pending.len() == before {
                break;
            }
        }
        let dropped: Vec<TxID> = pending
            .iter()
            .filter_map(|b| Tx::from_bytes(b).ok())
            .filter_map(|tx| Verifier::precompute(&tx).ok().map(|p| p.id))
            .collect();
        if !pending.is_empty() {
            warn!(count = pending.len(), "stored mempool transactions dropped");
        }
        self.store.mempool_remove(&dropped)
    }

    fn check_healthy(&self) -> Result<(), NodeError> {
        match &self.failed {
            Some(why) => Err(NodeError::Storage(format!(
                "the node stopped after a storage failure ({why}); restart it"
            ))),
            None => Ok(()),
        }
    }

    /// The chain state at the tip.
    pub fn state(&self) -> &ChainState {
        &self.state
    }

    /// The network's genesis.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// The mempool.
    pub fn mempool(&self) -> &Mempool {
        &self.mempool
    }

    /// On a validators chain, what seals its blocks.
    pub fn seal(&self) -> Option<&Arc<Seal>> {
        self.seal.as_ref()
    }

    /// Whether this node holds the block key.
    pub fn is_producer(&self) -> bool {
        matches!(
            self.kind,
            Kind::Full {
                block_key: Some(_),
                ..
            }
        )
    }

    /// The block key, which is also this node's validator key when
    /// consensus decides its blocks (docs/spec/consensus.md §Node).
    pub fn block_key(&self) -> Option<&SecretKey> {
        match &self.kind {
            Kind::Full {
                block_key: Some(key),
                ..
            } => Some(key),
            _ => None,
        }
    }

    /// Whether this chain was bootstrapped from a snapshot and keeps no
    /// UTXO forest (see the module doc).
    pub fn is_pruned(&self) -> bool {
        matches!(self.kind, Kind::Pruned)
    }

    /// The full chain's UTXO forest; [`NodeError::Pruned`] saying `why`
    /// the operation needs it on a pruned chain.
    fn forest(&self, why: &'static str) -> Result<&Forest, NodeError> {
        match &self.kind {
            Kind::Full { forest, .. } => Ok(forest),
            Kind::Pruned => Err(NodeError::Pruned(why)),
        }
    }

    /// The height of the state this chain started from: 1 on a full chain,
    /// the snapshot's tip on a pruned one. Blocks are stored from
    /// `base_height() + 1`; [`Chain::block`] is `None` at and below it.
    pub fn base_height(&self) -> u64 {
        self.base_height
    }

    /// The number of UTXO leaves ever added, spent ones included (the
    /// accumulator's leaf count). Read from the chain state's roots, which
    /// both kinds of chain keep; a full chain's forest holds the same count.
    pub fn utxo_leaves(&self) -> u64 {
        self.state.utxos.num_leaves()
    }

    /// Verifies a transaction and adds it to the mempool, then stores it:
    /// once this returns, a restart keeps it (docs/api.md §Submit).
    /// [`NodeError::Pruned`] on a pruned chain, which cannot prove inputs.
    pub fn submit(&mut self, bytes: &[u8]) -> Result<InsertOutcome, NodeError> {
        let tx = Tx::from_bytes(bytes).map_err(NodeError::Decode)?;
        self.submit_checked(bytes, tx, None)
    }

    /// [`Chain::submit`] for a transaction verified in full by the caller
    /// ([`verify_submission`], on any thread): only the cheap checks run
    /// here.
    pub fn submit_verified(
        &mut self,
        bytes: &[u8],
        checked: CheckedTx,
    ) -> Result<InsertOutcome, NodeError> {
        let tx = checked.tx().clone();
        self.submit_checked(bytes, tx, Some(checked))
    }

    /// [`Chain::submit_verified`] with the storage write deferred to the
    /// next group commit ([`Chain::flush`]), which calls `reply`: the
    /// transaction is in the mempool at once (later checks see it), and
    /// accepted once stored, so that one disk sync serves every insertion
    /// made meanwhile. A refusal calls `reply` at once.
    pub fn submit_deferred(&mut self, bytes: Vec<u8>, checked: CheckedTx, reply: InsertReply) {
        let admitted = self.check_healthy().and_then(|()| {
            self.forest(PRUNED_TXS)?;
            let tx = checked.tx().clone();
            self.admit(tx, Some(checked))
        });
        match admitted {
            Ok(outcome) => {
                let removed = outcome
                    .replaced
                    .iter()
                    .chain(&outcome.evicted)
                    .copied()
                    .collect();
                self.pending.push(PendingWrite {
                    bytes,
                    removed,
                    outcome,
                    reply,
                });
            }
            Err(e) => reply(Err(e)),
        }
    }

    /// Insertions waiting for the group commit.
    pub fn pending_writes(&self) -> usize {
        self.pending.len()
    }

    /// The group commit: stores every deferred insertion in one database
    /// transaction and tells each caller. If the write fails, none is
    /// accepted: each leaves the mempool and its caller gets the error.
    pub fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        let writes: Vec<(&TxID, &[u8], &[TxID])> = pending
            .iter()
            .map(|p| (&p.outcome.txid, p.bytes.as_slice(), p.removed.as_slice()))
            .collect();
        match self.store.mempool_write(&writes) {
            Ok(()) => {
                for p in pending {
                    let o = &p.outcome;
                    info!(txid = %o.txid, fee_rate = o.fee_rate.to_f64(), "transaction accepted");
                    (p.reply)(Ok((p.bytes, p.outcome)));
                }
            }
            Err(e) => {
                let why = e.to_string();
                warn!(%e, count = pending.len(), "mempool write failed");
                for p in pending {
                    self.mempool.remove(&p.outcome.txid);
                    (p.reply)(Err(NodeError::Storage(why.clone())));
                }
            }
        }
    }

    fn submit_checked(
        &mut self,
        bytes: &[u8],
        tx: Tx,
        verified: Option<CheckedTx>,
    ) -> Result<InsertOutcome, NodeError> {
        self.flush();
        self.check_healthy()?;
        self.forest(PRUNED_TXS)?;
        let outcome = self.admit(tx, verified)?;
        let removed: Vec<TxID> = outcome
            .replaced
            .iter()
            .chain(&outcome.evicted)
            .copied()
            .collect();
        if let Err(e) = self.store.mempool_insert(&outcome.txid, bytes, &removed) {
            // Not stored: not accepted.
            self.mempool.remove(&outcome.txid);
            return Err(e);
        }
        info!(txid = %outcome.txid, fee_rate = outcome.fee_rate.to_f64(), "transaction accepted");
        Ok(outcome)
    }

    /// Stage c of admission (docs/spec/network.md §Admission): every check
    /// of a submission that needs the chain but not the proof, on a
    /// transaction whose VM has run, changing nothing. In order: a txid
    /// already in the pool (`AlreadyKnown`; this catches a rewritten
    /// signature, which keeps the txid), a txid already confirmed
    /// ([`NodeError::AlreadyConfirmed`]), inputs neither unspent nor
    /// created by the pool ([`NodeError::UnknownInput`]), then the
    /// mempool's own checks ([`blockchain::Mempool::check`]: time bounds,
    /// minimum relay fee rate, conflicts and replace-by-fee, room). What
    /// passes is worth a core for the proof check.
    pub fn check_admission(&self, run: &ExecutedTx) -> Result<(), NodeError> {
        self.check_healthy()?;
        let forest = self.forest(PRUNED_TXS)?;
        let txid = run.txid();
        if self.mempool.get(&txid).is_some() {
            return Err(BlockchainError::AlreadyKnown { txid }.into());
        }
        if let Some((height, _)) = self.store.tx_location(&txid)? {
            return Err(NodeError::AlreadyConfirmed { txid, height });
        }
        if let Some(id) = run
            .inputs()
            .find(|id| !self.mempool.creates(id) && !forest.contains(&utxo_leaf(id)))
        {
            return Err(NodeError::UnknownInput(*id));
        }
        self.check_pool_change(run.log())?;
        self.mempool.check(run, &self.state)?;
        // The next block is stamped with this node's clock (or later): a
        // transaction whose maxtime has passed could never be included.
        let now = crate::server::now_ms();
        let maxtime = run.tx().header.maxtime_ms;
        if maxtime < now {
            return Err(BlockchainError::TxExpired {
                maxtime_ms: maxtime,
                tip_ms: now,
            }
            .into());
        }
        Ok(())
    }

    /// Refuses a transaction whose validator-set change could not be
    /// included in the next block (docs/spec/consensus.md §Validator-set
    /// changes, Validity), so that a bad one never enters the pool.
    fn check_pool_change(&self, log: &zkvm::TxLog) -> Result<(), NodeError> {
        if !logs_set_change(log) {
            return Ok(());
        }
        let Some(seal) = &self.seal else {
            return Err(consensus::ConsensusError::SetChangeOnKeyChain.into());
        };
        if let Some(change) = set_change_of(log)? {
            let next = self.state.tip.height + 1;
            seal.known().schedule.check(&seal.chain, next, &change)?;
        }
        Ok(())
    }

    /// The mempool insertion, with the Utreexo proof of the inputs that
    /// are not pool outputs derived from the forest (so none without one).
    fn admit(&mut self, tx: Tx, verified: Option<CheckedTx>) -> Result<InsertOutcome, NodeError> {
        let forest = self.forest(PRUNED_TXS)?;
        let (txid, inputs): (TxID, Vec<ContractID>) = match &verified {
            Some(v) => {
                self.check_pool_change(&v.verified().log)?;
                (
                    v.verified().id,
                    v.verified().log.inputs().copied().collect(),
                )
            }
            None => {
                let p = Verifier::precompute(&tx).map_err(NodeError::InvalidTx)?;
                self.check_pool_change(&p.log)?;
                (p.id, p.log.inputs().copied().collect())
            }
        };
        // A confirmed transaction's inputs are spent (by itself): say that
        // it is confirmed rather than that an input is unknown.
        if let Some((height, _)) = self.store.tx_location(&txid)? {
            return Err(NodeError::AlreadyConfirmed { txid, height });
        }
        let mut leaves = Vec::new();
        for id in &inputs {
            if self.mempool.creates(id) {
                continue;
            }
            let leaf = utxo_leaf(id);
            if !forest.contains(&leaf) {
                return Err(NodeError::UnknownInput(*id));
            }
            if !leaves.contains(&leaf) {
                leaves.push(leaf);
            }
        }
        let proof = if leaves.is_empty() {
            Proof::empty()
        } else {
            forest.prove(&leaves)?
        };
        let outcome = match verified {
            Some(v) => self.mempool.insert_verified(v, proof, &self.state)?,
            None => self.mempool.insert(tx, proof, &self.state)?,
        };
        Ok(outcome)
    }

    /// Makes, signs, stores and applies the next block from the mempool's
    /// best transactions, at `now_ms` or just after the tip if the clock is
    /// behind it. The pool holds verified transactions only, so the block
    /// is verified by construction: no VM runs and no proof is checked
    /// again ([`ChainState::make_verified_block`]). [`NodeError::NotProducer`]
    /// without the block key, which a pruned chain never has (it could not
    /// prove the inputs anyway).
    pub fn produce_block(&mut self, now_ms: u64) -> Result<BlockSummary, NodeError> {
        self.produce(now_ms).map(|made| made.summary)
    }

    /// [`Chain::produce_block`], returning the block too (to announce it
    /// without reading it back).
    pub fn produce(&mut self, now_ms: u64) -> Result<Produced, NodeError> {
        // A validators chain's blocks exist only once decided.
        if self.seal.is_some() {
            return Err(NodeError::NotProducer);
        }
        let made = self.propose(now_ms)?;
        let block = made.block().clone();
        let summary = self.import(made)?;
        Ok(Produced { summary, block })
    }

    /// A block for consensus to decide (docs/spec/consensus.md §Node,
    /// Propose): made from the mempool's best transactions as
    /// [`Chain::produce`] makes it, so none is verified again, but not
    /// stored: it becomes the tip only once decided, through
    /// [`Chain::import_decided`]. On a validators chain any full node can
    /// make one (unsigned: its certificate will seal it); on a block-key
    /// chain only the holder of the key.
    pub fn propose(&mut self, now_ms: u64) -> Result<VerifiedBlock, NodeError> {
        self.flush();
        self.check_healthy()?;
        let Kind::Full { forest, block_key } = &self.kind else {
            return Err(NodeError::NotProducer);
        };
        let key = match (&self.seal, block_key) {
            (Some(_), _) => None,
            (None, Some(key)) => Some(key),
            (None, None) => return Err(NodeError::NotProducer),
        };
        let timestamp = now_ms.max(self.state.tip.timestamp_ms + 1);
        let selected: Vec<(Tx, VerifiedTx)> = self
            .mempool
            .select_entries(self.limits.block_bytes, timestamp)
            .into_iter()
            .map(|e| (e.tx().clone(), e.verified().clone()))
            .collect();
        let txs = one_valid_set_change(self.seal.as_deref(), self.state.tip.height + 1, selected);
        Ok(self
            .state
            .make_verified_block(forest, txs, timestamp, key)?)
    }

    /// The verified results the mempool holds for these witness hashes:
    /// what stage 1 of a block's import need not verify again.
    pub fn known_verified(&self, witnesses: &[[u8; 32]]) -> HashMap<[u8; 32], VerifiedTx> {
        witnesses
            .iter()
            .filter_map(|w| KnownTxs::verified(&self.mempool, w).map(|v| (*w, v)))
            .collect()
    }

    /// Validates `block` against the tip, stores it and everything it
    /// changes in one database transaction, then moves the state, forest
    /// and mempool to it: both stages of import on this thread
    /// ([`Chain::import`]), with the mempool's transactions not verified
    /// again.
    pub fn apply_block(&mut self, block: &Block) -> Result<BlockSummary, NodeError> {
        self.check_healthy()?;
        if let Some(seal) = &self.seal {
            seal.check(&block.header, block.certificate.as_deref())?;
        }
        let witnesses: Vec<[u8; 32]> = block.txs.iter().map(blockchain::witness_hash).collect();
        let known = self.known_verified(&witnesses);
        let verified =
            VerifiedBlock::verify_decoded(block.clone(), block.to_bytes(), &self.state, &known)?;
        self.import(verified)
    }

    /// Stage 2 of import (docs/spec/blockchain.md §Apply block, Two
    /// stages): checks what depends on the tip, stores the block's bytes as
    /// received and everything it changes in one database transaction,
    /// then moves the state, forest and mempool to it. A pruned chain
    /// moves only its state.
    pub fn import(&mut self, verified: VerifiedBlock) -> Result<BlockSummary, NodeError> {
        self.import_with(verified, None)
    }

    /// [`Chain::import`] of a block consensus decided: its encoded commit
    /// certificate is stored with it, in the same database transaction
    /// (docs/spec/consensus.md §Node), so the store never holds a decided
    /// block without the proof of its decision.
    pub fn import_decided(
        &mut self,
        verified: VerifiedBlock,
        certificate: &[u8],
    ) -> Result<BlockSummary, NodeError> {
        self.import_with(verified, Some(certificate))
    }

    fn import_with(
        &mut self,
        verified: VerifiedBlock,
        certificate: Option<&[u8]>,
    ) -> Result<BlockSummary, NodeError> {
        // The pool's deferred writes go first: the block's commit removes
        // what it includes.
        self.flush();
        self.check_healthy()?;
        // A validators chain stores no block without the certificate that
        // sealed it (checked before stage 1 by whoever received it), and
        // keeps that certificate in its table too, for validators
        // catching up (docs/spec/consensus.md §Node).
        let sealed = match (&self.seal, &verified.block().certificate) {
            (Some(_), Some(c)) => Some(c.clone()),
            (Some(_), None) => {
                return Err(NodeError::Consensus(
                    consensus::ConsensusError::MissingCertificate {
                        height: verified.header().height,
                    },
                ))
            }
            (None, _) => None,
        };
        let certificate = certificate.or(sealed.as_deref());
        let state = self.state.apply_verified(&verified)?;
        let set_change = check_set_change(
            self.seal.as_deref(),
            verified.header().height,
            &verified.applied().txs,
        )?;
        let set_change_bytes = set_change.as_ref().map(|c| c.to_bytes());
        let (block, bytes, applied) = verified.into_parts();
        let delta = Delta {
            additions: applied.additions.clone(),
            deletions: applied.deletions.clone(),
        };
        let txids: Vec<TxID> = applied.txs.iter().map(|t| t.id).collect();
        let logs: Vec<&zkvm::TxLog> = applied.txs.iter().map(|t| &t.log).collect();
        // Memory moves first (the forest cannot be copied cheaply); a
        // storage failure after this point stops the node. A pruned chain
        // has no forest and an empty mempool: nothing moves before the
        // commit.
        let (removals, checkpoint) = match &mut self.kind {
            Kind::Full { forest, .. } => {
                forest.modify(&delta.additions, &delta.deletions)?;
                let removals = self.mempool.apply_block(&applied, &state, forest)?;
                let checkpoint = (block.header.height % FOREST_CHECKPOINT_INTERVAL == 0)
                    .then(|| forest.to_bytes());
                (removals, checkpoint)
            }
            Kind::Pruned => (BlockRemovals::default(), None),
        };
        let height = block.header.height;
        let stale = self.evict_stale_set_changes(height, set_change.as_ref());
        let removed: Vec<TxID> = removals
            .included
            .iter()
            .chain(&removals.conflicting)
            .chain(&removals.expired)
            .chain(&removals.unprovable)
            .chain(&stale)
            .copied()
            .collect();
        let commit = BlockCommit {
            block: &block,
            bytes: &bytes,
            txids: &txids,
            logs: &logs,
            state: &state,
            delta: &delta,
            forest: checkpoint,
            mempool_removed: &removed,
            certificate,
            set_change: set_change_bytes.as_deref(),
        };
        if let Err(e) = self.store.commit_block(&commit) {
            // Only a full chain's memory is then ahead of the file.
            if !self.is_pruned() {
                self.failed = Some(e.to_string());
            }
            return Err(e);
        }
        self.state = state;
        if let Some(seal) = &self.seal {
            if let Some(change) = &set_change {
                info!(
                    height,
                    effective = change.change().effective_height(),
                    validators = change.change().validators().validators().len(),
                    "validator-set change applied"
                );
            }
            seal.advance(height, set_change);
        }
        let id = block.header.id();
        info!(height, id = %id, txs = txids.len(), "block stored");
        let evicted = removed
            .into_iter()
            .filter(|t| !removals.included.contains(t))
            .collect();
        Ok(BlockSummary {
            height,
            id,
            txids,
            evicted,
        })
    }

    /// Evicts, with their descendants, the pool transactions whose
    /// validator-set change the block at `height` (which includes `change`,
    /// if any) made invalid for the next block (docs/spec/consensus.md
    /// §Validator-set changes, Validity): effective too soon now, or
    /// behind a change now pending, or approved by a set no longer in
    /// force. Proposers would skip them anyway; evicted, they stop holding
    /// pool space and their fee inputs until they expire. The approvals
    /// are checked again only when the set in force changes at the next
    /// height (they were checked at admission against the set then), so a
    /// block costs at most the heights' rules per such transaction.
    fn evict_stale_set_changes(
        &mut self,
        height: u64,
        change: Option<&consensus::ApprovedSetChange>,
    ) -> Vec<TxID> {
        let Some(seal) = &self.seal else {
            return Vec::new();
        };
        let carrying: Vec<(TxID, Option<consensus::ApprovedSetChange>)> = self
            .mempool
            .iter_by_fee_rate()
            .filter(|e| logs_set_change(&e.verified().log))
            .map(|e| (e.txid(), set_change_of(&e.verified().log).ok().flatten()))
            .collect();
        if carrying.is_empty() {
            return Vec::new();
        }
        let mut schedule = seal.schedule();
        if let Some(change) = change {
            schedule.apply(height, change.clone());
        }
        let next = height.saturating_add(1);
        let set_moves = schedule.set_at(next) != schedule.set_at(height);
        let mut evicted = Vec::new();
        for (txid, pooled) in carrying {
            let stale = match &pooled {
                None => true,
                Some(c) if set_moves => schedule.check(&seal.chain, next, c).is_err(),
                Some(c) => {
                    c.change().effective_height() < next.saturating_add(2)
                        || schedule.pending_at(next).is_some()
                }
            };
            if stale {
                evicted.extend(self.mempool.remove(&txid));
            }
        }
        if !evicted.is_empty() {
            info!(
                height,
                evicted = evicted.len(),
                "pool transactions with a stale validator-set change evicted"
            );
        }
        evicted
    }

    /// What the node publishes of this chain for readers that must not
    /// wait for its thread.
    pub fn view(&self) -> ChainView {
        ChainView {
            state: self.state.clone(),
            base_height: self.base_height,
            pruned: self.is_pruned(),
            producer: self.is_producer(),
            mempool_txs: self.mempool.len(),
            mempool_bytes: self.mempool.size_bytes(),
            policy: *self.mempool.policy(),
        }
    }

    /// The block at `height`, stored from `base_height() + 1` (from 2 on a
    /// full chain: height 1 is the initial header, which has no block; a
    /// pruned chain has none at or below its snapshot's tip).
    pub fn block(&self, height: u64) -> Result<Option<Block>, NodeError> {
        self.store.block(height)
    }

    /// The encoding of the block at `height`, as stored (cheaper than
    /// [`Chain::block`] when it is only passed on).
    pub fn block_bytes(&self, height: u64) -> Result<Option<Vec<u8>>, NodeError> {
        self.store.block_bytes(height)
    }

    /// A handle that reads stored blocks from other threads.
    pub fn block_reader(&self) -> BlockReader {
        self.store.block_reader()
    }

    /// A handle that reads the contract index (docs/api.md §Contracts)
    /// from other threads.
    pub fn contract_reader(&self) -> ContractReader {
        self.store.contract_reader()
    }

    /// `f` of the stored encoding of the block at `height`, read in place.
    pub fn with_block_bytes<T>(
        &self,
        height: u64,
        f: impl FnOnce(&[u8]) -> T,
    ) -> Result<Option<T>, NodeError> {
        self.store.with_block_bytes(height, f)
    }

    /// The height of block `id`; 1 for the initial header.
    pub fn height_of(&self, id: &BlockID) -> Result<Option<u64>, NodeError> {
        if *id == self.state.initial.id() {
            return Ok(Some(1));
        }
        self.store.height_of(id)
    }

    /// A confirmed or pending transaction.
    pub fn tx(&self, id: &TxID) -> Result<Option<TxRecord>, NodeError> {
        if let Some(entry) = self.mempool.get(id) {
            return Ok(Some(TxRecord {
                tx: entry.tx().clone(),
                location: None,
            }));
        }
        let Some((height, index)) = self.store.tx_location(id)? else {
            return Ok(None);
        };
        let block = self
            .store
            .block(height)?
            .ok_or_else(|| NodeError::Corrupt(format!("indexed block {height} is missing")))?;
        let tx = block
            .txs
            .get(index as usize)
            .cloned()
            .ok_or_else(|| NodeError::Corrupt(format!("indexed tx {id} is missing")))?;
        Ok(Some(TxRecord {
            tx,
            location: Some((height, index)),
        }))
    }

    /// A Utreexo proof that `id` is an unspent output, against the tip's
    /// roots. [`NodeError::Pruned`] on a pruned chain, which has no forest
    /// to make proofs from.
    pub fn utxo_proof(&self, id: &ContractID) -> Result<Option<Proof>, NodeError> {
        let forest = self.forest("it cannot prove unspent outputs")?;
        let leaf = utxo_leaf(id);
        if !forest.contains(&leaf) {
            return Ok(None);
        }
        Ok(Some(forest.prove(&[leaf])?))
    }

    /// Stores encoded equivocation evidence records (docs/spec/consensus.md
    /// §Evidence) in their own database transaction.
    pub fn record_evidence(&mut self, records: &[Vec<u8>]) -> Result<(), NodeError> {
        self.check_healthy()?;
        self.store.record_evidence(records)
    }

    /// The chain state's snapshot (docs/spec/blockchain.md §Snapshot).
    pub fn snapshot(&self) -> Vec<u8> {
        self.state.to_snapshot()
    }

    /// Mempool transactions in the database (equal to the pool's size
    /// unless a write failed).
    pub fn stored_mempool_len(&self) -> Result<u64, NodeError> {
        self.store.mempool_len()
    }
}

/// Decodes and verifies a submitted transaction in full (VM, proof and
/// signature), for tools and tests that want the verdict alone. The node
/// itself admits transactions through [`crate::admission`], which does the
/// cheap checks before the proof check (docs/spec/network.md §Admission),
/// and hands [`Chain::submit_verified`] what it verified.
pub fn verify_submission(bytes: &[u8]) -> Result<CheckedTx, NodeError> {
    let tx = Tx::from_bytes(bytes).map_err(NodeError::Decode)?;
    CheckedTx::verify(tx).map_err(NodeError::InvalidTx)
}
