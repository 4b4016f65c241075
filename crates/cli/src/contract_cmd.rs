//! `zkvm wallet lock` and `zkvm contract …`: locking value under terms
//! written in a predicate file, listing and showing the contracts the
//! wallet has a role in, spending them by key or branch, and co-signing
//! through files (docs/contracts.md, docs/spec/wallet.md §Contracts).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use musig::{
    NestedMultimessage, NonceCommitment, NoncePrecommitment, SecretKey, Signature, SignatureShare,
    SignerAwaitingPrecommitments, SigningContext,
};
use serde_json::{json, Value as Json};
use wallet::{
    signing_context, Address, Amount, Branch, Call, HeldContract, Lock, Party, SignerEntry,
    SpendPath, Terms, Wallet,
};
use zkvm::asm::{self, ParamValue, Params};
use zkvm::{ContractID, Program, Tx, TxEntry, Verifier};

use crate::asm_cmd::{read_text, ParamArgs};
use crate::wallet_cmd::{self, asset_name, parse_asset, submit, synced, TxArgs, WalletArgs};
use crate::{Error, Output};

/// `zkvm wallet lock`: what to lock and under which terms.
#[derive(Debug, Args)]
pub struct LockArgs {
    /// Quantity to lock: base units, or units with a decimal point for an
    /// asset that declares decimals (as `wallet send`).
    #[arg(long)]
    qty: String,
    /// The asset: `native`, the name of an asset this wallet issued, or a
    /// flavor as 64 hex digits.
    #[arg(long, default_value = "native")]
    asset: String,
    /// The predicate file: parties, key path and branches (TOML,
    /// docs/contracts.md §The predicate file).
    #[arg(long, value_name = "FILE")]
    predicate: PathBuf,
    #[command(flatten)]
    params: ParamArgs,
    /// A cleartext tag logged with the contract, so a node lists it under
    /// `GET /v1/contracts?tag=` (1 to 64 bytes; repeatable, at most 4).
    #[arg(long)]
    tag: Vec<String>,
    #[command(flatten)]
    tx: TxArgs,
}

/// The `contract` subcommands.
#[derive(Debug, Subcommand)]
pub enum ContractCommand {
    /// Catch up with the node, then list the contracts this wallet has a
    /// role in.
    List {
        /// Spent contracts too.
        #[arg(long)]
        all: bool,
    },
    /// Catch up, then show a contract: value, parties, key path, branches
    /// (as assembly), status.
    Show {
        /// The contract ID (or its first 8+ hex digits).
        id: String,
    },
    /// Spend a contract through its key path or one of its branches.
    Call(Box<CallArgs>),
    /// Finish a co-signing session whose caller stopped after every party
    /// sent its share: assemble the signature from the session's files,
    /// check the transaction and submit it.
    Finish {
        /// The session directory.
        #[arg(long, value_name = "DIR")]
        session: PathBuf,
    },
    /// Take part in another wallet's co-signing session (`contract call
    /// --session DIR`): sign with the keys this wallet holds.
    Cosign {
        /// The session directory the caller named.
        #[arg(long, value_name = "DIR")]
        session: PathBuf,
        /// Seconds to wait for the other parties at each round.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
}

/// `zkvm contract call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// The contract ID (or its first 8+ hex digits).
    id: String,
    /// Spend through the key path (a signature by the key; with several
    /// parties, a co-signing session).
    #[arg(long, conflicts_with = "branch")]
    key: bool,
    /// Spend through the branch of this name.
    #[arg(long, required_unless_present = "key")]
    branch: Option<String>,
    /// Assembly run before the contract is opened: arguments the branch
    /// finds below the contract's value (e.g. `--arg "push 42"`).
    /// Repeatable; `$name` parameters come from `--param`.
    #[arg(long = "arg", value_name = "ASSEMBLY")]
    args: Vec<String>,
    /// A secret quantity, pushed first as a commitment only this wallet
    /// can open, for a branch that proves constraints over it (`commit`,
    /// `range`...). Repeatable.
    #[arg(long = "secret", value_name = "QTY")]
    secrets: Vec<u64>,
    #[command(flatten)]
    params: ParamArgs,
    /// Pay the contract's value to this address instead of this wallet.
    #[arg(long)]
    to: Option<String>,
    /// The transaction's mintime (ms since the Unix epoch); default 0.
    #[arg(long)]
    mintime: Option<u64>,
    /// The transaction's maxtime (ms); default the tip's time plus the
    /// wallet's validity window.
    #[arg(long)]
    maxtime: Option<u64>,
    /// Co-sign with other wallets through this directory (shared with
    /// them): write the request, then exchange the signing messages.
    #[arg(long, value_name = "DIR")]
    session: Option<PathBuf>,
    /// Seconds to wait for the other parties at each round.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
    #[command(flatten)]
    tx: TxArgs,
}

