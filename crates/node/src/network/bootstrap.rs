//! Bootstrapping from a peer's snapshot (docs/spec/network.md §Bootstrap):
//! the snapshot's UTXO roots must match its tip header's utxoroot, and the
//! tip must be the header the node trusts: given by ID, or reached from the
//! genesis through a chain of signed headers fetched from the same peer.
//! On a validators chain, whose headers are not signed, the peer's
//! validator-set changes are fetched and replayed from the genesis's set
//! (each signed by the set before it), then the tip's block is fetched and
//! its commit certificate checked against the set in force at its height
//! (docs/spec/network.md §Bootstrap, docs/spec/consensus.md §Validator-set
//! changes, Snapshots).

use std::time::Duration;

use blockchain::{Block, BlockID, ChainState, Genesis};
use futures::StreamExt;
use libp2p::identity::Keypair;
use libp2p::request_response::{self, Message};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, Swarm};
use tracing::info;

use super::behaviour::{build_swarm, Behaviour, BehaviourEvent};
use super::messages::{SyncRequest, SyncResponse, MAX_HEADERS, MAX_SET_CHANGES};
use super::protocol::Names;
use crate::{NodeError, Seal};

/// A snapshot checked by [`fetch_snapshot`], for
/// [`crate::Chain::init_from_snapshot`].
#[derive(Clone, Debug)]
pub struct VerifiedSnapshot {
    /// The chain state at the snapshot's tip.
    pub state: ChainState,
    /// On a validators chain, the validator-set changes included at or
    /// below the tip, each with its inclusion height, in order: replayed
    /// from the genesis's set, they give the set of every height.
    pub set_changes: Vec<(u64, consensus::ApprovedSetChange)>,
}

/// Fetches a snapshot of the network of `genesis` from the first of
/// `peers` that answers, and checks it: on a validators chain by the
/// certificate of its tip, against the set the peer's replayed changes put
/// in force there; on a block-key chain against `trusted` (a block ID) if
/// given, otherwise against the genesis by the signed headers up to the
/// snapshot's tip. Gives up after `timeout`.
pub async fn fetch_snapshot(
    genesis: &Genesis,
    peers: &[Multiaddr],
    trusted: Option<BlockID>,
    timeout: Duration,
) -> Result<VerifiedSnapshot, NodeError> {
    if peers.is_empty() {
        return Err(NodeError::Config(
            "a snapshot is fetched from a peer: give at least one".into(),
        ));
    }
    let start = genesis.state()?;
    let seal = Seal::of(genesis)?;
    let names = Names::new(&start.initial.id())?;
    let mut swarm = build_swarm(Keypair::generate_ed25519(), &names, 0)?;
    for addr in peers {
        swarm
            .dial(addr.clone())
            .map_err(|e| NodeError::Network(format!("cannot dial {addr}: {e}")))?;
    }
    tokio::time::timeout(timeout, fetch(&mut swarm, &start, seal.as_deref(), trusted))
        .await
        .map_err(|_| NodeError::Network("no peer gave a snapshot in time".into()))?
}

async fn fetch(
    swarm: &mut Swarm<Behaviour>,
    start: &ChainState,
    seal: Option<&Seal>,
    trusted: Option<BlockID>,
) -> Result<VerifiedSnapshot, NodeError> {
    let peer = connected(swarm).await?;
    let SyncResponse::Snapshot(bytes) = request(swarm, peer, SyncRequest::Snapshot).await? else {
        return Err(NodeError::Network(
            "the peer answered with no snapshot".into(),
        ));
    };
    let state = ChainState::from_snapshot(&bytes, trusted)?;
    if state.initial != start.initial || state.signers != start.signers {
        return Err(NodeError::Network(
            "the snapshot is of another network".into(),
        ));
    }
    let mut set_changes = Vec::new();
    if let Some(seal) = seal {
        // Every change is signed by the set before it: replayed from the
        // genesis's, the peer's list gives the set in force at the tip,
        // and the changes still pending there.
        let schedule = fetch_set_changes(swarm, peer, seal, state.tip.height).await?;
        set_changes = schedule.changes().to_vec();
        // The tip's certificate vouches for the tip, hence (through the
        // header's utxoroot) for the snapshot's roots.
        if state.tip.height > start.tip.height {
            let from = state.tip.height;
            let SyncResponse::Blocks(blocks) =
                request(swarm, peer, SyncRequest::Blocks { from, count: 1 }).await?
            else {
                return Err(NodeError::Network("the peer sent no tip block".into()));
            };
            let bytes = blocks.first().ok_or_else(|| {
                NodeError::Network("the peer has no block at its snapshot's tip".into())
            })?;
            let block = Block::from_bytes(bytes)?;
            if block.header != state.tip {
                return Err(NodeError::Network(
                    "the peer's tip block is not its snapshot's tip".into(),
                ));
            }
            let certificate = consensus::CommitCertificate::check_seal(
                &block.header,
                block.certificate.as_deref(),
                &seal.chain,
                schedule.set_at(state.tip.height),
            )?;
            info!(
                height = state.tip.height,
                signers = certificate.signatures().len(),
                set_changes = set_changes.len(),
                "snapshot tip's certificate verified"
            );
        }
    } else if trusted.is_none() {
        // Walk the signed headers from the genesis to the snapshot's tip.
        let mut tip = start.clone();
        while tip.tip.height < state.tip.height {
            let from = tip.tip.height + 1;
            let count = (state.tip.height - tip.tip.height).min(u64::from(MAX_HEADERS)) as u32;
            let SyncResponse::Headers(headers) =
                request(swarm, peer, SyncRequest::Headers { from, count }).await?
            else {
                return Err(NodeError::Network("the peer sent no headers".into()));
            };
            if headers.is_empty() {
                return Err(NodeError::Network(
                    "the peer has no headers up to its snapshot".into(),
                ));
            }
            tip.tip = tip.follow_headers(headers.iter().map(|h| (&h.header, &h.signature)))?;
        }
        if tip.tip.id() != state.tip.id() {
            return Err(NodeError::Network(
                "the snapshot's tip is not on the signed chain".into(),
            ));
        }
    }
    info!(height = state.tip.height, "snapshot verified");
    Ok(VerifiedSnapshot { state, set_changes })
}

