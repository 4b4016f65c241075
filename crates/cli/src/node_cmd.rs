//! `zkvm node …`: create a node's data directory from a genesis, and run
//! the node (docs/api.md §Configuration, §Running).

use std::net::SocketAddr;
use std::path::PathBuf;

use blockchain::{BlockID, Genesis};
use clap::{Args, Subcommand};
use curve25519_dalek::scalar::Scalar;
use node::{Chain, NodeConfig};
use zeroize::Zeroizing;
use zkvm::FeeRate;

use crate::{input, Error, Output};

/// Settings shared by `zkvm node run` and `zkvm devnet`: a configuration
/// file, then flags over it.
#[derive(Debug, Args)]
pub struct NodeArgs {
    /// TOML configuration file (docs/api.md §Configuration); without it,
    /// `<data-dir>/config.toml` if there is one.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// What to log: a level (`error`, `warn`, `info`, `debug`, `trace`)
    /// or `RUST_LOG`-style directives such as `info,node=debug`; it
    /// overrides `RUST_LOG` (default `info`).
    #[arg(long, value_name = "FILTER")]
    pub log_level: Option<String>,
    /// Data directory (overrides the file).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// API listening address, e.g. 127.0.0.1:9797 (port 0: any free port).
    #[arg(long)]
    pub api_addr: Option<SocketAddr>,
    /// Block production interval in milliseconds.
    #[arg(long)]
    pub block_interval_ms: Option<u64>,
    /// Interval before a producer makes an empty block, in milliseconds
    /// (0: never).
    #[arg(long)]
    pub empty_block_interval_ms: Option<u64>,
    /// Peer-to-peer listening address, `host:port` or a multiaddr
    /// (repeatable; replaces the file's list; default 127.0.0.1:9798).
    #[arg(long = "listen", value_name = "ADDR")]
    pub listen: Vec<String>,
    /// A peer to connect to, `host:port` or a multiaddr (repeatable; added
    /// to the file's list).
    #[arg(long = "peer", value_name = "ADDR")]
    pub peers: Vec<String>,
    /// Peers to reach by asking peers for theirs (0: only the configured
    /// ones; default 8).
    #[arg(long)]
    pub target_peers: Option<usize>,
    /// The least fee rate the mempool relays, FEE/BYTES (default 1/2000:
    /// one unit per 2,000 bytes; docs/spec/blockchain.md §Mempool, Relay
    /// fees).
    #[arg(long, alias = "min-fee-rate", value_name = "FEE/BYTES", value_parser = blockchain::parse_fee_rate)]
    pub min_relay_fee_rate: Option<FeeRate>,
    /// What a replacement pays for its own size on top of the fees it
    /// replaces, FEE/BYTES (default 1/2000).
    #[arg(long, value_name = "FEE/BYTES", value_parser = blockchain::parse_fee_rate)]
    pub incremental_relay_fee_rate: Option<FeeRate>,
    /// Have the consensus engine decide this node's blocks, listening on
    /// this multiaddr (e.g. /ip4/127.0.0.1/tcp/27000); the node must hold
    /// the block key, its validator key (docs/spec/consensus.md §Node).
    #[arg(long, value_name = "MULTIADDR")]
    pub consensus_listen: Option<String>,
    /// Another validator's consensus address, a multiaddr (repeatable;
    /// added to the file's list).
    #[arg(long = "consensus-peer", value_name = "MULTIADDR")]
    pub consensus_peers: Vec<String>,
}

