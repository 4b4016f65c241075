//! Admission of transactions (docs/spec/network.md §Admission, docs/api.md
//! §Submit): one path for API submissions, gossip and the pool exchange,
//! with the cheap checks first so that hostile bytes cost as little as
//! they can, and the expensive work on a bounded pool of cores.
//!
//! In order:
//!
//! 1. size limit and strict decode; the witness hash against the pool
//!    (`AlreadyKnown`) and against a small cache of recently refused
//!    witnesses (the same bad bytes from many peers cost one VM run);
//! 2. the VM run, bounded by the transaction's execution budget
//!    (docs/spec/zkvm.md §Execution budget), on the verification pool:
//!    txid, inputs, fee rate;
//! 3. on the chain's thread, every check that needs the chain but not the
//!    proof ([`crate::Chain::check_admission`]);
//! 4. the proof and signatures (the multiscalar check): transactions
//!    that reach this step while a check runs wait for the next one, and
//!    are checked together with one multiscalar multiplication split
//!    across cores, as a block's are (each alone again if the batch fails,
//!    so an invalid one costs the others their single checks only);
//! 5. the insertion, which checks again what the chain may have changed
//!    meanwhile, then storage; the caller gossips.
//!
//! The verification pool runs at most one job per core; at most `queue`
//! jobs wait for one, each at most `wait`, and at most `queue` (or one
//! batch, if more) transactions wait for a batched proof check. Beyond that a transaction is
//! refused at once with [`NodeError::Busy`] (`503 busy` on the API, ignored
//! on gossip): no caller can make the node queue unbounded blocking work.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use blockchain::{witness_hash, BlockchainError, CheckedTx, ExecutedTx, InsertOutcome};
use tokio::sync::{oneshot, Semaphore};
use zkvm::{Tx, VMError};

use crate::actor::ChainHandle;
use crate::metrics::TxRefusal;
use crate::network::Offence;
use crate::NodeError;

/// Refused witness hashes remembered: 32 bytes and an error each, so a
/// few hundred KB at most.
const REJECTED_CAPACITY: usize = 4096;

/// Transactions checked in one multiscalar multiplication at most: enough
/// to amortize it (a block's payments cost a tenth of a single check each),
/// few enough that the first of them does not wait long for the last.
const MAX_BATCH: usize = 128;

/// The verification pool's sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdmissionSettings {
    /// Jobs run at once (one per core by default: [`default_workers`]).
    pub workers: usize,
    /// Jobs waiting for a worker at most.
    pub queue: usize,
    /// How long a job waits for a worker at most.
    pub wait: Duration,
}

impl Default for AdmissionSettings {
    fn default() -> Self {
        AdmissionSettings {
            workers: default_workers(),
            queue: 256,
            wait: Duration::from_secs(10),
        }
    }
}

/// One worker per core the process may use.
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// What admission did so far: counters for logs and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AdmissionStats {
    /// VM runs started (stage 2).
    pub vm_runs: u64,
    /// Proof checks started (stage 4).
    pub proof_checks: u64,
    /// Transactions refused as busy.
    pub busy: u64,
    /// Submissions answered from the cache of refused witnesses.
    pub known_bad: u64,
}

/// A transaction admitted into the mempool, with its encoding to gossip.
#[derive(Debug)]
pub struct Admitted {
    /// Its encoding.
    pub bytes: Vec<u8>,
    /// What the mempool did.
    pub outcome: InsertOutcome,
}

/// The admission path shared by the API and the network (see the module
/// doc). Cheap to clone.
#[derive(Clone, Debug)]
pub struct Admission {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: AdmissionSettings,
    workers: Arc<Semaphore>,
    waiting: AtomicUsize,
    rejected: Mutex<Rejected>,
    vm_runs: AtomicU64,
    proof_checks: AtomicU64,
    busy: AtomicU64,
    known_bad: AtomicU64,
    batch: Mutex<Batch>,
}

