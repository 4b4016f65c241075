//! The engine wrapper: runs Malachite for one validator and answers its
//! requests with an [`App`] (docs/spec/consensus.md §Engine).

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use blockchain::{Block, BlockID};
use bytes::Bytes;
use malachitebft_app_channel::app::config::{
    ConsensusConfig, NodeConfig, P2pConfig, ValueSyncConfig,
};
use malachitebft_app_channel::app::engine::host::{HeightParams, Next, SyncedValueOutcome};
use malachitebft_app_channel::app::net::Multiaddr;
use malachitebft_app_channel::app::streaming::{StreamContent, StreamId, StreamMessage};
use malachitebft_app_channel::app::types::codec::Codec;
use malachitebft_app_channel::app::types::core::{LinearTimeouts, Round, Validity};
use malachitebft_app_channel::app::types::sync::RawDecidedValue;
use malachitebft_app_channel::app::types::{Keypair, LocallyProposedValue, PeerId, ProposedValue};
use malachitebft_app_channel::{
    AppMsg, Channels, ConsensusContext, EngineHandle, NetworkContext, NetworkIdentity, NetworkMsg,
    RequestContext, Signer, SyncContext, WalContext,
};
use musig::SecretKey;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use crate::certificate::CommitCertificate;
use crate::codec::ZkCodec;
use crate::context::{BlockValue, ChainId, Height, ProposalPart, ZkContext, MAX_PART_SIZE};
use crate::signing::{
    block_bytes_hash, sign_bytes, stream_sign_bytes, verify_bytes, ZkSigner, ZkVerifier,
};
use crate::status::{evidence_records, ConsensusStatus, Decision, Evidence};
use crate::validators::{Address, ValidatorKey, ValidatorSet};
use crate::{BoxError, ConsensusError};

/// What the engine asks of the application (the node): build blocks,
/// judge blocks, store decided blocks, serve them to syncing validators.
///
/// Heights are block heights; the first decided height is
/// [`crate::FIRST_HEIGHT`]. Block bytes are [`blockchain::Block`]'s
/// encoding; the engine decodes them only to learn the [`BlockID`] and
/// height.
pub trait App: Send + 'static {
    /// The height of the last committed block (1 when only the initial
    /// header exists). Consensus starts at the next height.
    fn tip_height(&self) -> u64;

    /// Builds this validator's block for `height` (on top of the tip at
    /// `height − 1`) and returns its encoding.
    fn propose(&mut self, height: u64) -> impl Future<Output = Result<Vec<u8>, BoxError>> + Send;

    /// Judges a proposed block for `height`: `Ok` when the application
    /// would accept it on top of its tip, `Err` (a reason) otherwise.
    /// Validators vote nil on a refused block and the round moves on.
    fn validate(
        &mut self,
        height: u64,
        block: &[u8],
    ) -> impl Future<Output = Result<(), BoxError>> + Send;

    /// Stores the decided `block` with its certificate. The certificate is
    /// verified; the block is the one the certificate names.
    fn commit(
        &mut self,
        block: Vec<u8>,
        certificate: CommitCertificate,
    ) -> impl Future<Output = Result<(), BoxError>> + Send;

    /// A decided block and its certificate at `height`, for a validator
    /// catching up; `None` when not stored.
    fn decided_block(
        &mut self,
        height: u64,
    ) -> impl Future<Output = Result<Option<(Vec<u8>, CommitCertificate)>, BoxError>> + Send;

    /// Equivocation the engine saw at the height just finalized
    /// (docs/spec/consensus.md §Evidence): each record's two signatures were
    /// verified. The engine has already logged it and added it to its
    /// [`ConsensusStatus`]; an application that keeps or acts on evidence
    /// overrides this.
    fn evidence(&mut self, records: &[Evidence]) {
        let _ = records;
    }

    /// The validator set deciding `height` (docs/spec/consensus.md
    /// §Validator-set changes): the engine asks at each height it starts
    /// and uses the answer for proposer selection, stream
    /// authentication, certificate checks and its status. `None` (the
    /// default) means the set given to [`start`], for a chain whose set
    /// never changes.
    fn validator_set(&self, height: u64) -> Option<ValidatorSet> {
        let _ = height;
        None
    }
}

