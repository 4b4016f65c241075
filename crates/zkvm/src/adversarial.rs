//! Hostile transactions for tests, fuzzing and benchmarks of the execution
//! budget (docs/spec/zkvm.md §Execution budget). Only with the
//! `adversarial` feature: nothing in a node or wallet needs them.
//!
//! Each family makes as much verifier work per byte as its shape allows:
//! exponential re-execution through `eval`, `call`, `signid` and `signtag`,
//! copying and logging long strings, stack churn with `roll`, expressions
//! and constraints that grow quadratically, range proofs and deferred
//! point checks. [`transaction`] wraps a program into a transaction that
//! decodes (its proof and signature are well formed but prove nothing: a
//! verifier must spend its effort in the run, which is the point).

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_COMPRESSED;
use musig::Signature;
use r1cs::R1CSProof;

use crate::{
    Anchor, CallProof, Contract, Data, Encodable, Path, PortableItem, Predicate, Program,
    ProgramItem, Tx, TxHeader, VMError,
};

/// A family of hostile programs, each scaled by one parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Each level opens two copies of a contract whose payload is the
    /// previous level's program (`dup`, `input`, `signtx`) and runs both
    /// with `eval`: `2^depth` runs.
    EvalChain,
    /// As [`Family::EvalChain`], running each copy with `call`.
    CallChain,
    /// As [`Family::EvalChain`], running each copy with `signid`.
    SignidChain,
    /// As [`Family::EvalChain`], running each copy with `signtag`.
    SigntagChain,
    /// A 4 KB string copied with `dup` and dropped, `n` times.
    DupCopies,
    /// A 4 KB string copied and logged, `n` times.
    LogFlood,
    /// 1,000 strings, then `roll:999` `n` times.
    RollChurn,
    /// One expression grown by `n` additions of a variable (each `add`
    /// copies the whole sum).
    ExpressionGrowth,
    /// One constraint wrapped in `n` `not`s (each measures the whole
    /// tree).
    NotChain,
    /// `n` range proofs of one variable (64 multipliers each).
    RangeFlood,
    /// `n` deferred `unblind` checks of one point.
    UnblindFlood,
}

impl Family {
    /// Every family.
    pub const ALL: [Family; 11] = [
        Family::EvalChain,
        Family::CallChain,
        Family::SignidChain,
        Family::SigntagChain,
        Family::DupCopies,
        Family::LogFlood,
        Family::RollChurn,
        Family::ExpressionGrowth,
        Family::NotChain,
        Family::RangeFlood,
        Family::UnblindFlood,
    ];

    /// Whether the family's work grows exponentially with its parameter.
    pub fn is_exponential(self) -> bool {
        matches!(
            self,
            Family::EvalChain | Family::CallChain | Family::SignidChain | Family::SigntagChain
        )
    }

    /// The program of this family at scale `n`.
    pub fn program(self, n: usize) -> Program {
        match self {
            Family::EvalChain => chain(n, Runner::Eval),
            Family::CallChain => chain(n, Runner::Call),
            Family::SignidChain => chain(n, Runner::Signid),
            Family::SigntagChain => chain(n, Runner::Signtag),
            linear => {
                // An input first, so the run has an anchor and a `signtx`
                // key, and a clean stack at the end: a run that succeeds
                // goes on to the whole multiscalar check.
                let mut p = Program::new();
                p.push(output(Vec::new())).input().signtx();
                match linear {
                    Family::DupCopies => repeat(&mut p, n, vec![0x5a; 4096], |p| p.dup(0).drop()),
                    Family::LogFlood => repeat(&mut p, n, vec![0x5a; 4096], |p| p.dup(0).log()),
                    Family::RollChurn => roll_churn(&mut p, n),
                    Family::ExpressionGrowth => expression_growth(&mut p, n),
                    Family::NotChain => not_chain(&mut p, n),
                    Family::RangeFlood => range_flood(&mut p, n),
                    _ => unblind_flood(&mut p, n),
                }
                p
            }
        }
    }
}

/// How a chain level runs the program it unpacked.
#[derive(Clone, Copy)]
enum Runner {
    Eval,
    Call,
    Signid,
    Signtag,
}

/// A valid point (the basepoint): predicates, keys and commitments must
/// decompress for the run to reach the work.
fn point() -> Data {
    Data::Opaque(RISTRETTO_BASEPOINT_COMPRESSED.as_bytes().to_vec())
}

/// An output structure under the basepoint holding `payload`.
fn output(payload: Vec<PortableItem>) -> Data {
    let contract = Contract {
        anchor: Anchor::from_bytes([7; 32]),
        predicate: Predicate::opaque(RISTRETTO_BASEPOINT_COMPRESSED),
        payload,
    };
    Data::Opaque(contract.encode_to_vec())
}

/// A signature that decodes (`R` the basepoint, `s` zero).
fn signature_bytes() -> Data {
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(RISTRETTO_BASEPOINT_COMPRESSED.as_bytes());
    Data::Opaque(sig.to_vec())
}

