//! A blocking client of the HTTP API (docs/api.md), for the `zkvm`
//! command, the wallet's block source and tests.

use std::time::Duration;

use accumulator::Proof;
use blockchain::{Block, Genesis};
use serde::de::DeserializeOwned;
use serde_json::Value;
use zkvm::ContractID;

use crate::api_types::{
    BlockAnswer, BlockList, ErrorBody, FeeEstimate, GenesisAnswer, MempoolAnswer, PastStateAnswer,
    Status, SubmitRequest, Submitted, TxAnswer, UtxoProofAnswer,
};
use crate::NodeError;

/// A node's API at a base URL.
#[derive(Clone, Debug)]
pub struct Client {
    base: String,
    http: reqwest::blocking::Client,
}

impl Client {
    /// A client of the node at `addr`: `host:port` or an `http://` URL.
    pub fn new(addr: &str) -> Result<Client, NodeError> {
        let base = if addr.starts_with("http://") || addr.starts_with("https://") {
            addr.trim_end_matches('/').to_string()
        } else {
            format!("http://{}", addr.trim_end_matches('/'))
        };
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| NodeError::Api(e.to_string()))?;
        Ok(Client { base, http })
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// A success's body as `T`, or the refusal's reason.
    fn answer<T: DeserializeOwned>(
        &self,
        response: reqwest::blocking::Response,
    ) -> Result<T, NodeError> {
        let status = response.status();
        let body: Value = response
            .json()
            .map_err(|e| NodeError::Api(format!("{status}: the node's answer is not JSON: {e}")))?;
        if status.is_success() {
            serde_json::from_value(body).map_err(|e| {
                NodeError::Api(format!("the node's answer is not what the API says: {e}"))
            })
        } else {
            let reason = serde_json::from_value::<ErrorBody>(body)
                .map(|b| b.reason)
                .unwrap_or_else(|_| "no reason given".into());
            Err(NodeError::Api(format!("node refused ({status}): {reason}")))
        }
    }

    fn unreachable(&self, e: reqwest::Error) -> NodeError {
        NodeError::Api(format!("cannot reach the node at {}: {e}", self.base))
    }

