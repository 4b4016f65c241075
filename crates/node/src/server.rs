//! Running a node: the API server and, on a node holding the block key,
//! the block producer (docs/api.md §Running).

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{debug, error, info, warn};

use crate::actor::ChainHandle;
use crate::api::{router, ApiState, RequestLimits};
use crate::chain::Chain;
use crate::network::{node_key, start_network, NetworkHandle};
use crate::{NodeConfig, NodeError};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Starts the network of the node configured by `config` (its key in the
/// data directory, its addresses) until `stop` turns true.
async fn start_node_network(
    chain: &ChainHandle,
    config: &NodeConfig,
    stop: watch::Receiver<bool>,
) -> Result<(NetworkHandle, JoinHandle<()>), NodeError> {
    let key = node_key(&config.data_dir)?;
    start_network(chain.clone(), key, config.network_settings()?, stop).await
}

async fn serve_parts(
    chain: ChainHandle,
    config: &NodeConfig,
    listener: TcpListener,
    (net, net_task): (NetworkHandle, JoinHandle<()>),
    (stop_tx, stop_rx): (watch::Sender<bool>, watch::Receiver<bool>),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), NodeError> {
    let validators = validator_set(&chain)?;
    let engine = match &config.consensus_listen {
        Some(listen) => start_validator(&chain, config, listen, &net, validators.clone()).await?,
        None => None,
    };
    let producer = (chain.view().producer && engine.is_none()).then(|| {
        tokio::spawn(produce(
            chain.clone(),
            Some(net.clone()),
            config.block_interval(),
            Duration::from_millis(config.empty_block_interval_ms),
            stop_rx.clone(),
        ))
    });
    let state = ApiState {
        chain,
        admission: net.admission().clone(),
        net: Some(net),
        block_bytes: config.block_bytes,
        cors_origins: config.cors_origins.clone(),
        validators,
        consensus: engine.as_ref().map(consensus::Running::status),
    };
    let mut app = router(
        state.clone(),
        RequestLimits {
            max_body_bytes: config.max_request_bytes,
            read_timeout: config.request_read_timeout(),
        },
    );
    if config.explorer {
        app = crate::explorer::mount(app, state);
    }
    let addr = listener
        .local_addr()
        .map_err(|e| NodeError::Server(e.to_string()))?;
    info!(%addr, "API listening");
    serve_http(listener, app, config.request_read_timeout(), shutdown).await;
    let _ = stop_tx.send(true);
    if let Some(engine) = engine {
        engine.stop().await;
    }
    if let Some(p) = producer {
        let _ = p.await;
    }
    let _ = net_task.await;
    info!("node stopped");
    Ok(())
}

/// Serves `app` over HTTP/1 on `listener` until `shutdown` completes, then
/// lets the requests in progress finish and returns once every connection
/// is closed (idle ones close at once).
///
/// This is `axum::serve` with one difference: hyper gets a timer and
/// `header_timeout`, which `axum::serve` cannot set, so a client must send
/// each request's headers within it (an idle keep-alive connection counts
/// as a request whose headers have not arrived, and is closed too). Such a
/// connection is closed without an answer; the body's own deadline is the
/// API's (`408`, crate::api).
async fn serve_http(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    // Shutdown is announced on `closing`; every connection task holds a
    // clone of `open`, so `open_tx.closed()` waits for the last of them.
    let (closing_tx, closing) = watch::channel(false);
    let (open_tx, open) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, typically: let some close
                    // rather than spin.
                    warn!(%e, "cannot accept an API connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let mut closing = closing.clone();
        let open = open.clone();
        tokio::spawn(async move {
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            let result = tokio::select! {
                result = conn.as_mut() => result,
                _ = closing.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                debug!(%e, "API connection ended");
            }
            drop(open);
        });
    }
    drop(listener);
    let _ = closing_tx.send(true);
    drop(open);
    open_tx.closed().await;
}

/// The validator set of this node's chain at its start (docs/spec/
/// consensus.md §Node): on a validators chain, the set in force at the
/// tip's successor (the genesis's until a change takes effect); on a
/// block-key chain, the signers key alone, power 1. The engine and `GET
/// /v1/validators` both start from it, on validators and followers alike;
/// on a validators chain both then follow the chain's schedule.
fn validator_set(chain: &ChainHandle) -> Result<consensus::ValidatorSet, NodeError> {
    if let Some(seal) = chain.seal() {
        return seal.set_at(chain.view().height() + 1);
    }
    Ok(consensus::ValidatorSet::new(vec![
        consensus::Validator::new(consensus::ValidatorKey::new(chain.genesis().signers)?, 1)?,
    ])?)
}

/// This node's validator key, if it is a validator of `set`
/// (docs/spec/consensus.md §Node): on a validators chain, when the key in
/// its [`crate::VALIDATOR_KEY_FILE`] is in the genesis's set; on a
/// block-key chain, when it holds the block key.
async fn validator_identity(
    chain: &ChainHandle,
    config: &NodeConfig,
    set: &consensus::ValidatorSet,
) -> Result<Option<musig::SecretKey>, NodeError> {
    if chain.seal().is_none() {
        return chain.validator_key().await;
    }
    let path = config.data_dir.join(crate::VALIDATOR_KEY_FILE);
    let Some(key) = crate::read_validator_key(&path)? else {
        info!("no validator key: following the validators");
        return Ok(None);
    };
    let address = consensus::ValidatorKey::new(key.verification_key())?.address();
    if set.get(&address).is_none() {
        // The engine runs anyway: it follows, and votes from the height a
        // validator-set change adds this key at (docs/spec/consensus.md
        // §Validator-set changes, Engine).
        warn!(%address, "this node's validator key is not in the current set: the engine follows until a change adds it");
    }
    if chain.view().pruned {
        return Err(NodeError::Config(
            "a validator needs the full UTXO set to propose blocks: this node bootstrapped from a snapshot".into(),
        ));
    }
    Ok(Some(key))
}

/// Starts this node's consensus engine (docs/spec/consensus.md §Node) for
/// the validator set `set` ([`validator_set`]) if it is a validator
/// ([`validator_identity`]), its WAL in `<data_dir>/consensus`. Blocks are
/// then decided by the engine and announced to followers as they are
/// stored.
async fn start_validator(
    chain: &ChainHandle,
    config: &NodeConfig,
    listen: &str,
    net: &NetworkHandle,
    set: consensus::ValidatorSet,
) -> Result<Option<consensus::Running>, NodeError> {
    let Some(key) = validator_identity(chain, config, &set).await? else {
        return Ok(None);
    };
    let addr = |a: &str| {
        a.parse::<consensus::Multiaddr>()
            .map_err(|e| NodeError::Config(format!("consensus address {a}: {e}")))
    };
    let peers = config
        .consensus_peers
        .iter()
        .map(|p| addr(p))
        .collect::<Result<Vec<_>, _>>()?;
    let engine_config = consensus::Config {
        chain: consensus::ChainId::from_genesis(chain.view().state.initial.id()),
        moniker: config.data_dir.display().to_string(),
        home: config.data_dir.join("consensus"),
        listen: addr(listen)?,
        peers,
        timeouts: consensus::Timeouts::default(),
    };
    // The engine's network identity is its own, fresh at each start: its
    // peers are dialled by address, and votes are signed by the validator
    // key, not by this one.
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
    let network_key = consensus::NetworkKeypair::ed25519_from_bytes(seed)
        .map_err(|e| NodeError::Server(format!("consensus network key: {e}")))?;
    let timeouts = engine_config.timeouts;
    let pace = crate::Pace {
        block_interval: config.block_interval(),
        // At most half the propose timeout: an empty proposal still
        // arrives in time. The engine decides a block at every height, so
        // "never an empty block" (0) cannot hold: it waits the most.
        empty_wait: match config.empty_block_interval_ms {
            0 => timeouts.propose / 2,
            ms => (timeouts.propose / 2).min(Duration::from_millis(ms)),
        },
    };
    let app = crate::NodeApp::new(chain.clone(), pace, Some(net.clone()));
    info!(
        listen,
        validators = set.validators().len(),
        "consensus engine starting"
    );
    Ok(Some(
        consensus::start(engine_config, network_key, key, set, app).await?,
    ))
}

/// The block producer: every `interval`, a block if the mempool holds
/// transactions, or an empty one if `empty_interval` (non-zero) has passed
/// since the last block.
async fn produce(
    chain: ChainHandle,
    net: Option<NetworkHandle>,
    interval: Duration,
    empty_interval: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_block = Instant::now();
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.changed() => return,
        }
        let idle = last_block.elapsed();
        let empty_due = !empty_interval.is_zero() && idle >= empty_interval;
        match chain.produce(now_ms(), empty_due).await {
            Ok(Some(made)) => {
                last_block = Instant::now();
                if let Some(net) = &net {
                    net.publish_block(made.block, made.summary.txids);
                }
            }
            Ok(None) => {}
            Err(e) => error!(%e, "block production failed"),
        }
    }
}

