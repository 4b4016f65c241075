//! A strict little-endian reader and writer for this crate's own formats
//! (validator sets, certificates, signed messages, proposal parts).

use crate::ConsensusError;

/// Appends fixed-width little-endian integers and raw bytes.
#[derive(Default)]
pub(crate) struct Writer(Vec<u8>);

impl Writer {
    pub(crate) fn new() -> Writer {
        Writer(Vec::new())
    }

    pub(crate) fn u8(&mut self, x: u8) {
        self.0.push(x);
    }

    pub(crate) fn u32(&mut self, x: u32) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }

    pub(crate) fn u64(&mut self, x: u64) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

/// Reads what [`Writer`] writes; every read is bounds-checked and a
/// finished reader must have consumed every byte.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8], what: &'static str) -> Reader<'a> {
        Reader { bytes, what }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], ConsensusError> {
        if self.bytes.len() < n {
            return Err(ConsensusError::Truncated { what: self.what });
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], ConsensusError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, ConsensusError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, ConsensusError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A LE32 count of items of at least `item_size` bytes each, at most
    /// `limit`, and no more than the remaining bytes can hold: checked
    /// before anything is allocated.
    pub(crate) fn count(
        &mut self,
        limit: usize,
        item_size: usize,
    ) -> Result<usize, ConsensusError> {
        let n = self.u32()? as usize;
        if n > limit {
            return Err(ConsensusError::TooLong {
                what: self.what,
                len: n as u64,
                limit: limit as u64,
            });
        }
        if n.saturating_mul(item_size) > self.bytes.len() {
            return Err(ConsensusError::Truncated { what: self.what });
        }
        Ok(n)
    }

    pub(crate) fn finish(self) -> Result<(), ConsensusError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(ConsensusError::TrailingBytes {
                what: self.what,
                count: self.bytes.len(),
            })
        }
    }
}
