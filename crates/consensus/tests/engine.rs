#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Validators deciding real blocks over loopback TCP, each with its own
//! WAL directory, bounded by timeouts.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use accumulator::Forest;
use blockchain::{BlockID, ChainState, VerifiedBlock};
use consensus::{
    start, Address, App, BoxError, ChainId, CommitCertificate, Config, Evidence, EvidenceKind,
    Multiaddr, NetworkKeypair, Running, Timeouts, Validator, ValidatorKey, ValidatorSet,
};
use musig::SecretKey;
use rand::RngCore;

/// What one validator committed, height by height.
type Log = Arc<Mutex<BTreeMap<u64, (BlockID, CommitCertificate)>>>;

/// The evidence one validator's application was handed.
type EvidenceLog = Arc<Mutex<Vec<Evidence>>>;

/// How a test application behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Behaviour {
    Honest,
    /// Proposes blocks with a non-empty header extension, which every
    /// honest validator refuses.
    InvalidProposals,
    /// Refuses every proposal the first time it judges it (so its engine
    /// votes nil on it) but accepts the same block when value sync brings
    /// it again after the decision, and commits what is decided: with the
    /// same key as an honest instance, the key signs two different votes
    /// in every round, height after height.
    RefuseAll,
    /// Honest, but judges each proposal only after a pause
    /// ([`deliberation`]): the refusing twin's instant nil votes then reach
    /// everyone while the height is still open, so its equivocation is
    /// seen (without the pause, empty blocks are decided before those
    /// votes arrive, and votes for a decided height raise no evidence).
    Deliberate,
}

/// How long a [`Behaviour::Deliberate`] validator takes to judge a block
/// at `height`: longer at the first height, while the validators' gossip
/// mesh is still forming, and always below the propose timeout.
fn deliberation(height: u64) -> Duration {
    if height == consensus::FIRST_HEIGHT {
        Duration::from_millis(1000)
    } else {
        Duration::from_millis(300)
    }
}

/// A test application on a real chain state (no transactions): proposes
/// empty blocks, validates with `VerifiedBlock::verify`, commits by
/// applying; misbehaves as its [`Behaviour`] says.
struct ChainApp {
    state: ChainState,
    block_key: SecretKey,
    behaviour: Behaviour,
    /// Blocks a [`Behaviour::RefuseAll`] application has refused once.
    refused: BTreeSet<Vec<u8>>,
    stored: BTreeMap<u64, (Vec<u8>, CommitCertificate)>,
    log: Log,
    evidence: EvidenceLog,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl App for ChainApp {
    fn tip_height(&self) -> u64 {
        self.state.tip.height
    }

    async fn propose(&mut self, height: u64) -> Result<Vec<u8>, BoxError> {
        assert_eq!(height, self.state.tip.height + 1);
        let ts = now_ms().max(self.state.tip.timestamp_ms + 1);
        let mut block = self
            .state
            .make_block(&Forest::new(), vec![], ts, &self.block_key)?;
        if self.behaviour == Behaviour::InvalidProposals {
            block.header.ext = vec![1];
            block.signature = blockchain::sign_header(&block.header, &self.block_key);
        }
        Ok(block.to_bytes())
    }

    async fn validate(&mut self, height: u64, block: &[u8]) -> Result<(), BoxError> {
        assert_eq!(height, self.state.tip.height + 1);
        if self.behaviour == Behaviour::RefuseAll && self.refused.insert(block.to_vec()) {
            return Err("refusing everything".into());
        }
        if self.behaviour == Behaviour::Deliberate {
            tokio::time::sleep(deliberation(height)).await;
        }
        VerifiedBlock::verify(block.to_vec(), &self.state, &())?;
        Ok(())
    }

    async fn commit(&mut self, block: Vec<u8>, cert: CommitCertificate) -> Result<(), BoxError> {
        let verified = VerifiedBlock::verify(block.clone(), &self.state, &())?;
        assert_eq!(verified.id(), cert.block_id());
        self.state = self.state.apply_verified(&verified)?;
        let height = self.state.tip.height;
        self.stored.insert(height, (block, cert.clone()));
        self.log
            .lock()
            .map_err(|_| "poisoned")?
            .insert(height, (verified.id(), cert));
        Ok(())
    }

    async fn decided_block(
        &mut self,
        height: u64,
    ) -> Result<Option<(Vec<u8>, CommitCertificate)>, BoxError> {
        Ok(self.stored.get(&height).cloned())
    }

    fn evidence(&mut self, records: &[Evidence]) {
        if let Ok(mut log) = self.evidence.lock() {
            log.extend_from_slice(records);
        }
    }
}

/// A federation on loopback: instance `i` runs with `keys[i]`; the set is
/// the distinct keys (a key listed twice is one validator run twice).
struct Net {
    chain: ChainId,
    set: ValidatorSet,
    keys: Vec<SecretKey>,
    addrs: Vec<Multiaddr>,
    genesis: ChainState,
    block_key: SecretKey,
    dirs: Vec<tempfile::TempDir>,
    logs: Vec<Log>,
    evidence: Vec<EvidenceLog>,
}

/// Distinct free ports: all bound at once, then released.
fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("bind"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("addr").port())
        .collect()
}

