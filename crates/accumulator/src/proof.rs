//! Inclusion proofs and their byte encoding (docs/spec/utreexo.md §Proofs).

use rustreexo::proof::Proof as RProof;

use crate::positions::{proof_nodes, Node};
use encoding::Reader;

use crate::error::decoding;
use crate::{AccumulatorError, ZkvmHash};

/// The most leaves one proof may cover (2^24); decoders and provers refuse
/// more (docs/spec/utreexo.md §Proofs, Encoding).
pub const MAX_PROOF_TARGETS: usize = 1 << 24;

/// An inclusion proof for one or more leaves (a batch proof)
/// (docs/spec/utreexo.md §Proofs).
///
/// It lists the leaves' positions, in the order of the leaves it proves,
/// and the hashes of the nodes needed to recompute the roots from them,
/// ordered by row and then by index. A proof is made by a
/// [`Forest`](crate::Forest) or a [`Pollard`](crate::Pollard), or decoded
/// with [`Proof::from_bytes`]; it is checked against the roots with
/// [`Accumulator::verify`](crate::Accumulator::verify).
///
/// # Layout
///
/// ```text
/// LE32 n              number of positions (at most MAX_PROOF_TARGETS)
/// n × LE64 position   distinct
/// LE32 m              number of hashes
/// m × 32 bytes        hashes, none of them a reserved value
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proof {
    inner: RProof<ZkvmHash>,
}

impl Default for Proof {
    fn default() -> Self {
        Self::empty()
    }
}

impl Proof {
    /// The proof for no leaves: what
    /// [`Accumulator::modify`](crate::Accumulator::modify) takes when a
    /// block deletes nothing (docs/spec/utreexo.md §Proofs).
    pub fn empty() -> Self {
        Self {
            inner: RProof::new_with_hash(Vec::new(), Vec::new()),
        }
    }

    /// The positions of the proven leaves, in the order of the leaves
    /// (docs/spec/utreexo.md §Forest and roots, Positions).
    pub fn targets(&self) -> &[u64] {
        &self.inner.targets
    }

    /// The hashes of the nodes the proof carries, by row then index
    /// (docs/spec/utreexo.md §Proofs, Proof hashes).
    pub fn hashes(&self) -> &[ZkvmHash] {
        &self.inner.hashes
    }

    /// The number of leaves the proof covers: `n` of the encoding
    /// (docs/spec/utreexo.md §Proofs, Encoding).
    pub fn num_targets(&self) -> usize {
        self.inner.targets.len()
    }

    /// Length of [`Proof::to_bytes`]: `8 + 8n + 32m`
    /// (docs/spec/utreexo.md §Proofs, Encoding).
    pub fn serialized_size(&self) -> usize {
        8 + 8 * self.inner.targets.len() + 32 * self.inner.hashes.len()
    }

    /// Encodes the proof (docs/spec/utreexo.md §Proofs, Encoding; see the
    /// type's `# Layout`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.serialized_size());
        // Both counts fit: proofs cover at most MAX_PROOF_TARGETS leaves,
        // and carry at most 63 hashes per leaf.
        let targets = u32::try_from(self.inner.targets.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&targets.to_le_bytes());
        for target in &self.inner.targets {
            out.extend_from_slice(&target.to_le_bytes());
        }
        let hashes = u32::try_from(self.inner.hashes.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&hashes.to_le_bytes());
        for hash in &self.inner.hashes {
            out.extend_from_slice(hash.as_bytes());
        }
        out
    }

    /// Decodes a proof, strictly (docs/spec/utreexo.md §Proofs, Encoding):
    /// counts are checked against the bytes left before anything is
    /// allocated, positions must be distinct, hashes must not be reserved
    /// values, and no byte may follow. Whether the proof holds is decided
    /// later, against the roots, by
    /// [`Accumulator::verify`](crate::Accumulator::verify).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AccumulatorError> {
        let mut r = Reader::new(bytes);

        let n = r.read_count().map_err(decoding("target count"))?;
        if n > MAX_PROOF_TARGETS {
            return Err(AccumulatorError::TooManyTargets {
                max: MAX_PROOF_TARGETS,
                got: n as u64,
            });
        }
        let targets = r
            .read_vec(n, 8, |r| r.read_u64())
            .map_err(decoding("targets"))?;
        check_distinct(&targets)?;

        let m = r.read_count().map_err(decoding("hash count"))?;
        let hashes = r
            .read_vec(m, 32, |r| r.read_32().map(ZkvmHash::from_bytes))
            .map_err(decoding("hashes"))?;
        if let Some(index) = hashes.iter().position(ZkvmHash::is_reserved) {
            return Err(AccumulatorError::ReservedHashInEncoding {
                field: "proof",
                index,
            });
        }
        r.finish().map_err(decoding("proof"))?;

        Ok(Self {
            inner: RProof::new_with_hash(targets, hashes),
        })
    }

    pub(crate) fn from_inner(inner: RProof<ZkvmHash>) -> Self {
        Self { inner }
    }

    pub(crate) fn inner(&self) -> &RProof<ZkvmHash> {
        &self.inner
    }

    /// Steps 1 to 4 of verification (docs/spec/utreexo.md §Proofs,
    /// Verification): the proof's shape against `leaves` and a forest of
    /// `num_leaves` leaves. Returns the proven nodes.
    pub(crate) fn check_shape(
        &self,
        leaves: &[ZkvmHash],
        num_leaves: u64,
    ) -> Result<Vec<Node>, AccumulatorError> {
        let targets = self.targets();
        if targets.len() != leaves.len() {
            return Err(AccumulatorError::TargetCountMismatch {
                targets: targets.len(),
                leaves: leaves.len(),
            });
        }
        if targets.len() > MAX_PROOF_TARGETS {
            return Err(AccumulatorError::TooManyTargets {
                max: MAX_PROOF_TARGETS,
                got: targets.len() as u64,
            });
        }
        let mut nodes = Vec::with_capacity(targets.len());
        for &target in targets {
            match Node::from_wire(target) {
                Some(node) if node.exists(num_leaves) => nodes.push(node),
                _ => return Err(AccumulatorError::TargetOutOfRange(target)),
            }
        }
        check_distinct(targets)?;
        let expected = proof_nodes(&nodes, num_leaves).len();
        if expected != self.hashes().len() {
            return Err(AccumulatorError::ProofHashCount {
                expected,
                got: self.hashes().len(),
            });
        }
        if let Some(leaf) = leaves.iter().find(|leaf| leaf.is_reserved()) {
            return Err(AccumulatorError::ReservedLeaf(*leaf));
        }
        Ok(nodes)
    }
}

