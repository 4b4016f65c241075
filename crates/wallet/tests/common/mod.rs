//! Helpers shared by the wallet's integration tests: temporary wallet files
//! and a chain in memory that makes, applies and serves blocks.
#![allow(dead_code)]

use std::cell::RefCell;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use accumulator::{Forest, ZkvmHash};
use blockchain::{utxo_leaf, Block, BlockHeader, ChainState, Genesis};
use consensus::{ChainId, CommitCertificate, Validator, ValidatorKey, ValidatorSet};
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use rand::{CryptoRng, RngCore};
use wallet::{genesis_anchor, pay_to, Address, BlockSource};
use zkvm::{Contract, Tx};

/// The genesis timestamp.
pub const T0: u64 = 1_700_000_000_000;

/// A genesis output paying `qty` of the fee flavor to `address`, anchored
/// as the `index`th output of the network `network`.
pub fn genesis_output(
    address: &Address,
    qty: u64,
    network: &[u8],
    index: u64,
    rng: &mut (impl RngCore + CryptoRng),
) -> Contract {
    pay_to(
        address,
        qty,
        Scalar::ZERO,
        genesis_anchor(network, index),
        rng,
    )
    .unwrap()
}

/// A fresh path in the temporary directory, removed on drop.
pub struct TempPath(pub PathBuf);

impl TempPath {
    /// Unique to the test binary, its process and the call.
    pub fn new(name: &str) -> TempPath {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!(
            "zkvm-wallet-{}-{}-{n}-{name}.redb",
            env!("CARGO_CRATE_NAME"),
            std::process::id()
        ));
        let _ = std::fs::remove_file(&p);
        TempPath(p)
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let mut lock = self.0.clone().into_os_string();
        lock.push(".lock");
        let _ = std::fs::remove_file(lock);
    }
}

/// A chain in memory: the producer's state, full forest and key, and the
/// blocks made so far (a [`BlockSource`]). On a validators chain,
/// `validators` holds the validators' secret keys in the set's (address)
/// order, and blocks are sealed by certificates.
pub struct Chain {
    pub genesis: Genesis,
    pub state: ChainState,
    pub forest: Forest,
    pub key: SecretKey,
    pub validators: Vec<SecretKey>,
    pub blocks: RefCell<Vec<Block>>,
}

impl Chain {
    /// A chain from a genesis at [`T0`] with `utxos`, its blocks signed by
    /// `key`.
    pub fn start(utxos: Vec<Contract>, key: SecretKey) -> Chain {
        Chain::start_with(utxos, key, Vec::new())
    }

    /// A validators chain (docs/spec/consensus.md §Validator set): the
    /// genesis names `validators`' keys, each of power 1, and every block
    /// is sealed by a certificate of all but the last of them (in address
    /// order): a quorum when there are 4.
    pub fn start_validators(
        utxos: Vec<Contract>,
        key: SecretKey,
        validators: Vec<SecretKey>,
    ) -> Chain {
        Chain::start_with(utxos, key, validators)
    }

    fn start_with(utxos: Vec<Contract>, key: SecretKey, mut validators: Vec<SecretKey>) -> Chain {
        let set = (!validators.is_empty()).then(|| {
            let list = validators
                .iter()
                .map(|k| {
                    Validator::new(ValidatorKey::new(k.verification_key()).unwrap(), 1).unwrap()
                })
                .collect();
            ValidatorSet::new(list).unwrap()
        });
        // Keys in the set's order, so that signers are named by index.
        validators.sort_by_key(|k| {
            set.as_ref()
                .unwrap()
                .validators()
                .iter()
                .position(|v| v.key().verification_key() == &k.verification_key())
        });
        let genesis = Genesis {
            timestamp_ms: T0,
            signers: key.verification_key(),
            utxos,
            validators: set.map(|s| s.genesis_entries()).unwrap_or_default(),
            assets: Vec::new(),
        };
        let state = genesis.state().unwrap();
        let mut forest = Forest::new();
        let leaves: Vec<ZkvmHash> = genesis.utxo_ids().iter().map(utxo_leaf).collect();
        forest.modify(&leaves, &[]).unwrap();
        Chain {
            genesis,
            state,
            forest,
            key,
            validators,
            blocks: RefCell::new(Vec::new()),
        }
    }

    /// The validator set of a validators chain.
    pub fn set(&self) -> ValidatorSet {
        ValidatorSet::from_genesis(&self.genesis).unwrap().unwrap()
    }

    /// The chain ID every precommit signs.
    pub fn chain_id(&self) -> ChainId {
        ChainId::from_genesis(self.state.initial.id())
    }

    /// The next block from `txs`, `ms` after the tip, neither sealed nor
    /// applied (unsigned on a validators chain).
    pub fn make(&self, txs: Vec<Tx>, ms: u64) -> Block {
        let time = self.state.tip.timestamp_ms + ms;
        self.state
            .make_block(&self.forest, txs, time, &self.key)
            .unwrap()
    }

    /// A certificate of `header` signed by the validators at `signers`
    /// (indices in address order) in round `round`, on chain `chain`.
    pub fn certificate(
        &self,
        chain: &ChainId,
        header: &BlockHeader,
        round: u32,
        signers: &[usize],
    ) -> CommitCertificate {
        let set = self.set();
        let id = header.id();
        let msg = consensus::signing::precommit_sign_bytes(chain, header.height, round, &id);
        let signatures = signers
            .iter()
            .map(|&i| {
                let key = &self.validators[i];
                (
                    *set.validators()[i].address(),
                    consensus::signing::sign_bytes(key, &msg),
                )
            })
            .collect();
        CommitCertificate::new(header.height, round, id, signatures)
    }

    /// Makes, applies and publishes the next block (one second later),
    /// sealed on a validators chain.
    pub fn produce(&mut self, txs: Vec<Tx>) -> Block {
        let mut block = self.make(txs, 1000);
        if !self.validators.is_empty() {
            let quorum: Vec<usize> = (0..self.validators.len() - 1).collect();
            let chain = self.chain_id();
            let c = self.certificate(&chain, &block.header, 0, &quorum);
            block.certificate = Some(c.to_bytes());
        }
        self.publish(block)
    }

    /// Applies and publishes `block`.
    pub fn publish(&mut self, block: Block) -> Block {
        let (state, applied) = self.state.apply_block(&block).unwrap();
        self.forest
            .modify(&applied.additions, &applied.deletions)
            .unwrap();
        self.state = state;
        self.blocks.borrow_mut().push(block.clone());
        block
    }
}

impl BlockSource for Chain {
    type Error = Infallible;

    fn genesis(&self) -> Result<Genesis, Infallible> {
        Ok(self.genesis.clone())
    }

    fn block(&self, height: u64) -> Result<Option<Block>, Infallible> {
        // Blocks start at height 2.
        let i = height.checked_sub(2).map(|i| i as usize);
        Ok(i.and_then(|i| self.blocks.borrow().get(i).cloned()))
    }
}
