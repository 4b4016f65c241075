//! The ZkVM wallet (docs/spec/wallet.md): keys from a 24-word recovery
//! phrase, addresses, encrypted openings of confidential outputs, a
//! verifying light client of the chain with a Utreexo pollard of its own
//! outputs, and payments, issuance and retirement.
//!
//! - [`Seed`] and [`Keys`]: the BIP39 seed and the receiving, issuance and
//!   view keys derived from it (§Seed, §Keys).
//! - [`Address`]: a receiving key and an encryption key, as a checksummed
//!   `zkvm1…` string (§Addresses).
//! - [`EncryptedNote`], [`NoteOpening`], [`pay_to`]: what an output's
//!   commitments hide, encrypted to its recipient and stored in the output
//!   (§Notes).
//! - [`Wallet`]: the state in a redb file — chain state, pollard, owned
//!   outputs, pending transactions, history — changed one transaction at a
//!   time; [`Wallet::follow`], [`Wallet::scan_block`], [`Wallet::sync`]
//!   follow a chain; [`Wallet::send`], [`Wallet::issue`],
//!   [`Wallet::retire`] build transactions, with a fixed fee or, through
//!   their `_with_fee` forms and [`Fee::AtRate`], the least fee that pays a
//!   node's minimum relay fee rate (§Wallet state, §Scanning,
//!   §Transactions, §Fees, §Storage).

mod address;
mod asset;
mod build;
mod certified;
mod contract_note;
mod contracts;
mod error;
mod keys;
mod lock;
mod note;
mod offer_terms;
mod seal;
mod store;
mod terms;
mod wallet;

pub use address::{Address, ADDRESS_LENGTH, ADDRESS_PREFIX, ADDRESS_VERSION};
pub use asset::{
    asset_record, assets_in_log, check_name, format_units, parse_units, AssetInfo, AssetMetadata,
    GenesisAsset, ASSET_RECORD_TAG, MAX_ASSET_DESCRIPTION, MAX_ASSET_NAME, MAX_DECIMALS,
};
pub use build::{Built, Fee, Prepared, FIRST_FEE_ESTIMATE_BYTES};
pub use contract_note::{
    is_contract_note, open as open_contract_note, seal as seal_contract_note, ContractSecrets,
    CONTRACT_NOTE_VERSION, MAX_CONTRACT_NOTE_BYTES,
};
pub use contracts::{
    signing_context, Call, CustomOutput, External, HeldContract, KnownSecrets, Lock, Role,
    SignerEntry, SpendPath, MAX_TAG, MAX_TAGS,
};
pub use error::WalletError;
pub use keys::{Keys, Seed, ViewKey, MNEMONIC_WORDS};
pub use lock::DEFAULT_LOCK_WAIT;
pub use note::{
    genesis_anchor, output_to, pay_to, EncryptedNote, NoteOpening, MAX_MEMO, MAX_NOTE_BYTES,
    MIN_NOTE_BYTES, NOTE_VERSION,
};
pub use offer_terms::{
    logged_quantity, pair_tag, price_commitment, OfferTag, OfferTerms, OFFER_SIGNATURES_BYTES,
    OFFER_TERMS_BYTES, OFFER_TERMS_PREFIX, OFFER_TERMS_VERSION, PRIVATE_OFFER_TERMS_BYTES,
    PRIVATE_OFFER_TERMS_VERSION,
};
pub use seal::{KDF_LANES, KDF_MEMORY_KIB, KDF_PASSES};
pub use terms::{
    Branch, Party, Terms, MAX_BRANCHES, MAX_BRANCH_PROGRAM, MAX_NAME, MAX_PARTIES, TERMS_VERSION,
};
pub use wallet::{
    Access, Amount, Balance, BlockSource, HistoryEntry, HistoryKind, OwnedUtxo, PendingTx,
    ScanSummary, SyncSummary, Wallet, DEFAULT_VALIDITY_WINDOW_MS, LOOKAHEAD, MAX_LABEL,
};
