//! The HTTP JSON API (docs/api.md): status, blocks, transactions, the
//! mempool, submission, UTXO proofs, outputs by contract ID and by data
//! tag, and snapshots. Every error is a JSON
//! object `{"error": code, "reason": text}` with a 4xx or 5xx status; no
//! input can stop the node.
//!
//! Layers wrap every route and the fallback rather than each handler
//! checking for itself: `read_body` reads the whole request body within a
//! size and a time limit before any handler runs (`413`, `408`),
//! `empty_segments` answers `404` for paths like `/v1/utxos//proof`, and
//! `json_errors`, outermost, turns any error answer that is not JSON yet
//! (axum's `405`, its extractors' rejections) into one.

use std::time::Duration;

use axum::body::{Body, BodyDataStream, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use blockchain::{BlockID, BlockchainError};
use curve25519_dalek::scalar::Scalar;
use encoding::HexError;
use futures::StreamExt;
use serde_json::Value;
use zkvm::{ContractID, Encodable, PortableItem, TxID};

use crate::actor::ChainHandle;
use crate::admission::Admission;
use crate::api_types::{
    BlockAnswer, BlockList, BlockListItem, ConsensusAnswer, ContractAnswer, ContractsPage,
    DecisionAnswer, EncodedSetChange, ErrorBody, EvidenceAnswer, EvidenceList, FeeEstimate,
    FeeRateAnswer, GenesisAnswer, Imported, MempoolAnswer, MempoolTx, Offer, OfferCreated,
    OffersAnswer, PastStateAnswer, Peer, Peers, PoolSize, ProofRef, SetChangeAnswer,
    SetMemberAnswer, Status, StoredEvidenceAnswer, SubmitRequest, Submitted, TxAnswer,
    UtxoProofAnswer, ValidatorAnswer, ValidatorsAnswer,
};
use crate::metrics::Gauges;
use crate::network::{NetInfo, NetworkHandle};
use crate::store::{ContractReader, OutputPosition};
use crate::{json as render, NodeError};

/// What the handlers share.
#[derive(Clone, Debug)]
pub struct ApiState {
    /// The chain's thread.
    pub chain: ChainHandle,
    /// The network, which gossips accepted submissions.
    pub net: Option<NetworkHandle>,
    /// The admission path and its bounded verification pool, shared with
    /// the network (docs/spec/network.md §Admission).
    pub admission: Admission,
    /// Transaction bytes in a produced block at most (for the fee
    /// estimate).
    pub block_bytes: usize,
    /// Origins whose browsers may call the API (docs/api.md §CORS): `*`
    /// for any; empty: no CORS headers at all.
    pub cors_origins: Vec<String>,
    /// The validator set the node runs with (docs/spec/consensus.md
    /// §Node).
    pub validators: consensus::ValidatorSet,
    /// The consensus engine's progress, when this node is a validator.
    pub consensus: Option<tokio::sync::watch::Receiver<consensus::ConsensusStatus>>,
}

/// How much of a request body the API reads, and how long it waits for it.
#[derive(Clone, Copy, Debug)]
pub struct RequestLimits {
    /// The largest body, in bytes (`413` above it).
    pub max_body_bytes: usize,
    /// How long the whole body may take to arrive once the headers have
    /// (`408` after that).
    pub read_timeout: Duration,
}

/// The API's routes, behind the body limits and the JSON error layer.
pub fn router(state: ApiState, limits: RequestLimits) -> Router {
    let cors = std::sync::Arc::new(state.cors_origins.clone());
    // docs/openapi.json lists these routes, and a test keeps it so
    // (crates/node/tests/openapi.rs).
    let api = Router::new()
        .route("/metrics", get(metrics))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/status", get(status))
        .route("/v1/peers", get(peers))
        .route("/v1/validators", get(validators))
        .route("/v1/evidence", get(evidence))
        .route("/v1/genesis", get(genesis))
        .route("/v1/assets", get(assets))
        .route("/v1/blocks", get(blocks))
        .route("/v1/blocks/{reference}", get(block))
        .route("/v1/fee-estimate", get(fee_estimate))
        .route("/v1/txs", axum::routing::post(submit))
        .route("/v1/simulate", axum::routing::post(simulate))
        .route("/v1/txs/{id}", get(tx))
        .route("/v1/mempool", get(mempool))
        .route("/v1/utxos/{id}/proof", get(utxo_proof))
        .route("/v1/contracts", get(contracts_by_tag))
        .route("/v1/offers", get(offers))
        .route("/v1/contracts/{id}", get(contract))
        .route("/v1/snapshot", get(snapshot))
        .route("/v1/snapshots/{height}", get(past_snapshot))
        .fallback(not_found)
        // `read_body` has already read the body within this limit; the
        // extractors keep theirs as a second fence.
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(middleware::from_fn_with_state(limits, read_body))
        .with_state(state);
    // `Router::layer` wraps each route's handlers inside its method
    // router, which adds a 405's `Allow` header after them; wrapping the
    // whole router instead, `json_errors` sees every answer as sent.
    // CORS outermost: a preflight is answered before anything else, and
    // every answer, errors included, carries the origin's header.
    Router::new()
        .fallback_service(api)
        .layer(middleware::from_fn(empty_segments))
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn_with_state(cors, cors_layer))
}

