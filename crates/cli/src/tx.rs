//! `zkvm tx …`: decode and verify transactions read from a file or stdin
//! (docs/spec/zkvm.md §Transaction encoding, §Transaction log).

use std::fmt;
use std::path::PathBuf;

use clap::Subcommand;
use serde_json::{json, Value as Json};
use zkvm::{Tx, Verifier};

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
    /// and its program as assembly text (docs/spec/asm.md).
    Decode {
        /// File holding the transaction as hex or raw bytes; `-` for stdin.
        input: PathBuf,
    },
    /// Dry-run a program with its secrets (docs/spec/simulate.md): log,
    /// txid, constraint and multiplier counts, budget, predicted size and
    /// fee rate, or the failing instruction with its stack.
    Simulate(crate::simulate_cmd::SimulateArgs),
}

/// Runs a `tx` subcommand.
pub fn run(command: TxCommand, json: bool) -> Result<Output, Error> {
    match command {
        TxCommand::Verify { input } => verify(&input::read_bytes(&input)?).map(Output::Json),
        TxCommand::Decode { input } => decode(&input::read_bytes(&input)?).map(Output::Text),
        TxCommand::Simulate(args) => crate::simulate_cmd::run(args, json),
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

/// `zkvm tx decode`: the transaction's fields, then its program as
/// assembly.
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
        // The program as text `zkvm asm` turns back into the same bytes
        // (docs/spec/asm.md §Disassembly); bytes that do not parse as a
        // program are shown as hex.
        match zkvm::asm::disassemble(&tx.program) {
            Ok(text) => {
                writeln!(f, "assembly:")?;
                for line in text.lines() {
                    writeln!(f, "{INDENT}{line}")?;
                }
                Ok(())
            }
            Err(e) => writeln!(
                f,
                "assembly: none ({e})\nprogram_hex: {}",
                hex::encode(&tx.program)
            ),
        }
    }
}

/// Indentation of the program's lines.
const INDENT: &str = "    ";
