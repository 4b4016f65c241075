//! The network as the rest of the node sees it (docs/spec/network.md):
//! its settings, a handle to publish and to read its state, and
//! [`start_network`], which starts the driver task that owns the swarm.

use std::sync::{Arc, Mutex};

use blockchain::Block;
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};
use tokio::sync::{mpsc, watch};
use tracing::info;
use zkvm::TxID;

use super::behaviour::build_swarm;
use super::chain::{ChainAccess, NodeChain};
use super::driver::Driver;
use super::protocol::Names;
use crate::actor::ChainHandle;
use crate::admission::{Admission, AdmissionSettings};
use crate::NodeError;

/// What the network is told to do.
#[derive(Clone, Debug)]
pub struct NetworkSettings {
    /// Addresses to listen on.
    pub listen: Vec<Multiaddr>,
    /// Peers to dial, and redial when the connection drops.
    pub peers: Vec<Multiaddr>,
    /// Announce produced blocks as compact blocks (short transaction IDs)
    /// rather than whole.
    pub compact: bool,
    /// While connected to fewer peers, ask peers for theirs and dial them.
    pub target_peers: usize,
    /// Inbound connections accepted at most.
    pub max_inbound: u32,
    /// The verification pool shared with the API (docs/spec/network.md
    /// §Admission).
    pub admission: AdmissionSettings,
}

/// A connected peer, as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerView {
    /// Its peer ID.
    pub id: PeerId,
    /// The address of the connection.
    pub address: Multiaddr,
    /// Its score (docs/spec/network.md §Scoring).
    pub score: i32,
    /// Its tip's height, once it said.
    pub height: Option<u64>,
}

/// The network's state, as the API shows it.
#[derive(Clone, Debug, Default)]
pub struct NetInfo {
    /// This node's peer ID.
    pub peer_id: Option<PeerId>,
    /// Where it listens.
    pub listen: Vec<Multiaddr>,
    /// Connected peers.
    pub peers: Vec<PeerView>,
    /// Peers cut off for misbehaving.
    pub banned: Vec<PeerId>,
}

pub(super) enum Command {
    PublishTx(Vec<u8>),
    PublishBlock(Box<Block>, Vec<TxID>),
}

/// Talks to the network's driver; cheap to clone.
#[derive(Clone, Debug)]
pub struct NetworkHandle {
    commands: mpsc::UnboundedSender<Command>,
    info: Arc<Mutex<NetInfo>>,
    admission: Admission,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::PublishTx(b) => write!(f, "PublishTx({} bytes)", b.len()),
            Command::PublishBlock(b, _) => write!(f, "PublishBlock({})", b.header.height),
        }
    }
}

impl NetworkHandle {
    /// Gossips a transaction this node accepted from its API.
    pub fn publish_tx(&self, bytes: Vec<u8>) {
        let _ = self.commands.send(Command::PublishTx(bytes));
    }

    /// Gossips a block this node produced, whose transactions have IDs
    /// `txids` (whole, or compact if the settings say so).
    pub fn publish_block(&self, block: Block, txids: Vec<TxID>) {
        let _ = self
            .commands
            .send(Command::PublishBlock(Box::new(block), txids));
    }

    /// The admission path, whose verification pool the API shares.
    pub fn admission(&self) -> &Admission {
        &self.admission
    }

    /// The network's state now.
    pub fn info(&self) -> NetInfo {
        self.info.lock().map(|i| i.clone()).unwrap_or_default()
    }
}

/// Starts the network for `chain` with identity `key`; it runs until
/// `stop` turns true.
pub async fn start_network(
    chain: ChainHandle,
    key: Keypair,
    settings: NetworkSettings,
    stop: watch::Receiver<bool>,
) -> Result<(NetworkHandle, tokio::task::JoinHandle<()>), NodeError> {
    let admission = Admission::new(settings.admission);
    let chain = NodeChain {
        chain,
        admission: admission.clone(),
    };
    let names = Names::new(&chain.status().network)?;
    let peer_id = key.public().to_peer_id();
    let mut swarm = build_swarm(key, &names, settings.max_inbound)?;
    for addr in &settings.listen {
        check_port_free(addr)?;
        swarm
            .listen_on(addr.clone())
            .map_err(|e| NodeError::Network(format!("cannot listen on {addr}: {e}")))?;
    }
    let info = Arc::new(Mutex::new(NetInfo {
        peer_id: Some(peer_id),
        ..NetInfo::default()
    }));
    let (commands, command_rx) = mpsc::unbounded_channel();
    let driver = Driver::new(swarm, chain, names, &settings, info.clone());
    info!(%peer_id, "network started");
    let task = tokio::spawn(driver.run(command_rx, stop));
    Ok((
        NetworkHandle {
            commands,
            info,
            admission,
        },
        task,
    ))
}

/// Fails if another socket listens on `addr`'s TCP port. libp2p binds its
/// listeners with `SO_REUSEPORT`, so a second node on the same port would
/// share it silently, each getting part of the connections; a plain bind
/// (no reuse) finds the first one.
fn check_port_free(addr: &Multiaddr) -> Result<(), NodeError> {
    let mut ip = None;
    let mut port = None;
    for p in addr.iter() {
        match p {
            Protocol::Ip4(a) => ip = Some(std::net::IpAddr::V4(a)),
            Protocol::Ip6(a) => ip = Some(std::net::IpAddr::V6(a)),
            Protocol::Tcp(p) => port = Some(p),
            _ => {}
        }
    }
    match (ip, port) {
        (Some(ip), Some(port)) if port != 0 => std::net::TcpListener::bind((ip, port))
            .map(drop)
            .map_err(|e| NodeError::Network(format!("cannot listen on {addr}: {e}"))),
        _ => Ok(()),
    }
}

/// The node key and settings for a node whose data directory is
/// `data_dir`.
pub fn node_key(data_dir: &std::path::Path) -> Result<Keypair, NodeError> {
    super::key::load_or_create(&data_dir.join(super::key::NODE_KEY_FILE))
}