impl NodeArgs {
    /// The configuration: defaults, then the file, then the flags.
    pub fn config(&self) -> Result<NodeConfig, Error> {
        let mut c = match &self.config {
            Some(path) => NodeConfig::from_file(path)?,
            None => {
                let dir = self
                    .data_dir
                    .clone()
                    .unwrap_or_else(|| NodeConfig::default().data_dir);
                NodeConfig::for_data_dir(&dir)?
            }
        };
        if let Some(d) = &self.data_dir {
            c.data_dir = d.clone();
        }
        if let Some(a) = self.api_addr {
            c.api_addr = a;
        }
        if let Some(ms) = self.block_interval_ms {
            c.block_interval_ms = ms;
        }
        if let Some(ms) = self.empty_block_interval_ms {
            c.empty_block_interval_ms = ms;
        }
        if !self.listen.is_empty() {
            c.listen = self.listen.clone();
        }
        c.peers.extend(self.peers.iter().cloned());
        if let Some(n) = self.target_peers {
            c.target_peers = n;
        }
        if let Some(rate) = self.min_relay_fee_rate {
            c.min_relay_fee_rate = rate;
        }
        if let Some(rate) = self.incremental_relay_fee_rate {
            c.incremental_relay_fee_rate = rate;
        }
        if let Some(addr) = &self.consensus_listen {
            c.consensus_listen = Some(addr.clone());
        }
        c.consensus_peers
            .extend(self.consensus_peers.iter().cloned());
        c.validate()?;
        Ok(c)
    }
}

/// The `node` subcommands.
#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// Run the node on an existing data directory until Ctrl-C or SIGTERM.
    Run(NodeArgs),
    /// Create a data directory for the network of a genesis.
    Init {
        #[command(flatten)]
        node: NodeArgs,
        /// The genesis (docs/spec/blockchain.md §Genesis), hex or binary.
        #[arg(long)]
        genesis: PathBuf,
        /// The block-signing key's scalar (32 bytes, hex or binary), for the
        /// node that produces blocks.
        #[arg(long, conflicts_with = "from_snapshot")]
        block_key: Option<PathBuf>,
        /// Start from a peer's snapshot (given with --peer) instead of the
        /// genesis: the node keeps no UTXO set and no older blocks
        /// (docs/spec/network.md §Bootstrap).
        #[arg(long)]
        from_snapshot: bool,
        /// The ID of a block the snapshot's tip must be (hex); without it the
        /// tip is checked through the signed headers from the genesis.
        #[arg(long, requires = "from_snapshot")]
        trusted_block: Option<String>,
    },
    /// Stop the node (or devnet) running in a data directory, gracefully:
    /// it finishes the requests in progress, stops producing and closes
    /// its database (docs/api.md §Stopping). Waits until it has exited.
    Stop {
        /// The node's data directory.
        #[arg(long, default_value = "zkvm-data")]
        data_dir: PathBuf,
        /// How long to wait for it to exit, in seconds.
        #[arg(long, default_value_t = 60)]
        wait_secs: u64,
    },
}

impl NodeCommand {
    /// The `--log-level` given to the subcommand, if any.
    pub fn log_level(&self) -> Option<&str> {
        match self {
            NodeCommand::Run(args) | NodeCommand::Init { node: args, .. } => {
                args.log_level.as_deref()
            }
            NodeCommand::Stop { .. } => None,
        }
    }
}