/// Cross-origin requests from browsers (docs/api.md §CORS): for an origin
/// the configuration allows, a preflight `OPTIONS` is answered `204` with
/// the methods and headers the API takes, and every answer names the
/// origin in `Access-Control-Allow-Origin`. Other origins get no CORS
/// header, so their browsers refuse the answers; with no origin
/// configured (the default) the API never sends one.
async fn cors_layer(
    State(allowed): State<std::sync::Arc<Vec<String>>>,
    request: Request,
    next: Next,
) -> Response {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .filter(|o| allowed.iter().any(|a| a == "*" || a == o))
        .map(str::to_owned);
    let Some(origin) = origin else {
        return next.run(request).await;
    };
    let value = if allowed.iter().any(|a| a == "*") {
        header::HeaderValue::from_static("*")
    } else {
        match header::HeaderValue::from_str(&origin) {
            Ok(v) => v,
            Err(_) => return next.run(request).await,
        }
    };
    let preflight = request.method() == axum::http::Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if preflight {
        let mut r = StatusCode::NO_CONTENT.into_response();
        let h = r.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            header::HeaderValue::from_static("GET, POST, OPTIONS"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            header::HeaderValue::from_static("content-type"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            header::HeaderValue::from_static("600"),
        );
        r
    } else {
        next.run(request).await
    };
    let h = response.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    h.append(header::VARY, header::HeaderValue::from_static("origin"));
    response
}

/// The OpenAPI description of this API (docs/openapi.json).
pub const OPENAPI: &str = include_str!("../../../docs/openapi.json");

/// `GET /v1/openapi.json`.
async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// `GET /metrics`: the Prometheus text format (docs/api.md §Metrics).
async fn metrics(State(s): State<ApiState>) -> Response {
    let v = s.chain.view();
    let peers = s.net.as_ref().map_or(0, |n| n.info().peers.len());
    let text = s.chain.metrics().render(&Gauges {
        height: v.height(),
        peers,
        mempool_txs: v.mempool_txs,
        mempool_bytes: v.mempool_bytes,
        mempool_limit_bytes: v.policy.max_bytes,
    });
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// The most blocks one `GET /v1/blocks` lists, and how many when the
/// request does not say.
pub const MAX_BLOCKS_PAGE: usize = 100;
const DEFAULT_BLOCKS_PAGE: usize = 20;

/// The query of `GET /v1/blocks`, parsed by hand for precise reasons.
#[derive(Debug, serde::Deserialize)]
struct BlocksQuery {
    from: Option<String>,
    limit: Option<String>,
}

/// `GET /v1/blocks?from=H&limit=N`: summaries of up to `N` blocks (at most
/// [`MAX_BLOCKS_PAGE`]) ascending from `H`, or the newest `N`, newest
/// first, without `from`. Read from the database in place: the header and
/// the transaction count are read from the stored bytes, nothing is
/// verified or decoded further. Heights a pruned node lacks are skipped.
async fn blocks(State(s): State<ApiState>, Query(q): Query<BlocksQuery>) -> Answer<BlockList> {
    let limit = page_limit(q.limit.as_deref(), DEFAULT_BLOCKS_PAGE, MAX_BLOCKS_PAGE)?;
    let from = q
        .from
        .map(|f| {
            f.parse::<u64>()
                .ok()
                .filter(|f| *f >= 1)
                .ok_or_else(|| ApiError::bad_request("from must be a height, 1 or more"))
        })
        .transpose()?;
    let chain = s.chain.clone();
    let list = blocking(move || {
        let view = chain.view();
        let tip = view.height();
        let heights: Vec<u64> = match from {
            Some(from) => (from..=tip).take(limit).collect(),
            None => (1..=tip).rev().take(limit).collect(),
        };
        let mut blocks = Vec::with_capacity(heights.len());
        for height in &heights {
            if *height == 1 {
                let initial = &view.state.initial;
                blocks.push(BlockListItem {
                    height: 1,
                    id: initial.id().to_string(),
                    timestamp_ms: initial.timestamp_ms,
                    txs: 0,
                    size: 0,
                });
                continue;
            }
            let item = chain.blocks().with_block_bytes(*height, |bytes| {
                let mut r = zkvm::Reader::new(bytes);
                let header = blockchain::BlockHeader::decode(&mut r).ok()?;
                r.read_bytes(64).ok()?;
                let txs = r.read_size().ok()?;
                Some(BlockListItem {
                    height: header.height,
                    id: header.id().to_string(),
                    timestamp_ms: header.timestamp_ms,
                    txs: txs as u64,
                    size: bytes.len() as u64,
                })
            })?;
            match item {
                Some(Some(item)) => blocks.push(item),
                Some(None) => {
                    return Err(NodeError::Store(crate::StoreError::Corrupt(format!(
                        "block {height} does not decode"
                    ))))
                }
                None => {} // Below a pruned node's first block.
            }
        }
        let next = match (from, heights.last()) {
            (Some(_), Some(last)) if *last < tip => Some(last + 1),
            _ => None,
        };
        Ok(BlockList { tip, blocks, next })
    })
    .await?;
    Ok(Json(list))
}

/// The size `GET /v1/fee-estimate` estimates for when not told: about a
/// payment with change (docs/spec/wallet.md §Fees).
pub const DEFAULT_ESTIMATE_BYTES: usize = 2_000;

/// The query of `GET /v1/fee-estimate`.
#[derive(Debug, serde::Deserialize)]
struct EstimateQuery {
    size: Option<String>,
}

/// `GET /v1/fee-estimate?size=N`: the fee a transaction of `N` bytes
/// (default [`DEFAULT_ESTIMATE_BYTES`], at most a block) pays to be in the
/// next block, from the mempool as it is: the block producer takes the
/// highest fee rates first, so the transaction must beat the rate of the
/// first pool transaction that would no longer fit with it; while the
/// pool and it fit in a block, the minimum relay fee rate is enough.
async fn fee_estimate(
    State(s): State<ApiState>,
    Query(q): Query<EstimateQuery>,
) -> Answer<FeeEstimate> {
    let block_bytes = s.block_bytes.max(1);
    let size = match q.size {
        None => DEFAULT_ESTIMATE_BYTES.min(block_bytes),
        Some(n) => n
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=block_bytes).contains(n))
            .ok_or_else(|| ApiError::bad_request(format!("size must be 1 to {block_bytes}")))?,
    };
    let minimum = s.chain.view().policy.min_relay_fee_rate;
    let at_rate = |rate: zkvm::FeeRate| blockchain::fee_for(rate, size);
    let mut fee = at_rate(minimum);
    let pool = s.chain.pool(usize::MAX).await?;
    let mut used = size;
    let mut congested = false;
    for entry in &pool {
        used = used.saturating_add(entry.size);
        if used > block_bytes {
            // Strictly above this entry's rate: ties keep arrival order.
            congested = true;
            fee = fee.max(at_rate(entry.fee_rate).saturating_add(1));
            break;
        }
    }
    Ok(Json(FeeEstimate {
        size: size as u64,
        fee,
        fee_rate: FeeRateAnswer {
            fee,
            bytes: size as u64,
        },
        minimum: FeeRateAnswer {
            fee: minimum.fee(),
            bytes: minimum.size(),
        },
        congested,
        block_bytes: block_bytes as u64,
        mempool: PoolSize {
            txs: pool.len(),
            bytes: pool.iter().map(|e| e.size).sum(),
        },
    }))
}

