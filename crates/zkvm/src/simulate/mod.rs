//! Dry runs (docs/spec/simulate.md): run a program the way the prover does,
//! with its secrets, but stop before the proof, and report what the
//! transaction would be (log, ID, constraint and multiplier counts, budget,
//! size, fee rate) or where and why it fails, optionally with a trace of
//! every instruction.
//!
//! [`simulate`] takes a built [`Program`] (secrets inside its data, as for
//! [`crate::Prover::build_tx`]); [`Witness`] reads the JSON witness file of
//! docs/spec/simulate.md §Witness file and [`Witness::simulate`] runs it.

mod cs;
mod witness;

use std::rc::Rc;

use merlin::Transcript;
use r1cs::BulletproofGens;
use serde::Serialize;

use crate::encoding::Encodable;
use crate::errors::VMError;
use crate::tx::{TxEntry, TxHeader};
use crate::vm::budget::Budget;
use crate::vm::{limits, Delegate, Observer, VM};
use crate::{Commitment, ContractID, FeeRate, Instruction, Item, Predicate, Program, ProgramItem};
use cs::{CurrentOrigin, Origin, SimCS};

pub use witness::{Extra, Witness, WitnessError, MAX_EXTRA, MAX_WITNESS_BYTES};

/// Most trace steps kept (docs/spec/simulate.md §Trace); later steps are
/// counted, not kept.
pub const MAX_TRACE_STEPS: usize = 10_000;

/// Most stack items listed in a failure: the top ones.
pub const MAX_STACK_SHOWN: usize = 32;

/// Most stack items listed in a trace step: the top ones.
pub const MAX_TRACE_STACK_SHOWN: usize = 8;

/// Longest instruction text in a trace; longer ones (large pushes) are cut.
pub const MAX_INSTRUCTION_TEXT: usize = 200;

/// Bytes of a transaction besides its program and proof: header (24),
/// program length (4), signature (64), proof length (4)
/// (docs/spec/zkvm.md §Transaction encoding).
const FIXED_TX_BYTES: usize = 24 + 4 + 64 + 4;

/// What to do besides the run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Record every instruction (docs/spec/simulate.md §Trace).
    pub trace: bool,
    /// A fee rate to compare the transaction's against (e.g. the network's
    /// minimum relay fee rate).
    pub fee_rate: Option<FeeRate>,
}

/// The report of a dry run (docs/spec/simulate.md §What is reported).
#[derive(Clone, Debug, Serialize)]
pub struct Simulation {
    /// True if the program ran to the end, passed the final checks and its
    /// secrets satisfy every constraint: the prover would prove it.
    pub ok: bool,
    /// The transaction ID (hex), if the run finished.
    pub txid: Option<String>,
    /// The log, if the run finished.
    pub log: Vec<LogEntry>,
    /// The total fee, if the run finished.
    pub fee: u64,
    /// Constraints in the constraint system (both phases; for a failed
    /// run, those added before the failure).
    pub constraints: usize,
    /// Multipliers in the constraint system (both phases).
    pub multipliers: usize,
    /// Whether the proof has a second phase (14 points instead of 11).
    pub second_phase: bool,
    /// Execution budget (docs/spec/zkvm.md §Execution budget).
    pub budget: BudgetReport,
    /// Predicted encoded size, if the run finished.
    pub size: Option<SizeReport>,
    /// Fee over predicted size, if the run finished.
    pub fee_rate: Option<FeeRateReport>,
    /// The `signtx` signers in order, if the run finished.
    pub signers: Vec<Signer>,
    /// Why the run failed, if it did.
    pub failure: Option<Failure>,
    /// Every instruction run, if tracing.
    pub trace: Option<Trace>,
}

/// A log entry as JSON: its kind and its fields in hex.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LogEntry {
    /// The header entry.
    Header {
        /// Version.
        version: u64,
        /// Mintime.
        mintime_ms: u64,
        /// Maxtime.
        maxtime_ms: u64,
    },
    /// `issue`: quantity and flavor commitments.
    Issue {
        /// Quantity commitment.
        qty: String,
        /// Flavor commitment.
        flv: String,
    },
    /// `retire`.
    Retire {
        /// Quantity commitment.
        qty: String,
        /// Flavor commitment.
        flv: String,
    },
    /// `input`: the spent contract's ID.
    Input {
        /// Contract ID.
        contract_id: String,
    },
    /// `output`: the new contract's ID and output structure.
    Output {
        /// Contract ID.
        contract_id: String,
        /// The output structure (hex).
        contract: String,
    },
    /// `fee`.
    Fee {
        /// Amount.
        amount: u64,
    },
    /// `log`.
    Data {
        /// The data (hex).
        data: String,
    },
}

