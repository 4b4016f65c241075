//! `zkvm escrow …` and `zkvm account …`: the contract library's escrow
//! and shared accounts (docs/spec/contracts.md) on top of the wallet's
//! contracts (`zkvm contract …`).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use contracts::account::{Account, Recovery};
use contracts::escrow::{self, Escrow};
use wallet::{Address, SpendPath};
use zkvm::Program;

use crate::contract_cmd::{call_contract, cosign_session, finish_session, lock_terms, CallSpec};
use crate::wallet_cmd::{synced, TxArgs, WalletArgs};
use crate::{Error, Output};

/// The `escrow` subcommands.
#[derive(Debug, Subcommand)]
pub enum EscrowCommand {
    /// As the buyer: lock a payment for a seller, with an arbiter and a
    /// deadline after which the buyer may take it back alone.
    New {
        /// The seller's address.
        #[arg(long)]
        seller: String,
        /// The arbiter's address.
        #[arg(long)]
        arbiter: String,
        /// Quantity to hold: base units, or units with a decimal point for
        /// an asset that declares decimals.
        #[arg(long)]
        qty: String,
        /// The asset (`native`, an issued asset's name, or a flavor).
        #[arg(long, default_value = "native")]
        asset: String,
        /// Seconds from now until the buyer may reclaim alone.
        #[arg(long, conflicts_with = "deadline")]
        deadline_in: Option<u64>,
        /// The deadline, in ms since the Unix epoch.
        #[arg(long, required_unless_present = "deadline_in")]
        deadline: Option<u64>,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// As the seller: take the payment, signed with the arbiter
    /// (`--with arbiter`, the `release` branch) or with the buyer
    /// (`--with buyer`, the key path). The other party runs
    /// `zkvm contract cosign --session DIR`.
    Release(SettleArgs),
    /// As the buyer: take the payment back, signed with the arbiter
    /// (`--with arbiter`, the `refund` branch) or with the seller
    /// (`--with seller`, the key path).
    Refund(SettleArgs),
    /// As the buyer, from the deadline on: take the payment back alone.
    Reclaim {
        /// The escrow's contract ID (or 8+ hex digits of it).
        id: String,
        #[command(flatten)]
        tx: TxArgs,
    },
}

/// Who signs with the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum With {
    /// The arbiter (a branch).
    Arbiter,
    /// The buyer (the key path; for `release`).
    Buyer,
    /// The seller (the key path; for `refund`).
    Seller,
}

/// `escrow release` and `escrow refund`.
#[derive(Debug, Args)]
pub struct SettleArgs {
    /// The escrow's contract ID (or 8+ hex digits of it).
    id: String,
    /// Who signs with you.
    #[arg(long, value_enum)]
    with: With,
    /// The co-signing directory, shared with the other signer.
    #[arg(long, value_name = "DIR")]
    session: PathBuf,
    /// Seconds to wait for the other signer at each round.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
    #[command(flatten)]
    tx: TxArgs,
}