/// `404` for a path with an empty segment. The router matches a parameter
/// to an empty segment inside a path (`/v1/utxos//proof` reaches the
/// handler with an empty ID) though not at its end (`/v1/blocks/`); both
/// name no resource, so both get the same answer.
async fn empty_segments(request: Request, next: Next) -> Response {
    if request.uri().path().contains("//") {
        return not_found().await.into_response();
    }
    next.run(request).await
}

/// The error code of an answer with `status` that carries none of its own.
fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    }
}

/// The media type of a `Content-Type` header without its parameters, in
/// lower case (`Application/JSON; charset=utf-8` is `application/json`);
/// `None` if there is none or it is not text.
fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next().unwrap_or_default().trim();
    Some(essence.to_ascii_lowercase())
}

/// Turns every 4xx or 5xx answer that is not JSON into
/// `{"error", "reason"}` with the same status (and `Allow` header, on a
/// 405). The handlers' own errors are JSON already; what this catches is
/// what axum answers by itself: a wrong method (an empty body), or an
/// extractor's rejection (a line of text, which becomes the reason).
async fn json_errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    let is_error = status.is_client_error() || status.is_server_error();
    if !is_error || media_type(response.headers()).as_deref() == Some("application/json") {
        return response;
    }
    let (parts, body) = response.into_parts();
    // A rejection's text is a line; more than this is not a reason.
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let allow = parts.headers.get(header::ALLOW).cloned();
    let reason = if status == StatusCode::METHOD_NOT_ALLOWED {
        let allowed = allow.as_ref().and_then(|v| v.to_str().ok()).unwrap_or("");
        format!("{method} is not allowed on {path} (it takes {allowed})")
    } else if text.is_empty() {
        format!(
            "{} ({method} {path})",
            status.canonical_reason().unwrap_or("error")
        )
    } else {
        text
    };
    let mut answer = ApiError::new(status, code_for(status), reason).into_response();
    if let Some(allow) = allow {
        answer.headers_mut().insert(header::ALLOW, allow);
    }
    answer
}

/// Reads the request body in full before the handler runs: at most
/// `max_body_bytes` (`413`, refused from `Content-Length` before reading
/// when it says so), and within `read_timeout` of the headers (`408`).
/// The deadline is for the whole body, not between chunks, so a client
/// dribbling a byte at a time cannot hold the connection and its buffer
/// for longer either. The handler then gets the bytes already in memory.
async fn read_body(
    State(limits): State<RequestLimits>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "request bodies are limited to {} bytes",
                limits.max_body_bytes
            ),
        )
    };
    let (parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body_bytes as u64) {
        // A client waiting for `100 Continue` has sent nothing more and
        // will not: nothing to drain.
        let waits = parts.headers.contains_key(header::EXPECT);
        if !waits {
            drain(stream, limits);
        }
        return Err(too_large());
    }
    let read = async {
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk
                .map_err(|e| ApiError::bad_request(format!("cannot read the request body: {e}")))?;
            if bytes.len() + chunk.len() > limits.max_body_bytes {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    };
    let bytes = match tokio::time::timeout(limits.read_timeout, read).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => {
            if e.status == StatusCode::PAYLOAD_TOO_LARGE {
                drain(stream, limits);
            }
            return Err(e);
        }
        // The client is slow, not sending too much: no more time for it.
        Err(_) => {
            return Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                format!(
                    "the request body did not arrive within {} ms",
                    limits.read_timeout.as_millis()
                ),
            ))
        }
    };
    Ok(next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await)
}

/// Reads and discards the rest of a body refused as too large, for at most
/// `read_timeout` and another `max_body_bytes`, while the `413` goes out.
/// A client still sending would otherwise have its connection reset under
/// it (the node closing with unread bytes) and lose the answer with it.
fn drain(mut stream: BodyDataStream, limits: RequestLimits) {
    tokio::spawn(tokio::time::timeout(limits.read_timeout, async move {
        let mut left = limits.max_body_bytes;
        while let Some(Ok(chunk)) = stream.next().await {
            match left.checked_sub(chunk.len()) {
                Some(l) => left = l,
                None => break,
            }
        }
    }));
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
        let body = Json(ErrorBody {
            error: self.code.to_owned(),
            reason: self.reason,
        });
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
            NodeError::AlreadyConfirmed { .. } => (StatusCode::CONFLICT, "already_confirmed"),
            NodeError::Chain(c) => match c {
                BlockchainError::AlreadyKnown { .. } => (StatusCode::CONFLICT, "already_known"),
                BlockchainError::Conflict { .. } => (StatusCode::CONFLICT, "conflict"),
                BlockchainError::MempoolFull { .. } => {
                    (StatusCode::SERVICE_UNAVAILABLE, "mempool_full")
                }
                _ => (StatusCode::BAD_REQUEST, "rejected"),
            },
            NodeError::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            NodeError::NotProducer => (StatusCode::CONFLICT, "not_producer"),
            NodeError::Pruned(_) => (StatusCode::NOT_IMPLEMENTED, "pruned"),
            // Refused by the consensus rules: a validator-set change
            // (docs/spec/consensus.md §Validator-set changes) or a
            // block's certificate.
            NodeError::Consensus(_) => (StatusCode::BAD_REQUEST, "consensus"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        ApiError::new(status, code, reason)
    }
}

