//! The network service (docs/spec/network.md): one task owns the libp2p
//! swarm; the expensive work each message needs (decoding, verifying,
//! applying a block) runs in tasks of its own, which report back here so
//! the swarm keeps moving. Gossip is forwarded only once the node has
//! verified it; sync downloads missing blocks from the best peer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use blockchain::{Block, BlockID, BlockchainError};
use futures::StreamExt;
use libp2p::gossipsub::{self, MessageAcceptance, MessageId, PublishError};
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, OutboundFailure, OutboundRequestId, ResponseChannel};
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::SwarmEvent;
use libp2p::{identify, Multiaddr, PeerId, Swarm};
use tokio::sync::{mpsc, watch, Semaphore};
use tracing::{debug, info, warn};
use zkvm::TxID;

use super::answers;
use super::behaviour::{build_swarm, Behaviour, BehaviourEvent};
use super::compact::CompactBlock;
use super::discovery::{self, DISCOVERY_TICKS};
use super::messages::{PeerStatus, Request, Response, MAX_BLOCKS};
use super::pool_exchange::{self, PoolExchange};
use super::protocol::{Names, MAX_BLOCK_MESSAGE, MAX_TX_MESSAGE};
use super::scores::{Offence, Scores};
use crate::actor::{ChainHandle, Import};
use crate::admission::{self, Admission, AdmissionSettings};
use crate::store::BlockReader;
use crate::NodeError;

/// How often peers are asked for their status and lost peers redialed.
const TICK: Duration = Duration::from_secs(1);
/// How long a node one block behind its best peer waits for that block's
/// gossip before downloading it.
const SYNC_GRACE: Duration = Duration::from_secs(2);
/// Redial configured peers every this many ticks.
const REDIAL_TICKS: u64 = 3;
/// Headers and Blocks answers read from the store at once (each may copy
/// up to 24 MiB); more wait their turn.
const STORE_ANSWERS: usize = 4;
/// A peer may ask for the pool listing at most this often.
const POOL_LISTING_INTERVAL: Duration = Duration::from_secs(30);

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

enum Command {
    PublishTx(Vec<u8>),
    PublishBlock(Box<Block>, Vec<TxID>),
}

/// Talks to the network service; cheap to clone.
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

/// The kinds of gossip message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Tx,
    Block,
    Compact,
}

/// What a gossip message turned out to be.
#[derive(Debug)]
enum Verdict {
    Accept,
    /// A block applied and stored at this height.
    Applied(u64),
    Ignore,
    Reject(Offence),
    /// Not relayed, and the sender charged (gossipsub is told to ignore
    /// it: an honest peer can send it in a race).
    Refuse(Offence),
    /// A block above the tip's successor: the sender is ahead of us.
    Ahead(u64),
    /// A compact block whose transactions are not all in the mempool: the
    /// full block at this height is to be downloaded from the sender.
    Fetch(u64),
}

/// Reports from the tasks the service spawns.
enum Outcome {
    Validated {
        id: MessageId,
        source: PeerId,
        verdict: Verdict,
        /// Whether it was a block (whole or compact).
        block: bool,
    },
    Respond {
        channel: ResponseChannel<Response>,
        response: Response,
    },
    Synced {
        peer: PeerId,
        offence: Option<Offence>,
    },
    Height(u64),
    /// A peer's pool listing, less what this node has.
    PoolWanted {
        peer: PeerId,
        session: u64,
        ids: Vec<TxID>,
    },
    /// Transactions fetched from a peer's pool: those taken, to gossip on.
    PoolTaken {
        peer: PeerId,
        session: u64,
        taken: Vec<Vec<u8>>,
        offence: Option<Offence>,
    },
}

#[derive(Debug)]
struct PeerState {
    address: Multiaddr,
    dialed: bool,
    status: Option<PeerStatus>,
    pool: PoolExchange,
    /// Where it says it listens (identify).
    listen_addrs: Vec<Multiaddr>,
    /// Numbers this connection, so that a late result of work for an
    /// earlier one is not taken for this one's.
    session: u64,
    /// When it last asked for our pool listing.
    pool_served: Option<Instant>,
}