/// Round timeouts (Tendermint's): each grows by its delta per round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Waiting for a proposal.
    pub propose: Duration,
    /// Waiting for more prevotes after a quorum of any prevotes.
    pub prevote: Duration,
    /// Waiting for more precommits after a quorum of any precommits.
    pub precommit: Duration,
    /// Added to each timeout per round.
    pub delta: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            propose: Duration::from_secs(3),
            prevote: Duration::from_secs(1),
            precommit: Duration::from_secs(1),
            delta: Duration::from_millis(500),
        }
    }
}

impl Timeouts {
    fn linear(&self) -> LinearTimeouts {
        LinearTimeouts {
            propose: self.propose,
            propose_delta: self.delta,
            prevote: self.prevote,
            prevote_delta: self.delta,
            precommit: self.precommit,
            precommit_delta: self.delta,
            rebroadcast: self.propose + self.prevote + self.precommit,
            max_timeout: Duration::from_secs(60),
        }
    }
}

/// A validator's engine configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// The chain every signature is bound to.
    pub chain: ChainId,
    /// A name for logs.
    pub moniker: String,
    /// The validator's consensus directory; the WAL is `home/wal/consensus.wal`.
    pub home: PathBuf,
    /// Where the consensus network listens (e.g. `/ip4/127.0.0.1/tcp/27000`).
    pub listen: Multiaddr,
    /// The other validators' consensus addresses, dialled and kept.
    pub peers: Vec<Multiaddr>,
    /// Round timeouts.
    pub timeouts: Timeouts,
}

/// The engine's node configuration as Malachite wants it.
#[derive(Clone, Debug)]
struct EngineConfig {
    moniker: String,
    consensus: ConsensusConfig,
    value_sync: ValueSyncConfig,
}

impl NodeConfig for EngineConfig {
    fn moniker(&self) -> &str {
        &self.moniker
    }

    fn consensus(&self) -> &ConsensusConfig {
        &self.consensus
    }

    fn consensus_mut(&mut self) -> &mut ConsensusConfig {
        &mut self.consensus
    }

    fn value_sync(&self) -> &ValueSyncConfig {
        &self.value_sync
    }

    fn value_sync_mut(&mut self) -> &mut ValueSyncConfig {
        &mut self.value_sync
    }
}

/// A running validator: the engine's actors and the task answering them.
pub struct Running {
    engine: EngineHandle,
    app: JoinHandle<Result<(), ConsensusError>>,
    status: watch::Receiver<ConsensusStatus>,
    /// The WAL file, locked by Malachite's WAL actor while it runs.
    wal: PathBuf,
}

/// Longest [`Running::stop`] waits for the WAL actor to let go of its
/// file after the engine has stopped.
const WAL_RELEASE_WAIT: Duration = Duration::from_secs(5);

impl Running {
    /// The validator's progress, updated as rounds start and blocks are
    /// decided (docs/spec/consensus.md §Status): `borrow()` reads the
    /// latest at no cost to the engine; clones are independent readers.
    pub fn status(&self) -> watch::Receiver<ConsensusStatus> {
        self.status.clone()
    }

