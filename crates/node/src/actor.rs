//! The thread that owns the [`Chain`], and the typed handle through which
//! the rest of the node uses it.
//!
//! The UTXO forest (rustreexo's `MemForest`) is built on `Rc` and cannot
//! move between threads, so the chain lives on one thread and one owner
//! means one writer: its operations never interleave. That thread does
//! only what needs the chain's memory. Everything else happens elsewhere:
//!
//! - **Reads that need no memory** come from a [`ChainView`] the thread
//!   publishes after every change (status, snapshot, sync bounds), or
//!   from the database through readers (blocks, contracts), so they never
//!   wait behind an import.
//! - **Block import runs in two stages** (docs/spec/blockchain.md §Apply
//!   block, Two stages): decoding, every VM run and the batched proof
//!   check happen on the blocking pool against a copy of the state, with
//!   the transactions the mempool verified already skipped; the thread
//!   then checks what depends on the tip and commits the received bytes.
//! - **Rendering** (JSON, hex) is the callers': the handle returns data.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

use accumulator::Proof;
use blockchain::{
    witness_hash, Block, BlockID, BlockchainError, ChainState, CheckedTx, ExecutedTx, Genesis,
    InsertOutcome, MempoolPolicy, VerifiedBlock,
};
use tokio::sync::{watch, Semaphore};
use zkvm::{ContractID, FeeRate, TxID, VerifiedTx};

use crate::chain::{BlockSummary, Chain, Seal, TxRecord};
use crate::metrics::{BlockRefusal, BlockSource, Metrics};
use crate::network::CompactBlock;
use crate::store::{BlockReader, ContractReader};
use crate::NodeError;

type Job = Box<dyn FnOnce(&mut Chain) + Send>;

/// Mempool insertions one group commit writes at most.
const MAX_GROUP_COMMIT: usize = 256;

/// The chain as of its last change, published by its thread for readers
/// that must not wait for it.
#[derive(Clone, Debug)]
pub struct ChainView {
    /// The chain state at the tip.
    pub state: ChainState,
    /// The height the chain started from (1, or a snapshot's tip).
    pub base_height: u64,
    /// Whether the chain keeps no UTXO forest (bootstrapped from a
    /// snapshot).
    pub pruned: bool,
    /// Whether this node holds the block key.
    pub producer: bool,
    /// Mempool transactions.
    pub mempool_txs: usize,
    /// Their encoded bytes.
    pub mempool_bytes: usize,
    /// What the mempool accepts.
    pub policy: MempoolPolicy,
}

impl ChainView {
    /// The height of the tip.
    pub fn height(&self) -> u64 {
        self.state.tip.height
    }

    /// The first height whose block is stored here.
    pub fn first_block(&self) -> u64 {
        self.base_height + 1
    }

    /// Whether `other` shows the same chain and pool (nothing to publish).
    fn same_as(&self, other: &ChainView) -> bool {
        self.state.tip == other.state.tip
            && self.mempool_txs == other.mempool_txs
            && self.mempool_bytes == other.mempool_bytes
    }
}

/// How much verification block import did and spared (for status and
/// tests: a block made from the pool, or rebuilt from it, verifies none of
/// its transactions again).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportStats {
    /// Blocks stored (received and produced).
    pub blocks: u64,
    /// Transactions of stored blocks whose VM ran and whose proof was
    /// checked during import.
    pub txs_verified: u64,
    /// Transactions of stored blocks that were verified before (in the
    /// mempool, or made into a block from it) and not again.
    pub txs_known: u64,
}

#[derive(Debug, Default)]
struct Counters {
    blocks: AtomicU64,
    txs_verified: AtomicU64,
    txs_known: AtomicU64,
}

impl Counters {
    fn count(&self, verified_here: usize, txs: usize) {
        self.blocks.fetch_add(1, Ordering::Relaxed);
        self.txs_verified
            .fetch_add(verified_here as u64, Ordering::Relaxed);
        self.txs_known
            .fetch_add(txs.saturating_sub(verified_here) as u64, Ordering::Relaxed);
    }
}

