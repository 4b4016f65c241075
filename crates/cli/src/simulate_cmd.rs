//! `zkvm tx simulate WITNESS.json`: a dry run of a program with its secrets
//! (docs/spec/simulate.md): what the transaction would be, or where and why
//! the prover would refuse it, without proving. With `--wallet FILE`, the
//! wallet's outputs, openings and keys fill in what the file leaves out
//! (docs/spec/simulate.md §The wallet knows).

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use zkvm::simulate::{
    Extra, LogEntry, Options, Simulation, StackSummary, Witness, MAX_WITNESS_BYTES,
};
use zkvm::{Encodable, FeeRate};

use crate::{Error, Output};

/// Arguments of `zkvm tx simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The witness file (JSON, docs/spec/simulate.md §Witness file); `-`
    /// for stdin.
    pub witness: PathBuf,
    /// Also list every instruction run, with the stack after it.
    #[arg(long)]
    pub trace: bool,
    /// Compare the fee with this rate, `FEE/BYTES` (e.g. `1/1`).
    #[arg(long, value_name = "FEE/BYTES")]
    pub fee_rate: Option<String>,
    /// Fill in from this wallet file: its unspent outputs as parameters
    /// `$utxo_<first 16 hex digits of the contract ID>`, their openings and
    /// its keys as secrets (docs/spec/simulate.md §The wallet knows).
    #[arg(long, value_name = "FILE")]
    pub wallet: Option<PathBuf>,
}

/// What the wallet at `path` knows, as extras for a witness file: each
/// output (UTXO or held contract) as `utxo_<16 hex digits>` with its
/// output structure as a `0x…` literal, its values' openings and the
/// wallet's keys, as of the wallet's last sync (the node is not asked).
fn wallet_extra(path: &std::path::Path) -> Result<Extra, Error> {
    let known = crate::wallet_cmd::open_reader(path)?.known_secrets();
    let params = known
        .outputs
        .iter()
        .map(|(id, contract)| {
            (
                format!("utxo_{}", hex::encode(&id.to_bytes()[..8])),
                format!("0x{}", hex::encode(contract.encode_to_vec())).into(),
            )
        })
        .collect();
    Ok(Extra {
        params,
        commitments: known.commitments,
        keys: known.keys,
    })
}

/// Runs the simulation. A program that fails still prints its report; the
/// command then fails with the failure in one line. The report is text, or
/// JSON when `json` (the global `--json`).
pub fn run(args: SimulateArgs, json: bool) -> Result<Output, Error> {
    let fee_rate = args.fee_rate.as_deref().map(parse_fee_rate).transpose()?;
    let bytes = crate::input::read_limited(&args.witness, MAX_WITNESS_BYTES)?;
    let extra = match &args.wallet {
        Some(path) => wallet_extra(path)?,
        None => Extra::default(),
    };
    let witness = Witness::from_json_with(&bytes, &extra)
        .map_err(|e| Error::Usage(format!("{}: {e}", args.witness.display())))?;
    let sim = witness.simulate(&Options {
        trace: args.trace,
        fee_rate,
    });
    let output = if json {
        Output::Json(serde_json::to_value(&sim).map_err(Error::Json)?)
    } else {
        Output::Text(summary(&sim))
    };
    match &sim.failure {
        None => Ok(output),
        Some(f) => Ok(Output::Failed {
            output: Box::new(output),
            error: Error::Usage(format!("simulation failed: {}", f.message)),
        }),
    }
}

/// `FEE/BYTES`, both integers, `BYTES` positive.
fn parse_fee_rate(s: &str) -> Result<FeeRate, Error> {
    let bad = || Error::Usage(format!("--fee-rate {s:?}: expected FEE/BYTES, e.g. 1/1"));
    let (fee, bytes) = s.split_once('/').ok_or_else(bad)?;
    let fee: u64 = fee.trim().parse().map_err(|_| bad())?;
    let bytes: usize = bytes.trim().parse().map_err(|_| bad())?;
    if bytes == 0 {
        return Err(bad());
    }
    Ok(FeeRate::new(fee, bytes))
}

