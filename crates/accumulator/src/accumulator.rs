//! The chain state: the forest's roots and leaf count (a rustreexo
//! `Stump`), and their snapshot encoding (docs/spec/utreexo.md §Forest and
//! roots; §Snapshot of roots).

use std::collections::{BTreeSet, HashSet};

use rustreexo::stump::Stump;

use crate::positions::tree_of;
use encoding::Reader;

use crate::error::decoding;
use crate::{AccumulatorError, Proof, ZkvmHash};

/// The most leaves a forest can ever have had added: 2^62
/// (docs/spec/utreexo.md §Forest and roots). rustreexo 0.7.0 overflows on
/// forests of 63 rows (more than 2^62 leaves), so we never build one.
pub const MAX_LEAVES: u64 = 1 << 62;

/// The UTXO set as the roots of a Utreexo forest and the number of leaves
/// ever added (docs/spec/utreexo.md §Forest and roots).
///
/// This is what a validating node keeps: it checks proofs of the leaves a
/// block deletes ([`Accumulator::verify`]) and applies the block
/// ([`Accumulator::modify`]), but cannot make proofs. Its snapshot
/// ([`Accumulator::to_bytes`]) is a few hundred bytes at any size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accumulator {
    stump: Stump<ZkvmHash>,
}

impl Default for Accumulator {
    fn default() -> Self {
        Self::new()
    }
}

impl Accumulator {
    /// The empty accumulator: no leaves, no roots (docs/spec/utreexo.md
    /// §Forest and roots).
    pub fn new() -> Self {
        Self {
            stump: Stump::new_with_hash(),
        }
    }

    /// The number of leaves ever added, deleted ones included
    /// (docs/spec/utreexo.md §Forest and roots).
    pub fn num_leaves(&self) -> u64 {
        self.stump.leaves
    }

    /// The roots, one per one bit of [`Accumulator::num_leaves`], from the
    /// tallest tree to the shortest; a tree whose leaves were all deleted
    /// has the empty value as its root (docs/spec/utreexo.md §Forest and
    /// roots).
    pub fn roots(&self) -> &[ZkvmHash] {
        &self.stump.roots
    }

    /// Checks that `proof` proves that `leaves` are in the set
    /// (docs/spec/utreexo.md §Proofs, Verification). The proof's positions
    /// are in the order of `leaves`.
    ///
    /// Fails with [`AccumulatorError::InvalidProof`] when the proof does not
    /// match the roots, and with a more specific error when its shape is
    /// wrong (see the spec's steps).
    pub fn verify(&self, proof: &Proof, leaves: &[ZkvmHash]) -> Result<(), AccumulatorError> {
        let n = self.num_leaves();
        let nodes = proof.check_shape(leaves, n)?;
        // Each computed root must equal the root of the tree its targets
        // are in. rustreexo compares computed roots with all the roots, by
        // value, in order: a leaf that is a one-leaf tree, claimed at the
        // position of another tree's root with no hashes, "computes" its
        // own root and matched it. So it is given only the roots of the
        // trees the targets are in, one per computed root, in order.
        let trees: BTreeSet<usize> = nodes.iter().filter_map(|&node| tree_of(node, n)).collect();
        let roots: Vec<ZkvmHash> = trees
            .iter()
            .filter_map(|&t| self.stump.roots.get(t).copied())
            .collect();
        match proof.inner().verify(leaves, &roots, n) {
            Ok(true) => Ok(()),
            Ok(false) | Err(_) => Err(AccumulatorError::InvalidProof),
        }
    }

    /// Adds leaves, in order (docs/spec/utreexo.md §Forest and roots,
    /// Modification): `modify(additions, &[], &Proof::empty())`.
    pub fn add(&mut self, additions: &[ZkvmHash]) -> Result<(), AccumulatorError> {
        self.modify(additions, &[], &Proof::empty())
    }