    /// Stops the engine and the application task, and waits for both,
    /// then (at most 5 s) for the WAL file's lock to be
    /// released: the WAL actor, a child of the engine, closes its file on
    /// its own thread after the engine's handle ends, and an engine
    /// started again on the same directory right away would otherwise find
    /// it still locked.
    pub async fn stop(self) {
        self.engine.actor.stop(None);
        self.app.abort();
        // Cancelled or finished: either way nothing is left to do.
        let _ = self.app.await;
        self.engine.handle.abort();
        let _ = self.engine.handle.await;
        let deadline = tokio::time::Instant::now() + WAL_RELEASE_WAIT;
        while wal_locked(&self.wal) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Whether the application task has ended (an error or the engine's
    /// channel closing).
    pub fn is_finished(&self) -> bool {
        self.app.is_finished()
    }
}

/// Starts a validator: Malachite's network, consensus, sync and WAL
/// actors, and a task answering the engine with `app`. `validators` is the
/// set used where [`App::validator_set`] gives none. `key` must be in a
/// height's set for the node to vote at that height (otherwise it only
/// follows: a key joining the set votes from the change's effective
/// height on, a key leaving it stops).
pub async fn start<A: App>(
    config: Config,
    network_key: Keypair,
    key: SecretKey,
    validators: ValidatorSet,
    app: A,
) -> Result<Running, ConsensusError> {
    let ctx = ZkContext::new(config.chain);
    let public = ValidatorKey::new(key.verification_key())?;
    let address = public.address();

    let wal_dir = config.home.join("wal");
    std::fs::create_dir_all(&wal_dir).map_err(|source| ConsensusError::Io {
        path: wal_dir.display().to_string(),
        source,
    })?;

    let consensus = ConsensusConfig {
        p2p: P2pConfig {
            listen_addr: config.listen.clone(),
            persistent_peers: config.peers.clone(),
            ..P2pConfig::default()
        },
        ..ConsensusConfig::default()
    };
    let engine_config = EngineConfig {
        moniker: config.moniker.clone(),
        consensus,
        value_sync: ValueSyncConfig {
            status_update_interval: Duration::from_secs(1),
            request_timeout: Duration::from_secs(5),
            ..ValueSyncConfig::default()
        },
    };

    let signer = ZkSigner::new(config.chain, key.clone());
    let peer_id = network_key.public().to_peer_id().to_bytes();
    let proof = signer
        .sign_validator_proof(public.to_bytes().to_vec(), peer_id)
        .await
        .map_err(|e| ConsensusError::Engine(Box::new(e)))?;
    let proof_bytes = ZkCodec.encode(&proof)?;
    let identity = NetworkIdentity::new_validator(
        config.moniker.clone(),
        network_key,
        address.to_string(),
        proof_bytes,
    );

    let (channels, engine) = malachitebft_app_channel::start_engine(
        ctx,
        engine_config,
        WalContext::new(wal_dir.join("consensus.wal"), ZkCodec),
        NetworkContext::new(identity, ZkCodec),
        ConsensusContext::new_validator(
            address,
            Box::new(ZkVerifier::new(config.chain)),
            Box::new(signer),
        ),
        SyncContext::new(ZkCodec),
        RequestContext::new(100),
    )
    .await
    .map_err(|e| ConsensusError::Engine(e.into()))?;

    let (status_tx, status) = watch::channel(ConsensusStatus::new(address, &validators));
    let host = Host {
        status: status_tx,
        chain: config.chain,
        timeouts: config.timeouts.linear(),
        key,
        address,
        validators,
        app,
        blocks: BTreeMap::new(),
        seen: BTreeMap::new(),
        streams: Streams::default(),
        pending: Vec::new(),
        current: 0,
        committed: None,
    };
    let app = tokio::spawn(host.run(channels));
    Ok(Running {
        engine,
        app,
        status,
        wal: wal_dir.join("consensus.wal"),
    })
}

/// Whether someone holds the exclusive advisory lock (`flock`, as
/// Malachite's WAL takes it) on the file at `path`; a missing or
/// unreadable file is not locked.
fn wal_locked(path: &std::path::Path) -> bool {
    match std::fs::File::open(path) {
        // Dropping the file releases the probe's own lock at once.
        Ok(file) => matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock)),
        Err(_) => false,
    }
}

/// Most proposal streams buffered at once; the oldest is dropped first.
const MAX_STREAMS: usize = 64;

/// Largest decided range served to one sync request.
const MAX_SYNC_RANGE: u64 = 64;

/// A proposal stream being received from one publisher.
#[derive(Default)]
struct Stream {
    parts: BTreeMap<u64, StreamContent<ProposalPart>>,
    fin: Option<u64>,
    size: usize,
    order: u64,
}