fn stack_text(s: &StackSummary) -> String {
    let mut out = format!("{} item{}", s.depth, if s.depth == 1 { "" } else { "s" });
    if s.depth > 0 {
        out.push(':');
        if s.items.len() < s.depth {
            out.push_str(" …");
        }
        for item in &s.items {
            match item.len {
                Some(n) => write!(out, " {}({n})", item.kind),
                None => write!(out, " {}", item.kind),
            }
            .ok();
        }
    }
    out
}

/// The human summary (docs/spec/simulate.md §Command line).
fn summary(sim: &Simulation) -> String {
    let mut s = String::new();
    let w = &mut s;
    // Writing to a String cannot fail.
    let _ = writeln!(w, "result: {}", if sim.ok { "ok" } else { "failed" });
    if let Some(f) = &sim.failure {
        let _ = writeln!(w, "error: {}", f.message);
        if let (Some(i), Some(o), Some(d)) = (&f.instruction, f.offset, f.depth) {
            let text = f.text.as_deref().unwrap_or(i);
            let _ = writeln!(w, "failing instruction: {text} (offset {o}, depth {d})");
        }
        let _ = writeln!(w, "stack (bottom to top): {}", stack_text(&f.stack));
    }
    if let Some(id) = &sim.txid {
        let _ = writeln!(w, "txid: {id}");
    }
    if let Some(size) = &sim.size {
        let _ = writeln!(
            w,
            "size: {} bytes (header {}, program {}, signature {}, proof {})",
            size.total, size.header, size.program, size.signature, size.proof
        );
    }
    if let Some(r) = &sim.fee_rate {
        let _ = write!(w, "fee: {} ({:.6} per byte)", r.fee, r.per_byte);
        if let (Some((f, b)), Some(need), Some(meets)) =
            (r.required, r.required_fee, r.meets_required)
        {
            let verdict = if meets { "met" } else { "NOT met" };
            let _ = write!(w, "; rate {f}/{b} needs {need}: {verdict}");
        }
        let _ = writeln!(w);
    }
    let padded = sim.multipliers.max(1).next_power_of_two();
    let so_far = if sim.txid.is_some() {
        ""
    } else {
        " (before the failure)"
    };
    let _ = writeln!(
        w,
        "constraints: {}, multipliers: {} (padded {padded}, {} phase{}){so_far}",
        sim.constraints,
        sim.multipliers,
        if sim.second_phase { "two" } else { "one" },
        if sim.second_phase { "s" } else { "" },
    );
    let _ = write!(
        w,
        "budget: {} of {} units{so_far}",
        sim.budget.spent, sim.budget.limit
    );
    if let Some(v) = sim.budget.verifier_limit {
        let _ = write!(w, " (verifier's limit at this size: {v})");
    }
    let _ = writeln!(w);
    if sim.txid.is_some() {
        let known = sim.signers.iter().filter(|s| s.key_known).count();
        let _ = writeln!(w, "signers: {} (keys known: {known})", sim.signers.len());
        let _ = writeln!(w, "log:");
        for entry in &sim.log {
            let _ = writeln!(w, "    {}", log_line(entry));
        }
    }
    if let Some(t) = &sim.trace {
        let _ = writeln!(w, "trace: {} instructions", t.total);
        for step in &t.steps {
            let after = match &step.stack {
                Some(st) => stack_text(st),
                None => "failed".to_string(),
            };
            let _ = writeln!(
                w,
                "    {:>2} {:>6}  {}  -> {after}",
                step.depth, step.offset, step.instruction
            );
        }
        if t.total > t.steps.len() {
            let _ = writeln!(w, "    … {} more", t.total - t.steps.len());
        }
    }
    s
}

/// A log entry on one line: its kind, then `field=value`.
fn log_line(e: &LogEntry) -> String {
    match e {
        LogEntry::Header {
            version,
            mintime_ms,
            maxtime_ms,
        } => format!("header version={version} mintime_ms={mintime_ms} maxtime_ms={maxtime_ms}"),
        LogEntry::Issue { qty, flv } => format!("issue qty={qty} flv={flv}"),
        LogEntry::Retire { qty, flv } => format!("retire qty={qty} flv={flv}"),
        LogEntry::Input { contract_id } => format!("input contract_id={contract_id}"),
        LogEntry::Output {
            contract_id,
            contract,
        } => format!("output contract_id={contract_id} contract={contract}"),
        LogEntry::Fee { amount } => format!("fee amount={amount}"),
        LogEntry::Data { data } => format!("data data={data}"),
    }
}