/// A decided block's stored encoding and its encoded commit certificate.
pub type Decided = (Vec<u8>, Vec<u8>);

/// What became of a block offered for import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Import {
    /// Stored as the new tip.
    Stored(BlockSummary),
    /// At or below the tip: nothing to do.
    Known,
    /// Above the tip's successor: blocks in between are missing.
    Ahead(u64),
    /// A compact block whose transactions are not all in the mempool:
    /// the full block at this height is needed.
    NeedFull(u64),
}

/// A block the node made and stored, to announce.
#[derive(Debug)]
pub struct Produced {
    /// What it changed.
    pub summary: BlockSummary,
    /// The block (its encoding is what was stored).
    pub block: Block,
}

/// A mempool entry, as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolEntry {
    /// Its ID.
    pub txid: TxID,
    /// Its encoded size.
    pub size: usize,
    /// Its fee rate.
    pub fee_rate: FeeRate,
}

/// Sends work to the chain's thread; cheap to clone. The thread ends when
/// the last handle is dropped.
#[derive(Clone, Debug)]
pub struct ChainHandle {
    jobs: mpsc::Sender<Job>,
    view: watch::Receiver<Arc<ChainView>>,
    genesis: Arc<Genesis>,
    /// On a validators chain, what seals its blocks: checked on every
    /// received block before any other work.
    seal: Option<Arc<Seal>>,
    blocks: BlockReader,
    contracts: ContractReader,
    /// One block in stage 1 at a time: blocks apply in order anyway, and
    /// this bounds the memory of blocks being verified.
    importing: Arc<Semaphore>,
    counters: Arc<Counters>,
    metrics: Arc<Metrics>,
}

impl ChainHandle {
    /// Starts the chain's thread: `open` runs on it and makes the chain
    /// (its error is returned here).
    pub fn spawn(
        open: impl FnOnce() -> Result<Chain, NodeError> + Send + 'static,
    ) -> Result<(ChainHandle, JoinHandle<()>), NodeError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        type Ready = (
            watch::Receiver<Arc<ChainView>>,
            Genesis,
            Option<Arc<Seal>>,
            BlockReader,
            ContractReader,
        );
        let (ready_tx, ready_rx) = mpsc::channel::<Result<Ready, NodeError>>();
        let thread = std::thread::Builder::new()
            .name("zkvm-chain".into())
            .spawn(move || {
                let mut chain = match open() {
                    Ok(chain) => chain,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let mut last = chain.view();
                let (publish, view) = watch::channel(Arc::new(last.clone()));
                let _ = ready_tx.send(Ok((
                    view,
                    chain.genesis().clone(),
                    chain.seal().cloned(),
                    chain.block_reader(),
                    chain.contract_reader(),
                )));
                let mut publish_view = |chain: &Chain| {
                    let now = chain.view();
                    if !now.same_as(&last) {
                        last = now.clone();
                        publish.send_replace(Arc::new(now));
                    }
                };
                while let Ok(job) = queue.recv() {
                    job(&mut chain);
                    // The view is published before the group commit
                    // answers, so a caller told "accepted" sees it.
                    publish_view(&chain);
                    // Group commit: while more work is queued, deferred
                    // mempool writes wait (up to a bound) and go to disk
                    // together once the queue is empty.
                    while let Ok(job) = queue.try_recv() {
                        if chain.pending_writes() >= MAX_GROUP_COMMIT {
                            chain.flush();
                        }
                        job(&mut chain);
                        publish_view(&chain);
                    }
                    chain.flush();
                    publish_view(&chain);
                }
            })
            .map_err(|e| NodeError::Server(format!("cannot start the chain thread: {e}")))?;
        match ready_rx.recv() {
            Ok(Ok((view, genesis, seal, blocks, contracts))) => Ok((
                ChainHandle {
                    jobs,
                    view,
                    genesis: Arc::new(genesis),
                    seal,
                    blocks,
                    contracts,
                    importing: Arc::new(Semaphore::new(1)),
                    counters: Arc::default(),
                    metrics: Arc::default(),
                },
                thread,
            )),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => Err(NodeError::Server(
                "the chain thread died while opening".into(),
            )),
        }
    }

