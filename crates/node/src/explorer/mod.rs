//! The block explorer the node serves on its API address
//! (docs/explorer.md): a page shell, its script and style sheet, and the
//! WebAssembly verifier, all embedded in the binary, plus the few JSON
//! answers the pages need beyond the public API (docs/api.md) — a
//! transaction with its inputs' and outputs' neighbours, a block without
//! its encoding, an asset's public issuances, the block signers, search.
//!
//! The pages read everything through JSON and render it in the browser:
//! the node sends no HTML built from chain data, so nothing on the chain
//! can inject markup. Off with `explorer = false` in the configuration.

mod answers;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::api::ApiState;
use crate::NodeError;

pub use answers::{
    issuance_metadata, AssetAnswer, AssetEvent, ExplorerBlock, ExplorerInput, ExplorerOutput,
    ExplorerTx, NetworkAnswer, SearchAnswer, ASSET_SCAN_BLOCKS,
};

include!(concat!(env!("OUT_DIR"), "/verify_wasm.rs"));

/// The page shell: every explorer path gets it, and its script renders
/// the page the path names.
const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const STYLE_CSS: &str = include_str!("assets/style.css");

/// The explorer's routes, for [`mount`].
fn routes(state: ApiState) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/block/{reference}", get(page))
        .route("/tx/{id}", get(page))
        .route("/contract/{id}", get(page))
        .route("/asset/{flavor}", get(page))
        .route("/network", get(page))
        .route("/search", get(page))
        .route("/explorer/app.js", get(app_js))
        .route("/explorer/style.css", get(style_css))
        .route("/explorer/verify.wasm", get(verify_wasm))
        .route("/explorer/api/block/{reference}", get(block))
        .route("/explorer/api/tx/{id}", get(tx))
        .route("/explorer/api/asset/{flavor}", get(asset))
        .route("/explorer/api/network", get(network))
        .route("/explorer/api/search", get(search))
        .with_state(state)
}

/// `api` with the explorer's routes beside it; the API's own routes and
/// its fallback keep answering everything else.
pub fn mount(api: Router, state: ApiState) -> Router {
    routes(state).merge(api)
}

/// A refusal: a status and a reason, as the API's `{"error", "reason"}`.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    code: &'static str,
    reason: String,
}

impl Refusal {
    fn bad_request(reason: impl Into<String>) -> Self {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            reason: reason.into(),
        }
    }

    fn not_found(reason: impl Into<String>) -> Self {
        Refusal {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            reason: reason.into(),
        }
    }
}

impl From<NodeError> for Refusal {
    fn from(e: NodeError) -> Self {
        let (status, code) = match e {
            NodeError::Pruned(_) => (StatusCode::NOT_IMPLEMENTED, "pruned"),
            NodeError::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        Refusal {
            status,
            code,
            reason: e.to_string(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = crate::api_types::ErrorBody {
            error: self.code.to_owned(),
            reason: self.reason,
        };
        (self.status, Json(body)).into_response()
    }
}

type Answer<T> = Result<Json<T>, Refusal>;

/// Runs a database read (or a VM run) on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, NodeError> + Send + 'static,
) -> Result<T, Refusal> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Refusal::from(NodeError::Server(format!("read failed: {e}"))))?
        .map_err(Refusal::from)
}

fn found<T: Serialize>(answer: Option<T>, what: impl FnOnce() -> String) -> Answer<T> {
    answer.map(Json).ok_or_else(|| Refusal::not_found(what()))
}

/// Static text with its type; the assets change only with the binary, so
/// a browser may keep them for a while.
fn asset_answer(content_type: &'static str, body: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

/// Every page: the shell, whose script reads the path.
async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // Scripts and styles only from this node, and the wasm
            // verifier compiled in the page ('wasm-unsafe-eval').
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
                 style-src 'self'; img-src 'self' data:; object-src 'none'; \
                 base-uri 'none'; frame-ancestors 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        INDEX_HTML,
    )
        .into_response()
}

async fn app_js() -> Response {
    asset_answer("text/javascript; charset=utf-8", APP_JS.as_bytes())
}

async fn style_css() -> Response {
    asset_answer("text/css; charset=utf-8", STYLE_CSS.as_bytes())
}

/// The verifier module, or `404` with the reason when this node was built
/// without it.
async fn verify_wasm() -> Response {
    match VERIFY_WASM {
        Some(bytes) => asset_answer("application/wasm", bytes),
        None => Refusal::not_found(
            "this node was built without the WebAssembly verifier \
             (run scripts/build-verify-wasm.sh, then rebuild)",
        )
        .into_response(),
    }
}

/// `GET /explorer/api/block/{height or ID}`.
async fn block(State(s): State<ApiState>, Path(reference): Path<String>) -> Answer<ExplorerBlock> {
    let reference = answers::BlockRef::parse(&reference).map_err(Refusal::bad_request)?;
    let chain = s.chain.clone();
    let answer = blocking(move || answers::block(&chain, reference)).await?;
    found(answer, || "no such block".to_owned())
}

/// `GET /explorer/api/tx/{txid}`.
async fn tx(State(s): State<ApiState>, Path(id): Path<String>) -> Answer<ExplorerTx> {
    let txid: zkvm::TxID = id
        .parse()
        .map_err(|_| Refusal::bad_request("a transaction ID is 64 hex digits"))?;
    let Some(record) = s.chain.tx(txid).await? else {
        return Err(Refusal::not_found(format!("no transaction {id}")));
    };
    let chain = s.chain.clone();
    let answer = blocking(move || answers::tx(&chain, &record)).await?;
    Ok(Json(answer))
}

/// `GET /explorer/api/asset/{flavor}`.
async fn asset(State(s): State<ApiState>, Path(flavor): Path<String>) -> Answer<AssetAnswer> {
    let flavor = answers::parse_flavor(&flavor).map_err(Refusal::bad_request)?;
    let chain = s.chain.clone();
    let answer = blocking(move || answers::asset(&chain, flavor)).await?;
    Ok(Json(answer))
}

/// `GET /explorer/api/network`.
async fn network(State(s): State<ApiState>) -> Answer<NetworkAnswer> {
    Ok(Json(answers::network(&s)))
}

/// The query of `GET /explorer/api/search`.
#[derive(Debug, serde::Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

/// `GET /explorer/api/search?q=`: a height, block ID, txid or contract ID
/// (or `native`), and the page that shows it.
async fn search(State(s): State<ApiState>, Query(q): Query<SearchQuery>) -> Answer<SearchAnswer> {
    let text = q.q.unwrap_or_default().trim().to_ascii_lowercase();
    if text.is_empty() {
        return Err(Refusal::bad_request("search for a height or an ID"));
    }
    let chain = s.chain.clone();
    let query = text.clone();
    let local = blocking(move || answers::search_stored(&chain, &query)).await?;
    if let Some(answer) = local {
        return Ok(Json(answer));
    }
    // A pending transaction is in the mempool, which the chain's thread
    // holds.
    if let Ok(txid) = text.parse::<zkvm::TxID>() {
        if s.chain.tx(txid).await?.is_some() {
            return Ok(Json(SearchAnswer::new("tx", format!("/tx/{text}"))));
        }
    }
    Err(Refusal::not_found(format!(
        "nothing on this chain is named {text}"
    )))
}