impl Stream {
    /// The parts in order once every one up to the end has arrived.
    fn complete(&self) -> Option<Vec<&ProposalPart>> {
        let fin = self.fin?;
        if self.parts.len() as u64 != fin + 1 {
            return None;
        }
        let mut out = Vec::with_capacity(self.parts.len());
        for (i, (seq, content)) in self.parts.iter().enumerate() {
            if *seq != i as u64 {
                return None;
            }
            match content {
                StreamContent::Data(p) => out.push(p),
                StreamContent::Fin => {}
            }
        }
        Some(out)
    }
}

#[derive(Default)]
struct Streams {
    open: BTreeMap<(PeerId, StreamId), Stream>,
    counter: u64,
}

/// A complete, authenticated proposal stream.
struct ReceivedBlock {
    height: u64,
    round: Round,
    pol_round: Round,
    proposer: Address,
    bytes: Vec<u8>,
}

struct Host<A> {
    chain: ChainId,
    timeouts: LinearTimeouts,
    key: SecretKey,
    address: Address,
    validators: ValidatorSet,
    app: A,
    /// Blocks seen at undecided heights, by (height, ID).
    blocks: BTreeMap<(u64, BlockID), Vec<u8>>,
    /// Proposed values known per (height, round), replayed to the engine
    /// when it starts that round.
    seen: BTreeMap<(u64, Round), Vec<ProposedValue<ZkContext>>>,
    streams: Streams,
    /// Complete streams for heights not started yet.
    pending: Vec<ReceivedBlock>,
    /// The height consensus is at.
    current: u64,
    /// The height committed at the last `Decided`, and whether it worked.
    committed: Option<(u64, bool)>,
    /// Published progress and evidence.
    status: watch::Sender<ConsensusStatus>,
}

impl<A: App> Host<A> {
    /// The set deciding `height`: the application's, else the one given
    /// at start.
    fn set_at(&self, height: u64) -> ValidatorSet {
        self.app
            .validator_set(height)
            .unwrap_or_else(|| self.validators.clone())
    }

    /// The parameters of `height`, its set published in the status.
    fn params(&self, height: u64) -> HeightParams<ZkContext> {
        let set = self.set_at(height);
        self.status.send_modify(|s| s.set_validators(&set));
        HeightParams::new(set, self.timeouts, None)
    }

    async fn run(mut self, mut channels: Channels<ZkContext>) -> Result<(), ConsensusError> {
        while let Some(msg) = channels.consensus.recv().await {
            self.handle(msg, &mut channels).await?;
        }
        Ok(())
    }

