//! The mempool (docs/spec/blockchain.md §Mempool): unconfirmed transactions
//! with the Utreexo proofs of their inputs, checked cheapest first, ranked
//! by fee rate, bounded in bytes, and brought up to date block by block.
//!
//! A pool follows one chain state: transactions are inserted against the
//! state of its tip ([`Mempool::insert`]), and each new block moves it to
//! the next state ([`Mempool::apply_block`]), which re-derives the proofs
//! of the remaining transactions from the node's full [`Forest`].

mod entry;
mod graph;
mod order;
mod policy;
mod room;

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap, HashSet};

use accumulator::{Forest, Proof, ZkvmHash};
use rayon::prelude::*;
use zkvm::{
    Contract, ContractID, Encodable, FeeRate, PrecomputedTx, Tx, TxID, VMError, VerifiedTx,
    Verifier,
};

pub use entry::{BlockRemovals, InsertOutcome, MempoolEntry};
pub use policy::{
    fee_for, format_fee_rate, parse_fee_rate, MempoolPolicy, DEFAULT_INCREMENTAL_RELAY_FEE_RATE,
    DEFAULT_MEMPOOL_BYTES, DEFAULT_MIN_RELAY_FEE_RATE,
};

use crate::{
    utxo_leaf, witness_hash, AppliedBlock, BlockHeader, BlockID, BlockchainError, ChainState,
    CURRENT_BLOCK_VERSION,
};

/// Unconfirmed transactions waiting for a block
/// (docs/spec/blockchain.md §Mempool).
///
/// Every transaction in the pool is valid on top of the chain state the
/// pool follows: its VM run, proof and signatures verified, each input an
/// unspent output (proven by the entry's Utreexo proof) or an output of
/// another pool transaction (its parent), no two transactions spending one
/// output, and its `maxtime_ms` after the tip's timestamp. Each pays at
/// least the policy's minimum relay fee rate ([`MempoolPolicy`]).
pub struct Mempool {
    policy: MempoolPolicy,
    size_bytes: usize,
    next_seq: u64,
    /// The tip the entries' proofs are for; `None` before the first insert
    /// or block.
    tip: Option<BlockID>,
    entries: HashMap<TxID, MempoolEntry>,
    /// Every entry, highest fee rate first, then earliest arrival.
    by_rate: BTreeSet<(Reverse<FeeRate>, u64, TxID)>,
    /// Each output spent by a pool transaction, and which.
    spent: HashMap<ContractID, TxID>,
    /// Each output of a pool transaction, and which.
    created: HashMap<ContractID, TxID>,
    /// Witness hashes, to drop exact duplicates before running the VM.
    witnesses: HashMap<[u8; 32], TxID>,
}

impl core::fmt::Debug for Mempool {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Mempool")
            .field("len", &self.entries.len())
            .field("size_bytes", &self.size_bytes)
            .field("policy", &self.policy)
            .field("tip", &self.tip)
            .finish_non_exhaustive()
    }
}

impl Mempool {
    /// An empty pool holding at most `max_bytes` of encoded transactions,
    /// with the default relay fee rates ([`MempoolPolicy::with_max_bytes`]).
    pub fn new(max_bytes: usize) -> Mempool {
        Mempool::with_policy(MempoolPolicy::with_max_bytes(max_bytes))
    }

    /// An empty pool following `policy`: its byte limit and relay fee rates
    /// (docs/spec/blockchain.md §Mempool, Relay fees).
    pub fn with_policy(policy: MempoolPolicy) -> Mempool {
        Mempool {
            policy,
            size_bytes: 0,
            next_seq: 0,
            tip: None,
            entries: HashMap::new(),
            by_rate: BTreeSet::new(),
            spent: HashMap::new(),
            created: HashMap::new(),
            witnesses: HashMap::new(),
        }
    }

    /// Number of transactions.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the pool holds no transaction.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Total encoded size of the transactions, in bytes.
    pub fn size_bytes(&self) -> usize {
        self.size_bytes
    }

    /// The byte limit.
    pub fn max_bytes(&self) -> usize {
        self.policy.max_bytes
    }

