//! A wallet's partial view of the forest: the roots plus a batch proof of
//! the leaves it tracks, brought up to date block by block with rustreexo's
//! proof update (docs/spec/utreexo.md §Forest and roots, Wallets).
//!
//! rustreexo's own `Pollard` is not used: in 0.7.0, after a deletion it
//! fails to prove leaves the deletion did not touch (upstream issue #150).

use std::collections::{BTreeMap, HashMap};

use rustreexo::proof::Proof as RProof;

use crate::accumulator::check_distinct;
use crate::positions::{proof_nodes, Node};
use encoding::Reader;

use crate::error::decoding;
use crate::{Accumulator, AccumulatorError, Proof, ZkvmHash};

/// The roots of the forest and proofs for some of its leaves — a wallet's
/// own UTXOs (docs/spec/utreexo.md §Forest and roots, Wallets).
///
/// It applies each block like an [`Accumulator`] does, from the block's
/// additions, deletions and deletion proof, and updates the proof of the
/// leaves it tracks, so that it can prove any of them at any time with
/// [`Pollard::prove`]. Leaves are tracked from the block that adds them
/// (`remember` in [`Pollard::modify`]) or later, with a proof from a full
/// node ([`Pollard::track`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pollard {
    accumulator: Accumulator,
    /// Batch proof of `leaves`; its targets are in the order of `leaves`.
    proof: Proof,
    leaves: Vec<ZkvmHash>,
}

impl Default for Pollard {
    fn default() -> Self {
        Self::new(Accumulator::new())
    }
}

impl Pollard {
    /// A pollard that tracks nothing, at the state of `accumulator`
    /// (docs/spec/utreexo.md §Forest and roots, Wallets).
    pub fn new(accumulator: Accumulator) -> Self {
        Self {
            accumulator,
            proof: Proof::empty(),
            leaves: Vec::new(),
        }
    }

    /// The roots and leaf count (docs/spec/utreexo.md §Forest and roots).
    pub fn accumulator(&self) -> &Accumulator {
        &self.accumulator
    }

    /// The tracked leaves, in the order of their batch proof
    /// (docs/spec/utreexo.md §Forest and roots, Wallets).
    pub fn tracked(&self) -> &[ZkvmHash] {
        &self.leaves
    }

    /// Whether `leaf` is tracked (docs/spec/utreexo.md §Forest and roots,
    /// Wallets).
    pub fn is_tracked(&self, leaf: &ZkvmHash) -> bool {
        self.leaves.contains(leaf)
    }

    /// Applies a block as [`Accumulator::modify`] does and updates the
    /// tracked proofs (docs/spec/utreexo.md §Forest and roots, Wallets):
    /// tracked leaves among `deletions` are no longer tracked, and the
    /// leaves of `remember`, each one of `additions`, start to be.
    /// On error nothing changes.
    pub fn modify(
        &mut self,
        additions: &[ZkvmHash],
        remember: &[ZkvmHash],
        deletions: &[ZkvmHash],
        proof: &Proof,
    ) -> Result<(), AccumulatorError> {
        self.accumulator
            .check_modification(additions, deletions, proof)?;
        check_distinct(remember)?;
        let index: HashMap<&ZkvmHash, u64> = additions.iter().zip(0u64..).collect();
        let mut remembers = Vec::with_capacity(remember.len());
        for leaf in remember {
            match index.get(leaf) {
                Some(&i) => remembers.push(i),
                None => return Err(AccumulatorError::UnknownLeaf(*leaf)),
            }
        }

        let stump = self.accumulator.stump();
        let update_data = stump
            .get_update_data(additions, deletions, proof.inner())
            .map_err(|e| AccumulatorError::Library(format!("update data: {e}")))?;
        let (new_proof, new_leaves) = self
            .proof
            .inner()
            .clone()
            .update(
                self.leaves.clone(),
                additions,
                proof.targets(),
                remembers,
                update_data,
            )
            .map_err(|e| AccumulatorError::Library(format!("proof update: {e}")))?;

        let accumulator = self.accumulator.modified(additions, deletions, proof)?;
        let new_proof = Proof::from_inner(new_proof);
        accumulator
            .verify(&new_proof, &new_leaves)
            .map_err(|e| AccumulatorError::Library(format!("updated proof: {e}")))?;

        self.accumulator = accumulator;
        self.proof = new_proof;
        self.leaves = new_leaves;
        Ok(())
    }