/// Runs a `node` subcommand.
pub fn run(command: NodeCommand) -> Result<Output, Error> {
    match command {
        NodeCommand::Run(args) => {
            let config = args.config()?;
            check_can_start(&config)?;
            let path = config.db_path();
            let limits = config.limits();
            serve_until_stopped(
                &config,
                move || Chain::open(&path, limits),
                |addr| {
                    use std::io::Write;
                    // Scripts and tests read the address when it is port 0.
                    println!("API: http://{addr}");
                    let _ = std::io::stdout().flush();
                },
            )?;
            Ok(Output::Text(String::new()))
        }
        NodeCommand::Stop {
            data_dir,
            wait_secs,
        } => {
            let pid =
                node::lock::request_stop(&data_dir, std::time::Duration::from_secs(wait_secs))?;
            Ok(Output::Json(serde_json::json!({
                "stopped": pid,
                "data_dir": data_dir.display().to_string(),
            })))
        }
        NodeCommand::Init {
            node,
            genesis,
            block_key,
            from_snapshot,
            trusted_block,
        } => {
            let config = node.config()?;
            let genesis = Genesis::from_bytes(&input::read_bytes(&genesis)?)
                .map_err(|e| Error::Usage(format!("bad genesis: {e}")))?;
            let key = match block_key {
                None => None,
                Some(path) => {
                    let bytes = Zeroizing::new(input::read_bytes(&path)?);
                    let key = <[u8; 32]>::try_from(bytes.as_slice())
                        .ok()
                        .filter(|b| bool::from(Scalar::from_canonical_bytes(*b).is_some()))
                        .ok_or_else(|| {
                            Error::Usage("the block key must be a 32-byte canonical scalar".into())
                        })?;
                    Some(Zeroizing::new(key))
                }
            };
            let trusted = trusted_block
                .map(|h| {
                    h.trim().parse::<BlockID>().map_err(|e| {
                        Error::Usage(format!("--trusted-block takes 64 hex digits: {e}"))
                    })
                })
                .transpose()?;
            // A failed init (no peer answers, a bad snapshot) leaves nothing
            // behind: what it created is removed, so the same command can
            // simply be run again.
            let dir_existed = config.data_dir.exists();
            let db_existed = config.db_path().exists();
            std::fs::create_dir_all(&config.data_dir).map_err(|e| {
                Error::Usage(format!("cannot create {}: {e}", config.data_dir.display()))
            })?;
            let made = if from_snapshot {
                fetch_snapshot(&config, &genesis, trusted).and_then(|snapshot| {
                    Ok(Chain::init_from_snapshot(
                        &config.db_path(),
                        genesis,
                        snapshot.state,
                        &snapshot.set_changes,
                        config.limits(),
                    )?)
                })
            } else {
                Chain::init(&config.db_path(), genesis, key, config.limits()).map_err(Error::from)
            };
            let chain = match made {
                Ok(chain) => chain,
                Err(e) => {
                    if !dir_existed {
                        let _ = std::fs::remove_dir_all(&config.data_dir);
                    } else if !db_existed {
                        let _ = std::fs::remove_file(config.db_path());
                    }
                    return Err(e);
                }
            };
            Ok(Output::Json(serde_json::json!({
                "data_dir": config.data_dir.display().to_string(),
                "network": chain.state().initial.id().to_string(),
                "producer": chain.is_producer(),
                "height": chain.state().tip.height,
                "pruned": chain.is_pruned(),
            })))
        }
    }
}

/// Fetches and checks a snapshot from the configured peers.
fn fetch_snapshot(
    config: &NodeConfig,
    genesis: &Genesis,
    trusted: Option<BlockID>,
) -> Result<node::network::VerifiedSnapshot, Error> {
    let peers = config.network_settings()?.peers;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the runtime: {e}")))?;
    let state = runtime.block_on(node::network::fetch_snapshot(
        genesis,
        &peers,
        trusted,
        std::time::Duration::from_secs(60),
    ))?;
    Ok(state)
}

/// Starts the node (the one launcher, [`node::RunningNode`]) with the
/// chain `open` makes, holding its data directory's lock
/// ([`node::lock`]), and serves until Ctrl-C, SIGTERM or `zkvm node
/// stop`; `ready` gets the bound address first.
pub fn serve_until_stopped(
    config: &NodeConfig,
    open: impl FnOnce() -> Result<Chain, node::NodeError> + Send + 'static,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), Error> {
    // Without the directory there is no chain: opening it says so.
    let lock = config
        .data_dir
        .is_dir()
        .then(|| node::lock::DataDirLock::acquire(&config.data_dir))
        .transpose()?;
    let node = node::RunningNode::start(config.clone(), open)?;
    ready(node.addr);
    let stop_file = node::lock::stop_requested(config.data_dir.clone());
    let result = node
        .run_until(async move {
            tokio::select! {
                () = stop_signal() => {}
                () = stop_file => {}
            }
        })
        .map_err(Error::Node);
    drop(lock);
    result
}

/// Fails if a live node holds `config`'s data directory, or if an
/// address the node listens on is taken: checked before anything is
/// created there.
pub fn check_can_start(config: &NodeConfig) -> Result<(), Error> {
    if let Some(pid) = node::lock::running_pid(&config.data_dir) {
        return Err(node::lock::already_running(&config.data_dir, pid).into());
    }
    config.check_ports_free()?;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("stopping");
}