    /// The byte limit and relay fee rates.
    pub fn policy(&self) -> &MempoolPolicy {
        &self.policy
    }

    /// The block the pool's transactions and proofs are checked against.
    pub fn tip(&self) -> Option<BlockID> {
        self.tip
    }

    /// The transaction with ID `txid`.
    pub fn get(&self, txid: &TxID) -> Option<&MempoolEntry> {
        self.entries.get(txid)
    }

    /// The pool transaction whose encoding has witness hash `witness`
    /// ([`witness_hash`]): a node looks the bytes up before it runs the VM.
    pub fn by_witness(&self, witness: &[u8; 32]) -> Option<TxID> {
        self.witnesses.get(witness).copied()
    }

    /// Whether a pool transaction spends the output `id`.
    pub fn contains_spend(&self, id: &ContractID) -> bool {
        self.spent.contains_key(id)
    }

    /// Whether a pool transaction creates the output `id` (so that a
    /// transaction spending it needs no Utreexo proof for it).
    pub fn creates(&self, id: &ContractID) -> bool {
        self.created.contains_key(id)
    }

    /// Offers `tx`, with `utxo_proof` proving its inputs that are not
    /// outputs of pool transactions (in log order) against `state.utxos`
    /// (docs/spec/blockchain.md §Mempool, Insertion).
    ///
    /// Checks, cheapest first, and the expensive one last: the pool follows
    /// `state` (`MempoolTipMismatch`, unless the pool is empty); the
    /// version and time bounds (`TxVersion`, `TxExpired`,
    /// `TxOutsideTimeBounds`); the bytes are not already in the pool
    /// (`AlreadyKnown`); the VM run (`InvalidTx`); the fee rate, known
    /// from the run, is at least the minimum relay fee rate
    /// (`FeeRateTooLow`); the txid is not in the pool (`AlreadyKnown`); no
    /// output spent twice (`DoubleSpend`); inputs spent by pool
    /// transactions are replaced only for a strictly higher fee rate than
    /// each (`Conflict`) and a fee covering everything replaced plus the
    /// incremental relay fee (`ReplacementFeeTooLow`); the other inputs are
    /// outputs of pool transactions or proven unspent (`Utxo`); there is
    /// room (`MempoolFull`); and only then the proof and signatures, in one
    /// multiscalar check (`InvalidTx`). Nothing changes unless every check
    /// passes.
    pub fn insert(
        &mut self,
        tx: Tx,
        utxo_proof: Proof,
        state: &ChainState,
    ) -> Result<InsertOutcome, BlockchainError> {
        self.insert_checked(tx, None, utxo_proof, state)
    }

    /// [`Mempool::insert`] for a transaction verified in full beforehand,
    /// e.g. on another core ([`CheckedTx::verify`]): skips the VM run and
    /// the proof check, so that a node can verify submissions in parallel
    /// and keep only the cheap checks in the thread that owns the pool.
    pub fn insert_verified(
        &mut self,
        checked: CheckedTx,
        utxo_proof: Proof,
        state: &ChainState,
    ) -> Result<InsertOutcome, BlockchainError> {
        self.insert_checked(checked.tx, Some(checked.verified), utxo_proof, state)
    }