    /// Runs `f` on the chain and waits for its result without blocking the
    /// async runtime.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Chain) -> T + Send + 'static,
    ) -> Result<T, NodeError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |c| {
                let _ = tx.send(f(c));
            }))
            .map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())
    }

    /// Runs `f` on the chain and blocks until it is done (outside async
    /// code).
    fn run_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Chain) -> T + Send + 'static,
    ) -> Result<T, NodeError> {
        let (tx, rx) = mpsc::channel();
        self.jobs
            .send(Box::new(move |c| {
                let _ = tx.send(f(c));
            }))
            .map_err(|_| stopped())?;
        rx.recv().map_err(|_| stopped())
    }

    // ---- Reads that never wait for the chain's thread.

    /// The chain as of its last change.
    pub fn view(&self) -> Arc<ChainView> {
        self.view.borrow().clone()
    }

    /// A receiver of every published view (e.g. to wait for a height).
    pub fn watch(&self) -> watch::Receiver<Arc<ChainView>> {
        self.view.clone()
    }

    /// The network's genesis.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// On a validators chain, what seals its blocks.
    pub fn seal(&self) -> Option<&Arc<Seal>> {
        self.seal.as_ref()
    }

    /// Reads stored blocks.
    pub fn blocks(&self) -> &BlockReader {
        &self.blocks
    }

    /// Reads the contract index.
    pub fn contracts(&self) -> &ContractReader {
        &self.contracts
    }

    /// The node's metrics (crate::metrics), shared by every clone.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// How much verification block import did and spared so far.
    pub fn import_stats(&self) -> ImportStats {
        let c = &self.counters;
        ImportStats {
            blocks: c.blocks.load(Ordering::Relaxed),
            txs_verified: c.txs_verified.load(Ordering::Relaxed),
            txs_known: c.txs_known.load(Ordering::Relaxed),
        }
    }

    // ---- Reads of the chain's memory.

    /// A confirmed or pending transaction.
    pub async fn tx(&self, id: TxID) -> Result<Option<TxRecord>, NodeError> {
        self.run(move |c| c.tx(&id)).await?
    }

    /// [`ChainHandle::tx`] outside async code.
    pub fn tx_blocking(&self, id: TxID) -> Result<Option<TxRecord>, NodeError> {
        self.run_blocking(move |c| c.tx(&id))?
    }

    /// The mempool, highest fee rate first, at most `max` entries.
    pub async fn pool(&self, max: usize) -> Result<Vec<PoolEntry>, NodeError> {
        self.run(move |c| {
            c.mempool()
                .iter_by_fee_rate()
                .take(max)
                .map(|e| PoolEntry {
                    txid: e.txid(),
                    size: e.size(),
                    fee_rate: e.fee_rate(),
                })
                .collect()
        })
        .await
    }

    /// Whether the mempool holds `id`.
    pub fn pool_contains_blocking(&self, id: TxID) -> Result<bool, NodeError> {
        self.run_blocking(move |c| c.mempool().get(&id).is_some())
    }

    /// The IDs of `ids` the mempool does not hold, in order, without
    /// repeats.
    pub async fn missing_from_pool(&self, ids: Vec<TxID>) -> Result<Vec<TxID>, NodeError> {
        self.run(move |c| {
            let mut seen = std::collections::HashSet::new();
            ids.into_iter()
                .filter(|id| seen.insert(*id) && c.mempool().get(id).is_none())
                .collect()
        })
        .await
    }

    /// The encodings of the pool transactions among `ids`, in order,
    /// stopping once they pass `soft_limit` bytes.
    pub async fn pool_txs(
        &self,
        ids: Vec<TxID>,
        soft_limit: usize,
    ) -> Result<Vec<Vec<u8>>, NodeError> {
        self.run(move |c| {
            let mut txs = Vec::new();
            let mut size = 0;
            for id in &ids {
                if let Some(e) = c.mempool().get(id) {
                    let bytes = zkvm::Encodable::encode_to_vec(e.tx());
                    size += bytes.len();
                    txs.push(bytes);
                    if size >= soft_limit {
                        break;
                    }
                }
            }
            txs
        })
        .await
    }

    /// The pool transaction with this witness hash, if any.
    pub async fn pool_has_witness(&self, witness: [u8; 32]) -> Result<Option<TxID>, NodeError> {
        self.run(move |c| c.mempool().by_witness(&witness)).await
    }

    /// A proof that `id` is unspent, with the height it is for.
    pub async fn utxo_proof(&self, id: ContractID) -> Result<Option<(Proof, u64)>, NodeError> {
        self.run(move |c| Ok(c.utxo_proof(&id)?.map(|p| (p, c.state().tip.height))))
            .await?
    }

    /// The height of block `id` (1 for the initial header), from the
    /// database.
    pub fn height_of(&self, id: &BlockID) -> Result<Option<u64>, NodeError> {
        if *id == self.view().state.initial.id() {
            return Ok(Some(1));
        }
        self.blocks.height_of(id)
    }

    // ---- Admission (crate::admission).

    /// Stage c of admission: [`Chain::check_admission`].
    pub async fn check_admission(&self, run: ExecutedTx) -> Result<ExecutedTx, NodeError> {
        self.run(move |c| c.check_admission(&run).map(|()| run))
            .await?
    }

    /// Inserts a transaction verified in full and stores it
    /// ([`Chain::submit_verified`]).
    /// Stored by the next group commit, which answers.
    pub async fn insert_verified(
        &self,
        bytes: Vec<u8>,
        checked: CheckedTx,
    ) -> Result<(Vec<u8>, InsertOutcome), NodeError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |c| {
                c.submit_deferred(
                    bytes,
                    checked,
                    Box::new(move |r| {
                        let _ = tx.send(r);
                    }),
                )
            }))
            .map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    /// Verifies and admits a transaction on the chain's thread, all of it
    /// there ([`Chain::submit`]): for tools and tests; the node admits
    /// through [`crate::Admission`].
    pub fn submit_blocking(&self, bytes: Vec<u8>) -> Result<InsertOutcome, NodeError> {
        self.run_blocking(move |c| c.submit(&bytes))?
    }

    // ---- Blocks.

    /// Imports a block received as `bytes` (docs/spec/blockchain.md §Apply
    /// block, Two stages): decoded and verified on the blocking pool
    /// against a copy of the state, skipping the transactions the mempool
    /// verified already, then stored as received by the chain's thread.
    /// An invalid block is [`NodeError::Chain`].
    pub async fn import_block(&self, bytes: Vec<u8>) -> Result<Import, NodeError> {
        let imported = self.import_block_unmetered(bytes).await;
        self.count_import(&imported);
        imported
    }

    async fn import_block_unmetered(&self, bytes: Vec<u8>) -> Result<Import, NodeError> {
        let _turn = self.importing.acquire().await.map_err(|_| stopped())?;
        let (block, bytes, witnesses) = match decode_block(bytes, self.seal.clone()).await {
            Ok(decoded) => decoded,
            // Too far above the tip for its validator set to be known
            // (docs/spec/consensus.md §Validator-set changes): a block
            // ahead, not a bad one.
            Err(NodeError::Consensus(consensus::ConsensusError::SetUnknown { height, .. })) => {
                return Ok(Import::Ahead(height))
            }
            Err(e) => return Err(e),
        };
        let height = block.header.height;
        if let Some(placed) = self.place(height) {
            return Ok(placed);
        }
        let context = self
            .run(move |c| {
                c.state().check_header(&block.header)?;
                Ok::<_, NodeError>((block, c.state().clone(), c.known_verified(&witnesses)))
            })
            .await?;
        let (block, state, known) = match context {
            Ok(context) => context,
            // The tip moved since the view was read.
            Err(NodeError::Chain(BlockchainError::BadHeight { .. })) => {
                return Ok(self.placed(height))
            }
            Err(e) => return Err(e),
        };
        self.verify_and_store(block, bytes, state, known).await
    }

    /// Imports a compact block (docs/spec/network.md §Compact blocks): its
    /// header checked and its transactions found in the mempool by the
    /// chain's thread, then verified as [`ChainHandle::import_block`] does,
    /// which, every transaction being a pool one, runs no VM.
    pub async fn import_compact(&self, compact: CompactBlock) -> Result<Import, NodeError> {
        let imported = self.import_compact_unmetered(compact).await;
        self.count_import(&imported);
        imported
    }

    /// Counts an import's outcome in the metrics: a block stored, or
    /// refused by reason (a stopping node's failures are not refusals).
    fn count_import(&self, imported: &Result<Import, NodeError>) {
        match imported {
            Ok(Import::Stored(_)) => self.metrics.block_accepted(BlockSource::Imported),
            Ok(_) | Err(NodeError::Server(_)) => {}
            Err(e) => self.metrics.block_refused(BlockRefusal::of(e)),
        }
    }

    async fn import_compact_unmetered(&self, compact: CompactBlock) -> Result<Import, NodeError> {
        let _turn = self.importing.acquire().await.map_err(|_| stopped())?;
        let height = compact.header.height;
        if let Some(placed) = self.place(height) {
            return Ok(placed);
        }
        let context = self
            .run(move |c| {
                c.state().check_header(&compact.header)?;
                match c.seal() {
                    Some(seal) => {
                        seal.check(&compact.header, compact.certificate.as_deref())?;
                    }
                    None if compact.certificate.is_some() => {
                        return Err(BlockchainError::CertificateOnKeyChain.into());
                    }
                    None => blockchain::verify_header_signature(
                        &compact.header,
                        &compact.signature,
                        &c.state().signers,
                    )?,
                }
                let Some(block) = compact.rebuild(c.mempool()) else {
                    return Ok(None);
                };
                let witnesses: Vec<[u8; 32]> = block.txs.iter().map(witness_hash).collect();
                let known = c.known_verified(&witnesses);
                Ok::<_, NodeError>(Some((block, c.state().clone(), known)))
            })
            .await?;
        let (block, state, known) = match context {
            Ok(Some(context)) => context,
            Ok(None) => return Ok(Import::NeedFull(height)),
            Err(NodeError::Chain(BlockchainError::BadHeight { .. })) => {
                return Ok(self.placed(height))
            }
            Err(e) => return Err(e),
        };
        let bytes = block.to_bytes();
        self.verify_and_store(block, bytes, state, known).await
    }

    /// Where a block of `height` stands against the tip: `None` if it is
    /// the tip's successor (to import), else known or ahead.
    fn place(&self, height: u64) -> Option<Import> {
        let tip = self.view().height();
        if height <= tip {
            Some(Import::Known)
        } else if height > tip + 1 {
            Some(Import::Ahead(height))
        } else {
            None
        }
    }

    /// Where a block of `height` stands now that the tip moved.
    fn placed(&self, height: u64) -> Import {
        self.place(height).unwrap_or(Import::Ahead(height))
    }

    /// Stage 1 on the blocking pool, then stage 2 on the chain's thread.
    async fn verify_and_store(
        &self,
        block: Block,
        bytes: Vec<u8>,
        state: ChainState,
        known: HashMap<[u8; 32], VerifiedTx>,
    ) -> Result<Import, NodeError> {
        let height = block.header.height;
        let started = std::time::Instant::now();
        let verified = tokio::task::spawn_blocking(move || {
            VerifiedBlock::verify_decoded(block, bytes, &state, &known)
        })
        .await
        .map_err(|e| NodeError::Server(format!("block verification failed: {e}")))??;
        let (here, txs) = (verified.verified_here(), verified.applied().txs.len());
        // Counted on the chain's thread, before the block is visible, so
        // whoever sees the block sees it counted.
        let counters = self.counters.clone();
        let stored = self.run(move |c| {
            if c.state().tip.height >= height {
                return Ok::<_, NodeError>(None); // Arrived another way meanwhile.
            }
            let summary = c.import(verified)?;
            counters.count(here, txs);
            Ok(Some(summary))
        });
        let stored = stored.await??;
        self.metrics.block_import.observe(started.elapsed());
        match stored {
            Some(summary) => Ok(Import::Stored(summary)),
            None => Ok(Import::Known),
        }
    }

    // ---- Consensus (crate::validator, docs/spec/consensus.md §Node).

    /// Stores equivocation evidence (docs/spec/consensus.md §Evidence),
    /// keeping the newest [`crate::MAX_EVIDENCE_STORED`] records.
    pub async fn record_evidence(
        &self,
        records: Vec<consensus::Evidence>,
    ) -> Result<(), NodeError> {
        let encoded: Vec<Vec<u8>> = records.iter().map(consensus::Evidence::to_bytes).collect();
        self.run(move |c| c.record_evidence(&encoded)).await?
    }

    /// At most `max` stored evidence records, newest first, each with its
    /// sequence number (a store read; never waits for the chain's thread).
    /// A record that does not decode is the store's corruption.
    pub fn evidence(&self, max: usize) -> Result<Vec<(u64, consensus::Evidence)>, NodeError> {
        self.blocks()
            .evidence(max)?
            .into_iter()
            .map(|(seq, bytes)| {
                consensus::Evidence::from_bytes(&bytes)
                    .map(|e| (seq, e))
                    .map_err(|e| NodeError::Corrupt(format!("stored evidence record {seq}: {e}")))
            })
            .collect()
    }

    /// The validator key (the block key), on a producing node.
    pub async fn validator_key(&self) -> Result<Option<musig::SecretKey>, NodeError> {
        self.run(|c| c.block_key().cloned()).await
    }

    /// Makes the next block from the mempool, verified by construction
    /// (no pool transaction is verified again), without storing it
    /// ([`Chain::propose`]): consensus decides whether it becomes the tip.
    pub async fn propose_block(&self, now_ms: u64) -> Result<VerifiedBlock, NodeError> {
        self.run(move |c| c.propose(now_ms)).await?
    }

    /// Stage 1 of import for a proposed block (docs/spec/blockchain.md
    /// §Apply block, Two stages): decoded and verified in full on the
    /// blocking pool against the tip's state, skipping the transactions
    /// the mempool verified already; nothing is stored. A block that is
    /// not the tip's successor is [`BlockchainError::BadHeight`].
    pub async fn verify_proposal(&self, bytes: Vec<u8>) -> Result<VerifiedBlock, NodeError> {
        // A proposal is not sealed yet: the votes it gathers will be.
        let (block, bytes, witnesses) = decode_block(bytes, None).await?;
        let (block, state, known) = self
            .run(move |c| {
                c.state().check_header(&block.header)?;
                Ok::<_, NodeError>((block, c.state().clone(), c.known_verified(&witnesses)))
            })
            .await??;
        let verified = tokio::task::spawn_blocking(move || {
            VerifiedBlock::verify_decoded(block, bytes, &state, &known)
        })
        .await
        .map_err(|e| NodeError::Server(format!("block verification failed: {e}")))??;
        // A validator votes for no block that the chain would refuse to
        // store: its validator-set change is judged here too.
        crate::chain::check_set_change(
            self.seal.as_deref(),
            verified.header().height,
            &verified.applied().txs,
        )?;
        Ok(verified)
    }

    /// Stage 2 for a decided block: stores it as the new tip with its
    /// encoded commit certificate, in one database transaction
    /// ([`Chain::import_decided`]). [`Import::Known`] if the tip reached
    /// its height meanwhile.
    pub async fn store_decided(
        &self,
        verified: VerifiedBlock,
        certificate: Vec<u8>,
    ) -> Result<Import, NodeError> {
        let height = verified.header().height;
        let (here, txs) = (verified.verified_here(), verified.applied().txs.len());
        let counters = self.counters.clone();
        let stored = self
            .run(move |c| {
                if c.state().tip.height >= height {
                    return Ok::<_, NodeError>(None);
                }
                let summary = c.import_decided(verified, &certificate)?;
                counters.count(here, txs);
                Ok(Some(summary))
            })
            .await??;
        match stored {
            Some(summary) => {
                self.metrics.block_accepted(BlockSource::Produced);
                Ok(Import::Stored(summary))
            }
            None => Ok(Import::Known),
        }
    }

    /// The stored block at `height` and its encoded commit certificate,
    /// when both exist (a block the block key alone made has none).
    pub fn decided(&self, height: u64) -> Result<Option<Decided>, NodeError> {
        let Some(certificate) = self.blocks.certificate_bytes(height)? else {
            return Ok(None);
        };
        let Some(block) = self.blocks.block_bytes(height)? else {
            return Err(NodeError::Corrupt(format!(
                "a certificate without its block at height {height}"
            )));
        };
        Ok(Some((block, certificate)))
    }

    /// Makes, stores and returns the next block from the mempool if it
    /// holds transactions, or an empty one if `empty_due`
    /// ([`Chain::produce_block`]: no transaction is verified again).
    pub async fn produce(
        &self,
        now_ms: u64,
        empty_due: bool,
    ) -> Result<Option<Produced>, NodeError> {
        let (metrics, counters) = (self.metrics.clone(), self.counters.clone());
        let made = self
            .run(move |c| {
                if c.mempool().is_empty() && !empty_due {
                    return Ok(None);
                }
                let started = std::time::Instant::now();
                let made = c.produce(now_ms)?;
                metrics.block_produce.observe(started.elapsed());
                counters.count(0, made.summary.txids.len());
                Ok::<_, NodeError>(Some(made))
            })
            .await??;
        if made.is_some() {
            self.metrics.block_accepted(BlockSource::Produced);
        }
        Ok(made)
    }

    /// [`ChainHandle::produce`] outside async code, whatever the pool.
    pub fn produce_blocking(&self, now_ms: u64) -> Result<Produced, NodeError> {
        let (metrics, counters) = (self.metrics.clone(), self.counters.clone());
        let made = self.run_blocking(move |c| {
            let started = std::time::Instant::now();
            let made = c.produce(now_ms)?;
            metrics.block_produce.observe(started.elapsed());
            counters.count(0, made.summary.txids.len());
            Ok::<_, NodeError>(made)
        })??;
        self.metrics.block_accepted(BlockSource::Produced);
        Ok(made)
    }
}

/// Decodes a received block on the blocking pool, with its transactions'
/// witness hashes (what the mempool's verified entries are keyed by). On
/// a validators chain (`seal`) the block's certificate is checked right
/// after decoding, before any other work: a block without a quorum's
/// signatures costs its receiver a few signature checks at most.
async fn decode_block(
    bytes: Vec<u8>,
    seal: Option<Arc<Seal>>,
) -> Result<(Block, Vec<u8>, Vec<[u8; 32]>), NodeError> {
    let decoded = tokio::task::spawn_blocking(move || {
        let block = Block::from_bytes(&bytes)?;
        if let Some(seal) = &seal {
            seal.check(&block.header, block.certificate.as_deref())?;
        }
        let witnesses: Vec<[u8; 32]> = block.txs.iter().map(witness_hash).collect();
        Ok::<_, NodeError>((block, bytes, witnesses))
    })
    .await
    .map_err(|e| NodeError::Server(format!("block decoding failed: {e}")))?;
    decoded
}

fn stopped() -> NodeError {
    NodeError::Server("the chain thread has stopped".into())
}
