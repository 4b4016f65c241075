//! Four validators and a follower in process, on loopback
//! (docs/spec/consensus.md §Node): each validator with its own key in its
//! data directory, each dialing the others for blocks and for consensus,
//! the follower dialing the four. Shared by the certified-chain test, the
//! set-removal test and the decided-payments benchmark.

use blockchain::Genesis;
use consensus::{ApprovedSetChange, ChainId, SetChange, Validator, ValidatorKey, ValidatorSet};
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use node::{Chain, Limits, NodeConfig, RunningNode};
use zkvm::{Data, Predicate, Program, Prover, Tx, TxHeader};

use super::{node_config, open_value, Net};

/// A free TCP port on loopback (bound, then released).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Four validator keys and the set they make, power 1 each.
pub fn validators() -> (Vec<Scalar>, Vec<SecretKey>, ValidatorSet) {
    let scalars: Vec<Scalar> = (0..4u64).map(|i| Scalar::from(1000 + i)).collect();
    let keys: Vec<SecretKey> = scalars.iter().map(|s| SecretKey::from_scalar(*s)).collect();
    let set = ValidatorSet::new(
        keys.iter()
            .map(|k| Validator::new(ValidatorKey::new(k.verification_key()).unwrap(), 1).unwrap())
            .collect(),
    )
    .unwrap();
    (scalars, keys, set)
}

/// The set of `keys` with the voting power beside each.
pub fn set_with_powers(keys: &[(&SecretKey, u64)]) -> ValidatorSet {
    ValidatorSet::new(
        keys.iter()
            .map(|(k, power)| {
                Validator::new(ValidatorKey::new(k.verification_key()).unwrap(), *power).unwrap()
            })
            .collect(),
    )
    .unwrap()
}

/// `change` approved by `keys`, each signing against `current`, the set
/// in force where the change is to be included
/// (docs/spec/consensus.md §Validator-set changes).
pub fn approved(
    chain: &ChainId,
    change: &SetChange,
    current: &ValidatorSet,
    keys: &[&SecretKey],
) -> ApprovedSetChange {
    ApprovedSetChange::new(
        change.clone(),
        keys.iter()
            .map(|k| change.approve(chain, current, k))
            .collect(),
    )
}

/// A payment of `net`'s genesis UTXO `i` (fee 1) whose log also carries
/// `data`: how a set change travels (docs/spec/consensus.md
/// §Validator-set changes, Transport).
pub fn pay_logging(net: &mut Net, i: usize, data: Vec<u8>) -> Tx {
    let input = net.utxos[i].clone();
    let v = open_value(999, &mut net.rng);
    let mut p = Program::new();
    p.push(input).input().signtx();
    p.push(Data::U32(1)).fee();
    p.push(data).log();
    p.push(v.qty.clone()).push(v.flv.clone());
    p.cloak(2, 1);
    p.push(Predicate::key(SecretKey::random(&mut net.rng)))
        .output(1);
    let header = TxHeader {
        version: 1,
        mintime_ms: 0,
        maxtime_ms: u64::MAX,
    };
    Prover::build_tx(header, p).unwrap().sign().unwrap()
}

/// A node of `genesis` started on `config` (no block key).
pub fn start(config: NodeConfig, genesis: &Genesis) -> RunningNode {
    let path = config.db_path();
    let genesis = genesis.clone();
    RunningNode::start(config, move || {
        Chain::init(&path, genesis, None, Limits::default())
    })
    .unwrap()
}

/// The height of a running node's chain.
pub fn height(node: &RunningNode) -> u64 {
    node.chain().unwrap().view().height()
}

/// The four validators (in key order) and the follower, with their data
/// directories (`dirs[4]` the follower's).
pub struct Federation {
    pub dirs: Vec<tempfile::TempDir>,
    pub validators: Vec<RunningNode>,
    pub follower: RunningNode,
}

impl Federation {
    /// Starts the validators of `scalars` (the keys of `genesis`'s set)
    /// and a follower: blocks `block_interval_ms` after the last decision
    /// when payments wait, an empty one after `empty_block_interval_ms`.
    pub fn start(
        genesis: &Genesis,
        scalars: &[Scalar],
        block_interval_ms: u64,
        empty_block_interval_ms: u64,
    ) -> Federation {
        let n = scalars.len();
        let dirs: Vec<tempfile::TempDir> = (0..=n).map(|_| tempfile::tempdir().unwrap()).collect();
        let p2p: Vec<u16> = (0..=n).map(|_| free_port()).collect();
        let cons: Vec<u16> = (0..n).map(|_| free_port()).collect();
        let mut validators = Vec::new();
        for i in 0..n {
            let peers = (0..n)
                .filter(|j| *j != i)
                .map(|j| format!("127.0.0.1:{}", p2p[j]))
                .collect();
            let mut config = node_config(dirs[i].path(), peers, block_interval_ms);
            config.listen = vec![format!("127.0.0.1:{}", p2p[i])];
            config.empty_block_interval_ms = empty_block_interval_ms;
            config.consensus_listen = Some(format!("/ip4/127.0.0.1/tcp/{}", cons[i]));
            config.consensus_peers = (0..n)
                .filter(|j| *j != i)
                .map(|j| format!("/ip4/127.0.0.1/tcp/{}", cons[j]))
                .collect();
            node::write_validator_key(&dirs[i].path().join(node::VALIDATOR_KEY_FILE), &scalars[i])
                .unwrap();
            validators.push(start(config, genesis));
        }
        let peers = (0..n).map(|j| format!("127.0.0.1:{}", p2p[j])).collect();
        let mut config = node_config(dirs[n].path(), peers, block_interval_ms);
        config.listen = vec![format!("127.0.0.1:{}", p2p[n])];
        let follower = start(config, genesis);
        Federation {
            dirs,
            validators,
            follower,
        }
    }
}