type ApiResult = Result<Json<Value>, ApiError>;

/// A handler's typed answer (crate::api_types).
type Answer<T> = Result<Json<T>, ApiError>;

/// Runs `f` on the blocking pool: database reads, which must not hold up
/// the server's threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, NodeError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::from(NodeError::Server(format!("read failed: {e}"))))?
        .map_err(ApiError::from)
}

/// A page's `limit` query parameter: `default` when absent, else a number
/// from 1 to `max` (`400` naming the range otherwise).
fn page_limit(given: Option<&str>, default: usize, max: usize) -> Result<usize, ApiError> {
    match given {
        None => Ok(default),
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=max).contains(l))
            .ok_or_else(|| ApiError::bad_request(format!("limit must be 1 to {max}"))),
    }
}

/// An ID (or any 32 bytes) given as 64 hex digits.
fn parse_id<T: std::str::FromStr<Err = HexError>>(s: &str, what: &str) -> Result<T, ApiError> {
    s.parse()
        .map_err(|_| ApiError::bad_request(format!("{what} must be 64 hex digits")))
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint (see docs/api.md)")
}

async fn status(State(s): State<ApiState>) -> Answer<Status> {
    // From the published view: answered at once, whatever the chain's
    // thread is doing.
    let net = s.net.as_ref().map(NetworkHandle::info).unwrap_or_default();
    let v = s.chain.view();
    let st = &v.state;
    let imports = s.chain.import_stats();
    Ok(Json(Status {
        network: st.initial.id().to_string(),
        height: st.tip.height,
        tip: st.tip.id().to_string(),
        tip_timestamp_ms: st.tip.timestamp_ms,
        utxo_leaves: st.utxos.num_leaves(),
        mempool: PoolSize {
            txs: v.mempool_txs,
            bytes: v.mempool_bytes,
        },
        peers: net.peers.len(),
        peer_id: net.peer_id.map(|p| p.to_string()),
        listen: net.listen.iter().map(ToString::to_string).collect(),
        producer: v.producer,
        pruned: v.pruned,
        first_block: v.first_block(),
        // What a wallet pays at least (docs/api.md §Status).
        min_relay_fee_rate: FeeRateAnswer {
            fee: v.policy.min_relay_fee_rate.fee(),
            bytes: v.policy.min_relay_fee_rate.size(),
        },
        imported: Imported {
            blocks: imports.blocks,
            txs_verified: imports.txs_verified,
            txs_known: imports.txs_known,
        },
        consensus: s.consensus.as_ref().map(|c| consensus_answer(&c.borrow())),
    }))
}

fn decision_answer(d: &consensus::Decision) -> DecisionAnswer {
    DecisionAnswer {
        height: d.height,
        round: d.round,
        block: d.block.to_string(),
        signers: d.signers.iter().map(ToString::to_string).collect(),
    }
}

/// An evidence record as answered (docs/api.md §Status, §Evidence).
fn evidence_answer(e: &consensus::Evidence) -> EvidenceAnswer {
    EvidenceAnswer {
        kind: e.kind.as_str().to_owned(),
        validator: e.validator.to_string(),
        height: e.height,
        round: e.round,
        first: e.first.map(|b| b.to_string()),
        second: e.second.map(|b| b.to_string()),
    }
}

/// Most evidence records one answer lists, and how many when the request
/// does not say.
const MAX_EVIDENCE_PAGE: usize = 1_000;
const DEFAULT_EVIDENCE_PAGE: usize = 100;

#[derive(Debug, serde::Deserialize)]
struct EvidenceQuery {
    limit: Option<String>,
}

/// `GET /v1/evidence?limit=N` (docs/api.md §Evidence): the equivocation
/// evidence this node's validator stored, newest first, at most `N`
/// (1 to [`MAX_EVIDENCE_PAGE`], 100 by default). Read from the database:
/// it survives restarts, unlike the status's records since start.
async fn evidence(
    State(s): State<ApiState>,
    Query(q): Query<EvidenceQuery>,
) -> Answer<EvidenceList> {
    let limit = page_limit(q.limit.as_deref(), DEFAULT_EVIDENCE_PAGE, MAX_EVIDENCE_PAGE)?;
    let chain = s.chain.clone();
    let records = blocking(move || chain.evidence(limit)).await?;
    Ok(Json(EvidenceList {
        evidence: records
            .iter()
            .map(|(seq, e)| StoredEvidenceAnswer {
                seq: *seq,
                record: evidence_answer(e),
            })
            .collect(),
    }))
}

/// The engine's published progress as answered (docs/api.md §Status).
fn consensus_answer(c: &consensus::ConsensusStatus) -> ConsensusAnswer {
    ConsensusAnswer {
        height: c.height,
        round: c.round,
        validator: c.address.to_string(),
        validators: c.validators,
        total_power: c.total_power,
        last_decision: c.last_decision.as_ref().map(decision_answer),
        evidence: c.evidence.iter().map(evidence_answer).collect(),
    }
}

