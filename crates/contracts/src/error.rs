//! The crate's error type.

use thiserror::Error;

/// Why a template cannot be built.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ContractsError {
    /// The parameters make no contract (the reason says which rule).
    #[error("{0}")]
    Parameters(String),
    /// A branch program does not assemble (a bug in a template).
    #[error("template program: {0}")]
    Assembly(#[source] zkvm::asm::AsmError),
    /// The wallet refused the terms.
    #[error(transparent)]
    Wallet(#[from] wallet::WalletError),
}
