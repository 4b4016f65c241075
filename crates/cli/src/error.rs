//! The errors of every command; `main` prints them as one line.

use core::fmt;

/// Why a command failed.
#[derive(Debug)]
pub enum Error {
    /// The input file (or stdin, named `-`) could not be read.
    Read {
        /// The path given on the command line.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The input holds more bytes than any transaction could.
    InputTooLarge {
        /// The cap on input bytes.
        limit: usize,
    },
    /// The input is empty (or only whitespace).
    EmptyInput,
    /// The input looked like hex (only hex digits and whitespace) but is
    /// not valid hex.
    Hex(hex::FromHexError),
    /// The transaction does not decode.
    Decode(zkvm::VMError),
    /// The transaction decodes but is not valid.
    Invalid(zkvm::VMError),
    /// The output could not be serialised.
    Json(serde_json::Error),
    /// The output could not be written.
    Stdout(std::io::Error),
    /// The node, its storage or its API failed or refused.
    Node(node::NodeError),
    /// The wallet failed or refused.
    Wallet(wallet::WalletError),
    /// The thing asked for does not exist.
    NotFound(String),
    /// Assembly text that does not assemble, or bytecode that does not
    /// disassemble (docs/spec/asm.md §Errors).
    Asm {
        /// The input's name (`<stdin>` for `-`).
        input: String,
        /// What is wrong, with its line and column.
        source: zkvm::asm::AsmError,
    },
    /// The node refused a transaction the wallet submitted; the wallet
    /// dropped it, so its inputs are spendable again.
    Refused {
        /// The transaction.
        txid: String,
        /// The HTTP status.
        status: String,
        /// The node's reason.
        reason: String,
    },
    /// The node could not be reached to submit a transaction: nothing was
    /// sent and the wallet dropped it.
    NotSent {
        /// The transaction.
        txid: String,
        /// Why.
        reason: String,
    },
    /// A submission was sent but not answered: the node may hold the
    /// transaction, so the wallet keeps it pending.
    OutcomeUnknown {
        /// The transaction.
        txid: String,
        /// Why.
        reason: String,
    },
    /// The node lacks blocks the wallet needs to catch up (it started from
    /// a snapshot, docs/spec/wallet.md §Sync).
    MissingBlocks {
        /// The node asked.
        node: String,
        /// The first height missing.
        from: u64,
        /// The last height missing.
        to: u64,
    },
    /// Arguments that parse but make no sense together, or files that are
    /// not what they should be.
    Usage(String),
}

impl From<node::NodeError> for Error {
    fn from(e: node::NodeError) -> Self {
        Error::Node(e)
    }
}

impl From<wallet::WalletError> for Error {
    fn from(e: wallet::WalletError) -> Self {
        Error::Wallet(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Read { path, source } => write!(f, "cannot read {path}: {source}"),
            Error::InputTooLarge { limit } => write!(f, "input is larger than {limit} bytes"),
            Error::EmptyInput => f.write_str("input is empty"),
            Error::Hex(e) => write!(f, "input is not valid hex: {e}"),
            Error::Decode(e) => write!(f, "cannot decode transaction: {e}"),
            Error::Invalid(e) => write!(f, "invalid transaction: {e}"),
            Error::Json(e) => write!(f, "cannot format output: {e}"),
            Error::Stdout(e) => write!(f, "cannot write output: {e}"),
            Error::Node(e) => write!(f, "{e}"),
            Error::Wallet(e) => write!(f, "wallet: {e}"),
            Error::Asm { input, source } => write!(f, "{input}: {source}"),
            Error::Refused {
                txid,
                status,
                reason,
            } => write!(
                f,
                "node refused transaction {txid} ({status}): {reason}; \
                 the wallet dropped it: its inputs are spendable again"
            ),
            Error::NotSent { txid, reason } => write!(
                f,
                "{reason}; transaction {txid} was not sent and the wallet dropped it: \
                 its inputs are spendable again"
            ),
            Error::OutcomeUnknown { txid, reason } => write!(
                f,
                "{reason}; the node may or may not hold transaction {txid}, so it stays \
                 pending with its inputs locked: `zkvm wallet rebroadcast {txid}` sends it \
                 again, `zkvm wallet abandon {txid}` drops it"
            ),
            Error::MissingBlocks { node, from, to } => write!(
                f,
                "the node at {node} lacks blocks {from} to {to}, which this wallet needs \
                 to catch up (the node started from a snapshot); sync through a full \
                 (archive) node that keeps every block since the genesis (--node ADDR)"
            ),
            Error::NotFound(what) | Error::Usage(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Read { source, .. } => Some(source),
            Error::Hex(e) => Some(e),
            Error::Decode(e) | Error::Invalid(e) => Some(e),
            Error::Json(e) => Some(e),
            Error::Stdout(e) => Some(e),
            Error::Node(e) => Some(e),
            Error::Wallet(e) => Some(e),
            Error::Asm { source, .. } => Some(source),
            Error::InputTooLarge { .. }
            | Error::EmptyInput
            | Error::NotFound(_)
            | Error::Refused { .. }
            | Error::NotSent { .. }
            | Error::OutcomeUnknown { .. }
            | Error::MissingBlocks { .. }
            | Error::Usage(_) => None,
        }
    }
}