/// A node running on its own threads: the one way to start a node, used
/// by `zkvm node run`, `zkvm devnet`, tests and benchmarks. Stop it with
/// [`RunningNode::stop`], or serve until a signal with
/// [`RunningNode::run_until`].
#[derive(Debug)]
pub struct RunningNode {
    /// The API's address.
    pub addr: SocketAddr,
    net: NetworkHandle,
    chain: Option<ChainHandle>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// Completes when the node's thread ends (a failure stops it too).
    ended: Option<tokio::sync::oneshot::Receiver<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), NodeError>>>,
}

impl RunningNode {
    /// Opens the chain with `open` on its own thread and serves it with
    /// `config` (binding `config.api_addr`; port 0 picks a free one).
    pub fn start(
        config: NodeConfig,
        open: impl FnOnce() -> Result<Chain, NodeError> + Send + 'static,
    ) -> Result<RunningNode, NodeError> {
        let (chain, chain_thread) = ChainHandle::spawn(open)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| NodeError::Server(e.to_string()))?;
        let listener = runtime
            .block_on(TcpListener::bind(config.api_addr))
            .map_err(|e| NodeError::Server(format!("cannot listen on {}: {e}", config.api_addr)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| NodeError::Server(e.to_string()))?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let stop_net = watch::channel(false);
        let network = runtime.block_on(start_node_network(&chain, &config, stop_net.1.clone()))?;
        let net = network.0.clone();
        let handle = chain.clone();
        let (ended_tx, ended) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("zkvm-node".into())
            .spawn(move || {
                let _ended = ended_tx;
                let serving =
                    serve_parts(chain, &config, listener, network, stop_net, async move {
                        let _ = stopped.await;
                    });
                let result = runtime.block_on(serving);
                // Every handle is gone once the runtime is: the chain's
                // thread ends and closes the database.
                drop(runtime);
                let _ = chain_thread.join();
                result
            })
            .map_err(|e| NodeError::Server(e.to_string()))?;
        Ok(RunningNode {
            addr,
            net,
            chain: Some(handle),
            stop: Some(stop),
            ended: Some(ended),
            thread: Some(thread),
        })
    }

    /// Serves until `shutdown` completes (or the node stops by itself),
    /// then stops the node and returns how it ended.
    pub fn run_until(
        mut self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), NodeError> {
        let ended = self.ended.take();
        let waiting = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| NodeError::Server(e.to_string()))?;
        waiting.block_on(async move {
            tokio::select! {
                () = shutdown => {}
                _ = async move {
                    if let Some(ended) = ended {
                        let _ = ended.await;
                    }
                } => {}
            }
        });
        self.shutdown()
    }

    /// A handle on the node's chain (for tests and tools in-process).
    pub fn chain(&self) -> Option<&ChainHandle> {
        self.chain.as_ref()
    }

    /// The node's network.
    pub fn network(&self) -> &NetworkHandle {
        &self.net
    }

    /// The API's base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving and producing, and waits for it.
    pub fn stop(mut self) -> Result<(), NodeError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), NodeError> {
        self.chain = None;
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(t) => t
                .join()
                .map_err(|_| NodeError::Server("node thread panicked".into()))?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningNode {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}
