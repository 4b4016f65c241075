//! Schnorr signatures on Ristretto with Merlin transcripts, compatible with
//! the ZkVM reference (Slingshot's `starsig` and `musig`;
//! docs/spec/musig.md):
//!
//! - single-message signatures ([`Signature::sign`], [`Signature::verify`]);
//! - MuSig key aggregation ([`Multikey`]): a signature under the aggregated
//!   key is an ordinary signature;
//! - multi-message signatures ([`Signature::sign_multimessage`]): one
//!   signature by several keys, each over its own message, as `signtx` uses;
//! - interactive signing by several parties that do not share their keys
//!   (docs/spec/musig.md §Interactive signing), for any of the three kinds
//!   of [`SigningContext`] — an aggregated key ([`Multikey`]), one message
//!   per key ([`Multimessage`]), or one message per key where a key may be
//!   the MuSig aggregate of several parties' keys plus a public (taproot)
//!   tweak ([`NestedMultimessage`], for `signtx` over a multisig account):
//!   typestates [`SignerAwaitingPrecommitments`] →
//!   [`SignerAwaitingCommitments`] → [`SignerAwaitingShares`] →
//!   [`Signature`], exchanging a [`NoncePrecommitment`], a
//!   [`NonceCommitment`] and a [`SignatureShare`] (32 bytes each). A party
//!   whose commitment or share does not check out is named by its position.
//!
//! Every verification can instead return its
//! [`r1cs::VerificationEquation`], so signatures join a transaction's proof
//! (or a block's) in one batched multiscalar multiplication.
//!
//! ```
//! use merlin::Transcript;
//! use musig::{SecretKey, Signature};
//!
//! let key = SecretKey::random(&mut rand_core::OsRng);
//! let mut t = Transcript::new(b"example");
//! t.append_message(b"msg", b"hello");
//! let sig = Signature::sign(&mut t.clone(), &key);
//! assert!(sig.verify(&mut t.clone(), &key.verification_key()).is_ok());
//! let decoded = Signature::from_bytes(&sig.to_bytes()).unwrap();
//! assert_eq!(decoded, sig);
//! ```
//!
//! Two parties sign under their aggregated key. Each keeps its own state and
//! broadcasts one message per round; every round takes all parties'
//! messages in position order, its own included.
//!
//! ```
//! use merlin::Transcript;
//! use musig::{Multikey, SecretKey, SignerAwaitingPrecommitments};
//!
//! # fn main() -> Result<(), musig::MusigError> {
//! let alice = SecretKey::random(&mut rand_core::OsRng);
//! let bob = SecretKey::random(&mut rand_core::OsRng);
//! let multikey = Multikey::new(vec![alice.verification_key(), bob.verification_key()])?;
//! let mut t = Transcript::new(b"example");
//! t.append_message(b"msg", b"hello");
//!
//! let (a, a_pre) = SignerAwaitingPrecommitments::new(t.clone(), &multikey, 0, &alice)?;
//! let (b, b_pre) = SignerAwaitingPrecommitments::new(t.clone(), &multikey, 1, &bob)?;
//! // Round 1: precommitments (32 bytes each on the wire).
//! let (a, a_com) = a.receive_precommitments(&[a_pre, b_pre])?;
//! let (b, b_com) = b.receive_precommitments(&[a_pre, b_pre])?;
//! // Round 2: commitments, checked against the precommitments.
//! let (a, a_share) = a.receive_commitments(&[a_com, b_com])?;
//! let (b, b_share) = b.receive_commitments(&[a_com, b_com])?;
//! // Round 3: shares, each checked before they are added up.
//! let sig = a.receive_shares(&[a_share, b_share])?;
//! assert_eq!(b.receive_shares(&[a_share, b_share])?, sig);
//! sig.verify(&mut t.clone(), &multikey.aggregated_key())?;
//! # Ok(())
//! # }
//! ```

mod context;
mod errors;
mod key;
mod messages;
mod multimessage;
mod signature;
mod signer;
mod transcript;

pub use context::{Multimessage, NestedMultimessage, SigningContext};
pub use errors::MusigError;
pub use key::{Multikey, SecretKey, VerificationKey};
pub use messages::{NonceCommitment, NoncePrecommitment, SignatureShare};
pub use signature::Signature;
pub use signer::{SignerAwaitingCommitments, SignerAwaitingPrecommitments, SignerAwaitingShares};
