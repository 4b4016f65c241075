//! A chain for the state machines' tests: blocks are their height in the
//! encoding's height field (and a marker byte for an invalid one);
//! transactions are their ID's first byte repeated, with a marker byte
//! for an invalid one.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use blockchain::{BlockID, BlockchainError};
use libp2p::PeerId;
use zkvm::{TxID, VMError};

use super::chain::ChainAccess;
use super::compact::CompactBlock;
use super::messages::{PeerStatus, SignedHeader};
use crate::actor::Import;
use crate::chain::BlockSummary;
use crate::NodeError;

/// The network of the fake chain.
pub const NETWORK: BlockID = BlockID::from_bytes([7; 32]);
/// A block's byte 16 with this value fails validation.
pub const INVALID: u8 = 0xEE;

/// A chain whose tip height moves as blocks are imported, and whose pool
/// holds transaction IDs.
#[derive(Clone, Debug, Default)]
pub struct FakeChain {
    pub height: Arc<Mutex<u64>>,
    pub pool: Arc<Mutex<HashSet<TxID>>>,
}

/// The encoding of a block at `height` (valid or not).
pub fn block(height: u64, valid: bool) -> Vec<u8> {
    let mut b = vec![0u8; 24];
    b[8..16].copy_from_slice(&height.to_le_bytes());
    if !valid {
        b[16] = INVALID;
    }
    b
}

/// The encoding of the transaction with ID `[n; 32]` (valid or not).
pub fn tx(n: u8, valid: bool) -> Vec<u8> {
    vec![n, if valid { 0 } else { INVALID }]
}

/// A status of the fake network at `height`.
pub fn status(height: u64) -> PeerStatus {
    PeerStatus {
        network: NETWORK,
        height,
        tip: BlockID::from_bytes([height as u8; 32]),
        first_block: 2,
    }
}

/// Two peers, in order.
pub fn two_peers() -> (PeerId, PeerId) {
    let (a, b) = (PeerId::random(), PeerId::random());
    if a < b {
        (a, b)
    } else {
        (b, a)
    }
}

impl FakeChain {
    pub fn at(height: u64) -> FakeChain {
        let chain = FakeChain::default();
        *chain.height.lock().unwrap() = height;
        chain
    }
}

impl ChainAccess for FakeChain {
    type Executed = TxID;

    fn status(&self) -> PeerStatus {
        status(*self.height.lock().unwrap())
    }

    fn pruned(&self) -> bool {
        false
    }

    fn snapshot(&self) -> Vec<u8> {
        Vec::new()
    }

    fn set_changes(&self, _: u64, _: usize) -> Option<Vec<(u64, Vec<u8>)>> {
        None
    }

    fn headers(&self, _: u64, _: u64) -> Result<Vec<SignedHeader>, NodeError> {
        Ok(Vec::new())
    }

    fn blocks(&self, from: u64, end: u64, _: usize) -> Result<Vec<Vec<u8>>, NodeError> {
        Ok((from..end).map(|h| block(h, true)).collect())
    }

    async fn import_block(&self, bytes: Vec<u8>) -> Result<Import, NodeError> {
        let height = u64::from_le_bytes(bytes[8..16].try_into().unwrap());
        let mut tip = self.height.lock().unwrap();
        if height <= *tip {
            return Ok(Import::Known);
        }
        if height > *tip + 1 {
            return Ok(Import::Ahead(height));
        }
        if bytes[16] == INVALID {
            return Err(NodeError::Chain(BlockchainError::BadPrevId));
        }
        *tip = height;
        Ok(Import::Stored(BlockSummary {
            height,
            id: BlockID::from_bytes([height as u8; 32]),
            txids: Vec::new(),
            evicted: Vec::new(),
        }))
    }

    async fn import_compact(&self, compact: CompactBlock) -> Result<Import, NodeError> {
        Ok(Import::NeedFull(compact.header.height))
    }

    async fn pool(&self, _: usize) -> Result<Vec<TxID>, NodeError> {
        Ok(self.pool.lock().unwrap().iter().copied().collect())
    }

    async fn pool_txs(&self, _: Vec<TxID>, _: usize) -> Result<Vec<Vec<u8>>, NodeError> {
        Ok(Vec::new())
    }

    async fn missing_from_pool(&self, ids: Vec<TxID>) -> Result<Vec<TxID>, NodeError> {
        let pool = self.pool.lock().unwrap();
        let mut seen = HashSet::new();
        Ok(ids
            .into_iter()
            .filter(|id| seen.insert(*id) && !pool.contains(id))
            .collect())
    }

    async fn admit(&self, bytes: Vec<u8>) -> Result<(), NodeError> {
        let run = self.execute(&bytes).await?;
        self.finish(bytes, run).await.map(drop)
    }

    async fn execute(&self, bytes: &[u8]) -> Result<TxID, NodeError> {
        match bytes {
            [n, 0] => Ok(TxID::from_bytes([*n; 32])),
            [_, INVALID] => Err(NodeError::InvalidTx(VMError::InvalidFormat("fake"))),
            _ => Err(NodeError::Decode(VMError::InvalidFormat("fake"))),
        }
    }

    fn txid(run: &TxID) -> TxID {
        *run
    }

    async fn finish(&self, bytes: Vec<u8>, run: TxID) -> Result<Vec<u8>, NodeError> {
        if !self.pool.lock().unwrap().insert(run) {
            return Err(NodeError::Chain(BlockchainError::AlreadyKnown {
                txid: run,
            }));
        }
        Ok(bytes)
    }

    fn workers(&self) -> usize {
        2
    }
}