/// `zkvm wallet lock`.
pub fn lock(args: LockArgs, wallet: &WalletArgs, node: &str) -> Result<Output, Error> {
    let params = args.params.load()?;
    let (terms, notify) = read_terms(&args.predicate, &params)?;
    let tags = args.tag.iter().map(|t| t.as_bytes().to_vec()).collect();
    lock_terms(
        wallet,
        node,
        terms,
        notify,
        &args.qty,
        &args.asset,
        tags,
        &args.tx,
    )
}

/// Locks `qty` of `asset` under `terms`, notifying `notify`: what every
/// command that creates a contract does.
#[allow(clippy::too_many_arguments)]
pub(crate) fn lock_terms(
    wallet: &WalletArgs,
    node: &str,
    terms: Terms,
    notify: Vec<Address>,
    qty: &str,
    asset: &str,
    tags: Vec<Vec<u8>>,
    tx: &TxArgs,
) -> Result<Output, Error> {
    let (mut w, client) = synced(wallet_cmd::open_at(&wallet.wallet)?, node)?;
    let flavor = parse_asset(&w, asset)?;
    let qty = wallet_cmd::parse_qty(&w, &flavor, qty)?;
    let lock = Lock {
        terms,
        amount: Amount { flavor, qty },
        notify,
        tags,
    };
    let predicate = lock.terms.predicate();
    let fee = wallet_cmd::fee(&client, tx)?;
    let built = w.lock(lock, fee, &mut rand::thread_rng())?;
    let contract_id = built.tx_outputs_with_predicate(predicate);
    let mut out = submit(&mut w, &client, &built, tx.wait)?;
    out["contract_id"] = json!(contract_id);
    out["predicate"] = json!(hex::encode(predicate.as_bytes()));
    Ok(Output::Json(out))
}

/// Finds the ID of the output locked by `predicate` in a built
/// transaction's log.
trait LockedOutput {
    fn tx_outputs_with_predicate(
        &self,
        predicate: curve25519_dalek::ristretto::CompressedRistretto,
    ) -> Option<String>;
}

impl LockedOutput for wallet::Built {
    fn tx_outputs_with_predicate(
        &self,
        predicate: curve25519_dalek::ristretto::CompressedRistretto,
    ) -> Option<String> {
        let tx = Verifier::verify_bytes(&self.tx.to_bytes()).ok()?;
        tx.log.0.iter().find_map(|e| match e {
            TxEntry::Output(c) if c.predicate.to_point() == predicate => Some(c.id().to_string()),
            _ => None,
        })
    }
}

/// Runs a `contract` subcommand.
pub fn run(command: ContractCommand, wallet: &WalletArgs, node: &str) -> Result<Output, Error> {
    let path = &wallet.wallet;
    match command {
        ContractCommand::List { all } => {
            let (w, _) = synced(wallet_cmd::open_reader(path)?, node)?;
            let list: Vec<Json> = w
                .contracts()
                .into_iter()
                .filter(|c| all || c.spent.is_none())
                .map(|c| summary(&w, c))
                .collect();
            Ok(Output::Json(
                json!({"height": w.height(), "contracts": list}),
            ))
        }
        ContractCommand::Show { id } => {
            let (w, _) = synced(wallet_cmd::open_reader(path)?, node)?;
            let c = w.contract_by_prefix(&id)?;
            Ok(Output::Json(show(&w, c)?))
        }
        ContractCommand::Call(args) => call(*args, path, node),
        ContractCommand::Cosign { session, timeout } => cosign_session(path, &session, timeout),
        ContractCommand::Finish { session } => finish_session(&session, node),
    }
}

