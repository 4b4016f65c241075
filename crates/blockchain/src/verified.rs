//! Block import in two stages (docs/spec/blockchain.md §Apply block, Two
//! stages).
//!
//! Almost all the work of applying a block does not depend on the tip: the
//! decoding, the signature, the txroot, every VM run and the batched proof
//! and signature check. [`VerifiedBlock::verify`] does it against a copy of
//! the chain state, on any thread, and keeps the bytes it was given, so a
//! node stores and relays exactly what it received.
//! [`ChainState::apply_verified`] then checks only what depends on the tip
//! (height, previous ID, time, and the inputs' Utreexo proof if the tip
//! moved since stage 1), which is cheap enough for the thread that owns
//! the chain.
//!
//! Transactions already verified (a node's mempool holds only verified
//! ones) are looked up by witness hash through [`KnownTxs`] and neither
//! run nor checked again: verification depends on the bytes alone, and
//! the witness hash covers all of them. A block a node makes from its own
//! pool ([`ChainState::make_verified_block`]) is verified by construction.

use std::collections::HashMap;

use accumulator::{Accumulator, Forest, Proof, ZkvmHash};
use musig::{SecretKey, Signature, VerificationKey};
use zkvm::{PrecomputedTx, Tx, TxLog, VerifiedTx};

use crate::block::{check_seal, sign_header, txroot_of_witnesses, utxoroot, NO_SIGNATURE};
use crate::state::utxo_changes;
use crate::{witness_hash, AppliedBlock, Block, BlockHeader, BlockID, BlockchainError, ChainState};

/// Transactions verified before, by witness hash: what a block's stage 1
/// need not verify again.
pub trait KnownTxs {
    /// What verifying the transaction with witness hash `witness`
    /// established, if it was verified.
    fn verified(&self, witness: &[u8; 32]) -> Option<VerifiedTx>;
}

/// Nothing known: every transaction is verified.
impl KnownTxs for () {
    fn verified(&self, _: &[u8; 32]) -> Option<VerifiedTx> {
        None
    }
}

impl KnownTxs for HashMap<[u8; 32], VerifiedTx> {
    fn verified(&self, witness: &[u8; 32]) -> Option<VerifiedTx> {
        self.get(witness).cloned()
    }
}

impl KnownTxs for crate::Mempool {
    fn verified(&self, witness: &[u8; 32]) -> Option<VerifiedTx> {
        let txid = self.by_witness(witness)?;
        self.get(&txid).map(|e| e.verified().clone())
    }
}

/// A block that passed every check that does not depend on the tip
/// (stage 1), with the bytes it came in.
#[derive(Clone, Debug)]
pub struct VerifiedBlock {
    block: Block,
    bytes: Vec<u8>,
    id: BlockID,
    applied: AppliedBlock,
    /// The signers key its signature was checked with.
    signers: VerificationKey,
    /// The tip it was checked against, and the UTXO set after it there.
    base: BlockID,
    /// The initial header of the chain it was checked on (which says
    /// whether blocks are sealed by certificates).
    base_initial: BlockID,
    utxos: Accumulator,
    /// Transactions whose VM ran and whose proof was checked in stage 1
    /// (the others were known verified).
    verified_here: usize,
}

impl VerifiedBlock {
    /// Stage 1 on received bytes: decodes `bytes` strictly, then runs
    /// every check of [`ChainState::apply_block`] against `state` (a copy
    /// of the chain state, taken when the block arrived), in the same
    /// order, cheapest first, skipping the VM run and proof check of each
    /// transaction `known` holds.
    pub fn verify(
        bytes: Vec<u8>,
        state: &ChainState,
        known: &impl KnownTxs,
    ) -> Result<VerifiedBlock, BlockchainError> {
        let block = Block::from_bytes(&bytes)?;
        VerifiedBlock::verify_decoded(block, bytes, state, known)
    }