impl From<&TxEntry> for LogEntry {
    fn from(e: &TxEntry) -> Self {
        match e {
            TxEntry::Header(h) => LogEntry::Header {
                version: h.version,
                mintime_ms: h.mintime_ms,
                maxtime_ms: h.maxtime_ms,
            },
            TxEntry::Issue(q, f) => LogEntry::Issue {
                qty: hex(q.as_bytes()),
                flv: hex(f.as_bytes()),
            },
            TxEntry::Retire(q, f) => LogEntry::Retire {
                qty: hex(q.as_bytes()),
                flv: hex(f.as_bytes()),
            },
            TxEntry::Input(id) => LogEntry::Input {
                contract_id: id.to_string(),
            },
            TxEntry::Output(c) => LogEntry::Output {
                contract_id: c.id().to_string(),
                contract: hex(&c.encode_to_vec()),
            },
            TxEntry::Fee(x) => LogEntry::Fee { amount: *x },
            TxEntry::Data(d) => LogEntry::Data { data: hex(d) },
        }
    }
}

/// Budget spent and limits.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct BudgetReport {
    /// Units spent (for a failed run: through the last instruction that
    /// succeeded).
    pub spent: u64,
    /// The prover's limit: that of the smallest transaction the program can
    /// make, as [`crate::Prover::build_tx`] runs it.
    pub limit: u64,
    /// The verifier's limit for the predicted size, if known.
    pub verifier_limit: Option<u64>,
}

/// Predicted encoded size (docs/spec/zkvm.md §Transaction encoding).
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct SizeReport {
    /// Header: 24.
    pub header: usize,
    /// Program: 4 + its bytes.
    pub program: usize,
    /// Signature: 64.
    pub signature: usize,
    /// Proof: 4 + `1 + 32·(11 or 14) + 32·(2k+2)`, `k` = log2 of the padded
    /// multiplier count (docs/spec/r1cs.md).
    pub proof: usize,
    /// The whole transaction.
    pub total: usize,
}

/// Fee per byte of the predicted size.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct FeeRateReport {
    /// The fee.
    pub fee: u64,
    /// The predicted size.
    pub size: usize,
    /// `fee / size`.
    pub per_byte: f64,
    /// The rate asked for in [`Options::fee_rate`], as (fee, bytes).
    pub required: Option<(u64, u64)>,
    /// The smallest fee meeting that rate at this size (rounded up).
    pub required_fee: Option<u64>,
    /// Whether the fee meets it.
    pub meets_required: Option<bool>,
}

/// A `signtx` signer.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Signer {
    /// The predicate's point (hex).
    pub predicate: String,
    /// The contract ID it signs (hex).
    pub contract_id: String,
    /// Whether the secret key is known (the witness gave it).
    pub key_known: bool,
}

/// Where and why a run failed.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Failure {
    /// The failing instruction's mnemonic (`decode` if it did not decode);
    /// for an unsatisfied constraint, that of the instruction that added
    /// it; `None` for a failure after the last instruction (stack not
    /// clean, no anchor, too many multipliers).
    pub instruction: Option<String>,
    /// Its byte offset in the program that was running.
    pub offset: Option<usize>,
    /// How many programs deep (0 = the transaction's program).
    pub depth: Option<usize>,
    /// The failing instruction as assembly, if known.
    pub text: Option<String>,
    /// Why, without the position.
    pub error: String,
    /// The whole error in one line, as the prover reports it.
    pub message: String,
    /// The stack before the failing instruction (or at the end; empty for
    /// an unsatisfied constraint).
    pub stack: StackSummary,
}

/// The stack: its depth and its top items, bottom to top.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct StackSummary {
    /// Items on the stack.
    pub depth: usize,
    /// The top items ([`MAX_STACK_SHOWN`] in a failure,
    /// [`MAX_TRACE_STACK_SHOWN`] in a trace step), bottom to top.
    pub items: Vec<StackItem>,
}

/// One stack item: its type, and its length for strings.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct StackItem {
    /// The type (`string`, `program`, `contract`, `value`, `wide value`,
    /// `variable`, `expression`, `constraint`).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Length in bytes, for strings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub len: Option<usize>,
}

impl StackSummary {
    fn of(stack: &[Item], most: usize) -> Self {
        let shown = &stack[stack.len().saturating_sub(most)..];
        StackSummary {
            depth: stack.len(),
            items: shown
                .iter()
                .map(|item| StackItem {
                    kind: item.type_name(),
                    len: match item {
                        Item::String(d) => Some(d.encoded_size()),
                        _ => None,
                    },
                })
                .collect(),
        }
    }
}