/// The scenarios run one at a time: several federations at once on a
/// two-core machine would test the scheduler, not consensus.
static SERIAL: std::sync::OnceLock<tokio::sync::Mutex<()>> = std::sync::OnceLock::new();

async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    SERIAL
        .get_or_init(|| tokio::sync::Mutex::new(()))
        .lock()
        .await
}

impl Net {
    fn new(n: usize) -> Net {
        Net::with_twins(n, &[])
    }

    /// `n` validators, and after them one more instance of each validator
    /// in `twins` (same key, its own directory and address).
    fn with_twins(n: usize, twins: &[usize]) -> Net {
        let mut rng = rand::thread_rng();
        let keys: Vec<SecretKey> = (0..n).map(|_| SecretKey::random(&mut rng)).collect();
        let set = ValidatorSet::new(
            keys.iter()
                .map(|k| {
                    Validator::new(ValidatorKey::new(k.verification_key()).unwrap(), 1).unwrap()
                })
                .collect(),
        )
        .unwrap();
        let block_key = SecretKey::random(&mut rng);
        let genesis = ChainState::start(now_ms(), block_key.verification_key(), &[]).unwrap();
        let mut keys = keys;
        for t in twins {
            keys.push(keys[*t].clone());
        }
        let n = keys.len();
        Net {
            chain: ChainId::from_genesis(genesis.initial.id()),
            set,
            keys,
            addrs: free_ports(n)
                .into_iter()
                .map(|p| format!("/ip4/127.0.0.1/tcp/{p}").parse().unwrap())
                .collect(),
            genesis,
            block_key,
            dirs: (0..n).map(|_| tempfile::tempdir().unwrap()).collect(),
            logs: (0..n).map(|_| Log::default()).collect(),
            evidence: (0..n).map(|_| EvidenceLog::default()).collect(),
        }
    }

    async fn start(&self, i: usize, byzantine: bool) -> Running {
        let behaviour = if byzantine {
            Behaviour::InvalidProposals
        } else {
            Behaviour::Honest
        };
        self.start_as(i, behaviour).await
    }

