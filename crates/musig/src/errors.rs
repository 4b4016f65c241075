//! The crate's error type.

use thiserror::Error;

/// Everything that can go wrong decoding keys, signatures and protocol
/// messages, aggregating keys, signing interactively or verifying.
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
    /// Entry `entry` of a [`crate::NestedMultimessage`] has no constituent
    /// keys.
    #[error("entry #{entry} has no keys")]
    EmptyEntry {
        /// Index of the entry.
        entry: usize,
    },
    /// The signature does not verify.
    #[error("signature verification failed")]
    VerificationFailed,
    /// A message of the interactive protocol (docs/spec/musig.md
    /// §Interactive signing, Messages) does not have its fixed length.
    #[error("{message} must be {expected} bytes, got {got}")]
    InvalidMessageLength {
        /// Which message: `"nonce precommitment"`, `"nonce commitment"` or
        /// `"signature share"`.
        message: &'static str,
        /// Its length on the wire.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A signer's position is not the index of one of the context's keys
    /// (docs/spec/musig.md §Interactive signing, Naming a bad party).
    #[error("position {position} is out of range for {parties} parties")]
    PositionOutOfRange {
        /// The position asked for.
        position: usize,
        /// Number of parties (keys) in the context.
        parties: usize,
    },
    /// A round of the interactive protocol received a number of messages
    /// other than one per party (docs/spec/musig.md §Interactive signing,
    /// Naming a bad party).
    #[error("expected {expected} {message}s, one per party, got {got}")]
    MessageCount {
        /// Which message: `"nonce precommitment"`, `"nonce commitment"` or
        /// `"signature share"`.
        message: &'static str,
        /// Number of parties.
        expected: usize,
        /// Number of messages received.
        got: usize,
    },
    /// The nonce commitment in position `party` does not match the
    /// precommitment received in that position (docs/spec/musig.md
    /// §Interactive signing, Naming a bad party) — or, for the signer's own
    /// position, a message differs from the one this signer sent (it was
    /// altered in transit). The signing session is over; start a new one
    /// with fresh nonces, without that party if it is to blame.
    #[error("party #{party}'s nonce commitment does not match its precommitment")]
    InconsistentCommitment {
        /// Position of the party (its key's index in the context).
        party: usize,
    },
    /// The signature share in position `party` fails `s_i·B = R_i + e_i·X_i`
    /// (docs/spec/musig.md §Interactive signing, Naming a bad party)
    /// — or, for the signer's own position, differs from the share this
    /// signer sent.
    #[error("party #{party}'s signature share is invalid")]
    InvalidShare {
        /// Position of the party (its key's index in the context).
        party: usize,
    },
}
