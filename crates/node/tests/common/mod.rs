//! A small network for the node's tests: a genesis with UTXOs whose
//! openings and keys the test holds, and payments spending them.
#![allow(dead_code)]

pub mod federation;
pub mod http;
pub mod peer;

use blockchain::Genesis;
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use node::{Chain, Limits, NodeConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use zeroize::Zeroizing;
use zkvm::{
    Anchor, Commitment, Contract, Data, PortableItem, Predicate, Program, Prover, Tx, TxHeader,
    Value,
};

/// Keys, the genesis and its spendable UTXOs.
pub struct Net {
    pub block_key: Zeroizing<[u8; 32]>,
    pub owner: SecretKey,
    pub genesis: Genesis,
    /// Genesis UTXOs with openings: each holds 1000 units of flavor 0.
    pub utxos: Vec<Contract>,
    pub rng: StdRng,
}

pub const T0: u64 = 1_700_000_000_000;

impl Net {
    /// A genesis with `n` UTXOs of 1000 each, owned by one key.
    pub fn new(n: usize) -> Net {
        let mut rng = StdRng::seed_from_u64(7);
        let block_scalar = Scalar::random(&mut rng);
        let block_key = SecretKey::from_scalar(block_scalar);
        let owner = SecretKey::random(&mut rng);
        let utxos: Vec<Contract> = (0..n)
            .map(|_| Contract {
                anchor: Anchor::from_bytes(rng.gen()),
                predicate: Predicate::key(owner.clone()),
                payload: vec![PortableItem::Value(open_value(1000, &mut rng))],
            })
            .collect();
        let genesis = Genesis {
            timestamp_ms: T0,
            signers: block_key.verification_key(),
            utxos: utxos.clone(),
            validators: Vec::new(),
            assets: Vec::new(),
        };
        Net {
            block_key: Zeroizing::new(block_scalar.to_bytes()),
            owner,
            genesis,
            utxos,
            rng,
        }
    }

    /// A new producing chain in `dir`.
    pub fn init(&self, dir: &std::path::Path) -> Chain {
        Chain::init(
            &dir.join("chain.redb"),
            self.genesis.clone(),
            Some(self.block_key.clone()),
            Limits::default(),
        )
        .unwrap()
    }

    /// A payment of genesis UTXO `i` to two fresh keys (fee `fee`), valid
    /// from `T0` for ever.
    pub fn pay(&mut self, i: usize, fee: u64) -> (Tx, Vec<Contract>) {
        let input = self.utxos[i].clone();
        let a = 600u64;
        let b = 1000 - a - fee;
        let outs: Vec<(Value, Predicate)> = [a, b]
            .iter()
            .map(|q| {
                let k = SecretKey::random(&mut self.rng);
                (open_value(*q, &mut self.rng), Predicate::key(k))
            })
            .collect();
        let mut p = Program::new();
        p.push(input.clone()).input().signtx();
        // The fee is a negative value that the cloak takes as one more input.
        p.push(Data::U32(fee as u32)).fee();
        for (v, _) in &outs {
            p.push(v.qty.clone()).push(v.flv.clone());
        }
        p.cloak(2, outs.len());
        for (_, pred) in &outs {
            p.push(pred.clone()).output(1);
        }
        let header = TxHeader {
            version: 1,
            mintime_ms: 0,
            maxtime_ms: u64::MAX,
        };
        let tx = Prover::build_tx(header, p).unwrap().sign().unwrap();
        (tx, vec![input])
    }
}

/// A value of `qty` units of flavor 0 with random blinding factors.
pub fn open_value(qty: u64, rng: &mut StdRng) -> Value {
    Value {
        qty: Commitment::blinded_with_factor(qty, Scalar::random(rng)),
        flv: Commitment::blinded_with_factor(Scalar::ZERO, Scalar::random(rng)),
    }
}

/// A node's configuration on free ports (API and peer-to-peer) in `dir`,
/// dialing `peers`, producing every `block_interval_ms` (no empty blocks).
pub fn node_config(
    dir: &std::path::Path,
    peers: Vec<String>,
    block_interval_ms: u64,
) -> NodeConfig {
    NodeConfig {
        data_dir: dir.to_path_buf(),
        api_addr: "127.0.0.1:0".parse().unwrap(),
        listen: vec!["127.0.0.1:0".into()],
        peers,
        block_interval_ms,
        empty_block_interval_ms: 0,
        ..NodeConfig::default()
    }
}

/// An API answer as JSON, for tests that look at fields by name.
pub fn json(answer: impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(answer).unwrap()
}
