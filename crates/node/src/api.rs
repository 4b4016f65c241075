//! The HTTP JSON API (docs/api.md): status, blocks, transactions, the
//! mempool, submission, UTXO proofs and snapshots. Every error is a JSON
//! object `{"error": code, "reason": text}` with a 4xx or 5xx status; no
//! input can stop the node.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use blockchain::{BlockID, BlockchainError};
use serde_json::{json, Value};
use zkvm::{ContractID, TxID};

use crate::actor::ChainHandle;
use crate::chain::{verify_submission, Chain};
use crate::network::NetworkHandle;
use crate::{json as render, NodeError};

/// What the handlers share.
#[derive(Clone, Debug)]
pub struct ApiState {
    /// The chain's thread.
    pub chain: ChainHandle,
    /// The network, which gossips accepted submissions.
    pub net: Option<NetworkHandle>,
}

/// The API's routes, with a body limit of `max_request_bytes`.
pub fn router(state: ApiState, max_request_bytes: usize) -> Router {
    Router::new()
        .route("/v1/status", get(status))
        .route("/v1/peers", get(peers))
        .route("/v1/genesis", get(genesis))
        .route("/v1/blocks/{reference}", get(block))
        .route("/v1/txs", axum::routing::post(submit))
        .route("/v1/txs/{id}", get(tx))
        .route("/v1/mempool", get(mempool))
        .route("/v1/utxos/{id}/proof", get(utxo_proof))
        .route("/v1/snapshot", get(snapshot))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(max_request_bytes))
        .with_state(state)
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    reason: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, reason: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            reason: reason.into(),
        }
    }

    fn bad_request(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", reason)
    }

    fn not_found(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", reason)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({"error": self.code, "reason": self.reason}));
        (self.status, body).into_response()
    }
}

impl From<NodeError> for ApiError {
    fn from(e: NodeError) -> Self {
        let reason = e.to_string();
        let (status, code) = match &e {
            NodeError::Decode(_) => (StatusCode::BAD_REQUEST, "malformed_tx"),
            NodeError::InvalidTx(_) => (StatusCode::BAD_REQUEST, "invalid_tx"),
            NodeError::UnknownInput(_) => (StatusCode::BAD_REQUEST, "unknown_input"),
            NodeError::Chain(c) => match c {
                BlockchainError::AlreadyKnown { .. } => (StatusCode::CONFLICT, "already_known"),
                BlockchainError::Conflict { .. } => (StatusCode::CONFLICT, "conflict"),
                BlockchainError::MempoolFull { .. } => {
                    (StatusCode::SERVICE_UNAVAILABLE, "mempool_full")
                }
                _ => (StatusCode::BAD_REQUEST, "rejected"),
            },
            NodeError::NotProducer => (StatusCode::CONFLICT, "not_producer"),
            NodeError::Pruned(_) => (StatusCode::NOT_IMPLEMENTED, "pruned"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        ApiError::new(status, code, reason)
    }
}

type ApiResult = Result<Json<Value>, ApiError>;

/// Runs `f` on the chain's thread.
async fn with_chain<T: Send + 'static>(
    state: &ApiState,
    f: impl FnOnce(&mut Chain) -> Result<T, NodeError> + Send + 'static,
) -> Result<T, ApiError> {
    state.chain.call(f).await?.map_err(ApiError::from)
}

fn parse_hex32(s: &str, what: &str) -> Result<[u8; 32], ApiError> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out)
        .map_err(|_| ApiError::bad_request(format!("{what} must be 64 hex digits")))?;
    Ok(out)
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint (see docs/api.md)")
}

async fn status(State(s): State<ApiState>) -> ApiResult {
    let net = s.net.as_ref().map(NetworkHandle::info).unwrap_or_default();
    with_chain(&s, move |c| {
        let st = c.state();
        Ok(Json(json!({
            "network": hex::encode(st.initial.id().0),
            "height": st.tip.height,
            "tip": hex::encode(st.tip.id().0),
            "tip_timestamp_ms": st.tip.timestamp_ms,
            "utxo_leaves": c.utxo_leaves(),
            "mempool": {
                "txs": c.mempool().len(),
                "bytes": c.mempool().size_bytes(),
            },
            "peers": net.peers.len(),
            "peer_id": net.peer_id.map(|p| p.to_string()),
            "listen": net.listen.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "producer": c.is_producer(),
            "pruned": c.is_pruned(),
            "first_block": c.base_height() + 1,
        })))
    })
    .await
}

/// The connected peers with their scores and heights, and the banned ones.
async fn peers(State(s): State<ApiState>) -> ApiResult {
    let net = s.net.as_ref().map(NetworkHandle::info).unwrap_or_default();
    Ok(Json(json!({
        "peer_id": net.peer_id.map(|p| p.to_string()),
        "peers": net.peers.iter().map(|p| json!({
            "id": p.id.to_string(),
            "address": p.address.to_string(),
            "score": p.score,
            "height": p.height,
        })).collect::<Vec<_>>(),
        "banned": net.banned.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })))
}