/// Every instruction run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Trace {
    /// Steps, in order, at most [`MAX_TRACE_STEPS`].
    pub steps: Vec<TraceStep>,
    /// Instructions run in all (more than `steps.len()` if cut).
    pub total: usize,
}

/// One instruction run.
#[derive(Clone, Debug, Serialize)]
pub struct TraceStep {
    /// Byte offset in the program that was running.
    pub offset: usize,
    /// Program depth.
    pub depth: usize,
    /// The instruction as assembly (`Instruction`'s display form; texts
    /// over [`MAX_INSTRUCTION_TEXT`] characters are cut with `…`).
    pub instruction: String,
    /// The stack after it (`None` if it failed).
    pub stack: Option<StackSummary>,
}

/// The simulator's observer: keeps the stack after each instruction (for
/// failures) and, if tracing, every step; and shares the instruction
/// running with the constraint system, which attributes its constraints
/// to it.
struct Recorder {
    trace: Option<Trace>,
    spent: u64,
    stack: StackSummary,
    current: CurrentOrigin,
}

impl Observer for Recorder {
    fn before(&mut self, offset: usize, depth: usize, instruction: &Instruction) {
        let text = instruction_text(instruction);
        if let Some(t) = &mut self.trace {
            t.total += 1;
            if t.steps.len() < MAX_TRACE_STEPS {
                t.steps.push(TraceStep {
                    offset,
                    depth,
                    instruction: text.clone(),
                    stack: None,
                });
            }
        }
        *self.current.borrow_mut() = Some(Rc::new(Origin {
            offset,
            depth,
            instruction: instruction.name(),
            text,
        }));
    }

    fn after(&mut self, stack: &[Item], spent: u64) {
        self.spent = spent;
        self.stack = StackSummary::of(stack, MAX_STACK_SHOWN);
        *self.current.borrow_mut() = None;
        if let Some(t) = &mut self.trace {
            if t.total <= MAX_TRACE_STEPS {
                if let Some(step) = t.steps.last_mut() {
                    step.stack = Some(StackSummary::of(stack, MAX_TRACE_STACK_SHOWN));
                }
            }
        }
    }
}

/// An instruction's display form, cut to [`MAX_INSTRUCTION_TEXT`].
fn instruction_text(i: &Instruction) -> String {
    match i {
        Instruction::Push(_) | Instruction::Program(_) => {
            let mut s = i.to_string();
            if s.len() > MAX_INSTRUCTION_TEXT {
                let size = match i {
                    Instruction::Push(d) => d.encoded_size(),
                    Instruction::Program(p) => p.encoded_size(),
                    _ => 0,
                };
                s.truncate(MAX_INSTRUCTION_TEXT);
                s.push_str(&format!("… ({size} bytes)"));
            }
            s
        }
        other => other.to_string(),
    }
}

struct SimDelegate<'t, 'g> {
    cs: SimCS<'t, 'g>,
    signtx: Vec<(Predicate, ContractID)>,
}

impl<'t, 'g> Delegate for SimDelegate<'t, 'g> {
    type CS = SimCS<'t, 'g>;
    const PROVER: bool = true;

    fn cs(&mut self) -> &mut Self::CS {
        &mut self.cs
    }

    fn commit_variable(
        &mut self,
        c: &Commitment,
    ) -> Result<
        (
            curve25519_dalek::ristretto::CompressedRistretto,
            r1cs::Variable,
        ),
        VMError,
    > {
        let o = c
            .opening()
            .ok_or(VMError::MissingWitness("commitment opening"))?;
        Ok(self.cs.inner.commit(o.value.to_scalar(), o.blinding))
    }

    fn process_tx_signature(&mut self, pred: Predicate, id: ContractID) -> Result<(), VMError> {
        self.signtx.push((pred, id));
        Ok(())
    }

    fn defer(
        &mut self,
        _: impl FnOnce() -> Result<r1cs::VerificationEquation, VMError>,
    ) -> Result<(), VMError> {
        Ok(())
    }
}

/// The encoded size of an R1CS proof over `multipliers` multipliers
/// (docs/spec/r1cs.md): a phase byte, 11 points (14 with a second phase),
/// and an inner-product argument of `k` rounds, `k = log2` of the padded
/// multiplier count.
pub fn proof_size(multipliers: usize, second_phase: bool) -> usize {
    let points = if second_phase { 14 } else { 11 };
    let k = multipliers.max(1).next_power_of_two().trailing_zeros() as usize;
    1 + 32 * points + 32 * (2 * k + 2)
}

