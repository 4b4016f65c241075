//! The network's driver (docs/spec/network.md): one task owns the libp2p
//! swarm, feeds its events to the protocol state machines (gossip, sync,
//! pool exchange, peers) and carries out the actions they return. The
//! expensive work an action needs (validating a message, importing
//! blocks, admitting fetched transactions, answering from the store) runs
//! in tasks of its own through the chain's trait, and their results come
//! back here as events, so the swarm keeps moving.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use blockchain::BlockID;
use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance, MessageId, PublishError};
use libp2p::request_response::{self, InboundFailure, OutboundFailure, ResponseChannel};
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::SwarmEvent;
use libp2p::{identify, PeerId, Swarm};
use tokio::sync::{mpsc, watch, Semaphore};
use tracing::{debug, info, warn};

use super::action::{Acceptance, Action, Topic};
use super::answers;
use super::behaviour::{Behaviour, BehaviourEvent};
use super::chain::ChainAccess;
use super::compact::CompactBlock;
use super::gossip::{self, Gossip, Verdict};
use super::handle::{Command, NetInfo, PeerView};
use super::messages::{
    PeerList, PeersRequest, PoolRequest, PoolResponse, SyncRequest, SyncResponse,
};
use super::peers::Peers;
use super::pool_exchange::{self, PoolExchange};
use super::protocol::Names;
use super::scores::Offence;
use super::sync::{self, BlockSync};
use crate::admission;

/// How often peers are asked for their status, configured peers redialed
/// and peer lists asked for.
const TICK: Duration = Duration::from_secs(1);
/// Headers and Blocks answers read from the store at once (each may copy
/// up to 24 MiB); more wait their turn.
const STORE_ANSWERS: usize = 4;

/// Results of the tasks the driver spawns.
enum Outcome {
    Validated {
        id: MessageId,
        source: PeerId,
        verdict: Verdict,
        /// Whether it was a block (whole or compact).
        block: bool,
    },
    AnswerSync(ResponseChannel<SyncResponse>, SyncResponse),
    AnswerPool(ResponseChannel<PoolResponse>, PoolResponse),
    Imported {
        peer: PeerId,
        height: u64,
        offence: Option<Offence>,
    },
    /// A peer's pool listing, less what this node has.
    Wanted {
        peer: PeerId,
        session: u64,
        ids: Vec<zkvm::TxID>,
    },
    /// Transactions fetched from a peer's pool: those taken, to gossip on.
    Taken {
        peer: PeerId,
        session: u64,
        taken: Vec<Vec<u8>>,
        offence: Option<Offence>,
    },
}

/// The swarm, the state machines, and the chain they reach through the
/// driver.
pub(super) struct Driver<C: ChainAccess> {
    swarm: Swarm<Behaviour>,
    chain: C,
    names: Names,
    network: BlockID,
    gossip: Gossip,
    sync: BlockSync,
    pool: PoolExchange,
    peers: Peers,
    /// Gossiped blocks being decoded at once (on blocking threads): one
    /// per core (docs/spec/network.md §Admission).
    decoding: Arc<Semaphore>,
    /// Headers and Blocks answers being read from the store at once.
    answering: Arc<Semaphore>,
    outcomes: mpsc::UnboundedSender<Outcome>,
    outcome_rx: mpsc::UnboundedReceiver<Outcome>,
    info: Arc<Mutex<NetInfo>>,
}

impl<C: ChainAccess> Driver<C> {
    pub fn new(
        swarm: Swarm<Behaviour>,
        chain: C,
        names: Names,
        settings: &super::handle::NetworkSettings,
        info: Arc<Mutex<NetInfo>>,
    ) -> Driver<C> {
        let status = chain.status();
        let me = *swarm.local_peer_id();
        let (outcomes, outcome_rx) = mpsc::unbounded_channel();
        Driver {
            gossip: Gossip::new(&names, settings.compact),
            sync: BlockSync::new(status.network, status.height),
            pool: PoolExchange::new(chain.pruned()),
            peers: Peers::new(me, settings.peers.clone(), settings.target_peers),
            network: status.network,
            swarm,
            chain,
            names,
            decoding: Arc::new(Semaphore::new(admission::default_workers())),
            answering: Arc::new(Semaphore::new(STORE_ANSWERS)),
            outcomes,
            outcome_rx,
            info,
        }
    }