    /// [`VerifiedBlock::verify`] for a block decoded already from `bytes`
    /// (which must be its encoding: they are what is kept).
    pub fn verify_decoded(
        block: Block,
        bytes: Vec<u8>,
        state: &ChainState,
        known: &impl KnownTxs,
    ) -> Result<VerifiedBlock, BlockchainError> {
        let h = &block.header;
        state.check_header(h)?;
        check_seal(&block, state.certified(), &state.signers)?;
        let witnesses: Vec<[u8; 32]> = block.txs.iter().map(witness_hash).collect();
        if txroot_of_witnesses(&witnesses) != h.txroot {
            return Err(BlockchainError::TxRootMismatch);
        }
        check_tx_headers(h, &block.txs)?;

        // The VM runs of the transactions not known, in parallel.
        let mut slots: Vec<Option<VerifiedTx>> =
            witnesses.iter().map(|w| known.verified(w)).collect();
        let unknown: Vec<usize> = (0..slots.len()).filter(|&i| slots[i].is_none()).collect();
        let precomputed = precompute(&block.txs, &unknown)?;

        let mut logs: Vec<&TxLog> = Vec::with_capacity(slots.len());
        let mut runs = precomputed.iter();
        for slot in &slots {
            match slot {
                Some(v) => logs.push(&v.log),
                None => match runs.next() {
                    Some(p) => logs.push(&p.log),
                    None => return Err(BlockchainError::TxRootMismatch),
                },
            }
        }
        let (additions, deletions) = utxo_changes(&logs)?;
        let utxos = modified(&state.utxos, &additions, &deletions, &block.utxo_proof)?;
        if utxoroot(&utxos) != h.utxoroot {
            return Err(BlockchainError::UtxoRootMismatch);
        }

        // The expensive check, last: one multiscalar check of the proofs
        // and signatures of the transactions not known.
        zkvm::check_all(&precomputed).map_err(|e| BlockchainError::InvalidTx {
            index: unknown.get(e.index).copied().unwrap_or(e.index),
            error: e.error,
        })?;
        let verified_here = precomputed.len();
        let mut fresh = precomputed.into_iter().map(PrecomputedTx::into_verified);
        for slot in &mut slots {
            if slot.is_none() {
                *slot = fresh.next();
            }
        }
        let txs: Vec<VerifiedTx> = slots.into_iter().flatten().collect();
        Ok(VerifiedBlock {
            id: h.id(),
            signers: state.signers,
            base: state.tip.id(),
            base_initial: state.initial.id(),
            utxos,
            applied: AppliedBlock {
                txs,
                additions,
                deletions,
            },
            verified_here,
            bytes,
            block,
        })
    }

    /// The block.
    pub fn block(&self) -> &Block {
        &self.block
    }

    /// Its header.
    pub fn header(&self) -> &BlockHeader {
        &self.block.header
    }

    /// Its ID.
    pub fn id(&self) -> BlockID {
        self.id
    }

    /// Its encoding, exactly as received (or as made).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Its verified transactions and UTXO changes.
    pub fn applied(&self) -> &AppliedBlock {
        &self.applied
    }

    /// How many of its transactions stage 1 ran and checked (the rest
    /// were known verified, or the block was made from verified ones).
    pub fn verified_here(&self) -> usize {
        self.verified_here
    }

    /// This block sealed by `certificate` (an encoded commit certificate
    /// the caller checked against the validator set): the same block and
    /// verification, its bytes now ending with the certificate section
    /// (docs/spec/blockchain.md §Block). A certificate it had is replaced.
    pub fn with_certificate(
        mut self,
        certificate: Vec<u8>,
    ) -> Result<VerifiedBlock, BlockchainError> {
        if certificate.is_empty() || certificate.len() > crate::MAX_CERTIFICATE_SIZE {
            return Err(BlockchainError::CertificateSize(certificate.len()));
        }
        self.block.certificate = Some(certificate);
        self.bytes = self.block.to_bytes();
        Ok(self)
    }

    /// The block, its bytes and what applying it changes.
    pub fn into_parts(self) -> (Block, Vec<u8>, AppliedBlock) {
        (self.block, self.bytes, self.applied)
    }
}

impl ChainState {
    /// Stage 2: applies a block verified by stage 1, checking only what
    /// depends on the tip: the header against it (height, previous ID,
    /// time, version) and, if the tip is not the one stage 1 used, the
    /// inputs' Utreexo proof against these roots and the utxoroot again.
    pub fn apply_verified(&self, block: &VerifiedBlock) -> Result<ChainState, BlockchainError> {
        let h = block.header();
        self.check_header(h)?;
        if block.signers != self.signers || block.base_initial != self.initial.id() {
            check_seal(&block.block, self.certified(), &self.signers)?;
        }
        // The tip's ID commits to its utxoroot, hence to these roots.
        let utxos = if block.base == self.tip.id() {
            block.utxos.clone()
        } else {
            let a = &block.applied;
            let utxos = modified(
                &self.utxos,
                &a.additions,
                &a.deletions,
                &block.block.utxo_proof,
            )?;
            if utxoroot(&utxos) != h.utxoroot {
                return Err(BlockchainError::UtxoRootMismatch);
            }
            utxos
        };
        Ok(ChainState {
            initial: self.initial.clone(),
            tip: h.clone(),
            utxos,
            signers: self.signers,
        })
    }