    fn insert_checked(
        &mut self,
        tx: Tx,
        verified: Option<VerifiedTx>,
        utxo_proof: Proof,
        state: &ChainState,
    ) -> Result<InsertOutcome, BlockchainError> {
        let tip = state.tip.id();
        if let Some(pool) = self.tip {
            if pool != tip && !self.entries.is_empty() {
                return Err(BlockchainError::MempoolTipMismatch { pool, state: tip });
            }
        }
        check_header(&tx, &state.tip)?;
        let witness = witness_hash(&tx);
        if let Some(&txid) = self.witnesses.get(&witness) {
            return Err(BlockchainError::AlreadyKnown { txid });
        }

        let checked = match verified {
            Some(v) => Checked::Verified(v),
            None => Checked::Precomputed(Box::new(Verifier::precompute(&tx).map_err(invalid)?)),
        };
        let (txid, fee_rate, log) = match &checked {
            Checked::Verified(v) => (v.id, v.fee_rate, &v.log),
            Checked::Precomputed(p) => (p.id, p.fee_rate, &p.log),
        };
        let inputs: Vec<ContractID> = log.inputs().copied().collect();
        let size = tx.encoded_size();
        let plan = self.plan(txid, fee_rate, &inputs, size)?;
        let leaves: Vec<ZkvmHash> = plan.utxo_inputs.iter().map(utxo_leaf).collect();
        state
            .utxos
            .verify(&utxo_proof, &leaves)
            .map_err(BlockchainError::Utxo)?;
        let Plan {
            replaced,
            evicted,
            utxo_inputs,
        } = plan;

        // The expensive check, last (unless the caller made it).
        let verified = match checked {
            Checked::Verified(v) => v,
            Checked::Precomputed(p) => p.verify().map_err(invalid)?,
        };

        for t in replaced.iter().chain(&evicted) {
            self.remove_entry(t);
        }
        let entry = MempoolEntry {
            txid,
            witness,
            fee_rate,
            size,
            seq: self.next_seq,
            inputs,
            outputs: verified.log.outputs().map(Contract::id).collect(),
            utxo_inputs,
            utxo_proof,
            tx,
            verified,
        };
        self.next_seq += 1;
        self.add_entry(entry);
        self.tip = Some(tip);
        Ok(InsertOutcome {
            txid,
            fee_rate,
            replaced,
            evicted,
        })
    }

    /// Every check of [`Mempool::insert`] but the proofs, for a
    /// transaction whose VM has run ([`ExecutedTx`]), changing nothing: the
    /// pool follows `state`, version and time bounds, the bytes and the
    /// txid are new to the pool, the minimum relay fee rate, no output
    /// spent twice, replace-by-fee and room. Inputs that are not outputs
    /// of pool transactions are the caller's to check against the UTXO
    /// set (a node does with its forest). A node runs this on the thread
    /// that owns the pool before it spends a core on the proof check
    /// (docs/spec/network.md §Admission); [`Mempool::insert_verified`]
    /// checks again afterwards, since the pool may have moved meanwhile.
    pub fn check(&self, run: &ExecutedTx, state: &ChainState) -> Result<(), BlockchainError> {
        let tip = state.tip.id();
        if let Some(pool) = self.tip {
            if pool != tip && !self.entries.is_empty() {
                return Err(BlockchainError::MempoolTipMismatch { pool, state: tip });
            }
        }
        check_header(&run.tx, &state.tip)?;
        if let Some(&txid) = self.witnesses.get(&witness_hash(&run.tx)) {
            return Err(BlockchainError::AlreadyKnown { txid });
        }
        let inputs: Vec<ContractID> = run.inputs().copied().collect();
        self.plan(run.txid(), run.fee_rate(), &inputs, run.tx.encoded_size())
            .map(drop)
    }

