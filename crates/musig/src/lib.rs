//! Schnorr signatures on Ristretto with Merlin transcripts, compatible with
//! the ZkVM reference (Slingshot's `starsig` and `musig`;
//! docs/spec/musig.md):
//!
//! - single-message signatures ([`Signature::sign`], [`Signature::verify`]);
//! - MuSig key aggregation ([`Multikey`]): a signature under the aggregated
//!   key is an ordinary signature;
//! - multi-message signatures ([`Signature::sign_multimessage`]): one
//!   signature by several keys, each over its own message, as `signtx` uses.
//!
//! Every verification can instead return its
//! [`r1cs::VerificationEquation`], so signatures join a transaction's proof
//! (or a block's) in one batched multiscalar multiplication.
//!
//! Not yet here (issue 3 continues): the interactive multi-party signing
//! rounds.
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

mod errors;
mod key;
mod multimessage;
mod signature;
mod transcript;

pub use errors::MusigError;
pub use key::{Multikey, SecretKey, VerificationKey};
pub use signature::Signature;
