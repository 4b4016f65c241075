//! Byte encodings (docs/spec/zkvm.md §Encoding): little-endian fixed-size
//! integers, 32-byte points and scalars, length-prefixed strings.
//!
//! The reader, the labelled writer and [`DecodeError`] come from the
//! `encoding` crate; this module adds points and scalars ([`ReaderExt`],
//! [`WriterExt`]) and the [`Encodable`] trait. One [`Writer`] serves both
//! wire bytes and transcripts: written into a transcript, every field
//! becomes a message labelled with the field's name, holding exactly the
//! bytes the wire encoding writes.

use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
pub use encoding::{DecodeError, Reader, Writer};

use crate::errors::VMError;

/// Writes points and scalars as their 32-byte encodings.
pub trait WriterExt: Writer {
    /// Writes a compressed point.
    fn write_point(&mut self, label: &'static [u8], p: &CompressedRistretto) {
        self.write(label, p.as_bytes());
    }

    /// Writes a scalar.
    fn write_scalar(&mut self, label: &'static [u8], s: &Scalar) {
        self.write(label, s.as_bytes());
    }
}

impl<W: Writer + ?Sized> WriterExt for W {}

/// Something with a byte encoding.
pub trait Encodable {
    /// Writes the encoding, field by field.
    fn encode(&self, w: &mut impl Writer);

    /// Exact length of the encoding in bytes.
    fn encoded_size(&self) -> usize;

    /// The encoding as bytes.
    fn encode_to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.encoded_size());
        self.encode(&mut v);
        v
    }
}

/// Reads points and scalars.
pub trait ReaderExt {
    /// Reads a compressed point without decompressing it (points are
    /// validated where they are used, as the reference does).
    fn read_point(&mut self) -> Result<CompressedRistretto, VMError>;

    /// Reads a canonical scalar ([`VMError::NonCanonicalScalar`] if not).
    fn read_scalar(&mut self) -> Result<Scalar, VMError>;
}

impl ReaderExt for Reader<'_> {
    fn read_point(&mut self) -> Result<CompressedRistretto, VMError> {
        Ok(CompressedRistretto(self.read_32()?))
    }

    fn read_scalar(&mut self) -> Result<Scalar, VMError> {
        Option::from(Scalar::from_canonical_bytes(self.read_32()?))
            .ok_or(VMError::NonCanonicalScalar)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounded_and_exact() {
        let bytes = [1u8, 0, 0, 0, 7, 9];
        let mut r = Reader::new(&bytes);
        assert_eq!(r.read_sized_bytes().unwrap(), &[7]);
        assert_eq!(r.finish(), Err(DecodeError::TrailingBytes(1)));
        let huge = [0xff, 0xff, 0xff, 0xff];
        assert!(matches!(
            Reader::new(&huge).read_sized_bytes(),
            Err(DecodeError::UnexpectedEnd { .. })
        ));
        assert!(matches!(
            Reader::new(&huge).read_vec(usize::MAX, 32, |r| r.read_u8()),
            Err(DecodeError::UnexpectedEnd { .. })
        ));
    }

    #[test]
    fn scalars_must_be_canonical() {
        let mut bytes = [0xffu8; 32];
        assert_eq!(
            Reader::new(&bytes).read_scalar(),
            Err(VMError::NonCanonicalScalar)
        );
        bytes = Scalar::from(5u64).to_bytes();
        assert_eq!(Reader::new(&bytes).read_scalar(), Ok(Scalar::from(5u64)));
    }
}
