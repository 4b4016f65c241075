//! The node as a consensus application (docs/spec/consensus.md §Node):
//! Malachite's engine asks, this answers through the [`ChainHandle`].
//!
//! - **Propose** builds a block from the verified pool without storing it
//!   (no pool transaction is verified again).
//! - **Validate** is stage 1 of import against the tip (size, time, every
//!   transaction), storing nothing: the engine votes while it runs.
//! - **Commit** is stage 2: the decided block's received bytes and its
//!   certificate go to the store in one transaction. The block verified
//!   by propose or validate is reused, so a decided block is verified once.
//! - **Decided block** reads a stored block and its certificate back, for
//!   a validator catching up.
//!
//! On a validators chain (a genesis naming validators) the decided block
//! is sealed by its certificate before it is stored: the certificate ends
//! the block's bytes, and followers check it (docs/spec/blockchain.md
//! §Block signature). Each validator's key is its own, in
//! [`VALIDATOR_KEY_FILE`] in its data directory.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use blockchain::{BlockID, VerifiedBlock};
use consensus::{App, BoxError, CommitCertificate};
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use tokio::time::Instant;
use zeroize::Zeroizing;

use crate::network::NetworkHandle;
use crate::{now_ms, ChainHandle, Import, NodeError};

/// The validator key's file in a data directory: the key's 32-byte
/// canonical scalar, owner-only (docs/spec/consensus.md §Node).
pub const VALIDATOR_KEY_FILE: &str = "validator.key";

/// Writes a validator key, its secret scalar, to `path` (owner-only
/// permissions, whole before it is renamed into place); an existing file
/// is an error, so a key is never overwritten.
pub fn write_validator_key(path: &Path, scalar: &Scalar) -> Result<(), NodeError> {
    let io =
        |e: std::io::Error| NodeError::DataDir(format!("cannot write {}: {e}", path.display()));
    if path.exists() {
        return Err(NodeError::DataDir(format!(
            "{} exists: a validator key is never overwritten",
            path.display()
        )));
    }
    let tmp = path.with_extension("key.tmp");
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(io)?;
        file.write_all(Zeroizing::new(scalar.to_bytes()).as_ref())
            .map_err(io)?;
        file.sync_all().map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)
}

/// Reads the validator key at `path`, `None` if there is no such file.
pub fn read_validator_key(path: &Path) -> Result<Option<SecretKey>, NodeError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => Zeroizing::new(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(NodeError::DataDir(format!(
                "cannot read {}: {e}",
                path.display()
            )))
        }
    };
    let scalar = <[u8; 32]>::try_from(bytes.as_slice())
        .ok()
        .and_then(|b| Option::<Scalar>::from(Scalar::from_canonical_bytes(b)))
        .ok_or_else(|| {
            NodeError::Corrupt(format!(
                "{} must hold a 32-byte canonical scalar",
                path.display()
            ))
        })?;
    Ok(Some(SecretKey::from_scalar(scalar)))
}

/// Proposals verified and not decided yet that this application keeps,
/// at most: one per round in practice; the bound only caps memory if the
/// engine goes through many rounds at one height.
const MAX_PENDING: usize = 16;

/// How long judging a block waits for the node's own sync to store its
/// parent when the engine is ahead of the chain (a validator that starts
/// or rejoins while its node catches up over the p2p network).
const PARENT_WAIT: Duration = Duration::from_secs(3);

/// The node's [`consensus::App`]: the chain handle, and the blocks
/// verified at the height being decided, by block ID.
#[derive(Debug)]
pub struct NodeApp {
    chain: ChainHandle,
    pending: HashMap<BlockID, VerifiedBlock>,
    pace: Pace,
    last_decided: Instant,
    net: Option<NetworkHandle>,
}

/// How fast a proposer makes blocks. The engine asks for a proposal as
/// soon as a height starts; without pacing a lone validator would decide
/// empty blocks as fast as its disk allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pace {
    /// The least time between a decision and the next proposal.
    pub block_interval: Duration,
    /// How long a proposer with an empty pool waits for a transaction
    /// before proposing an empty block. Keep it well under the engine's
    /// propose timeout, or the round times out and moves on.
    pub empty_wait: Duration,
}