    async fn start_as(&self, i: usize, behaviour: Behaviour) -> Running {
        let config = Config {
            chain: self.chain,
            moniker: format!("v{i}"),
            home: self.dirs[i].path().to_path_buf(),
            listen: self.addrs[i].clone(),
            peers: (0..self.addrs.len())
                .filter(|j| *j != i)
                .map(|j| self.addrs[j].clone())
                .collect(),
            timeouts: Timeouts {
                propose: Duration::from_millis(1500),
                prevote: Duration::from_millis(500),
                precommit: Duration::from_millis(500),
                delta: Duration::from_millis(250),
            },
        };
        let mut seed = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut seed);
        let network_key = NetworkKeypair::ed25519_from_bytes(seed).unwrap();
        let app = ChainApp {
            state: self.genesis.clone(),
            block_key: self.block_key.clone(),
            behaviour,
            refused: BTreeSet::new(),
            stored: BTreeMap::new(),
            log: self.logs[i].clone(),
            evidence: self.evidence[i].clone(),
        };
        start(
            config,
            network_key,
            self.keys[i].clone(),
            self.set.clone(),
            app,
        )
        .await
        .unwrap()
    }

    fn committed(&self, i: usize) -> BTreeMap<u64, (BlockID, CommitCertificate)> {
        self.logs[i].lock().unwrap().clone()
    }

    /// Waits until each validator in `who` has committed `height`.
    async fn wait_for(&self, who: &[usize], height: u64, limit: Duration) {
        let start = Instant::now();
        loop {
            if who.iter().all(|i| self.committed(*i).contains_key(&height)) {
                return;
            }
            assert!(
                start.elapsed() < limit,
                "height {height} not committed by {who:?} within {limit:?}: {:?}",
                who.iter()
                    .map(|i| self.committed(*i).keys().max().copied())
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every validator in `who` committed the same block at each height up
    /// to `height`, and each certificate verifies against the set.
    fn check_agreement(&self, who: &[usize], height: u64) {
        for h in consensus::FIRST_HEIGHT..=height {
            let mut ids = Vec::new();
            for i in who {
                let (id, cert) = self.committed(*i)[&h].clone();
                assert_eq!(cert.height(), h);
                assert_eq!(cert.block_id(), id);
                cert.verify(&self.chain, &self.set).unwrap();
                let back = CommitCertificate::from_bytes(&cert.to_bytes()).unwrap();
                back.verify(&self.chain, &self.set).unwrap();
                ids.push(id);
            }
            assert!(ids.windows(2).all(|w| w[0] == w[1]), "fork at height {h}");
        }
    }
}

fn wal_exists(net: &Net, i: usize) -> bool {
    net.dirs[i]
        .path()
        .join("wal")
        .join("consensus.wal")
        .exists()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_validator_decides_three_heights_alone() {
    let _serial = serial().await;
    let net = Net::new(1);
    let v = net.start(0, false).await;
    net.wait_for(&[0], 4, Duration::from_secs(60)).await;
    v.stop().await;
    net.check_agreement(&[0], 4);
    // Alone, a validator holds all the power: one signature per certificate.
    assert_eq!(net.committed(0)[&4].1.signatures().len(), 1);
    assert!(wal_exists(&net, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_decide_five_heights_and_agree() {
    let _serial = serial().await;
    let net = Net::new(4);
    let mut running = Vec::new();
    for i in 0..4 {
        running.push(net.start(i, false).await);
    }
    net.wait_for(&[0, 1, 2, 3], 6, Duration::from_secs(120))
        .await;
    for r in running {
        r.stop().await;
    }
    net.check_agreement(&[0, 1, 2, 3], 6);
    for i in 0..4 {
        assert!(wal_exists(&net, i));
        // Certificates carry a quorum: at least 3 of the 4 equal powers.
        assert!(net.committed(i)[&6].1.signatures().len() >= 3);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_of_four_keep_deciding_when_one_stops() {
    let _serial = serial().await;
    let net = Net::new(4);
    let mut running = Vec::new();
    for i in 0..4 {
        running.push(net.start(i, false).await);
    }
    net.wait_for(&[0, 1, 2, 3], 3, Duration::from_secs(120))
        .await;
    let stopped = running.pop().expect("four");
    stopped.stop().await;
    let before = net.committed(3).keys().max().copied().unwrap_or(0);
    // The stopped validator is the proposer of every fourth round 0; the
    // others time out on it and decide in the next round.
    net.wait_for(&[0, 1, 2], before + 4, Duration::from_secs(180))
        .await;
    for r in running {
        r.stop().await;
    }
    net.check_agreement(&[0, 1, 2], before + 4);
    // The stopped one decided nothing after it stopped.
    assert!(net.committed(3).keys().max().copied().unwrap_or(0) <= before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_proposal_is_refused_and_the_round_moves_on() {
    let _serial = serial().await;
    let net = Net::new(4);
    let byzantine = 0;
    let mut running = Vec::new();
    for i in 0..4 {
        running.push(net.start(i, i == byzantine).await);
    }
    let honest = [1, 2, 3];
    // Over four heights, the byzantine validator is proposer of one
    // round 0 (proposers rotate with the height).
    net.wait_for(&honest, 6, Duration::from_secs(180)).await;
    for r in running {
        r.stop().await;
    }
    net.check_agreement(&honest, 6);
    let log = net.committed(1);
    let mut later_rounds = 0;
    for h in consensus::FIRST_HEIGHT..=6 {
        let (_, cert) = &log[&h];
        if cert.round() > 0 {
            later_rounds += 1;
        }
    }
    assert!(later_rounds >= 1, "no height needed a second round");
    // Every decided block passed the honest apps' full verification when
    // they committed it (`ChainApp::commit`), which refuses the byzantine
    // kind (a non-empty header extension).
    // Proposing an invalid block is not equivocation: no evidence.
    for i in honest {
        assert!(net.evidence[i].lock().unwrap().is_empty());
    }
}

fn address(key: &SecretKey) -> Address {
    ValidatorKey::new(key.verification_key()).unwrap().address()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_voting_validator_leaves_evidence_and_safety_holds() {
    let _serial = serial().await;
    // Validator 3 runs twice with one key: instance 3 is honest, instance 4
    // refuses every block it is proposed, so at each round one prevotes (and precommits)
    // a block and the other nil, both signed by validator 3's key; when 3
    // proposes, the two instances propose different blocks. The honest
    // instances deliberate before voting, so the twin's votes arrive while
    // the height they conflict in is still open.
    let net = Net::with_twins(4, &[3]);
    // The twin starts first, so that it is there from the first height.
    let twin = net.start_as(4, Behaviour::RefuseAll).await;
    let mut running = Vec::new();
    for i in 0..4 {
        running.push(net.start_as(i, Behaviour::Deliberate).await);
    }
    running.push(twin);
    let honest = [0, 1, 2];
    let equivocator = address(&net.keys[3]);
    let limit = Duration::from_secs(180);
    let start = Instant::now();
    let mut height = 3;
    loop {
        net.wait_for(&honest, height, limit).await;
        let all_saw = honest.iter().all(|i| {
            net.evidence[*i]
                .lock()
                .unwrap()
                .iter()
                .any(|e| e.validator == equivocator)
        });
        if all_saw {
            break;
        }
        assert!(
            start.elapsed() < limit,
            "no evidence against validator 3 by height {height}: evidence records per honest validator {:?}, the twin's last commit {:?}",
            honest
                .iter()
                .map(|i| net.evidence[*i].lock().unwrap().len())
                .collect::<Vec<_>>(),
            net.committed(4).keys().max()
        );
        height += 1;
    }
    let statuses: Vec<_> = honest
        .iter()
        .map(|i| running[*i].status().borrow().clone())
        .collect();
    for r in running {
        r.stop().await;
    }
    // Safety: the honest validators decided the same blocks, each with a
    // certificate of the set.
    net.check_agreement(&honest, height);
    for (i, status) in honest.iter().zip(&statuses) {
        let records = net.evidence[*i].lock().unwrap().clone();
        // Only validator 3 equivocated, and only its votes or proposals
        // conflict: two different values at one height and round.
        for e in &records {
            assert_eq!(
                e.validator, equivocator,
                "evidence against an honest validator"
            );
            assert_ne!(e.first, e.second);
            assert!(e.height >= consensus::FIRST_HEIGHT && e.height <= height);
        }
        assert!(records.iter().any(|e| matches!(
            e.kind,
            EvidenceKind::DoublePrevote | EvidenceKind::DoublePrecommit
        )));
        // The engine's published status carries the same evidence and the
        // progress of the validator.
        assert!(status.evidence.iter().any(|e| e.validator == equivocator));
        assert_eq!(status.address, address(&net.keys[*i]));
        assert_eq!((status.validators, status.total_power), (4, 4));
        let last = status.last_decision.as_ref().expect("a decision");
        assert!(status.height >= last.height);
        let (id, cert) = &net.committed(*i)[&last.height];
        assert_eq!(last.block, *id);
        assert_eq!(last.round, cert.round());
        let signers: Vec<Address> = cert.signatures().iter().map(|(a, _)| *a).collect();
        assert_eq!(last.signers, signers);
    }
}
