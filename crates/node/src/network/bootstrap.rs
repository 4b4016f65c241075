//! Bootstrapping from a peer's snapshot (docs/spec/network.md §Bootstrap):
//! the snapshot's UTXO roots must match its tip header's utxoroot, and the
//! tip must be the header the node trusts: given by ID, or reached from the
//! genesis through a chain of signed headers fetched from the same peer.
//! On a validators chain, whose headers are not signed, the tip's block is
//! fetched instead and its commit certificate checked against the
//! genesis's validator set (docs/spec/network.md §Bootstrap).

use std::time::Duration;

use blockchain::{Block, BlockID, ChainState, Genesis};
use futures::StreamExt;
use libp2p::identity::Keypair;
use libp2p::request_response::{self, Message};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, Swarm};
use tracing::info;

use super::behaviour::{build_swarm, Behaviour, BehaviourEvent};
use super::messages::{SyncRequest, SyncResponse, MAX_HEADERS};
use super::protocol::Names;
use crate::{NodeError, Seal};

/// Fetches a snapshot of the network of `genesis` from the first of
/// `peers` that answers, and checks it: against `trusted` (a block ID) if
/// given, otherwise against the genesis by the signed headers up to the
/// snapshot's tip. Gives up after `timeout`.
pub async fn fetch_snapshot(
    genesis: &Genesis,
    peers: &[Multiaddr],
    trusted: Option<BlockID>,
    timeout: Duration,
) -> Result<ChainState, NodeError> {
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
) -> Result<ChainState, NodeError> {
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
    if let Some(seal) = seal {
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
            // Against the genesis's set: the bootstrap knows no change
            // (docs/spec/consensus.md §Validator-set changes, Snapshots).
            let checked = consensus::CommitCertificate::check_seal(
                &block.header,
                block.certificate.as_deref(),
                &seal.chain,
                &seal.set,
            );
            let certificate = match checked {
                Ok(c) => c,
                // Signers outside the genesis's set, or too few of them:
                // the set may have changed since the genesis.
                Err(
                    e @ (consensus::ConsensusError::UnknownSigner { .. }
                    | consensus::ConsensusError::InsufficientPower { .. }),
                ) => return Err(NodeError::SnapshotAcrossSetChange(e)),
                Err(e) => return Err(e.into()),
            };
            info!(
                height = state.tip.height,
                signers = certificate.signatures().len(),
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
    Ok(state)
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
