//! The crate's error type.

use thiserror::Error;

/// Everything that can go wrong decoding keys and signatures, aggregating keys
/// or verifying.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MusigError {
    /// A signature encoding is not exactly 64 bytes.
    #[error("signature must be 64 bytes, got {0}")]
    InvalidSignatureLength(usize),
    /// The signature's `s` is not reduced modulo the group order.
    #[error("signature scalar is not canonical")]
    NonCanonicalScalar,
    /// A point (a key or the signature's `R`) is not a valid Ristretto encoding.
    #[error("`{0}` is not a valid Ristretto point")]
    InvalidPoint(&'static str),
    /// Key aggregation or a multi-message signature was given no keys.
    #[error("at least one key is required")]
    NoKeys,
    /// A signer that holds several keys was given a different number of
    /// secret keys than there are verification keys.
    #[error("expected {expected} secret keys, got {got}")]
    KeyCount {
        /// Number of verification keys.
        expected: usize,
        /// Number of secret keys given.
        got: usize,
    },
    /// The secret key at `index` does not match its verification key.
    #[error("secret key #{index} does not match its verification key")]
    WrongSecretKey {
        /// Position of the mismatched key.
        index: usize,
    },
    /// The signature does not verify.
    #[error("signature verification failed")]
    VerificationFailed,
}