/// Starts the network service for `chain` with identity `key`; it runs
/// until `stop` turns true.
pub async fn start_network(
    chain: ChainHandle,
    key: Keypair,
    settings: NetworkSettings,
    stop: watch::Receiver<bool>,
) -> Result<(NetworkHandle, tokio::task::JoinHandle<()>), NodeError> {
    let view = chain.view();
    let (network, height, pruned, reader) = (
        view.state.initial.id(),
        view.height(),
        view.pruned,
        chain.blocks().clone(),
    );
    let names = Names::new(&network)?;
    let admission = Admission::new(settings.admission);
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
    let (outcomes, outcome_rx) = mpsc::unbounded_channel();
    let mut service = Service {
        swarm,
        chain,
        admission: admission.clone(),
        decoding: Arc::new(Semaphore::new(admission::default_workers())),
        reader,
        names,
        network,
        scores: Scores::default(),
        peers: HashMap::new(),
        configured: settings.peers,
        compact: settings.compact,
        target_peers: settings.target_peers,
        peers_request: None,
        sessions: 0,
        answering: Arc::new(Semaphore::new(STORE_ANSWERS)),
        syncing: None,
        pending_compact: None,
        validating_blocks: 0,
        behind_since: None,
        local_height: height,
        pruned,
        outcomes,
        info: info.clone(),
        ticks: 0,
    };
    service.redial();
    info!(%peer_id, "network started");
    let task = tokio::spawn(service.run(command_rx, outcome_rx, stop));
    Ok((
        NetworkHandle {
            commands,
            info,
            admission,
        },
        task,
    ))
}

