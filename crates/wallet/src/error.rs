//! The crate's error type.

use std::path::PathBuf;

use accumulator::AccumulatorError;
use blockchain::{BlockID, BlockchainError};
use curve25519_dalek::scalar::Scalar;
use thiserror::Error;
use zkvm::{TxID, VMError};

/// Everything the wallet can refuse or fail at. An operation that fails
/// changes nothing, in memory or on disk.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum WalletError {
    /// The recovery phrase is not a valid 24-word English BIP39 mnemonic
    /// (docs/spec/wallet.md §Seed).
    #[error("invalid recovery phrase: {0}")]
    InvalidMnemonic(#[source] bip39::Error),
    /// A phrase of another length than 24 words (docs/spec/wallet.md §Seed).
    #[error("the recovery phrase has {0} words, 24 are required")]
    MnemonicLength(usize),

    /// An address does not start with `zkvm1` (docs/spec/wallet.md
    /// §Addresses).
    #[error("an address starts with \"zkvm1\"")]
    AddressPrefix,
    /// An address has another length than 143 characters.
    #[error("an address has 143 characters, this one has {0}")]
    AddressLength(usize),
    /// An address holds a character that is not a lowercase hex digit.
    #[error("an address holds only lowercase hex digits after its prefix")]
    AddressEncoding,
    /// An address of an unknown version.
    #[error("unknown address version {0}")]
    AddressVersion(u8),
    /// The address's checksum does not match: a typo or a truncated copy.
    #[error("the address checksum does not match (mistyped address?)")]
    AddressChecksum,
    /// A point of an address or a note is not the canonical encoding of a
    /// Ristretto point, or is the identity (docs/spec/wallet.md §Addresses,
    /// §Notes).
    #[error("invalid point: {0}")]
    InvalidPoint(&'static str),

    /// A note of an unknown version (docs/spec/wallet.md §Notes).
    #[error("unknown note version {0}")]
    NoteVersion(u8),
    /// A note is shorter or longer than notes can be.
    #[error("a note has {min} to {max} bytes, this one has {got}")]
    NoteLength {
        /// Smallest note.
        min: usize,
        /// Largest note.
        max: usize,
        /// This note's length.
        got: usize,
    },
    /// The note does not decrypt under this view key and predicate: it is
    /// not for us, or it was altered.
    #[error("the note does not decrypt with this key")]
    NoteDecryption,
    /// The decrypted opening is malformed, or does not open the output's
    /// commitments.
    #[error("invalid note opening: {0}")]
    NoteOpening(&'static str),
    /// A memo longer than [`MAX_MEMO`](crate::MAX_MEMO).
    #[error("a memo has at most {max} bytes, this one has {got}")]
    MemoTooLong {
        /// The limit.
        max: usize,
        /// The memo's length.
        got: usize,
    },

    /// `create` was given the path of an existing file.
    #[error("a file already exists at {0}")]
    WalletExists(PathBuf),
    /// The database failed.
    #[error("storage: {0}")]
    Storage(#[source] Box<redb::Error>),
    /// A file next to the wallet (its lock file) or the wallet file itself
    /// could not be created or read.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Another process holds the wallet for writing (its lock file,
    /// docs/spec/wallet.md §Storage, Concurrent use) and did not let go
    /// within the wait.
    #[error("the wallet {} is in use by {}; try again when it ends", .path.display(), holder(*.pid))]
    Busy {
        /// The wallet file.
        path: PathBuf,
        /// The holder's process ID, as its lock file says.
        pid: Option<u32>,
    },
    /// A change asked of a wallet opened read-only.
    #[error("the wallet was opened read-only")]
    ReadOnly,
    /// The wallet's seed is sealed under a passphrase and none was given.
    #[error("the wallet is encrypted: a passphrase is needed")]
    PassphraseRequired,
    /// The passphrase does not open the wallet's seed.
    #[error("wrong passphrase: it does not open this wallet")]
    WrongPassphrase,
    /// The wallet keeps no recovery phrase (made without a passphrase, or
    /// before phrases were kept): only the seed.
    #[error("this wallet keeps no recovery phrase (only wallets made with a passphrase do)")]
    NoPhrase,
    /// No pending transaction has this ID.
    #[error("no pending transaction {0} (a confirmed one cannot be abandoned)")]
    NotPending(TxID),
    /// The transaction is in a block already: it cannot be abandoned.
    #[error("transaction {0} is confirmed (block {1}): it cannot be abandoned")]
    AlreadyConfirmed(TxID, u64),
    /// A stored record does not decode, or the records disagree.
    #[error("corrupt wallet file: {0}")]
    Corrupt(&'static str),

    /// The wallet follows no network yet ([`Wallet::follow`](crate::Wallet::follow)).
    #[error("the wallet follows no network yet")]
    NotFollowing,
    /// The wallet follows another network than the genesis given.
    #[error("the wallet follows network {following}, not {given}")]
    OtherNetwork {
        /// ID of the initial header the wallet follows.
        following: BlockID,
        /// ID of the initial header given.
        given: BlockID,
    },
    /// The chain state at a past height that a node served for a rescan
    /// (docs/spec/wallet.md §Rescan) fails a check: it is not this
    /// network's, its header is not signed by the network's block key, or
    /// it is not the block the wallet scanned at that height.
    #[error("the chain state at height {height} is not trusted: {reason}")]
    UntrustedPastState {
        /// The state's height.
        height: u64,
        /// The check it fails.
        reason: &'static str,
    },
    /// A block of a validators chain is not sealed by a commit certificate
    /// of the validator set in force at its height (docs/spec/consensus.md
    /// §Commit certificate): missing, malformed, deciding another block or
    /// height, signed by too little power, or with a bad signature. The
    /// block (or past state) is not applied.
    #[error("block {height} is not final: {source}")]
    BadCertificate {
        /// The block's height.
        height: u64,
        /// Which check the certificate fails.
        #[source]
        source: consensus::ConsensusError,
    },
    /// A genesis's validator section is not a valid validator set.
    #[error("the genesis's validator set is invalid")]
    ValidatorSet(#[source] consensus::ConsensusError),
    /// The wallet follows a validators chain without knowing its validator
    /// set (a file written before wallets checked certificates): syncing
    /// reads it from the genesis.
    #[error("the validator set of the followed chain is unknown: sync from a node first")]
    ValidatorSetUnknown,
    /// A scanned block (or a node's list of changes, at the height it
    /// names) carries a validator-set change that breaks the
    /// chain's rules (docs/spec/consensus.md §Validator-set changes).
    #[error("block {height} carries an invalid validator-set change: {source}")]
    BadSetChange {
        /// The block's height.
        height: u64,
        /// The rule it breaks.
        #[source]
        source: consensus::ConsensusError,
    },
    /// A rescan asked to start above the blocks the wallet has scanned: the
    /// blocks between would never be read.
    #[error(
        "the wallet has scanned blocks up to height {scanned}: a rescan starts at most at {}",
        .scanned + 1
    )]
    RescanAboveScanned {
        /// The first block the rescan would read.
        from: u64,
        /// The height the wallet has scanned.
        scanned: u64,
    },
    /// A rescan reached the height the wallet had scanned before it, and
    /// the block there is not the one the wallet had: the node follows
    /// another chain than the wallet did.
    #[error("block {height} is {got}, but this wallet had scanned {had} there: the node follows another chain")]
    ChainDiverged {
        /// The height.
        height: u64,
        /// The block ID the wallet had.
        had: BlockID,
        /// The block ID the rescan found.
        got: BlockID,
    },
    /// A block (or genesis) does not apply to the chain state.
    #[error("block rejected: {0}")]
    Chain(#[from] BlockchainError),
    /// The wallet's UTXO accumulator refused a change or a proof.
    #[error("accumulator: {0}")]
    Accumulator(#[from] AccumulatorError),
    /// The prover refused the transaction.
    #[error("transaction: {0}")]
    Vm(#[from] VMError),
    /// The block source failed.
    #[error("block source: {0}")]
    Source(#[source] Box<dyn std::error::Error + Send + Sync>),

    /// Not enough unlocked, confirmed funds of a flavor.
    #[error(
        "insufficient funds of {}: needed {needed}, available {available}",
        flavor_hex(flavor)
    )]
    InsufficientFunds {
        /// The flavor.
        flavor: Scalar,
        /// What the transaction needs.
        needed: u128,
        /// What is spendable (confirmed and not locked by a pending
        /// transaction).
        available: u128,
    },
    /// An issuance needs an input for its anchor, and the wallet has no
    /// unlocked confirmed output at all.
    #[error("no unlocked output to anchor the transaction")]
    NothingToSpend,
    /// A payment, issuance or retirement of quantity zero.
    #[error("the quantity must be positive")]
    ZeroAmount,
    /// A fee above [`zkvm::MAX_FEE`].
    #[error("fee {0} is above the limit of 2^24")]
    FeeTooHigh(u64),
    /// A sum or change does not fit in 64 bits.
    #[error("amount overflow")]
    AmountOverflow,
    /// An address label longer than [`MAX_LABEL`](crate::MAX_LABEL).
    #[error("a label has at most {max} bytes, this one has {got}")]
    LabelTooLong {
        /// The limit.
        max: usize,
        /// The label's length.
        got: usize,
    },
    /// No more address indices (2^32 of them).
    #[error("no more address indices")]
    IndexExhausted,

    /// Contract terms that cannot be used (docs/spec/wallet.md §Contract
    /// terms): the reason says which rule.
    #[error("contract terms: {0}")]
    Terms(String),
    /// MuSig key aggregation or signing failed.
    #[error("signing: {0}")]
    Musig(#[from] musig::MusigError),
    /// No held contract has this ID (or ID prefix of at least 8 hex
    /// digits).
    #[error("no contract of this wallet has the ID {0}")]
    UnknownContract(String),
    /// Several held contracts start with this prefix.
    #[error("several contracts start with {0}: give more digits")]
    AmbiguousContract(String),
    /// The contract was spent already.
    #[error("contract {0} was spent in transaction {1}")]
    ContractSpent(String, String),
    /// The contract has no branch of this name.
    #[error("the contract has no branch {branch:?} (its branches: {})", known.join(", "))]
    UnknownBranch {
        /// The name asked for.
        branch: String,
        /// The branches it has.
        known: Vec<String>,
    },
    /// The key path was asked for, but the contract has none.
    #[error("the contract has no key path: spend it through a branch")]
    NoKeyPath,
    /// The wallet holds none of the key path's keys.
    #[error("this wallet holds no key of the contract's key path")]
    NotASigner,
    /// The transaction needs signatures from other parties: build it with
    /// a co-signing session instead.
    #[error("the key path needs {0} more signer(s): co-sign it (docs/contracts.md)")]
    NeedsCosigners(usize),
    /// A party to notify or a tag that the lock cannot use.
    #[error("lock: {0}")]
    Lock(String),
    /// A dry run of the transaction failed: the prover would refuse it.
    #[error("the transaction fails: {0}")]
    Fails(String),
}

/// "process N", or "another process" when its lock file does not say.
fn holder(pid: Option<u32>) -> String {
    pid.map_or_else(|| "another process".into(), |p| format!("process {p}"))
}

impl WalletError {
    /// Wraps any of redb's error types.
    pub(crate) fn storage(e: impl Into<redb::Error>) -> Self {
        WalletError::Storage(Box::new(e.into()))
    }
}

/// `native` for the zero flavor, as everywhere users read assets; else
/// `flavor` and 64 hex digits (its little-endian bytes).
pub(crate) fn flavor_hex(flavor: &Scalar) -> String {
    if *flavor == Scalar::ZERO {
        "native".into()
    } else {
        format!("flavor {}", crate::address::to_hex(flavor.as_bytes()))
    }
}
