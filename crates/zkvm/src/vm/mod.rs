//! The VM (docs/spec/zkvm.md §VM operation): runs a transaction's program,
//! builds its constraint system, collects deferred point checks and
//! writes the transaction log. The prover and the verifier run this same
//! code through a [`Delegate`].

mod constraints;
mod contracts;
mod stack;
mod values;

use curve25519_dalek::ristretto::CompressedRistretto;
use r1cs::{RandomizableConstraintSystem, VerificationEquation};

use crate::encoding::{Encodable, Reader};
use crate::errors::VMError;
use crate::fees::MAX_FEE;
use crate::tx::{TxEntry, TxHeader, TxID, TxLog, CURRENT_VERSION};
use crate::{
    Anchor, Commitment, Contract, ContractID, Instruction, Item, PortableItem, Predicate,
    ProgramItem,
};

/// Limits against abuse (docs/spec/zkvm.md §Limits), enforced while the
/// program runs, before any proof work.
pub mod limits {
    /// Largest encoded transaction, in bytes.
    pub const MAX_TX_SIZE: usize = 1 << 20;
    /// Most items on the stack at once.
    pub const MAX_STACK_ITEMS: usize = 1024;
    /// Most programs running nested (`eval`, `call`, `signid`, `signtag`).
    pub const MAX_PROGRAM_DEPTH: usize = 64;
    /// Most terms in one expression.
    pub const MAX_EXPRESSION_TERMS: usize = 4096;
    /// Most multipliers in one transaction's constraint system (the
    /// generators' capacity).
    pub const MAX_MULTIPLIERS: usize = r1cs::DEFAULT_CAPACITY;
}

/// The side-specific parts of a run: how commitments enter the constraint
/// system, what `signtx` does, and what becomes of deferred point checks.
pub(crate) trait Delegate {
    /// The constraint system (R1CS prover or verifier).
    type CS: RandomizableConstraintSystem;

    /// True on the prover: allocations carry assignments.
    const PROVER: bool;

    /// The constraint system.
    fn cs(&mut self) -> &mut Self::CS;

    /// Adds a commitment as a fresh committed variable.
    fn commit_variable(
        &mut self,
        c: &Commitment,
    ) -> Result<(CompressedRistretto, r1cs::Variable), VMError>;

    /// Records a `signtx` key and message.
    fn process_tx_signature(&mut self, pred: Predicate, id: ContractID) -> Result<(), VMError>;

    /// Records a deferred point check (verifier), or drops it (prover).
    fn defer(
        &mut self,
        make: impl FnOnce() -> Result<VerificationEquation, VMError>,
    ) -> Result<(), VMError>;
}

/// A program being run and where it is: `offset` is the byte offset of
/// the next instruction in both forms, so prover and verifier report the
/// same position.
enum Run {
    /// Bytecode, decoded one instruction at a time.
    Bytecode { bytes: Vec<u8>, offset: usize },
    /// A built program (the prover's).
    Built {
        program: Vec<Instruction>,
        next: usize,
        offset: usize,
    },
}

impl Run {
    fn new(p: ProgramItem) -> Run {
        match p {
            ProgramItem::Bytecode(bytes) => Run::Bytecode { bytes, offset: 0 },
            ProgramItem::Program(p) => Run::Built {
                program: p.instructions().to_vec(),
                next: 0,
                offset: 0,
            },
        }
    }

    /// The next instruction and its byte offset, or `None` at the end; a
    /// decoding failure comes with its offset.
    fn next(&mut self) -> Result<Option<(Instruction, usize)>, (usize, VMError)> {
        match self {
            Run::Bytecode { bytes, offset } => {
                if *offset == bytes.len() {
                    return Ok(None);
                }
                let start = *offset;
                let mut r = Reader::new(&bytes[start..]);
                let i = Instruction::decode(&mut r).map_err(|e| (start, e))?;
                *offset += r.position();
                Ok(Some((i, start)))
            }
            Run::Built {
                program,
                next,
                offset,
            } => {
                let Some(i) = program.get(*next) else {
                    return Ok(None);
                };
                let start = *offset;
                *next += 1;
                *offset += i.encoded_size();
                Ok(Some((i.clone(), start)))
            }
        }
    }
}

/// The VM state.
pub(crate) struct VM<'d, D: Delegate> {
    header: TxHeader,
    extension: bool,
    last_anchor: Option<Anchor>,
    stack: Vec<Item>,
    current: Run,
    paused: Vec<Run>,
    log: Vec<TxEntry>,
    total_fee: u64,
    /// Multipliers that second-phase gadgets will add.
    deferred_multipliers: usize,
    delegate: &'d mut D,
}

impl<'d, D: Delegate> VM<'d, D> {
    /// A VM about to run `program` under `header`.
    pub(crate) fn new(header: TxHeader, program: ProgramItem, delegate: &'d mut D) -> Self {
        VM {
            header,
            extension: header.version > CURRENT_VERSION,
            last_anchor: None,
            stack: Vec::new(),
            current: Run::new(program),
            paused: Vec::new(),
            log: vec![TxEntry::Header(header)],
            total_fee: 0,
            deferred_multipliers: 0,
            delegate,
        }
    }

