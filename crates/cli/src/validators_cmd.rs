//! `zkvm validators …`: validator-set changes (docs/spec/consensus.md
//! §Validator-set changes). A validator approves a change with the key in
//! its data directory (`approve-change`); anyone with a wallet collects a
//! quorum of approvals and submits the change as a transaction whose log
//! carries it (`submit-change`), paying its fee.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use consensus::{
    Approval, ApprovedSetChange, ChainId, GenesisValidators, SetChange, ValidatorKey, ValidatorSet,
};
use node::api_types::ValidatorsAnswer;
use node::Client;
use serde_json::{json, Value as Json};
use wallet::{External, HistoryKind};

use crate::wallet_cmd::{self, submit, synced, TxArgs};
use crate::{Error, Output};

/// The `validators` subcommands.
#[derive(Debug, Subcommand)]
pub enum ValidatorsCommand {
    /// Approve a change to the set `--set` from height `--effective` on,
    /// with this validator's key (`DIR/validator.key`): prints the
    /// approval (and writes it to `--out`), to hand to whoever submits.
    ApproveChange {
        #[command(flatten)]
        change: ChangeArgs,
        /// The validator's data directory (its `validator.key` signs).
        #[arg(long)]
        data_dir: PathBuf,
        /// Also write the approval (JSON) to this file.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Submit a change approved by a quorum of the current set: a
    /// transaction paid by the wallet whose log carries the change.
    SubmitChange {
        #[command(flatten)]
        change: ChangeArgs,
        /// A file holding one approval, as `approve-change` wrote it
        /// (repeat for each approver).
        #[arg(long = "approval", value_name = "FILE", required = true)]
        approvals: Vec<PathBuf>,
        /// The wallet that pays the fee.
        #[arg(long, env = "ZKVM_WALLET", default_value = "zkvm-data/wallet.redb")]
        wallet: PathBuf,
        #[command(flatten)]
        tx: TxArgs,
    },
}

/// What a change is: the new set and its first height.
#[derive(Debug, Args)]
pub struct ChangeArgs {
    /// The new set as JSON: `{"validators": [{"public_key": "<hex>",
    /// "power": 1}, ...]}` (the genesis's validators format).
    #[arg(long = "set", value_name = "NEW.json")]
    set: PathBuf,
    /// The first height the new set decides: at least two above the
    /// height of the block that includes the change.
    #[arg(long)]
    effective: u64,
}

impl ChangeArgs {
    fn change(&self) -> Result<SetChange, Error> {
        let text = read(&self.set)?;
        let section: GenesisValidators = serde_json::from_str(&text)
            .map_err(|e| Error::Usage(format!("{}: {e}", self.set.display())))?;
        let set = section
            .to_set()
            .map_err(|e| Error::Usage(format!("{}: {e}", self.set.display())))?;
        Ok(SetChange::new(self.effective, set))
    }
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.display().to_string(),
        source,
    })
}

/// Runs a `validators` subcommand against the node at `node`.
pub fn run(command: ValidatorsCommand, node: &str) -> Result<Output, Error> {
    match command {
        ValidatorsCommand::ApproveChange {
            change,
            data_dir,
            out,
        } => {
            let change = change.change()?;
            let client = Client::new(node)?;
            let (chain, current) = approving_set(&client)?;
            let path = data_dir.join(node::VALIDATOR_KEY_FILE);
            let key = node::read_validator_key(&path)?.ok_or_else(|| {
                Error::NotFound(format!("no validator key at {}", path.display()))
            })?;
            let address = ValidatorKey::new(key.verification_key())
                .map_err(|e| Error::Usage(e.to_string()))?
                .address();
            if current.get(&address).is_none() {
                return Err(Error::Usage(format!(
                    "validator {address} is not in the current set: its approval would count for nothing"
                )));
            }
            let approval = change.approve(&chain, &current, &key);
            let answer = json!({
                "address": address.to_string(),
                "effective_height": change.effective_height(),
                "set_hash": hex::encode(consensus::set_hash(change.validators())),
                "approving_set_hash": hex::encode(consensus::set_hash(&current)),
                "approval": hex::encode(approval.to_bytes()),
            });
            if let Some(out) = out {
                std::fs::write(&out, format!("{answer}\n"))
                    .map_err(|e| Error::Usage(format!("cannot write {}: {e}", out.display())))?;
            }
            Ok(Output::Json(answer))
        }
        ValidatorsCommand::SubmitChange {
            change,
            approvals,
            wallet,
            tx,
        } => {
            let change = change.change()?;
            let approvals = approvals
                .iter()
                .map(|p| read_approval(p))
                .collect::<Result<Vec<_>, _>>()?;
            let approved = ApprovedSetChange::new(change, approvals);
            let (mut w, client) = synced(wallet_cmd::open_at(&wallet)?, node)?;
            // Checked here for a clear error before paying for a refusal;
            // the node checks again.
            let (chain, current) = approving_set(&client)?;
            approved
                .verify(&chain, &current)
                .map_err(|e| Error::Usage(format!("the approvals do not carry the change: {e}")))?;
            let mut program = zkvm::Program::new();
            program.push(approved.to_log_data()).log();
            let external = External {
                program,
                gives: Vec::new(),
                owes: Vec::new(),
                maxtime_ms: None,
            };
            let fee = wallet_cmd::fee(&client, &tx)?;
            let built =
                w.spend_external(external, HistoryKind::Sent, fee, &mut rand::thread_rng())?;
            let mut out = submit(&mut w, &client, &built, tx.wait)?;
            out["effective_height"] = json!(approved.change().effective_height());
            out["validators"] = json!(approved.change().validators().validators().len());
            Ok(Output::Json(out))
        }
    }
}

/// An approval file: `approve-change`'s JSON (its `approval` field) or the
/// approval's hex alone.
fn read_approval(path: &Path) -> Result<Approval, Error> {
    let text = read(path)?;
    let hex_text = match serde_json::from_str::<Json>(&text) {
        Ok(j) => j["approval"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| Error::Usage(format!("{}: no \"approval\" field", path.display())))?,
        Err(_) => text.trim().to_owned(),
    };
    let bytes = hex::decode(hex_text.trim()).map_err(Error::Hex)?;
    Approval::from_bytes(&bytes).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))
}

/// The chain ID and the set that approves a change included in the next
/// block: the set in force at the tip's successor. While a change is
/// pending no other is accepted, so that is refused here.
fn approving_set(client: &Client) -> Result<(ChainId, ValidatorSet), Error> {
    let genesis = client.genesis()?;
    let chain = ChainId::from_genesis(
        genesis
            .state()
            .map_err(node::NodeError::Chain)?
            .initial
            .id(),
    );
    let answer: ValidatorsAnswer = client
        .get("/v1/validators")?
        .ok_or_else(|| Error::NotFound("the node has no validators endpoint".into()))?;
    if let Some(p) = &answer.pending {
        return Err(Error::Usage(format!(
            "a validator-set change effective at {} is pending: no other is accepted before",
            p.effective_height
        )));
    }
    let members = answer
        .validators
        .iter()
        .map(|v| consensus::GenesisValidator {
            public_key: v.key.clone(),
            power: v.power,
        })
        .collect();
    let set = GenesisValidators {
        validators: members,
    }
    .to_set()
    .map_err(|e| Error::Usage(format!("the node's validator set: {e}")))?;
    Ok((chain, set))
}
