//! The `zkvm` command: one binary for everything a user runs. For now it
//! inspects and verifies transactions (`zkvm tx …`); the node, wallet,
//! devnet and chain commands will join it as further subcommand groups.
//!
//! Each command group lives in its own module and returns what to print
//! ([`Output`]) or an [`Error`]; only this file prints and chooses the exit
//! status: 0 on success, 1 with one line `error: <message>` on stderr on
//! failure (usage errors are clap's, with its usual exit status 2).

// Library crates never print (the workspace warns on print macros); this
// binary is where the project's output reaches the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod error;
mod input;
mod tx;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use error::Error;

/// Command line of `zkvm`.
#[derive(Debug, Parser)]
#[command(name = "zkvm", version, about = "ZkVM blockchain tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The command groups.
#[derive(Debug, Subcommand)]
enum Command {
    /// Decode and verify transactions.
    #[command(subcommand)]
    Tx(tx::TxCommand),
}

/// What a successful command prints on stdout.
#[derive(Debug)]
pub enum Output {
    /// A JSON document, printed pretty.
    Json(serde_json::Value),
    /// Text, printed as is.
    Text(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Tx(command) => tx::run(command),
    };
    match result.and_then(print) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, whatever the error's text holds.
            let message = e.to_string().replace(['\r', '\n'], " ");
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Writes `output` to stdout; a closed pipe is an error, not a panic.
fn print(output: Output) -> Result<(), Error> {
    let text = match output {
        Output::Json(json) => {
            let mut text = serde_json::to_string_pretty(&json).map_err(Error::Json)?;
            text.push('\n');
            text
        }
        Output::Text(text) => text,
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(Error::Stdout)
}
