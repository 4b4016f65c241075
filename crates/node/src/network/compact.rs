//! Compact blocks (docs/spec/network.md §Compact relay): a block announced
//! by 6-byte short IDs of its transactions, rebuilt by each peer from its
//! own mempool; a peer that lacks a transaction downloads the full block.

use std::collections::HashMap;
use std::hash::Hasher;

use accumulator::Proof;
use blockchain::{txroot, Block, BlockHeader, BlockID, Mempool};
use encoding::{DecodeError, Reader, Writer};
use musig::Signature;
use siphasher::sip::SipHasher24;
use zkvm::{Encodable, Tx, TxID};

/// A short transaction ID.
pub type ShortID = [u8; 6];

/// A block without its transactions' bodies.
#[derive(Clone, Debug)]
pub struct CompactBlock {
    /// The header.
    pub header: BlockHeader,
    /// The block signers' signature.
    pub signature: Signature,
    /// Keys the short IDs with the block's ID.
    pub nonce: u64,
    /// One per transaction, in block order.
    pub short_ids: Vec<ShortID>,
    /// The block's Utreexo proof of its inputs.
    pub utxo_proof: Proof,
    /// The block's commit certificate, on a validators chain (checked
    /// before the block is rebuilt).
    pub certificate: Option<Vec<u8>>,
}

/// SipHash-2-4 of the transaction ID with `k0 = nonce` and `k1` the first 8
/// bytes of the block ID (little-endian), its low 6 bytes.
pub fn short_id(nonce: u64, block: &BlockID, txid: &TxID) -> ShortID {
    let mut k1 = [0u8; 8];
    k1.copy_from_slice(&block.to_bytes()[..8]);
    let mut h = SipHasher24::new_with_keys(nonce, u64::from_le_bytes(k1));
    h.write(&txid.to_bytes());
    let full = h.finish().to_le_bytes();
    let mut id = [0u8; 6];
    id.copy_from_slice(&full[..6]);
    id
}

impl CompactBlock {
    /// The compact form of `block`, whose transactions have IDs `txids`.
    pub fn new(block: &Block, txids: &[TxID], nonce: u64) -> CompactBlock {
        let id = block.header.id();
        CompactBlock {
            header: block.header.clone(),
            signature: block.signature,
            nonce,
            short_ids: txids.iter().map(|t| short_id(nonce, &id, t)).collect(),
            utxo_proof: block.utxo_proof.clone(),
            certificate: block.certificate.clone(),
        }
    }

    /// `header || signature(64) || LE64 nonce || LE32 n || n × short ID(6)
    /// || LE32 len || utreexo proof`, then on a sealed block `LE32 len ||
    /// certificate` (as in the block's encoding).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = self.header.encode_to_vec();
        v.write(b"signature", &self.signature.to_bytes());
        v.write_u64(b"nonce", self.nonce);
        v.write_size(b"n", self.short_ids.len());
        for s in &self.short_ids {
            v.write(b"short_id", s);
        }
        let proof = self.utxo_proof.to_bytes();
        v.write_size(b"len", proof.len());
        v.write(b"proof", &proof);
        if let Some(c) = &self.certificate {
            v.write_size(b"len", c.len());
            v.write(b"certificate", c);
        }
        v
    }

    /// Decodes a compact block spanning all of `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<CompactBlock, DecodeError> {
        Reader::read_all(bytes, |r| {
            let header = BlockHeader::decode(r)?;
            let signature = Signature::from_bytes(r.read_bytes(64)?)
                .map_err(|_| DecodeError::Invalid("compact block: signature is not canonical"))?;
            let nonce = r.read_u64()?;
            let n = r.read_count()?;
            let short_ids = r.read_vec(n, 6, |r| r.read_array::<6>())?;
            let proof = r.read_sized_bytes()?;
            let utxo_proof = Proof::from_bytes(proof)
                .map_err(|_| DecodeError::Invalid("compact block: utreexo proof"))?;
            let certificate = if r.remaining() > 0 {
                let c = r.read_sized_bytes()?;
                if c.is_empty() || c.len() > blockchain::MAX_CERTIFICATE_SIZE {
                    return Err(DecodeError::Invalid("compact block: certificate size"));
                }
                Some(c.to_vec())
            } else {
                None
            };
            Ok(CompactBlock {
                header,
                signature,
                nonce,
                short_ids,
                utxo_proof,
                certificate,
            })
        })
    }

    /// The full block from the transactions of `pool`, if it holds every
    /// one, unambiguously, and they match the header's txroot.
    pub fn rebuild(&self, pool: &Mempool) -> Option<Block> {
        let id = self.header.id();
        let mut by_short: HashMap<ShortID, Option<&Tx>> = HashMap::new();
        for entry in pool.iter_by_fee_rate() {
            by_short
                .entry(short_id(self.nonce, &id, &entry.txid()))
                .and_modify(|e| *e = None) // two pool transactions collide
                .or_insert(Some(entry.tx()));
        }
        let txs: Vec<Tx> = self
            .short_ids
            .iter()
            .map(|s| by_short.get(s).copied().flatten().cloned())
            .collect::<Option<_>>()?;
        (txroot(&txs) == self.header.txroot).then(|| Block {
            header: self.header.clone(),
            signature: self.signature,
            txs,
            utxo_proof: self.utxo_proof.clone(),
            certificate: self.certificate.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_ids_depend_on_nonce_block_and_tx() {
        let (b1, b2) = (BlockID::from_bytes([1; 32]), BlockID::from_bytes([2; 32]));
        let t = TxID::from_bytes([9; 32]);
        let id = short_id(5, &b1, &t);
        assert_eq!(id, short_id(5, &b1, &t));
        assert_ne!(id, short_id(6, &b1, &t));
        assert_ne!(id, short_id(5, &b2, &t));
        assert_ne!(id, short_id(5, &b1, &TxID::from_bytes([8; 32])));
    }

    proptest! {
        #[test]
        fn decoder_is_total_and_exact(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(c) = CompactBlock::from_bytes(&bytes) {
                prop_assert_eq!(c.to_bytes(), bytes);
            }
        }
    }
}