fn call(args: CallArgs, path: &Path, node: &str) -> Result<Output, Error> {
    let params = args.params.load()?;
    let mut program = Program::new();
    for text in &args.args {
        let p = asm::assemble_program(text, &params).map_err(|source| Error::Asm {
            input: "--arg".into(),
            source,
        })?;
        for i in p.instructions() {
            program.push_instruction(i.clone());
        }
    }
    let spec = CallSpec {
        id: args.id,
        path: match args.branch {
            Some(name) => SpendPath::Branch(name),
            None => SpendPath::Key,
        },
        secrets: args.secrets,
        args: program,
        to: args.to,
        branch_program: None,
        owes: Vec::new(),
        mintime: args.mintime,
        maxtime: args.maxtime,
        session: args.session,
        timeout: args.timeout,
    };
    call_contract(spec, &args.tx, path, node)
}

/// A spend of a held contract, as the commands that spend contracts ask
/// for it.
pub(crate) struct CallSpec {
    /// The contract ID or a prefix of it.
    pub id: String,
    /// Key path or branch.
    pub path: SpendPath,
    /// Secret quantities pushed first.
    pub secrets: Vec<u64>,
    /// Instructions before the contract.
    pub args: Program,
    /// Where the value goes (default: this wallet).
    pub to: Option<String>,
    /// The branch's program with its secrets, if it needs them.
    pub branch_program: Option<Program>,
    /// Debts the branch leaves for the wallet to pay.
    pub owes: Vec<Amount>,
    /// Time bounds.
    pub mintime: Option<u64>,
    /// See `mintime`.
    pub maxtime: Option<u64>,
    /// A co-signing session directory.
    pub session: Option<PathBuf>,
    /// Seconds to wait for each round.
    pub timeout: u64,
}

/// Spends a held contract: alone, or co-signing through `spec.session`.
pub(crate) fn call_contract(
    spec: CallSpec,
    tx: &TxArgs,
    path: &Path,
    node: &str,
) -> Result<Output, Error> {
    let (mut w, client) = synced(wallet_cmd::open_at(path)?, node)?;
    let id = w.contract_by_prefix(&spec.id)?.id();
    let to = spec
        .to
        .as_deref()
        .map(|a| a.trim().parse::<Address>())
        .transpose()
        .map_err(|e| Error::Usage(format!("bad address: {e}")))?;
    let call = Call {
        contract: id,
        path: spec.path,
        secrets: spec.secrets,
        args: spec.args,
        to,
        branch_program: spec.branch_program,
        owes: spec.owes,
        mintime_ms: spec.mintime,
        maxtime_ms: spec.maxtime,
    };
    let fee = wallet_cmd::fee(&client, tx)?;
    let mut rng = rand::thread_rng();
    let built = match &spec.session {
        None => w.call(call, fee, &mut rng)?,
        Some(dir) => {
            let prepared = w.prepare_call(call, fee, &mut rng)?;
            let request = Request {
                tx: prepared
                    .unsigned
                    .clone()
                    .with_signature(placeholder_signature()?)
                    .to_bytes(),
                entries: prepared.signers.clone(),
            };
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::Usage(format!("cannot create {}: {e}", dir.display())))?;
            write_file(&dir.join(REQUEST), request.to_json().to_string().as_bytes())?;
            let context = signing_context(&prepared.signers)?;
            let held = w.cosigner_positions(&context)?;
            let transcript = prepared.signing_transcript()?;
            let signature = rounds(
                dir,
                &context,
                &transcript,
                &held,
                Duration::from_secs(spec.timeout),
            )?;
            w.finish(prepared, signature)?
        }
    };
    let mut out = submit(&mut w, &client, &built, tx.wait)?;
    out["contract_id"] = json!(id.to_string());
    Ok(Output::Json(out))
}

/// A contract in a list: ID, value, the wallet's roles, status.
fn summary(w: &Wallet, c: &HeldContract) -> Json {
    let roles: Vec<String> = w.roles(&c.terms).into_iter().map(|r| r.party).collect();
    json!({
        "contract_id": c.id().to_string(),
        "asset": asset_name(&c.opening.flavor),
        "qty": c.opening.qty,
        "roles": roles,
        "key_path": c.terms.key_path().map(|p| p.name.clone()).collect::<Vec<_>>(),
        "branches": c.terms.branches().iter().map(|b| b.name.clone()).collect::<Vec<_>>(),
        "height": c.height,
        "status": status(c),
    })
}

