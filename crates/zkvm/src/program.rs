//! Programs (docs/spec/zkvm.md §Program) and a builder that reads
//! like the spec's examples.

use crate::encoding::{Encodable, Reader, Writer};
use crate::errors::VMError;
use crate::{Data, Instruction, Predicate, ScalarWitness};

/// A program item: bytecode from the wire, or a program the prover built
/// (whose pushes may carry secrets until encoded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProgramItem {
    /// Bytecode.
    Bytecode(Vec<u8>),
    /// A built program.
    Program(Program),
}

impl ProgramItem {
    /// The bytecode.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            ProgramItem::Bytecode(b) => b.clone(),
            ProgramItem::Program(p) => p.encode_to_vec(),
        }
    }
}

impl Encodable for ProgramItem {
    fn encode(&self, w: &mut impl Writer) {
        match self {
            ProgramItem::Bytecode(b) => w.write(b"program", b),
            // One field, like bytecode: a transcript must see the same
            // message whichever form the prover holds.
            ProgramItem::Program(p) => w.write(b"program", &p.encode_to_vec()),
        }
    }

    fn encoded_size(&self) -> usize {
        match self {
            ProgramItem::Bytecode(b) => b.len(),
            ProgramItem::Program(p) => p.encoded_size(),
        }
    }
}

impl From<Program> for ProgramItem {
    fn from(p: Program) -> Self {
        ProgramItem::Program(p)
    }
}

/// A sequence of instructions.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Program(Vec<Instruction>);

impl Program {
    /// An empty program.
    pub fn new() -> Self {
        Program::default()
    }

    /// Builds a program with `f`.
    pub fn build(f: impl FnOnce(&mut Program) -> &mut Program) -> Program {
        let mut p = Program::new();
        f(&mut p);
        p
    }

    /// Decodes bytecode into instructions; fails on a truncated instruction.
    pub fn parse(bytes: &[u8]) -> Result<Program, VMError> {
        let mut r = Reader::new(bytes);
        let mut instructions = Vec::new();
        while r.remaining() > 0 {
            instructions.push(Instruction::decode(&mut r)?);
        }
        Ok(Program(instructions))
    }

    /// The instructions.
    pub fn instructions(&self) -> &[Instruction] {
        &self.0
    }

    /// Appends an instruction.
    pub fn push_instruction(&mut self, i: Instruction) -> &mut Self {
        self.0.push(i);
        self
    }

    /// `push:data`.
    pub fn push(&mut self, data: impl Into<Data>) -> &mut Self {
        self.push_instruction(Instruction::Push(data.into()))
    }

    /// `program:prog`.
    pub fn program(&mut self, prog: impl Into<ProgramItem>) -> &mut Self {
        self.push_instruction(Instruction::Program(prog.into()))
    }

    /// `alloc` with the prover's assignment.
    pub fn alloc(&mut self, assignment: Option<ScalarWitness>) -> &mut Self {
        self.push_instruction(Instruction::Alloc(assignment))
    }

    /// `push:predicate` (convenience for contract-building programs).
    pub fn push_predicate(&mut self, p: Predicate) -> &mut Self {
        self.push(p)
    }
}

macro_rules! simple_ops {
    ($($name:ident => $variant:ident),* $(,)?) => {
        impl Program {
            $(
                #[doc = concat!("`", stringify!($name), "`.")]
                pub fn $name(&mut self) -> &mut Self {
                    self.push_instruction(Instruction::$variant)
                }
            )*
        }
    };
}

simple_ops! {
    drop => Drop, scalar => Scalar, commit => Commit, mintime => Mintime,
    maxtime => Maxtime, expr => Expr, neg => Neg, add => Add, mul => Mul,
    eq => Eq, range => Range, and => And, or => Or, not => Not,
    verify => Verify, unblind => Unblind, issue => Issue, borrow => Borrow,
    retire => Retire, fee => Fee, input => Input, log => Log, eval => Eval,
    call => Call, signtx => Signtx, signid => Signid, signtag => Signtag,
}

impl Program {
    /// `dup:k`.
    pub fn dup(&mut self, k: usize) -> &mut Self {
        self.push_instruction(Instruction::Dup(k))
    }

    /// `roll:k`.
    pub fn roll(&mut self, k: usize) -> &mut Self {
        self.push_instruction(Instruction::Roll(k))
    }

    /// `cloak:m:n`.
    pub fn cloak(&mut self, m: usize, n: usize) -> &mut Self {
        self.push_instruction(Instruction::Cloak(m, n))
    }

    /// `output:k`.
    pub fn output(&mut self, k: usize) -> &mut Self {
        self.push_instruction(Instruction::Output(k))
    }

    /// `contract:k`.
    pub fn contract(&mut self, k: usize) -> &mut Self {
        self.push_instruction(Instruction::Contract(k))
    }
}

impl Encodable for Program {
    fn encode(&self, w: &mut impl Writer) {
        for i in &self.0 {
            i.encode(w);
        }
    }

    fn encoded_size(&self) -> usize {
        self.0.iter().map(|i| i.encoded_size()).sum()
    }
}

/// One instruction a line, as assembly.
impl core::fmt::Display for Program {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for i in &self.0 {
            writeln!(f, "{i}")?;
        }
        Ok(())
    }
}