/// One proof check's answer.
type ProofReply = oneshot::Sender<Result<CheckedTx, VMError>>;

/// Transactions waiting for the next batched proof check, and whether a
/// blocking task is running checks (it takes every waiting transaction,
/// up to [`MAX_BATCH`], until none waits).
#[derive(Debug, Default)]
struct Batch {
    waiting: Vec<(ExecutedTx, ProofReply)>,
    running: bool,
}

impl Inner {
    fn batch(&self) -> std::sync::MutexGuard<'_, Batch> {
        // The lock guards no invariant a panic could break halfway.
        self.batch.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs batched proof checks until no transaction waits.
    fn check_batches(&self) {
        // If a check panics, the next waiting transaction starts a runner
        // again; the panicking batch's callers see their answer dropped.
        struct Runner<'a>(&'a Inner);
        impl Drop for Runner<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    self.0.batch().running = false;
                }
            }
        }
        let _runner = Runner(self);
        loop {
            let taken: Vec<(ExecutedTx, ProofReply)> = {
                let mut b = self.batch();
                if b.waiting.is_empty() {
                    b.running = false;
                    return;
                }
                let n = b.waiting.len().min(MAX_BATCH);
                b.waiting.drain(..n).collect()
            };
            let (runs, replies): (Vec<ExecutedTx>, Vec<ProofReply>) = taken.into_iter().unzip();
            for (result, reply) in ExecutedTx::verify_all(runs).into_iter().zip(replies) {
                // A caller that went away needs no answer.
                let _ = reply.send(result);
            }
        }
    }
}

/// Recently refused witnesses and why, oldest dropped first.
#[derive(Debug, Default)]
struct Rejected {
    errors: HashMap<[u8; 32], VMError>,
    order: VecDeque<[u8; 32]>,
}

impl Rejected {
    fn insert(&mut self, witness: [u8; 32], error: VMError) {
        if self.errors.insert(witness, error).is_none() {
            self.order.push_back(witness);
            if self.order.len() > REJECTED_CAPACITY {
                if let Some(old) = self.order.pop_front() {
                    self.errors.remove(&old);
                }
            }
        }
    }
}