fn status(c: &HeldContract) -> Json {
    match c.spent {
        None => json!("unspent"),
        Some((txid, height)) => json!(format!("spent in {txid} at height {height}")),
    }
}

/// Everything about a contract: who can do what.
fn show(w: &Wallet, c: &HeldContract) -> Result<Json, Error> {
    let roles = w.roles(&c.terms);
    let parties: Vec<Json> = c
        .terms
        .parties()
        .iter()
        .map(|p| {
            let mine = roles.iter().find(|r| r.party == p.name);
            json!({
                "name": p.name,
                "key": hex::encode(p.key.as_bytes()),
                "this_wallet": mine.is_some(),
                "address_index": mine.map(|r| r.key_index),
            })
        })
        .collect();
    let key_path: Vec<String> = c.terms.key_path().map(|p| p.name.clone()).collect();
    let branches = c
        .terms
        .branches()
        .iter()
        .map(|b| {
            Ok(json!({
                "name": b.name,
                "program": asm::disassemble(&b.program).map_err(|source| Error::Asm {
                    input: format!("branch {}", b.name),
                    source,
                })?,
            }))
        })
        .collect::<Result<Vec<Json>, Error>>()?;
    let key_path_text = match key_path.len() {
        0 => "none: only the branches open it".to_string(),
        1 => format!("{} signs alone", key_path[0]),
        _ => format!("{} sign together (MuSig)", key_path.join(" and ")),
    };
    Ok(json!({
        "contract_id": c.id().to_string(),
        "asset": asset_name(&c.opening.flavor),
        "qty": c.opening.qty,
        "predicate": hex::encode(c.terms.predicate().as_bytes()),
        "parties": parties,
        "key_path": key_path_text,
        "branches": branches,
        "roles": roles.iter().map(|r| r.party.clone()).collect::<Vec<_>>(),
        "created_by": c.created_by.to_string(),
        "height": c.height,
        "status": status(c),
    }))
}

/// Reads a predicate file (docs/contracts.md §The predicate file):
///
/// ```toml
/// key = ["alice", "bob"]          # optional: the key path (MuSig if several)
/// [parties]
/// alice = "zkvm1…"                # an address, or "$name" for --param name=zkvm1…
/// bob = "$bob"
/// [[branch]]
/// name = "claim"
/// program = "…assembly…"          # $alice, $bob: the parties' keys; other $names: --param
/// ```
///
/// Returns the terms (with a fresh blinding key) and the parties'
/// addresses, which all get the contract's note.
fn read_terms(path: &Path, params: &Params) -> Result<(Terms, Vec<Address>), Error> {
    let shown = path.display().to_string();
    let bad = |what: String| Error::Usage(format!("{shown}: {what}"));
    let text = read_text(path)?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| bad(format!("not TOML: {}", e.message())))?;
    for key in table.keys() {
        if !["key", "parties", "branch"].contains(&key.as_str()) {
            return Err(bad(format!(
                "unknown entry `{key}` (expected key, [parties], [[branch]])"
            )));
        }
    }
    let Some(toml::Value::Table(party_table)) = table.get("parties") else {
        return Err(bad(
            "a [parties] table of names to addresses is required".into()
        ));
    };
    let mut parties = Vec::new();
    let mut addresses = Vec::new();
    let mut branch_params = params.clone();
    for (name, value) in party_table {
        let toml::Value::String(text) = value else {
            return Err(bad(format!("party `{name}` must be an address string")));
        };
        let text = match text.strip_prefix('$') {
            Some(param) => match params.get(param) {
                Some(ParamValue::Literal(s)) => s.clone(),
                _ => {
                    return Err(bad(format!(
                        "party `{name}`: give --param {param}=<address>"
                    )))
                }
            },
            None => text.clone(),
        };
        let address: Address = text
            .trim()
            .parse()
            .map_err(|e| bad(format!("party `{name}`: bad address: {e}")))?;
        branch_params.insert(
            name,
            format!("point:0x{}", hex::encode(address.predicate().as_bytes())),
        );
        parties.push(Party {
            name: name.clone(),
            key: address.predicate(),
        });
        addresses.push(address);
    }
    let index_of = |name: &str| {
        parties
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| bad(format!("key path names `{name}`, who is not in [parties]")))
    };
    let mut key: Vec<usize> = match table.get("key") {
        None => Vec::new(),
        Some(toml::Value::String(s)) => vec![index_of(s)?],
        Some(toml::Value::Array(list)) => list
            .iter()
            .map(|v| match v {
                toml::Value::String(s) => index_of(s),
                _ => Err(bad("`key` lists party names".into())),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad("`key` is a party name or a list of them".into())),
    };
    key.sort_unstable();
    key.dedup();
    let mut branches = Vec::new();
    if let Some(list) = table.get("branch") {
        let toml::Value::Array(list) = list else {
            return Err(bad("branches are [[branch]] tables".into()));
        };
        for b in list {
            let (Some(toml::Value::String(name)), Some(toml::Value::String(program))) =
                (b.get("name"), b.get("program"))
            else {
                return Err(bad(
                    "a [[branch]] has a `name` and a `program` (assembly)".into()
                ));
            };
            let bytes = asm::assemble(program, &branch_params).map_err(|source| Error::Asm {
                input: format!("{shown}, branch {name}"),
                source,
            })?;
            branches.push(Branch {
                name: name.clone(),
                program: bytes,
            });
        }
    }
    let mut blinding_key = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut blinding_key);
    let terms = Terms::new(parties, key, branches, blinding_key)?;
    Ok((terms, addresses))
}