/// Level `depth` of a chain: level 0 is empty, level `k` runs level
/// `k - 1` twice.
fn chain(depth: usize, runner: Runner) -> Program {
    let mut level = Program::new();
    for _ in 0..depth {
        let inner = ProgramItem::Bytecode(level.encode_to_vec());
        let mut payload = Vec::new();
        if let Runner::Signtag = runner {
            // `signtag` needs a string on top of the payload.
            payload.push(PortableItem::String(Data::Opaque(b"tag".to_vec())));
        }
        let holder = output(vec![PortableItem::Program(inner)]);
        let mut next = Program::new();
        next.push(holder);
        for copy in 0..2 {
            if copy == 0 {
                next.dup(0);
            }
            // [... holder] -> [... program]
            next.input().signtx();
            match runner {
                Runner::Eval => {
                    next.eval();
                }
                Runner::Call => {
                    let proof = CallProof {
                        key: RISTRETTO_BASEPOINT_COMPRESSED,
                        path: Path::default(),
                    };
                    next.push(output(Vec::new()))
                        .input()
                        .roll(1)
                        .push(Data::Opaque(proof.encode_to_vec()))
                        .roll(1)
                        .call();
                }
                Runner::Signid => {
                    next.push(output(Vec::new()))
                        .input()
                        .roll(1)
                        .push(signature_bytes())
                        .signid();
                }
                Runner::Signtag => {
                    next.push(output(payload.clone()))
                        .input()
                        .roll(1)
                        .push(signature_bytes())
                        .signtag()
                        .drop();
                }
            }
        }
        level = next;
    }
    level
}

/// `push:s`, then `body` `n` times, then `drop`.
fn repeat(p: &mut Program, n: usize, s: Vec<u8>, body: impl Fn(&mut Program) -> &mut Program) {
    p.push(Data::Opaque(s));
    for _ in 0..n {
        body(p);
    }
    p.drop();
}

fn roll_churn(p: &mut Program, n: usize) {
    for _ in 0..1000 {
        p.push(Data::Opaque(Vec::new()));
    }
    for _ in 0..n {
        p.roll(999);
    }
    for _ in 0..1000 {
        p.drop();
    }
}

fn expression_growth(p: &mut Program, n: usize) {
    p.push(point()).commit().dup(0).expr();
    for _ in 0..n {
        p.dup(1).expr().add();
    }
    p.drop().drop();
}

fn not_chain(p: &mut Program, n: usize) {
    p.push(point()).commit().dup(0).expr().roll(1).expr().eq();
    for _ in 0..n {
        p.not();
    }
    p.drop();
}

fn range_flood(p: &mut Program, n: usize) {
    p.push(point()).commit();
    for _ in 0..n {
        p.dup(0).expr().range().drop();
    }
    p.drop();
}

fn unblind_flood(p: &mut Program, n: usize) {
    p.push(Data::Opaque(vec![0; 32])).push(point());
    for _ in 0..n {
        p.dup(1).unblind();
    }
    p.drop().drop();
}

impl Family {
    /// The family's transaction at scale `n`, with a proof of as many
    /// inner-product rounds as an honest proof of its multipliers would
    /// have, so that a verifier whose run succeeds goes on to the whole
    /// multiscalar check (the most work the transaction can cause).
    pub fn transaction(self, n: usize) -> Result<Tx, VMError> {
        let multipliers = match self {
            Family::RangeFlood => n.saturating_mul(64),
            _ => 0,
        };
        let rounds = multipliers.max(1).next_power_of_two().trailing_zeros() as usize;
        transaction_with_rounds(&self.program(n), rounds)
    }
}

/// `program` as a transaction that decodes: version 1, no time bounds, a
/// well-formed signature and a well-formed one-phase proof of nothing.
pub fn transaction(program: &Program) -> Result<Tx, VMError> {
    transaction_with_rounds(program, 0)
}

/// [`transaction`] with a proof of `rounds` inner-product rounds (of
/// basepoints), the shape of a proof of up to `2^rounds` multipliers.
pub fn transaction_with_rounds(program: &Program, rounds: usize) -> Result<Tx, VMError> {
    // Flag, eight points (A_I1, A_O1, S1, T_1, T_3..T_6), three zero
    // scalars, `2·rounds` points, two zero scalars.
    let mut proof = vec![0u8; 1 + 11 * 32 + (2 * rounds + 2) * 32];
    let points = (1..1 + 8 * 32).chain(1 + 11 * 32..1 + (11 + 2 * rounds) * 32);
    for (i, byte) in points.enumerate() {
        proof[byte] = RISTRETTO_BASEPOINT_COMPRESSED.as_bytes()[i % 32];
    }
    Ok(Tx {
        header: TxHeader {
            version: 1,
            mintime_ms: 0,
            maxtime_ms: u64::MAX,
        },
        program: program.encode_to_vec(),
        signature: Signature::from_bytes(&signature_bytes().to_bytes())
            .map_err(VMError::InvalidSignature)?,
        proof: R1CSProof::from_bytes(&proof).map_err(VMError::InvalidR1CSProof)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_decodes_as_a_transaction() {
        for family in Family::ALL {
            let tx = transaction(&family.program(3)).unwrap();
            assert_eq!(Tx::from_bytes(&tx.to_bytes()).unwrap(), tx, "{family:?}");
        }
    }

    #[test]
    fn chains_grow_linearly_in_size() {
        for family in Family::ALL.into_iter().filter(|f| f.is_exponential()) {
            let a = family.program(10).encoded_size();
            let b = family.program(20).encoded_size();
            let c = family.program(30).encoded_size();
            assert_eq!(c - b, b - a, "{family:?}: each level adds the same bytes");
            assert!(c < 16_000, "{family:?}: {c} bytes at depth 30");
        }
    }
}