/// The validator set and who signed the tip's certificate
/// (docs/api.md §Validators). A certificate in the store that does not
/// decode is the store's corruption: `500`.
async fn validators(State(s): State<ApiState>) -> Answer<ValidatorsAnswer> {
    let height = s.chain.view().height();
    let tip_certificate = match s.chain.decided(height)? {
        None => None,
        Some((_, bytes)) => {
            let cert = consensus::CommitCertificate::from_bytes(&bytes)
                .map_err(|e| NodeError::Corrupt(format!("certificate at {height}: {e}")))?;
            Some(DecisionAnswer {
                height: cert.height(),
                round: cert.round(),
                block: cert.block_id().to_string(),
                signers: cert
                    .signatures()
                    .iter()
                    .map(|(a, _)| a.to_string())
                    .collect(),
            })
        }
    };
    let signed = |address: &str| {
        tip_certificate
            .as_ref()
            .is_some_and(|c| c.signers.iter().any(|a| a == address))
    };
    // On a validators chain, the set that decided the tip and the
    // chain's changes; on a block-key chain, the fixed set.
    let (set, changes, pending) = match s.chain.seal() {
        Some(seal) => {
            let schedule = seal.schedule();
            let pending = schedule.pending_at(height).is_some();
            let changes: Vec<SetChangeAnswer> = schedule
                .changes()
                .iter()
                .map(|(included, c)| set_change_answer(*included, c))
                .collect();
            let pending = pending.then(|| changes.last().cloned()).flatten();
            (schedule.set_at(height).clone(), changes, pending)
        }
        None => (s.validators.clone(), Vec::new(), None),
    };
    Ok(Json(ValidatorsAnswer {
        height,
        pending,
        changes,
        total_power: set.total_power(),
        validators: set
            .validators()
            .iter()
            .map(|v| {
                let address = v.address().to_string();
                ValidatorAnswer {
                    signed_tip: signed(&address),
                    address,
                    key: hex::encode(v.key().to_bytes()),
                    power: v.power(),
                }
            })
            .collect(),
        tip_certificate,
    }))
}

/// A validator-set change as answered (docs/api.md §Validators).
fn set_change_answer(included: u64, c: &consensus::ApprovedSetChange) -> SetChangeAnswer {
    SetChangeAnswer {
        included_height: included,
        effective_height: c.change().effective_height(),
        validators: c
            .change()
            .validators()
            .validators()
            .iter()
            .map(|v| SetMemberAnswer {
                address: v.address().to_string(),
                key: hex::encode(v.key().to_bytes()),
                power: v.power(),
            })
            .collect(),
        approvals: c
            .approvals()
            .iter()
            .map(|a| a.address.to_string())
            .collect(),
    }
}

/// The connected peers as answered, with their scores and heights.
pub(crate) fn peer_answers(net: &NetInfo) -> Vec<Peer> {
    net.peers
        .iter()
        .map(|p| Peer {
            id: p.id.to_string(),
            address: p.address.to_string(),
            score: p.score,
            height: p.height,
        })
        .collect()
}

/// The connected peers with their scores and heights, and the banned ones.
async fn peers(State(s): State<ApiState>) -> Answer<Peers> {
    let net = s.net.as_ref().map(NetworkHandle::info).unwrap_or_default();
    Ok(Json(Peers {
        peer_id: net.peer_id.map(|p| p.to_string()),
        peers: peer_answers(&net),
        banned: net.banned.iter().map(ToString::to_string).collect(),
    }))
}

/// `GET /v1/assets`: the assets the genesis describes, then those whose
/// issuance records the newest blocks carry (docs/api.md).
async fn assets(State(s): State<ApiState>) -> Answer<crate::api_types::AssetList> {
    let chain = s.chain.clone();
    Ok(Json(
        blocking(move || crate::assets::known_assets(&chain)).await?,
    ))
}

async fn genesis(State(s): State<ApiState>) -> Answer<GenesisAnswer> {
    Ok(Json(GenesisAnswer {
        network: s.chain.view().state.initial.id().to_string(),
        hex: hex::encode(s.chain.genesis().to_bytes()),
    }))
}

async fn block(State(s): State<ApiState>, Path(reference): Path<String>) -> Answer<BlockAnswer> {
    let by_id = reference.len() == 64;
    let height: Option<u64> = if by_id {
        None
    } else {
        Some(reference.parse().map_err(|_| {
            ApiError::bad_request("a block is named by its height or its 64-hex-digit ID")
        })?)
    };
    let id = if by_id {
        Some(parse_id::<BlockID>(&reference, "block ID")?)
    } else {
        None
    };
    // From the database as stored, with the txids indexed when it was:
    // no VM runs, and the chain's thread is not asked.
    let chain = s.chain.clone();
    let answer = blocking(move || {
        let height = match (height, id) {
            (Some(h), _) => Some(h),
            (None, Some(id)) => chain.height_of(&id)?,
            (None, None) => None,
        };
        let Some(height) = height else {
            return Ok(None);
        };
        if height == 1 {
            let initial = chain.view().state.initial.clone();
            return Ok(Some(BlockAnswer {
                header: render::header(&initial),
                txs: Vec::new(),
                hex: None,
            }));
        }
        let Some(bytes) = chain.blocks().block_bytes(height)? else {
            return Ok(None);
        };
        let txids = chain.blocks().block_txids(height)?.ok_or_else(|| {
            NodeError::Store(crate::StoreError::Corrupt(format!(
                "block {height} has no txid index"
            )))
        })?;
        render::stored_block(&bytes, &txids).map(Some)
    })
    .await?;
    answer
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no block {reference}")))
}

async fn tx(State(s): State<ApiState>, Path(id): Path<String>) -> Answer<TxAnswer> {
    let txid = parse_id::<TxID>(&id, "transaction ID")?;
    let answer = s.chain.tx(txid).await?;
    let Some(record) = answer else {
        return Err(ApiError::not_found(format!("no transaction {id}")));
    };
    // A VM run: on the blocking pool, not on the server's threads.
    blocking(move || render::tx(&record.tx, record.location))
        .await
        .map(Json)
}