/// Counts a job waiting for a worker; uncounts it however the wait ends
/// (a client that disconnects drops the future mid-wait).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Admission {
    /// Admission with a verification pool of `settings`. It holds no
    /// chain handle (each call is given one), so that keeping it does not
    /// keep the chain's thread alive.
    pub fn new(settings: AdmissionSettings) -> Admission {
        Admission {
            inner: Arc::new(Inner {
                workers: Arc::new(Semaphore::new(settings.workers.max(1))),
                settings,
                waiting: AtomicUsize::new(0),
                rejected: Mutex::new(Rejected::default()),
                vm_runs: AtomicU64::new(0),
                proof_checks: AtomicU64::new(0),
                busy: AtomicU64::new(0),
                known_bad: AtomicU64::new(0),
                batch: Mutex::new(Batch::default()),
            }),
        }
    }

    /// Jobs the verification pool runs at once.
    pub fn workers(&self) -> usize {
        self.inner.settings.workers.max(1)
    }

    /// The counters so far.
    pub fn stats(&self) -> AdmissionStats {
        let i = &self.inner;
        AdmissionStats {
            vm_runs: i.vm_runs.load(Ordering::Relaxed),
            proof_checks: i.proof_checks.load(Ordering::Relaxed),
            busy: i.busy.load(Ordering::Relaxed),
            known_bad: i.known_bad.load(Ordering::Relaxed),
        }
    }

    /// Runs `job` on the verification pool: at once if a worker is free,
    /// else after waiting in the bounded queue; [`NodeError::Busy`] if the
    /// queue is full or the wait too long.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, NodeError> {
        let i = &self.inner;
        let permit = match i.workers.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if i.waiting.fetch_add(1, Ordering::SeqCst) >= i.settings.queue {
                    i.waiting.fetch_sub(1, Ordering::SeqCst);
                    return Err(self.busy(format!(
                        "every verification core is taken and {} transactions wait; try again later",
                        i.settings.queue
                    )));
                }
                let _waiting = Waiting(&i.waiting);
                match tokio::time::timeout(i.settings.wait, i.workers.clone().acquire_owned()).await
                {
                    Ok(Ok(p)) => p,
                    Ok(Err(_)) => return Err(self.busy("the node is stopping".into())),
                    Err(_) => {
                        return Err(self.busy(format!(
                            "no verification core free within {} ms; try again later",
                            i.settings.wait.as_millis()
                        )))
                    }
                }
            }
        };
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        })
        .await
        .map_err(|e| NodeError::Server(format!("verification job failed: {e}")))
    }

    /// Step 4: the proof check, batched with the transactions that reach it
    /// while another batch runs.
    async fn check_proof(&self, run: ExecutedTx) -> Result<Result<CheckedTx, VMError>, NodeError> {
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut b = self.inner.batch();
            let most = self.inner.settings.queue.max(MAX_BATCH);
            if b.waiting.len() >= most {
                drop(b);
                return Err(self.busy(format!(
                    "{most} transactions already wait for their proof check; try again later"
                )));
            }
            b.waiting.push((run, reply));
            !std::mem::replace(&mut b.running, true)
        };
        if start {
            let inner = self.inner.clone();
            tokio::task::spawn_blocking(move || inner.check_batches());
        }
        answer
            .await
            .map_err(|_| NodeError::Server("the proof check stopped".into()))
    }

    fn busy(&self, why: String) -> NodeError {
        self.inner.busy.fetch_add(1, Ordering::Relaxed);
        NodeError::Busy(why)
    }

    /// Stages 1 and 2: decode, look the witness up, run the VM. A refusal
    /// is counted in the chain's metrics (crate::metrics).
    pub async fn execute(
        &self,
        chain: &ChainHandle,
        bytes: &[u8],
    ) -> Result<ExecutedTx, NodeError> {
        let run = self.execute_unmetered(chain, bytes).await;
        if let Err(e) = &run {
            chain.metrics().tx_refused(TxRefusal::of(e));
        }
        run
    }

    async fn execute_unmetered(
        &self,
        chain: &ChainHandle,
        bytes: &[u8],
    ) -> Result<ExecutedTx, NodeError> {
        let tx = Tx::from_bytes(bytes).map_err(NodeError::Decode)?;
        let witness = witness_hash(&tx);
        if let Some(error) = self.known_bad(&witness) {
            return Err(NodeError::InvalidTx(error));
        }
        if let Some(txid) = chain.pool_has_witness(witness).await? {
            return Err(BlockchainError::AlreadyKnown { txid }.into());
        }
        self.inner.vm_runs.fetch_add(1, Ordering::Relaxed);
        let metrics = chain.metrics().clone();
        self.run(move || {
            let started = Instant::now();
            let run = ExecutedTx::run(tx);
            metrics.tx_vm.observe(started.elapsed());
            run
        })
        .await?
        .map_err(|e| self.refused(witness, e))
    }

    /// Stages 3 to 5 for a transaction [`Admission::execute`] ran: the
    /// chain's cheap checks, the proof check, the insertion and storage.
    /// The outcome is counted in the chain's metrics (crate::metrics).
    pub async fn finish(
        &self,
        chain: &ChainHandle,
        bytes: Vec<u8>,
        run: ExecutedTx,
    ) -> Result<Admitted, NodeError> {
        let admitted = self.finish_unmetered(chain, bytes, run).await;
        match &admitted {
            Ok(_) => chain.metrics().tx_accepted(),
            Err(e) => chain.metrics().tx_refused(TxRefusal::of(e)),
        }
        admitted
    }

    async fn finish_unmetered(
        &self,
        chain: &ChainHandle,
        bytes: Vec<u8>,
        run: ExecutedTx,
    ) -> Result<Admitted, NodeError> {
        let run = chain.check_admission(run).await?;
        let witness = witness_hash(run.tx());
        self.inner.proof_checks.fetch_add(1, Ordering::Relaxed);
        // Timed from joining a batch to its answer: what a transaction
        // waits for its proof check.
        let started = Instant::now();
        let checked = self.check_proof(run).await?;
        chain.metrics().tx_proof.observe(started.elapsed());
        let checked = checked.map_err(|e| self.refused(witness, e))?;
        let outcome = chain.insert_verified(bytes, checked).await?;
        Ok(Admitted {
            bytes: outcome.0,
            outcome: outcome.1,
        })
    }

    /// The whole admission of `bytes` into `chain`'s mempool.
    pub async fn admit(&self, chain: &ChainHandle, bytes: Vec<u8>) -> Result<Admitted, NodeError> {
        let run = self.execute(chain, &bytes).await?;
        self.finish(chain, bytes, run).await
    }

    fn known_bad(&self, witness: &[u8; 32]) -> Option<VMError> {
        let error = self
            .inner
            .rejected
            .lock()
            .ok()
            .and_then(|r| r.errors.get(witness).cloned());
        if error.is_some() {
            self.inner.known_bad.fetch_add(1, Ordering::Relaxed);
        }
        error
    }

    /// Remembers that the bytes with `witness` fail verification: that
    /// depends on nothing but the bytes.
    fn refused(&self, witness: [u8; 32], error: VMError) -> NodeError {
        if let Ok(mut r) = self.inner.rejected.lock() {
            r.insert(witness, error.clone());
        }
        NodeError::InvalidTx(error)
    }
}