/// The `account` subcommands.
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Lock value into an account shared with other parties: all of them
    /// (this wallet first) sign together to spend it; with `--recover K`,
    /// any K of them may after `--recover-after` seconds.
    New {
        /// The other parties' addresses (repeatable).
        #[arg(long = "with", required = true)]
        with: Vec<String>,
        /// Quantity to lock: base units, or units with a decimal point for
        /// an asset that declares decimals.
        #[arg(long)]
        qty: String,
        /// The asset (`native`, an issued asset's name, or a flavor).
        #[arg(long, default_value = "native")]
        asset: String,
        /// k-of-n recovery: how many parties suffice after the timeout.
        #[arg(long, requires = "recover_after")]
        recover: Option<usize>,
        /// Seconds from now until recovery opens.
        #[arg(long)]
        recover_after: Option<u64>,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Propose a payment from the account and sign it: waits for every
    /// other party's `account sign` in the session directory, then submits.
    Propose {
        /// The account's contract ID (or 8+ hex digits of it).
        id: String,
        /// Pay the account's value to this address (default: this wallet).
        #[arg(long)]
        to: Option<String>,
        /// The co-signing directory, shared with the other parties.
        #[arg(long, value_name = "DIR")]
        session: PathBuf,
        /// Seconds to wait for the others at each round.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Sign a proposal in a session directory (what `contract cosign`
    /// does).
    Sign {
        /// The co-signing directory.
        #[arg(long, value_name = "DIR")]
        session: PathBuf,
        /// Seconds to wait for the others at each round.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
    /// Submit a proposal whose proposer stopped after every party signed
    /// (what `contract finish` does).
    Finish {
        /// The co-signing directory.
        #[arg(long, value_name = "DIR")]
        session: PathBuf,
    },
    /// After the timeout, K parties move the funds through a recovery
    /// branch (`recover-1-3`…, see `zkvm contract show`).
    Recover {
        /// The account's contract ID (or 8+ hex digits of it).
        id: String,
        /// The recovery branch.
        #[arg(long)]
        branch: String,
        /// Pay to this address (default: this wallet).
        #[arg(long)]
        to: Option<String>,
        /// The co-signing directory, if other parties sign.
        #[arg(long, value_name = "DIR")]
        session: Option<PathBuf>,
        /// Seconds to wait for the others at each round.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
        #[command(flatten)]
        tx: TxArgs,
    },
}

fn address(text: &str, what: &str) -> Result<Address, Error> {
    text.trim()
        .parse()
        .map_err(|e| Error::Usage(format!("bad {what} address: {e}")))
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut key);
    key
}

/// A spec with only the path and the caller's choices.
fn spec(
    id: String,
    path: SpendPath,
    to: Option<String>,
    session: Option<PathBuf>,
    timeout: u64,
) -> CallSpec {
    CallSpec {
        id,
        path,
        secrets: Vec::new(),
        args: Program::new(),
        to,
        branch_program: None,
        owes: Vec::new(),
        mintime: None,
        maxtime: None,
        session,
        timeout,
    }
}

/// Runs an `escrow` subcommand.
pub fn run_escrow(
    command: EscrowCommand,
    wallet: &WalletArgs,
    node: &str,
) -> Result<Output, Error> {
    match command {
        EscrowCommand::New {
            seller,
            arbiter,
            qty,
            asset,
            deadline_in,
            deadline,
            tx,
        } => {
            let buyer = {
                let (mut w, _) = synced(crate::wallet_cmd::open_at(&wallet.wallet)?, node)?;
                w.new_address()?
            };
            let deadline_ms = match (deadline, deadline_in) {
                (Some(d), _) => d,
                (None, Some(secs)) => now_ms().saturating_add(secs.saturating_mul(1000)),
                (None, None) => {
                    return Err(Error::Usage("give --deadline or --deadline-in".into()))
                }
            };
            let escrow = Escrow {
                buyer,
                seller: address(&seller, "seller")?,
                arbiter: address(&arbiter, "arbiter")?,
                deadline_ms,
            };
            let terms = escrow.terms(random_key()).map_err(contracts_error)?;
            let notify = vec![escrow.buyer, escrow.seller, escrow.arbiter];
            let mut out = lock_terms(wallet, node, terms, notify, &qty, &asset, Vec::new(), &tx)?;
            if let Output::Json(json) = &mut out {
                json["deadline_ms"] = deadline_ms.into();
            }
            Ok(out)
        }
        EscrowCommand::Release(a) => settle(a, With::Buyer, escrow::RELEASE, wallet, node),
        EscrowCommand::Refund(a) => settle(a, With::Seller, escrow::REFUND, wallet, node),
        EscrowCommand::Reclaim { id, tx } => {
            let mut s = spec(id, SpendPath::Branch(escrow::RECLAIM.into()), None, None, 0);
            // The branch checks mintime against the deadline: the
            // transaction may be included from (about) now on.
            s.mintime = Some(now_ms().saturating_sub(1000));
            call_contract(s, &tx, &wallet.wallet, node)
        }
    }
}

/// `escrow release` (key partner: the buyer) or `escrow refund` (key
/// partner: the seller): with the arbiter through `branch`, with the key
/// partner through the key path; the value comes to the caller.
fn settle(
    a: SettleArgs,
    key_partner: With,
    branch: &str,
    wallet: &WalletArgs,
    node: &str,
) -> Result<Output, Error> {
    let path = if a.with == With::Arbiter {
        SpendPath::Branch(branch.into())
    } else if a.with == key_partner {
        SpendPath::Key
    } else {
        return Err(Error::Usage(format!(
            "{branch} is signed with the arbiter or the {}",
            if key_partner == With::Buyer {
                "buyer"
            } else {
                "seller"
            }
        )));
    };
    call_contract(
        spec(a.id, path, None, Some(a.session), a.timeout),
        &a.tx,
        &wallet.wallet,
        node,
    )
}

fn contracts_error(e: contracts::ContractsError) -> Error {
    Error::Usage(e.to_string())
}

/// Runs an `account` subcommand.
pub fn run_account(
    command: AccountCommand,
    wallet: &WalletArgs,
    node: &str,
) -> Result<Output, Error> {
    match command {
        AccountCommand::New {
            with,
            qty,
            asset,
            recover,
            recover_after,
            tx,
        } => {
            let me = {
                let (mut w, _) = synced(crate::wallet_cmd::open_at(&wallet.wallet)?, node)?;
                w.new_address()?
            };
            let mut parties = vec![me];
            for a in &with {
                parties.push(address(a, "party")?);
            }
            let recovery = match (recover, recover_after) {
                (Some(k), Some(secs)) => Some(Recovery {
                    k,
                    after_ms: now_ms().saturating_add(secs.saturating_mul(1000)),
                }),
                _ => None,
            };
            let account = Account {
                parties: parties.clone(),
                recovery,
            };
            let terms = account.terms(random_key()).map_err(contracts_error)?;
            let mut out = lock_terms(wallet, node, terms, parties, &qty, &asset, Vec::new(), &tx)?;
            if let (Output::Json(json), Some(r)) = (&mut out, recovery) {
                json["recovery_after_ms"] = r.after_ms.into();
            }
            Ok(out)
        }
        AccountCommand::Propose {
            id,
            to,
            session,
            timeout,
            tx,
        } => call_contract(
            spec(id, SpendPath::Key, to, Some(session), timeout),
            &tx,
            &wallet.wallet,
            node,
        ),
        AccountCommand::Finish { session } => finish_session(&session, node),
        AccountCommand::Sign { session, timeout } => {
            cosign_session(&wallet.wallet, &session, timeout)
        }
        AccountCommand::Recover {
            id,
            branch,
            to,
            session,
            timeout,
            tx,
        } => {
            let mut s = spec(id, SpendPath::Branch(branch), to, session, timeout);
            // The branch checks mintime: the transaction may be included
            // from now on.
            s.mintime = Some(now_ms().saturating_sub(1000));
            call_contract(s, &tx, &wallet.wallet, node)
        }
    }
}
