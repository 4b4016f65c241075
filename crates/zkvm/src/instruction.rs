//! Instructions and their byte encoding (docs/spec/zkvm.md §Instructions):
//! one opcode byte, then immediate data for `push`, `program`, `dup`,
//! `roll`, `cloak`, `output` and `contract`.

use core::fmt;

use crate::encoding::{Encodable, Reader, Writer};
use crate::errors::VMError;
use crate::{Data, ProgramItem, ScalarWitness};

/// Opcodes 0x00–0x22; every other byte is an extension opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
#[allow(missing_docs)]
pub enum Opcode {
    Push = 0x00,
    Program = 0x01,
    Drop = 0x02,
    Dup = 0x03,
    Roll = 0x04,
    Scalar = 0x05,
    Commit = 0x06,
    Alloc = 0x07,
    Mintime = 0x08,
    Maxtime = 0x09,
    Expr = 0x0a,
    Neg = 0x0b,
    Add = 0x0c,
    Mul = 0x0d,
    Eq = 0x0e,
    Range = 0x0f,
    And = 0x10,
    Or = 0x11,
    Not = 0x12,
    Verify = 0x13,
    Unblind = 0x14,
    Issue = 0x15,
    Borrow = 0x16,
    Retire = 0x17,
    Cloak = 0x18,
    Fee = 0x19,
    Input = 0x1a,
    Output = 0x1b,
    Contract = 0x1c,
    Log = 0x1d,
    Eval = 0x1e,
    Call = 0x1f,
    Signtx = 0x20,
    Signid = 0x21,
    Signtag = 0x22,
}

const OPCODES: [Opcode; 35] = [
    Opcode::Push,
    Opcode::Program,
    Opcode::Drop,
    Opcode::Dup,
    Opcode::Roll,
    Opcode::Scalar,
    Opcode::Commit,
    Opcode::Alloc,
    Opcode::Mintime,
    Opcode::Maxtime,
    Opcode::Expr,
    Opcode::Neg,
    Opcode::Add,
    Opcode::Mul,
    Opcode::Eq,
    Opcode::Range,
    Opcode::And,
    Opcode::Or,
    Opcode::Not,
    Opcode::Verify,
    Opcode::Unblind,
    Opcode::Issue,
    Opcode::Borrow,
    Opcode::Retire,
    Opcode::Cloak,
    Opcode::Fee,
    Opcode::Input,
    Opcode::Output,
    Opcode::Contract,
    Opcode::Log,
    Opcode::Eval,
    Opcode::Call,
    Opcode::Signtx,
    Opcode::Signid,
    Opcode::Signtag,
];

impl Opcode {
    /// The opcode of `byte`, or `None` for an extension opcode.
    pub fn from_byte(byte: u8) -> Option<Opcode> {
        OPCODES.get(usize::from(byte)).copied()
    }

    /// The mnemonic, as in the spec.
    pub fn name(self) -> &'static str {
        match self {
            Opcode::Push => "push",
            Opcode::Program => "program",
            Opcode::Drop => "drop",
            Opcode::Dup => "dup",
            Opcode::Roll => "roll",
            Opcode::Scalar => "scalar",
            Opcode::Commit => "commit",
            Opcode::Alloc => "alloc",
            Opcode::Mintime => "mintime",
            Opcode::Maxtime => "maxtime",
            Opcode::Expr => "expr",
            Opcode::Neg => "neg",
            Opcode::Add => "add",
            Opcode::Mul => "mul",
            Opcode::Eq => "eq",
            Opcode::Range => "range",
            Opcode::And => "and",
            Opcode::Or => "or",
            Opcode::Not => "not",
            Opcode::Verify => "verify",
            Opcode::Unblind => "unblind",
            Opcode::Issue => "issue",
            Opcode::Borrow => "borrow",
            Opcode::Retire => "retire",
            Opcode::Cloak => "cloak",
            Opcode::Fee => "fee",
            Opcode::Input => "input",
            Opcode::Output => "output",
            Opcode::Contract => "contract",
            Opcode::Log => "log",
            Opcode::Eval => "eval",
            Opcode::Call => "call",
            Opcode::Signtx => "signtx",
            Opcode::Signid => "signid",
            Opcode::Signtag => "signtag",
        }
    }
}

