//! The commit certificates of a validators chain (docs/spec/wallet.md
//! §Scanning, §Rescan; docs/spec/consensus.md §Commit certificate): on a
//! chain whose genesis names validators, a block is final only with a
//! certificate of the validator set in force at its height, and the wallet
//! checks it before anything else about the block.

use blockchain::{AppliedBlock, Block, BlockHeader, ChainState, Genesis};
use consensus::{ApprovedSetChange, ChainId, CommitCertificate, ValidatorSchedule, ValidatorSet};

use crate::wallet::Following;
use crate::WalletError;

impl Following {
    /// The validator set whose certificates seal the block at `height` of
    /// the followed validators chain: the genesis's, or the last change
    /// the wallet scanned whose effective height is at most `height`
    /// (docs/spec/consensus.md §Validator-set changes). This is the one
    /// place that answers the question.
    ///
    /// [`WalletError::ValidatorSetUnknown`] when the wallet keeps no set
    /// (a file written before wallets checked certificates, until
    /// [`crate::Wallet::sync`] reads the genesis again).
    pub(crate) fn validators_at(&self, height: u64) -> Result<&ValidatorSet, WalletError> {
        self.validators
            .as_ref()
            .map(|schedule| schedule.set_at(height))
            .ok_or(WalletError::ValidatorSetUnknown)
    }

    /// Checks that `block`, the next block of the followed chain, is final
    /// (docs/spec/wallet.md §Scanning): on a validators chain its
    /// certificate must pass [`CommitCertificate::check_seal`] for the set
    /// in force at the next height — present, strict, deciding exactly
    /// this header, signers in the set holding a quorum, every signature
    /// good. One batched signature check per certificate: cheap next to
    /// the block's transactions, so it runs first. On a block-key chain
    /// nothing is checked here: applying the block checks the key's
    /// signature and refuses a certificate.
    pub(crate) fn check_final(&self, block: &Block) -> Result<(), WalletError> {
        if !self.chain.certified() {
            return Ok(());
        }
        let next = self.chain.tip.height.saturating_add(1);
        check_certificate(
            &self.chain,
            self.validators_at(next)?,
            &block.header,
            block.certificate.as_deref(),
        )
    }
}

/// Checks that `certificate` seals `header` on the validators chain of
/// `chain` (its initial header's ID is the chain ID every precommit
/// signs) for `set`; the error names the header's height.
pub(crate) fn check_certificate(
    chain: &ChainState,
    set: &ValidatorSet,
    header: &BlockHeader,
    certificate: Option<&[u8]>,
) -> Result<(), WalletError> {
    let id = ChainId::from_genesis(chain.initial.id());
    CommitCertificate::check_seal(header, certificate, &id, set)
        .map(|_| ())
        .map_err(|source| WalletError::BadCertificate {
            height: header.height,
            source,
        })
}

/// The validator schedule of `genesis` with no change yet: `None` on a
/// block-key chain.
pub(crate) fn genesis_validators(
    genesis: &Genesis,
) -> Result<Option<ValidatorSchedule>, WalletError> {
    Ok(ValidatorSet::from_genesis(genesis)
        .map_err(WalletError::ValidatorSet)?
        .map(ValidatorSchedule::new))
}

/// Adopts into `schedule`, in order, validator-set changes a node reported
/// (each inclusion height and encoding) for the chain of `chain`
/// (docs/spec/consensus.md §Validator-set changes, Snapshots): each must
/// decode strictly and pass the validators' rules against the schedule
/// the ones before it make, so the list is a chain of approvals from the
/// genesis's set and needs no trust in the node.
pub(crate) fn adopt_set_changes<'a>(
    chain: &ChainState,
    schedule: &mut ValidatorSchedule,
    changes: impl IntoIterator<Item = &'a (u64, Vec<u8>)>,
) -> Result<(), WalletError> {
    let id = ChainId::from_genesis(chain.initial.id());
    for (height, bytes) in changes {
        let bad = |source| WalletError::BadSetChange {
            height: *height,
            source,
        };
        let change = ApprovedSetChange::from_bytes(bytes).map_err(bad)?;
        schedule.adopt(&id, *height, change).map_err(bad)?;
    }
    Ok(())
}

/// Applies to `schedule` the validator-set change the block at `height`
/// carries, if any, judged as the validators judged it
/// (docs/spec/consensus.md §Validator-set changes, Validity): at most one
/// per block, strictly decoded, effective at least two heights later, no
/// change pending, approved by a quorum of the set in force. `chain` is
/// the state the block was applied to (its initial header names the
/// chain). A block the validators decided never fails here; a forged one
/// with a valid certificate cannot exist, so a failure means the chain's
/// rules were broken and nothing is applied.
pub(crate) fn apply_set_changes(
    chain: &ChainState,
    schedule: &mut ValidatorSchedule,
    height: u64,
    applied: &AppliedBlock,
) -> Result<(), WalletError> {
    let mut found: Option<ApprovedSetChange> = None;
    for tx in &applied.txs {
        for entry in &tx.log.0 {
            let zkvm::TxEntry::Data(data) = entry else {
                continue;
            };
            let Some(change) = ApprovedSetChange::from_log_data(data) else {
                continue;
            };
            let bad = |source| WalletError::BadSetChange { height, source };
            if found.is_some() {
                return Err(bad(consensus::ConsensusError::TwoSetChanges { height }));
            }
            found = Some(change.map_err(bad)?);
        }
    }
    if let Some(change) = found {
        let id = ChainId::from_genesis(chain.initial.id());
        schedule
            .check(&id, height, &change)
            .map_err(|source| WalletError::BadSetChange { height, source })?;
        schedule.apply(height, change);
    }
    Ok(())
}
