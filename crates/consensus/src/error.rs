//! The crate's one error type.

use thiserror::Error;

/// A boxed error from the application or the engine, kept as a source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in this crate.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConsensusError {
    /// Bytes ended before a value was complete.
    #[error("unexpected end of input while decoding {what}")]
    Truncated {
        /// What was being decoded.
        what: &'static str,
    },
    /// Bytes were left after a complete value.
    #[error("{count} trailing bytes after {what}")]
    TrailingBytes {
        /// What was decoded.
        what: &'static str,
        /// How many bytes were left.
        count: usize,
    },
    /// A length prefix exceeds its cap.
    #[error("{what}: length {len} exceeds the limit {limit}")]
    TooLong {
        /// What the length counts.
        what: &'static str,
        /// The length read.
        len: u64,
        /// The largest length accepted.
        limit: u64,
    },
    /// A tag or flag byte has no meaning.
    #[error("invalid tag {tag} in {what}")]
    InvalidTag {
        /// What was being decoded.
        what: &'static str,
        /// The byte read.
        tag: u8,
    },
    /// A public key does not decode to a usable Ristretto point.
    #[error("invalid validator public key")]
    InvalidKey(#[source] Option<musig::MusigError>),
    /// A signature does not decode (non-canonical scalar, wrong length).
    #[error("malformed signature")]
    MalformedSignature(#[source] musig::MusigError),
    /// A validator set with no validators.
    #[error("the validator set is empty")]
    EmptyValidatorSet,
    /// A validator with zero voting power.
    #[error("validator {address} has zero voting power")]
    ZeroVotingPower {
        /// The validator's address (hex).
        address: String,
    },
    /// The same key appears twice in a validator set.
    #[error("validator {address} appears twice")]
    DuplicateValidator {
        /// The validator's address (hex).
        address: String,
    },
    /// The validators are not listed in strictly increasing address order.
    #[error("validators are not in increasing address order")]
    UnorderedValidators,
    /// The total voting power exceeds [`crate::MAX_TOTAL_VOTING_POWER`].
    #[error("total voting power exceeds {limit}")]
    VotingPowerOverflow {
        /// The cap.
        limit: u64,
    },
    /// A certificate names the same validator twice.
    #[error("validator {address} signed the certificate twice")]
    DuplicateSigner {
        /// The validator's address (hex).
        address: String,
    },
    /// A certificate carries a signature by a key outside the set.
    #[error("signer {address} is not in the validator set")]
    UnknownSigner {
        /// The signer's address (hex).
        address: String,
    },
    /// A certificate's signatures hold too little voting power.
    #[error("certificate signed by {signed} of {total} voting power; more than two thirds needed")]
    InsufficientPower {
        /// Power of the valid signers.
        signed: u64,
        /// Total power of the set.
        total: u64,
    },
    /// A signature in a certificate does not verify.
    #[error("bad signature by validator {address}")]
    BadSignature {
        /// The signer's address (hex).
        address: String,
        /// Why the signature failed.
        #[source]
        source: musig::MusigError,
    },
    /// A certificate's signatures are not in increasing address order.
    #[error("certificate signatures are not in increasing address order")]
    UnorderedSignatures,
    /// A block of a validators chain arrived without the certificate that
    /// seals it (docs/spec/blockchain.md §Block signature).
    #[error("block {height} carries no commit certificate")]
    MissingCertificate {
        /// The block's height.
        height: u64,
    },
    /// A block's certificate decides another height or block.
    #[error("the certificate decides block {certified} at height {certified_height}, not block {block} at height {height}")]
    CertificateMismatch {
        /// The block's height.
        height: u64,
        /// The block's ID (hex).
        block: String,
        /// The height the certificate names.
        certified_height: u64,
        /// The block ID the certificate names (hex).
        certified: String,
    },
    /// A validator-set change takes effect too soon after the block that
    /// includes it (docs/spec/consensus.md §Validator-set changes).
    #[error("a validator-set change effective at {effective} cannot be included at height {height}: the earliest is {earliest}")]
    SetChangeTooEarly {
        /// The change's effective height.
        effective: u64,
        /// The height of the block including it.
        height: u64,
        /// The least effective height allowed there.
        earliest: u64,
    },
    /// A validator-set change while another is pending.
    #[error("a validator-set change effective at {effective} is already pending")]
    SetChangePending {
        /// The pending change's effective height.
        effective: u64,
    },
    /// A validator-set change said to be included in the genesis's block
    /// (height 1), which carries none.
    #[error("no validator-set change is included at height 1: the genesis carries none")]
    SetChangeAtGenesis,
    /// A block carries more than one validator-set change.
    #[error("block {height} carries more than one validator-set change")]
    TwoSetChanges {
        /// The block's height.
        height: u64,
    },
    /// A validator-set change on a chain whose blocks the block key signs.
    #[error("this chain has no validator set to change: its blocks are signed by the block key")]
    SetChangeOnKeyChain,
    /// The set in force at a height is not known yet (a block too far
    /// ahead of the tip: a change included since could apply to it).
    #[error("the validator set of height {height} is not known yet (known through {known})")]
    SetUnknown {
        /// The height asked for.
        height: u64,
        /// The highest height whose set is known.
        known: u64,
    },
    /// Malachite handed over a certificate that cannot be ours (a signature
    /// by an address outside the set, or a vote for nil).
    #[error("malachite certificate does not match the validator set: {0}")]
    ForeignCertificate(String),
    /// The application failed.
    #[error("application error")]
    App(#[source] BoxError),
    /// The engine failed to start or stopped with an error.
    #[error("consensus engine error")]
    Engine(#[source] BoxError),
    /// A file or directory of the engine could not be used.
    #[error("i/o error on {path}")]
    Io {
        /// The path.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A Malachite message did not encode or decode (see the source).
    #[error("malachite message codec error")]
    Codec(#[source] std::io::Error),
}