/// Accepts `{"hex": "<tx>"}` as `application/json`, or the raw encoding
/// as `application/octet-stream`; any other type, or none, is `415`
/// rather than a guess at what the bytes are.
async fn submit(State(s): State<ApiState>, headers: HeaderMap, body: Bytes) -> Answer<Submitted> {
    let bytes = match media_type(&headers).as_deref() {
        Some("application/octet-stream") => body.to_vec(),
        Some("application/json") => {
            let request: Value = serde_json::from_slice(&body)
                .map_err(|e| ApiError::bad_request(format!("body is not JSON: {e}")))?;
            let request: SubmitRequest = serde_json::from_value(request)
                .map_err(|_| ApiError::bad_request("expected {\"hex\": \"<transaction>\"}"))?;
            hex::decode(request.hex).map_err(|e| ApiError::bad_request(format!("bad hex: {e}")))?
        }
        other => {
            let got = other.map_or("no Content-Type".to_owned(), |t| {
                format!("Content-Type {t}")
            });
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "POST /v1/txs takes application/json ({{\"hex\": \"<transaction>\"}}) \
                     or application/octet-stream (the encoding itself); this request has {got}"
                ),
            ));
        }
    };
    // Cheap checks first, the VM run and the proof check on the bounded
    // verification pool, the mempool's checks on the chain's thread
    // (docs/api.md §Submit); a full pool answers 503 busy at once.
    let admitted = s.admission.admit(&s.chain, bytes).await?;
    let (bytes, outcome) = (admitted.bytes, admitted.outcome);
    if let Some(net) = &s.net {
        net.publish_tx(bytes);
    }
    Ok(Json(Submitted {
        id: outcome.txid.to_string(),
        fee_rate: outcome.fee_rate.to_f64(),
        replaced: outcome.replaced.iter().map(ToString::to_string).collect(),
        evicted: outcome.evicted.iter().map(ToString::to_string).collect(),
    }))
}

/// Options of `POST /v1/simulate`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SimulateQuery {
    /// List every instruction run.
    #[serde(default)]
    trace: bool,
    /// `FEE/BYTES` to compare the fee with.
    #[serde(default)]
    fee_rate: Option<String>,
}

/// `POST /v1/simulate`: a dry run of a witness file (docs/spec/simulate.md,
/// docs/api.md §Simulate), on the bounded verification pool (`503 busy`
/// when it is full). A program that fails is a `200` whose report has
/// `"ok": false`; a witness file that does not parse is a `400`.
async fn simulate(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Query(q): Query<SimulateQuery>,
    body: Bytes,
) -> ApiResult {
    if media_type(&headers).as_deref() != Some("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "POST /v1/simulate takes a witness file as application/json",
        ));
    }
    let fee_rate = match q.fee_rate.as_deref() {
        None => None,
        Some(r) => {
            let parsed = r.split_once('/').and_then(|(f, b)| {
                Some((
                    f.trim().parse::<u64>().ok()?,
                    b.trim().parse::<usize>().ok()?,
                ))
            });
            match parsed {
                Some((fee, bytes)) if bytes > 0 => Some(zkvm::FeeRate::new(fee, bytes)),
                _ => {
                    return Err(ApiError::bad_request(
                        "fee_rate must be FEE/BYTES, e.g. 1/1",
                    ))
                }
            }
        }
    };
    let options = zkvm::simulate::Options {
        trace: q.trace,
        fee_rate,
    };
    let report = s
        .admission
        .run(move || {
            let witness = zkvm::simulate::Witness::from_json(&body)?;
            Ok::<_, zkvm::simulate::WitnessError>(witness.simulate(&options))
        })
        .await?
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let value = serde_json::to_value(&report)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok(Json(value))
}

async fn mempool(State(s): State<ApiState>) -> Answer<MempoolAnswer> {
    let pool = s.chain.pool(usize::MAX).await?;
    Ok(Json(MempoolAnswer {
        bytes: pool.iter().map(|e| e.size).sum(),
        txs: pool
            .iter()
            .map(|e| MempoolTx {
                id: e.txid.to_string(),
                size: e.size,
                fee: e.fee_rate.fee(),
                fee_rate: e.fee_rate.to_f64(),
            })
            .collect(),
    }))
}

async fn utxo_proof(State(s): State<ApiState>, Path(id): Path<String>) -> Answer<UtxoProofAnswer> {
    let contract = parse_id::<ContractID>(&id, "contract ID")?;
    let answer = s.chain.utxo_proof(contract).await?;
    let Some((proof, height)) = answer else {
        return Err(ApiError::not_found(format!(
            "{id} is not an unspent output"
        )));
    };
    Ok(Json(UtxoProofAnswer {
        contract_id: id,
        height,
        proof: hex::encode(proof.to_bytes()),
    }))
}