/// Asks `peer` for its chain's validator-set changes, page by page, and
/// adopts those included at or below `tip` one by one from the genesis's
/// set ([`consensus::ValidatorSchedule::adopt`]): a forged or missing link
/// fails at once, so a hostile peer costs at most one page's decoding and
/// one change's signature check beyond the real changes.
async fn fetch_set_changes(
    swarm: &mut Swarm<Behaviour>,
    peer: PeerId,
    seal: &Seal,
    tip: u64,
) -> Result<consensus::ValidatorSchedule, NodeError> {
    let mut schedule = consensus::ValidatorSchedule::new(seal.set.clone());
    let mut from = consensus::FIRST_HEIGHT;
    while from <= tip {
        let SyncResponse::SetChanges(page) =
            request(swarm, peer, SyncRequest::SetChanges { from }).await?
        else {
            return Err(NodeError::Network(
                "the peer answered with no validator-set changes".into(),
            ));
        };
        let full = page.len() >= MAX_SET_CHANGES as usize;
        for (height, bytes) in page {
            if height < from {
                return Err(NodeError::Network(format!(
                    "the peer sent a validator-set change included at {height}, below the {from} asked for"
                )));
            }
            if height > tip {
                // Included after the snapshot: the node applies it when
                // it stores that block.
                return Ok(schedule);
            }
            let change = consensus::ApprovedSetChange::from_bytes(&bytes)
                .map_err(NodeError::BadSetChanges)?;
            schedule
                .adopt(&seal.chain, height, change)
                .map_err(NodeError::BadSetChanges)?;
            from = height.saturating_add(1);
        }
        if !full {
            break;
        }
    }
    Ok(schedule)
}

/// Waits for the first connection.
async fn connected(swarm: &mut Swarm<Behaviour>) -> Result<PeerId, NodeError> {
    let mut failures = Vec::new();
    loop {
        match swarm.select_next_some().await {
            SwarmEvent::ConnectionEstablished { peer_id, .. } => return Ok(peer_id),
            SwarmEvent::OutgoingConnectionError { error, .. } => {
                failures.push(error.to_string());
                if swarm.network_info().num_peers() == 0 && failures.len() >= dialed(swarm) {
                    return Err(NodeError::Network(format!(
                        "no peer could be reached: {}",
                        failures.join("; ")
                    )));
                }
            }
            _ => {}
        }
    }
}

/// How many dials are or were under way (at least one was made).
fn dialed(swarm: &Swarm<Behaviour>) -> usize {
    swarm
        .network_info()
        .connection_counters()
        .num_pending_outgoing() as usize
        + 1
}

/// Sends `req` to `peer` and drives the swarm until its answer.
async fn request(
    swarm: &mut Swarm<Behaviour>,
    peer: PeerId,
    req: SyncRequest,
) -> Result<SyncResponse, NodeError> {
    let id = swarm.behaviour_mut().sync.send_request(&peer, req);
    loop {
        match swarm.select_next_some().await {
            SwarmEvent::Behaviour(BehaviourEvent::Sync(request_response::Event::Message {
                message:
                    Message::Response {
                        request_id,
                        response,
                    },
                ..
            })) if request_id == id => {
                return match response {
                    SyncResponse::Error(reason) => {
                        Err(NodeError::Network(format!("the peer refused: {reason}")))
                    }
                    other => Ok(other),
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Sync(
                request_response::Event::OutboundFailure {
                    request_id, error, ..
                },
            )) if request_id == id => {
                return Err(NodeError::Network(format!("request failed: {error}")))
            }
            _ => {}
        }
    }
}