struct Service {
    swarm: Swarm<Behaviour>,
    chain: ChainHandle,
    admission: Admission,
    /// Gossiped blocks being decoded at once (on blocking threads): one
    /// per core, so that a flood of block messages cannot take more
    /// (docs/spec/network.md §Admission).
    decoding: Arc<Semaphore>,
    reader: BlockReader,
    names: Names,
    network: BlockID,
    scores: Scores,
    peers: HashMap<PeerId, PeerState>,
    configured: Vec<Multiaddr>,
    compact: bool,
    target_peers: usize,
    /// The outstanding request for a peer list.
    peers_request: Option<(PeerId, OutboundRequestId)>,
    /// Connections numbered so far.
    sessions: u64,
    /// Headers and Blocks answers being read from the store at once.
    answering: Arc<Semaphore>,
    /// The peer blocks are being downloaded from, and the first height
    /// asked for.
    syncing: Option<(PeerId, u64)>,
    /// A compact block held unvalidated until its full block is fetched.
    pending_compact: Option<(MessageId, PeerId, u64)>,
    /// Gossiped blocks being validated now.
    validating_blocks: usize,
    /// Since when a peer has been one block ahead.
    behind_since: Option<Instant>,
    local_height: u64,
    /// Started from a snapshot: takes no transactions, so fetches none.
    pruned: bool,
    outcomes: mpsc::UnboundedSender<Outcome>,
    info: Arc<Mutex<NetInfo>>,
    ticks: u64,
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

/// An address without its `/p2p/<id>` part, to compare dialed addresses.
fn transport_part(addr: &Multiaddr) -> Multiaddr {
    addr.iter()
        .filter(|p| !matches!(p, Protocol::P2p(_)))
        .collect()
}

/// Whether a chain error means the block itself is invalid (rather than
/// this node failing to store it).
fn block_is_invalid(e: &NodeError) -> bool {
    matches!(e, NodeError::Chain(_))
}

impl Service {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut outcomes: mpsc::UnboundedReceiver<Outcome>,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm(event),
                Some(command) = commands.recv() => self.on_command(command),
                Some(outcome) = outcomes.recv() => self.on_outcome(outcome),
                _ = tick.tick() => self.on_tick(),
                _ = stop.changed() => break,
            }
        }
        info!("network stopped");
    }

    fn on_command(&mut self, command: Command) {
        let (topic, bytes, what) = match command {
            Command::PublishTx(b) => (self.names.tx.clone(), b, "transaction"),
            Command::PublishBlock(b, txids) if self.compact => {
                let nonce = rand::random();
                let compact = CompactBlock::new(&b, &txids, nonce);
                (
                    self.names.compact.clone(),
                    compact.to_bytes(),
                    "compact block",
                )
            }
            Command::PublishBlock(b, _) => (self.names.block.clone(), b.to_bytes(), "block"),
        };
        let size = bytes.len();
        match self.swarm.behaviour_mut().gossip.publish(topic, bytes) {
            Ok(_) => debug!(size, "{what} published"),
            Err(PublishError::NoPeersSubscribedToTopic) | Err(PublishError::Duplicate) => {}
            Err(e) => warn!(%e, "cannot publish a {what}"),
        }
    }

    fn on_tick(&mut self) {
        self.ticks += 1;
        if self.ticks % REDIAL_TICKS == 0 {
            self.redial();
        }
        if self.ticks % DISCOVERY_TICKS == 0 {
            self.ask_for_peers();
        }
        let peers: Vec<PeerId> = self.peers.keys().copied().collect();
        for peer in peers {
            self.swarm
                .behaviour_mut()
                .sync
                .send_request(&peer, Request::Status);
        }
        let chain = self.chain.clone();
        let outcomes = self.outcomes.clone();
        let _ = outcomes.send(Outcome::Height(chain.view().height()));
    }

    /// Dials every configured peer that no connection of ours reaches.
    fn redial(&mut self) {
        let connected: Vec<Multiaddr> = self
            .peers
            .values()
            .filter(|p| p.dialed)
            .map(|p| transport_part(&p.address))
            .collect();
        for addr in self.configured.clone() {
            if !connected.contains(&transport_part(&addr)) {
                if let Err(e) = self.swarm.dial(addr.clone()) {
                    debug!(%addr, %e, "dial failed");
                }
            }
        }
    }

    fn on_swarm(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                info!(%address, "network listening");
                if let Ok(mut i) = self.info.lock() {
                    i.listen.push(address);
                }
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                endpoint,
                num_established,
                ..
            } if num_established.get() == 1 => {
                info!(peer = %peer_id, address = %endpoint.get_remote_address(), "peer connected");
                let session = self.next_session();
                self.peers.insert(
                    peer_id,
                    PeerState {
                        address: endpoint.get_remote_address().clone(),
                        dialed: endpoint.is_dialer(),
                        status: None,
                        pool: PoolExchange::default(),
                        listen_addrs: Vec::new(),
                        session,
                        pool_served: None,
                    },
                );
                self.swarm
                    .behaviour_mut()
                    .sync
                    .send_request(&peer_id, Request::Status);
                self.refresh_info();
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                info!(peer = %peer_id, "peer disconnected");
                self.peers.remove(&peer_id);
                if self.peers_request.is_some_and(|(p, _)| p == peer_id) {
                    self.peers_request = None;
                }
                self.stop_syncing_with(peer_id);
                self.refresh_info();
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossip(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            })) => self.on_gossip(propagation_source, message_id, message),
            SwarmEvent::Behaviour(BehaviourEvent::Sync(event)) => self.on_sync(event),
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                if let Some(p) = self.peers.get_mut(&peer_id) {
                    p.listen_addrs = info.listen_addrs;
                }
            }
            _ => {}
        }
    }

    fn report(&mut self, id: &MessageId, source: &PeerId, acceptance: MessageAcceptance) {
        self.swarm
            .behaviour_mut()
            .gossip
            .report_message_validation_result(id, source, acceptance);
    }

    fn on_gossip(&mut self, source: PeerId, id: MessageId, message: gossipsub::Message) {
        let topic = &message.topic;
        let (kind, limit) = if *topic == self.names.tx.hash() {
            (Kind::Tx, MAX_TX_MESSAGE)
        } else if *topic == self.names.block.hash() {
            (Kind::Block, MAX_BLOCK_MESSAGE)
        } else if *topic == self.names.compact.hash() {
            (Kind::Compact, MAX_BLOCK_MESSAGE)
        } else {
            self.report(&id, &source, MessageAcceptance::Ignore);
            return;
        };
        let data = message.data;
        if data.len() > limit {
            self.report(&id, &source, MessageAcceptance::Reject);
            self.penalize(source, Offence::Oversize);
            return;
        }
        let block = kind != Kind::Tx;
        if block {
            self.validating_blocks += 1;
        }
        let outcomes = self.outcomes.clone();
        let chain = self.chain.clone();
        let admission = self.admission.clone();
        let decoding = self.decoding.clone();
        tokio::spawn(async move {
            let verdict = match kind {
                Kind::Tx => check_tx(&admission, &chain, data).await,
                Kind::Block => check_block(chain, data).await,
                Kind::Compact => check_compact(chain, &decoding, data).await,
            };
            let _ = outcomes.send(Outcome::Validated {
                id,
                source,
                verdict,
                block,
            });
        });
    }

    fn on_sync(&mut self, event: request_response::Event<Request, Response>) {
        use request_response::{Event, Message};
        match event {
            Event::Message {
                peer,
                message:
                    Message::Request {
                        request: Request::Peers,
                        channel,
                        ..
                    },
                ..
            } => {
                let local = self
                    .peers
                    .get(&peer)
                    .is_some_and(|p| discovery::is_loopback(&p.address));
                let list = discovery::peer_list(
                    self.peers
                        .iter()
                        .map(|(id, p)| (id, p.listen_addrs.as_slice())),
                    &peer,
                    local,
                );
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_response(channel, Response::Peers(list));
            }
            Event::Message {
                peer,
                message:
                    Message::Request {
                        request, channel, ..
                    },
                ..
            } => {
                if matches!(request, Request::Pool) {
                    let now = Instant::now();
                    let too_soon = self.peers.get_mut(&peer).is_some_and(|p| {
                        let last = p.pool_served.replace(now);
                        last.is_some_and(|t| now.duration_since(t) < POOL_LISTING_INTERVAL)
                    });
                    if too_soon {
                        let refusal = Response::Error("pool listing asked again too soon".into());
                        let _ = self
                            .swarm
                            .behaviour_mut()
                            .sync
                            .send_response(channel, refusal);
                        return;
                    }
                }
                let chain = self.chain.clone();
                let reader = self.reader.clone();
                let answering = self.answering.clone();
                let outcomes = self.outcomes.clone();
                tokio::spawn(async move {
                    let response = answers::respond(&chain, &reader, &answering, request).await;
                    let _ = outcomes.send(Outcome::Respond { channel, response });
                });
                debug!(%peer, "sync request");
            }
            Event::Message {
                peer,
                message:
                    Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => {
                if self.peers_request == Some((peer, request_id)) {
                    self.peers_request = None;
                    self.on_peer_list(peer, response);
                } else if self.pool_owns(peer, &request_id) {
                    self.on_pool_response(peer, request_id, response);
                } else {
                    self.on_response(peer, response);
                }
            }
            Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                let pool = self.pool_owns(peer, &request_id);
                if let OutboundFailure::Io(e) = &error {
                    if e.kind() == std::io::ErrorKind::InvalidData {
                        self.penalize(peer, Offence::Malformed);
                    }
                }
                debug!(%peer, %error, "sync request failed");
                if self.peers_request == Some((peer, request_id)) {
                    self.peers_request = None;
                } else if pool {
                    if let Some(p) = self.peers.get_mut(&peer) {
                        // Give up on this peer's pool until it reconnects.
                        p.pool = PoolExchange {
                            asked: true,
                            ..PoolExchange::default()
                        };
                    }
                } else {
                    self.stop_syncing_with(peer);
                }
            }
            Event::InboundFailure { peer, error, .. } => {
                if let request_response::InboundFailure::Io(e) = &error {
                    if e.kind() == std::io::ErrorKind::InvalidData {
                        self.penalize(peer, Offence::Malformed);
                    }
                }
            }
            Event::ResponseSent { .. } => {}
        }
    }

    fn on_response(&mut self, peer: PeerId, response: Response) {
        match response {
            Response::Status(status) => {
                if status.network != self.network {
                    self.penalize(peer, Offence::BadResponse);
                    return;
                }
                let level = status.height <= self.local_height;
                if let Some(p) = self.peers.get_mut(&peer) {
                    p.status = Some(status);
                }
                if level {
                    self.ask_pool(peer);
                }
                self.refresh_info();
                self.maybe_sync();
            }
            Response::Blocks(blocks) if self.syncing.is_some_and(|(p, _)| p == peer) => {
                if blocks.is_empty() {
                    // It said it had them; treat it as level with us.
                    if let Some(PeerState {
                        status: Some(s), ..
                    }) = self.peers.get_mut(&peer)
                    {
                        s.height = self.local_height;
                    }
                    self.syncing = None;
                    return;
                }
                let from = self.syncing.map_or(self.local_height + 1, |(_, f)| f);
                let chain = self.chain.clone();
                let outcomes = self.outcomes.clone();
                tokio::spawn(async move {
                    let (height, offence) = apply_blocks(&chain, from, blocks).await;
                    if let Some(h) = height {
                        let _ = outcomes.send(Outcome::Height(h));
                    }
                    let _ = outcomes.send(Outcome::Synced { peer, offence });
                });
            }
            Response::Error(reason) => {
                debug!(%peer, reason, "peer refused a sync request");
                self.stop_syncing_with(peer);
            }
            _ => self.penalize(peer, Offence::BadResponse),
        }
    }

    fn on_outcome(&mut self, outcome: Outcome) {
        if let Outcome::Validated { block: true, .. } = outcome {
            self.validating_blocks = self.validating_blocks.saturating_sub(1);
        }
        match outcome {
            Outcome::Validated {
                id,
                source,
                verdict: Verdict::Fetch(height),
                ..
            } => {
                if self.syncing.is_none() && self.pending_compact.is_none() {
                    // Hold the announcement until the full block is in.
                    self.request_blocks(source, height, 1);
                    self.pending_compact = Some((id, source, height));
                } else {
                    self.report(&id, &source, MessageAcceptance::Ignore);
                }
            }
            Outcome::Validated {
                id,
                source,
                verdict,
                ..
            } => {
                let acceptance = match &verdict {
                    Verdict::Accept | Verdict::Applied(_) => MessageAcceptance::Accept,
                    Verdict::Reject(_) => MessageAcceptance::Reject,
                    Verdict::Ignore
                    | Verdict::Refuse(_)
                    | Verdict::Ahead(_)
                    | Verdict::Fetch(_) => MessageAcceptance::Ignore,
                };
                self.report(&id, &source, acceptance);
                match verdict {
                    Verdict::Reject(offence) => self.penalize(source, offence),
                    // A peer a block ahead spends outputs this node has
                    // not seen yet: not charged (docs/spec/network.md
                    // §Scoring).
                    Verdict::Refuse(Offence::Unspendable) if self.is_ahead(&source) => {}
                    Verdict::Refuse(offence) => self.penalize(source, offence),
                    Verdict::Ahead(height) => {
                        if let Some(PeerState {
                            status: Some(s), ..
                        }) = self.peers.get_mut(&source)
                        {
                            s.height = s.height.max(height);
                        }
                        self.maybe_sync();
                    }
                    // Known at once, so the next status from a peer at this
                    // height does not start a download of it.
                    Verdict::Applied(height) => self.local_height = self.local_height.max(height),
                    Verdict::Accept | Verdict::Ignore | Verdict::Fetch(_) => {}
                }
            }
            Outcome::Respond { channel, response } => {
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_response(channel, response);
            }
            Outcome::Synced { peer, offence } => {
                self.stop_syncing_with(peer);
                if let Some(offence) = offence {
                    self.penalize(peer, offence);
                }
                self.maybe_sync();
            }
            Outcome::PoolWanted { peer, session, ids } => {
                if let Some(p) = self.current(peer, session) {
                    debug!(%peer, wanted = ids.len(), "pool listing");
                    p.pool.wanted.extend(ids);
                    self.fetch_pool_txs(peer);
                }
            }
            Outcome::PoolTaken {
                peer,
                session,
                taken,
                offence,
            } => {
                let current = match self.current(peer, session) {
                    Some(p) => {
                        p.pool.in_flight = None;
                        true
                    }
                    None => false,
                };
                if !taken.is_empty() {
                    info!(%peer, count = taken.len(), "transactions fetched from a peer's pool");
                }
                let topic = self.names.tx.clone();
                for bytes in taken {
                    // Gossip them on: peers connected before this exchange
                    // will not ask for them.
                    match self
                        .swarm
                        .behaviour_mut()
                        .gossip
                        .publish(topic.clone(), bytes)
                    {
                        Ok(_)
                        | Err(PublishError::NoPeersSubscribedToTopic)
                        | Err(PublishError::Duplicate) => {}
                        Err(e) => warn!(%e, "cannot publish a fetched transaction"),
                    }
                }
                match offence {
                    Some(offence) => {
                        if let Some(p) = self.current(peer, session) {
                            p.pool.wanted.clear();
                        }
                        self.penalize(peer, offence);
                    }
                    None if current => self.fetch_pool_txs(peer),
                    None => {}
                }
            }
            Outcome::Height(h) => {
                self.local_height = self.local_height.max(h);
                if self.pending_compact.as_ref().is_some_and(|p| h >= p.2) {
                    if let Some((id, source, _)) = self.pending_compact.take() {
                        self.report(&id, &source, MessageAcceptance::Accept);
                    }
                }
                self.maybe_sync();
            }
        }
    }

    /// Asks one peer (a different one each time) for its peer list, while
    /// this node has fewer peers than its target.
    fn ask_for_peers(&mut self) {
        if self.peers.len() >= self.target_peers || self.peers_request.is_some() {
            return;
        }
        let mut ids: Vec<PeerId> = self.peers.keys().copied().collect();
        if ids.is_empty() {
            return;
        }
        ids.sort();
        let peer = ids[(self.ticks / DISCOVERY_TICKS) as usize % ids.len()];
        let id = self
            .swarm
            .behaviour_mut()
            .sync
            .send_request(&peer, Request::Peers);
        self.peers_request = Some((peer, id));
    }

    /// Dials the listed peers this node is not connected to, up to its
    /// target.
    fn on_peer_list(&mut self, from: PeerId, response: Response) {
        let list = match response {
            Response::Peers(list) => list,
            Response::Error(reason) => {
                debug!(%from, reason, "peer refused its peer list");
                return;
            }
            _ => {
                self.penalize(from, Offence::BadResponse);
                return;
            }
        };
        let me = *self.swarm.local_peer_id();
        let local = self
            .peers
            .get(&from)
            .is_some_and(|p| discovery::is_loopback(&p.address));
        let mut room = self.target_peers.saturating_sub(self.peers.len());
        for (id, addr) in list {
            if room == 0 {
                break;
            }
            if id == me || self.peers.contains_key(&id) || self.scores.is_banned(&id) {
                continue;
            }
            // Only what our transport dials; loopback only from a peer on
            // this machine.
            if !discovery::dialable(&addr) || (!local && discovery::is_loopback(&addr)) {
                continue;
            }
            let opts = DialOpts::peer_id(id)
                .condition(PeerCondition::DisconnectedAndNotDialing)
                .addresses(vec![addr.clone()])
                .build();
            match self.swarm.dial(opts) {
                Ok(()) => {
                    debug!(peer = %id, %addr, "dialing a discovered peer");
                    room -= 1;
                }
                Err(e) => debug!(peer = %id, %addr, %e, "cannot dial a discovered peer"),
            }
        }
    }

    /// A new connection's number.
    fn next_session(&mut self) -> u64 {
        self.sessions += 1;
        self.sessions
    }

    /// `peer`'s state if its connection is still session `session`.
    fn current(&mut self, peer: PeerId, session: u64) -> Option<&mut PeerState> {
        self.peers.get_mut(&peer).filter(|p| p.session == session)
    }

    fn pool_owns(&self, peer: PeerId, request: &OutboundRequestId) -> bool {
        self.peers.get(&peer).is_some_and(|p| p.pool.owns(request))
    }

    /// Asks `peer` for its pool listing, once per connection, unless this
    /// node takes no transactions.
    fn ask_pool(&mut self, peer: PeerId) {
        if self.pruned {
            return;
        }
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        if p.pool.asked {
            return;
        }
        p.pool.asked = true;
        let id = self
            .swarm
            .behaviour_mut()
            .sync
            .send_request(&peer, Request::Pool);
        if let Some(p) = self.peers.get_mut(&peer) {
            p.pool.listing = Some(id);
        }
    }

    /// Asks `peer` for the next transactions of its listing this node
    /// lacks, unless a request to it is outstanding.
    fn fetch_pool_txs(&mut self, peer: PeerId) {
        let Some(batch) = self.peers.get_mut(&peer).and_then(|p| p.pool.next_batch()) else {
            return;
        };
        let id = self
            .swarm
            .behaviour_mut()
            .sync
            .send_request(&peer, Request::Txs(batch.clone()));
        if let Some(p) = self.peers.get_mut(&peer) {
            p.pool.in_flight = Some((id, batch));
        }
    }

    fn on_pool_response(&mut self, peer: PeerId, request: OutboundRequestId, response: Response) {
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        let chain = self.chain.clone();
        let admission = self.admission.clone();
        let outcomes = self.outcomes.clone();
        let session = p.session;
        if p.pool.listing == Some(request) {
            p.pool.listing = None;
            match response {
                Response::Pool(listing) => {
                    tokio::spawn(async move {
                        let ids = pool_exchange::unknown(&chain, listing).await;
                        let _ = outcomes.send(Outcome::PoolWanted { peer, session, ids });
                    });
                }
                Response::Error(reason) => debug!(%peer, reason, "peer refused its pool listing"),
                _ => self.penalize(peer, Offence::BadResponse),
            }
            return;
        }
        let asked = p
            .pool
            .in_flight
            .as_ref()
            .map(|(_, a)| a.clone())
            .unwrap_or_default();
        match response {
            Response::Txs(txs) => {
                // `in_flight` stays set until the outcome: one request at a
                // time per peer.
                tokio::spawn(async move {
                    let (taken, offence) =
                        pool_exchange::take(&admission, &chain, asked, txs).await;
                    let _ = outcomes.send(Outcome::PoolTaken {
                        peer,
                        session,
                        taken,
                        offence,
                    });
                });
            }
            Response::Error(reason) => {
                debug!(%peer, reason, "peer refused pool transactions");
                p.pool.in_flight = None;
                self.fetch_pool_txs(peer);
            }
            _ => {
                p.pool.in_flight = None;
                p.pool.wanted.clear();
                self.penalize(peer, Offence::BadResponse);
            }
        }
    }

    /// Asks the highest peer for the blocks after our tip, unless a
    /// download is under way.
    fn maybe_sync(&mut self) {
        // A block under validation is likely the one a download would
        // fetch again.
        if self.syncing.is_some() || self.validating_blocks > 0 {
            return;
        }
        let want = self.local_height + 1;
        let best = self
            .peers
            .iter()
            .filter_map(|(id, p)| p.status.as_ref().map(|s| (*id, s)))
            .filter(|(_, s)| s.height >= want && s.first_block <= want)
            .max_by_key(|(_, s)| s.height)
            .map(|(id, s)| (id, s.height));
        let Some((peer, height)) = best else {
            self.behind_since = None;
            return;
        };
        // One block behind is the normal state while a new block is on its
        // way by gossip: download it only if it has not come after a grace.
        if height == want {
            let since = *self.behind_since.get_or_insert_with(Instant::now);
            if since.elapsed() < SYNC_GRACE {
                return;
            }
        }
        self.behind_since = None;
        debug!(%peer, from = want, "downloading blocks");
        self.request_blocks(peer, want, MAX_BLOCKS);
    }

    fn request_blocks(&mut self, peer: PeerId, from: u64, count: u32) {
        self.swarm
            .behaviour_mut()
            .sync
            .send_request(&peer, Request::Blocks { from, count });
        self.syncing = Some((peer, from));
    }

    /// Ends the download from `peer`, if one runs; a compact block waiting
    /// for it is dropped unless its block arrived.
    fn stop_syncing_with(&mut self, peer: PeerId) {
        if self.syncing.is_some_and(|(p, _)| p == peer) {
            self.syncing = None;
            if let Some((id, source, height)) = self.pending_compact.take() {
                let acceptance = if self.local_height >= height {
                    MessageAcceptance::Accept
                } else {
                    MessageAcceptance::Ignore
                };
                self.report(&id, &source, acceptance);
            }
        }
    }

    /// Whether `peer` last said its tip is above this node's.
    fn is_ahead(&self, peer: &PeerId) -> bool {
        self.peers
            .get(peer)
            .and_then(|p| p.status.as_ref())
            .is_some_and(|s| s.height > self.local_height)
    }

    fn penalize(&mut self, peer: PeerId, offence: Offence) {
        if self.scores.is_banned(&peer) {
            return;
        }
        let banned = self.scores.penalize(peer, offence);
        warn!(%peer, ?offence, score = self.scores.score(&peer), "peer misbehaved");
        if banned {
            warn!(%peer, "peer banned");
            let behaviour = self.swarm.behaviour_mut();
            behaviour.blocked.block_peer(peer);
            behaviour.gossip.blacklist_peer(&peer);
            self.peers.remove(&peer);
            self.stop_syncing_with(peer);
        }
        self.refresh_info();
    }

    fn refresh_info(&self) {
        let peers = self
            .peers
            .iter()
            .map(|(id, p)| PeerView {
                id: *id,
                address: p.address.clone(),
                score: self.scores.score(id),
                height: p.status.as_ref().map(|s| s.height),
            })
            .collect();
        if let Ok(mut i) = self.info.lock() {
            i.peers = peers;
            i.banned = self.scores.banned().copied().collect();
        }
    }
}