impl Pace {
    /// No waiting at all (tests).
    pub const NONE: Pace = Pace {
        block_interval: Duration::ZERO,
        empty_wait: Duration::ZERO,
    };
}

impl NodeApp {
    /// The application for `chain`, proposing at `pace`, announcing the
    /// blocks it stores on `net` (to followers) if given.
    pub fn new(chain: ChainHandle, pace: Pace, net: Option<NetworkHandle>) -> NodeApp {
        NodeApp {
            chain,
            pending: HashMap::new(),
            pace,
            last_decided: Instant::now(),
            net,
        }
    }

    /// Waits out the pace: the block interval since the last decision,
    /// then, while the pool is empty, up to the empty wait.
    async fn wait_for_turn(&self) {
        tokio::time::sleep_until(self.last_decided + self.pace.block_interval).await;
        let give_up = Instant::now() + self.pace.empty_wait;
        let mut watch = self.chain.watch();
        while watch.borrow().mempool_txs == 0 {
            match tokio::time::timeout_at(give_up, watch.changed()).await {
                Ok(Ok(())) => {}
                // Waited long enough, or the chain stopped: propose now.
                Ok(Err(_)) | Err(_) => break,
            }
        }
    }

    /// Refuses work for a height other than the tip's successor: the
    /// engine runs one height past the tip, and a mismatch means the tip
    /// moved another way (then this round's answer is moot).
    fn check_next(&self, height: u64) -> Result<(), NodeError> {
        let next = self.chain.view().height() + 1;
        if height != next {
            return Err(NodeError::Chain(blockchain::BlockchainError::BadHeight {
                expected: next,
                got: height,
            }));
        }
        Ok(())
    }

    /// Whether the chain already holds the block `bytes` at `height`: the
    /// node's own sync stored it meanwhile, after checking its seal. The
    /// engine, behind its node (a validator joining or rejoining), then
    /// walks through the heights the node has instead of judging their
    /// blocks against a tip they no longer follow.
    fn already_stored(&self, height: u64, bytes: &[u8]) -> Result<bool, NodeError> {
        if height > self.chain.view().height() {
            return Ok(false);
        }
        let id = blockchain::Block::from_bytes(bytes)
            .map_err(NodeError::Chain)?
            .header
            .id();
        let Some(stored) = self.chain.blocks().block_bytes(height)? else {
            return Ok(false);
        };
        let stored = blockchain::Block::from_bytes(&stored).map_err(NodeError::Chain)?;
        Ok(stored.header.id() == id)
    }

    /// Waits, at most [`PARENT_WAIT`], until the chain's tip is the parent
    /// of `height` or above: the engine may be handed a block (by value
    /// sync) while the node's own sync is still storing the ones before.
    async fn wait_for_parent(&self, height: u64) {
        let deadline = Instant::now() + PARENT_WAIT;
        while self.chain.view().height().saturating_add(1) < height && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn keep(&mut self, verified: VerifiedBlock) {
        if self.pending.len() >= MAX_PENDING {
            self.pending.clear();
        }
        self.pending.insert(verified.id(), verified);
    }
}

impl App for NodeApp {
    fn tip_height(&self) -> u64 {
        self.chain.view().height()
    }

    async fn propose(&mut self, height: u64) -> Result<Vec<u8>, BoxError> {
        self.check_next(height)?;
        self.wait_for_turn().await;
        let verified = self.chain.propose_block(now_ms()).await?;
        let bytes = verified.bytes().to_vec();
        self.keep(verified);
        Ok(bytes)
    }

    async fn validate(&mut self, height: u64, block: &[u8]) -> Result<(), BoxError> {
        self.wait_for_parent(height).await;
        if self.already_stored(height, block)? {
            return Ok(());
        }
        let judged = match self.check_next(height) {
            Ok(()) => self.chain.verify_proposal(block.to_vec()).await,
            Err(e) => Err(e),
        };
        match judged {
            Ok(verified) => {
                self.keep(verified);
                Ok(())
            }
            // The node's own sync may have stored this very block while it
            // was judged against the tip before it.
            Err(_) if self.already_stored(height, block)? => Ok(()),
            Err(e) => Err(Box::new(e)),
        }
    }

