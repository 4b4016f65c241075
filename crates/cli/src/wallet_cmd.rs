//! `zkvm wallet …`: a wallet in a file, following a node through its API
//! (docs/spec/wallet.md): create it, show addresses, balances and history,
//! and issue, pay and retire confidentially.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use blockchain::{Block, Genesis};
use clap::{Args, Subcommand};
use curve25519_dalek::scalar::Scalar;
use indicatif::{ProgressBar, ProgressStyle};
use node::{Client, NodeError};
use serde_json::{json, Value as Json};
use wallet::{Access, Address, Amount, BlockSource, Built, Fee, HistoryKind, Wallet};
use zeroize::Zeroizing;
use zkvm::{FeeRate, TxID};

use crate::broadcast::{broadcast, Broadcast};
use crate::{Error, Output};

/// Where the wallet file is.
#[derive(Debug, Args)]
pub struct WalletArgs {
    /// The wallet file (created by `zkvm wallet new`; `zkvm devnet` makes
    /// `zkvm-data/wallet.redb`, the default).
    #[arg(
        long,
        env = "ZKVM_WALLET",
        default_value = "zkvm-data/wallet.redb",
        global = true
    )]
    pub wallet: PathBuf,
}

/// The `wallet` subcommands.
#[derive(Debug, Subcommand)]
pub enum WalletCommand {
    /// Create a wallet file from a new (or given) 24-word recovery phrase,
    /// its seed sealed under a passphrase (`--passphrase-file`, or typed on
    /// a terminal); `--no-passphrase` keeps it in the clear.
    New {
        /// Restore from this recovery phrase instead of making a new one.
        /// Visible to other users and kept in shell history: prefer
        /// `--mnemonic-file`.
        #[arg(long, conflicts_with = "mnemonic_file")]
        mnemonic: Option<String>,
        /// Restore from the recovery phrase in this file.
        #[arg(long)]
        mnemonic_file: Option<PathBuf>,
        /// Keep the seed in the clear, protected by the file's permissions
        /// only (a devnet's or a test's wallet).
        #[arg(
            long,
            env = "ZKVM_NO_PASSPHRASE",
            action = clap::ArgAction::SetTrue,
            value_parser = clap::builder::FalseyValueParser::new()
        )]
        no_passphrase: bool,
    },
    /// Print the recovery phrase of a wallet made with a passphrase (which
    /// is asked for).
    ExportPhrase,
    /// Drop a pending transaction: its inputs are spendable again. A
    /// confirmed transaction cannot be abandoned.
    Abandon {
        /// The transaction ID.
        txid: String,
    },
    /// Submit pending transactions again (all, or one), and say for each
    /// whether the node accepted it, knew it already, or refused it.
    Rebroadcast {
        /// The transaction ID (default: every pending transaction).
        txid: Option<String>,
    },
    /// Print a fresh receiving address.
    Address {
        /// A label kept with it in the wallet (`zkvm wallet addresses`
        /// lists it).
        #[arg(long)]
        label: Option<String>,
    },
    /// List the addresses handed out, with their labels and what each
    /// has received and not spent (as of the last sync).
    Addresses,
    /// Forget what the wallet learned from the chain (outputs, history,
    /// held contracts, pending transactions) and scan it again from the
    /// genesis; addresses, labels and settings are kept.
    Rescan,
    /// Catch up with the node, then print the balance of every asset.
    Balance,
    /// Catch up with the node, then print what happened, oldest first.
    History,
    /// Catch up with the node, then list the wallet's unspent outputs.
    Utxos,
    /// Issue a new asset named `name` (its metadata); the flavor depends on
    /// the wallet's issuance key and the name.
    Issue {
        /// Quantity to issue.
        #[arg(long)]
        qty: u64,
        /// The asset's name (issuance metadata).
        #[arg(long)]
        name: String,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Pay `qty` of an asset to an address, confidentially.
    Send {
        /// The recipient's address (`zkvm1…`).
        #[arg(long)]
        to: String,
        /// Quantity to pay.
        #[arg(long)]
        qty: u64,
        /// The asset: `native`, the name of an asset this wallet issued, or
        /// a flavor as 64 hex digits.
        #[arg(long, default_value = "native")]
        asset: String,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Lock value into a contract whose terms (parties, key path, Taproot
    /// branches in assembly) are in a predicate file; every party's wallet
    /// finds it (docs/contracts.md).
    Lock(Box<crate::contract_cmd::LockArgs>),
    /// Print a link to the explorer's page of transaction `txid` whose URL
    /// fragment carries the openings of this wallet's outputs in it: the
    /// page checks them in the browser and shows those amounts
    /// (docs/explorer.md §Reveal). Anyone with the link sees them.
    Reveal {
        /// The transaction ID.
        txid: String,
    },
    /// Retire (destroy) `qty` of an asset.
    Retire {
        /// Quantity to retire.
        #[arg(long)]
        qty: u64,
        /// The asset, as for `send`.
        #[arg(long)]
        asset: String,
        #[command(flatten)]
        tx: TxArgs,
    },
}

/// Options of the commands that make a transaction.
#[derive(Debug, Args)]
pub struct TxArgs {
    /// Fee, in native units. Default: the least fee that meets the node's
    /// minimum relay fee rate for the transaction's size
    /// (docs/spec/wallet.md §Fees).
    #[arg(long)]
    pub fee: Option<u64>,
    /// Wait until a block includes the transaction.
    #[arg(long)]
    pub wait: bool,
}

/// The passphrase file given with `--passphrase-file` (or
/// `ZKVM_PASSPHRASE_FILE`), set once by `main`.
static PASSPHRASE_FILE: OnceLock<Option<PathBuf>> = OnceLock::new();

/// Records `--passphrase-file` for every command that opens a wallet.
pub fn set_passphrase_file(path: Option<PathBuf>) {
    let _ = PASSPHRASE_FILE.set(path);
}

/// The passphrase: from the `--passphrase-file` (its content less one
/// final line break), else typed on the terminal (twice with `confirm`);
/// `None` with neither.
fn read_passphrase(prompt: &str, confirm: bool) -> Result<Option<Zeroizing<String>>, Error> {
    if let Some(file) = PASSPHRASE_FILE.get().and_then(Option::as_ref) {
        let mut text = Zeroizing::new(
            std::fs::read_to_string(file)
                .map_err(|e| Error::Usage(format!("cannot read {}: {e}", file.display())))?,
        );
        let len = text
            .strip_suffix('\n')
            .map_or(text.len(), |t| t.strip_suffix('\r').unwrap_or(t).len());
        text.truncate(len);
        if text.is_empty() {
            return Err(Error::Usage(format!("{} is empty", file.display())));
        }
        return Ok(Some(text));
    }
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Ok(None);
    }
    let typed = Zeroizing::new(
        rpassword::prompt_password(prompt)
            .map_err(|e| Error::Usage(format!("cannot read the passphrase: {e}")))?,
    );
    if typed.is_empty() {
        return Err(Error::Usage("the passphrase is empty".into()));
    }
    if confirm {
        let again = Zeroizing::new(
            rpassword::prompt_password("the same passphrase again: ")
                .map_err(|e| Error::Usage(format!("cannot read the passphrase: {e}")))?,
        );
        if again != typed {
            return Err(Error::Usage("the two passphrases differ".into()));
        }
    }
    Ok(Some(typed))
}

/// Opens the wallet at `path` for changes, holding its lock (a second
/// writer waits a few seconds, then is told which process holds it); the
/// passphrase is asked for if its seed is sealed.
pub(crate) fn open_at(path: &Path) -> Result<Wallet, Error> {
    open_mode(path, false)
}

/// Opens the wallet at `path` for a command that only reads it: with its
/// lock if free (so what it syncs is kept), else read only beside the
/// writer that holds it (what it syncs is then not written).
pub(crate) fn open_reader(path: &Path) -> Result<Wallet, Error> {
    open_mode(path, true)
}

fn open_mode(path: &Path, reader: bool) -> Result<Wallet, Error> {
    if !path.exists() {
        return Err(Error::NotFound(format!(
            "no wallet at {} (zkvm wallet new makes one)",
            path.display()
        )));
    }
    let passphrase = if Wallet::is_encrypted(path)? {
        let prompt = format!("passphrase of {}: ", path.display());
        Some(read_passphrase(&prompt, false)?.ok_or_else(|| {
            Error::Usage(format!(
                "the wallet {} is encrypted: give --passphrase-file FILE \
                 (or ZKVM_PASSPHRASE_FILE), or run on a terminal to type the passphrase",
                path.display()
            ))
        })?)
    } else {
        None
    };
    let mut access = Access {
        passphrase: passphrase.as_ref().map(|p| p.as_bytes()),
        ..Access::default()
    };
    if !reader {
        return Ok(Wallet::open_with(path, &access)?);
    }
    access.lock_wait = Duration::ZERO;
    match Wallet::open_with(path, &access) {
        Err(wallet::WalletError::Busy { .. }) => {
            access.read_only = true;
            Ok(Wallet::open_with(path, &access)?)
        }
        other => Ok(other?),
    }
}

/// Runs a `wallet` subcommand with the wallet at `args.wallet` and the node
/// at `node`.
pub fn run(command: WalletCommand, args: &WalletArgs, node: &str) -> Result<Output, Error> {
    let path = &args.wallet;
    let open = || open_at(path);
    let json = match command {
        WalletCommand::New {
            mnemonic,
            mnemonic_file,
            no_passphrase,
        } => {
            let phrase = match mnemonic_file {
                Some(file) => Some(Zeroizing::new(std::fs::read_to_string(&file).map_err(
                    |e| Error::Usage(format!("cannot read {}: {e}", file.display())),
                )?)),
                None => {
                    if mnemonic.is_some() {
                        eprintln!(
                            "warning: a recovery phrase on the command line is visible to \
                             other users of this machine and stays in the shell's history; \
                             use --mnemonic-file FILE"
                        );
                    }
                    mnemonic.map(Zeroizing::new)
                }
            };
            return create(path, phrase.as_deref().map(String::as_str), no_passphrase);
        }
        WalletCommand::Reveal { txid } => {
            let txid = parse_txid(&txid)?;
            return crate::reveal_cmd::reveal(&open_reader(path)?, node, &txid);
        }
        WalletCommand::ExportPhrase => {
            let w = open_reader(path)?;
            let phrase = w.recovery_phrase()?;
            json!({"mnemonic": phrase.as_str()})
        }
        WalletCommand::Abandon { txid } => {
            let txid = parse_txid(&txid)?;
            let mut w = open()?;
            // Catch up first if the node answers, so a transaction a block
            // included is known to be confirmed; without a node, abandon
            // all the same (the node may be the one that is down).
            let synced = Client::new(node)
                .and_then(|c| sync(&mut w, &c).map_err(|e| NodeError::Api(e.to_string())));
            let p = w.abandon(&txid)?;
            json!({
                "txid": p.txid.to_string(),
                "status": "abandoned",
                "freed_inputs": p.inputs.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
                "synced": synced.is_ok(),
            })
        }
        WalletCommand::Rebroadcast { txid } => {
            let only = txid.as_deref().map(parse_txid).transpose()?;
            let (w, client) = synced(open()?, node)?;
            return rebroadcast(&w, &client, only);
        }
        WalletCommand::Address { label } => {
            let mut w = open()?;
            let a = match &label {
                Some(l) => w.new_labelled_address(l)?,
                None => w.new_address()?,
            };
            let mut out = json!({"address": a.to_string()});
            if let Some(l) = label {
                out["label"] = json!(l);
            }
            out
        }
        WalletCommand::Addresses => {
            let w = open_reader(path)?;
            let list: Vec<Json> = (0..w.addresses_issued())
                .map(|i| {
                    let mut unspent: Vec<Amount> = Vec::new();
                    for u in w.utxos().filter(|u| u.key_index == i) {
                        match unspent.iter_mut().find(|a| a.flavor == u.flavor()) {
                            Some(a) => a.qty = a.qty.saturating_add(u.qty()),
                            None => unspent.push(Amount {
                                flavor: u.flavor(),
                                qty: u.qty(),
                            }),
                        }
                    }
                    json!({
                        "index": i,
                        "address": w.address(i).to_string(),
                        "label": w.label(i),
                        "unspent": amounts(&unspent),
                    })
                })
                .collect();
            json!({"height": w.height(), "addresses": list})
        }
        WalletCommand::Rescan => {
            let mut w = open()?;
            let before = w.height();
            w.reset_chain()?;
            let client = Client::new(node)?;
            sync(&mut w, &client)?;
            let mut out = balances(&w);
            out["rescanned_from"] = json!(1);
            out["previous_height"] = json!(before);
            out
        }
        WalletCommand::Balance => {
            let (w, _) = synced(open_reader(path)?, node)?;
            balances(&w)
        }
        WalletCommand::History => {
            let (w, _) = synced(open_reader(path)?, node)?;
            history(&w)
        }
        WalletCommand::Utxos => {
            let (w, _) = synced(open_reader(path)?, node)?;
            let utxos: Vec<Json> = w
                .utxos()
                .map(|u| {
                    json!({
                        "contract_id": u.id().to_string(),
                        "asset": asset_name(&u.flavor()),
                        "qty": u.qty(),
                        "height": u.height,
                    })
                })
                .collect();
            json!({"height": w.height(), "utxos": utxos})
        }
        WalletCommand::Issue { qty, name, tx } => {
            let (mut w, client) = synced(open()?, node)?;
            let fee = fee(&client, &tx)?;
            let built = w.issue_with_fee(qty, name.as_bytes(), fee, &mut rand::thread_rng())?;
            let mut out = submit(&mut w, &client, &built, tx.wait)?;
            out["asset"] = json!(name);
            out["flavor"] = json!(built.issued_flavor.map(|f| hex::encode(f.as_bytes())));
            out
        }
        WalletCommand::Send { to, qty, asset, tx } => {
            let to: Address = to
                .trim()
                .parse()
                .map_err(|e| Error::Usage(format!("bad address: {e}")))?;
            let (mut w, client) = synced(open()?, node)?;
            let flavor = parse_asset(&w, &asset)?;
            let fee = fee(&client, &tx)?;
            let built = w.send_with_fee(&to, qty, flavor, fee, &mut rand::thread_rng())?;
            submit(&mut w, &client, &built, tx.wait)?
        }
        WalletCommand::Lock(lock) => return crate::contract_cmd::lock(*lock, args, node),
        WalletCommand::Retire { qty, asset, tx } => {
            let (mut w, client) = synced(open()?, node)?;
            let flavor = parse_asset(&w, &asset)?;
            let fee = fee(&client, &tx)?;
            let built = w.retire_with_fee(qty, flavor, fee, &mut rand::thread_rng())?;
            submit(&mut w, &client, &built, tx.wait)?
        }
    };
    Ok(Output::Json(json))
}

/// The fee to pay: `--fee` as given; without it, the least fee that meets
/// the node's fee estimate (`GET /v1/fee-estimate`, docs/api.md: the
/// minimum relay fee rate while the pool holds less than a block, above
/// the pool's last transaction to fit otherwise), for the size of the
/// transaction the wallet builds (docs/spec/wallet.md §Fees). A node that
/// gives no usable rate gets the default minimum (docs/spec/blockchain.md
/// §Mempool, Relay fees).
pub(crate) fn fee(client: &Client, args: &TxArgs) -> Result<Fee, Error> {
    if let Some(fee) = args.fee {
        return Ok(Fee::Fixed(fee));
    }
    let rate = client.fee_estimate(None)?.fee_rate;
    let bytes = usize::try_from(rate.bytes).ok().filter(|b| *b > 0);
    let rate = match bytes {
        Some(bytes) => FeeRate::new(rate.fee, bytes),
        None => {
            let (fee, bytes) = blockchain::DEFAULT_MIN_RELAY_FEE_RATE;
            FeeRate::new(fee, bytes)
        }
    };
    Ok(Fee::AtRate(rate))
}

/// The wallet caught up with the node at `node`, and the node's client.
pub(crate) fn synced(mut w: Wallet, node: &str) -> Result<(Wallet, Client), Error> {
    let client = Client::new(node)?;
    sync(&mut w, &client)?;
    Ok((w, client))
}

/// A transaction ID: 64 hex digits.
fn parse_txid(text: &str) -> Result<TxID, Error> {
    text.trim()
        .parse()
        .map_err(|_| Error::Usage(format!("{text} is not a transaction ID (64 hex digits)")))
}

/// Creates the wallet file (and its directory, mode 0700, if missing):
/// sealed under a passphrase unless `clear`.
fn create(path: &Path, mnemonic: Option<&str>, clear: bool) -> Result<Output, Error> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                builder.mode(0o700);
            }
            builder
                .create(dir)
                .map_err(|e| Error::Usage(format!("cannot create {}: {e}", dir.display())))?;
        }
    }
    if path.exists() {
        return Err(wallet::WalletError::WalletExists(path.to_path_buf()).into());
    }
    // A passphrase file given wins over `ZKVM_NO_PASSPHRASE`: sealing is
    // the safe reading of contradictory options.
    let given = PASSPHRASE_FILE.get().is_some_and(Option::is_some);
    let clear = clear && !given;
    let passphrase = if clear {
        None
    } else {
        let prompt = format!("passphrase for the new wallet {}: ", path.display());
        Some(read_passphrase(&prompt, true)?.ok_or_else(|| {
            Error::Usage(
                "a new wallet's seed is sealed under a passphrase: give --passphrase-file FILE \
                 (or ZKVM_PASSPHRASE_FILE), run on a terminal to type one, or choose \
                 --no-passphrase for a wallet in the clear"
                    .into(),
            )
        })?)
    };
    let (mut w, phrase) =
        Wallet::create_with_passphrase(path, mnemonic, passphrase.as_ref().map(|p| p.as_bytes()))?;
    let address = w.new_address()?;
    Ok(Output::Json(json!({
        "wallet": path.display().to_string(),
        "address": address.to_string(),
        "mnemonic": phrase.as_str(),
        "encrypted": !clear,
        "note": "write the mnemonic down: it restores the wallet (zkvm wallet new --mnemonic-file FILE)",
    })))
}

