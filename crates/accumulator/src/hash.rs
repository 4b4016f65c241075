//! The accumulator's hash: leaf and node hashes from Merlin transcripts
//! (docs/spec/utreexo.md §Leaves and nodes).

use std::fmt;
use std::io;
use std::sync::OnceLock;

use merlin::Transcript;
use rustreexo::node_hash::AccumulatorHash;

/// Label of the transcript every leaf and node hash starts from
/// (docs/spec/utreexo.md §Leaves and nodes).
const DOMAIN: &[u8] = b"ZkVM.utreexo";

/// The reserved value standing for an empty (deleted) node: 32 zero bytes
/// (docs/spec/utreexo.md §Leaves and nodes, Reserved values).
const EMPTY: [u8; 32] = [0x00; 32];

/// The reserved value standing for a node whose hash is unknown: 32 `0xff`
/// bytes (docs/spec/utreexo.md §Leaves and nodes, Reserved values).
const PLACEHOLDER: [u8; 32] = [0xff; 32];

/// The transcript `Transcript::new("ZkVM.utreexo")`, built once and cloned
/// for every hash (cloning gives the same transcript state as building it).
fn domain_transcript() -> Transcript {
    static BASE: OnceLock<Transcript> = OnceLock::new();
    BASE.get_or_init(|| Transcript::new(DOMAIN)).clone()
}

/// A 32-byte hash of a leaf or an inner node of the Utreexo forest
/// (docs/spec/utreexo.md §Leaves and nodes).
///
/// Leaves are hashed from a contract ID with [`ZkvmHash::leaf`]; parents from
/// their two children with [`ZkvmHash::node`]. Two values are reserved:
/// 32 zero bytes mark an empty (deleted) node and 32 `0xff` bytes a node of
/// unknown hash (docs/spec/utreexo.md §Leaves and nodes, Reserved values).
/// A transcript output equals either with probability 2^-256; the decoders
/// reject them where they cannot occur and the accumulators refuse them as
/// leaves.
///
/// This type implements rustreexo's [`AccumulatorHash`], which is how the
/// library's forests use our hash.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ZkvmHash([u8; 32]);

impl ZkvmHash {
    /// The leaf hash of a UTXO, given its 32-byte contract ID
    /// (docs/spec/utreexo.md §Leaves and nodes, Leaf hash):
    ///
    /// ```text
    /// T = Transcript("ZkVM.utreexo")
    /// T.append("contract", contract_id)
    /// leaf = T.challenge_bytes("merkle.leaf")
    /// ```
    pub fn leaf(contract_id: &[u8; 32]) -> Self {
        let mut t = domain_transcript();
        t.append_message(b"contract", contract_id);
        let mut out = [0u8; 32];
        t.challenge_bytes(b"merkle.leaf", &mut out);
        Self(out)
    }

    /// The hash of an inner node from its children
    /// (docs/spec/utreexo.md §Leaves and nodes, Node hash):
    ///
    /// ```text
    /// T = Transcript("ZkVM.utreexo")
    /// T.append("L", left)
    /// T.append("R", right)
    /// node = T.challenge_bytes("merkle.node")
    /// ```
    pub fn node(left: &Self, right: &Self) -> Self {
        let mut t = domain_transcript();
        t.append_message(b"L", &left.0);
        t.append_message(b"R", &right.0);
        let mut out = [0u8; 32];
        t.challenge_bytes(b"merkle.node", &mut out);
        Self(out)
    }

    /// Wraps 32 bytes as a hash, reserved values included
    /// (docs/spec/utreexo.md §Leaves and nodes, Reserved values).
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The hash's 32 bytes, as proofs and snapshots carry them
    /// (docs/spec/utreexo.md §Proofs, Encoding).
    pub const fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// The hash's 32 bytes, borrowed (docs/spec/utreexo.md §Proofs,
    /// Encoding).
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Whether this is one of the two reserved values (empty or unknown
    /// node), which never stand for a leaf
    /// (docs/spec/utreexo.md §Leaves and nodes, Reserved values).
    pub fn is_reserved(&self) -> bool {
        self.0 == EMPTY || self.0 == PLACEHOLDER
    }
}

impl fmt::Display for ZkvmHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in &self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ZkvmHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ZkvmHash({self})")
    }
}

impl AccumulatorHash for ZkvmHash {
    fn is_empty(&self) -> bool {
        self.0 == EMPTY
    }

    fn empty() -> Self {
        Self(EMPTY)
    }

    fn is_placeholder(&self) -> bool {
        self.0 == PLACEHOLDER
    }

    fn placeholder() -> Self {
        Self(PLACEHOLDER)
    }

    fn parent_hash(left: &Self, right: &Self) -> Self {
        Self::node(left, right)
    }

    fn write<W>(&self, writer: &mut W) -> io::Result<()>
    where
        W: io::Write,
    {
        writer.write_all(&self.0)
    }

    fn read<R>(reader: &mut R) -> io::Result<Self>
    where
        R: io::Read,
    {
        let mut bytes = [0u8; 32];
        reader.read_exact(&mut bytes)?;
        Ok(Self(bytes))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn leaf_and_node_follow_the_transcript_recipe() {
        let id = [7u8; 32];
        let mut t = Transcript::new(b"ZkVM.utreexo");
        t.append_message(b"contract", &id);
        let mut expected = [0u8; 32];
        t.challenge_bytes(b"merkle.leaf", &mut expected);
        assert_eq!(ZkvmHash::leaf(&id).to_bytes(), expected);

        let (l, r) = (ZkvmHash::leaf(&[1; 32]), ZkvmHash::leaf(&[2; 32]));
        let mut t = Transcript::new(b"ZkVM.utreexo");
        t.append_message(b"L", l.as_bytes());
        t.append_message(b"R", r.as_bytes());
        t.challenge_bytes(b"merkle.node", &mut expected);
        assert_eq!(ZkvmHash::node(&l, &r).to_bytes(), expected);
        assert_ne!(ZkvmHash::node(&l, &r), ZkvmHash::node(&r, &l));
    }

    #[test]
    fn reserved_values_are_the_library_markers() {
        assert!(ZkvmHash::empty().is_empty() && ZkvmHash::empty().is_reserved());
        assert!(ZkvmHash::placeholder().is_placeholder());
        assert!(ZkvmHash::placeholder().is_reserved());
        assert_eq!(ZkvmHash::default(), ZkvmHash::empty());
        assert!(!ZkvmHash::leaf(&[0; 32]).is_reserved());
    }
}