async fn genesis(State(s): State<ApiState>) -> ApiResult {
    with_chain(&s, |c| {
        Ok(Json(json!({
            "network": hex::encode(c.state().initial.id().0),
            "hex": hex::encode(c.genesis().to_bytes()),
        })))
    })
    .await
}

async fn block(State(s): State<ApiState>, Path(reference): Path<String>) -> ApiResult {
    let by_id = reference.len() == 64;
    let height: Option<u64> = if by_id {
        None
    } else {
        Some(reference.parse().map_err(|_| {
            ApiError::bad_request("a block is named by its height or its 64-hex-digit ID")
        })?)
    };
    let id = if by_id {
        Some(BlockID(parse_hex32(&reference, "block ID")?))
    } else {
        None
    };
    let answer = with_chain(&s, move |c| {
        let height = match (height, id) {
            (Some(h), _) => Some(h),
            (None, Some(id)) => c.height_of(&id)?,
            (None, None) => None,
        };
        let Some(height) = height else {
            return Ok(None);
        };
        if height == 1 {
            let initial = &c.state().initial;
            return Ok(Some(json!({
                "header": render::header(initial),
                "txs": [],
                "hex": null,
            })));
        }
        Ok(c.block(height)?.map(|b| render::block(&b)))
    })
    .await?;
    answer
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no block {reference}")))
}

async fn tx(State(s): State<ApiState>, Path(id): Path<String>) -> ApiResult {
    let txid = TxID(parse_hex32(&id, "transaction ID")?);
    let answer = with_chain(&s, move |c| c.tx(&txid)).await?;
    let Some(record) = answer else {
        return Err(ApiError::not_found(format!("no transaction {id}")));
    };
    let mut out = render::tx(&record.tx);
    out["status"] = json!(if record.location.is_some() {
        "confirmed"
    } else {
        "pending"
    });
    if let Some((height, index)) = record.location {
        out["height"] = json!(height);
        out["index"] = json!(index);
    }
    Ok(Json(out))
}

/// Accepts `{"hex": "<tx>"}` as JSON, or the raw encoding as
/// `application/octet-stream`.
async fn submit(State(s): State<ApiState>, headers: HeaderMap, body: Bytes) -> ApiResult {
    let raw = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/octet-stream"));
    let bytes = if raw {
        body.to_vec()
    } else {
        let request: Value = serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("body is not JSON: {e}")))?;
        let hex_tx = request
            .get("hex")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::bad_request("expected {\"hex\": \"<transaction>\"}"))?;
        hex::decode(hex_tx).map_err(|e| ApiError::bad_request(format!("bad hex: {e}")))?
    };
    // The proof check runs here, on the blocking pool, so submissions are
    // verified in parallel; the chain's thread keeps the cheap checks.
    let checked = tokio::task::spawn_blocking(move || {
        verify_submission(&bytes).map(|checked| (bytes, checked))
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    let (bytes, checked) = checked?;
    let (bytes, outcome) = with_chain(&s, move |c| {
        c.submit_verified(&bytes, checked).map(|o| (bytes, o))
    })
    .await?;
    if let Some(net) = &s.net {
        net.publish_tx(bytes);
    }
    Ok(Json(json!({
        "id": outcome.txid.to_string(),
        "fee_rate": outcome.fee_rate.to_f64(),
        "replaced": outcome.replaced.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "evicted": outcome.evicted.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })))
}

async fn mempool(State(s): State<ApiState>) -> ApiResult {
    with_chain(&s, |c| {
        let txs: Vec<Value> = c
            .mempool()
            .iter_by_fee_rate()
            .map(|e| {
                json!({
                    "id": e.txid().to_string(),
                    "size": e.size(),
                    "fee": e.fee_rate().fee(),
                    "fee_rate": e.fee_rate().to_f64(),
                })
            })
            .collect();
        Ok(Json(json!({
            "txs": txs,
            "bytes": c.mempool().size_bytes(),
        })))
    })
    .await
}

async fn utxo_proof(State(s): State<ApiState>, Path(id): Path<String>) -> ApiResult {
    let contract = ContractID(parse_hex32(&id, "contract ID")?);
    let answer = with_chain(&s, move |c| {
        Ok(c.utxo_proof(&contract)?.map(|p| (p, c.state().tip.height)))
    })
    .await?;
    let Some((proof, height)) = answer else {
        return Err(ApiError::not_found(format!(
            "{id} is not an unspent output"
        )));
    };
    Ok(Json(json!({
        "contract_id": id,
        "height": height,
        "proof": hex::encode(proof.to_bytes()),
    })))
}

async fn snapshot(State(s): State<ApiState>) -> Result<Response, ApiError> {
    let bytes = with_chain(&s, |c| Ok(c.snapshot())).await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}
