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
use node::{Client, NodeError, PastChainState};
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
        /// The wallet's birthday: start scanning at block HEIGHT, from the
        /// chain state the node serves for the height below it (checked as
        /// a snapshot is), instead of from the genesis. Payments to the
        /// phrase received in blocks below HEIGHT are NOT found; a restored
        /// wallet gives the height of its first payment or lower.
        #[arg(long, value_name = "HEIGHT")]
        from: Option<u64>,
    },
    /// Print the recovery phrase of a wallet made with a passphrase (which
    /// is asked for).
    ExportPhrase,
    /// Seal the seed under a new passphrase (the current one is asked
    /// for, or read from `--passphrase-file`), or keep it in the clear
    /// with `--remove`.
    Passphrase {
        /// A file holding the new passphrase (its first line); without it
        /// the new passphrase is typed twice on the terminal.
        #[arg(long, conflicts_with = "remove")]
        new_passphrase_file: Option<PathBuf>,
        /// Keep the seed in the clear, protected by the file's permissions
        /// only (the recovery phrase is then no longer kept in the file).
        #[arg(long)]
        remove: bool,
    },
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
    /// genesis, or from block HEIGHT with `--from`; addresses, labels and
    /// settings are kept.
    Rescan {
        /// Read only the blocks from HEIGHT on (at most one above the
        /// wallet's height and the node's tip), starting from the chain
        /// state the node serves for the height below, checked as a
        /// snapshot is. Outputs received in blocks below HEIGHT are NOT
        /// found, nor their history.
        #[arg(long, value_name = "HEIGHT")]
        from: Option<u64>,
    },
    /// Catch up with the node, then print the balance of every asset.
    Balance,
    /// Catch up with the node, then print what happened, oldest first.
    History,
    /// Catch up with the node, then list the wallet's unspent outputs.
    Utxos,
    /// Catch up with the node, then list the assets whose issuance
    /// metadata (name, decimals, description) the wallet has seen.
    Assets,
    /// Issue a new asset named `name` (its metadata); the flavor depends on
    /// the wallet's issuance key and the name.
    Issue {
        /// Quantity to issue: base units (`1250`), or units with a decimal
        /// point when `--decimals` are declared (`12.50`).
        #[arg(long)]
        qty: String,
        /// The asset's name (issuance metadata, logged for every wallet and
        /// node to read): letters, digits, `-`, `_`, `.`; up to 32 bytes.
        #[arg(long)]
        name: String,
        /// Digits after the decimal point when amounts are shown (0 to 19):
        /// with 2, a quantity of 1250 shows as 12.50.
        #[arg(long, default_value_t = 0)]
        decimals: u8,
        /// A description (up to 256 bytes), logged with the name.
        #[arg(long, default_value = "")]
        description: String,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Pay one or several recipients in one transaction, confidentially:
    /// `--to ADDR --qty N [--asset A]`, or `--to ADDR:QTY[:ASSET]` as many
    /// times as there are payments.
    Send {
        /// A recipient: its address (`zkvm1…`) with `--qty`, or
        /// `ADDRESS:QTY[:ASSET]` (repeat for several recipients).
        #[arg(long, required = true)]
        to: Vec<String>,
        /// Quantity to pay, with a single `--to ADDRESS`: base units
        /// (`1250`), or units with a decimal point for an asset that
        /// declares decimals (`12.50`).
        #[arg(long)]
        qty: Option<String>,
        /// The asset of payments that name none: `native`, the name of an
        /// asset this wallet issued, or a flavor as 64 hex digits.
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
        /// Quantity to retire, as for `send`.
        #[arg(long)]
        qty: String,
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
    read_passphrase_from(
        PASSPHRASE_FILE.get().and_then(Option::as_ref),
        prompt,
        confirm,
    )
}

/// [`read_passphrase`] with the file `file`.
fn read_passphrase_from(
    file: Option<&PathBuf>,
    prompt: &str,
    confirm: bool,
) -> Result<Option<Zeroizing<String>>, Error> {
    if let Some(file) = file {
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
            from,
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
            // The state to start from is fetched before any file exists:
            // a refused height leaves nothing behind.
            let start = match from.map(|h| start_height(h, None)).transpose()? {
                Some(h) if h >= 2 => Some(past_state(&Client::new(node)?, h)?),
                _ => None,
            };
            return create(
                path,
                phrase.as_deref().map(String::as_str),
                no_passphrase,
                start,
            );
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
        WalletCommand::Passphrase {
            new_passphrase_file,
            remove,
        } => {
            let mut w = open()?;
            let new = if remove {
                None
            } else {
                let prompt = format!("new passphrase of {}: ", path.display());
                Some(
                    read_passphrase_from(new_passphrase_file.as_ref(), &prompt, true)?.ok_or_else(
                        || {
                            Error::Usage(
                                "give --new-passphrase-file FILE, run on a terminal to type the \
                                 new passphrase, or --remove to keep the seed in the clear"
                                    .into(),
                            )
                        },
                    )?,
                )
            };
            w.set_passphrase(new.as_ref().map(|p| p.as_bytes()))?;
            json!({"wallet": path.display().to_string(), "encrypted": !remove})
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
                        "unspent": amounts(&w, &unspent),
                    })
                })
                .collect();
            json!({"height": w.height(), "addresses": list})
        }
        WalletCommand::Rescan { from } => {
            let mut w = open()?;
            let before = w.height();
            let client = Client::new(node)?;
            let from = match from {
                None => 1,
                Some(h) => start_height(h, Some(before))?,
            };
            if from >= 2 {
                let (genesis, past) = past_state(&client, from)?;
                w.reset_chain_at(
                    &genesis,
                    &past.snapshot,
                    past.signature.as_ref(),
                    past.certificate.as_deref(),
                    &past.set_changes,
                )?;
            } else {
                w.reset_chain()?;
            }
            let blocks = sync(&mut w, &client)?;
            let mut out = balances(&w);
            out["rescanned_from"] = json!(from);
            out["previous_height"] = json!(before);
            out["blocks_scanned"] = json!(blocks);
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
                    let mut row = asset_fields(&w, &u.flavor());
                    row.insert("qty".into(), json!(u.qty()));
                    row.insert("height".into(), json!(u.height));
                    row.insert("contract_id".into(), json!(u.id().to_string()));
                    Json::Object(row)
                })
                .collect();
            json!({"height": w.height(), "utxos": utxos})
        }
        WalletCommand::Issue {
            qty,
            name,
            decimals,
            description,
            tx,
        } => {
            let metadata = wallet::AssetMetadata::new(&name, decimals, &description)
                .map_err(|e| Error::Usage(e.to_string()))?;
            let qty = wallet::parse_units(qty.trim(), decimals)
                .map_err(|e| Error::Usage(format!("--qty: {e}")))?;
            let (mut w, client) = synced(open()?, node)?;
            let fee = fee(&client, &tx)?;
            let built = w.issue_asset_with_fee(qty, &metadata, fee, &mut rand::thread_rng())?;
            let mut out = submit(&mut w, &client, &built, tx.wait)?;
            out["asset"] = json!(name);
            out["flavor"] = json!(built.issued_flavor.map(|f| hex::encode(f.as_bytes())));
            out["decimals"] = json!(decimals);
            out
        }
        WalletCommand::Assets => {
            let (w, _) = synced(open_reader(path)?, node)?;
            assets(&w)
        }
        WalletCommand::Send { to, qty, asset, tx } => {
            let (mut w, client) = synced(open()?, node)?;
            let payments = payments(&w, &to, qty, &asset)?;
            let fee = fee(&client, &tx)?;
            let built = w.send_many_with_fee(&payments, fee, &mut rand::thread_rng())?;
            let mut out = submit(&mut w, &client, &built, tx.wait)?;
            out["payments"] = payments
                .iter()
                .map(|(a, amount)| {
                    let mut row = json!({"to": a.to_string()});
                    if let (Json::Object(row), Json::Object(fields)) = (
                        &mut row,
                        amount_json(&w, &amount.flavor, u128::from(amount.qty)),
                    ) {
                        row.extend(fields);
                    }
                    row
                })
                .collect();
            out
        }
        WalletCommand::Lock(lock) => return crate::contract_cmd::lock(*lock, args, node),
        WalletCommand::Retire { qty, asset, tx } => {
            let (mut w, client) = synced(open()?, node)?;
            let flavor = parse_asset(&w, &asset)?;
            let qty = parse_qty(&w, &flavor, &qty)?;
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

/// The first block a rescan or a restore reads (`--from HEIGHT`,
/// docs/spec/wallet.md §Rescan): from 1 (the genesis, whose outputs are
/// then found) up to one above the height the wallet has scanned, if it is
/// given.
fn start_height(from: u64, scanned: Option<u64>) -> Result<u64, Error> {
    if from == 0 {
        return Err(Error::Usage(
            "--from is a block height: blocks are numbered from 1 (the genesis)".into(),
        ));
    }
    if let Some(scanned) = scanned.filter(|s| from > s.saturating_add(1)) {
        return Err(wallet::WalletError::RescanAboveScanned { from, scanned }.into());
    }
    Ok(from)
}

/// The genesis and the chain state below block `from` (2 or more) that a
/// rescan from `from` starts with, as the node serves them with what seals
/// its block (the wallet checks them, [`Wallet::reset_chain_at`]). A height
/// beyond the node's tip is refused here, naming the tip.
fn past_state(client: &Client, from: u64) -> Result<(Genesis, PastChainState), Error> {
    let tip = client.status()?.height;
    if from > tip {
        return Err(Error::Usage(format!(
            "--from {from} is beyond the node's tip (height {tip}): there is nothing to scan there"
        )));
    }
    let genesis = client.genesis()?;
    let past = client.past_state(from - 1)?;
    Ok((genesis, past))
}

/// Creates the wallet file (and its directory, mode 0700, if missing):
/// sealed under a passphrase unless `clear`, following the chain from
/// `start` (a genesis and the past state from [`past_state`]) if
/// given: the file is removed again if that state is refused.
fn create(
    path: &Path,
    mnemonic: Option<&str>,
    clear: bool,
    start: Option<(Genesis, PastChainState)>,
) -> Result<Output, Error> {
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
    let mut out = json!({
        "wallet": path.display().to_string(),
        "address": address.to_string(),
        "mnemonic": phrase.as_str(),
        "encrypted": !clear,
        "note": "write the mnemonic down: it restores the wallet (zkvm wallet new --mnemonic-file FILE)",
    });
    if let Some((genesis, past)) = start {
        match w.reset_chain_at(
            &genesis,
            &past.snapshot,
            past.signature.as_ref(),
            past.certificate.as_deref(),
            &past.set_changes,
        ) {
            Ok(height) => {
                out["scans_from"] = json!(height + 1);
                out["warning"] = json!(format!(
                    "payments received before block {} are not found",
                    height + 1
                ));
            }
            Err(e) => {
                drop(w);
                // Nothing of a refused restore stays behind.
                let _ = std::fs::remove_file(path);
                let mut lock = path.as_os_str().to_owned();
                lock.push(".lock");
                let _ = std::fs::remove_file(lock);
                return Err(e.into());
            }
        }
    }
    Ok(Output::Json(out))
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

/// The payments of `send`: each `--to` is `ADDRESS:QTY[:ASSET]`, or a
/// lone `ADDRESS` paid `--qty` (then the only one); a payment that names
/// no asset pays `default_asset`.
fn payments(
    w: &Wallet,
    to: &[String],
    qty: Option<String>,
    default_asset: &str,
) -> Result<Vec<(Address, Amount)>, Error> {
    let address = |text: &str| -> Result<Address, Error> {
        text.trim()
            .parse()
            .map_err(|e| Error::Usage(format!("bad address {text:?}: {e}")))
    };
    if let Some(qty) = qty {
        return match to {
            [one] if !one.contains(':') => {
                let flavor = parse_asset(w, default_asset)?;
                let qty = parse_qty(w, &flavor, &qty)?;
                Ok(vec![(address(one)?, Amount { flavor, qty })])
            }
            _ => Err(Error::Usage(
                "--qty goes with a single --to ADDRESS; for several payments give \
                 --to ADDRESS:QTY[:ASSET] each"
                    .into(),
            )),
        };
    }
    to.iter()
        .map(|item| {
            let mut parts = item.splitn(3, ':');
            let (Some(a), Some(q)) = (parts.next(), parts.next()) else {
                return Err(Error::Usage(format!(
                    "--to {item}: give ADDRESS:QTY[:ASSET], or one ADDRESS with --qty"
                )));
            };
            let flavor = parse_asset(w, parts.next().unwrap_or(default_asset))?;
            let qty = wallet::parse_units(q.trim(), decimals(w, &flavor))
                .map_err(|e| Error::Usage(format!("--to {item}: {e}")))?;
            Ok((address(a)?, Amount { flavor, qty }))
        })
        .collect()
}

/// The decimals `flavor`'s issuer declared, as far as the wallet knows (0
/// for `native` and for assets without metadata).
pub(crate) fn decimals(w: &Wallet, flavor: &Scalar) -> u8 {
    w.asset(flavor).map_or(0, |a| a.metadata.decimals)
}

/// A quantity of `flavor` as typed after `--qty` (docs/spec/wallet.md
/// §Asset metadata): base units as a whole number (`1250`), or units with
/// a decimal point and at most the declared decimals (`12.50`).
pub(crate) fn parse_qty(w: &Wallet, flavor: &Scalar, text: &str) -> Result<u64, Error> {
    wallet::parse_units(text.trim(), decimals(w, flavor))
        .map_err(|e| Error::Usage(format!("--qty: {e}")))
}

/// An asset as the user names it (docs/spec/wallet.md §Asset metadata):
/// `native`; a flavor as 64 hex digits; a name from the chain's issuance
/// metadata (`GOLD`), with the first hex digits of its flavor after `#`
/// when issuers share the name (`GOLD#1a2b3c4d`); or the name of an asset
/// this wallet issued before issuances logged their metadata. Anything
/// else is an unknown asset.
pub(crate) fn parse_asset(w: &Wallet, asset: &str) -> Result<Scalar, Error> {
    let asset = asset.trim();
    if asset == "native" {
        return Ok(Scalar::ZERO);
    }
    if asset.len() == 64 {
        if let Ok(bytes) = <[u8; 32]>::try_from(hex::decode(asset).unwrap_or_default()) {
            return Option::<Scalar>::from(Scalar::from_canonical_bytes(bytes))
                .ok_or_else(|| Error::Usage(format!("{asset} is not a canonical flavor")));
        }
    }
    let (name, prefix) = match asset.split_once('#') {
        Some((name, prefix)) => (name, Some(prefix.to_ascii_lowercase())),
        None => (asset, None),
    };
    let named: Vec<&wallet::AssetInfo> = w
        .assets_named(name)
        .into_iter()
        .filter(|a| {
            prefix
                .as_deref()
                .is_none_or(|p| hex::encode(a.flavor.as_bytes()).starts_with(p))
        })
        .collect();
    match named.as_slice() {
        [one] => return Ok(one.flavor),
        [] => {}
        several => {
            let labels: Vec<String> = several
                .iter()
                .map(|a| format!("{name}#{}", short_flavor(&a.flavor)))
                .collect();
            return Err(Error::Usage(format!(
                "several issuers named an asset {name}: give one of {}",
                labels.join(", ")
            )));
        }
    }
    // An asset this wallet issued under that name before metadata was
    // logged: known by the flavor its own key gives the name.
    let own = w.issuance_flavor(name.as_bytes());
    let held = w.utxos().any(|u| u.flavor() == own)
        || w.history()
            .iter()
            .any(|h| h.amounts.iter().any(|a| a.flavor == own));
    if prefix.is_none() && held {
        return Ok(own);
    }
    Err(Error::NotFound(format!(
        "unknown asset {asset}: no issuance of that name seen by this wallet \
         (`zkvm wallet assets` lists those it knows; a flavor in hex works too)"
    )))
}

/// The first 8 hex digits of a flavor, which tell apart assets of one name.
fn short_flavor(flavor: &Scalar) -> String {
    hex::encode(&flavor.as_bytes()[..4])
}

/// `native` for the zero flavor, else the flavor in hex: the stable
/// identifier of an asset in `--json` output.
pub(crate) fn asset_name(flavor: &Scalar) -> String {
    if *flavor == Scalar::ZERO {
        "native".into()
    } else {
        hex::encode(flavor.as_bytes())
    }
}

/// How a person names `flavor`: `native`, the issuer's name (with the
/// flavor's first digits when issuers share it), or `None` when no
/// issuance metadata is known.
pub(crate) fn asset_label(w: &Wallet, flavor: &Scalar) -> Option<String> {
    if *flavor == Scalar::ZERO {
        return Some("native".into());
    }
    let info = w.asset(flavor)?;
    let name = &info.metadata.name;
    Some(if w.assets_named(name).len() > 1 {
        format!("{name}#{}", short_flavor(flavor))
    } else {
        name.clone()
    })
}

/// The fields that describe `flavor` in JSON: `asset` (the identifier),
/// and where the chain told them, `name` and `decimals`.
pub(crate) fn asset_fields(w: &Wallet, flavor: &Scalar) -> serde_json::Map<String, Json> {
    let mut out = serde_json::Map::new();
    out.insert("asset".into(), json!(asset_name(flavor)));
    if let Some(label) = asset_label(w, flavor).filter(|_| *flavor != Scalar::ZERO) {
        out.insert("name".into(), json!(label));
    }
    if let Some(info) = w.asset(flavor).filter(|i| i.metadata.decimals > 0) {
        out.insert("decimals".into(), json!(info.metadata.decimals));
    }
    out
}

/// An amount in JSON: its asset's fields and `qty`.
pub(crate) fn amount_json(w: &Wallet, flavor: &Scalar, qty: u128) -> Json {
    let mut out = asset_fields(w, flavor);
    out.insert("qty".into(), quantity(qty));
    Json::Object(out)
}

fn amounts(w: &Wallet, list: &[Amount]) -> Json {
    list.iter()
        .map(|a| amount_json(w, &a.flavor, u128::from(a.qty)))
        .collect()
}

/// The assets the wallet knows from issuance metadata on the chain.
fn assets(w: &Wallet) -> Json {
    let list: Vec<Json> = w
        .assets()
        .map(|a| {
            let mut row = asset_fields(w, &a.flavor);
            row.insert("decimals".into(), json!(a.metadata.decimals));
            row.insert("description".into(), json!(a.metadata.description));
            row.insert("issuer".into(), json!(hex::encode(a.issuer.as_bytes())));
            row.insert("height".into(), json!(a.height));
            Json::Object(row)
        })
        .collect();
    json!({"height": w.height(), "assets": list})
}

/// A total as a JSON number (docs/spec/wallet.md §Command output): a
/// total beyond 2^64 − 1, which only many issuances of one flavor reach,
/// as a decimal string, since JSON readers lose precision past 2^53 and
/// most fail past 2^64.
fn quantity(total: u128) -> Json {
    u64::try_from(total).map_or_else(|_| json!(total.to_string()), |n| json!(n))
}

/// A block timestamp (ms since 1970) as `YYYY-MM-DDTHH:MM:SSZ` (UTC); the
/// civil-from-days conversion of the proleptic Gregorian calendar.
pub(crate) fn utc(ms: u64) -> String {
    let secs = ms / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn balances(w: &Wallet) -> Json {
    let list: Vec<Json> = w
        .balances()
        .iter()
        .map(|b| {
            let mut row = asset_fields(w, &b.flavor);
            row.insert("spendable".into(), quantity(b.spendable));
            row.insert("locked".into(), quantity(b.locked));
            row.insert("pending".into(), quantity(b.pending));
            row.insert("offered".into(), quantity(b.offered));
            Json::Object(row)
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
                "time": (h.time_ms > 0).then(|| utc(h.time_ms)),
                "time_ms": h.time_ms,
                "counterparties": h.counterparties.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
                "amounts": amounts(w, &h.amounts),
                "fee": h.fee,
                "status": "confirmed",
                "confirmations": (w.height() + 1).saturating_sub(h.height),
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
        .map(|p| {
            json!({
                "txid": p.txid.to_string(),
                "counterparties": p.recipients.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
                "amounts": amounts(w, &p.amounts),
                "fee": p.fee,
                "status": "pending",
                "confirmations": 0,
            })
        })
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
        .map(|a| {
            let qty = match w.asset(&a.flavor) {
                Some(info) => info.metadata.format(u128::from(a.qty)),
                None => a.qty.to_string(),
            };
            let name = asset_label(w, &a.flavor).unwrap_or_else(|| asset_name(&a.flavor));
            format!("{qty} {name}")
        })
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
/// many; the number of blocks it read.
pub fn sync(w: &mut Wallet, client: &Client) -> Result<u64, Error> {
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
    let summary = w.sync_with_progress(&source, |height| {
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
    Ok(summary.blocks)
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

#[cfg(test)]
mod tests {
    use super::{quantity, utc};

    #[test]
    fn timestamps_print_as_utc_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_796_386_930_123), "2026-12-04T12:22:10Z");
    }

    #[test]
    fn totals_are_numbers_up_to_u64() {
        assert_eq!(quantity(7), serde_json::json!(7));
        assert_eq!(quantity(u128::from(u64::MAX)), serde_json::json!(u64::MAX));
        assert_eq!(
            quantity(u128::from(u64::MAX) + 1),
            serde_json::json!("18446744073709551616")
        );
    }
}