/// Submits every pending transaction (or only `only`) again; the answer
/// per transaction, and an error if any was refused or not answered.
fn rebroadcast(w: &Wallet, client: &Client, only: Option<TxID>) -> Result<Output, Error> {
    let list: Vec<&wallet::PendingTx> = match only {
        Some(txid) => vec![w
            .pending_tx(&txid)
            .ok_or(wallet::WalletError::NotPending(txid))?],
        None => w.pending().collect(),
    };
    let mut failed = 0;
    let results: Vec<Json> = list
        .into_iter()
        .map(|p| {
            let (status, detail) = match broadcast(client.base(), &p.tx.to_bytes()) {
                Broadcast::Accepted(_) => ("accepted", None),
                Broadcast::AlreadyKnown => ("already known", None),
                Broadcast::AlreadyConfirmed(reason) => ("already confirmed", Some(reason)),
                Broadcast::Refused { status, reason } => {
                    failed += 1;
                    ("refused", Some(format!("{status}: {reason}")))
                }
                Broadcast::NotSent(reason) | Broadcast::Unknown(reason) => {
                    failed += 1;
                    ("no answer", Some(reason))
                }
            };
            json!({"txid": p.txid.to_string(), "status": status, "detail": detail})
        })
        .collect();
    let output = Output::Json(json!({"height": w.height(), "rebroadcast": results}));
    if failed == 0 {
        return Ok(output);
    }
    Ok(Output::Failed {
        output: Box::new(output),
        error: Error::Usage(format!(
            "{failed} transaction(s) not taken by the node: \
             `zkvm wallet abandon TXID` drops one and frees its inputs"
        )),
    })
}