    /// Runs to completion: every program, then the finishing checks
    /// (empty stack, anchor set). Returns the ID, the log and the fee.
    pub(crate) fn run(mut self) -> Result<(TxID, TxLog, u64), VMError> {
        loop {
            let depth = self.paused.len();
            let next = self
                .current
                .next()
                .map_err(|(offset, e)| VMError::Instruction {
                    instruction: "decode",
                    offset,
                    depth,
                    error: Box::new(e),
                })?;
            let Some((instruction, offset)) = next else {
                match self.paused.pop() {
                    Some(run) => {
                        self.current = run;
                        continue;
                    }
                    None => break,
                }
            };
            let name = instruction.name();
            self.step(instruction).map_err(|e| VMError::Instruction {
                instruction: name,
                offset,
                depth,
                error: Box::new(e),
            })?;
        }
        if !self.stack.is_empty() {
            return Err(VMError::StackNotClean(self.stack.len()));
        }
        if self.last_anchor.is_none() {
            return Err(VMError::AnchorMissing);
        }
        let id = TxID::from_log(&self.log);
        Ok((id, TxLog(self.log), self.total_fee))
    }

    fn step(&mut self, instruction: Instruction) -> Result<(), VMError> {
        use Instruction as I;
        match instruction {
            I::Push(d) => self.push(Item::String(d)),
            I::Program(p) => self.push(Item::Program(p)),
            I::Drop => self.drop_item(),
            I::Dup(k) => self.dup(k),
            I::Roll(k) => self.roll(k),
            I::Scalar => self.scalar(),
            I::Commit => self.commit(),
            I::Alloc(a) => self.alloc(a),
            I::Mintime => self.push(Item::Expression(crate::Expression::constant(
                self.header.mintime_ms,
            ))),
            I::Maxtime => self.push(Item::Expression(crate::Expression::constant(
                self.header.maxtime_ms,
            ))),
            I::Expr => self.expr(),
            I::Neg => self.neg(),
            I::Add => self.add(),
            I::Mul => self.mul(),
            I::Eq => self.eq(),
            I::Range => self.range(),
            I::And => self.and(),
            I::Or => self.or(),
            I::Not => self.not(),
            I::Verify => self.verify(),
            I::Unblind => self.unblind(),
            I::Issue => self.issue(),
            I::Borrow => self.borrow(),
            I::Retire => self.retire(),
            I::Cloak(m, n) => self.cloak(m, n),
            I::Fee => self.fee(),
            I::Input => self.input(),
            I::Output(k) => self.output(k),
            I::Contract(k) => self.contract(k),
            I::Log => self.log_data(),
            I::Eval => self.eval(),
            I::Call => self.call(),
            I::Signtx => self.signtx(),
            I::Signid => self.signid(),
            I::Signtag => self.signtag(),
            I::Ext(byte) => {
                if self.extension {
                    Ok(())
                } else {
                    Err(VMError::ExtensionsNotAllowed(byte))
                }
            }
        }
    }

    // Helpers shared by the instruction families.

    fn pop(&mut self) -> Result<Item, VMError> {
        self.stack.pop().ok_or(VMError::StackUnderflow)
    }

    fn push(&mut self, item: Item) -> Result<(), VMError> {
        if self.stack.len() >= limits::MAX_STACK_ITEMS {
            return Err(VMError::LimitExceeded {
                what: "stack items",
                value: self.stack.len() + 1,
                limit: limits::MAX_STACK_ITEMS,
            });
        }
        self.stack.push(item);
        Ok(())
    }

    /// Runs `p` next; the current program resumes when it ends.
    fn continue_with(&mut self, p: ProgramItem) -> Result<(), VMError> {
        if self.paused.len() >= limits::MAX_PROGRAM_DEPTH {
            return Err(VMError::LimitExceeded {
                what: "program depth",
                value: self.paused.len() + 1,
                limit: limits::MAX_PROGRAM_DEPTH,
            });
        }
        let previous = core::mem::replace(&mut self.current, Run::new(p));
        self.paused.push(previous);
        Ok(())
    }

    /// Creates a contract on the last anchor and makes its ID the next one.
    fn make_contract(
        &mut self,
        predicate: Predicate,
        payload: Vec<PortableItem>,
    ) -> Result<Contract, VMError> {
        let anchor = self.last_anchor.take().ok_or(VMError::AnchorMissing)?;
        let contract = Contract {
            anchor,
            predicate,
            payload,
        };
        self.last_anchor = Some(contract.id().to_anchor());
        Ok(contract)
    }

    /// Pushes a contract's payload, last item on top.
    fn unpack(&mut self, payload: Vec<PortableItem>) -> Result<(), VMError> {
        for item in payload {
            self.push(item.into())?;
        }
        Ok(())
    }

    /// Adds a fee, keeping the total at most `2^24`.
    fn add_fee(&mut self, fee: u64) -> Result<(), VMError> {
        let total = self.total_fee.saturating_add(fee);
        if total > MAX_FEE {
            return Err(VMError::FeeTooHigh);
        }
        self.total_fee = total;
        Ok(())
    }

    /// Checks that `first_phase` more multipliers now and `second_phase`
    /// later keep the transaction within [`limits::MAX_MULTIPLIERS`].
    fn reserve_multipliers(
        &mut self,
        first_phase: usize,
        second_phase: usize,
    ) -> Result<(), VMError> {
        use r1cs::ConstraintSystem;
        self.deferred_multipliers = self.deferred_multipliers.saturating_add(second_phase);
        let total = self
            .delegate
            .cs()
            .multipliers_len()
            .saturating_add(first_phase)
            .saturating_add(self.deferred_multipliers);
        if total > limits::MAX_MULTIPLIERS {
            return Err(VMError::LimitExceeded {
                what: "multipliers",
                value: total,
                limit: limits::MAX_MULTIPLIERS,
            });
        }
        Ok(())
    }
}
