//! A chain for tests: its state, the full forest that follows it, and the
//! block key; shared by `chain.rs` and `mempool.rs`.
#![allow(dead_code)]

use accumulator::Forest;
use blockchain::{utxo_leaf, AppliedBlock, Block, BlockchainError, ChainState};
use musig::SecretKey;
use zkvm::{ContractID, Tx};

/// The initial block's time.
pub const T0: u64 = 1_700_000_000_000;

/// A chain state with the full forest a block producer keeps.
pub struct Chain {
    pub state: ChainState,
    pub forest: Forest,
    pub block_key: SecretKey,
}

impl Chain {
    /// A new network at `T0` over the genesis UTXOs `ids`.
    pub fn start(ids: &[ContractID], block_key: SecretKey) -> Chain {
        let state = ChainState::start(T0, block_key.verification_key(), ids).unwrap();
        let mut forest = Forest::new();
        forest
            .modify(&ids.iter().map(utxo_leaf).collect::<Vec<_>>(), &[])
            .unwrap();
        Chain {
            state,
            forest,
            block_key,
        }
    }

    /// One second after the tip.
    pub fn next_time(&self) -> u64 {
        self.state.tip.timestamp_ms + 1000
    }

    /// The next block, holding `txs`.
    pub fn make(&self, txs: Vec<Tx>) -> Block {
        self.state
            .make_block(&self.forest, txs, self.next_time(), &self.block_key)
            .unwrap()
    }

    /// Applies `block` to the state and the forest, which must agree after.
    pub fn apply(&mut self, block: &Block) -> Result<AppliedBlock, BlockchainError> {
        let (state, applied) = self.state.apply_block(block)?;
        self.forest
            .modify(&applied.additions, &applied.deletions)
            .unwrap();
        assert_eq!(self.forest.accumulator(), state.utxos);
        self.state = state;
        Ok(applied)
    }
}
