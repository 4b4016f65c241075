//! What the network needs of the chain (docs/spec/network.md §Sync,
//! §Pool exchange, §Admission), as one small trait: the network knows no
//! chain internals, and its protocols can be driven against a fake in
//! tests.

use std::future::Future;

use zkvm::TxID;

use super::compact::CompactBlock;
use super::messages::{PeerStatus, SignedHeader};
use crate::actor::{ChainHandle, Import};
use crate::admission::Admission;
use crate::NodeError;
use blockchain::ExecutedTx;

/// The chain as the network sees it: its tip, its stored blocks, block
/// import, and the mempool's listing and admission.
pub trait ChainAccess: Clone + Send + Sync + 'static {
    /// A transaction whose VM run passed, waiting for the rest of its
    /// admission (docs/spec/network.md §Admission, steps 3 to 5).
    type Executed: Send + 'static;

    /// The tip as a status answer says it (the published view: never
    /// waits for the chain).
    fn status(&self) -> PeerStatus;

    /// Whether the chain keeps no UTXO forest (started from a snapshot):
    /// it takes no transactions.
    fn pruned(&self) -> bool;

    /// The chain state's snapshot (docs/spec/blockchain.md §Snapshot).
    fn snapshot(&self) -> Vec<u8>;

    /// At most `max` of the validator-set changes the chain applied,
    /// included at `from` or above, oldest first, each with its inclusion
    /// height and encoding; `None` on a block-key chain, which has none
    /// (docs/spec/consensus.md §Validator-set changes, Snapshots).
    fn set_changes(&self, from: u64, max: usize) -> Option<Vec<(u64, Vec<u8>)>>;

    /// The signed headers of the stored blocks at heights `from..end`
    /// (blocking: a store read).
    fn headers(&self, from: u64, end: u64) -> Result<Vec<SignedHeader>, NodeError>;

    /// The stored blocks at heights `from..end`, stopping after the one
    /// that passes `soft_limit` bytes; an error only if no block was read
    /// (blocking: a store read).
    fn blocks(&self, from: u64, end: u64, soft_limit: usize) -> Result<Vec<Vec<u8>>, NodeError>;

    /// Imports a block's encoding if it extends the tip.
    fn import_block(
        &self,
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<Import, NodeError>> + Send;

    /// Imports a compact block rebuilt from the mempool, or says the full
    /// block is needed.
    fn import_compact(
        &self,
        compact: CompactBlock,
    ) -> impl Future<Output = Result<Import, NodeError>> + Send;

    /// The mempool's transaction IDs in block production order, at most
    /// `max`.
    fn pool(&self, max: usize) -> impl Future<Output = Result<Vec<TxID>, NodeError>> + Send;

    /// The encodings of the pool transactions among `ids`, in order,
    /// stopping once they pass `soft_limit` bytes.
    fn pool_txs(
        &self,
        ids: Vec<TxID>,
        soft_limit: usize,
    ) -> impl Future<Output = Result<Vec<Vec<u8>>, NodeError>> + Send;

    /// The IDs of `ids` the mempool does not hold, in order, without
    /// repeats.
    fn missing_from_pool(
        &self,
        ids: Vec<TxID>,
    ) -> impl Future<Output = Result<Vec<TxID>, NodeError>> + Send;

    /// The whole admission of a transaction's encoding into the mempool.
    fn admit(&self, bytes: Vec<u8>) -> impl Future<Output = Result<(), NodeError>> + Send;

    /// Admission's first stages: decode, look the witness up, run the VM.
    fn execute(
        &self,
        bytes: &[u8],
    ) -> impl Future<Output = Result<Self::Executed, NodeError>> + Send;

    /// The ID of an executed transaction.
    fn txid(run: &Self::Executed) -> TxID;

    /// Admission's last stages for an executed transaction: the chain's
    /// checks, the proof, the insertion. Returns the bytes stored.
    fn finish(
        &self,
        bytes: Vec<u8>,
        run: Self::Executed,
    ) -> impl Future<Output = Result<Vec<u8>, NodeError>> + Send;

    /// How many verification jobs run at once.
    fn workers(&self) -> usize;
}