/// The smallest fee meeting `rate` for `size` bytes (rounded up).
pub fn fee_for_rate(rate: FeeRate, size: usize) -> u64 {
    if rate.size() == 0 {
        return 0;
    }
    let need = u128::from(rate.fee()) * size as u128;
    let fee = need.div_ceil(u128::from(rate.size()));
    u64::try_from(fee).unwrap_or(u64::MAX)
}

/// Runs `program` under `header` as [`crate::Prover::build_tx`] does, with
/// the secrets its data carries, and reports instead of proving
/// (docs/spec/simulate.md). Never proves, signs or panics; a failure is in
/// [`Simulation::failure`].
pub fn simulate(header: TxHeader, program: Program, options: &Options) -> Simulation {
    let bytes = program.encode_to_vec();
    let smallest = FIXED_TX_BYTES + bytes.len() + proof_size(0, false);
    let budget = Budget::for_tx_size(smallest);
    let mut report = Simulation {
        ok: false,
        txid: None,
        log: Vec::new(),
        fee: 0,
        constraints: 0,
        multipliers: 0,
        second_phase: false,
        budget: BudgetReport {
            spent: 0,
            limit: budget.limit(),
            verifier_limit: None,
        },
        size: None,
        fee_rate: None,
        signers: Vec::new(),
        failure: None,
        trace: None,
    };
    let largest = FIXED_TX_BYTES + bytes.len() + proof_size(limits::MAX_MULTIPLIERS, true);
    if largest > limits::MAX_TX_SIZE {
        report.failure = Some(final_failure(
            VMError::LimitExceeded {
                what: "transaction bytes",
                value: largest,
                limit: limits::MAX_TX_SIZE,
            },
            StackSummary::default(),
        ));
        return report;
    }
    let mut transcript = Transcript::new(b"ZkVM.r1cs");
    let current = CurrentOrigin::default();
    let mut delegate = SimDelegate {
        cs: SimCS::new(
            r1cs::Prover::new(BulletproofGens::shared(), &mut transcript),
            Rc::clone(&current),
        ),
        signtx: Vec::new(),
    };
    let mut recorder = Recorder {
        trace: options.trace.then(Trace::default),
        spent: 0,
        stack: StackSummary::default(),
        current,
    };
    let run = VM::new(header, ProgramItem::Program(program), budget, &mut delegate)
        .with_observer(&mut recorder)
        .run();
    report.constraints = delegate.cs.constraints_len();
    report.multipliers = r1cs::ConstraintSystem::multipliers_len(&delegate.cs);
    let run = match run {
        Ok(run) => run,
        Err(e) => {
            report.failure = Some(failure(e, &recorder));
            report.budget.spent = recorder.spent;
            report.trace = recorder.trace;
            return report;
        }
    };
    report.trace = recorder.trace.take();
    report.budget.spent = run.budget.spent();
    match delegate.cs.finish() {
        Ok((None, second_phase)) => report.second_phase = second_phase,
        Ok((Some(index), second_phase)) => {
            report.second_phase = second_phase;
            report.failure = Some(match delegate.cs.origin(index) {
                Some(origin) => unsatisfied(index, origin),
                None => final_failure(
                    VMError::R1CS(r1cs::R1CSError::UnsatisfiedConstraint { index }),
                    StackSummary::default(),
                ),
            });
        }
        Err(e) => {
            report.failure = Some(final_failure(VMError::R1CS(e), StackSummary::default()));
        }
    }
    report.constraints = delegate.cs.constraints_len();
    report.multipliers = r1cs::ConstraintSystem::multipliers_len(&delegate.cs);
    let proof = proof_size(report.multipliers, report.second_phase);
    let size = SizeReport {
        header: 24,
        program: 4 + bytes.len(),
        signature: 64,
        proof: 4 + proof,
        total: FIXED_TX_BYTES + bytes.len() + proof,
    };
    report.budget.verifier_limit = Some(Budget::for_tx_size(size.total).limit());
    if report.multipliers > limits::MAX_MULTIPLIERS && report.failure.is_none() {
        report.failure = Some(final_failure(
            VMError::LimitExceeded {
                what: "multipliers",
                value: report.multipliers,
                limit: limits::MAX_MULTIPLIERS,
            },
            StackSummary::default(),
        ));
    }
    let required = options.fee_rate.map(|r| fee_for_rate(r, size.total));
    report.fee_rate = Some(FeeRateReport {
        fee: run.fee,
        size: size.total,
        per_byte: FeeRate::new(run.fee, size.total).to_f64(),
        required: options.fee_rate.map(|r| (r.fee(), r.size())),
        required_fee: required,
        meets_required: required.map(|f| run.fee >= f),
    });
    report.size = Some(size);
    report.txid = Some(run.id.to_string());
    report.log = run.log.0.iter().map(LogEntry::from).collect();
    report.fee = run.fee;
    report.signers = delegate
        .signtx
        .iter()
        .map(|(p, id)| Signer {
            predicate: hex(p.to_point().as_bytes()),
            contract_id: id.to_string(),
            key_known: p.signing_key().is_some(),
        })
        .collect();
    report.ok = report.failure.is_none();
    report
}

