//! Strict, total byte encodings shared by every layer of ZkVM
//! (docs/spec/zkvm.md §Encoding): little-endian fixed-size integers,
//! 32-byte strings, LE32-length-prefixed byte strings.
//!
//! - [`Reader`] reads a byte slice: every read checks the bytes left
//!   first, a length read from the input is bounded by the bytes left
//!   before anything is allocated, and [`Reader::finish`] rejects trailing
//!   bytes. It never panics, whatever the input.
//! - [`Writer`] writes labelled fields: a `Vec<u8>` ignores the labels, a
//!   Merlin [`Transcript`](merlin::Transcript) appends each field as a
//!   message under its label, so the encoding that is hashed and the one
//!   that is sent cannot drift.
//! - [`id32!`] defines a 32-byte ID newtype with a private field, shown and
//!   parsed as 64 lower-case hex digits ([`HexError`] on bad input).
//!
//! Failures are [`DecodeError`]s; each layer wraps them in its own error
//! with the decode error as its source.

mod error;
mod id;
mod reader;
mod writer;

pub use error::{DecodeError, HexError};
pub use id::decode_hex32;
pub use reader::Reader;
pub use writer::Writer;

/// What [`id32!`] expands to needs; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use hex;
}

#[cfg(test)]
mod tests;
