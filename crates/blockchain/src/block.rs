//! Blocks and headers (docs/spec/blockchain.md §Block header, §Block ID,
//! §Block, §Block signature, §Transaction root).

use accumulator::{Accumulator, Proof};
use encoding::{DecodeError, Reader, Writer};
use merlin::Transcript;
use musig::{SecretKey, Signature, VerificationKey};
use zkvm::{Encodable, Hasher, MerkleItem, Tx};

use crate::BlockchainError;

/// Largest encoded block we accept.
pub const MAX_BLOCK_SIZE: usize = 16 << 20;

/// Largest certificate section a block may carry (a commit certificate of
/// 256 signers is 24,624 bytes; docs/spec/consensus.md §Commit
/// certificate).
pub const MAX_CERTIFICATE_SIZE: usize = 64 << 10;

/// The signature field of a block on a validators chain: 64 zero bytes
/// (docs/spec/blockchain.md §Block signature). The block's commit
/// certificate seals it instead.
pub const NO_SIGNATURE: [u8; 64] = [0; 64];

/// The current block version.
pub const CURRENT_BLOCK_VERSION: u64 = 1;

encoding::id32! {
    /// A block's ID (a transcript hash of its header).
    pub struct BlockID;
}

/// A block header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockHeader {
    /// Block version (1).
    pub version: u64,
    /// Height: 1 for the initial block, then +1 per block.
    pub height: u64,
    /// ID of the previous block (zero for the initial one).
    pub previd: BlockID,
    /// Milliseconds since the Unix epoch; strictly increasing.
    pub timestamp_ms: u64,
    /// Merkle root of the transactions' witness hashes.
    pub txroot: [u8; 32],
    /// Commitment to the UTXO set after the block.
    pub utxoroot: [u8; 32],
    /// Extensions (empty in version 1).
    pub ext: Vec<u8>,
}

impl BlockHeader {
    /// The block ID: `Transcript("ZkVM.blockheader")` with `version`,
    /// `height`, `previd`, `timestamp_ms`, `txroot`, `utxoroot`, `ext`, then
    /// challenge `"id"` (the reference's definition).
    pub fn id(&self) -> BlockID {
        let mut t = Transcript::new(b"ZkVM.blockheader");
        t.append_u64(b"version", self.version);
        t.append_u64(b"height", self.height);
        t.append_message(b"previd", &self.previd.0);
        t.append_u64(b"timestamp_ms", self.timestamp_ms);
        t.append_message(b"txroot", &self.txroot);
        t.append_message(b"utxoroot", &self.utxoroot);
        t.append_message(b"ext", &self.ext);
        let mut id = [0u8; 32];
        t.challenge_bytes(b"id", &mut id);
        BlockID::from_bytes(id)
    }

    /// Decodes `LE64 version || LE64 height || previd || LE64 timestamp_ms
    /// || txroot || utxoroot || LE32 n || ext`.
    pub fn decode(r: &mut Reader<'_>) -> Result<BlockHeader, DecodeError> {
        Ok(BlockHeader {
            version: r.read_u64()?,
            height: r.read_u64()?,
            previd: BlockID::from_bytes(r.read_32()?),
            timestamp_ms: r.read_u64()?,
            txroot: r.read_array()?,
            utxoroot: r.read_array()?,
            ext: r.read_sized_bytes()?.to_vec(),
        })
    }

    /// Decodes a header spanning all of `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<BlockHeader, BlockchainError> {
        Reader::read_all(bytes, BlockHeader::decode).map_err(BlockchainError::Decode)
    }
}

impl Encodable for BlockHeader {
    fn encode(&self, w: &mut impl Writer) {
        w.write_u64(b"version", self.version);
        w.write_u64(b"height", self.height);
        w.write(b"previd", &self.previd.0);
        w.write_u64(b"timestamp_ms", self.timestamp_ms);
        w.write(b"txroot", &self.txroot);
        w.write(b"utxoroot", &self.utxoroot);
        w.write_size(b"ext_len", self.ext.len());
        w.write(b"ext", &self.ext);
    }

    fn encoded_size(&self) -> usize {
        8 + 8 + 32 + 8 + 32 + 32 + 4 + self.ext.len()
    }
}

/// A block: the header, the block signers' signature of its ID, the
/// transactions, one Utreexo proof of every input that spends an output
/// of an earlier block and, on a validators chain, the commit certificate
/// that decided it (docs/spec/blockchain.md §Block, §Block signature).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The header.
    pub header: BlockHeader,
    /// Signature of the block ID by the network's block key.
    pub signature: Signature,
    /// The transactions, in order.
    pub txs: Vec<Tx>,
    /// Proof of the spent outputs, against the UTXO set before the block.
    pub utxo_proof: Proof,
    /// On a validators chain, the encoded commit certificate that seals a
    /// decided block (docs/spec/consensus.md §Commit certificate; the
    /// node checks it against the genesis's set). `None` on a block-key
    /// chain, and on a proposal, which is decided by the very votes the
    /// certificate gathers.
    pub certificate: Option<Vec<u8>>,
}