/// Fails on the first position that appears twice.
fn check_distinct(targets: &[u64]) -> Result<(), AccumulatorError> {
    let mut sorted = targets.to_vec();
    sorted.sort_unstable();
    match sorted.windows(2).find(|w| w[0] == w[1]) {
        Some(w) => Err(AccumulatorError::DuplicateTarget(w[0])),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use encoding::DecodeError;

    fn sample() -> Proof {
        Proof::from_inner(RProof::new_with_hash(
            vec![3, 1 << 63],
            vec![ZkvmHash::leaf(&[1; 32]), ZkvmHash::leaf(&[2; 32])],
        ))
    }

    #[test]
    fn encoding_round_trips() {
        let proof = sample();
        let bytes = proof.to_bytes();
        assert_eq!(bytes.len(), proof.serialized_size());
        assert_eq!(bytes.len(), 4 + 16 + 4 + 64);
        assert_eq!(Proof::from_bytes(&bytes).unwrap(), proof);
        assert_eq!(
            Proof::from_bytes(&Proof::empty().to_bytes()).unwrap(),
            Proof::empty()
        );
    }

    #[test]
    fn decoding_is_strict() {
        let bytes = sample().to_bytes();
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            Proof::from_bytes(&long),
            Err(AccumulatorError::Decode {
                field: "proof",
                source: DecodeError::TrailingBytes(1)
            })
        );
        for cut in 0..bytes.len() {
            assert!(matches!(
                Proof::from_bytes(&bytes[..cut]),
                Err(AccumulatorError::Decode {
                    source: DecodeError::UnexpectedEnd { .. },
                    ..
                })
            ));
        }
        // A huge count is refused before allocating.
        let mut huge = u32::MAX.to_le_bytes().to_vec();
        huge.extend_from_slice(&[0; 16]);
        assert!(matches!(
            Proof::from_bytes(&huge),
            Err(AccumulatorError::TooManyTargets { .. })
        ));
        let mut big = (MAX_PROOF_TARGETS as u32).to_le_bytes().to_vec();
        big.extend_from_slice(&[0; 16]);
        assert!(matches!(
            Proof::from_bytes(&big),
            Err(AccumulatorError::Decode {
                field: "targets",
                source: DecodeError::UnexpectedEnd { .. }
            })
        ));
        // Duplicate positions and reserved hashes are refused.
        let dup = Proof::from_inner(RProof::new_with_hash(vec![2, 2], vec![]));
        assert_eq!(
            Proof::from_bytes(&dup.to_bytes()),
            Err(AccumulatorError::DuplicateTarget(2))
        );
        let reserved = Proof::from_inner(RProof::new_with_hash(
            vec![0],
            vec![ZkvmHash::leaf(&[1; 32]), ZkvmHash::from_bytes([0xff; 32])],
        ));
        assert_eq!(
            Proof::from_bytes(&reserved.to_bytes()),
            Err(AccumulatorError::ReservedHashInEncoding {
                field: "proof",
                index: 1
            })
        );
    }
}