/// One instruction with its immediate data.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Instruction {
    Push(Data),
    Program(ProgramItem),
    Drop,
    Dup(usize),
    Roll(usize),
    Scalar,
    Commit,
    /// `alloc`; the prover's assignment never goes on the wire.
    Alloc(Option<ScalarWitness>),
    Mintime,
    Maxtime,
    Expr,
    Neg,
    Add,
    Mul,
    Eq,
    Range,
    And,
    Or,
    Not,
    Verify,
    Unblind,
    Issue,
    Borrow,
    Retire,
    /// `cloak:m:n`.
    Cloak(usize, usize),
    Fee,
    Input,
    /// `output:k`.
    Output(usize),
    /// `contract:k`.
    Contract(usize),
    Log,
    Eval,
    Call,
    Signtx,
    Signid,
    Signtag,
    /// An extension opcode (no-op when extensions are allowed).
    Ext(u8),
}

impl Instruction {
    /// Decodes the next instruction. Immediate lengths are checked against
    /// the remaining bytes before anything is copied.
    pub fn decode(r: &mut Reader<'_>) -> Result<Instruction, VMError> {
        let byte = r.read_u8()?;
        let Some(op) = Opcode::from_byte(byte) else {
            return Ok(Instruction::Ext(byte));
        };
        Ok(match op {
            Opcode::Push => Instruction::Push(Data::Opaque(r.read_sized_bytes()?.to_vec())),
            Opcode::Program => {
                Instruction::Program(ProgramItem::Bytecode(r.read_sized_bytes()?.to_vec()))
            }
            Opcode::Drop => Instruction::Drop,
            Opcode::Dup => Instruction::Dup(r.read_count()?),
            Opcode::Roll => Instruction::Roll(r.read_count()?),
            Opcode::Scalar => Instruction::Scalar,
            Opcode::Commit => Instruction::Commit,
            Opcode::Alloc => Instruction::Alloc(None),
            Opcode::Mintime => Instruction::Mintime,
            Opcode::Maxtime => Instruction::Maxtime,
            Opcode::Expr => Instruction::Expr,
            Opcode::Neg => Instruction::Neg,
            Opcode::Add => Instruction::Add,
            Opcode::Mul => Instruction::Mul,
            Opcode::Eq => Instruction::Eq,
            Opcode::Range => Instruction::Range,
            Opcode::And => Instruction::And,
            Opcode::Or => Instruction::Or,
            Opcode::Not => Instruction::Not,
            Opcode::Verify => Instruction::Verify,
            Opcode::Unblind => Instruction::Unblind,
            Opcode::Issue => Instruction::Issue,
            Opcode::Borrow => Instruction::Borrow,
            Opcode::Retire => Instruction::Retire,
            Opcode::Cloak => {
                let m = r.read_count()?;
                Instruction::Cloak(m, r.read_count()?)
            }
            Opcode::Fee => Instruction::Fee,
            Opcode::Input => Instruction::Input,
            Opcode::Output => Instruction::Output(r.read_count()?),
            Opcode::Contract => Instruction::Contract(r.read_count()?),
            Opcode::Log => Instruction::Log,
            Opcode::Eval => Instruction::Eval,
            Opcode::Call => Instruction::Call,
            Opcode::Signtx => Instruction::Signtx,
            Opcode::Signid => Instruction::Signid,
            Opcode::Signtag => Instruction::Signtag,
        })
    }

    /// The opcode byte.
    pub fn opcode_byte(&self) -> u8 {
        match self.opcode() {
            Some(op) => op as u8,
            None => match self {
                Instruction::Ext(b) => *b,
                _ => 0,
            },
        }
    }