/// Admits a gossiped transaction (docs/spec/network.md §Admission):
/// malformed, invalid and over-budget ones are rejected and charged;
/// duplicates and unspendable ones are ignored but charged (a little:
/// honest peers race); a busy node, a full pool or a conflict ignore it
/// without a charge.
async fn check_tx(admission: &Admission, chain: &ChainHandle, data: Vec<u8>) -> Verdict {
    match admission.admit(chain, data).await {
        Ok(_) => Verdict::Accept,
        Err(e) => {
            debug!(%e, "gossiped transaction not taken");
            match admission::offence(&e) {
                Some(o @ (Offence::Duplicate | Offence::Unspendable)) => Verdict::Refuse(o),
                Some(o) => Verdict::Reject(o),
                None => Verdict::Ignore,
            }
        }
    }
}

/// The verdict on a gossiped block (whole or compact) from its import.
fn gossip_verdict(imported: Result<Import, NodeError>, what: &str) -> Verdict {
    match imported {
        Ok(Import::Stored(summary)) => Verdict::Applied(summary.height),
        Ok(Import::Known) => Verdict::Ignore,
        Ok(Import::Ahead(height)) => Verdict::Ahead(height),
        Ok(Import::NeedFull(height)) => Verdict::Fetch(height),
        Err(NodeError::Chain(BlockchainError::Decode(_) | BlockchainError::TooLarge { .. })) => {
            Verdict::Reject(Offence::Malformed)
        }
        Err(e) if block_is_invalid(&e) => {
            debug!(%e, "{what} refused");
            Verdict::Reject(Offence::InvalidBlock)
        }
        Err(e) => {
            warn!(%e, "cannot apply a {what}");
            Verdict::Ignore
        }
    }
}