    async fn handle(
        &mut self,
        msg: AppMsg<ZkContext>,
        channels: &mut Channels<ZkContext>,
    ) -> Result<(), ConsensusError> {
        // A reply whose receiver is gone means the engine is stopping:
        // nothing to do, so `send` results are ignored below.
        match msg {
            AppMsg::ConsensusReady { reply } => {
                let start = Height(self.app.tip_height() + 1);
                info!(height = %start, "consensus ready");
                let _ = reply.send((start, self.params(start.0)));
            }
            AppMsg::StartedRound {
                height,
                round,
                proposer,
                role,
                reply_value,
            } => {
                debug!(%height, %round, %proposer, ?role, "started round");
                self.current = height.0;
                self.status.send_modify(|s| {
                    s.height = height.0;
                    s.round = round.as_u32().unwrap_or(0);
                });
                self.prune(height.0);
                let (now, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
                    .into_iter()
                    .filter(|b| b.height >= height.0)
                    .partition(|b| b.height == height.0);
                self.pending = later;
                for block in now {
                    self.judge(block).await;
                }
                let values = self
                    .seen
                    .get(&(height.0, round))
                    .cloned()
                    .unwrap_or_default();
                let _ = reply_value.send(values);
            }
            AppMsg::GetValue {
                height,
                round,
                timeout: _,
                reply,
            } => {
                let bytes = match self.app.propose(height.0).await {
                    Ok(bytes) => bytes,
                    Err(e) => {
                        // No reply: the round's proposal times out.
                        warn!(%height, error = %e, "the application could not propose");
                        return Ok(());
                    }
                };
                let Some(id) = self.block_id(height.0, &bytes) else {
                    warn!(%height, "the application proposed a block that does not decode at this height");
                    return Ok(());
                };
                self.blocks.insert((height.0, id), bytes.clone());
                let value = BlockValue(id);
                self.remember(ProposedValue {
                    height,
                    round,
                    valid_round: Round::Nil,
                    proposer: self.address,
                    value,
                    validity: Validity::Valid,
                });
                let _ = reply.send(LocallyProposedValue::new(height, round, value));
                self.stream(channels, height.0, round, Round::Nil, &bytes)
                    .await;
            }
            AppMsg::RestreamProposal {
                height,
                round,
                valid_round,
                address: _,
                value_id,
            } => {
                if let Some(bytes) = self.blocks.get(&(height.0, value_id.0)).cloned() {
                    self.stream(channels, height.0, round, valid_round, &bytes)
                        .await;
                }
            }
            AppMsg::ReceivedProposalPart {
                from,
                published_by,
                part,
                reply,
            } => {
                let value = match self.receive_part(published_by.unwrap_or(from), part) {
                    Some(block) if block.height == self.current => self.judge(block).await,
                    Some(block) if block.height > self.current => {
                        // Judged against the right tip once that height starts.
                        if self.pending.len() >= MAX_STREAMS {
                            self.pending.remove(0);
                        }
                        self.pending.push(block);
                        None
                    }
                    _ => None,
                };
                let _ = reply.send(value);
            }
            AppMsg::ExtendVote { reply, .. } => {
                let _ = reply.send(None);
            }
            AppMsg::VerifyVoteExtensions {
                extensions, reply, ..
            } => {
                // Extensions are disabled; () carries nothing to refuse.
                let _ = reply.send(extensions.into_iter().map(|(a, _)| (a, Ok(()))).collect());
            }
            AppMsg::Decided {
                certificate,
                extensions: _,
                reply,
            } => {
                let height = certificate.height.0;
                let ok = self.commit(&certificate).await;
                self.committed = Some((height, ok));
                if ok {
                    // The application's tip is now `height`: a late stream
                    // for it must not be judged against that tip, and one
                    // for the next height may be.
                    self.current = height + 1;
                }
                let _ = reply.send(());
            }
            AppMsg::Finalized {
                certificate,
                evidence,
                reply,
                ..
            } => {
                let height = certificate.height.0;
                if !evidence.is_empty() {
                    self.evidence(&evidence_records(&evidence));
                }
                let ok = matches!(self.committed, Some((h, true)) if h == height);
                let next = if ok {
                    self.prune(height + 1);
                    Next::Start(Height(height + 1), self.params(height + 1))
                } else {
                    warn!(height, "decided block not committed; restarting the height");
                    Next::Restart(Height(height), self.params(height))
                };
                let _ = reply.send(next);
            }
            AppMsg::GetHistoryMinHeight { reply } => {
                let _ = reply.send(Height(crate::FIRST_HEIGHT));
            }
            AppMsg::GetDecidedValues { range, reply } => {
                let mut values = Vec::new();
                let (lo, hi) = (range.start().0, range.end().0);
                for h in lo..=hi.min(lo.saturating_add(MAX_SYNC_RANGE - 1)) {
                    match self.app.decided_block(h).await {
                        Ok(Some((bytes, cert))) => values.push(RawDecidedValue {
                            value_bytes: Bytes::from(bytes),
                            certificate: cert.to_malachite(),
                        }),
                        Ok(None) => break,
                        Err(e) => {
                            warn!(height = h, error = %e, "cannot read a decided block");
                            break;
                        }
                    }
                }
                let _ = reply.send(values);
            }
            AppMsg::ProcessSyncedValue {
                height,
                round,
                proposer,
                value_bytes,
                reply,
            } => {
                let outcome = match self.block_id(height.0, &value_bytes) {
                    None => SyncedValueOutcome::PeerFault,
                    Some(id) => {
                        let validity = self.validity(height.0, &value_bytes).await;
                        self.blocks.insert((height.0, id), value_bytes.to_vec());
                        SyncedValueOutcome::Verdict(ProposedValue {
                            height,
                            round,
                            valid_round: Round::Nil,
                            proposer,
                            value: BlockValue(id),
                            validity,
                        })
                    }
                };
                let _ = reply.send(outcome);
            }
        }
        Ok(())
    }

    /// Logs equivocation, publishes it in the status and hands it to the
    /// application (docs/spec/consensus.md §Evidence).
    fn evidence(&mut self, records: &[Evidence]) {
        for e in records {
            warn!(
                validator = %e.validator,
                height = e.height,
                round = e.round,
                kind = e.kind.as_str(),
                first = ?e.first,
                second = ?e.second,
                "equivocation evidence"
            );
        }
        self.status.send_modify(|s| s.record(records));
        self.app.evidence(records);
    }

    /// The ID of `bytes` if they decode to a block of height `height`.
    fn block_id(&self, height: u64, bytes: &[u8]) -> Option<BlockID> {
        let block = Block::from_bytes(bytes).ok()?;
        (block.header.height == height).then(|| block.header.id())
    }

    async fn validity(&mut self, height: u64, bytes: &[u8]) -> Validity {
        match self.app.validate(height, bytes).await {
            Ok(()) => Validity::Valid,
            Err(e) => {
                info!(height, error = %e, "proposed block refused");
                Validity::Invalid
            }
        }
    }

    fn remember(&mut self, value: ProposedValue<ZkContext>) {
        let list = self.seen.entry((value.height.0, value.round)).or_default();
        if !list
            .iter()
            .any(|v| v.value == value.value && v.proposer == value.proposer)
        {
            list.push(value);
        }
    }

    /// Forgets blocks, values and streams below `height`.
    fn prune(&mut self, height: u64) {
        self.blocks = self
            .blocks
            .split_off(&(height, BlockID::from_bytes([0; 32])));
        self.seen.retain(|(h, _), _| *h >= height);
    }

    async fn commit(
        &mut self,
        cert: &malachitebft_app_channel::app::types::core::CommitCertificate<ZkContext>,
    ) -> bool {
        let height = cert.height.0;
        let ours = match CommitCertificate::from_malachite(cert) {
            Ok(c) => c,
            Err(e) => {
                warn!(height, error = %e, "unusable certificate");
                return false;
            }
        };
        if let Err(e) = ours.verify(&self.chain, &self.set_at(height)) {
            warn!(height, error = %e, "decided certificate does not verify");
            return false;
        }
        let Some(bytes) = self.blocks.get(&(height, ours.block_id())).cloned() else {
            warn!(height, "decided block not received");
            return false;
        };
        let decision = Decision {
            height,
            round: ours.round(),
            block: ours.block_id(),
            signers: ours.signatures().iter().map(|(a, _)| *a).collect(),
        };
        match self.app.commit(bytes, ours).await {
            Ok(()) => {
                self.status
                    .send_modify(|s| s.last_decision = Some(decision));
                true
            }
            Err(e) => {
                warn!(height, error = %e, "the application failed to commit");
                false
            }
        }
    }

    /// Publishes `bytes` as a proposal stream for `(height, round)`.
    async fn stream(
        &mut self,
        channels: &mut Channels<ZkContext>,
        height: u64,
        round: Round,
        pol_round: Round,
        bytes: &[u8],
    ) {
        let mut id = Vec::with_capacity(16);
        id.extend_from_slice(&height.to_le_bytes());
        id.extend_from_slice(&round.as_i64().to_le_bytes());
        let stream_id = StreamId::new(Bytes::from(id));
        let sig = sign_bytes(
            &self.key,
            &stream_sign_bytes(
                &self.chain,
                height,
                round,
                pol_round,
                &self.address,
                &block_bytes_hash(bytes),
            ),
        );
        let mut parts = vec![ProposalPart::Init {
            height: Height(height),
            round,
            pol_round,
            proposer: self.address,
        }];
        parts.extend(
            bytes
                .chunks(MAX_PART_SIZE)
                .map(|c| ProposalPart::Data(Bytes::copy_from_slice(c))),
        );
        parts.push(ProposalPart::Fin(sig));
        let mut contents: Vec<StreamContent<ProposalPart>> =
            parts.into_iter().map(StreamContent::Data).collect();
        contents.push(StreamContent::Fin);
        for (seq, content) in contents.into_iter().enumerate() {
            let msg = StreamMessage::new(stream_id.clone(), seq as u64, content);
            if channels
                .network
                .send(NetworkMsg::PublishProposalPart(msg))
                .await
                .is_err()
            {
                return;
            }
        }
    }

    /// Adds a part to its stream; returns the block once the stream is
    /// complete and signed by the round's proposer.
    fn receive_part(
        &mut self,
        publisher: PeerId,
        part: StreamMessage<ProposalPart>,
    ) -> Option<ReceivedBlock> {
        let key = (publisher, part.stream_id.clone());
        if !self.streams.open.contains_key(&key) {
            if self.streams.open.len() >= MAX_STREAMS {
                let oldest = self
                    .streams
                    .open
                    .iter()
                    .min_by_key(|(_, s)| s.order)
                    .map(|(k, _)| k.clone())?;
                self.streams.open.remove(&oldest);
            }
            self.streams.counter += 1;
            let order = self.streams.counter;
            self.streams.open.insert(
                key.clone(),
                Stream {
                    order,
                    ..Stream::default()
                },
            );
        }
        let stream = self.streams.open.get_mut(&key)?;
        let size = match &part.content {
            StreamContent::Data(ProposalPart::Data(b)) => b.len(),
            _ => 0,
        };
        if stream.size + size > blockchain::MAX_BLOCK_SIZE
            || stream.parts.contains_key(&part.sequence)
        {
            // Oversized or replayed: drop the stream.
            self.streams.open.remove(&key);
            return None;
        }
        stream.size += size;
        if matches!(part.content, StreamContent::Fin) {
            stream.fin = Some(part.sequence);
        }
        stream.parts.insert(part.sequence, part.content);
        let parts: Vec<ProposalPart> = stream.complete()?.into_iter().cloned().collect();
        self.streams.open.remove(&key);
        self.authenticate(parts)
    }

    /// Checks a complete stream: `Init`, data, `Fin`; the proposer is the
    /// round's; its signature covers the stream.
    fn authenticate(&self, parts: Vec<ProposalPart>) -> Option<ReceivedBlock> {
        let (first, rest) = parts.split_first()?;
        let (last, data) = rest.split_last()?;
        let ProposalPart::Init {
            height,
            round,
            pol_round,
            proposer,
        } = first
        else {
            return None;
        };
        let ProposalPart::Fin(sig) = last else {
            return None;
        };
        let round_n = round.as_u32()?;
        let set = self.set_at(height.0);
        let expected = set.proposer(height.0, round_n);
        if expected.address() != proposer {
            debug!(%height, %round, "stream from a validator who is not the proposer");
            return None;
        }
        let mut bytes = Vec::new();
        for p in data {
            match p {
                ProposalPart::Data(b) => bytes.extend_from_slice(b),
                _ => return None,
            }
        }
        let msg = stream_sign_bytes(
            &self.chain,
            height.0,
            *round,
            *pol_round,
            proposer,
            &block_bytes_hash(&bytes),
        );
        if verify_bytes(expected.key(), &msg, sig).is_err() {
            debug!(%height, %round, "stream with a bad signature");
            return None;
        }
        Some(ReceivedBlock {
            height: height.0,
            round: *round,
            pol_round: *pol_round,
            proposer: *proposer,
            bytes,
        })
    }

    /// Validates a received block and records it; `None` when it does not
    /// decode to a block of its height (then no value exists for the round
    /// and the proposal times out).
    async fn judge(&mut self, b: ReceivedBlock) -> Option<ProposedValue<ZkContext>> {
        let id = self.block_id(b.height, &b.bytes)?;
        let validity = self.validity(b.height, &b.bytes).await;
        self.blocks.insert((b.height, id), b.bytes);
        let value = ProposedValue {
            height: Height(b.height),
            round: b.round,
            valid_round: b.pol_round,
            proposer: b.proposer,
            value: BlockValue(id),
            validity,
        };
        self.remember(value.clone());
        Some(value)
    }
}
