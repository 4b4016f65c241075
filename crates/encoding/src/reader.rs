//! The strict reader.

use crate::DecodeError;

/// A strict reader over a byte slice: every read checks the bytes left
/// first, so no length or count read from the input can make a decoder
/// allocate more than the input holds, and no read panics.
///
/// ```
/// use encoding::{DecodeError, Reader};
///
/// let (n, s) = Reader::read_all(&[7, 2, 0, 0, 0, b'h', b'i'], |r| {
///     Ok::<_, DecodeError>((r.read_u8()?, r.read_sized_bytes()?))
/// })?;
/// assert_eq!((n, s), (7, &b"hi"[..]));
/// # Ok::<(), DecodeError>(())
/// ```
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

    /// Decodes `bytes` entirely with `f`; trailing bytes are
    /// [`DecodeError::TrailingBytes`].
    pub fn read_all<T, E: From<DecodeError>>(
        bytes: &'a [u8],
        f: impl FnOnce(&mut Reader<'a>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut r = Reader::new(bytes);
        let t = f(&mut r)?;
        r.finish()?;
        Ok(t)
    }

    /// Fails with [`DecodeError::TrailingBytes`] unless every byte was
    /// consumed.
    pub fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(DecodeError::TrailingBytes(n)),
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

    /// Fails with [`DecodeError::UnexpectedEnd`] unless `n` bytes are left.
    pub fn ensure(&self, n: usize) -> Result<(), DecodeError> {
        if n > self.remaining() {
            return Err(DecodeError::UnexpectedEnd {
                needed: n,
                remaining: self.remaining(),
            });
        }
        Ok(())
    }

    /// Reads `n` bytes as a slice of the input.
    pub fn read_bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        self.ensure(n)?;
        let s = &self.bytes[self.offset..self.offset + n];
        self.offset += n;
        Ok(s)
    }

    /// Reads a fixed-size array.
    pub fn read_array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.read_bytes(N)?);
        Ok(a)
    }

    /// Reads a 32-byte string (an ID, a hash, a compressed point).
    pub fn read_32(&mut self) -> Result<[u8; 32], DecodeError> {
        self.read_array()
    }

    /// Reads one byte.
    pub fn read_u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.read_array::<1>()?[0])
    }

    /// Reads an LE32.
    pub fn read_u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.read_array()?))
    }

    /// Reads an LE64.
    pub fn read_u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.read_array()?))
    }

    /// Reads an LE32 length of bytes that follow: fails with
    /// [`DecodeError::UnexpectedEnd`] if fewer than that many bytes are
    /// left, so the length can size an allocation.
    pub fn read_size(&mut self) -> Result<usize, DecodeError> {
        let n = self.read_count()?;
        self.ensure(n)?;
        Ok(n)
    }

    /// Reads an LE32 count or index, unchecked against the bytes left: a
    /// count must go through [`Reader::read_vec`] (or [`Reader::ensure`])
    /// before it sizes anything.
    pub fn read_count(&mut self) -> Result<usize, DecodeError> {
        // Lossless on every platform with at least 32-bit pointers; on a
        // smaller one, a count past usize::MAX cannot fit in the input.
        usize::try_from(self.read_u32()?).map_err(|_| DecodeError::UnexpectedEnd {
            needed: usize::MAX,
            remaining: self.remaining(),
        })
    }

    /// Reads an LE32 length, then that many bytes.
    pub fn read_sized_bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.read_size()?;
        self.read_bytes(n)
    }

    /// Reads `n` items with `f`, first checking that `n` items of at least
    /// `min_item_size` bytes each (at least 1) fit in what is left.
    pub fn read_vec<T, E: From<DecodeError>>(
        &mut self,
        n: usize,
        min_item_size: usize,
        mut f: impl FnMut(&mut Self) -> Result<T, E>,
    ) -> Result<Vec<T>, E> {
        self.ensure(n.saturating_mul(min_item_size.max(1)))?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(f(self)?);
        }
        Ok(items)
    }
}
