//! The execution budget (docs/spec/zkvm.md §Execution budget) under
//! arbitrary programs: the input is read as a list of pieces, each either
//! raw bytecode or a hostile family of `zkvm::adversarial` at some scale,
//! and the whole is run by the verifier. Nothing may panic; a run that
//! succeeds spent at most its budget, which is 128 units per byte of the
//! transaction; a budget failure names an instruction and reports needing
//! more than that budget. (libFuzzer's `-timeout` catches a run that is
//! slow for its size.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkvm::adversarial::{transaction, Family};
use zkvm::budget::UNITS_PER_BYTE;
use zkvm::{Encodable, Program, VMError, Verifier};

fn innermost(e: &VMError) -> &VMError {
    match e {
        VMError::Instruction { error, .. } => innermost(error),
        other => other,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = Vec::new();
    let mut rest = data;
    while let Some((&tag, tail)) = rest.split_first() {
        if tag < 0x80 {
            // Raw bytecode: the next `tag` bytes.
            let n = usize::from(tag).min(tail.len());
            bytes.extend_from_slice(&tail[..n]);
            rest = &tail[n..];
        } else {
            // A family at a scale from the next two bytes.
            let family = Family::ALL[usize::from(tag) % Family::ALL.len()];
            let scale = tail.get(..2).map_or(1, |b| usize::from(u16::from_le_bytes([b[0], b[1]])));
            let scale = if family.is_exponential() { scale % 48 } else { scale % 4096 };
            bytes.extend(family.program(scale).encode_to_vec());
            rest = tail.get(2..).unwrap_or(&[]);
        }
    }
    let Ok(program) = Program::parse(&bytes) else {
        return;
    };
    let Ok(tx) = transaction(&program) else {
        return;
    };
    let size = tx.encoded_size() as u64;
    match Verifier::precompute(&tx) {
        Ok(p) => {
            assert_eq!(p.budget.limit(), UNITS_PER_BYTE * size);
            assert!(p.budget.spent() <= p.budget.limit());
        }
        Err(e) => {
            if let VMError::ExecutionBudgetExceeded { needed, budget } = innermost(&e) {
                assert!(matches!(e, VMError::Instruction { .. }), "unnamed: {e:?}");
                assert_eq!(*budget, UNITS_PER_BYTE * size);
                assert!(needed > budget);
            }
        }
    }
});