/// Whether `e` is the execution budget running out (docs/spec/zkvm.md
/// §Execution budget), however deep in the program.
pub fn is_over_budget(e: &VMError) -> bool {
    match e {
        VMError::ExecutionBudgetExceeded { .. } => true,
        VMError::Instruction { error, .. } => is_over_budget(error),
        _ => false,
    }
}

/// What a peer that sent a transaction refused with `e` is charged
/// (docs/spec/network.md §Scoring); `None` when the refusal says nothing
/// about the sender (busy, full, conflicting, this node's own failure).
pub fn offence(e: &NodeError) -> Option<Offence> {
    match e {
        NodeError::Decode(_) => Some(Offence::Malformed),
        NodeError::InvalidTx(v) if is_over_budget(v) => Some(Offence::OverBudget),
        NodeError::InvalidTx(_) | NodeError::Chain(BlockchainError::InvalidTx { .. }) => {
            Some(Offence::InvalidTx)
        }
        NodeError::Chain(BlockchainError::AlreadyKnown { .. }) => Some(Offence::Duplicate),
        NodeError::UnknownInput(_) | NodeError::AlreadyConfirmed { .. } => {
            Some(Offence::Unspendable)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_rejected_cache_is_bounded() {
        let mut r = Rejected::default();
        for i in 0..(REJECTED_CAPACITY as u32 + 10) {
            let mut w = [0u8; 32];
            w[..4].copy_from_slice(&i.to_le_bytes());
            r.insert(w, VMError::NonCanonicalScalar);
        }
        assert_eq!(r.errors.len(), REJECTED_CAPACITY);
        assert_eq!(r.order.len(), REJECTED_CAPACITY);
        assert!(!r.errors.contains_key(&[0u8; 32]));
    }

    #[test]
    fn budget_errors_are_found_inside_instructions() {
        let budget = VMError::ExecutionBudgetExceeded {
            needed: 2,
            budget: 1,
        };
        let nested = VMError::Instruction {
            instruction: "eval",
            offset: 0,
            depth: 1,
            error: Box::new(budget.clone()),
        };
        assert!(is_over_budget(&budget) && is_over_budget(&nested));
        assert!(!is_over_budget(&VMError::NonCanonicalScalar));
        assert_eq!(
            offence(&NodeError::InvalidTx(nested)),
            Some(Offence::OverBudget)
        );
    }
}