    /// `GET path` as `T` (any JSON with `Value`); `None` on 404.
    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>, NodeError> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .map_err(|e| self.unreachable(e))?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        self.answer(response).map(Some)
    }

    fn get_found<T: DeserializeOwned>(&self, path: &str) -> Result<T, NodeError> {
        self.get(path)?
            .ok_or_else(|| NodeError::Api(format!("not found: {path}")))
    }

    /// `GET /v1/status`.
    pub fn status(&self) -> Result<Status, NodeError> {
        self.get_found("/v1/status")
    }

    /// `GET /v1/genesis`, decoded.
    pub fn genesis(&self) -> Result<Genesis, NodeError> {
        let v: GenesisAnswer = self.get_found("/v1/genesis")?;
        let bytes = hex_field(&v.hex, "hex")?;
        Genesis::from_bytes(&bytes).map_err(|e| NodeError::Api(format!("bad genesis: {e}")))
    }

    /// `GET /v1/blocks/{reference}`.
    pub fn block_json(&self, reference: &str) -> Result<Option<BlockAnswer>, NodeError> {
        self.get(&format!("/v1/blocks/{reference}"))
    }

    /// The block at `height` (from 2), decoded; `None` past the tip.
    pub fn block(&self, height: u64) -> Result<Option<Block>, NodeError> {
        let Some(v) = self.block_json(&height.to_string())? else {
            return Ok(None);
        };
        let hex = v
            .hex
            .ok_or_else(|| NodeError::Api(format!("block {height} has no encoding")))?;
        let bytes = hex_field(&hex, "hex")?;
        Block::from_bytes(&bytes)
            .map(Some)
            .map_err(|e| NodeError::Api(format!("bad block {height}: {e}")))
    }

    /// `GET /v1/blocks?from=&limit=`: summaries of up to `limit` blocks
    /// (1 to 100), ascending from `from`, or the newest first without it.
    pub fn blocks(&self, from: Option<u64>, limit: usize) -> Result<BlockList, NodeError> {
        let path = match from {
            Some(from) => format!("/v1/blocks?from={from}&limit={limit}"),
            None => format!("/v1/blocks?limit={limit}"),
        };
        self.get_found(&path)
    }

    /// `GET /v1/fee-estimate`: the fee for a transaction of `size` bytes
    /// (the node's typical size without it) to be in the next block.
    pub fn fee_estimate(&self, size: Option<usize>) -> Result<FeeEstimate, NodeError> {
        let path = match size {
            Some(size) => format!("/v1/fee-estimate?size={size}"),
            None => "/v1/fee-estimate".to_owned(),
        };
        self.get_found(&path)
    }

    /// `GET /v1/txs/{id}`.
    pub fn tx(&self, id: &str) -> Result<Option<TxAnswer>, NodeError> {
        self.get(&format!("/v1/txs/{id}"))
    }

    /// `GET /v1/mempool`.
    pub fn mempool(&self) -> Result<MempoolAnswer, NodeError> {
        self.get_found("/v1/mempool")
    }

    /// `POST /v1/txs`: the node's answer, or its refusal with the reason.
    pub fn submit(&self, tx: &[u8]) -> Result<Submitted, NodeError> {
        let response = self
            .http
            .post(format!("{}/v1/txs", self.base))
            .json(&SubmitRequest {
                hex: hex::encode(tx),
            })
            .send()
            .map_err(|e| self.unreachable(e))?;
        self.answer(response)
    }

    /// `GET /v1/utxos/{id}/proof`, decoded; `None` if not unspent.
    pub fn utxo_proof(&self, id: &ContractID) -> Result<Option<Proof>, NodeError> {
        let path = format!("/v1/utxos/{id}/proof");
        let Some(v) = self.get::<UtxoProofAnswer>(&path)? else {
            return Ok(None);
        };
        let bytes = hex_field(&v.proof, "proof")?;
        Proof::from_bytes(&bytes)
            .map(Some)
            .map_err(|e| NodeError::Api(format!("bad proof: {e}")))
    }

    /// `GET /v1/snapshots/{height}`: the snapshot whose tip is the header
    /// at `height` and what seals that block (its signature or its commit
    /// certificate; neither at height 1), as served, unchecked (the wallet
    /// checks them). A height the node has no state for is an error with
    /// the node's reason.
    pub fn past_state(&self, height: u64) -> Result<PastChainState, NodeError> {
        let response = self
            .http
            .get(format!("{}/v1/snapshots/{height}", self.base))
            .send()
            .map_err(|e| self.unreachable(e))?;
        let v: PastStateAnswer = self.answer(response)?;
        let snapshot = hex_field(&v.hex, "hex")?;
        let signature = v
            .signature
            .map(|s| {
                let bytes = hex_field(&s, "signature")?;
                musig::Signature::from_bytes(&bytes)
                    .map_err(|e| NodeError::Api(format!("bad block signature: {e}")))
            })
            .transpose()?;
        let certificate = v
            .certificate
            .map(|c| hex_field(&c, "certificate"))
            .transpose()?;
        let set_changes = v
            .set_changes
            .iter()
            .map(|c| Ok((c.included_height, hex_field(&c.hex, "set_changes")?)))
            .collect::<Result<_, NodeError>>()?;
        Ok(PastChainState {
            snapshot,
            signature,
            certificate,
            set_changes,
        })
    }

    /// `GET /v1/snapshot`: the chain state's snapshot bytes.
    pub fn snapshot(&self) -> Result<Vec<u8>, NodeError> {
        let response = self
            .http
            .get(format!("{}/v1/snapshot", self.base))
            .send()
            .map_err(|e| self.unreachable(e))?;
        if !response.status().is_success() {
            return Err(NodeError::Api(format!("snapshot: {}", response.status())));
        }
        response
            .bytes()
            .map(|b| b.to_vec())
            .map_err(|e| self.unreachable(e))
    }
}

fn hex_field(s: &str, field: &str) -> Result<Vec<u8>, NodeError> {
    hex::decode(s).map_err(|e| NodeError::Api(format!("`{field}` is not hex: {e}")))
}

/// A node's answer to `GET /v1/snapshots/{height}` ([`Client::past_state`]),
/// decoded but unchecked: a wallet checks it before starting there
/// (docs/spec/wallet.md §Rescan).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PastChainState {
    /// The snapshot (docs/spec/blockchain.md §Snapshot) whose tip is the
    /// header at the height asked.
    pub snapshot: Vec<u8>,
    /// That block's signature by the block key, on a block-key chain above
    /// height 1.
    pub signature: Option<musig::Signature>,
    /// That block's encoded commit certificate, on a validators chain above
    /// height 1 (docs/spec/consensus.md §Commit certificate).
    pub certificate: Option<Vec<u8>>,
    /// On a validators chain, the validator-set changes included at or
    /// below that height: each inclusion height and encoding
    /// (`consensus::ApprovedSetChange`), oldest first.
    pub set_changes: Vec<(u64, Vec<u8>)>,
}