/// `native`, a 64-hex-digit flavor, or the name of an asset this wallet
/// issues.
pub(crate) fn parse_asset(w: &Wallet, asset: &str) -> Result<Scalar, Error> {
    if asset == "native" {
        return Ok(Scalar::ZERO);
    }
    if asset.len() == 64 {
        if let Ok(bytes) = <[u8; 32]>::try_from(hex::decode(asset).unwrap_or_default()) {
            return Option::<Scalar>::from(Scalar::from_canonical_bytes(bytes))
                .ok_or_else(|| Error::Usage(format!("{asset} is not a canonical flavor")));
        }
    }
    Ok(w.issuance_flavor(asset.as_bytes()))
}

/// `native` for the zero flavor, else the flavor in hex.
pub(crate) fn asset_name(flavor: &Scalar) -> String {
    if *flavor == Scalar::ZERO {
        "native".into()
    } else {
        hex::encode(flavor.as_bytes())
    }
}

fn amounts(list: &[Amount]) -> Json {
    list.iter()
        .map(|a| json!({"asset": asset_name(&a.flavor), "qty": a.qty}))
        .collect()
}

fn balances(w: &Wallet) -> Json {
    let list: Vec<Json> = w
        .balances()
        .iter()
        .map(|b| {
            json!({
                "asset": asset_name(&b.flavor),
                "spendable": b.spendable.to_string(),
                "locked": b.locked.to_string(),
                "pending": b.pending.to_string(),
                "offered": b.offered.to_string(),
            })
        })
        .collect();
    // Pending transactions, so that one whose submission went unanswered
    // is in sight (`rebroadcast`, `abandon`).
    let pending: Vec<String> = w.pending().map(|p| p.txid.to_string()).collect();
    json!({"height": w.height(), "balances": list, "pending_txs": pending})
}

