//! The contract library (docs/spec/contracts.md): templates whose terms
//! (parties, key path, Taproot branches in ZkVM assembly) any wallet can
//! lock value under and spend, with what each party can do and when.
//!
//! - [`escrow`]: a buyer's payment held for a seller; buyer and seller
//!   settle together, or the arbiter sides with one of them, or the buyer
//!   takes it back after a deadline.
//! - [`account`]: an n-of-n MuSig account, optionally with k-of-n
//!   recovery branches that open after a timeout.
//! - [`loan`]: loans against collateral, the repayment's interest proven
//!   over secret quantities.
//! - [`offer`]: public offers to sell one asset for another at a price,
//!   taken whole or in part, the remainder staying on offer.
//!
//! Each template builds [`wallet::Terms`]; the wallet locks value under
//! them, finds them through their contract notes, and spends them by key
//! or branch ([`wallet::Wallet::lock`], [`wallet::Wallet::call`]).

pub mod account;
mod error;
pub mod escrow;
pub mod loan;
pub mod offer;
mod program;

pub use error::ContractsError;
