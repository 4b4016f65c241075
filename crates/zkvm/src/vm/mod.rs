//! The VM (docs/spec/zkvm.md §VM operation): runs a transaction's program,
//! builds its constraint system, collects deferred point checks and
//! writes the transaction log. The prover and the verifier run this same
//! code through a [`Delegate`].

pub mod budget;
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
use budget::{cost, Budget};

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

/// Watches a run instruction by instruction (docs/spec/simulate.md
/// §Trace): the simulator's hook. A VM without one pays a single `None`
/// check per instruction; an observer changes nothing the VM does or
/// charges.
pub(crate) trait Observer {
    /// `instruction`, at byte `offset` of the program `depth` programs
    /// deep, is about to run (before it is charged).
    fn before(&mut self, offset: usize, depth: usize, instruction: &Instruction);

    /// The instruction announced last ran successfully, leaving `stack`,
    /// with `spent` budget units spent so far.
    fn after(&mut self, stack: &[Item], spent: u64);
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

/// An instruction about to run, where it starts and how many bytes it
/// was decoded from.
struct Decoded {
    instruction: Instruction,
    offset: usize,
    size: usize,
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

    /// The next instruction, its byte offset and its encoded size, or
    /// `None` at the end; a decoding failure comes with its offset.
    fn next(&mut self) -> Result<Option<Decoded>, (usize, VMError)> {
        match self {
            Run::Bytecode { bytes, offset } => {
                if *offset == bytes.len() {
                    return Ok(None);
                }
                let start = *offset;
                let mut r = Reader::new(&bytes[start..]);
                let i = Instruction::decode(&mut r).map_err(|e| (start, e))?;
                *offset += r.position();
                Ok(Some(Decoded {
                    instruction: i,
                    offset: start,
                    size: r.position(),
                }))
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
                let size = i.encoded_size();
                *next += 1;
                *offset += size;
                Ok(Some(Decoded {
                    instruction: i.clone(),
                    offset: start,
                    size,
                }))
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
    budget: Budget,
    delegate: &'d mut D,
    observer: Option<&'d mut dyn Observer>,
}

/// What a successful run yields.
pub(crate) struct RunOutcome {
    /// The transaction ID.
    pub id: TxID,
    /// The log.
    pub log: TxLog,
    /// The total fee.
    pub fee: u64,
    /// The budget, with what the run spent.
    pub budget: Budget,
}

impl<'d, D: Delegate> VM<'d, D> {
    /// A VM about to run `program` under `header`, within `budget`.
    pub(crate) fn new(
        header: TxHeader,
        program: ProgramItem,
        budget: Budget,
        delegate: &'d mut D,
    ) -> Self {
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
            budget,
            delegate,
            observer: None,
        }
    }

    /// Reports every instruction to `observer` (docs/spec/simulate.md
    /// §Trace).
    pub(crate) fn with_observer(mut self, observer: &'d mut dyn Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Runs to completion: every program, then the finishing checks
    /// (empty stack, anchor set). Returns the ID, the log, the fee and the
    /// budget spent.
    pub(crate) fn run(mut self) -> Result<RunOutcome, VMError> {
        // The header entry, hashed into the ID like every other entry.
        self.budget
            .charge_n(self.header.encoded_size(), cost::BYTE)?;
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
            let Some(Decoded {
                instruction,
                offset,
                size,
            }) = next
            else {
                match self.paused.pop() {
                    Some(run) => {
                        self.current = run;
                        continue;
                    }
                    None => break,
                }
            };
            let name = instruction.name();
            if let Some(o) = self.observer.as_deref_mut() {
                o.before(offset, depth, &instruction);
            }
            // Every instruction pays for its dispatch and for the bytes it
            // was decoded from (a `push` or `program` copies them), before
            // it runs.
            self.budget
                .charge(cost::STEP)
                .and_then(|()| self.budget.charge_n(size, cost::BYTE))
                .and_then(|()| self.step(instruction))
                .map_err(|e| VMError::Instruction {
                    instruction: name,
                    offset,
                    depth,
                    error: Box::new(e),
                })?;
            if let Some(o) = self.observer.as_deref_mut() {
                o.after(&self.stack, self.budget.spent());
            }
        }
        if !self.stack.is_empty() {
            return Err(VMError::StackNotClean(self.stack.len()));
        }
        if self.last_anchor.is_none() {
            return Err(VMError::AnchorMissing);
        }
        let id = TxID::from_log(&self.log);
        Ok(RunOutcome {
            id,
            log: TxLog(self.log),
            fee: self.total_fee,
            budget: self.budget,
        })
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

    /// Creates a contract on the last anchor and makes its ID the next one
    /// (hashing its encoding, which is charged).
    fn make_contract(
        &mut self,
        predicate: Predicate,
        payload: Vec<PortableItem>,
    ) -> Result<Contract, VMError> {
        let anchor = self.last_anchor.ok_or(VMError::AnchorMissing)?;
        let contract = Contract {
            anchor,
            predicate,
            payload,
        };
        self.budget.charge_n(contract.encoded_size(), cost::BYTE)?;
        self.last_anchor = Some(contract.id().to_anchor());
        Ok(contract)
    }

    /// Pushes a contract's payload, last item on top.
    fn unpack(&mut self, payload: Vec<PortableItem>) -> Result<(), VMError> {
        self.budget.charge_n(payload.len(), cost::ITEM)?;
        for item in payload {
            self.push(item.into())?;
        }
        Ok(())
    }

    /// Appends `entry` to the log, charging its bytes (kept, and hashed
    /// into the ID at the end).
    fn log_entry(&mut self, entry: TxEntry) -> Result<(), VMError> {
        self.budget.charge_n(entry.encoded_size(), cost::BYTE)?;
        self.log.push(entry);
        Ok(())
    }

    /// Charges `units` of work an instruction is about to do.
    fn charge(&mut self, units: u64) -> Result<(), VMError> {
        self.budget.charge(units)
    }

    /// Charges `count` pieces of work of `weight` units each.
    fn charge_n(&mut self, count: usize, weight: u64) -> Result<(), VMError> {
        self.budget.charge_n(count, weight)
    }

    /// Adds a commitment to the constraint system as a committed variable
    /// (a point the verifier decompresses and multiplies).
    fn commit_variable(
        &mut self,
        c: &Commitment,
    ) -> Result<(CompressedRistretto, r1cs::Variable), VMError> {
        self.charge(cost::POINT)?;
        self.delegate.commit_variable(c)
    }

    /// Defers a point check of `points` points (besides the basepoint,
    /// whose table is precomputed).
    fn defer(
        &mut self,
        points: usize,
        make: impl FnOnce() -> Result<VerificationEquation, VMError>,
    ) -> Result<(), VMError> {
        self.charge_n(points, cost::POINT)?;
        self.delegate.defer(make)
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
        self.budget
            .charge_n(first_phase.saturating_add(second_phase), cost::MULTIPLIER)?;
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