fn history(w: &Wallet) -> Json {
    let list: Vec<Json> = w
        .history()
        .iter()
        .map(|h| {
            let kind = match h.kind {
                HistoryKind::Received => "received",
                HistoryKind::Sent => "sent",
                HistoryKind::Issued => "issued",
                HistoryKind::Retired => "retired",
                HistoryKind::Locked => "locked",
                HistoryKind::Unlocked => "unlocked",
                HistoryKind::OfferMade => "offer made",
                HistoryKind::OfferTaken => "offer taken",
                HistoryKind::OfferCancelled => "offer cancelled",
                HistoryKind::Bought => "bought",
            };
            let mut entry = json!({
                "kind": kind,
                "txid": h.txid.map(|t| t.to_string()),
                "height": h.height,
                "amounts": amounts(&h.amounts),
                "fee": h.fee,
                "description": describe(w, h),
            });
            if let Some(c) = h.txid.and_then(|t| contract_of(w, h.kind, &t)) {
                entry["contract_id"] = json!(c.id().to_string());
            }
            entry
        })
        .collect();
    let pending: Vec<Json> = w
        .pending()
        .map(|p| json!({"txid": p.txid.to_string(), "fee": p.fee, "amounts": amounts(&p.amounts)}))
        .collect();
    json!({"height": w.height(), "history": list, "pending": pending})
}

