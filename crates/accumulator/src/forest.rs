//! The full forest, which keeps every leaf and proves any of them (a
//! rustreexo `MemForest`) (docs/spec/utreexo.md §Forest and roots).

use std::collections::HashSet;

use rustreexo::mem_forest::MemForest;
use rustreexo::stump::Stump;

use crate::accumulator::{check_distinct, check_new_leaves, MAX_LEAVES};
use crate::proof::MAX_PROOF_TARGETS;
use crate::{Accumulator, AccumulatorError, Proof, ZkvmHash};

/// The whole forest: every live leaf and every node above it
/// (docs/spec/utreexo.md §Forest and roots).
///
/// A node that serves proofs keeps one, applying each block with
/// [`Forest::modify`] as its [`Accumulator`] does; [`Forest::prove`] then
/// proves any live leaves against the same roots. Memory grows with the
/// number of live leaves.
pub struct Forest {
    inner: MemForest<ZkvmHash>,
}

impl Default for Forest {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Forest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forest")
            .field("num_leaves", &self.num_leaves())
            .field("roots", &self.roots())
            .finish()
    }
}

impl Forest {
    /// The empty forest (docs/spec/utreexo.md §Forest and roots).
    pub fn new() -> Self {
        Self {
            inner: MemForest::new_with_hash(),
        }
    }

    /// The number of leaves ever added, deleted ones included
    /// (docs/spec/utreexo.md §Forest and roots).
    pub fn num_leaves(&self) -> u64 {
        self.inner.leaves
    }

    /// The roots, as [`Accumulator::roots`] orders them
    /// (docs/spec/utreexo.md §Forest and roots).
    pub fn roots(&self) -> Vec<ZkvmHash> {
        self.inner
            .get_roots()
            .iter()
            .map(|root| root.get_data())
            .collect()
    }

    /// The accumulator of the same state: roots and leaf count
    /// (docs/spec/utreexo.md §Forest and roots).
    pub fn accumulator(&self) -> Accumulator {
        let mut stump = Stump::new_with_hash();
        stump.leaves = self.num_leaves();
        stump.roots = self.roots();
        Accumulator::from_stump(stump)
    }

    /// Whether `leaf` is a live leaf of the forest: added and not deleted
    /// (docs/spec/utreexo.md §Forest and roots, Modification).
    pub fn contains(&self, leaf: &ZkvmHash) -> bool {
        !leaf.is_reserved() && self.inner.prove(&[*leaf]).is_ok()
    }

    /// A proof that `leaves` (distinct, live) are in the set, its positions
    /// in the order of `leaves` (docs/spec/utreexo.md §Proofs).
    ///
    /// The proof is checked against the forest's own roots before it is
    /// returned, so a proof that would not verify is an error here rather
    /// than at the verifier.
    pub fn prove(&self, leaves: &[ZkvmHash]) -> Result<Proof, AccumulatorError> {
        if leaves.len() > MAX_PROOF_TARGETS {
            return Err(AccumulatorError::TooManyTargets {
                max: MAX_PROOF_TARGETS,
                got: leaves.len() as u64,
            });
        }
        check_distinct(leaves)?;
        if let Some(leaf) = leaves.iter().find(|leaf| !self.contains(leaf)) {
            return Err(AccumulatorError::UnknownLeaf(*leaf));
        }
        let proof = self
            .inner
            .prove(leaves)
            .map(Proof::from_inner)
            .map_err(|e| AccumulatorError::Library(format!("forest prove: {e}")))?;
        self.accumulator()
            .verify(&proof, leaves)
            .map_err(|e| AccumulatorError::Library(format!("forest made a bad proof: {e}")))?;
        Ok(proof)
    }

    /// The forest's own storage format (rustreexo's `MemForest`
    /// serialization: leaf count, then each tree), for a node to keep its
    /// forest across restarts (docs/spec/utreexo.md §Forest and roots,
    /// Storage). Not a wire format: peers exchange accumulators and proofs.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // Writing to a vector cannot fail.
        let _ = self.inner.serialize(&mut out);
        out
    }

    /// Reads what [`Forest::to_bytes`] wrote and checks that the result has
    /// exactly the roots and leaf count of `expected` (the chain state the
    /// forest was stored with), so that a stale or damaged copy is an
    /// error, not a forest that proves against other roots.
    pub fn from_bytes(bytes: &[u8], expected: &Accumulator) -> Result<Self, AccumulatorError> {
        let inner = MemForest::<ZkvmHash>::deserialize(bytes)
            .map_err(|e| AccumulatorError::Library(format!("forest decode: {e}")))?;
        let forest = Self { inner };
        if forest.accumulator() != *expected {
            return Err(AccumulatorError::Library(
                "stored forest does not match the expected roots".into(),
            ));
        }
        Ok(forest)
    }

    /// Applies a block (docs/spec/utreexo.md §Forest and roots,
    /// Modification): deletes `deletions` (distinct, live), then adds
    /// `additions` in order (distinct, not reserved values, not live once
    /// the deletions are done). On error the forest is unchanged.
    pub fn modify(
        &mut self,
        additions: &[ZkvmHash],
        deletions: &[ZkvmHash],
    ) -> Result<(), AccumulatorError> {
        check_new_leaves(additions)?;
        check_distinct(deletions)?;
        if let Some(leaf) = deletions.iter().find(|leaf| !self.contains(leaf)) {
            return Err(AccumulatorError::UnknownLeaf(*leaf));
        }
        let deleted: HashSet<&ZkvmHash> = deletions.iter().collect();
        if let Some(leaf) = additions
            .iter()
            .find(|leaf| !deleted.contains(leaf) && self.contains(leaf))
        {
            return Err(AccumulatorError::DuplicateLeaf(*leaf));
        }
        let added = u64::try_from(additions.len()).map_err(|_| AccumulatorError::TooManyLeaves)?;
        match self.num_leaves().checked_add(added) {
            Some(total) if total <= MAX_LEAVES => {}
            _ => return Err(AccumulatorError::TooManyLeaves),
        }
        // With the checks above, the library cannot fail part-way: every
        // deletion is found before any is made.
        self.inner
            .modify(additions, deletions)
            .map_err(|e| AccumulatorError::Library(format!("forest modify: {e}")))
    }
}
