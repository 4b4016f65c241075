//! The String type (docs/spec/zkvm.md §Types, String): bytes on the wire;
//! on the prover, possibly a typed value that carries its secrets until it
//! is encoded.

use curve25519_dalek::ristretto::CompressedRistretto;

use crate::encoding::{Encodable, Reader, ReaderExt, Writer, WriterExt};
use crate::errors::VMError;
use crate::{Commitment, Contract, Predicate, ScalarWitness};

/// A string item. Only [`Data::Opaque`] comes from the wire; the other
/// variants are built by the prover and encode to the same bytes as their
/// opaque form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Data {
    /// Raw bytes.
    Opaque(Vec<u8>),
    /// A predicate (32-byte point), possibly with its signing witness.
    Predicate(Box<Predicate>),
    /// A commitment (32-byte point), possibly with its opening.
    Commitment(Box<Commitment>),
    /// A scalar (32 bytes).
    Scalar(Box<ScalarWitness>),
    /// An output structure: a contract to be spent by `input`.
    Output(Box<Contract>),
    /// A 4-byte LE32 (as `fee` takes).
    U32(u32),
    /// An 8-byte LE64.
    U64(u64),
}

impl Data {
    /// The bytes this string holds.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Data::Opaque(b) => b.clone(),
            _ => self.encode_to_vec(),
        }
    }

    /// Reads the string as a predicate point.
    pub fn to_predicate(self) -> Result<Predicate, VMError> {
        match self {
            Data::Predicate(p) => Ok(*p),
            other => Ok(Predicate::opaque(other.read_as(|r| r.read_point())?)),
        }
    }

    /// Reads the string as a commitment point.
    pub fn to_commitment(self) -> Result<Commitment, VMError> {
        match self {
            Data::Commitment(c) => Ok(*c),
            other => Ok(Commitment::Closed(other.read_as(|r| r.read_point())?)),
        }
    }

    /// Reads the string as a canonical scalar.
    pub fn to_scalar(self) -> Result<ScalarWitness, VMError> {
        match self {
            Data::Scalar(s) => Ok(*s),
            other => Ok(ScalarWitness::Scalar(other.read_as(|r| r.read_scalar())?)),
        }
    }

    /// Reads the string as an output structure.
    pub fn to_output(self) -> Result<Contract, VMError> {
        match self {
            Data::Output(c) => Ok(*c),
            other => other.read_as(Contract::decode),
        }
    }

    /// Reads the string as an LE32.
    pub fn to_u32(self) -> Result<u32, VMError> {
        match self {
            Data::U32(x) => Ok(x),
            other => other.read_as(|r| Ok(r.read_u32()?)),
        }
    }

    /// Reads the string as a compressed point.
    pub fn to_point(&self) -> Result<CompressedRistretto, VMError> {
        self.read_as(|r| r.read_point())
    }

    fn read_as<T>(
        &self,
        f: impl FnOnce(&mut Reader<'_>) -> Result<T, VMError>,
    ) -> Result<T, VMError> {
        match self {
            Data::Opaque(b) => Reader::read_all(b, f),
            other => {
                let bytes = other.encode_to_vec();
                Reader::read_all(&bytes, f)
            }
        }
    }
}

impl Encodable for Data {
    fn encode(&self, w: &mut impl Writer) {
        match self {
            Data::Opaque(b) => w.write(b"string", b),
            Data::Predicate(p) => w.write_point(b"string", &p.to_point()),
            Data::Commitment(c) => w.write_point(b"string", &c.to_point()),
            Data::Scalar(s) => w.write_scalar(b"string", &s.to_scalar()),
            Data::Output(c) => w.write(b"string", &c.encode_to_vec()),
            Data::U32(x) => w.write_u32(b"string", *x),
            Data::U64(x) => w.write_u64(b"string", *x),
        }
    }

    fn encoded_size(&self) -> usize {
        match self {
            Data::Opaque(b) => b.len(),
            Data::Predicate(_) | Data::Commitment(_) | Data::Scalar(_) => 32,
            Data::Output(c) => c.encoded_size(),
            Data::U32(_) => 4,
            Data::U64(_) => 8,
        }
    }
}

impl From<Vec<u8>> for Data {
    fn from(b: Vec<u8>) -> Self {
        Data::Opaque(b)
    }
}

impl From<&[u8]> for Data {
    fn from(b: &[u8]) -> Self {
        Data::Opaque(b.to_vec())
    }
}

impl From<Predicate> for Data {
    fn from(p: Predicate) -> Self {
        Data::Predicate(Box::new(p))
    }
}

impl From<Commitment> for Data {
    fn from(c: Commitment) -> Self {
        Data::Commitment(Box::new(c))
    }
}

impl From<ScalarWitness> for Data {
    fn from(s: ScalarWitness) -> Self {
        Data::Scalar(Box::new(s))
    }
}

impl From<Contract> for Data {
    fn from(c: Contract) -> Self {
        Data::Output(Box::new(c))
    }
}