/// The held contract a history entry is about: the one its transaction
/// created (locked) or spent (unlocked).
fn contract_of<'a>(
    w: &'a Wallet,
    kind: HistoryKind,
    txid: &TxID,
) -> Option<&'a wallet::HeldContract> {
    w.contracts().into_iter().find(|c| match kind {
        HistoryKind::Locked => c.created_by == *txid,
        HistoryKind::Unlocked => c.spent.is_some_and(|(t, _)| t == *txid),
        _ => false,
    })
}

/// What a history entry means, in words: amounts, and for contracts the
/// wallet's role and what the contract allows.
fn describe(w: &Wallet, h: &wallet::HistoryEntry) -> String {
    let what = h
        .amounts
        .iter()
        .map(|a| format!("{} {}", a.qty, asset_name(&a.flavor)))
        .collect::<Vec<_>>()
        .join(" and ");
    let contract = h.txid.and_then(|t| contract_of(w, h.kind, &t));
    let about = contract.map(|c| {
        let roles: Vec<String> = w.roles(&c.terms).into_iter().map(|r| r.party).collect();
        let branches: Vec<&str> = c.terms.branches().iter().map(|b| b.name.as_str()).collect();
        let short = &c.id().to_string()[..12];
        format!(
            "contract {short}… (you: {}; {})",
            if roles.is_empty() {
                "no role".into()
            } else {
                roles.join(", ")
            },
            if branches.is_empty() {
                "key path only".to_string()
            } else {
                format!("branches {}", branches.join(", "))
            }
        )
    });
    let about = about.unwrap_or_else(|| "a contract".into());
    match h.kind {
        HistoryKind::Received => format!("received {what}"),
        HistoryKind::Sent => format!("paid {what}"),
        HistoryKind::Issued => format!("issued {what}"),
        HistoryKind::Retired => format!("retired {what}"),
        HistoryKind::Locked => format!("{what} locked in {about}"),
        HistoryKind::Unlocked => format!("{about} spent: {what}"),
        HistoryKind::OfferMade => format!("offered {what}"),
        HistoryKind::OfferTaken => format!("an offer was taken: received {what}"),
        HistoryKind::OfferCancelled => format!("cancelled an offer: {what} back"),
        HistoryKind::Bought => format!("bought {what} from an offer"),
    }
}

