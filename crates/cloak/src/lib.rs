//! The Cloak gadget: proofs that confidential values are redistributed
//! without creating, destroying or transmuting any asset.
//!
//! A [`Value`] is a secret quantity and a secret flavor (asset type), each a
//! variable of an R1CS constraint system from the `r1cs` crate. [`cloak`]
//! proves that `m` input values and `n` output values hold the same assets:
//! per flavor, the totals are equal, and each output quantity is in
//! `[0, 2^64)`. The gadget is written once against `r1cs`'s traits and runs
//! on the prover and the verifier alike.
//!
//! Constraints, multipliers, their order and the transcript labels are those
//! of the ZkVM reference (Slingshot's spacesuit), so a cloak proof has the
//! reference's size and ZkVM transactions verify under either
//! implementation (docs/spec/cloak.md).
//!
//! ```
//! use curve25519_dalek::scalar::Scalar;
//! use merlin::Transcript;
//! use r1cs::{BulletproofGens, Prover, Verifier};
//! use cloak::{cloak, CommittedValue, Value};
//!
//! let gens = BulletproofGens::new(256);
//! let usd = Scalar::from(840u64);
//! let inputs = [Value::new(10u64, usd)];
//! let outputs = [Value::new(3u64, usd), Value::new(7u64, usd)];
//! let blind = |i: u64| Scalar::from(1000 + i);
//!
//! let mut t = Transcript::new(b"example");
//! let mut prover = Prover::new(&gens, &mut t);
//! let (ci, vi): (Vec<CommittedValue>, Vec<_>) =
//!     inputs.iter().map(|v| v.commit(&mut prover, blind(1), blind(2))).unzip();
//! let (co, vo): (Vec<CommittedValue>, Vec<_>) =
//!     outputs.iter().map(|v| v.commit(&mut prover, blind(3), blind(4))).unzip();
//! cloak(&mut prover, &vi, &vo).unwrap();
//! let proof = prover.prove().unwrap();
//!
//! let mut t = Transcript::new(b"example");
//! let mut verifier = Verifier::new(&mut t);
//! let vi: Vec<_> = ci.iter().map(|c| c.commit(&mut verifier)).collect();
//! let vo: Vec<_> = co.iter().map(|c| c.commit(&mut verifier)).collect();
//! cloak(&mut verifier, &vi, &vo).unwrap();
//! assert!(verifier.verify(&proof, &gens).is_ok());
//! ```

mod cloak;
mod errors;
mod mix;
mod range;
mod shuffle;
mod signed_integer;
mod value;

pub use crate::cloak::{cloak, cloak_multipliers};
pub use errors::CloakError;
pub use mix::k_mix;
pub use range::{range_proof, QUANTITY_BITS};
pub use shuffle::{padded_shuffle, scalar_shuffle, value_shuffle};
pub use signed_integer::SignedInteger;
pub use value::{AllocatedValue, CommittedValue, Value};
