//! `zkvm tx …`: decode and verify transactions read from a file or stdin
//! (docs/spec/zkvm.md §Transaction encoding, §Transaction log).

use std::fmt;
use std::path::PathBuf;

use clap::Subcommand;
use serde_json::{json, Value as Json};
use zkvm::{limits, Encodable, Instruction, Program, ProgramItem, Tx, Verifier};

use crate::{input, Error, Output};

/// The `tx` subcommands.
#[derive(Debug, Subcommand)]
pub enum TxCommand {
    /// Verify a transaction; print its ID, log, fee and size as JSON.
    Verify {
        /// File holding the transaction as hex or raw bytes; `-` for stdin.
        input: PathBuf,
    },
    /// Decode a transaction; print its header, sizes, signature and proof,
    /// its program as assembly text (docs/spec/asm.md) and as a listing
    /// with byte offsets.
    Decode {
        /// File holding the transaction as hex or raw bytes; `-` for stdin.
        input: PathBuf,
    },
}

/// Runs a `tx` subcommand.
pub fn run(command: TxCommand) -> Result<Output, Error> {
    match command {
        TxCommand::Verify { input } => verify(&input::read_bytes(&input)?).map(Output::Json),
        TxCommand::Decode { input } => decode(&input::read_bytes(&input)?).map(Output::Text),
    }
}

/// `zkvm tx verify`: `{"txid", "log", "fee", "fee_rate", "size"}`.
fn verify(bytes: &[u8]) -> Result<Json, Error> {
    let tx = Verifier::verify_bytes(bytes).map_err(Error::Invalid)?;
    Ok(json!({
        "txid": tx.id.to_string(),
        "log": tx.log.0.iter().map(node::json::log_entry).collect::<Vec<_>>(),
        "fee": tx.fee_rate.fee(),
        "fee_rate": tx.fee_rate.to_f64(),
        "size": tx.fee_rate.size(),
    }))
}

/// `zkvm tx decode`: the transaction's fields, then its program (as
/// assembly, then as a listing with offsets).
fn decode(bytes: &[u8]) -> Result<String, Error> {
    let tx = Tx::from_bytes(bytes).map_err(Error::Decode)?;
    Ok(Decoded {
        tx: &tx,
        size: bytes.len(),
    }
    .to_string())
}

/// A decoded transaction as text, one field a line.
struct Decoded<'a> {
    tx: &'a Tx,
    /// Size of the encoding.
    size: usize,
}

impl fmt::Display for Decoded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tx = self.tx;
        let rounds = tx.proof.ipp_rounds();
        writeln!(f, "version: {}", tx.header.version)?;
        writeln!(f, "mintime_ms: {}", tx.header.mintime_ms)?;
        writeln!(f, "maxtime_ms: {}", tx.header.maxtime_ms)?;
        writeln!(f, "size: {} bytes", self.size)?;
        writeln!(f, "program_size: {} bytes", tx.program.len())?;
        writeln!(f, "signature: {}", hex::encode(tx.signature.to_bytes()))?;
        writeln!(f, "proof_size: {} bytes", tx.proof.serialized_size())?;
        writeln!(
            f,
            "proof_rounds: {rounds} ({} multipliers after padding)",
            1u64 << rounds
        )?;
        // The program as text `zkvm asm` turns back into the same bytes,
        // then the same instructions with their byte offsets.
        match zkvm::asm::disassemble(&tx.program) {
            Ok(text) => {
                writeln!(f, "assembly:")?;
                for line in text.lines() {
                    writeln!(f, "{INDENT}{line}")?;
                }
            }
            Err(e) => writeln!(f, "assembly: none ({e})")?,
        }
        writeln!(f, "program:")?;
        Disassembly {
            bytecode: &tx.program,
            depth: 1,
        }
        .fmt(f)
    }
}

/// Indentation of one level of nesting.
const INDENT: &str = "    ";

/// A program's disassembly at nesting `depth` (1 for the transaction's
/// program): one instruction a line after its byte offset, counted from the
/// start of this program. A `program:` immediate is disassembled below its
/// instruction, one level deeper, down to the VM's own depth limit; what
/// does not parse (or lies deeper) is shown as hex.
struct Disassembly<'a> {
    bytecode: &'a [u8],
    depth: usize,
}

impl fmt::Display for Disassembly<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let indent = INDENT.repeat(self.depth);
        let hex = || hex::encode(self.bytecode);
        if self.depth > limits::MAX_PROGRAM_DEPTH {
            let limit = limits::MAX_PROGRAM_DEPTH;
            return writeln!(f, "{indent}0x{} (nested deeper than {limit})", hex());
        }
        let program = match Program::parse(self.bytecode) {
            Ok(program) => program,
            Err(e) => return writeln!(f, "{indent}0x{} (does not parse: {e})", hex()),
        };
        let mut offset = 0;
        for instruction in program.instructions() {
            match instruction {
                Instruction::Program(ProgramItem::Bytecode(nested)) => {
                    writeln!(f, "{indent}{offset:>6}  program: {} bytes", nested.len())?;
                    if !nested.is_empty() {
                        Disassembly {
                            bytecode: nested,
                            depth: self.depth + 1,
                        }
                        .fmt(f)?;
                    }
                }
                other => writeln!(f, "{indent}{offset:>6}  {other}")?,
            }
            offset += instruction.encoded_size();
        }
        Ok(())
    }
}
