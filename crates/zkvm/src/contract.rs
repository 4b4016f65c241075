//! Contracts, their IDs and anchors (docs/spec/zkvm.md §Contract ID,
//! §Anchor, §Output structure).

use merlin::Transcript;

use crate::encoding::{Encodable, Reader, ReaderExt, Writer, WriterExt};
use crate::errors::VMError;
use crate::merkle::MerkleItem;
use crate::{Commitment, Data, Predicate, ProgramItem, Value};

const STRING_TYPE: u8 = 0x00;
const PROGRAM_TYPE: u8 = 0x01;
const VALUE_TYPE: u8 = 0x02;

encoding::id32! {
    /// Makes a contract's ID unique: derived from an earlier contract ID of
    /// the same transaction.
    pub struct Anchor;
}

encoding::id32! {
    /// A contract's ID: a commitment to its anchor, predicate and payload.
    /// The ID of an output is the ID of its UTXO. Shown in lower-case hex,
    /// as error messages and the API show IDs.
    pub struct ContractID;
}

impl Anchor {
    /// The anchor after spending the contract with ID `id`:
    /// `Transcript("ZkVM.ratchet-anchor")`, message `"old"`, challenge `"new"`.
    /// An output's ID served as an anchor in the transaction that created
    /// it, so `input` must not reuse it as is.
    pub fn ratchet(id: &ContractID) -> Anchor {
        let mut t = Transcript::new(b"ZkVM.ratchet-anchor");
        t.append_message(b"old", &id.0);
        let mut a = [0u8; 32];
        t.challenge_bytes(b"new", &mut a);
        Anchor::from_bytes(a)
    }
}

impl ContractID {
    /// This ID as the anchor of the next contract.
    pub fn to_anchor(self) -> Anchor {
        Anchor::from_bytes(self.0)
    }
}

/// An item that can be stored in a contract: a string, a program or a
/// value (docs/spec/zkvm.md §Portable types).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortableItem {
    /// A string.
    String(Data),
    /// A program.
    Program(ProgramItem),
    /// A value.
    Value(Value),
}

/// A predicate guarding a payload, made unique by its anchor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contract {
    /// The anchor.
    pub anchor: Anchor,
    /// The predicate that must be satisfied to open the contract.
    pub predicate: Predicate,
    /// The payload, last item on top when opened.
    pub payload: Vec<PortableItem>,
}

impl Contract {
    /// The contract ID: the output structure written into
    /// `Transcript("ZkVM.contractid")`, then challenge `"id"`.
    pub fn id(&self) -> ContractID {
        let mut t = Transcript::new(b"ZkVM.contractid");
        self.encode(&mut t);
        let mut id = [0u8; 32];
        t.challenge_bytes(b"id", &mut id);
        ContractID::from_bytes(id)
    }

    /// Decodes an output structure:
    /// `anchor(32) || predicate(32) || LE32(k) || k items`.
    pub fn decode(r: &mut Reader<'_>) -> Result<Contract, VMError> {
        let anchor = Anchor::from_bytes(r.read_array()?);
        let predicate = Predicate::opaque(r.read_point()?);
        let k = r.read_count()?;
        // The smallest item is a 5-byte empty string or program.
        let payload = r.read_vec(k, 5, PortableItem::decode)?;
        Ok(Contract {
            anchor,
            predicate,
            payload,
        })
    }

    /// Decodes an output structure that must span all of `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Contract, VMError> {
        Reader::read_all(bytes, Contract::decode)
    }
}

impl Encodable for Contract {
    fn encode(&self, w: &mut impl Writer) {
        w.write(b"anchor", &self.anchor.0);
        w.write_point(b"predicate", &self.predicate.to_point());
        w.write_size(b"k", self.payload.len());
        for item in &self.payload {
            item.encode(w);
        }
    }

    fn encoded_size(&self) -> usize {
        32 + 32 + 4 + self.payload.iter().map(|i| i.encoded_size()).sum::<usize>()
    }
}

impl PortableItem {
    fn decode(r: &mut Reader<'_>) -> Result<PortableItem, VMError> {
        match r.read_u8()? {
            STRING_TYPE => Ok(PortableItem::String(Data::Opaque(
                r.read_sized_bytes()?.to_vec(),
            ))),
            PROGRAM_TYPE => Ok(PortableItem::Program(ProgramItem::Bytecode(
                r.read_sized_bytes()?.to_vec(),
            ))),
            VALUE_TYPE => Ok(PortableItem::Value(Value {
                qty: Commitment::Closed(r.read_point()?),
                flv: Commitment::Closed(r.read_point()?),
            })),
            _ => Err(VMError::InvalidFormat("unknown payload item type")),
        }
    }
}

impl Encodable for PortableItem {
    fn encode(&self, w: &mut impl Writer) {
        match self {
            PortableItem::String(d) => {
                w.write_u8(b"type", STRING_TYPE);
                w.write_size(b"n", d.encoded_size());
                d.encode(w);
            }
            PortableItem::Program(p) => {
                w.write_u8(b"type", PROGRAM_TYPE);
                w.write_size(b"n", p.encoded_size());
                p.encode(w);
            }
            PortableItem::Value(v) => {
                w.write_u8(b"type", VALUE_TYPE);
                w.write_point(b"qty", &v.qty.to_point());
                w.write_point(b"flv", &v.flv.to_point());
            }
        }
    }

    fn encoded_size(&self) -> usize {
        match self {
            PortableItem::String(d) => 5 + d.encoded_size(),
            PortableItem::Program(p) => 5 + p.encoded_size(),
            PortableItem::Value(_) => 65,
        }
    }
}

/// Contract IDs are leaves of Utreexo and of txid proofs.
impl MerkleItem for ContractID {
    fn commit(&self, t: &mut Transcript) {
        t.append_message(b"contract", &self.0);
    }
}