    /// Runs until `stop` turns true.
    pub async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut stop: watch::Receiver<bool>,
    ) {
        let dials = self.peers.redial();
        self.execute(dials);
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm(event),
                Some(command) = commands.recv() => self.on_command(command),
                Some(outcome) = self.outcome_rx.recv() => self.on_outcome(outcome),
                _ = tick.tick() => self.on_tick(),
                _ = stop.changed() => break,
            }
        }
        info!("network stopped");
    }

    fn on_command(&mut self, command: Command) {
        let action = match command {
            Command::PublishTx(bytes) => Action::Publish(Topic::Tx, bytes),
            Command::PublishBlock(block, txids) if self.gossip.compact_relay() => {
                let compact = CompactBlock::new(&block, &txids, rand::random());
                Action::Publish(Topic::Compact, compact.to_bytes())
            }
            Command::PublishBlock(block, _) => Action::Publish(Topic::Block, block.to_bytes()),
        };
        self.execute(vec![action]);
    }

    fn on_tick(&mut self) {
        let mut actions = self.peers.on_tick();
        actions.extend(self.sync.on_tick());
        let height = self.chain.status().height;
        actions.extend(self.sync.on_height(height, Instant::now()));
        self.execute(actions);
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
                let address = endpoint.get_remote_address().clone();
                info!(peer = %peer_id, %address, "peer connected");
                self.peers
                    .on_connected(peer_id, address, endpoint.is_dialer());
                self.pool.on_connected(peer_id);
                let actions = self.sync.on_connected(peer_id);
                self.execute(actions);
                self.refresh_info();
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                info!(peer = %peer_id, "peer disconnected");
                self.disconnected(peer_id);
                self.refresh_info();
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossip(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            })) => {
                let actions = self.gossip.on_message(
                    propagation_source,
                    message_id,
                    &message.topic,
                    message.data,
                );
                self.execute(actions);
            }
            SwarmEvent::Behaviour(BehaviourEvent::Sync(event)) => self.on_sync(event),
            SwarmEvent::Behaviour(BehaviourEvent::Pool(event)) => self.on_pool(event),
            SwarmEvent::Behaviour(BehaviourEvent::Peers(event)) => self.on_peers(event),
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => self.peers.on_identify(&peer_id, info.listen_addrs),
            _ => {}
        }
    }

    /// Forgets `peer` in every machine.
    fn disconnected(&mut self, peer: PeerId) {
        self.peers.on_disconnected(&peer);
        self.pool.on_disconnected(&peer);
        let actions = self.sync.on_disconnected(&peer);
        self.execute(actions);
    }

    fn on_sync(&mut self, event: request_response::Event<SyncRequest, SyncResponse>) {
        use request_response::{Event, Message};
        match event {
            Event::Message {
                peer,
                message:
                    Message::Request {
                        request, channel, ..
                    },
                ..
            } => {
                debug!(%peer, ?request, "sync request");
                let (chain, answering) = (self.chain.clone(), self.answering.clone());
                let outcomes = self.outcomes.clone();
                tokio::spawn(async move {
                    let response = answers::sync(&chain, &answering, request).await;
                    let _ = outcomes.send(Outcome::AnswerSync(channel, response));
                });
            }
            Event::Message {
                peer,
                message: Message::Response { response, .. },
                ..
            } => {
                let status =
                    matches!(&response, SyncResponse::Status(s) if s.network == self.network);
                let mut actions = self.sync.on_response(peer, response, Instant::now());
                // A peer no higher than us has a pool valid on our state.
                if status && self.sync.is_level(&peer) {
                    actions.extend(self.pool.on_level(peer));
                }
                self.execute(actions);
                self.refresh_info();
            }
            Event::OutboundFailure { peer, error, .. } => {
                debug!(%peer, %error, "sync request failed");
                let mut actions = outbound_offence(peer, &error);
                actions.extend(self.sync.on_failure(peer));
                self.execute(actions);
            }
            Event::InboundFailure { peer, error, .. } => {
                let actions = inbound_offence(peer, &error);
                self.execute(actions);
            }
            Event::ResponseSent { .. } => {}
        }
    }

    fn on_pool(&mut self, event: request_response::Event<PoolRequest, PoolResponse>) {
        use request_response::{Event, Message};
        match event {
            Event::Message {
                peer,
                message:
                    Message::Request {
                        request, channel, ..
                    },
                ..
            } => {
                if request == PoolRequest::Listing && !self.pool.may_list(&peer, Instant::now()) {
                    let refusal = PoolResponse::Error("pool listing asked again too soon".into());
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .pool
                        .send_response(channel, refusal);
                    return;
                }
                let chain = self.chain.clone();
                let outcomes = self.outcomes.clone();
                tokio::spawn(async move {
                    let response = answers::pool(&chain, request).await;
                    let _ = outcomes.send(Outcome::AnswerPool(channel, response));
                });
            }
            Event::Message {
                peer,
                message: Message::Response { response, .. },
                ..
            } => {
                let actions = self.pool.on_response(peer, response);
                self.execute(actions);
            }
            Event::OutboundFailure { peer, error, .. } => {
                debug!(%peer, %error, "pool request failed");
                self.pool.on_failure(&peer);
                let actions = outbound_offence(peer, &error);
                self.execute(actions);
            }
            Event::InboundFailure { peer, error, .. } => {
                let actions = inbound_offence(peer, &error);
                self.execute(actions);
            }
            Event::ResponseSent { .. } => {}
        }
    }

    fn on_peers(&mut self, event: request_response::Event<PeersRequest, PeerList>) {
        use request_response::{Event, Message};
        match event {
            // Answered from the connections at once: the chain knows no
            // peers.
            Event::Message {
                peer,
                message: Message::Request { channel, .. },
                ..
            } => {
                let list = self.peers.answer(&peer);
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .peers
                    .send_response(channel, list);
            }
            Event::Message {
                peer,
                message: Message::Response { response, .. },
                ..
            } => {
                let actions = self.peers.on_list(peer, response);
                self.execute(actions);
            }
            Event::OutboundFailure { peer, error, .. } => {
                debug!(%peer, %error, "peers request failed");
                self.peers.on_list_failed(&peer);
                let actions = outbound_offence(peer, &error);
                self.execute(actions);
            }
            Event::InboundFailure { peer, error, .. } => {
                let actions = inbound_offence(peer, &error);
                self.execute(actions);
            }
            Event::ResponseSent { .. } => {}
        }
    }

    fn on_outcome(&mut self, outcome: Outcome) {
        let now = Instant::now();
        let actions = match outcome {
            Outcome::Validated {
                id,
                source,
                verdict,
                block,
            } => {
                if block {
                    self.sync.block_validation_ended();
                }
                self.gossip
                    .on_verdict(id, source, verdict, &mut self.sync, now)
            }
            Outcome::AnswerSync(channel, response) => {
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_response(channel, response);
                Vec::new()
            }
            Outcome::AnswerPool(channel, response) => {
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .pool
                    .send_response(channel, response);
                Vec::new()
            }
            Outcome::Imported {
                peer,
                height,
                offence,
            } => self.sync.on_imported(peer, height, offence, now),
            Outcome::Wanted { peer, session, ids } => self.pool.on_wanted(peer, session, ids),
            Outcome::Taken {
                peer,
                session,
                taken,
                offence,
            } => {
                if !taken.is_empty() {
                    info!(%peer, count = taken.len(), "transactions fetched from a peer's pool");
                }
                self.pool.on_taken(peer, session, taken, offence)
            }
        };
        self.execute(actions);
    }

    /// Carries out `actions`, and those they lead to (a penalty may ban).
    fn execute(&mut self, actions: Vec<Action>) {
        let mut queue = VecDeque::from(actions);
        while let Some(action) = queue.pop_front() {
            queue.extend(self.execute_one(action));
        }
    }

    fn execute_one(&mut self, action: Action) -> Vec<Action> {
        match action {
            Action::Sync(peer, request) => {
                self.swarm.behaviour_mut().sync.send_request(&peer, request);
            }
            Action::Pool(peer, request) => {
                self.swarm.behaviour_mut().pool.send_request(&peer, request);
            }
            Action::AskPeers(peer) => {
                self.swarm
                    .behaviour_mut()
                    .peers
                    .send_request(&peer, PeersRequest);
            }
            Action::Publish(topic, bytes) => self.publish(topic, bytes),
            Action::Report(id, source, acceptance) => {
                let acceptance = match acceptance {
                    Acceptance::Accept => MessageAcceptance::Accept,
                    Acceptance::Ignore => MessageAcceptance::Ignore,
                    Acceptance::Reject => MessageAcceptance::Reject,
                };
                self.swarm
                    .behaviour_mut()
                    .gossip
                    .report_message_validation_result(&id, &source, acceptance);
            }
            Action::Penalize(peer, offence) => {
                if self.peers.scores().is_banned(&peer) {
                    return Vec::new();
                }
                let actions = self.peers.penalize(peer, offence);
                let score = self.peers.scores().score(&peer);
                warn!(%peer, ?offence, score, "peer misbehaved");
                self.refresh_info();
                return actions;
            }
            Action::Ban(peer) => {
                warn!(%peer, "peer banned");
                let behaviour = self.swarm.behaviour_mut();
                behaviour.blocked.block_peer(peer);
                behaviour.gossip.blacklist_peer(&peer);
                self.pool.on_disconnected(&peer);
                let actions = self.sync.on_disconnected(&peer);
                self.refresh_info();
                return actions;
            }
            Action::Dial(addr) => {
                if let Err(e) = self.swarm.dial(addr.clone()) {
                    debug!(%addr, %e, "dial failed");
                }
            }
            Action::DialPeer(id, addr) => {
                let opts = DialOpts::peer_id(id)
                    .condition(PeerCondition::DisconnectedAndNotDialing)
                    .addresses(vec![addr.clone()])
                    .build();
                match self.swarm.dial(opts) {
                    Ok(()) => debug!(peer = %id, %addr, "dialing a discovered peer"),
                    Err(e) => debug!(peer = %id, %addr, %e, "cannot dial a discovered peer"),
                }
            }
            Action::Validate {
                id,
                source,
                topic,
                data,
            } => {
                let block = topic != Topic::Tx;
                if block {
                    self.sync.block_validation_started();
                }
                let (chain, decoding) = (self.chain.clone(), self.decoding.clone());
                let outcomes = self.outcomes.clone();
                tokio::spawn(async move {
                    let verdict = gossip::check(&chain, decoding, topic, data).await;
                    let _ = outcomes.send(Outcome::Validated {
                        id,
                        source,
                        verdict,
                        block,
                    });
                });
            }
            Action::Import { peer, from, blocks } => {
                let chain = self.chain.clone();
                let outcomes = self.outcomes.clone();
                tokio::spawn(async move {
                    let (height, offence) = sync::import(&chain, from, blocks).await;
                    let _ = outcomes.send(Outcome::Imported {
                        peer,
                        height,
                        offence,
                    });
                });
            }
            Action::Filter {
                peer,
                session,
                listing,
            } => {
                let chain = self.chain.clone();
                let outcomes = self.outcomes.clone();
                tokio::spawn(async move {
                    let ids = pool_exchange::unknown(&chain, listing).await;
                    let _ = outcomes.send(Outcome::Wanted { peer, session, ids });
                });
            }
            Action::Take {
                peer,
                session,
                asked,
                txs,
            } => {
                let chain = self.chain.clone();
                let outcomes = self.outcomes.clone();
                tokio::spawn(async move {
                    let (taken, offence) = pool_exchange::take(&chain, asked, txs).await;
                    let _ = outcomes.send(Outcome::Taken {
                        peer,
                        session,
                        taken,
                        offence,
                    });
                });
            }
        }
        Vec::new()
    }

    fn topic(&self, topic: Topic) -> IdentTopic {
        match topic {
            Topic::Tx => self.names.tx.clone(),
            Topic::Block => self.names.block.clone(),
            Topic::Compact => self.names.compact.clone(),
        }
    }

    fn publish(&mut self, topic: Topic, bytes: Vec<u8>) {
        let size = bytes.len();
        let ident = self.topic(topic);
        match self.swarm.behaviour_mut().gossip.publish(ident, bytes) {
            Ok(_) => debug!(size, ?topic, "published"),
            // Nobody to send it to, or sent already (a fetched transaction
            // gossiped meanwhile).
            Err(PublishError::NoPeersSubscribedToTopic) | Err(PublishError::Duplicate) => {}
            Err(e) => warn!(%e, ?topic, "cannot publish"),
        }
    }

    fn refresh_info(&self) {
        let scores = self.peers.scores();
        let peers = self
            .peers
            .conns()
            .iter()
            .map(|(id, c)| PeerView {
                id: *id,
                address: c.address.clone(),
                score: scores.score(id),
                height: self.sync.height_of(id),
            })
            .collect();
        if let Ok(mut i) = self.info.lock() {
            i.peers = peers;
            i.banned = scores.banned().copied().collect();
        }
    }
}

/// A request of ours failed: bytes that do not decode are the peer's
/// offence; timeouts, closed streams and refusals are not (honest peers
/// produce them).
fn outbound_offence(peer: PeerId, error: &OutboundFailure) -> Vec<Action> {
    match error {
        OutboundFailure::Io(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            vec![Action::Penalize(peer, Offence::Malformed)]
        }
        _ => Vec::new(),
    }
}

/// A peer's request failed: one that does not decode is its offence.
fn inbound_offence(peer: PeerId, error: &InboundFailure) -> Vec<Action> {
    match error {
        InboundFailure::Io(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            vec![Action::Penalize(peer, Offence::Malformed)]
        }
        _ => Vec::new(),
    }
}
