//! What the mempool keeps of a transaction, and what its changes report
//! (docs/spec/blockchain.md §Mempool).

use accumulator::{Proof, ZkvmHash};
use zkvm::{ContractID, FeeRate, Tx, TxHeader, TxID, VerifiedTx};

use crate::utxo_leaf;

/// A transaction in the mempool, with the Utreexo proof of the inputs it
/// spends from the UTXO set (docs/spec/blockchain.md §Mempool, Entries).
#[derive(Clone, Debug)]
pub struct MempoolEntry {
    pub(super) tx: Tx,
    pub(super) txid: TxID,
    pub(super) witness: [u8; 32],
    pub(super) fee_rate: FeeRate,
    pub(super) size: usize,
    /// Arrival order: breaks fee-rate ties (earlier first).
    pub(super) seq: u64,
    /// Every input, in log order.
    pub(super) inputs: Vec<ContractID>,
    /// Every output, in log order.
    pub(super) outputs: Vec<ContractID>,
    /// The inputs that are not outputs of pool transactions, in log order.
    pub(super) utxo_inputs: Vec<ContractID>,
    /// Proof of `utxo_inputs` against the UTXO set of the pool's tip.
    pub(super) utxo_proof: Proof,
    /// What its verification established (ID, log, fee rate): kept so
    /// that a block made from the pool, or received with pool
    /// transactions in it, never verifies them again.
    pub(super) verified: VerifiedTx,
}

impl MempoolEntry {
    /// The transaction.
    pub fn tx(&self) -> &Tx {
        &self.tx
    }

    /// Its ID.
    pub fn txid(&self) -> TxID {
        self.txid
    }

    /// What its verification established: ID, log and fee rate.
    pub fn verified(&self) -> &VerifiedTx {
        &self.verified
    }

    /// Its witness hash (of the whole encoding).
    pub fn witness(&self) -> &[u8; 32] {
        &self.witness
    }

    /// Its version and time bounds.
    pub fn header(&self) -> &TxHeader {
        &self.tx.header
    }

    /// Its fee per byte.
    pub fn fee_rate(&self) -> FeeRate {
        self.fee_rate
    }

    /// Its encoded size in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The outputs it spends, in log order.
    pub fn inputs(&self) -> &[ContractID] {
        &self.inputs
    }

    /// The outputs it creates, in log order.
    pub fn outputs(&self) -> &[ContractID] {
        &self.outputs
    }

    /// The inputs it spends from the UTXO set (not from pool transactions),
    /// in log order: the leaves [`MempoolEntry::utxo_proof`] proves.
    pub fn utxo_inputs(&self) -> &[ContractID] {
        &self.utxo_inputs
    }

    /// The UTXO set's leaves of [`MempoolEntry::utxo_inputs`].
    pub fn utxo_leaves(&self) -> Vec<ZkvmHash> {
        self.utxo_inputs.iter().map(utxo_leaf).collect()
    }

    /// The Utreexo proof of [`MempoolEntry::utxo_leaves`] against the UTXO
    /// set of the chain state the pool follows; kept up to date block by
    /// block.
    pub fn utxo_proof(&self) -> &Proof {
        &self.utxo_proof
    }

    /// Whether a block at `timestamp_ms` may include it.
    pub fn valid_at(&self, timestamp_ms: u64) -> bool {
        self.tx.header.mintime_ms <= timestamp_ms && timestamp_ms <= self.tx.header.maxtime_ms
    }
}

/// What an accepted transaction did to the pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsertOutcome {
    /// The transaction's ID.
    pub txid: TxID,
    /// Its fee rate.
    pub fee_rate: FeeRate,
    /// Transactions it replaced (those spending its inputs), with their
    /// descendants.
    pub replaced: Vec<TxID>,
    /// Transactions evicted to make room (lower fee rates), with their
    /// descendants.
    pub evicted: Vec<TxID>,
}

/// What a block did to the pool: every transaction that left it, and why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockRemovals {
    /// Pool transactions the block includes (same txid).
    pub included: Vec<TxID>,
    /// Transactions that spend an output the block spent, with their
    /// descendants.
    pub conflicting: Vec<TxID>,
    /// Transactions whose `maxtime_ms` is not after the new tip's timestamp,
    /// with their descendants.
    pub expired: Vec<TxID>,
    /// Transactions with an input that is no longer an unspent output nor a
    /// pool transaction's output (the pool missed a block that spent it),
    /// with their descendants.
    pub unprovable: Vec<TxID>,
}
