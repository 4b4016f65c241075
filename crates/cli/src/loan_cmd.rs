//! `zkvm loan …`: loans against collateral with interest checked in zero
//! knowledge (docs/spec/contracts.md §Loans). The lender offers
//! (`loan offer`), which writes the loan's file for the borrower (its
//! terms and the shared seed); the borrower takes and repays with that
//! file; the lender claims after the term.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use contracts::loan::{self, Loan, LoanContracts};
use serde_json::{json, Value as Json};
use wallet::{Address, Amount, SpendPath, Wallet};
use zkvm::Program;

use crate::contract_cmd::{call_contract, lock_terms, CallSpec};
use crate::wallet_cmd::{asset_name, parse_asset, synced, TxArgs, WalletArgs};
use crate::{Error, Output};

/// The `loan` subcommands.
#[derive(Debug, Subcommand)]
pub enum LoanCommand {
    /// As the lender: lock the principal for a borrower, and write the
    /// loan's file (terms and shared secret) to give them.
    Offer {
        /// The borrower's address.
        #[arg(long)]
        to: String,
        /// The principal: a quantity and an asset.
        #[arg(long, num_args = 2, value_names = ["QTY", "ASSET"])]
        principal: Vec<String>,
        /// The collateral asked: a quantity and an asset.
        #[arg(long, num_args = 2, value_names = ["QTY", "ASSET"])]
        collateral: Vec<String>,
        /// Interest over the term, in basis points (500 = 5%).
        #[arg(long)]
        rate_bp: u64,
        /// The term, in seconds from now.
        #[arg(long)]
        term: u64,
        /// Where to write the loan's file (keep it secret: it holds the
        /// blinding seed of the loan's commitments).
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// As the borrower: take the principal, locking the collateral.
    Take {
        /// The loan's file, from the lender.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// As the borrower: repay principal and interest, get the collateral
    /// back.
    Repay {
        /// The loan's file.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// As the lender, after the term: take the collateral.
    Claim {
        /// The loan's file.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        #[command(flatten)]
        tx: TxArgs,
    },
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn amount(w: &Wallet, pair: &[String], flag: &str) -> Result<Amount, Error> {
    let [qty, asset] = pair else {
        return Err(Error::Usage(format!(
            "--{flag} takes a quantity and an asset"
        )));
    };
    let qty = qty
        .parse()
        .map_err(|_| Error::Usage(format!("--{flag}: {qty:?} is not a quantity")))?;
    Ok(Amount {
        flavor: parse_asset(w, asset)?,
        qty,
    })
}

fn contracts_error(e: contracts::ContractsError) -> Error {
    Error::Usage(e.to_string())
}

/// The loan file: the agreed terms and the seed, as JSON.
fn write_file(path: &Path, loan: &Loan, seed: &[u8; 32]) -> Result<(), Error> {
    let json = json!({
        "lender": loan.lender.to_string(),
        "borrower": loan.borrower.to_string(),
        "principal": {"qty": loan.principal.qty, "flavor": hex::encode(loan.principal.flavor.as_bytes())},
        "collateral": {"qty": loan.collateral.qty, "flavor": hex::encode(loan.collateral.flavor.as_bytes())},
        "rate_bp": loan.rate_bp,
        "term_end_ms": loan.term_end_ms,
        "seed": hex::encode(seed),
    });
    std::fs::write(path, json.to_string())
        .map_err(|e| Error::Usage(format!("cannot write {}: {e}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(())
}

fn read_file(path: &Path) -> Result<(Loan, [u8; 32]), Error> {
    let bad = |what: &str| Error::Usage(format!("{}: {what}", path.display()));
    let text = crate::input::read_limited(path, 64 * 1024)?;
    let j: Json = serde_json::from_slice(&text).map_err(|_| bad("not a loan file"))?;
    let address = |k: &str| -> Result<Address, Error> {
        j[k].as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad(&format!("bad {k}")))
    };
    let amount = |k: &str| -> Result<Amount, Error> {
        let qty = j[k]["qty"]
            .as_u64()
            .ok_or_else(|| bad(&format!("bad {k}")))?;
        let bytes = j[k]["flavor"]
            .as_str()
            .and_then(|h| hex::decode(h).ok())
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| bad(&format!("bad {k} flavor")))?;
        let flavor = Option::from(curve25519_dalek::scalar::Scalar::from_canonical_bytes(
            bytes,
        ))
        .ok_or_else(|| bad(&format!("bad {k} flavor")))?;
        Ok(Amount { flavor, qty })
    };
    let seed = j["seed"]
        .as_str()
        .and_then(|h| hex::decode(h).ok())
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| bad("bad seed"))?;
    let loan = Loan {
        lender: address("lender")?,
        borrower: address("borrower")?,
        principal: amount("principal")?,
        collateral: amount("collateral")?,
        rate_bp: j["rate_bp"].as_u64().ok_or_else(|| bad("bad rate_bp"))?,
        term_end_ms: j["term_end_ms"]
            .as_u64()
            .ok_or_else(|| bad("bad term_end_ms"))?,
    };
    Ok((loan, seed))
}

/// The held contract of `w` whose predicate is `predicate`, unspent.
fn held(
    w: &Wallet,
    predicate: &curve25519_dalek::ristretto::CompressedRistretto,
    what: &str,
) -> Result<String, Error> {
    w.contracts()
        .into_iter()
        .find(|c| c.spent.is_none() && c.terms.predicate() == *predicate)
        .map(|c| c.id().to_string())
        .ok_or_else(|| Error::NotFound(format!("this wallet holds no open {what} of this loan")))
}

fn spec(id: String, branch: &str, program: Option<Program>, owes: Vec<Amount>) -> CallSpec {
    CallSpec {
        id,
        path: SpendPath::Branch(branch.into()),
        secrets: Vec::new(),
        args: Program::new(),
        to: None,
        branch_program: program,
        owes,
        mintime: None,
        maxtime: None,
        session: None,
        timeout: 0,
    }
}

/// Runs a `loan` subcommand.
pub fn run(command: LoanCommand, wallet: &WalletArgs, node: &str) -> Result<Output, Error> {
    match command {
        LoanCommand::Offer {
            to,
            principal,
            collateral,
            rate_bp,
            term,
            file,
            tx,
        } => {
            let (mut w, _) = synced(crate::wallet_cmd::open_at(&wallet.wallet)?, node)?;
            let loan = Loan {
                lender: w.new_address()?,
                borrower: to
                    .trim()
                    .parse()
                    .map_err(|e| Error::Usage(format!("bad borrower address: {e}")))?,
                principal: amount(&w, &principal, "principal")?,
                collateral: amount(&w, &collateral, "collateral")?,
                rate_bp,
                term_end_ms: now_ms().saturating_add(term.saturating_mul(1000)),
            };
            drop(w);
            let mut seed = [0u8; 32];
            rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut seed);
            let c: LoanContracts = loan.contracts(&seed).map_err(contracts_error)?;
            write_file(&file, &loan, &seed)?;
            let notify = vec![loan.lender, loan.borrower];
            let mut out = lock_terms(
                wallet,
                node,
                c.offer,
                notify,
                // Base units: a whole number is read as such.
                &loan.principal.qty.to_string(),
                &hex::encode(loan.principal.flavor.as_bytes()),
                Vec::new(),
                &tx,
            )?;
            if let Output::Json(j) = &mut out {
                j["file"] = json!(file.display().to_string());
                j["repayment"] =
                    json!({"qty": c.repayment.qty, "asset": asset_name(&c.repayment.flavor)});
                j["term_end_ms"] = json!(loan.term_end_ms);
            }
            Ok(out)
        }
        LoanCommand::Take { file, tx } => {
            let (loan, seed) = read_file(&file)?;
            let c = loan.contracts(&seed).map_err(contracts_error)?;
            let (w, _) = synced(crate::wallet_cmd::open_at(&wallet.wallet)?, node)?;
            let id = held(&w, &c.offer.predicate(), "loan offer")?;
            drop(w);
            call_contract(
                spec(id, loan::TAKE, Some(c.take), vec![loan.collateral]),
                &tx,
                &wallet.wallet,
                node,
            )
        }
        LoanCommand::Repay { file, tx } => {
            let (loan, seed) = read_file(&file)?;
            let c = loan.contracts(&seed).map_err(contracts_error)?;
            let (w, _) = synced(crate::wallet_cmd::open_at(&wallet.wallet)?, node)?;
            let id = held(&w, &c.loan.predicate(), "loan")?;
            drop(w);
            let mut out = call_contract(
                spec(id, loan::REPAY, Some(c.repay), vec![c.repayment]),
                &tx,
                &wallet.wallet,
                node,
            )?;
            if let Output::Json(j) = &mut out {
                j["repaid"] =
                    json!({"qty": c.repayment.qty, "asset": asset_name(&c.repayment.flavor)});
            }
            Ok(out)
        }
        LoanCommand::Claim { file, tx } => {
            let (loan, seed) = read_file(&file)?;
            let c = loan.contracts(&seed).map_err(contracts_error)?;
            let (w, _) = synced(crate::wallet_cmd::open_at(&wallet.wallet)?, node)?;
            let id = held(&w, &c.loan.predicate(), "loan")?;
            drop(w);
            let mut s = spec(id, loan::CLAIM, None, Vec::new());
            // The branch checks mintime against the term's end.
            s.mintime = Some(now_ms().saturating_sub(1000));
            call_contract(s, &tx, &wallet.wallet, node)
        }
    }
}
