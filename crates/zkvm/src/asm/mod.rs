//! ZkVM assembly: a text form of programs (docs/spec/asm.md).
//!
//! [`assemble`] turns text into bytecode, filling named parameters
//! (`$price`) from [`Params`]; [`disassemble`] prints any bytecode that
//! [`Program::parse`] accepts as text that assembles back to the same bytes
//! (docs/spec/asm.md §Disassembly).
//!
//! ```
//! use zkvm::asm::{assemble, disassemble, Params};
//!
//! let mut params = Params::new();
//! params.insert("fee", "u32:10");
//! let bytes = assemble("push $fee; fee  # pay\nprogram { drop }", &params)?;
//! assert_eq!(assemble(&disassemble(&bytes)?, &Params::new())?, bytes);
//! # Ok::<(), zkvm::asm::AsmError>(())
//! ```

mod lexer;
mod parser;
mod printer;

use std::collections::BTreeMap;

use crate::{limits, Program, VMError};

pub use printer::disassemble;

/// The longest text [`assemble`] reads, in bytes (docs/spec/asm.md §Limits).
pub const MAX_TEXT_BYTES: usize = 64 << 20;

/// The longest bytecode [`assemble`] produces, in bytes.
pub const MAX_ASSEMBLED_BYTES: usize = 16 << 20;

/// The longest bytecode [`disassemble`] reads: any program a transaction
/// can carry ([`limits::MAX_TX_SIZE`]).
pub const MAX_DISASSEMBLY_BYTES: usize = limits::MAX_TX_SIZE;

/// How deep `program { … }` blocks may nest: the VM's program depth limit
/// ([`limits::MAX_PROGRAM_DEPTH`]).
pub const MAX_NESTING: usize = limits::MAX_PROGRAM_DEPTH;

/// Why text does not assemble or bytes do not disassemble
/// (docs/spec/asm.md §Errors). Positions are 1-based; columns count
/// characters.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AsmError {
    /// Something other than what the grammar allows here.
    #[error("line {line}, column {column}: expected {expected}, found {found}")]
    Expected {
        /// Line of the offending token.
        line: usize,
        /// Column of the offending token.
        column: usize,
        /// What the grammar allows here.
        expected: String,
        /// What the text holds instead.
        found: String,
    },
    /// Well-formed text with a value that is not allowed (a number too
    /// large, a non-canonical scalar, a missing parameter, …).
    #[error("line {line}, column {column}: {message}")]
    Invalid {
        /// Line of the offending token.
        line: usize,
        /// Column of the offending token.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The input or the output is larger than the limits allow.
    #[error("{what} is larger than {limit} bytes")]
    TooLarge {
        /// "text", "assembled program" or "bytecode".
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// The bytes given to [`disassemble`] are not a program.
    #[error("bytecode is not a program: {0}")]
    Decode(VMError),
}

impl AsmError {
    /// The message without its position, for errors inside a parameter's
    /// value.
    fn detail(&self) -> String {
        match self {
            AsmError::Expected {
                expected, found, ..
            } => format!("expected {expected}, found {found}"),
            AsmError::Invalid { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }
}

/// A parameter's value (docs/spec/asm.md §Parameters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamValue {
    /// Text of one literal (`42`, `0x…`, `"…"`, `u32:7`, `point:0x…`), read
    /// as if written where the parameter is used.
    Literal(String),
    /// A byte string, as a `0x…` literal.
    Bytes(Vec<u8>),
    /// A number, as a decimal literal.
    Number(u64),
}

impl From<&str> for ParamValue {
    fn from(s: &str) -> Self {
        ParamValue::Literal(s.to_string())
    }
}

impl From<String> for ParamValue {
    fn from(s: String) -> Self {
        ParamValue::Literal(s)
    }
}

impl From<Vec<u8>> for ParamValue {
    fn from(b: Vec<u8>) -> Self {
        ParamValue::Bytes(b)
    }
}

impl From<&[u8]> for ParamValue {
    fn from(b: &[u8]) -> Self {
        ParamValue::Bytes(b.to_vec())
    }
}

impl From<u64> for ParamValue {
    fn from(n: u64) -> Self {
        ParamValue::Number(n)
    }
}

/// Named parameters that fill `$name` in the text (docs/spec/asm.md
/// §Parameters).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params(BTreeMap<String, ParamValue>);

impl Params {
    /// No parameters.
    pub fn new() -> Self {
        Params::default()
    }

    /// Sets parameter `name` (with or without its leading `$`), replacing
    /// any earlier value.
    pub fn insert(&mut self, name: &str, value: impl Into<ParamValue>) -> &mut Self {
        let name = name.strip_prefix('$').unwrap_or(name);
        self.0.insert(name.to_string(), value.into());
        self
    }

    /// The value of `name` (without `$`).
    pub fn get(&self, name: &str) -> Option<&ParamValue> {
        self.0.get(name)
    }

    /// The parameters, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ParamValue)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Whether a name is valid: `[A-Za-z_][A-Za-z0-9_]*`, optionally after
    /// a `$`.
    pub fn is_valid_name(name: &str) -> bool {
        let name = name.strip_prefix('$').unwrap_or(name);
        let mut bytes = name.bytes();
        bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
    }
}

impl<K: AsRef<str>, V: Into<ParamValue>> FromIterator<(K, V)> for Params {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut p = Params::new();
        for (k, v) in iter {
            p.insert(k.as_ref(), v);
        }
        p
    }
}

/// Assembles `text` into bytecode, filling parameters from `params`
/// (docs/spec/asm.md).
pub fn assemble(text: &str, params: &Params) -> Result<Vec<u8>, AsmError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(AsmError::TooLarge {
            what: "text",
            limit: MAX_TEXT_BYTES,
        });
    }
    parser::parse(text, params)
}

/// Assembles `text` into a [`Program`]: the bytecode of [`assemble`],
/// parsed (pushes are opaque strings, blocks nested bytecode).
pub fn assemble_program(text: &str, params: &Params) -> Result<Program, AsmError> {
    let bytes = assemble(text, params)?;
    Program::parse(&bytes).map_err(AsmError::Decode)
}