async fn snapshot(State(s): State<ApiState>) -> Result<Response, ApiError> {
    let bytes = s.chain.view().state.to_snapshot();
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

/// The chain state at a past height (docs/api.md §`GET
/// /v1/snapshots/{height}`): the snapshot format of `GET /v1/snapshot` with
/// the header at `height` as its tip, and what seals that block — its
/// signature on a block-key chain, its commit certificate on a validators
/// chain (docs/spec/consensus.md §Node) — so that a wallet checks it as it
/// checks a snapshot and starts scanning above it. Every height costs one
/// table lookup, a block's first bytes and, on a validators chain, one
/// certificate lookup.
async fn past_snapshot(
    State(s): State<ApiState>,
    Path(height): Path<String>,
) -> Answer<PastStateAnswer> {
    let height: u64 = height
        .parse()
        .ok()
        .filter(|h| *h >= 1)
        .ok_or_else(|| ApiError::bad_request("a height is a number from 1"))?;
    let view = s.chain.view();
    let tip = view.state.tip.height;
    if height > tip {
        return Err(ApiError::not_found(format!(
            "no block {height}: the tip is {tip}"
        )));
    }
    let chain = s.chain.clone();
    let certified = view.state.certified();
    let past = blocking(move || {
        let blocks = chain.blocks();
        let past = blocks.past_state(height)?;
        // The certificate is stored with the block, in the same database
        // transaction (docs/spec/consensus.md §Node, Commit).
        let certificate = match (&past, certified) {
            (Some(p), true) if p.header.is_some() => {
                Some(blocks.certificate_bytes(height)?.ok_or_else(|| {
                    NodeError::Store(crate::StoreError::Corrupt(format!(
                        "block {height} of this validators chain has no certificate"
                    )))
                })?)
            }
            _ => None,
        };
        Ok(past.map(|p| (p, certificate)))
    })
    .await?;
    let Some((past, certificate)) = past else {
        return Err(ApiError::not_found(format!(
            "this node keeps no chain state at height {height} (it starts at {}): ask a full node",
            view.first_block()
        )));
    };
    // A validators chain's blocks carry no signature (the field is zero):
    // their certificate seals them.
    let (header, signature) = match past.header {
        Some((header, _)) if certified => (header, None),
        Some((header, signature)) => (header, Some(hex::encode(signature.to_bytes()))),
        None => (view.state.initial.clone(), None),
    };

    let state = blockchain::ChainState {
        initial: view.state.initial.clone(),
        tip: header,
        utxos: past.utxos,
        signers: view.state.signers,
    };
    Ok(Json(PastStateAnswer {
        height,
        id: state.tip.id().to_string(),
        hex: hex::encode(state.to_snapshot()),
        signature,
        certificate: certificate.map(hex::encode),
        set_changes: s
            .chain
            .seal()
            .map(|seal| seal.changes_between(consensus::FIRST_HEIGHT, height, usize::MAX))
            .unwrap_or_default()
            .into_iter()
            .map(|(included_height, bytes)| EncodedSetChange {
                included_height,
                hex: hex::encode(bytes),
            })
            .collect(),
    }))
}

/// The most outputs one page of `GET /v1/contracts` lists, and how many
/// when the request does not say.
const MAX_CONTRACTS_PAGE: usize = 100;
const DEFAULT_CONTRACTS_PAGE: usize = 20;

/// Runs `f` on the contract index on the blocking pool: the index is read
/// from the database, not from the chain's memory, so the chain's thread
/// is not held up by it.
async fn read_index<T: Send + 'static>(
    reader: ContractReader,
    f: impl FnOnce(&ContractReader) -> Result<T, NodeError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(move || f(&reader))
        .await
        .map_err(|e| ApiError::from(NodeError::Server(format!("index read failed: {e}"))))?
        .map_err(ApiError::from)
}

