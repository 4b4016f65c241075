//! The crate's error type.

use accumulator::AccumulatorError;
use encoding::DecodeError;
use musig::MusigError;
use thiserror::Error;
use zkvm::{ContractID, FeeRate, TxID, VMError};

use crate::BlockID;

/// Why a block, or a transaction in it, is rejected; or why the mempool
/// rejects a transaction (docs/spec/blockchain.md §Mempool), where `index`
/// fields are 0: the offered transaction.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlockchainError {
    /// The encoding of a header, block, snapshot or genesis is malformed:
    /// it ends early, a length runs past the end, bytes trail it.
    #[error("invalid encoding: {0}")]
    Decode(#[from] DecodeError),
    /// A transaction in a block does not decode.
    #[error("transaction #{index} does not decode: {error}")]
    DecodeTx {
        /// Position in the block.
        index: usize,
        /// Why.
        #[source]
        error: VMError,
    },
    /// An output of a genesis does not decode.
    #[error("genesis output #{index} does not decode: {error}")]
    DecodeOutput {
        /// Position in the genesis.
        index: usize,
        /// Why.
        #[source]
        error: VMError,
    },
    /// A block's signature is not a valid encoding (a non-canonical scalar).
    #[error("block signature does not decode: {0}")]
    SignatureEncoding(#[source] MusigError),
    /// The block key of a snapshot or genesis is not a valid point.
    #[error("the block key is not a valid Ristretto point")]
    InvalidBlockKey,
    /// The block's version is below its predecessor's.
    #[error("block version {got} is below the previous block's {previous}")]
    VersionDecreased {
        /// Previous block's version.
        previous: u64,
        /// This block's version.
        got: u64,
    },
    /// A version-1 block has a non-empty `ext`.
    #[error("version-1 block with a non-empty ext field")]
    ExtNotEmpty,
    /// The height is not the previous height plus one.
    #[error("block height {got}, expected {expected}")]
    BadHeight {
        /// Previous height plus one.
        expected: u64,
        /// The block's height.
        got: u64,
    },
    /// `previd` is not the ID of the tip.
    #[error("previous block ID does not match the tip")]
    BadPrevId,
    /// The timestamp is not after the previous block's.
    #[error("block time {got} ms is not after the previous block's {previous} ms")]
    TimeNotIncreasing {
        /// Previous block's timestamp.
        previous: u64,
        /// This block's timestamp.
        got: u64,
    },
    /// The block signature does not verify under the network's block key.
    #[error("block signature is invalid")]
    BadSignature,
    /// A genesis validator section names no validator or more than 256.
    #[error("the genesis names {0} validators; 1 to 256 are allowed")]
    GenesisValidatorCount(usize),
    /// A genesis validator's key is not a valid Ristretto point.
    #[error("a genesis validator's key is not a valid Ristretto point")]
    InvalidValidatorKey,
    /// A genesis validator has no voting power.
    #[error("a genesis validator has zero voting power")]
    ZeroValidatorPower,
    /// A genesis asset section (docs/spec/blockchain.md §Genesis) describes
    /// no asset or more than [`crate::MAX_GENESIS_ASSETS`].
    #[error("the genesis describes {0} assets; 1 to 256 are allowed")]
    GenesisAssetCount(usize),
    /// A genesis asset's issuer is not a valid Ristretto point.
    #[error("genesis asset #{index}: the issuer is not a valid Ristretto point")]
    GenesisAssetIssuer {
        /// Its position in the section.
        index: usize,
    },
    /// A genesis asset's metadata breaks docs/spec/wallet.md §Asset
    /// metadata, or is not in its one encoding.
    #[error("genesis asset #{index}: bad metadata: {reason}")]
    GenesisAssetMetadata {
        /// Its position in the section.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A genesis asset's flavor is not the one its issuer and metadata
    /// give: the entry names an asset that issuer never made.
    #[error("genesis asset #{index}: the flavor is not the issuer's for that metadata")]
    GenesisAssetFlavor {
        /// Its position in the section.
        index: usize,
    },
    /// Two entries of a genesis asset section describe one flavor.
    #[error("genesis asset #{index} describes a flavor described before it")]
    GenesisAssetDuplicate {
        /// The position of the second entry.
        index: usize,
    },
    /// Asset metadata that breaks the rules of docs/spec/wallet.md §Asset
    /// metadata.
    #[error("bad asset metadata: {0}")]
    BadAsset(String),
    /// An amount typed by a person that is not a quantity of its asset
    /// (docs/spec/wallet.md §Asset metadata: digits past the declared
    /// decimals, beyond 64 bits, not a number).
    #[error("{0}")]
    BadAmount(String),
    /// On a chain sealed by commit certificates, a block's signature
    /// field is not the 64 zero bytes it must be.
    #[error("a block of a validators chain carries a block-key signature")]
    SignatureOnCertifiedChain,
    /// A block of a chain signed by its block key carries a certificate.
    #[error("a block of a block-key chain carries a commit certificate")]
    CertificateOnKeyChain,
    /// A block's certificate section is empty or larger than
    /// [`crate::MAX_CERTIFICATE_SIZE`].
    #[error("a block's certificate section of {0} bytes is empty or too large")]
    CertificateSize(usize),
    /// Headers alone were to be followed on a validators chain, where no
    /// header is signed.
    #[error("the headers of a validators chain are not signed: check their certificates")]
    HeadersNotSigned,
    /// `txroot` does not commit to the block's transactions.
    #[error("txroot does not match the transactions")]
    TxRootMismatch,
    /// `utxoroot` does not commit to the UTXO set after the block.
    #[error("utxoroot does not match the UTXO set after the block")]
    UtxoRootMismatch,
    /// A transaction's time bounds exclude the block's timestamp.
    #[error("transaction #{index} is not valid at the block's time")]
    TxOutsideTimeBounds {
        /// Position in the block.
        index: usize,
    },
    /// A version-1 block holds a transaction of a later version.
    #[error("transaction #{index} has version {version}, not allowed in a version-1 block")]
    TxVersion {
        /// Position in the block.
        index: usize,
        /// Its version.
        version: u64,
    },
    /// A transaction is invalid.
    #[error("transaction #{index}: {error}")]
    InvalidTx {
        /// Position in the block.
        index: usize,
        /// Why.
        error: VMError,
    },
    /// A transaction spends an output already spent in this block.
    #[error("transaction #{index} spends {id} a second time")]
    DoubleSpend {
        /// Position in the block of the second spend.
        index: usize,
        /// The output spent twice.
        id: ContractID,
    },
    /// The inputs are not all unspent outputs: the block's (or, for the
    /// mempool, the transaction's) Utreexo proof does not prove them against
    /// the UTXO set.
    #[error("inputs are not proven unspent: {0}")]
    Utxo(AccumulatorError),
    /// A snapshot's tip is not the header the caller trusts.
    #[error("snapshot tip is not the trusted block")]
    UntrustedSnapshot,
    /// The block is larger than the limit.
    #[error("block of {size} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// Encoded size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Mempool: a transaction with this ID (or these very bytes) is already
    /// in the pool.
    #[error("transaction {txid} is already in the mempool")]
    AlreadyKnown {
        /// Its ID.
        txid: TxID,
    },
    /// Mempool: the transaction spends `id`, which the pool transaction
    /// `txid` spends too, and does not pay a strictly higher fee rate than
    /// `txid`; or it spends `id`, an output of `txid`, while replacing
    /// `txid`.
    #[error("transaction conflicts with mempool transaction {txid} over {id}")]
    Conflict {
        /// The contested output.
        id: ContractID,
        /// The pool transaction it conflicts with.
        txid: TxID,
    },
    /// Mempool: the transaction does not fit in the pool's byte limit, even
    /// after evicting every transaction it may evict (those of a lower fee
    /// rate, with their descendants).
    #[error("mempool full: no room for {size} bytes within {limit}")]
    MempoolFull {
        /// The transaction's encoded size.
        size: usize,
        /// The pool's limit in bytes.
        limit: usize,
    },
    /// Mempool: the transaction's `maxtime_ms` is not after the tip's
    /// timestamp, so no later block can include it.
    #[error("transaction expired at {maxtime_ms} ms; the tip is at {tip_ms} ms")]
    TxExpired {
        /// The transaction's maxtime.
        maxtime_ms: u64,
        /// The tip's timestamp.
        tip_ms: u64,
    },
    /// Mempool: the chain state given is not the one the pool's transactions
    /// were checked against (apply the missing blocks first).
    #[error("mempool is at block {pool}, the state given is at block {state}")]
    MempoolTipMismatch {
        /// The tip the pool follows.
        pool: BlockID,
        /// The tip of the state given.
        state: BlockID,
    },
    /// Mempool: the forest given to prove the pool's inputs does not hold
    /// the UTXO set of the state given.
    #[error("the forest does not match the chain state's UTXO set")]
    ForestMismatch,
    /// Mempool: the transaction pays a lower fee rate than the pool's
    /// minimum relay fee rate (docs/spec/blockchain.md §Mempool, Relay
    /// fees).
    #[error(
        "fee of {} for {} bytes is below the minimum relay fee rate of {} per {} bytes \
         (a fee of at least {} is needed)",
        .fee_rate.fee(),
        .fee_rate.size(),
        .minimum.fee(),
        .minimum.size(),
        needed_fee(.minimum, .fee_rate)
    )]
    FeeRateTooLow {
        /// The transaction's fee and size.
        fee_rate: FeeRate,
        /// The pool's minimum relay fee rate.
        minimum: FeeRate,
    },
    /// Mempool: a replacement pays a higher fee rate than each transaction
    /// it conflicts with, but less than the fees of every transaction it
    /// would replace (those and their descendants) plus the incremental
    /// relay fee for its own size (docs/spec/blockchain.md §Mempool,
    /// Insertion, replace-by-fee).
    #[error(
        "replacement pays a fee of {paid}, needs at least {needed}: {replaced_fees} paid by the \
         {replaced} transaction(s) it replaces plus the incremental relay fee for its size"
    )]
    ReplacementFeeTooLow {
        /// The replacement's fee.
        paid: u64,
        /// The least fee that would do.
        needed: u64,
        /// The total fee of the transactions it would replace.
        replaced_fees: u64,
        /// How many transactions it would replace.
        replaced: usize,
    },
}

/// The least fee at the rate `minimum` for the size of `fee_rate`.
fn needed_fee(minimum: &FeeRate, fee_rate: &FeeRate) -> u64 {
    let size = usize::try_from(fee_rate.size()).unwrap_or(usize::MAX);
    crate::mempool::fee_for(*minimum, size)
}