    /// Applies a block (docs/spec/utreexo.md §Forest and roots,
    /// Modification): deletes `deletions`, which `proof` must prove, then
    /// adds `additions` in order.
    ///
    /// Additions must be distinct, not reserved values, and not in the set
    /// (the roots cannot tell the last: the caller guarantees it; UTXO IDs
    /// are unique). A leaf both created and spent within one block is in
    /// neither list. On error the accumulator is unchanged.
    pub fn modify(
        &mut self,
        additions: &[ZkvmHash],
        deletions: &[ZkvmHash],
        proof: &Proof,
    ) -> Result<(), AccumulatorError> {
        self.check_modification(additions, deletions, proof)?;
        *self = self.modified(additions, deletions, proof)?;
        Ok(())
    }

    /// The state after a block that [`Accumulator::check_modification`]
    /// accepted.
    pub(crate) fn modified(
        &self,
        additions: &[ZkvmHash],
        deletions: &[ZkvmHash],
        proof: &Proof,
    ) -> Result<Self, AccumulatorError> {
        self.stump
            .modify(additions, deletions, proof.inner())
            .map(Self::from_stump)
            .map_err(|e| AccumulatorError::Library(format!("stump modify: {e}")))
    }

    /// Everything [`Accumulator::modify`] checks before changing anything.
    pub(crate) fn check_modification(
        &self,
        additions: &[ZkvmHash],
        deletions: &[ZkvmHash],
        proof: &Proof,
    ) -> Result<(), AccumulatorError> {
        check_new_leaves(additions)?;
        let added = u64::try_from(additions.len()).map_err(|_| AccumulatorError::TooManyLeaves)?;
        match self.num_leaves().checked_add(added) {
            Some(total) if total <= MAX_LEAVES => {}
            _ => return Err(AccumulatorError::TooManyLeaves),
        }
        check_distinct(deletions)?;
        self.verify(proof, deletions)
    }

    pub(crate) fn stump(&self) -> &Stump<ZkvmHash> {
        &self.stump
    }

    pub(crate) fn from_stump(stump: Stump<ZkvmHash>) -> Self {
        Self { stump }
    }

    /// Length of [`Accumulator::to_bytes`]: `12 + 32 × roots`
    /// (docs/spec/utreexo.md §Snapshot of roots).
    pub fn serialized_size(&self) -> usize {
        12 + 32 * self.stump.roots.len()
    }

    /// The snapshot of the accumulator (docs/spec/utreexo.md §Snapshot of
    /// roots). At most 62 roots, so at most 1,996 bytes.
    ///
    /// # Layout
    ///
    /// ```text
    /// LE64 leaves         number of leaves ever added, at most 2^62
    /// LE32 k              number of roots = one bits of `leaves`
    /// k × 32 bytes        roots, tallest tree first; 32 zero bytes for an
    ///                     empty tree
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.serialized_size());
        out.extend_from_slice(&self.stump.leaves.to_le_bytes());
        // At most 62 roots (one per bit of a leaf count of at most 2^62).
        let count = u32::try_from(self.stump.roots.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&count.to_le_bytes());
        for root in &self.stump.roots {
            out.extend_from_slice(root.as_bytes());
        }
        out
    }

    /// Decodes a snapshot, strictly (docs/spec/utreexo.md §Snapshot of
    /// roots): the leaf count must be at most 2^62, the root count must be its
    /// number of one bits (checked before anything is allocated), no root
    /// may be the unknown-node value, and no byte may follow.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AccumulatorError> {
        let mut r = Reader::new(bytes);
        let leaves = r.read_u64().map_err(decoding("leaf count"))?;
        if leaves > MAX_LEAVES {
            return Err(AccumulatorError::LeafCountTooLarge(leaves));
        }
        let count = r.read_u32().map_err(decoding("root count"))?;
        let expected = leaves.count_ones();
        if count != expected {
            return Err(AccumulatorError::RootCountMismatch {
                leaves,
                expected,
                got: count,
            });
        }
        // At most 62 roots: the count equals the leaf count's one bits.
        let roots = r
            .read_vec(count as usize, 32, |r| {
                r.read_32().map(ZkvmHash::from_bytes)
            })
            .map_err(decoding("roots"))?;
        if let Some(index) = roots
            .iter()
            .position(|root| *root == ZkvmHash::from_bytes([0xff; 32]))
        {
            return Err(AccumulatorError::ReservedHashInEncoding {
                field: "snapshot",
                index,
            });
        }
        r.finish().map_err(decoding("snapshot"))?;
        let mut stump = Stump::new_with_hash();
        stump.leaves = leaves;
        stump.roots = roots;
        Ok(Self { stump })
    }
}