/// This node's chain and the admission path its verification pool runs
/// (shared with the API).
#[derive(Clone, Debug)]
pub(crate) struct NodeChain {
    pub(crate) chain: ChainHandle,
    pub(crate) admission: Admission,
}

impl ChainAccess for NodeChain {
    type Executed = ExecutedTx;

    fn status(&self) -> PeerStatus {
        let view = self.chain.view();
        PeerStatus {
            network: view.state.initial.id(),
            height: view.height(),
            tip: view.state.tip.id(),
            first_block: view.first_block(),
        }
    }

    fn pruned(&self) -> bool {
        self.chain.view().pruned
    }

    fn snapshot(&self) -> Vec<u8> {
        self.chain.view().state.to_snapshot()
    }

    fn set_changes(&self, from: u64, max: usize) -> Option<Vec<(u64, Vec<u8>)>> {
        self.chain
            .seal()
            .map(|seal| seal.changes_between(from, u64::MAX, max))
    }

    fn headers(&self, from: u64, end: u64) -> Result<Vec<SignedHeader>, NodeError> {
        let reader = self.chain.blocks();
        (from..end)
            .map(|h| match reader.with_block_bytes(h, signed_header)? {
                Some(Some(header)) => Ok(header),
                Some(None) => Err(NodeError::Corrupt(format!("block {h} does not decode"))),
                None => Err(NodeError::Corrupt(format!("block {h} is missing"))),
            })
            .collect()
    }

    fn blocks(&self, from: u64, end: u64, soft_limit: usize) -> Result<Vec<Vec<u8>>, NodeError> {
        let reader = self.chain.blocks();
        let mut blocks = Vec::new();
        let mut size = 0;
        for h in from..end {
            match reader.block_bytes(h) {
                Ok(Some(bytes)) => {
                    size += bytes.len();
                    blocks.push(bytes);
                    if size >= soft_limit {
                        break;
                    }
                }
                Ok(None) => break,
                // What was read is sent; the error only if nothing was.
                Err(e) if blocks.is_empty() => return Err(e),
                Err(_) => break,
            }
        }
        Ok(blocks)
    }

    async fn import_block(&self, bytes: Vec<u8>) -> Result<Import, NodeError> {
        self.chain.import_block(bytes).await
    }

    async fn import_compact(&self, compact: CompactBlock) -> Result<Import, NodeError> {
        self.chain.import_compact(compact).await
    }

    async fn pool(&self, max: usize) -> Result<Vec<TxID>, NodeError> {
        let pool = self.chain.pool(max).await?;
        Ok(pool.into_iter().map(|e| e.txid).collect())
    }

    async fn pool_txs(&self, ids: Vec<TxID>, soft_limit: usize) -> Result<Vec<Vec<u8>>, NodeError> {
        self.chain.pool_txs(ids, soft_limit).await
    }

    async fn missing_from_pool(&self, ids: Vec<TxID>) -> Result<Vec<TxID>, NodeError> {
        self.chain.missing_from_pool(ids).await
    }

    async fn admit(&self, bytes: Vec<u8>) -> Result<(), NodeError> {
        self.admission.admit(&self.chain, bytes).await.map(drop)
    }

    async fn execute(&self, bytes: &[u8]) -> Result<ExecutedTx, NodeError> {
        self.admission.execute(&self.chain, bytes).await
    }

    fn txid(run: &ExecutedTx) -> TxID {
        run.txid()
    }

    async fn finish(&self, bytes: Vec<u8>, run: ExecutedTx) -> Result<Vec<u8>, NodeError> {
        Ok(self.admission.finish(&self.chain, bytes, run).await?.bytes)
    }

    fn workers(&self) -> usize {
        self.admission.workers()
    }
}

/// The header and signature at the start of a stored block's encoding
/// (docs/spec/blockchain.md §Block encoding), without decoding the rest.
fn signed_header(block: &[u8]) -> Option<SignedHeader> {
    let mut r = encoding::Reader::new(block);
    let header = blockchain::BlockHeader::decode(&mut r).ok()?;
    let signature = musig::Signature::from_bytes(r.read_bytes(64).ok()?).ok()?;
    Some(SignedHeader { header, signature })
}
