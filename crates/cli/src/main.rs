//! The `zkvm` command: one binary for everything a user runs: a local
//! network (`zkvm devnet`), the node (`zkvm node …`), queries of a running
//! node (`zkvm chain …`), the wallet (`zkvm wallet …`), transaction
//! tools (`zkvm tx …`) and the assembler (`zkvm asm`, `zkvm disasm`,
//! docs/spec/asm.md).
//!
//! Each command group lives in its own module and returns what to print
//! ([`Output`]) or an [`Error`]; only this file prints and chooses the exit
//! status: 0 on success, 1 with one line `error: <message>` on stderr on
//! failure (usage errors are clap's, with its usual exit status 2).

// Library crates never print (the workspace warns on print macros); this
// binary is where the project's output reaches the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod asm_cmd;
mod broadcast;
mod chain;
mod contract_cmd;
mod devnet;
mod error;
mod escrow_cmd;
mod input;
mod loan_cmd;
mod node_cmd;
mod offer_cmd;
mod render;
mod reveal_cmd;
mod simulate_cmd;
mod testnet;
mod tx;
mod validators_cmd;
mod wallet_cmd;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use error::Error;

/// Command line of `zkvm`.
#[derive(Debug, Parser)]
#[command(name = "zkvm", version, about = "ZkVM blockchain tools")]
struct Cli {
    /// The node's API address, for `chain` and `wallet` commands.
    #[arg(long, env = "ZKVM_NODE", default_value = node::DEFAULT_API_ADDR, global = true)]
    node: String,
    /// A file holding the wallet's passphrase (its first line), for a
    /// wallet whose seed is sealed under one; without it the passphrase is
    /// asked for on the terminal.
    #[arg(long, env = "ZKVM_PASSPHRASE_FILE", global = true)]
    passphrase_file: Option<std::path::PathBuf>,
    /// Print a command's structured output as compact JSON, one document
    /// per line, for scripts (without it: tables and text for people).
    #[arg(long, env = "ZKVM_JSON", global = true, value_parser = clap::builder::BoolishValueParser::new())]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

/// The command groups.
#[derive(Debug, Subcommand)]
enum Command {
    /// Start a local network: node, block production and a funded dev
    /// wallet, created on first run in the data directory.
    Devnet(devnet::DevnetArgs),
    /// Run a node (`zkvm node [--listen ADDR] [--peer ADDR]...` is
    /// `zkvm node run`), or create its data directory from a genesis.
    #[command(args_conflicts_with_subcommands = true)]
    Node {
        #[command(flatten)]
        run: Box<node_cmd::NodeArgs>,
        #[command(subcommand)]
        command: Option<node_cmd::NodeCommand>,
    },
    /// A federation of validators on this machine: `zkvm testnet init
    /// --validators N --dir DIR` writes their data directories and shared
    /// genesis.
    #[command(subcommand)]
    Testnet(testnet::TestnetCommand),
    /// Query a running node: status, blocks, transactions, mempool.
    #[command(subcommand)]
    Chain(chain::ChainCommand),
    /// Validator-set changes: approve one with a validator's key, submit
    /// one approved by a quorum (docs/spec/consensus.md §Validator-set
    /// changes).
    #[command(subcommand)]
    Validators(validators_cmd::ValidatorsCommand),
    /// A wallet: addresses, balances, history, issue, send, retire.
    Wallet {
        #[command(flatten)]
        args: wallet_cmd::WalletArgs,
        #[command(subcommand)]
        command: wallet_cmd::WalletCommand,
    },
    /// Contracts the wallet has a role in: list, show, call (by key or
    /// branch), co-sign (docs/contracts.md).
    Contract {
        #[command(flatten)]
        args: wallet_cmd::WalletArgs,
        #[command(subcommand)]
        command: contract_cmd::ContractCommand,
    },
    /// Escrow with an arbiter and a deadline (docs/spec/contracts.md
    /// §Escrow).
    Escrow {
        #[command(flatten)]
        args: wallet_cmd::WalletArgs,
        #[command(subcommand)]
        command: escrow_cmd::EscrowCommand,
    },
    /// Accounts shared by several parties (docs/spec/contracts.md §Shared
    /// accounts).
    Account {
        #[command(flatten)]
        args: wallet_cmd::WalletArgs,
        #[command(subcommand)]
        command: escrow_cmd::AccountCommand,
    },
    /// Loans against collateral, interest checked in zero knowledge:
    /// offer, take, repay, claim (docs/spec/contracts.md §Loans).
    Loan {
        #[command(flatten)]
        args: wallet_cmd::WalletArgs,
        #[command(subcommand)]
        command: loan_cmd::LoanCommand,
    },
    /// Public offers with partial fills: make, list, cancel, take
    /// (docs/spec/contracts.md §Offers).
    Offer {
        #[command(flatten)]
        args: wallet_cmd::WalletArgs,
        #[command(subcommand)]
        command: offer_cmd::OfferCommand,
    },
    /// The order book of a pair, from the node (`GET /v1/offers`).
    Market {
        #[command(flatten)]
        args: wallet_cmd::WalletArgs,
        #[command(subcommand)]
        command: MarketCommand,
    },
    /// Decode, verify and simulate transactions (docs/spec/simulate.md).
    #[command(subcommand)]
    Tx(tx::TxCommand),
    /// Assemble program text (docs/spec/asm.md) into bytecode, printed as
    /// hex (or raw bytes with `--binary`).
    Asm(asm_cmd::AsmArgs),
    /// Disassemble bytecode (hex or raw bytes) into program text.
    Disasm(asm_cmd::DisasmArgs),
}

/// The `market` subcommands.
#[derive(Debug, Subcommand)]
enum MarketCommand {
    /// Open offers of a pair, best price first: `GIVE/WANT`, each `native`,
    /// an asset this wallet issued, or a flavor in hex.
    Book {
        /// The pair.
        pair: String,
    },
}

/// What a successful command prints on stdout.
#[derive(Debug)]
pub enum Output {
    /// A JSON document: compact with `--json`, else rendered for people
    /// (`render`).
    Json(serde_json::Value),
    /// Text, printed as is.
    Text(String),
    /// Raw bytes, written as they are.
    Bytes(Vec<u8>),
    /// Output to print before failing with `error` (a simulation's report
    /// of a program that fails).
    Failed {
        /// Printed first, on stdout.
        output: Box<Output>,
        /// Then printed as any error is.
        error: Error,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    wallet_cmd::set_passphrase_file(cli.passphrase_file.clone());
    let result = match cli.command {
        Command::Devnet(args) => {
            init_logs(args.node.log_level.as_deref()).and_then(|()| devnet::run(args))
        }
        Command::Node { run, command } => {
            let command = command.unwrap_or(node_cmd::NodeCommand::Run(*run));
            init_logs(command.log_level()).and_then(|()| node_cmd::run(command))
        }
        Command::Testnet(command) => testnet::run(command),
        Command::Chain(command) => chain::run(command, &cli.node),
        Command::Validators(command) => validators_cmd::run(command, &cli.node),
        Command::Wallet { args, command } => wallet_cmd::run(command, &args, &cli.node),
        Command::Contract { args, command } => contract_cmd::run(command, &args, &cli.node),
        Command::Escrow { args, command } => escrow_cmd::run_escrow(command, &args, &cli.node),
        Command::Account { args, command } => escrow_cmd::run_account(command, &args, &cli.node),
        Command::Loan { args, command } => loan_cmd::run(command, &args, &cli.node),
        Command::Offer { args, command } => offer_cmd::run(command, &args, &cli.node),
        Command::Market {
            args,
            command: MarketCommand::Book { pair },
        } => offer_cmd::book(&pair, &args, &cli.node),
        Command::Tx(command) => tx::run(command, cli.json),
        Command::Asm(args) => asm_cmd::run_asm(args),
        Command::Disasm(args) => asm_cmd::run_disasm(args),
    };
    let result = result.and_then(|output| print(output, cli.json));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, whatever the error's text holds.
            let message = e.to_string().replace(['\r', '\n'], " ");
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Logs of the node to stderr, at `--log-level` (a level or `RUST_LOG`
/// directives), else `RUST_LOG`'s, else `info`; colours only when stderr
/// is a terminal, so that files and pipes get plain text.
fn init_logs(level: Option<&str>) -> Result<(), Error> {
    use std::io::IsTerminal;
    let filter = match level {
        Some(level) => tracing_subscriber::EnvFilter::try_new(level)
            .map_err(|e| Error::Usage(format!("--log-level {level:?}: {e}")))?,
        None => tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new("info,libp2p_swarm=warn,libp2p_gossipsub=warn")
        }),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
    Ok(())
}

/// Writes `output` to stdout (JSON compact for scripts when `json`, else
/// rendered for people); a closed pipe is an error, not a panic.
fn print(output: Output, json: bool) -> Result<(), Error> {
    let bytes = match output {
        Output::Json(value) => {
            if json {
                let mut text = serde_json::to_string(&value).map_err(Error::Json)?;
                text.push('\n');
                text.into_bytes()
            } else {
                render::human(&value).into_bytes()
            }
        }
        Output::Text(text) => text.into_bytes(),
        Output::Bytes(bytes) => bytes,
        Output::Failed { output, error } => {
            print(*output, json)?;
            return Err(error);
        }
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&bytes)
        .and_then(|()| stdout.flush())
        .map_err(Error::Stdout)
}