impl Block {
    /// Encoding: `header || signature(64) || LE32 n || n × (LE32 len || tx)
    /// || LE32 len || utreexo proof`, then, on a sealed block only, `LE32
    /// len || certificate`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = self.header.encode_to_vec();
        v.extend_from_slice(&self.signature.to_bytes());
        v.write_size(b"n", self.txs.len());
        for tx in &self.txs {
            let bytes = tx.to_bytes();
            v.write_size(b"len", bytes.len());
            v.extend_from_slice(&bytes);
        }
        let proof = self.utxo_proof.to_bytes();
        v.write_size(b"len", proof.len());
        v.extend_from_slice(&proof);
        if let Some(certificate) = &self.certificate {
            v.write_size(b"len", certificate.len());
            v.extend_from_slice(certificate);
        }
        v
    }

    /// Whether the signature field is [`NO_SIGNATURE`].
    pub fn is_unsigned(&self) -> bool {
        self.signature.to_bytes() == NO_SIGNATURE
    }

    /// Decodes a block spanning all of `bytes` (at most [`MAX_BLOCK_SIZE`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Block, BlockchainError> {
        if bytes.len() > MAX_BLOCK_SIZE {
            return Err(BlockchainError::TooLarge {
                size: bytes.len(),
                limit: MAX_BLOCK_SIZE,
            });
        }
        let mut r = Reader::new(bytes);
        let header = BlockHeader::decode(&mut r)?;
        let sig = r.read_bytes(64)?;
        let signature = Signature::from_bytes(sig).map_err(BlockchainError::SignatureEncoding)?;
        let n = r.read_count()?;
        // The smallest transaction is well over 400 bytes; 4 bounds the count.
        let mut index = 0;
        let txs = r.read_vec(n, 4, |r| {
            let tx = Tx::from_bytes(r.read_sized_bytes()?)
                .map_err(|error| BlockchainError::DecodeTx { index, error })?;
            index += 1;
            Ok::<_, BlockchainError>(tx)
        })?;
        let proof_bytes = r.read_sized_bytes()?;
        let utxo_proof = Proof::from_bytes(proof_bytes).map_err(BlockchainError::Utxo)?;
        let certificate = if r.remaining() > 0 {
            let c = r.read_sized_bytes()?;
            if c.is_empty() || c.len() > MAX_CERTIFICATE_SIZE {
                return Err(BlockchainError::CertificateSize(c.len()));
            }
            Some(c.to_vec())
        } else {
            None
        };
        r.finish()?;
        Ok(Block {
            header,
            signature,
            txs,
            utxo_proof,
            certificate,
        })
    }
}

/// A transaction's witness hash: `Transcript("ZkVM.tx_witness_hash")`,
/// message `"tx"` = its encoding, challenge `"hash"`. Unlike the txid it
/// covers the program, signature and proof.
pub fn witness_hash(tx: &Tx) -> [u8; 32] {
    let mut t = Transcript::new(b"ZkVM.tx_witness_hash");
    t.append_message(b"tx", &tx.to_bytes());
    let mut h = [0u8; 32];
    t.challenge_bytes(b"hash", &mut h);
    h
}

struct WitnessLeaf([u8; 32]);

impl MerkleItem for WitnessLeaf {
    fn commit(&self, t: &mut Transcript) {
        t.append_message(b"txwit", &self.0);
    }
}

/// The transaction root: Merkle tree labelled `"ZkVM.txroot"` over the
/// witness hashes (message `"txwit"`).
pub fn txroot(txs: &[Tx]) -> [u8; 32] {
    let witnesses: Vec<[u8; 32]> = txs.iter().map(witness_hash).collect();
    txroot_of_witnesses(&witnesses)
}

/// [`txroot`] from the transactions' witness hashes, in order.
pub(crate) fn txroot_of_witnesses(witnesses: &[[u8; 32]]) -> [u8; 32] {
    let leaves: Vec<WitnessLeaf> = witnesses.iter().copied().map(WitnessLeaf).collect();
    Hasher::new(b"ZkVM.txroot").root(&leaves)
}

/// The UTXO root: `Transcript("ZkVM.utxoroot")`, message `"roots"` = the
/// accumulator snapshot (leaf count and roots), challenge `"root"`.
pub fn utxoroot(utxos: &Accumulator) -> [u8; 32] {
    let mut t = Transcript::new(b"ZkVM.utxoroot");
    t.append_message(b"roots", &utxos.to_bytes());
    let mut h = [0u8; 32];
    t.challenge_bytes(b"root", &mut h);
    h
}

/// The transcript a block signature signs: `Transcript("ZkVM.blocksig")`
/// with the block ID under `"blockid"`.
fn signature_transcript(id: &BlockID) -> Transcript {
    let mut t = Transcript::new(b"ZkVM.blocksig");
    t.append_message(b"blockid", &id.0);
    t
}

/// Signs a header's ID with the block key (one key, or a MuSig aggregated
/// key's secret).
pub fn sign_header(header: &BlockHeader, key: &SecretKey) -> Signature {
    Signature::sign(&mut signature_transcript(&header.id()), key)
}

/// The seal check of a block's header that stage 1 can make
/// (docs/spec/blockchain.md §Block signature): on a chain signed by its
/// block key, no certificate and the signature under `signers`; on a
/// validators chain (`certified`), the signature field is
/// [`NO_SIGNATURE`] — the certificate is checked by the caller against
/// the validator set, which this crate does not know.
pub fn check_seal(
    block: &Block,
    certified: bool,
    signers: &VerificationKey,
) -> Result<(), BlockchainError> {
    if certified {
        if !block.is_unsigned() {
            return Err(BlockchainError::SignatureOnCertifiedChain);
        }
        Ok(())
    } else {
        if block.certificate.is_some() {
            return Err(BlockchainError::CertificateOnKeyChain);
        }
        verify_header_signature(&block.header, &block.signature, signers)
    }
}

/// Checks a header's signature by `signers`.
pub fn verify_header_signature(
    header: &BlockHeader,
    signature: &Signature,
    signers: &VerificationKey,
) -> Result<(), BlockchainError> {
    signature
        .verify(&mut signature_transcript(&header.id()), signers)
        .map_err(|_| BlockchainError::BadSignature)
}
