//! Position arithmetic of the forest (docs/spec/utreexo.md §Forest and
//! roots, Positions; §Proofs, Verification).
//!
//! A node is named by its row (0 for leaves) and its index within the row,
//! counted from the left. On the wire a node is a 64-bit position in a
//! forest of [`WIRE_ROWS`] rows: row `r` starts at `2^64 - 2^(64 - r)`, so a
//! position does not change as the forest grows. All functions here are
//! total: they never panic, whatever the input.

use std::collections::BTreeSet;

/// Rows of the fixed forest in which wire positions are written
/// (docs/spec/utreexo.md §Forest and roots, Positions).
pub(crate) const WIRE_ROWS: u8 = 63;

/// A node of the forest: its row and its index within the row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Node {
    /// 0 for leaves, growing towards the roots.
    pub(crate) row: u8,
    /// Index within the row, from the left.
    pub(crate) index: u64,
}

/// First wire position of `row` (`row <= WIRE_ROWS`).
fn wire_row_start(row: u8) -> u64 {
    // 2^64 - 2^(64 - row), computed without overflow; 0 for row 0.
    if row == 0 {
        0
    } else {
        u64::MAX - ((1u64 << (64 - u32::from(row))) - 1)
    }
}

impl Node {
    /// Decodes a wire position. `None` for the one value (`2^64 - 1`) that
    /// is on no row.
    pub(crate) fn from_wire(position: u64) -> Option<Self> {
        let row = position.leading_ones();
        if row > u32::from(WIRE_ROWS) {
            return None;
        }
        let row = u8::try_from(row).ok()?;
        Some(Self {
            row,
            index: position - wire_row_start(row),
        })
    }

    /// The wire position of this node (`row <= WIRE_ROWS` and `index` within
    /// the row hold for every node of a forest).
    #[cfg(test)]
    pub(crate) fn to_wire(self) -> u64 {
        wire_row_start(self.row.min(WIRE_ROWS)) | self.index
    }

    /// Whether the node exists in a forest that has had `leaves` leaves
    /// added: its subtree spans leaves that were all added.
    pub(crate) fn exists(self, leaves: u64) -> bool {
        self.row <= WIRE_ROWS && self.index < (leaves >> self.row)
    }

    /// Whether the node is the root of one of the forest's trees.
    fn is_root(self, leaves: u64) -> bool {
        let width = leaves >> self.row.min(WIRE_ROWS);
        width & 1 == 1 && self.index == width - 1
    }

    fn sibling(self) -> Self {
        Self {
            row: self.row,
            index: self.index ^ 1,
        }
    }

    fn parent(self) -> Self {
        Self {
            row: self.row.saturating_add(1),
            index: self.index >> 1,
        }
    }
}

/// The tree that holds `node` in a forest of `leaves` leaves, numbered as
/// the roots are, largest tree first (docs/spec/utreexo.md §Forest and
/// roots); `None` if the node does not exist.
pub(crate) fn tree_of(node: Node, leaves: u64) -> Option<usize> {
    if !node.exists(leaves) {
        return None;
    }
    // Trees are the one bits of `leaves`, highest first; the tree of root
    // row `r` spans the leaf slots after those of the larger trees.
    let mut first_slot = 0u64;
    for (tree, row) in (0..64u8).rev().filter(|r| leaves >> r & 1 == 1).enumerate() {
        if node.row <= row {
            let root_index = first_slot >> row;
            if node.index >> (row - node.row) == root_index {
                return Some(tree);
            }
        }
        first_slot += 1u64 << row;
    }
    None
}

/// The nodes whose hashes a proof for `targets` carries, in the order the
/// proof carries them (by row, then index): every sibling of a node on a
/// path from a target to its root, unless that sibling is itself on such a
/// path (docs/spec/utreexo.md §Proofs, Proof hashes).
///
/// `targets` must be nodes that exist in a forest of `leaves` leaves.
pub(crate) fn proof_nodes(targets: &[Node], leaves: u64) -> Vec<Node> {
    let mut pending: BTreeSet<Node> = targets.iter().copied().collect();
    let mut needed = Vec::new();
    while let Some(node) = pending.pop_first() {
        // Every existing node reaches its root at most WIRE_ROWS rows up;
        // the bound only guards against misuse.
        if node.is_root(leaves) || node.row >= WIRE_ROWS {
            continue;
        }
        let sibling = node.sibling();
        // Nodes are taken in (row, index) order, so a left child meets its
        // right sibling next, and a right child's left sibling, if pending,
        // was taken first and removed it.
        if pending.first() == Some(&sibling) {
            pending.pop_first();
        } else {
            needed.push(sibling);
        }
        pending.insert(node.parent());
    }
    needed
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn wire_positions_round_trip() {
        for position in [0, 1, 5, 1 << 62, (1 << 63) - 1, 1 << 63, u64::MAX - 1] {
            let node = Node::from_wire(position).unwrap();
            assert_eq!(node.to_wire(), position);
        }
        assert_eq!(Node::from_wire(u64::MAX), None);
        assert_eq!(Node::from_wire(1 << 63), Some(Node { row: 1, index: 0 }));
        assert_eq!(
            Node::from_wire(u64::MAX - 1),
            Some(Node { row: 63, index: 0 })
        );
    }

    #[test]
    fn proof_nodes_of_a_single_leaf() {
        // 8 leaves: leaf 2 needs leaf 3, node (1, 0) and node (2, 1).
        let targets = [Node { row: 0, index: 2 }];
        assert_eq!(
            proof_nodes(&targets, 8),
            vec![
                Node { row: 0, index: 3 },
                Node { row: 1, index: 0 },
                Node { row: 2, index: 1 },
            ]
        );
        // 7 leaves: leaf 6 is a root.
        assert!(proof_nodes(&[Node { row: 0, index: 6 }], 7).is_empty());
        // Siblings prove each other.
        let both = [Node { row: 0, index: 0 }, Node { row: 0, index: 1 }];
        assert_eq!(proof_nodes(&both, 4), vec![Node { row: 1, index: 1 }]);
    }

    #[test]
    fn trees_of_nodes() {
        // 13 leaves: trees of 8 (slots 0-7), 4 (8-11) and 1 (12).
        let at = |row, index| tree_of(Node { row, index }, 13);
        assert_eq!(at(0, 0), Some(0));
        assert_eq!(at(3, 0), Some(0));
        assert_eq!(at(1, 3), Some(0));
        assert_eq!(at(0, 8), Some(1));
        assert_eq!(at(2, 2), Some(1));
        assert_eq!(at(1, 5), Some(1));
        assert_eq!(at(0, 12), Some(2));
        assert_eq!(at(0, 13), None);
        assert_eq!(at(2, 3), None);
        assert_eq!(tree_of(Node { row: 62, index: 0 }, 1 << 62), Some(0));
        assert_eq!(tree_of(Node { row: 0, index: 0 }, 0), None);
    }

    #[test]
    fn existence() {
        assert!(Node { row: 0, index: 4 }.exists(5));
        assert!(!Node { row: 0, index: 5 }.exists(5));
        assert!(Node { row: 2, index: 0 }.exists(5));
        assert!(!Node { row: 1, index: 2 }.exists(5));
        assert!(!Node { row: 64, index: 0 }.exists(u64::MAX));
    }
}
