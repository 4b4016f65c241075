//! The crate's errors.

use thiserror::Error;

/// Why bytes do not decode. Decoders above this crate wrap it in their own
/// error, keeping it as the source.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before a field was complete, or a length or count
    /// read from the input asks for more bytes than are left (checked
    /// before anything is allocated).
    #[error("input ends early: needed {needed} bytes, {remaining} left")]
    UnexpectedEnd {
        /// Bytes the field needs (saturating at `usize::MAX`).
        needed: usize,
        /// Bytes left in the input.
        remaining: usize,
    },
    /// Bytes are left over after a complete encoding.
    #[error("{0} trailing bytes after the encoding")]
    TrailingBytes(usize),
    /// A structurally invalid field (an unknown tag, a count over its
    /// limit, a string that is not UTF-8...); the text says which.
    #[error("invalid encoding: {0}")]
    Invalid(&'static str),
}

/// Why a string is not a 32-byte ID in hex ([`decode_hex32`](crate::decode_hex32),
/// the `FromStr` of an [`id32!`](crate::id32) type).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HexError {
    /// The string does not have the expected number of hex digits.
    #[error("expected {expected} hex digits, got {got}")]
    Length {
        /// Hex digits expected (64 for an ID).
        expected: usize,
        /// Characters given.
        got: usize,
    },
    /// A character is not a hex digit.
    #[error("invalid hex character {c:?} at position {index}")]
    InvalidCharacter {
        /// The character.
        c: char,
        /// Its position in the string.
        index: usize,
    },
}