    /// Makes and signs the next block from transactions verified before
    /// (a node's mempool entries: [`crate::MempoolEntry::verified`]), at
    /// `timestamp_ms`, without running a VM or checking a proof. `forest`
    /// is the full UTXO set matching this state. The caller vouches that
    /// each [`VerifiedTx`] belongs to its transaction.
    pub fn make_verified_block(
        &self,
        forest: &Forest,
        txs: Vec<(Tx, VerifiedTx)>,
        timestamp_ms: u64,
        key: Option<&SecretKey>,
    ) -> Result<VerifiedBlock, BlockchainError> {
        let (txs, verified): (Vec<Tx>, Vec<VerifiedTx>) = txs.into_iter().unzip();
        let witnesses: Vec<[u8; 32]> = txs.iter().map(witness_hash).collect();
        let mut header = BlockHeader {
            version: self.tip.version,
            height: self.tip.height + 1,
            previd: self.tip.id(),
            timestamp_ms,
            txroot: txroot_of_witnesses(&witnesses),
            utxoroot: [0; 32],
            ext: Vec::new(),
        };
        self.check_header(&header)?;
        check_tx_headers(&header, &txs)?;
        let logs: Vec<&TxLog> = verified.iter().map(|v| &v.log).collect();
        let (additions, deletions) = utxo_changes(&logs)?;
        let utxo_proof = if deletions.is_empty() {
            Proof::empty()
        } else {
            forest.prove(&deletions).map_err(BlockchainError::Utxo)?
        };
        let utxos = modified(&self.utxos, &additions, &deletions, &utxo_proof)?;
        header.utxoroot = utxoroot(&utxos);
        // A validators chain's block is unsigned: its certificate, made
        // once it is decided, seals it (docs/spec/blockchain.md §Block
        // signature). A block-key chain's block needs the key.
        let signature = match (self.certified(), key) {
            (true, _) => {
                Signature::from_bytes(&NO_SIGNATURE).map_err(BlockchainError::SignatureEncoding)?
            }
            (false, Some(key)) => sign_header(&header, key),
            (false, None) => return Err(BlockchainError::BadSignature),
        };
        let block = Block {
            header,
            signature,
            txs,
            utxo_proof,
            certificate: None,
        };
        Ok(VerifiedBlock {
            id: block.header.id(),
            bytes: block.to_bytes(),
            signers: self.signers,
            base: self.tip.id(),
            base_initial: self.initial.id(),
            utxos,
            applied: AppliedBlock {
                txs: verified,
                additions,
                deletions,
            },
            verified_here: 0,
            block,
        })
    }
}

/// Each transaction's version and time bounds against the block's header.
pub(crate) fn check_tx_headers(h: &BlockHeader, txs: &[Tx]) -> Result<(), BlockchainError> {
    for (index, tx) in txs.iter().enumerate() {
        if h.version == crate::CURRENT_BLOCK_VERSION && tx.header.version != zkvm::CURRENT_VERSION {
            return Err(BlockchainError::TxVersion {
                index,
                version: tx.header.version,
            });
        }
        if h.timestamp_ms < tx.header.mintime_ms || h.timestamp_ms > tx.header.maxtime_ms {
            return Err(BlockchainError::TxOutsideTimeBounds { index });
        }
    }
    Ok(())
}

/// The VM runs of `txs[i]` for each `i` in `which`, in parallel, in that
/// order; the failing transaction is named by its index in `txs`.
fn precompute(txs: &[Tx], which: &[usize]) -> Result<Vec<PrecomputedTx>, BlockchainError> {
    if which.len() == txs.len() {
        return zkvm::precompute_all(txs).map_err(|e| BlockchainError::InvalidTx {
            index: e.index,
            error: e.error,
        });
    }
    let chosen: Vec<&Tx> = which.iter().map(|&i| &txs[i]).collect();
    zkvm::precompute_each(&chosen).map_err(|e| BlockchainError::InvalidTx {
        index: which.get(e.index).copied().unwrap_or(e.index),
        error: e.error,
    })
}

/// `utxos` after deleting `deletions` (proven by `proof`) and adding
/// `additions`.
fn modified(
    utxos: &Accumulator,
    additions: &[ZkvmHash],
    deletions: &[ZkvmHash],
    proof: &Proof,
) -> Result<Accumulator, BlockchainError> {
    let mut utxos = utxos.clone();
    utxos
        .modify(additions, deletions, proof)
        .map_err(BlockchainError::Utxo)?;
    Ok(utxos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_known_to_the_unit_type() {
        assert!(KnownTxs::verified(&(), &[0u8; 32]).is_none());
    }
}
