//! Bulletproofs zero-knowledge proofs for rank-1 constraint systems.
//!
//! The protocol, proof format and Fiat-Shamir transcript are those of
//! dalek-cryptography's Bulletproofs R1CS, so proofs are interchangeable with
//! that implementation and with the ZkVM reference (specified in our words
//! in `docs/spec/r1cs.md`). On top of the protocol this crate offers:
//!
//! - one set of constraint-system traits ([`ConstraintSystem`],
//!   [`RandomizableConstraintSystem`]) that gadgets are written against once
//!   for both [`Prover`] and [`Verifier`], including two-phase gadgets whose
//!   constraints depend on challenges;
//! - a verifier that can hand back its [`VerificationEquation`] so many
//!   proofs and other point equations (signatures) are checked together in
//!   one multiscalar multiplication ([`BatchVerifier`]), with the fixed
//!   generators merged across proofs and the most used ones computed through
//!   a precomputed table;
//! - strict proof decoding ([`R1CSProof::from_bytes`]) and a prover that
//!   refuses an unsatisfying witness and wipes its secrets.
//!
//! ```
//! use curve25519_dalek::scalar::Scalar;
//! use merlin::Transcript;
//! use r1cs::{BulletproofGens, ConstraintSystem, Prover, Verifier};
//!
//! let gens = BulletproofGens::new(16);
//! // Prove knowledge of x, y with x·y = 12 without revealing them.
//! let mut t = Transcript::new(b"example");
//! let mut prover = Prover::new(&gens, &mut t);
//! let (cx, x) = prover.commit(Scalar::from(3u64), Scalar::from(11u64));
//! let (cy, y) = prover.commit(Scalar::from(4u64), Scalar::from(17u64));
//! let (_, _, o) = prover.multiply(x.into(), y.into());
//! prover.constrain(o - 12u64);
//! let proof = prover.prove().unwrap();
//!
//! let mut t = Transcript::new(b"example");
//! let mut verifier = Verifier::new(&mut t);
//! let x = verifier.commit(cx);
//! let y = verifier.commit(cy);
//! let (_, _, o) = verifier.multiply(x.into(), y.into());
//! verifier.constrain(o - 12u64);
//! assert!(verifier.verify(&proof, &gens).is_ok());
//! ```

mod constraint_system;
mod equation;
mod errors;
mod generators;
mod inner_product;
mod linear_combination;
mod parallel;
mod poly;
mod proof;
mod prover;
mod transcript;
mod variable;
mod verifier;

pub use constraint_system::{
    ConstraintSystem, RandomizableConstraintSystem, RandomizedConstraintSystem,
};
pub use equation::{find_failures, verify_batch, BatchVerifier, VerificationEquation};
pub use errors::R1CSError;
pub use generators::{BulletproofGens, PedersenGens, DEFAULT_CAPACITY};
pub use linear_combination::LinearCombination;
pub use proof::R1CSProof;
pub use prover::{Prover, RandomizingProver};
pub use transcript::TranscriptProtocol;
pub use variable::Variable;
pub use verifier::{RandomizingVerifier, Verifier};
