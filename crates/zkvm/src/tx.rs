//! Transactions, their log and ID (docs/spec/zkvm.md §Transaction,
//! §Transaction log, §Transaction ID, §Transaction encoding).

use curve25519_dalek::ristretto::CompressedRistretto;
use merlin::Transcript;
use musig::Signature;
use r1cs::R1CSProof;

use crate::encoding::{Encodable, Reader, Writer};
use crate::errors::VMError;
use crate::merkle::{Hasher, MerkleItem, Path};
use crate::{Contract, ContractID, FeeRate};

/// The current transaction version: higher versions may use extension
/// opcodes.
pub const CURRENT_VERSION: u64 = 1;

/// Version and time bounds (milliseconds since the Unix epoch).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TxHeader {
    /// Transaction version.
    pub version: u64,
    /// Earliest block time at which the transaction is valid.
    pub mintime_ms: u64,
    /// Latest block time at which the transaction is valid.
    pub maxtime_ms: u64,
}

impl TxHeader {
    fn decode(r: &mut Reader<'_>) -> Result<TxHeader, VMError> {
        Ok(TxHeader {
            version: r.read_u64()?,
            mintime_ms: r.read_u64()?,
            maxtime_ms: r.read_u64()?,
        })
    }
}

impl Encodable for TxHeader {
    fn encode(&self, w: &mut impl Writer) {
        w.write_u64(b"version", self.version);
        w.write_u64(b"mintime", self.mintime_ms);
        w.write_u64(b"maxtime", self.maxtime_ms);
    }

    fn encoded_size(&self) -> usize {
        24
    }
}

/// A transaction: header, program, signature, proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tx {
    /// Version and time bounds.
    pub header: TxHeader,
    /// The program's bytecode.
    pub program: Vec<u8>,
    /// The aggregated `signtx` signature (ignored when nothing signs).
    pub signature: Signature,
    /// The R1CS proof.
    pub proof: R1CSProof,
}

impl Tx {
    /// Decodes `header || LE32(len) || program || R || s || LE32(len) ||
    /// proof`, consuming every byte. `s` must be canonical and the proof
    /// well formed; points are checked at verification.
    pub fn from_bytes(bytes: &[u8]) -> Result<Tx, VMError> {
        Reader::read_all(bytes, |r| {
            let header = TxHeader::decode(r)?;
            let program = r.read_sized_bytes()?.to_vec();
            let signature =
                Signature::from_bytes(r.read_bytes(64)?).map_err(VMError::InvalidSignature)?;
            let proof =
                R1CSProof::from_bytes(r.read_sized_bytes()?).map_err(VMError::InvalidR1CSProof)?;
            Ok(Tx {
                header,
                program,
                signature,
                proof,
            })
        })
    }

    /// The encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.encode_to_vec()
    }
}

impl Encodable for Tx {
    fn encode(&self, w: &mut impl Writer) {
        self.header.encode(w);
        w.write_size(b"program_len", self.program.len());
        w.write(b"program", &self.program);
        w.write(b"signature", &self.signature.to_bytes());
        let proof = self.proof.to_bytes();
        w.write_size(b"r1cs_proof_len", proof.len());
        w.write(b"r1cs_proof", &proof);
    }

    fn encoded_size(&self) -> usize {
        24 + 4 + self.program.len() + 64 + 4 + self.proof.serialized_size()
    }
}

/// An entry of the transaction log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxEntry {
    /// The header (always the first entry).
    Header(TxHeader),
    /// `issue`: quantity and flavor commitments.
    Issue(CompressedRistretto, CompressedRistretto),
    /// `retire`: quantity and flavor commitments.
    Retire(CompressedRistretto, CompressedRistretto),
    /// `input`: the spent UTXO's contract ID.
    Input(ContractID),
    /// `output`: the new UTXO.
    Output(Contract),
    /// `fee`: the quantity paid.
    Fee(u64),
    /// `log`: data.
    Data(Vec<u8>),
}

impl MerkleItem for TxEntry {
    fn commit(&self, t: &mut Transcript) {
        match self {
            TxEntry::Header(h) => {
                t.append_u64(b"tx.version", h.version);
                t.append_u64(b"tx.mintime", h.mintime_ms);
                t.append_u64(b"tx.maxtime", h.maxtime_ms);
            }
            TxEntry::Issue(q, f) => {
                t.append_message(b"issue.q", q.as_bytes());
                t.append_message(b"issue.f", f.as_bytes());
            }
            TxEntry::Retire(q, f) => {
                t.append_message(b"retire.q", q.as_bytes());
                t.append_message(b"retire.f", f.as_bytes());
            }
            TxEntry::Input(id) => t.append_message(b"input", &id.to_bytes()),
            TxEntry::Output(c) => t.append_message(b"output", &c.id().to_bytes()),
            TxEntry::Fee(fee) => t.append_u64(b"fee", *fee),
            TxEntry::Data(d) => t.append_message(b"data", d),
        }
    }
}

impl TxEntry {
    /// The bytes the entry holds (what is hashed into the transaction ID),
    /// for the execution budget (docs/spec/zkvm.md §Execution budget).
    pub fn encoded_size(&self) -> usize {
        match self {
            TxEntry::Header(_) => 24,
            TxEntry::Issue(..) | TxEntry::Retire(..) => 64,
            TxEntry::Input(_) => 32,
            TxEntry::Output(c) => c.encoded_size(),
            TxEntry::Fee(_) => 8,
            TxEntry::Data(d) => d.len(),
        }
    }
}

/// The transaction log: the header, then entries in execution order.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TxLog(pub Vec<TxEntry>);

impl TxLog {
    /// Total fee paid.
    pub fn fee(&self) -> u64 {
        self.0
            .iter()
            .map(|e| if let TxEntry::Fee(f) = e { *f } else { 0 })
            .sum()
    }

    /// Contract IDs of the spent UTXOs.
    pub fn inputs(&self) -> impl Iterator<Item = &ContractID> {
        self.0.iter().filter_map(|e| match e {
            TxEntry::Input(id) => Some(id),
            _ => None,
        })
    }

    /// The new UTXOs.
    pub fn outputs(&self) -> impl Iterator<Item = &Contract> {
        self.0.iter().filter_map(|e| match e {
            TxEntry::Output(c) => Some(c),
            _ => None,
        })
    }
}

encoding::id32! {
    /// The transaction ID: Merkle root labelled `"ZkVM.txid"` over the log.
    pub struct TxID;
}

impl TxID {
    /// The ID of a log.
    pub fn from_log(log: &[TxEntry]) -> TxID {
        TxID::from_bytes(Hasher::new(b"ZkVM.txid").root(log))
    }

    /// A proof that `log[index]` is in the transaction with this ID.
    pub fn entry_path(log: &[TxEntry], index: usize) -> Option<Path> {
        Path::new(log, index, &Hasher::new(b"ZkVM.txid"))
    }
}

/// A verified transaction: what the chain applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedTx {
    /// Version and time bounds.
    pub header: TxHeader,
    /// The ID.
    pub id: TxID,
    /// The log.
    pub log: TxLog,
    /// Fee per byte of the encoded transaction.
    pub fee_rate: FeeRate,
}