/// The node's API as the wallet's block source.
struct NodeSource<'a>(&'a Client);

impl BlockSource for NodeSource<'_> {
    type Error = NodeError;

    fn genesis(&self) -> Result<Genesis, NodeError> {
        self.0.genesis()
    }

    fn block(&self, height: u64) -> Result<Option<Block>, NodeError> {
        self.0.block(height)
    }
}

/// Brings the wallet up to the node's tip, block by block
/// ([`Wallet::sync_with_progress`]), with a progress bar when there are
/// many.
pub fn sync(w: &mut Wallet, client: &Client) -> Result<(), Error> {
    let source = NodeSource(client);
    let tip = client.status()?.height;
    let start = w.height();
    let bar = (tip.saturating_sub(start) > 20).then(|| {
        let bar = ProgressBar::new(tip.saturating_sub(start));
        bar.set_style(
            ProgressStyle::with_template("scanning blocks {bar:40} {pos}/{len} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    });
    w.sync_with_progress(&source, |height| {
        if let Some(bar) = &bar {
            bar.set_position(height.saturating_sub(start));
        }
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    w.release();
    // The node's tip is ahead but it had no next block: it lacks blocks
    // (a node bootstrapped from a snapshot keeps none before it). Never
    // report what was found so far as the balance.
    let height = w.height();
    if height < tip {
        let status = client.status()?;
        let to = if status.first_block > height + 1 {
            status.first_block - 1
        } else {
            status.height
        };
        return Err(Error::MissingBlocks {
            node: client.base().trim_start_matches("http://").to_string(),
            from: height + 1,
            to,
        });
    }
    Ok(())
}

/// Sends a built transaction to the node; with `wait`, polls until a
/// block includes it and catches up.
pub(crate) fn submit(
    w: &mut Wallet,
    client: &Client,
    built: &Built,
    wait: bool,
) -> Result<Json, Error> {
    let txid = built.txid.to_string();
    let fee_rate = match broadcast(client.base(), &built.tx.to_bytes()) {
        Broadcast::Accepted(answer) => json!(answer.fee_rate),
        Broadcast::AlreadyKnown | Broadcast::AlreadyConfirmed(_) => Json::Null,
        Broadcast::Refused { status, reason } => {
            w.abandon(&built.txid)?;
            return Err(Error::Refused {
                txid,
                status,
                reason,
            });
        }
        Broadcast::NotSent(reason) => {
            w.abandon(&built.txid)?;
            return Err(Error::NotSent { txid, reason });
        }
        Broadcast::Unknown(reason) => return Err(Error::OutcomeUnknown { txid, reason }),
    };
    w.release();
    let mut out = json!({
        "txid": txid,
        "fee": built.fee,
        "fee_rate": fee_rate,
        "status": "pending",
    });
    if wait {
        let height = wait_confirmed(client, &built.txid)?;
        sync(w, client)?;
        out["status"] = json!("confirmed");
        out["height"] = json!(height);
    }
    Ok(out)
}

/// Polls the node until the transaction is in a block; its height.
pub fn wait_confirmed(client: &Client, txid: &TxID) -> Result<u64, Error> {
    let spinner = ProgressBar::new_spinner();
    spinner.set_message(format!("waiting for {txid} to be included in a block"));
    spinner.enable_steady_tick(Duration::from_millis(120));
    let start = Instant::now();
    let result = loop {
        if let Some(tx) = client.tx(&txid.to_string())? {
            if tx.status == node::api_types::TxStatus::Confirmed {
                break Ok(tx.height.unwrap_or(0));
            }
        } else {
            break Err(Error::NotFound(format!(
                "the node dropped transaction {txid} before including it"
            )));
        }
        if start.elapsed() > Duration::from_secs(120) {
            break Err(Error::Usage(format!(
                "{txid} was not included within 2 minutes; is the node producing blocks?"
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    spinner.finish_and_clear();
    result
}
