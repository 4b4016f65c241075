//! Chain state and the procedures that change it (docs/spec/blockchain.md
//! §Chain state, §Start network, §Apply block, §Make block).

use std::collections::{HashMap, HashSet};

use accumulator::{Accumulator, Forest, ZkvmHash};
use musig::{SecretKey, VerificationKey};
use zkvm::{ContractID, PrecomputedTx, Tx, TxLog, VerifiedTx};

use crate::block::{txroot, utxoroot};
use crate::{Block, BlockHeader, BlockID, BlockchainError, VerifiedBlock, CURRENT_BLOCK_VERSION};

/// What every node keeps: the initial and latest headers, the UTXO set as
/// Utreexo roots, and the key that signs blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainState {
    /// The header at height 1.
    pub initial: BlockHeader,
    /// The latest header.
    pub tip: BlockHeader,
    /// The UTXO set.
    pub utxos: Accumulator,
    /// The block signers' (possibly aggregated) key.
    pub signers: VerificationKey,
}

/// What applying a block changed: its verified transactions and the UTXO
/// set's additions and deletions (for a full forest or a wallet to follow).
#[derive(Clone, Debug)]
pub struct AppliedBlock {
    /// The verified transactions, in order.
    pub txs: Vec<VerifiedTx>,
    /// Leaves added (outputs not spent within the block), in order.
    pub additions: Vec<ZkvmHash>,
    /// Leaves deleted (inputs of earlier outputs), in order.
    pub deletions: Vec<ZkvmHash>,
}

/// The UTXO set's leaf for an output's contract ID.
pub fn utxo_leaf(id: &ContractID) -> ZkvmHash {
    ZkvmHash::leaf(&id.to_bytes())
}

impl ChainState {
    /// Starts a network: the initial header (height 1, no transactions) over
    /// the UTXO set `initial_utxos`, which bootstraps the anchors.
    pub fn start(
        timestamp_ms: u64,
        signers: VerificationKey,
        initial_utxos: &[ContractID],
    ) -> Result<ChainState, BlockchainError> {
        let mut utxos = Accumulator::new();
        let leaves: Vec<ZkvmHash> = initial_utxos.iter().map(utxo_leaf).collect();
        utxos.add(&leaves).map_err(BlockchainError::Utxo)?;
        let initial = BlockHeader {
            version: CURRENT_BLOCK_VERSION,
            height: 1,
            previd: BlockID::default(),
            timestamp_ms,
            txroot: txroot(&[]),
            utxoroot: utxoroot(&utxos),
            ext: Vec::new(),
        };
        Ok(ChainState {
            tip: initial.clone(),
            initial,
            utxos,
            signers,
        })
    }

    /// Applies `block`: all of it or nothing. Checks, cheapest first: the
    /// header (version, ext, height, previd, time, signature) and txroot;
    /// each transaction's version and time bounds; the VM runs (in
    /// parallel); double spends within the block; the Utreexo proof of the
    /// inputs; the utxoroot; and last, one batched check of every proof and
    /// signature. The two stages of [`crate::VerifiedBlock`] in one call,
    /// with nothing known verified before.
    pub fn apply_block(
        &self,
        block: &Block,
    ) -> Result<(ChainState, AppliedBlock), BlockchainError> {
        let verified = VerifiedBlock::verify_decoded(block.clone(), block.to_bytes(), self, &())?;
        let state = self.apply_verified(&verified)?;
        let (_, _, applied) = verified.into_parts();
        Ok((state, applied))
    }

    /// Makes and signs the next block from `txs` at `timestamp_ms`. `forest`
    /// is the full UTXO set matching this state, which proves the inputs.
    /// Fails as [`ChainState::apply_block`] would on the same block.
    pub fn make_block(
        &self,
        forest: &Forest,
        txs: Vec<Tx>,
        timestamp_ms: u64,
        key: &SecretKey,
    ) -> Result<Block, BlockchainError> {
        // The producer's own transactions: their VM runs give the logs the
        // block needs; the proofs are checked when the block is applied.
        let precomputed = zkvm::precompute_all(&txs).map_err(|e| BlockchainError::InvalidTx {
            index: e.index,
            error: e.error,
        })?;
        let txs = txs
            .into_iter()
            .zip(precomputed.into_iter().map(PrecomputedTx::into_verified))
            .collect();
        let verified = self.make_verified_block(forest, txs, timestamp_ms, Some(key))?;
        let (block, _, _) = verified.into_parts();
        Ok(block)
    }

    /// Whether this chain's blocks are sealed by commit certificates: its
    /// genesis named validators, which the first 32 bytes of the initial
    /// header's `ext` commit to; they are zero when only the genesis's
    /// asset section is committed (docs/spec/blockchain.md §Genesis,
    /// §Block signature).
    pub fn certified(&self) -> bool {
        self.initial
            .ext
            .get(..32)
            .is_some_and(|validators| validators != [0u8; 32])
    }

    /// The checks of a header against this state's tip alone: version,
    /// empty `ext`, height, previous ID and time. Cheap: a node runs them
    /// on an arriving block before any other work.
    pub fn check_header(&self, h: &BlockHeader) -> Result<(), BlockchainError> {
        let tip = &self.tip;
        if h.version < tip.version {
            return Err(BlockchainError::VersionDecreased {
                previous: tip.version,
                got: h.version,
            });
        }
        if h.version == CURRENT_BLOCK_VERSION && !h.ext.is_empty() {
            return Err(BlockchainError::ExtNotEmpty);
        }
        if h.height != tip.height + 1 {
            return Err(BlockchainError::BadHeight {
                expected: tip.height + 1,
                got: h.height,
            });
        }
        if h.previd != tip.id() {
            return Err(BlockchainError::BadPrevId);
        }
        if h.timestamp_ms <= tip.timestamp_ms {
            return Err(BlockchainError::TimeNotIncreasing {
                previous: tip.timestamp_ms,
                got: h.timestamp_ms,
            });
        }
        Ok(())
    }
}

/// The UTXO set's changes from the block's logs: outputs are added and
/// inputs deleted, except that an output spent later in the same block is
/// neither. A second spend of one output is a double spend.
pub(crate) fn utxo_changes(
    logs: &[&TxLog],
) -> Result<(Vec<ZkvmHash>, Vec<ZkvmHash>), BlockchainError> {
    let mut spent: HashSet<ContractID> = HashSet::new();
    // Outputs of this block not (yet) spent, with their position in `created`.
    let mut created: Vec<Option<ContractID>> = Vec::new();
    let mut fresh: HashMap<ContractID, usize> = HashMap::new();
    let mut deletions = Vec::new();
    for (index, log) in logs.iter().enumerate() {
        for id in log.inputs() {
            if !spent.insert(*id) {
                return Err(BlockchainError::DoubleSpend { index, id: *id });
            }
            match fresh.remove(id) {
                Some(pos) => created[pos] = None,
                None => deletions.push(utxo_leaf(id)),
            }
        }
        for output in log.outputs() {
            let id = output.id();
            fresh.insert(id, created.len());
            created.push(Some(id));
        }
    }
    let additions = created
        .into_iter()
        .flatten()
        .map(|id| utxo_leaf(&id))
        .collect();
    Ok((additions, deletions))
}