/// Runs `decode` on a blocking thread once `decoding` lets it; `None` if
/// the node is stopping or the job failed.
async fn decode_bounded<T: Send + 'static>(
    decoding: &Semaphore,
    decode: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let _permit = decoding.acquire().await.ok()?;
    tokio::task::spawn_blocking(decode).await.ok()
}

/// Imports a gossiped block if it extends the tip (decoded and verified
/// off the chain's thread: [`ChainHandle::import_block`]).
async fn check_block(chain: ChainHandle, data: Vec<u8>) -> Verdict {
    gossip_verdict(chain.import_block(data).await, "gossiped block")
}

/// Decodes a compact block and imports it rebuilt from the mempool (no
/// transaction the pool verified is verified again), or asks for the full
/// block.
async fn check_compact(chain: ChainHandle, decoding: &Semaphore, data: Vec<u8>) -> Verdict {
    let compact = match decode_bounded(decoding, move || CompactBlock::from_bytes(&data)).await {
        Some(Ok(c)) => c,
        Some(Err(_)) => return Verdict::Reject(Offence::Malformed),
        None => return Verdict::Ignore,
    };
    gossip_verdict(chain.import_compact(compact).await, "compact block")
}

/// Imports downloaded blocks in order from height `from`; returns the new
/// tip height and the offence that stopped it, if any.
async fn apply_blocks(
    chain: &ChainHandle,
    from: u64,
    blocks: Vec<Vec<u8>>,
) -> (Option<u64>, Option<Offence>) {
    let mut offence = None;
    for (i, bytes) in blocks.into_iter().enumerate() {
        let expected = from + i as u64;
        if header_height(&bytes) != Some(expected) {
            offence = Some(Offence::BadResponse);
            break;
        }
        match chain.import_block(bytes).await {
            // Known: arrived by gossip meanwhile.
            Ok(Import::Stored(_) | Import::Known) => {}
            Ok(Import::Ahead(_) | Import::NeedFull(_)) => break,
            Err(NodeError::Chain(
                BlockchainError::Decode(_) | BlockchainError::TooLarge { .. },
            )) => {
                offence = Some(Offence::Malformed);
                break;
            }
            Err(e) if block_is_invalid(&e) => {
                warn!(%e, height = expected, "downloaded block refused");
                offence = Some(Offence::InvalidBlock);
                break;
            }
            Err(e) => {
                warn!(%e, "cannot apply a downloaded block");
                break;
            }
        }
    }
    (Some(chain.view().height()), offence)
}

/// The height in a block's encoding (docs/spec/blockchain.md §Block
/// encoding: after the version), without decoding the rest.
fn header_height(block: &[u8]) -> Option<u64> {
    let bytes = block.get(8..16)?;
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}

/// The node key and settings for a node whose data directory is
/// `data_dir`.
pub fn node_key(data_dir: &std::path::Path) -> Result<Keypair, NodeError> {
    super::key::load_or_create(&data_dir.join(super::key::NODE_KEY_FILE))
}