    /// The opcode, `None` for an extension.
    pub fn opcode(&self) -> Option<Opcode> {
        Some(match self {
            Instruction::Push(_) => Opcode::Push,
            Instruction::Program(_) => Opcode::Program,
            Instruction::Drop => Opcode::Drop,
            Instruction::Dup(_) => Opcode::Dup,
            Instruction::Roll(_) => Opcode::Roll,
            Instruction::Scalar => Opcode::Scalar,
            Instruction::Commit => Opcode::Commit,
            Instruction::Alloc(_) => Opcode::Alloc,
            Instruction::Mintime => Opcode::Mintime,
            Instruction::Maxtime => Opcode::Maxtime,
            Instruction::Expr => Opcode::Expr,
            Instruction::Neg => Opcode::Neg,
            Instruction::Add => Opcode::Add,
            Instruction::Mul => Opcode::Mul,
            Instruction::Eq => Opcode::Eq,
            Instruction::Range => Opcode::Range,
            Instruction::And => Opcode::And,
            Instruction::Or => Opcode::Or,
            Instruction::Not => Opcode::Not,
            Instruction::Verify => Opcode::Verify,
            Instruction::Unblind => Opcode::Unblind,
            Instruction::Issue => Opcode::Issue,
            Instruction::Borrow => Opcode::Borrow,
            Instruction::Retire => Opcode::Retire,
            Instruction::Cloak(..) => Opcode::Cloak,
            Instruction::Fee => Opcode::Fee,
            Instruction::Input => Opcode::Input,
            Instruction::Output(_) => Opcode::Output,
            Instruction::Contract(_) => Opcode::Contract,
            Instruction::Log => Opcode::Log,
            Instruction::Eval => Opcode::Eval,
            Instruction::Call => Opcode::Call,
            Instruction::Signtx => Opcode::Signtx,
            Instruction::Signid => Opcode::Signid,
            Instruction::Signtag => Opcode::Signtag,
            Instruction::Ext(_) => return None,
        })
    }

    /// The mnemonic (`"ext"` for extension opcodes).
    pub fn name(&self) -> &'static str {
        self.opcode().map_or("ext", Opcode::name)
    }
}

impl Encodable for Instruction {
    fn encode(&self, w: &mut impl Writer) {
        w.write_u8(b"opcode", self.opcode_byte());
        match self {
            Instruction::Push(d) => {
                w.write_size(b"n", d.encoded_size());
                d.encode(w);
            }
            Instruction::Program(p) => {
                w.write_size(b"n", p.encoded_size());
                p.encode(w);
            }
            Instruction::Dup(k)
            | Instruction::Roll(k)
            | Instruction::Output(k)
            | Instruction::Contract(k) => w.write_size(b"k", *k),
            Instruction::Cloak(m, n) => {
                w.write_size(b"m", *m);
                w.write_size(b"n", *n);
            }
            _ => {}
        }
    }

    fn encoded_size(&self) -> usize {
        1 + match self {
            Instruction::Push(d) => 4 + d.encoded_size(),
            Instruction::Program(p) => 4 + p.encoded_size(),
            Instruction::Dup(_)
            | Instruction::Roll(_)
            | Instruction::Output(_)
            | Instruction::Contract(_) => 4,
            Instruction::Cloak(..) => 8,
            _ => 0,
        }
    }
}

/// Assembly: mnemonic, then immediates (`push:0x…`, `cloak:2:3`).
impl fmt::Display for Instruction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Instruction::Push(d) => write!(f, "push:0x{}", hex(&d.to_bytes())),
            Instruction::Program(p) => write!(f, "program:0x{}", hex(&p.encode_to_vec())),
            Instruction::Dup(k) => write!(f, "dup:{k}"),
            Instruction::Roll(k) => write!(f, "roll:{k}"),
            Instruction::Cloak(m, n) => write!(f, "cloak:{m}:{n}"),
            Instruction::Output(k) => write!(f, "output:{k}"),
            Instruction::Contract(k) => write!(f, "contract:{k}"),
            Instruction::Ext(b) => write!(f, "ext:0x{b:02x}"),
            other => f.write_str(other.name()),
        }
    }
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
