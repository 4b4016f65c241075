//! The commit certificates of a validators chain (docs/spec/wallet.md
//! §Scanning, §Rescan; docs/spec/consensus.md §Commit certificate): on a
//! chain whose genesis names validators, a block is final only with a
//! certificate of the validator set in force at its height, and the wallet
//! checks it before anything else about the block.

use blockchain::{Block, BlockHeader, ChainState, Genesis};
use consensus::{ChainId, CommitCertificate, ValidatorSet};

use crate::wallet::Following;
use crate::WalletError;

impl Following {
    /// The validator set whose certificates seal the block at `height` of
    /// the followed validators chain. The set is the genesis's for the
    /// chain's life (docs/spec/consensus.md §Validator set), so every
    /// height has the one set the wallet keeps; this is the one place that
    /// answers the question, so validator-set changes need change only it
    /// (and what keeps [`Following::validators`] current).
    ///
    /// [`WalletError::ValidatorSetUnknown`] when the wallet keeps no set
    /// (a file written before wallets checked certificates, until
    /// [`crate::Wallet::sync`] reads the genesis again).
    pub(crate) fn validators_at(&self, _height: u64) -> Result<&ValidatorSet, WalletError> {
        self.validators
            .as_ref()
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

/// The validator set of `genesis`: `None` on a block-key chain.
pub(crate) fn genesis_validators(genesis: &Genesis) -> Result<Option<ValidatorSet>, WalletError> {
    ValidatorSet::from_genesis(genesis).map_err(WalletError::ValidatorSet)
}