    async fn commit(
        &mut self,
        block: Vec<u8>,
        certificate: CommitCertificate,
    ) -> Result<(), BoxError> {
        let id = certificate.block_id();
        let height = certificate.height();
        self.wait_for_parent(height).await;
        if self.already_stored(height, &block)? {
            self.pending.clear();
            self.last_decided = Instant::now();
            return Ok(());
        }
        let verified = match self.pending.remove(&id) {
            // The bytes we verified are the bytes decided: the ID names
            // them (the header commits to the transactions).
            Some(v) if v.bytes() == block.as_slice() => v,
            // Decided without our vote on it (we were behind or timed out).
            _ => match self.chain.verify_proposal(block.clone()).await {
                Ok(v) => v,
                // Stored meanwhile by the node's own sync.
                Err(_) if self.already_stored(height, &block)? => {
                    self.pending.clear();
                    self.last_decided = Instant::now();
                    return Ok(());
                }
                Err(e) => return Err(Box::new(e)),
            },
        };
        if verified.id() != id {
            return Err(Box::new(NodeError::Corrupt(format!(
                "the decided block is {}, the certificate names {id}",
                verified.id()
            ))));
        }
        self.pending.clear();
        // On a validators chain the certificate seals the block: it ends
        // the bytes stored, served and announced.
        let verified = if self.chain.seal().is_some() {
            verified.with_certificate(certificate.to_bytes())?
        } else {
            verified
        };
        let block = verified.block().clone();
        let stored = self
            .chain
            .store_decided(verified, certificate.to_bytes())
            .await?;
        self.last_decided = Instant::now();
        match stored {
            Import::Stored(summary) => {
                // Followers import it as any block: signed by the block
                // key (a single validator's key is the block key), or
                // sealed by its certificate on a validators chain.
                if let Some(net) = &self.net {
                    net.publish_block(block, summary.txids);
                }
                Ok(())
            }
            Import::Known => Ok(()),
            other => Err(Box::new(NodeError::Server(format!(
                "a decided block was not stored: {other:?}"
            )))),
        }
    }

    async fn decided_block(
        &mut self,
        height: u64,
    ) -> Result<Option<(Vec<u8>, CommitCertificate)>, BoxError> {
        let Some((block, certificate)) = self.chain.decided(height)? else {
            return Ok(None);
        };
        let certificate = CommitCertificate::from_bytes(&certificate)?;
        Ok(Some((block, certificate)))
    }
    /// On a validators chain, the set in force at `height` from the
    /// chain's schedule (docs/spec/consensus.md §Validator-set changes);
    /// the engine only asks for the tip's successor, whose set is known.
    /// On a block-key chain the set never changes (`None`).
    fn validator_set(&self, height: u64) -> Option<consensus::ValidatorSet> {
        let seal = self.chain.seal()?;
        match seal.set_at(height) {
            Ok(set) => Some(set),
            Err(e) => {
                tracing::warn!(height, error = %e, "no validator set for the height");
                None
            }
        }
    }

    /// Keeps the engine's equivocation evidence in the node's database
    /// (docs/spec/consensus.md §Evidence), on the chain's thread, without
    /// holding up the engine: a failed write is logged (the engine has
    /// logged the evidence itself already).
    fn evidence(&mut self, records: &[consensus::Evidence]) {
        let chain = self.chain.clone();
        let records = records.to_vec();
        tokio::spawn(async move {
            if let Err(e) = chain.record_evidence(records).await {
                tracing::warn!(error = %e, "evidence not stored");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_validator_key_file_is_private_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(VALIDATOR_KEY_FILE);
        assert!(read_validator_key(&path).unwrap().is_none());
        let scalar = Scalar::from(42u64);
        write_validator_key(&path, &scalar).unwrap();
        let back = read_validator_key(&path).unwrap().unwrap();
        let key = SecretKey::from_scalar(scalar);
        assert_eq!(back.verification_key(), key.verification_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(write_validator_key(&path, &scalar).is_err());
        std::fs::write(&path, [0xff; 32]).unwrap();
        assert!(matches!(
            read_validator_key(&path),
            Err(NodeError::Corrupt(_))
        ));
    }
}