fn failure(e: VMError, recorder: &Recorder) -> Failure {
    let message = e.to_string();
    match e {
        VMError::Instruction {
            instruction,
            offset,
            depth,
            error,
        } => Failure {
            instruction: Some(instruction.to_string()),
            offset: Some(offset),
            depth: Some(depth),
            text: recorder
                .current
                .borrow()
                .as_ref()
                .filter(|o| o.offset == offset && o.depth == depth)
                .map(|o| o.text.clone()),
            error: error.to_string(),
            message,
            stack: recorder.stack.clone(),
        },
        other => final_failure(other, recorder.stack.clone()),
    }
}

/// Constraint `index`, added by the instruction at `origin`, is not
/// satisfied: reported at that instruction, in the one-line form of the
/// VM's instruction errors (`` `verify` at offset 12 (program depth 0): … ``).
/// The stack is not known then (the run went on after the instruction).
fn unsatisfied(index: usize, origin: &Origin) -> Failure {
    let error = format!("constraint not satisfied (constraint #{index})");
    Failure {
        instruction: Some(origin.instruction.to_string()),
        offset: Some(origin.offset),
        depth: Some(origin.depth),
        text: Some(origin.text.clone()),
        message: format!(
            "`{}` at offset {} (program depth {}): {error}",
            origin.instruction, origin.offset, origin.depth
        ),
        error,
        stack: StackSummary::default(),
    }
}

fn final_failure(e: VMError, stack: StackSummary) -> Failure {
    Failure {
        instruction: None,
        offset: None,
        depth: None,
        text: None,
        error: e.to_string(),
        message: e.to_string(),
        stack,
    }
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    crate::instruction::hex(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proof_sizes_follow_the_r1cs_layout() {
        // docs/spec/r1cs.md: 1 + 32·(11 or 14) + 32·(2k + 2).
        assert_eq!(proof_size(0, false), 1 + 11 * 32 + 2 * 32);
        assert_eq!(proof_size(1, false), 1 + 11 * 32 + 2 * 32);
        assert_eq!(proof_size(64, false), 801);
        // 142 multipliers pad to 256: 8 rounds (the 1x2 payment, 1502 bytes).
        assert_eq!(proof_size(142, true), 1 + 14 * 32 + 32 * 18);
        assert_eq!(proof_size(257, true), proof_size(512, true));
    }

    #[test]
    fn required_fees_round_up() {
        assert_eq!(fee_for_rate(FeeRate::new(1, 1), 1162), 1162);
        assert_eq!(fee_for_rate(FeeRate::new(1, 3), 10), 4);
        assert_eq!(fee_for_rate(FeeRate::new(2, 4), 10), 5);
        assert_eq!(fee_for_rate(FeeRate::new(0, 1), 10), 0);
        assert_eq!(
            fee_for_rate(FeeRate::new(u64::MAX, 1), usize::MAX),
            u64::MAX
        );
    }

    #[test]
    fn long_pushes_are_cut_in_traces() {
        let short = Instruction::Push(vec![1, 2].into());
        assert_eq!(instruction_text(&short), "push:0x0102");
        let long = Instruction::Push(vec![0xab; 500].into());
        let text = instruction_text(&long);
        assert!(text.starts_with("push:0xabab"));
        assert!(text.ends_with("… (500 bytes)"), "{text}");
        assert_eq!(instruction_text(&Instruction::Cloak(2, 3)), "cloak:2:3");
    }

    #[test]
    fn stacks_show_their_top_items() {
        let stack: Vec<Item> = (0..40u8).map(|i| Item::String(vec![i; 3].into())).collect();
        let s = StackSummary::of(&stack, MAX_TRACE_STACK_SHOWN);
        assert_eq!(s.depth, 40);
        assert_eq!(s.items.len(), MAX_TRACE_STACK_SHOWN);
        assert_eq!(s.items[0].len, Some(3));
        assert_eq!(s.items[0].kind, "string");
    }
}
