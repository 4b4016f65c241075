//! Transcript-based Merkle trees (docs/spec/zkvm.md §Merkle tree): the
//! shape of RFC 6962 §2.1 with every hash a Merlin transcript challenge.
//! Used for transaction IDs and taproot trees.

use merlin::Transcript;

use crate::encoding::{Encodable, Reader, Writer};
use crate::errors::VMError;

/// A 32-byte Merkle hash.
pub type Hash = [u8; 32];

/// An item that can be a leaf: it writes its fields into the leaf's
/// transcript.
pub trait MerkleItem {
    /// Appends the item's fields to `t`.
    fn commit(&self, t: &mut Transcript);
}

impl<T: MerkleItem> MerkleItem for &T {
    fn commit(&self, t: &mut Transcript) {
        (*self).commit(t)
    }
}

/// Hashes leaves and nodes of the tree labelled `label`: every hash starts
/// from a fresh `Transcript(label)`.
#[derive(Clone)]
pub struct Hasher {
    base: Transcript,
}

impl Hasher {
    /// A hasher for trees labelled `label` (e.g. `"ZkVM.txid"`).
    pub fn new(label: &'static [u8]) -> Self {
        Hasher {
            base: Transcript::new(label),
        }
    }

    /// Hash of the empty list: challenge `"merkle.empty"`.
    pub fn empty(&self) -> Hash {
        let mut t = self.base.clone();
        let mut h = [0u8; 32];
        t.challenge_bytes(b"merkle.empty", &mut h);
        h
    }

    /// Leaf hash: the item's fields, then challenge `"merkle.leaf"`.
    pub fn leaf(&self, item: &impl MerkleItem) -> Hash {
        let mut t = self.base.clone();
        item.commit(&mut t);
        let mut h = [0u8; 32];
        t.challenge_bytes(b"merkle.leaf", &mut h);
        h
    }

    /// Node hash: messages `"L"`, `"R"`, then challenge `"merkle.node"`.
    pub fn node(&self, left: &Hash, right: &Hash) -> Hash {
        let mut t = self.base.clone();
        t.append_message(b"L", left);
        t.append_message(b"R", right);
        let mut h = [0u8; 32];
        t.challenge_bytes(b"merkle.node", &mut h);
        h
    }

    /// Root of `items`: for `n > 1`, the node of the roots of the first
    /// `k` and the remaining items, `k` the largest power of two below `n`.
    pub fn root<M: MerkleItem>(&self, items: &[M]) -> Hash {
        match items {
            [] => self.empty(),
            [one] => self.leaf(one),
            _ => {
                let k = split_point(items.len());
                self.node(&self.root(&items[..k]), &self.root(&items[k..]))
            }
        }
    }
}

/// Largest power of two strictly below `n` (for `n ≥ 2`).
fn split_point(n: usize) -> usize {
    n.next_power_of_two() / 2
}

/// Longest path we accept: positions are 64-bit.
pub const MAX_PATH_DEPTH: usize = 64;

/// The neighbors of a leaf on its way to the root, bottom first, and its
/// position: bit `i` of `position` is 1 when, at height `i`, the path node
/// is a right child (its neighbor is on the left).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Path {
    /// Side bits, lowest for the leaf's level.
    pub position: u64,
    /// Neighbor hashes, the leaf's sibling first.
    pub neighbors: Vec<Hash>,
}

impl Path {
    /// The path of `items[index]`, or `None` if `index` is out of range.
    pub fn new<M: MerkleItem>(items: &[M], index: usize, hasher: &Hasher) -> Option<Path> {
        if index >= items.len() {
            return None;
        }
        let mut path = Path::default();
        let (mut list, mut index) = (items, index);
        let mut top_down = Vec::new();
        while list.len() > 1 {
            let k = split_point(list.len());
            if index >= k {
                top_down.push((true, hasher.root(&list[..k])));
                list = &list[k..];
                index -= k;
            } else {
                top_down.push((false, hasher.root(&list[k..])));
                list = &list[..k];
            }
        }
        for (height, (is_right, neighbor)) in top_down.into_iter().rev().enumerate() {
            path.position |= u64::from(is_right) << height;
            path.neighbors.push(neighbor);
        }
        Some(path)
    }

    /// The root reached from `item` along this path.
    pub fn compute_root(&self, item: &impl MerkleItem, hasher: &Hasher) -> Hash {
        self.neighbors
            .iter()
            .enumerate()
            .fold(hasher.leaf(item), |current, (height, neighbor)| {
                if (self.position >> height) & 1 == 1 {
                    hasher.node(neighbor, &current)
                } else {
                    hasher.node(&current, neighbor)
                }
            })
    }

    /// Decodes `LE64(position) || LE32(n) || n × 32 bytes`. Stricter than the
    /// reference: at most 64 neighbors and no position bits above the
    /// path's length, so one path has one encoding.
    pub fn decode(r: &mut Reader<'_>) -> Result<Path, VMError> {
        let position = r.read_u64()?;
        let n = r.read_count()?;
        if n > MAX_PATH_DEPTH {
            return Err(VMError::InvalidCallProof("path longer than 64"));
        }
        if n < 64 && position >> n != 0 {
            return Err(VMError::InvalidCallProof("position bits beyond the path"));
        }
        let neighbors = r.read_vec(n, 32, |r| r.read_array::<32>())?;
        Ok(Path {
            position,
            neighbors,
        })
    }
}

impl Encodable for Path {
    fn encode(&self, w: &mut impl Writer) {
        w.write_u64(b"position", self.position);
        w.write_size(b"n", self.neighbors.len());
        for h in &self.neighbors {
            w.write(b"hash", h);
        }
    }

    fn encoded_size(&self) -> usize {
        8 + 4 + 32 * self.neighbors.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Leaf(u8);
    impl MerkleItem for Leaf {
        fn commit(&self, t: &mut Transcript) {
            t.append_message(b"leaf", &[self.0]);
        }
    }

    #[test]
    fn shape_is_rfc6962() {
        let h = Hasher::new(b"test");
        let leaves: Vec<Leaf> = (0..3).map(Leaf).collect();
        let ab = h.node(&h.leaf(&leaves[0]), &h.leaf(&leaves[1]));
        assert_eq!(h.root(&leaves), h.node(&ab, &h.leaf(&leaves[2])));
        assert_ne!(h.root::<Leaf>(&[]), h.root(&leaves[..1]));
    }

    #[test]
    fn every_path_leads_to_the_root_and_round_trips() {
        let h = Hasher::new(b"test");
        for n in 1..20u8 {
            let leaves: Vec<Leaf> = (0..n).map(Leaf).collect();
            let root = h.root(&leaves);
            for i in 0..n as usize {
                let path = Path::new(&leaves, i, &h).unwrap();
                assert_eq!(path.compute_root(&leaves[i], &h), root, "{n} {i}");
                let bytes = path.encode_to_vec();
                let decoded = Reader::read_all(&bytes, Path::decode).unwrap();
                assert_eq!(decoded, path);
                if i + 1 < n as usize {
                    assert_ne!(path.compute_root(&leaves[i + 1], &h), root);
                }
            }
            assert!(Path::new(&leaves, n as usize, &h).is_none());
        }
    }

    #[test]
    fn stray_position_bits_are_rejected() {
        let path = Path {
            position: 0b100,
            neighbors: vec![[0u8; 32]; 2],
        };
        let bytes = path.encode_to_vec();
        assert!(Reader::read_all(&bytes, Path::decode).is_err());
    }
}
