//! Byte encodings (docs/spec/zkvm.md §Encoding): little-endian fixed-size
//! integers, 32-byte points and scalars, length-prefixed strings.
//!
//! One [`Writer`] serves both wire bytes and transcripts: written into a
//! transcript, every field becomes a message labelled with the field's name,
//! holding exactly the bytes the wire encoding writes.

use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;

use crate::errors::VMError;

/// A sink for labelled fields: a byte buffer ignores the labels, a
/// transcript appends each field as a message under its label.
pub trait Writer {
    /// Writes raw bytes.
    fn write(&mut self, label: &'static [u8], bytes: &[u8]);

    /// Writes one byte.
    fn write_u8(&mut self, label: &'static [u8], x: u8) {
        self.write(label, &[x]);
    }

    /// Writes a `u32` as LE32.
    fn write_u32(&mut self, label: &'static [u8], x: u32) {
        self.write(label, &x.to_le_bytes());
    }

    /// Writes a `u64` as LE64.
    fn write_u64(&mut self, label: &'static [u8], x: u64) {
        self.write(label, &x.to_le_bytes());
    }

    /// Writes a length or count as LE32. Lengths above `u32::MAX` never
    /// reach a writer: every decoder and builder bounds them first.
    fn write_size(&mut self, label: &'static [u8], n: usize) {
        self.write_u32(label, u32::try_from(n).unwrap_or(u32::MAX));
    }

    /// Writes a compressed point.
    fn write_point(&mut self, label: &'static [u8], p: &CompressedRistretto) {
        self.write(label, p.as_bytes());
    }

    /// Writes a scalar.
    fn write_scalar(&mut self, label: &'static [u8], s: &Scalar) {
        self.write(label, s.as_bytes());
    }
}

impl Writer for Vec<u8> {
    fn write(&mut self, _: &'static [u8], bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl Writer for Transcript {
    fn write(&mut self, label: &'static [u8], bytes: &[u8]) {
        self.append_message(label, bytes);
    }
}

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

/// A strict reader over a byte slice: every read checks the remaining
/// length first, so no length field can make it allocate more than the
/// input holds.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, offset: 0 }
    }

    /// Decodes `bytes` entirely with `f`; trailing bytes are an error.
    pub fn read_all<T>(
        bytes: &'a [u8],
        f: impl FnOnce(&mut Reader<'a>) -> Result<T, VMError>,
    ) -> Result<T, VMError> {
        let mut r = Reader::new(bytes);
        let t = f(&mut r)?;
        r.finish()?;
        Ok(t)
    }

    /// Fails unless every byte was consumed.
    pub fn finish(&self) -> Result<(), VMError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(VMError::TrailingBytes(n)),
        }
    }

    /// Bytes left to read.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.offset
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.offset
    }

    /// Reads `n` bytes as a slice of the input.
    pub fn read_slice(&mut self, n: usize) -> Result<&'a [u8], VMError> {
        if n > self.remaining() {
            return Err(VMError::UnexpectedEnd {
                needed: n,
                remaining: self.remaining(),
            });
        }
        let s = &self.bytes[self.offset..self.offset + n];
        self.offset += n;
        Ok(s)
    }

    /// Reads a fixed-size array.
    pub fn read_array<const N: usize>(&mut self) -> Result<[u8; N], VMError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.read_slice(N)?);
        Ok(a)
    }

    /// Reads one byte.
    pub fn read_u8(&mut self) -> Result<u8, VMError> {
        Ok(self.read_array::<1>()?[0])
    }

    /// Reads an LE32.
    pub fn read_u32(&mut self) -> Result<u32, VMError> {
        Ok(u32::from_le_bytes(self.read_array()?))
    }

    /// Reads an LE64.
    pub fn read_u64(&mut self) -> Result<u64, VMError> {
        Ok(u64::from_le_bytes(self.read_array()?))
    }

    /// Reads an LE32 length or index.
    pub fn read_size(&mut self) -> Result<usize, VMError> {
        usize::try_from(self.read_u32()?).map_err(|_| VMError::InvalidFormat("size exceeds usize"))
    }

    /// Reads an LE32 length, then that many bytes.
    pub fn read_sized_bytes(&mut self) -> Result<&'a [u8], VMError> {
        let n = self.read_size()?;
        self.read_slice(n)
    }

    /// Reads a compressed point without decompressing it (points are
    /// validated where they are used, as the reference does).
    pub fn read_point(&mut self) -> Result<CompressedRistretto, VMError> {
        Ok(CompressedRistretto(self.read_array()?))
    }

    /// Reads a canonical scalar.
    pub fn read_scalar(&mut self) -> Result<Scalar, VMError> {
        Option::from(Scalar::from_canonical_bytes(self.read_array()?))
            .ok_or(VMError::NonCanonicalScalar)
    }

    /// Reads `n` items with `f`, first checking that `n` items of at least
    /// `min_item_size` bytes each fit in what is left.
    pub fn read_vec<T>(
        &mut self,
        n: usize,
        min_item_size: usize,
        mut f: impl FnMut(&mut Self) -> Result<T, VMError>,
    ) -> Result<Vec<T>, VMError> {
        let needed = n.saturating_mul(min_item_size.max(1));
        if needed > self.remaining() {
            return Err(VMError::UnexpectedEnd {
                needed,
                remaining: self.remaining(),
            });
        }
        (0..n).map(|_| f(self)).collect()
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
        assert_eq!(r.finish(), Err(VMError::TrailingBytes(1)));
        let huge = [0xff, 0xff, 0xff, 0xff];
        assert!(matches!(
            Reader::new(&huge).read_sized_bytes(),
            Err(VMError::UnexpectedEnd { .. })
        ));
        assert!(matches!(
            Reader::new(&huge).read_vec(usize::MAX, 32, |r| r.read_u8()),
            Err(VMError::UnexpectedEnd { .. })
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