    /// The checks after the VM run, cheapest first, and what inserting
    /// would then do (see [`Mempool::insert`]).
    fn plan(
        &self,
        txid: TxID,
        fee_rate: FeeRate,
        inputs: &[ContractID],
        size: usize,
    ) -> Result<Plan, BlockchainError> {
        // The fee is known only now, after the VM run; refusing a rate
        // below the minimum here spares the Utreexo and proof checks.
        self.policy.check_fee_rate(fee_rate)?;
        if self.entries.contains_key(&txid) {
            return Err(BlockchainError::AlreadyKnown { txid });
        }
        let mut seen = HashSet::with_capacity(inputs.len());
        if let Some(id) = inputs.iter().find(|id| !seen.insert(**id)) {
            return Err(BlockchainError::DoubleSpend { index: 0, id: *id });
        }

        // Double spends against the pool: replace-by-fee.
        let mut conflicts = Vec::new();
        for id in inputs {
            let Some(&other) = self.spent.get(id) else {
                continue;
            };
            if self
                .entries
                .get(&other)
                .is_some_and(|e| e.fee_rate >= fee_rate)
            {
                return Err(BlockchainError::Conflict {
                    id: *id,
                    txid: other,
                });
            }
            if !conflicts.contains(&other) {
                conflicts.push(other);
            }
        }
        let replaced = self.descendants(&conflicts);
        let replaced_set: HashSet<TxID> = replaced.iter().copied().collect();
        if !replaced.is_empty() {
            self.check_replacement_fee(fee_rate.fee(), size, &replaced)?;
        }

        // Every input: an output of a (remaining) pool transaction, or
        // (proven by the caller) unspent.
        let mut parents = Vec::new();
        let mut utxo_inputs = Vec::new();
        for id in inputs {
            match self.created.get(id) {
                Some(&parent) if replaced_set.contains(&parent) => {
                    return Err(BlockchainError::Conflict {
                        id: *id,
                        txid: parent,
                    });
                }
                Some(&parent) => {
                    if !parents.contains(&parent) {
                        parents.push(parent);
                    }
                }
                None => utxo_inputs.push(*id),
            }
        }
        let evicted = self.plan_room(size, fee_rate, &replaced_set, &self.ancestors(&parents))?;
        Ok(Plan {
            replaced,
            evicted,
            utxo_inputs,
        })
    }

    /// Replace-by-fee's rules on absolute fees (docs/spec/blockchain.md
    /// §Mempool, Insertion), after Bitcoin Core's replacement rules 3 and
    /// 4: a replacement of `size` bytes paying `fee` must pay at least the
    /// total fee of `replaced` (the transactions it conflicts with and all
    /// their descendants), so that the pool's fees never fall, plus the
    /// incremental relay fee rate times its own size, so that its bytes,
    /// relayed again by every node, are paid for.
    fn check_replacement_fee(
        &self,
        fee: u64,
        size: usize,
        replaced: &[TxID],
    ) -> Result<(), BlockchainError> {
        let replaced_fees = replaced
            .iter()
            .filter_map(|t| self.entries.get(t))
            .fold(0u64, |sum, e| sum.saturating_add(e.fee_rate.fee()));
        let needed = self.policy.replacement_fee(replaced_fees, size);
        if fee < needed {
            return Err(BlockchainError::ReplacementFeeTooLow {
                paid: fee,
                needed,
                replaced_fees,
                replaced: replaced.len(),
            });
        }
        Ok(())
    }

    /// Removes the transaction `txid` and its descendants (pool
    /// transactions spending their outputs); returns their IDs, none if
    /// `txid` is not in the pool.
    pub fn remove(&mut self, txid: &TxID) -> Vec<TxID> {
        self.evict(&[*txid])
    }

    /// Empties the pool, returning its transactions in
    /// [`Mempool::iter_by_fee_rate`]'s order (to offer them again, e.g.
    /// after a reorganisation).
    pub fn clear(&mut self) -> Vec<Tx> {
        let txs = self.iter_by_fee_rate().map(|e| e.tx.clone()).collect();
        *self = Mempool::with_policy(self.policy);
        txs
    }