    /// `LE32 a || a bytes of accumulator snapshot || LE32 p || p bytes of
    /// proof || LE32 n || n × 32 bytes of tracked leaves`, for a wallet to
    /// keep its pollard (docs/spec/utreexo.md §Forest and roots, Wallets).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for part in [self.accumulator.to_bytes(), self.proof.to_bytes()] {
            out.extend_from_slice(&len32(part.len()).to_le_bytes());
            out.extend_from_slice(&part);
        }
        out.extend_from_slice(&len32(self.leaves.len()).to_le_bytes());
        for leaf in &self.leaves {
            out.extend_from_slice(leaf.as_bytes());
        }
        out
    }

    /// Strict decoding of [`Pollard::to_bytes`]; the proof must prove the
    /// leaves against the accumulator.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AccumulatorError> {
        let mut r = Reader::new(bytes);
        let a = r.read_sized_bytes().map_err(decoding("accumulator"))?;
        let accumulator = Accumulator::from_bytes(a)?;
        let p = r.read_sized_bytes().map_err(decoding("proof"))?;
        let proof = Proof::from_bytes(p)?;
        let n = r.read_count().map_err(decoding("leaf count"))?;
        let leaves = r
            .read_vec(n, 32, |r| r.read_32().map(ZkvmHash::from_bytes))
            .map_err(decoding("leaves"))?;
        r.finish().map_err(decoding("pollard"))?;
        check_distinct(&leaves)?;
        accumulator.verify(&proof, &leaves)?;
        Ok(Self {
            accumulator,
            proof,
            leaves,
        })
    }

    /// Starts tracking `leaf`, given a proof of it against the current
    /// roots (from a full node's [`Forest::prove`](crate::Forest::prove));
    /// the two proofs are merged (docs/spec/utreexo.md §Forest and roots,
    /// Wallets).
    /// Tracking a tracked leaf again changes nothing.
    pub fn track(&mut self, leaf: ZkvmHash, proof: &Proof) -> Result<(), AccumulatorError> {
        self.accumulator.verify(proof, &[leaf])?;
        if self.is_tracked(&leaf) {
            return Ok(());
        }
        let num_leaves = self.accumulator.num_leaves();
        // The hashes a proof of the union needs are among those of the two
        // proofs (docs/spec/utreexo.md §Proofs, Proof hashes).
        let mut known: BTreeMap<Node, ZkvmHash> = BTreeMap::new();
        for p in [&self.proof, proof] {
            let nodes = targets_as_nodes(p.targets())?;
            known.extend(
                proof_nodes(&nodes, num_leaves)
                    .into_iter()
                    .zip(p.hashes().iter().copied()),
            );
        }
        let mut targets = self.proof.targets().to_vec();
        targets.extend_from_slice(proof.targets());
        let nodes = targets_as_nodes(&targets)?;
        let mut hashes = Vec::new();
        for node in proof_nodes(&nodes, num_leaves) {
            match known.get(&node) {
                Some(hash) => hashes.push(*hash),
                None => {
                    return Err(AccumulatorError::Library(format!(
                        "no hash for node {node:?} when merging proofs"
                    )))
                }
            }
        }
        let mut leaves = self.leaves.clone();
        leaves.push(leaf);
        let merged = Proof::from_inner(RProof::new_with_hash(targets, hashes));
        self.accumulator
            .verify(&merged, &leaves)
            .map_err(|e| AccumulatorError::Library(format!("merged proof: {e}")))?;
        self.proof = merged;
        self.leaves = leaves;
        Ok(())
    }

    /// Stops tracking `leaf`; the batch proof shrinks to the others
    /// (docs/spec/utreexo.md §Forest and roots, Wallets).
    pub fn forget(&mut self, leaf: &ZkvmHash) -> Result<(), AccumulatorError> {
        let Some(i) = self.leaves.iter().position(|l| l == leaf) else {
            return Err(AccumulatorError::UnknownLeaf(*leaf));
        };
        let mut leaves = self.leaves.clone();
        leaves.remove(i);
        self.proof = self.prove(&leaves)?;
        self.leaves = leaves;
        Ok(())
    }

    /// A proof that tracked `leaves` (distinct) are in the set, its
    /// positions in the order of `leaves` (docs/spec/utreexo.md §Proofs).
    /// The proof is checked against the roots before it is returned.
    pub fn prove(&self, leaves: &[ZkvmHash]) -> Result<Proof, AccumulatorError> {
        check_distinct(leaves)?;
        let mut targets = Vec::with_capacity(leaves.len());
        for leaf in leaves {
            let i = self.leaves.iter().position(|l| l == leaf);
            match i.and_then(|i| self.proof.targets().get(i)) {
                Some(target) => targets.push(*target),
                None => return Err(AccumulatorError::UnknownLeaf(*leaf)),
            }
        }
        let proof = self
            .proof
            .inner()
            .get_proof_subset(&self.leaves, &targets, self.accumulator.num_leaves())
            .map(Proof::from_inner)
            .map_err(|e| AccumulatorError::Library(format!("proof subset: {e}")))?;
        self.accumulator
            .verify(&proof, leaves)
            .map_err(|e| AccumulatorError::Library(format!("subset proof: {e}")))?;
        Ok(proof)
    }
}

/// Nodes of a proof that verified against the current roots, so each
/// position is a node of the forest.
fn targets_as_nodes(targets: &[u64]) -> Result<Vec<Node>, AccumulatorError> {
    targets
        .iter()
        .map(|&t| Node::from_wire(t).ok_or(AccumulatorError::TargetOutOfRange(t)))
        .collect()
}

/// A length as the LE32 the encodings use; lengths here are far below 2^32.
fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
