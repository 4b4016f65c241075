//! `zkvm chain …`: the state of a running node, its blocks, transactions
//! and mempool, through its API (docs/api.md).

use clap::Subcommand;
use node::Client;
use serde::Serialize;

use crate::{Error, Output};

/// The `chain` subcommands.
#[derive(Debug, Subcommand)]
pub enum ChainCommand {
    /// Height, tip, mempool size and peers of the node.
    Status,
    /// A block by height or ID: header, transaction IDs and encoding.
    Block {
        /// Height (1 is the initial header) or 64-hex-digit block ID.
        reference: String,
    },
    /// A transaction by ID, confirmed or pending, with its log.
    Tx {
        /// The transaction ID (64 hex digits).
        id: String,
    },
    /// The mempool's transactions, in block order.
    Mempool,
    /// The network's genesis, in hex (for `zkvm node init --genesis`).
    Genesis,
    /// The assets whose metadata the node knows: those the genesis
    /// describes, then those issued with a record in the newest blocks
    /// (docs/api.md §`GET /v1/assets`).
    Assets,
    /// Connected peers with their scores and heights, and banned peers.
    Peers,
    /// The validator set (address, key, voting power) and who signed the
    /// tip's commit certificate (docs/api.md §`GET /v1/validators`).
    Validators,
    /// Equivocation evidence this node's validator stored, newest first:
    /// who signed two conflicting votes or proposals, at which height and
    /// round (docs/api.md §`GET /v1/evidence`).
    Evidence {
        /// At most this many (1 to 1,000).
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// A contract (an unspent or spent output) by ID: predicate, payload,
    /// and a proof that it is unspent.
    Contract {
        /// The contract ID (64 hex digits).
        id: String,
    },
    /// Outputs listed under a cleartext tag, newest first
    /// (docs/api.md §`GET /v1/contracts`).
    Contracts {
        /// The tag, as text (e.g. what `zkvm wallet lock --tag` logged).
        #[arg(long)]
        tag: String,
        /// At most this many (1 to 100).
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
}

/// Runs a `chain` subcommand against the node at `node`.
pub fn run(command: ChainCommand, node: &str) -> Result<Output, Error> {
    let client = Client::new(node)?;
    let json: serde_json::Value = match command {
        ChainCommand::Status => to_json(client.status()?)?,
        ChainCommand::Block { reference } => to_json(
            client
                .block_json(&reference)?
                .ok_or_else(|| Error::NotFound(format!("no block {reference}")))?,
        )?,
        ChainCommand::Tx { id } => to_json(
            client
                .tx(&id)?
                .ok_or_else(|| Error::NotFound(format!("no transaction {id}")))?,
        )?,
        ChainCommand::Mempool => to_json(client.mempool()?)?,
        ChainCommand::Peers => client
            .get("/v1/peers")?
            .ok_or_else(|| Error::NotFound("the node has no peers endpoint".into()))?,
        ChainCommand::Assets => to_json(
            client
                .get::<node::api_types::AssetList>("/v1/assets")?
                .ok_or_else(|| Error::NotFound("the node has no assets endpoint".into()))?,
        )?,
        ChainCommand::Validators => to_json(
            client
                .get::<node::api_types::ValidatorsAnswer>("/v1/validators")?
                .ok_or_else(|| Error::NotFound("the node has no validators endpoint".into()))?,
        )?,
        ChainCommand::Evidence { limit } => to_json(
            client
                .get::<node::api_types::EvidenceList>(&format!("/v1/evidence?limit={limit}"))?
                .ok_or_else(|| Error::NotFound("the node has no evidence endpoint".into()))?,
        )?,
        ChainCommand::Contract { id } => client
            .get(&format!("/v1/contracts/{id}"))?
            .ok_or_else(|| Error::NotFound(format!("no contract {id}")))?,
        ChainCommand::Contracts { tag, limit } => client
            .get(&format!(
                "/v1/contracts?tag={}&limit={limit}",
                hex::encode(tag.as_bytes())
            ))?
            .ok_or_else(|| Error::NotFound("the node has no contracts endpoint".into()))?,
        ChainCommand::Genesis => {
            return Ok(Output::Text(hex::encode(client.genesis()?.to_bytes())));
        }
    };
    Ok(Output::Json(json))
}

/// An API answer as JSON to print.
fn to_json<T: Serialize>(answer: T) -> Result<serde_json::Value, Error> {
    serde_json::to_value(answer).map_err(|e| Error::Usage(format!("cannot print the answer: {e}")))
}