// ---- Co-signing through files (docs/contracts.md §Co-signing) ----

/// The request file's name in a session directory.
const REQUEST: &str = "request.json";

/// What the caller asks the other parties to sign: the proven
/// transaction (its signature a placeholder) and its signers.
struct Request {
    tx: Vec<u8>,
    entries: Vec<SignerEntry>,
}

impl Request {
    fn to_json(&self) -> Json {
        json!({
            "tx": hex::encode(&self.tx),
            "signers": self.entries.iter().map(|e| json!({
                "keys": e.keys.iter().map(|k| hex::encode(k.to_bytes())).collect::<Vec<_>>(),
                "tweak": hex::encode(e.tweak.as_bytes()),
                "contract_id": e.contract.to_string(),
            })).collect::<Vec<_>>(),
        })
    }

    fn from_json(json: &Json) -> Result<Request, Error> {
        let bad = |what: &str| Error::Usage(format!("session request: {what}"));
        let bytes32 = |v: &Json, what: &str| -> Result<[u8; 32], Error> {
            v.as_str()
                .and_then(|s| hex::decode(s).ok())
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| bad(what))
        };
        let tx = json["tx"]
            .as_str()
            .and_then(|s| hex::decode(s).ok())
            .ok_or_else(|| bad("`tx` is not hex"))?;
        let mut entries = Vec::new();
        for e in json["signers"]
            .as_array()
            .ok_or_else(|| bad("no `signers`"))?
        {
            let keys = e["keys"]
                .as_array()
                .ok_or_else(|| bad("signer without `keys`"))?
                .iter()
                .map(|k| {
                    musig::VerificationKey::from_bytes(&bytes32(k, "a key is not 32 bytes of hex")?)
                        .map_err(|_| bad("a key is not a point"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let tweak = Option::<curve25519_dalek::scalar::Scalar>::from(
                curve25519_dalek::scalar::Scalar::from_canonical_bytes(bytes32(
                    &e["tweak"],
                    "bad tweak",
                )?),
            )
            .ok_or_else(|| bad("tweak is not a canonical scalar"))?;
            let contract = ContractID::from_bytes(bytes32(&e["contract_id"], "bad contract_id")?);
            entries.push(SignerEntry {
                keys,
                tweak,
                contract,
            });
        }
        Ok(Request { tx, entries })
    }
}

/// `zkvm contract finish`: the signature is `(Σ R_i, Σ s_i)` of the
/// session's commitments and shares (docs/spec/musig.md §Interactive
/// signing); the whole transaction is verified before it is submitted,
/// so a bad share is caught here too.
pub(crate) fn finish_session(dir: &Path, node: &str) -> Result<Output, Error> {
    let text = wait_for_file(&dir.join(REQUEST), Duration::from_secs(0))?;
    let json: Json = serde_json::from_slice(&text)
        .map_err(|e| Error::Usage(format!("session request is not JSON: {e}")))?;
    let request = Request::from_json(&json)?;
    let tx = Tx::from_bytes(&request.tx).map_err(Error::Decode)?;
    let parties = signing_context(&request.entries)?.parties();
    let now = Duration::from_secs(0);
    let commits: Vec<NonceCommitment> =
        collect(dir, "commit", parties, now, NonceCommitment::from_bytes)?;
    let shares: Vec<SignatureShare> =
        collect(dir, "share", parties, now, SignatureShare::from_bytes)?;
    let r: curve25519_dalek::ristretto::RistrettoPoint =
        commits.iter().map(NonceCommitment::as_point).sum();
    let s: curve25519_dalek::scalar::Scalar = shares.iter().map(|x| *x.as_scalar()).sum();
    let mut bytes = [0u8; 64];
    bytes[..32].copy_from_slice(r.compress().as_bytes());
    bytes[32..].copy_from_slice(s.as_bytes());
    let signature = Signature::from_bytes(&bytes).map_err(|e| Error::Usage(e.to_string()))?;
    let signed = Tx { signature, ..tx };
    let verified = Verifier::verify_bytes(&signed.to_bytes()).map_err(Error::Invalid)?;
    let client = node::Client::new(node)?;
    let answer = client.submit(&signed.to_bytes())?;
    Ok(Output::Json(json!({
        "txid": verified.id.to_string(),
        "fee_rate": answer.fee_rate,
        "status": "pending",
    })))
}

/// `zkvm contract cosign` with the wallet at `path`.
pub(crate) fn cosign_session(path: &Path, session: &Path, timeout: u64) -> Result<Output, Error> {
    let w = wallet_cmd::open_at(path)?;
    cosign(&w, session, Duration::from_secs(timeout))
}

/// `zkvm contract cosign`: reads the request, checks what is signed, and
/// takes part in the rounds with the keys this wallet holds.
fn cosign(w: &Wallet, dir: &Path, timeout: Duration) -> Result<Output, Error> {
    let text = wait_for_file(&dir.join(REQUEST), timeout)?;
    let json: Json = serde_json::from_slice(&text)
        .map_err(|e| Error::Usage(format!("session request is not JSON: {e}")))?;
    let request = Request::from_json(&json)?;
    let tx = Tx::from_bytes(&request.tx).map_err(Error::Decode)?;
    // What is signed: the txid, which commits to the whole log, for the
    // transaction's own `signtx` signers, which the request must list.
    let pre = Verifier::precompute(&tx).map_err(Error::Invalid)?;
    let inputs: Vec<ContractID> = pre.log.inputs().copied().collect();
    let context = signing_context(&request.entries)?;
    let listed: Vec<(musig::VerificationKey, ContractID)> = context
        .pairs()
        .iter()
        .map(|(k, m)| (*k, ContractID::from_bytes(*m)))
        .collect();
    if listed != pre.signers {
        return Err(Error::Usage(
            "session request: its signers are not the transaction's signers".into(),
        ));
    }
    let held = w.cosigner_positions(&context)?;
    if held.is_empty() {
        return Err(Error::Usage(
            "this wallet holds no key of this signing session".into(),
        ));
    }
    let transcript = zkvm::signtx_transcript(&pre.id);
    let signature = rounds(dir, &context, &transcript, &held, timeout)?;
    let signed = tx.clone();
    let full = Tx {
        signature,
        ..signed
    };
    Verifier::verify_bytes(&full.to_bytes()).map_err(Error::Invalid)?;
    let outputs = pre.log.outputs().count();
    Ok(Output::Json(json!({
        "txid": pre.id.to_string(),
        "signed_positions": held.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
        "inputs": inputs.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
        "outputs": outputs,
        "fee": pre.log.fee(),
        "status": "signed: the caller submits it",
    })))
}

/// The three rounds of interactive signing for the positions in `held`,
/// each message a file `<round>-<position>` in `dir` (docs/contracts.md
/// §Co-signing). A position whose file exists already took part in this
/// session: a nonce answers one challenge only, so it is refused.
fn rounds(
    dir: &Path,
    context: &NestedMultimessage<[u8; 32]>,
    transcript: &merlin::Transcript,
    held: &[(usize, SecretKey)],
    timeout: Duration,
) -> Result<Signature, Error> {
    let parties = context.parties();
    for (position, _) in held {
        if dir.join(format!("precommit-{position}")).exists() {
            return Err(Error::Usage(format!(
                "position {position} already took part in the session in {}: start a new session",
                dir.display()
            )));
        }
    }
    let mut states = Vec::new();
    for (position, secret) in held {
        let (state, pre) =
            SignerAwaitingPrecommitments::new(transcript.clone(), context, *position, secret)
                .map_err(wallet::WalletError::from)?;
        write_file(
            &dir.join(format!("precommit-{position}")),
            hex::encode(pre.to_bytes()).as_bytes(),
        )?;
        states.push(state);
    }
    let pre: Vec<NoncePrecommitment> = collect(dir, "precommit", parties, timeout, |b| {
        NoncePrecommitment::from_bytes(b)
    })?;
    let mut next = Vec::new();
    for ((position, _), state) in held.iter().zip(states) {
        let (state, c) = state
            .receive_precommitments(&pre)
            .map_err(wallet::WalletError::from)?;
        write_file(
            &dir.join(format!("commit-{position}")),
            hex::encode(c.to_bytes()).as_bytes(),
        )?;
        next.push(state);
    }
    let commits: Vec<NonceCommitment> = collect(dir, "commit", parties, timeout, |b| {
        NonceCommitment::from_bytes(b)
    })?;
    let mut last = Vec::new();
    for ((position, _), state) in held.iter().zip(next) {
        let (state, share) = state
            .receive_commitments(&commits)
            .map_err(wallet::WalletError::from)?;
        write_file(
            &dir.join(format!("share-{position}")),
            hex::encode(share.to_bytes()).as_bytes(),
        )?;
        last.push(state);
    }
    let shares: Vec<SignatureShare> = collect(dir, "share", parties, timeout, |b| {
        SignatureShare::from_bytes(b)
    })?;
    let mut signature = None;
    for state in last {
        signature = Some(
            state
                .receive_shares(&shares)
                .map_err(wallet::WalletError::from)?,
        );
    }
    signature.ok_or_else(|| Error::Usage("no position to sign".into()))
}

/// Every party's message of one round, waiting for each file.
fn collect<T>(
    dir: &Path,
    round: &str,
    parties: usize,
    timeout: Duration,
    decode: impl Fn(&[u8]) -> Result<T, musig::MusigError>,
) -> Result<Vec<T>, Error> {
    (0..parties)
        .map(|p| {
            let path = dir.join(format!("{round}-{p}"));
            let text = wait_for_file(&path, timeout)?;
            let bytes = hex::decode(String::from_utf8_lossy(&text).trim())
                .map_err(|_| Error::Usage(format!("{} is not hex", path.display())))?;
            decode(&bytes).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))
        })
        .collect()
}

/// The largest file of a co-signing session (a request holds a
/// transaction of at most 1 MiB, in hex).
const MAX_SESSION_FILE: u64 = 4 << 20;

/// The file's bytes once it exists, polling until `timeout`; a file
/// larger than [`MAX_SESSION_FILE`] is refused unread.
fn wait_for_file(path: &Path, timeout: Duration) -> Result<Vec<u8>, Error> {
    let start = Instant::now();
    loop {
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.len() > MAX_SESSION_FILE {
                return Err(Error::Usage(format!(
                    "{} is larger than a session file can be",
                    path.display()
                )));
            }
        }
        match std::fs::read(path) {
            Ok(bytes) => return Ok(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::Usage(format!("cannot read {}: {e}", path.display()))),
        }
        if start.elapsed() > timeout {
            return Err(Error::Usage(format!(
                "timed out after {} s waiting for {} (has every party joined the session?)",
                timeout.as_secs(),
                path.display()
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Writes a file whole: to a temporary name, then renamed, so a reader
/// never sees half of it.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| Error::Usage(format!("cannot write {}: {e}", path.display())))
}

/// The all-zero signature a request carries until the parties sign.
fn placeholder_signature() -> Result<Signature, Error> {
    Signature::from_bytes(&[0; 64]).map_err(|e| Error::Usage(format!("signature: {e}")))
}
