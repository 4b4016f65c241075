//! Helpers shared by the wallet's integration tests: temporary wallet files
//! and a chain in memory that makes, applies and serves blocks.
#![allow(dead_code)]

use std::cell::RefCell;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use accumulator::{Forest, ZkvmHash};
use blockchain::{utxo_leaf, Block, ChainState, Genesis};
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
/// blocks made so far (a [`BlockSource`]).
pub struct Chain {
    pub genesis: Genesis,
    pub state: ChainState,
    pub forest: Forest,
    pub key: SecretKey,
    pub blocks: RefCell<Vec<Block>>,
}

impl Chain {
    /// A chain from a genesis at [`T0`] with `utxos`, its blocks signed by
    /// `key`.
    pub fn start(utxos: Vec<Contract>, key: SecretKey) -> Chain {
        let genesis = Genesis {
            timestamp_ms: T0,
            signers: key.verification_key(),
            utxos,
            validators: Vec::new(),
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
            blocks: RefCell::new(Vec::new()),
        }
    }

    /// Makes, applies and publishes the next block (one second later).
    pub fn produce(&mut self, txs: Vec<Tx>) -> Block {
        let time = self.state.tip.timestamp_ms + 1000;
        let block = self
            .state
            .make_block(&self.forest, txs, time, &self.key)
            .unwrap();
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