/// Leaves to add must be distinct and not reserved values.
pub(crate) fn check_new_leaves(leaves: &[ZkvmHash]) -> Result<(), AccumulatorError> {
    if let Some(leaf) = leaves.iter().find(|leaf| leaf.is_reserved()) {
        return Err(AccumulatorError::ReservedLeaf(*leaf));
    }
    check_distinct(leaves)
}

/// Fails on the first leaf that appears twice.
pub(crate) fn check_distinct(leaves: &[ZkvmHash]) -> Result<(), AccumulatorError> {
    let mut seen = HashSet::with_capacity(leaves.len());
    match leaves.iter().find(|leaf| !seen.insert(**leaf)) {
        Some(leaf) => Err(AccumulatorError::DuplicateLeaf(*leaf)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use encoding::DecodeError;

    fn leaves(range: std::ops::Range<u32>) -> Vec<ZkvmHash> {
        range
            .map(|i| {
                let mut id = [0u8; 32];
                id[..4].copy_from_slice(&i.to_le_bytes());
                ZkvmHash::leaf(&id)
            })
            .collect()
    }

    #[test]
    fn snapshot_round_trips_and_is_strict() {
        let mut acc = Accumulator::new();
        assert_eq!(acc.to_bytes(), [0; 12]);
        acc.add(&leaves(0..13)).unwrap();
        let bytes = acc.to_bytes();
        assert_eq!(bytes.len(), 12 + 3 * 32);
        assert_eq!(Accumulator::from_bytes(&bytes).unwrap(), acc);

        let mut long = bytes.clone();
        long.push(1);
        assert_eq!(
            Accumulator::from_bytes(&long),
            Err(AccumulatorError::Decode {
                field: "snapshot",
                source: DecodeError::TrailingBytes(1)
            })
        );
        for cut in 0..bytes.len() {
            assert!(matches!(
                Accumulator::from_bytes(&bytes[..cut]),
                Err(AccumulatorError::Decode {
                    source: DecodeError::UnexpectedEnd { .. },
                    ..
                })
            ));
        }
        let mut wrong_count = bytes.clone();
        wrong_count[8] = 4;
        assert_eq!(
            Accumulator::from_bytes(&wrong_count),
            Err(AccumulatorError::RootCountMismatch {
                leaves: 13,
                expected: 3,
                got: 4
            })
        );
        let mut too_many = bytes.clone();
        too_many[7] = 0x40;
        assert!(matches!(
            Accumulator::from_bytes(&too_many),
            Err(AccumulatorError::LeafCountTooLarge(_))
        ));
        let mut placeholder = bytes;
        placeholder[12..44].copy_from_slice(&[0xff; 32]);
        assert!(matches!(
            Accumulator::from_bytes(&placeholder),
            Err(AccumulatorError::ReservedHashInEncoding { index: 0, .. })
        ));
    }

    #[test]
    fn additions_are_checked() {
        let mut acc = Accumulator::new();
        let l = leaves(0..3);
        assert_eq!(
            acc.add(&[l[0], l[1], l[0]]),
            Err(AccumulatorError::DuplicateLeaf(l[0]))
        );
        assert_eq!(
            acc.add(&[ZkvmHash::from_bytes([0; 32])]),
            Err(AccumulatorError::ReservedLeaf(ZkvmHash::from_bytes(
                [0; 32]
            )))
        );
        assert_eq!(acc, Accumulator::new());
        let mut full = Accumulator::from_bytes(&{
            let mut b = MAX_LEAVES.to_le_bytes().to_vec();
            b.extend_from_slice(&1u32.to_le_bytes());
            b.extend_from_slice(&[0; 32]);
            b
        })
        .unwrap();
        assert_eq!(full.add(&l[..1]), Err(AccumulatorError::TooManyLeaves));
        let mut over = (MAX_LEAVES + 1).to_le_bytes().to_vec();
        over.extend_from_slice(&2u32.to_le_bytes());
        over.extend_from_slice(&[0; 64]);
        assert_eq!(
            Accumulator::from_bytes(&over),
            Err(AccumulatorError::LeafCountTooLarge(MAX_LEAVES + 1))
        );
    }
}
