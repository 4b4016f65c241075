//! The labelled writer.

use merlin::Transcript;

/// A sink for labelled fields: a byte buffer ignores the labels, a
/// transcript appends each field as a message under its label. Every
/// method writes exactly the bytes [`Reader`](crate::Reader)'s matching
/// method reads.
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

    /// Writes a 32-byte string.
    fn write_32(&mut self, label: &'static [u8], x: &[u8; 32]) {
        self.write(label, x);
    }

    /// Writes a length or count as LE32. Lengths above `u32::MAX` never
    /// reach a writer: every decoder and builder bounds them first.
    fn write_size(&mut self, label: &'static [u8], n: usize) {
        self.write_u32(label, u32::try_from(n).unwrap_or(u32::MAX));
    }

    /// Writes an LE32 length, then the bytes (what
    /// [`Reader::read_sized_bytes`](crate::Reader::read_sized_bytes) reads).
    fn write_sized_bytes(&mut self, label: &'static [u8], bytes: &[u8]) {
        self.write_size(label, bytes.len());
        self.write(label, bytes);
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