    /// Moves the pool to `new_state`, the state after a block that the
    /// chain applied with result `applied`; `forest` is the node's full
    /// UTXO forest after that block (docs/spec/blockchain.md §Mempool,
    /// Blocks).
    ///
    /// Removes the transactions the block includes; evicts, with their
    /// descendants, those that spend an output the block spent and those
    /// whose `maxtime_ms` is not after the new tip's timestamp; then
    /// re-derives from `forest` the Utreexo proof of every remaining
    /// transaction (whose inputs from included parents are now unspent
    /// outputs), evicting any it cannot prove. Fails with
    /// `ForestMismatch`, changing nothing, if `forest` does not hold
    /// `new_state.utxos`.
    pub fn apply_block(
        &mut self,
        applied: &AppliedBlock,
        new_state: &ChainState,
        forest: &Forest,
    ) -> Result<BlockRemovals, BlockchainError> {
        if forest.accumulator() != new_state.utxos {
            return Err(BlockchainError::ForestMismatch);
        }
        let mut out = BlockRemovals::default();
        for tx in &applied.txs {
            if self.remove_entry(&tx.id).is_some() {
                out.included.push(tx.id);
            }
        }
        let mut conflicting = Vec::new();
        for id in applied.txs.iter().flat_map(|tx| tx.log.inputs()) {
            if let Some(&t) = self.spent.get(id) {
                if !conflicting.contains(&t) {
                    conflicting.push(t);
                }
            }
        }
        out.conflicting = self.evict(&conflicting);
        let now = new_state.tip.timestamp_ms;
        let expired: Vec<TxID> = self
            .by_rate
            .iter()
            .map(|(_, _, t)| *t)
            .filter(|t| {
                self.entries
                    .get(t)
                    .is_some_and(|e| e.tx.header.maxtime_ms <= now)
            })
            .collect();
        out.expired = self.evict(&expired);

        // Parents first, so that a parent's eviction takes its children.
        let order: Vec<TxID> = self.iter_by_fee_rate().map(MempoolEntry::txid).collect();
        for txid in order {
            let Some(e) = self.entries.get(&txid) else {
                continue;
            };
            let utxo_inputs: Vec<ContractID> = e
                .inputs
                .iter()
                .filter(|id| !self.created.contains_key(id))
                .copied()
                .collect();
            let leaves: Vec<ZkvmHash> = utxo_inputs.iter().map(utxo_leaf).collect();
            let proof = if leaves.is_empty() {
                Ok(Proof::empty())
            } else {
                forest.prove(&leaves)
            };
            match (proof, self.entries.get_mut(&txid)) {
                (Ok(proof), Some(e)) => {
                    e.utxo_inputs = utxo_inputs;
                    e.utxo_proof = proof;
                }
                _ => out.unprovable.extend(self.evict(&[txid])),
            }
        }
        self.tip = Some(new_state.tip.id());
        Ok(out)
    }
}

/// A transaction's version and time bounds against the next block after
/// `tip`, whose timestamp is after the tip's.
fn check_header(tx: &Tx, tip: &BlockHeader) -> Result<(), BlockchainError> {
    let h = &tx.header;
    if tip.version == CURRENT_BLOCK_VERSION && h.version != zkvm::CURRENT_VERSION {
        return Err(BlockchainError::TxVersion {
            index: 0,
            version: h.version,
        });
    }
    if h.maxtime_ms <= tip.timestamp_ms {
        return Err(BlockchainError::TxExpired {
            maxtime_ms: h.maxtime_ms,
            tip_ms: tip.timestamp_ms,
        });
    }
    if h.mintime_ms > h.maxtime_ms {
        return Err(BlockchainError::TxOutsideTimeBounds { index: 0 });
    }
    Ok(())
}

/// A transaction with what [`Verifier`] made of it: its VM run, proof and
/// signature all checked. Only [`CheckedTx::verify`] makes one, so the two
/// always belong together.
#[derive(Clone, Debug)]
pub struct CheckedTx {
    tx: Tx,
    verified: VerifiedTx,
}

impl CheckedTx {
    /// Verifies `tx` in full.
    pub fn verify(tx: Tx) -> Result<CheckedTx, VMError> {
        let verified = Verifier::precompute(&tx)?.verify()?;
        Ok(CheckedTx { tx, verified })
    }

    /// [`CheckedTx::verify`] that refuses a fee rate below `policy`'s
    /// minimum relay fee rate (`FeeRateTooLow`) right after the VM run,
    /// before the proof check, as [`Mempool::insert`] does
    /// (docs/spec/blockchain.md §Mempool, Relay fees): for a caller that
    /// verifies submissions before it offers them to the pool.
    pub fn verify_relayable(tx: Tx, policy: &MempoolPolicy) -> Result<CheckedTx, BlockchainError> {
        let precomputed = Verifier::precompute(&tx).map_err(invalid)?;
        policy.check_fee_rate(precomputed.fee_rate)?;
        let verified = precomputed.verify().map_err(invalid)?;
        Ok(CheckedTx { tx, verified })
    }