/// An output by contract ID (docs/api.md §`GET /v1/contracts/{id}`): the
/// index's record, and while it is unspent a proof of that against the
/// tip (none on a pruned node, which has no forest).
async fn contract(State(s): State<ApiState>, Path(id): Path<String>) -> Answer<ContractAnswer> {
    let cid = parse_id::<ContractID>(&id, "contract ID")?;
    let reader = s.chain.contracts().clone();
    let mut record = read_index(reader.clone(), move |r| r.contract(&cid)).await?;
    let mut proof = None;
    if record.as_ref().is_some_and(|r| r.spent.is_none()) {
        match s.chain.utxo_proof(cid).await {
            Ok(Some(p)) => proof = Some(p),
            // Spent by a block stored since the index was read.
            Ok(None) => record = read_index(reader, move |r| r.contract(&cid)).await?,
            Err(NodeError::Pruned(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let Some(record) = record else {
        return Err(ApiError::not_found(format!("no output {id}")));
    };
    let mut out = render::contract(&cid, &record);
    out.proof = match (&proof, record.spent.is_none()) {
        (Some((p, height)), true) => Some(ProofRef {
            height: *height,
            hex: hex::encode(p.to_bytes()),
            url: format!("/v1/utxos/{id}/proof"),
        }),
        _ => None,
    };
    Ok(Json(out))
}

/// The query of `GET /v1/offers`.
#[derive(Debug, serde::Deserialize)]
struct OfferQuery {
    pair: Option<String>,
    limit: Option<String>,
}

/// How many of a pair's newest tagged outputs `GET /v1/offers` reads, and
/// how many open offers it lists at most (each costs a VM run of the
/// transaction that logged its quantity).
const MAX_OFFER_SCAN: usize = 200;
const MAX_OFFERS: usize = 50;

/// `native` or a flavor as 64 hex digits.
fn parse_flavor(text: &str) -> Result<Scalar, ApiError> {
    if text == "native" {
        return Ok(Scalar::ZERO);
    }
    let bytes = encoding::decode_hex32(text)
        .map_err(|_| ApiError::bad_request("flavor must be 64 hex digits"))?;
    Option::<Scalar>::from(Scalar::from_canonical_bytes(bytes))
        .ok_or_else(|| ApiError::bad_request(format!("{text} is not a canonical flavor")))
}

/// Open offers of a pair, best price first (docs/api.md §`GET
/// /v1/offers`): the pair's tagged outputs that are unspent offers of that
/// pair, not expired by this node's clock, with the quantity their
/// transaction logged.
async fn offers(State(s): State<ApiState>, Query(q): Query<OfferQuery>) -> Answer<OffersAnswer> {
    let pair = q
        .pair
        .ok_or_else(|| ApiError::bad_request("pair=<give>/<want> is required"))?;
    let (give, want) = pair.split_once('/').ok_or_else(|| {
        ApiError::bad_request("pair is <give>/<want>, each native or 64 hex digits")
    })?;
    let (give, want) = (parse_flavor(give)?, parse_flavor(want)?);
    let limit = page_limit(q.limit.as_deref(), MAX_OFFERS, MAX_OFFERS)?;
    let tag = wallet::pair_tag(&give, &want);
    let reader = s.chain.contracts().clone();
    let page = read_index(reader, move |r| r.by_tag(&tag, None, MAX_OFFER_SCAN)).await?;
    let now = crate::server::now_ms();
    let mut open = Vec::new();
    for (position, id, record) in page.outputs {
        if record.spent.is_some() || open.len() >= limit {
            continue;
        }
        let c = &record.contract;
        let (value, terms) = match c.payload.as_slice() {
            [PortableItem::Value(v), PortableItem::String(sigs), PortableItem::String(t)]
                if sigs.to_bytes().len() == wallet::OFFER_SIGNATURES_BYTES =>
            {
                match wallet::OfferTag::from_bytes(&t.to_bytes()) {
                    Ok(terms) => (v.clone(), terms),
                    Err(_) => continue,
                }
            }
            _ => continue,
        };
        if terms.give_flavor != give || terms.want_flavor != want || terms.expires_ms <= now {
            continue;
        }
        let Some(txid) = record.created.txid else {
            continue;
        };
        let found = s.chain.tx(txid).await?;
        let Some(found) = found else { continue };
        // A VM run: on the blocking pool, not on the server's threads.
        let point = value.qty.to_point();
        let qty = tokio::task::spawn_blocking(move || {
            let pre = zkvm::Verifier::precompute(&found.tx).ok()?;
            wallet::logged_quantity(
                &point,
                pre.log.0.iter().filter_map(|e| match e {
                    zkvm::TxEntry::Data(d) => Some(d.as_slice()),
                    _ => None,
                }),
            )
        })
        .await
        .map_err(|e| ApiError::from(NodeError::Server(format!("offer read failed: {e}"))))?;
        let Some(qty) = qty else { continue };
        open.push((position, id, record.clone(), terms, qty));
    }
    // Best price for a taker first (fewest B per A), then oldest first;
    // private offers (price in their notes) after the public ones.
    open.sort_by(|a, b| {
        let key = |p: Option<(u64, u64)>| p.map(|(g, w)| (u128::from(g), u128::from(w)));
        match (key(a.3.price), key(b.3.price)) {
            (Some((ga, wa)), Some((gb, wb))) => (wa * gb).cmp(&(wb * ga)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
        .then(a.0.cmp(&b.0))
    });
    let offers = open
        .iter()
        .map(|(_, id, record, terms, qty)| Offer {
            contract_id: id.to_string(),
            maker: hex::encode(record.contract.predicate.to_point().as_bytes()),
            qty: *qty,
            private: terms.price.is_none(),
            give: terms.price.map(|p| p.0),
            want: terms.price.map(|p| p.1),
            unit_price: terms.terms().map(|t| t.unit_price()),
            expires_ms: terms.expires_ms,
            output: hex::encode(record.contract.encode_to_vec()),
            created: OfferCreated {
                txid: record.created.txid.map(|t| t.to_string()),
                height: record.created.height,
            },
        })
        .collect();
    Ok(Json(OffersAnswer { pair, offers }))
}

/// The query of `GET /v1/contracts`, parsed by hand for precise reasons.
#[derive(Debug, serde::Deserialize)]
struct TagQuery {
    tag: Option<String>,
    limit: Option<String>,
    after: Option<String>,
}

/// A page cursor: the last listed output's position as 32 hex digits
/// (`BE64 height || BE32 index || BE32 entry`).
fn cursor((height, index, entry): OutputPosition) -> String {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&height.to_be_bytes());
    b[8..12].copy_from_slice(&index.to_be_bytes());
    b[12..].copy_from_slice(&entry.to_be_bytes());
    hex::encode(b)
}

fn parse_cursor(s: &str) -> Result<OutputPosition, ApiError> {
    let mut b = [0u8; 16];
    hex::decode_to_slice(s, &mut b).map_err(|_| {
        ApiError::bad_request("after must be a cursor from a page's \"next\" (32 hex digits)")
    })?;
    let mut h = [0u8; 8];
    h.copy_from_slice(&b[..8]);
    let mut i = [0u8; 4];
    i.copy_from_slice(&b[8..12]);
    let mut e = [0u8; 4];
    e.copy_from_slice(&b[12..]);
    Ok((
        u64::from_be_bytes(h),
        u32::from_be_bytes(i),
        u32::from_be_bytes(e),
    ))
}

/// Outputs by data tag, newest first (docs/api.md §`GET /v1/contracts`).
async fn contracts_by_tag(
    State(s): State<ApiState>,
    Query(q): Query<TagQuery>,
) -> Answer<ContractsPage> {
    let tag_hex = q
        .tag
        .ok_or_else(|| ApiError::bad_request("tag=<hex> is required"))?;
    let tag = hex::decode(&tag_hex)
        .ok()
        .filter(|t| (1..=crate::store::MAX_TAG_BYTES).contains(&t.len()))
        .ok_or_else(|| ApiError::bad_request("tag must be hex of 1 to 64 bytes"))?;
    let limit = page_limit(
        q.limit.as_deref(),
        DEFAULT_CONTRACTS_PAGE,
        MAX_CONTRACTS_PAGE,
    )?;
    let after = q.after.as_deref().map(parse_cursor).transpose()?;
    let reader = s.chain.contracts().clone();
    let page = read_index(reader, move |r| r.by_tag(&tag, after, limit)).await?;
    Ok(Json(ContractsPage {
        tag: tag_hex.to_ascii_lowercase(),
        outputs: page
            .outputs
            .iter()
            .map(|(_, id, record)| render::contract(id, record))
            .collect(),
        next: page.next.map(cursor),
    }))
}
