//! A strict reader over a byte slice for the decoders of proofs and
//! snapshots: every read checks the remaining length first, and counts are
//! checked against the bytes left before anything is allocated.

use crate::AccumulatorError;

/// Reads little-endian integers and 32-byte strings from a slice.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    fn take<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], AccumulatorError> {
        let Some((head, rest)) = self.bytes.split_first_chunk::<N>() else {
            return Err(AccumulatorError::Truncated {
                field,
                needed: N as u64,
                remaining: self.bytes.len(),
            });
        };
        self.bytes = rest;
        Ok(*head)
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, AccumulatorError> {
        self.take::<4>(field).map(u32::from_le_bytes)
    }

    pub(crate) fn u64(&mut self, field: &'static str) -> Result<u64, AccumulatorError> {
        self.take::<8>(field).map(u64::from_le_bytes)
    }

    pub(crate) fn bytes32(&mut self, field: &'static str) -> Result<[u8; 32], AccumulatorError> {
        self.take::<32>(field)
    }

    /// Checks that `count` items of `size` bytes each fit in what is left,
    /// so that a vector of `count` items can be allocated safely.
    pub(crate) fn expect_items(
        &self,
        field: &'static str,
        count: u32,
        size: u64,
    ) -> Result<usize, AccumulatorError> {
        let needed = u64::from(count) * size;
        match usize::try_from(needed) {
            Ok(n) if n <= self.bytes.len() => Ok(count as usize),
            _ => Err(AccumulatorError::Truncated {
                field,
                needed,
                remaining: self.bytes.len(),
            }),
        }
    }

    /// The next `n` bytes; `n` must have been checked with
    /// [`Reader::expect_items`].
    pub(crate) fn slice(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.bytes.split_at(n.min(self.bytes.len()));
        self.bytes = rest;
        head
    }

    /// Fails unless every byte was read.
    pub(crate) fn finish(self) -> Result<(), AccumulatorError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(AccumulatorError::TrailingBytes(self.bytes.len()))
        }
    }
}