    /// The transaction.
    pub fn tx(&self) -> &Tx {
        &self.tx
    }

    /// Its ID, log and fee rate.
    pub fn verified(&self) -> &VerifiedTx {
        &self.verified
    }
}

/// A transaction whose VM has run (stage 1 of verification, bounded by
/// its execution budget: docs/spec/zkvm.md §Execution budget) and whose
/// proof and signatures are not checked yet: what a node learns cheaply
/// (txid, inputs, fee rate) before it decides whether the expensive check
/// is worth a core ([`Mempool::check`], then [`ExecutedTx::verify`]).
/// Only [`ExecutedTx::run`] makes one, so the run belongs to the
/// transaction.
pub struct ExecutedTx {
    tx: Tx,
    run: Box<PrecomputedTx>,
}

impl core::fmt::Debug for ExecutedTx {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ExecutedTx")
            .field("txid", &self.run.id)
            .field("fee_rate", &self.run.fee_rate)
            .finish_non_exhaustive()
    }
}

impl ExecutedTx {
    /// Runs `tx`'s VM.
    pub fn run(tx: Tx) -> Result<ExecutedTx, VMError> {
        let run = Box::new(Verifier::precompute(&tx)?);
        Ok(ExecutedTx { tx, run })
    }

    /// The transaction.
    pub fn tx(&self) -> &Tx {
        &self.tx
    }

    /// Its ID.
    pub fn txid(&self) -> TxID {
        self.run.id
    }

    /// Its fee rate.
    pub fn fee_rate(&self) -> FeeRate {
        self.run.fee_rate
    }

    /// The outputs it spends, in log order.
    pub fn inputs(&self) -> impl Iterator<Item = &ContractID> {
        self.run.log.inputs()
    }

    /// Its log, as the VM run made it (what node rules on `data` entries
    /// read before the proof is checked).
    pub fn log(&self) -> &zkvm::TxLog {
        &self.run.log
    }

    /// Checks the proof and signatures (the multiscalar check).
    pub fn verify(self) -> Result<CheckedTx, VMError> {
        let verified = self.run.verify()?;
        Ok(CheckedTx {
            tx: self.tx,
            verified,
        })
    }

    /// Checks several transactions' proofs and signatures with one
    /// multiscalar multiplication split across cores (as a block's are,
    /// docs/spec/blockchain.md §Two stages), giving each transaction its own
    /// result in order. When the batch fails, each transaction is checked
    /// alone, so one invalid transaction costs the others only the time of
    /// their single checks.
    pub fn verify_all(runs: Vec<ExecutedTx>) -> Vec<Result<CheckedTx, VMError>> {
        if runs.len() == 1 {
            return runs.into_iter().map(ExecutedTx::verify).collect();
        }
        let (txs, runs): (Vec<Tx>, Vec<PrecomputedTx>) =
            runs.into_iter().map(|r| (r.tx, *r.run)).unzip();
        let results: Vec<Result<VerifiedTx, VMError>> = if zkvm::all_hold(&runs) {
            runs.into_iter().map(|r| Ok(r.into_verified())).collect()
        } else {
            runs.into_par_iter().map(PrecomputedTx::verify).collect()
        };
        txs.into_iter()
            .zip(results)
            .map(|(tx, r)| r.map(|verified| CheckedTx { tx, verified }))
            .collect()
    }
}

/// What inserting a transaction would do ([`Mempool::plan`]).
struct Plan {
    /// The conflicts and their descendants it replaces.
    replaced: Vec<TxID>,
    /// What leaves to make room.
    evicted: Vec<TxID>,
    /// Its inputs that are not outputs of pool transactions.
    utxo_inputs: Vec<ContractID>,
}

/// A transaction's VM run, with or without its proof checked (the run's
/// state is boxed: it is several times the size of a verified result).
enum Checked {
    Precomputed(Box<PrecomputedTx>),
    Verified(VerifiedTx),
}

fn invalid(error: VMError) -> BlockchainError {
    BlockchainError::InvalidTx { index: 0, error }
}
