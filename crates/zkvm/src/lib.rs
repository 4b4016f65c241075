//! ZkVM: transactions are programs for a stack machine that moves
//! confidential values. A program's run builds one R1CS constraint system
//! (values balanced by `cloak`, custom constraints over secrets) and a
//! transaction log; the proof, the aggregated signature and every other
//! point check are verified together.
//!
//! Byte-compatible with the ZkVM specification of Stellar's Slingshot
//! (docs/spec/zkvm.md says where the reference leaves things implicit and
//! where we differ).
//!
//! - Build: [`Program`] (instructions with the prover's secrets), then
//!   [`Prover::build_tx`] → [`UnsignedTx`] → [`UnsignedTx::sign`] → [`Tx`].
//! - Verify: [`Verifier::verify_bytes`], or [`Verifier::precompute`] (VM run,
//!   ID, log) then [`PrecomputedTx::verify`] (one multiscalar
//!   multiplication).

#[cfg(feature = "adversarial")]
pub mod adversarial;
pub mod asm;
mod batch;
mod commitment;
mod constraint;
mod contract;
mod data;
mod encoding;
mod errors;
mod expression;
mod fees;
mod instruction;
mod item;
mod merkle;
mod predicate;
mod program;
mod prover;
mod scalar_witness;
pub mod simulate;
mod tx;
mod value;
mod verifier;
mod vm;

pub use crate::encoding::{DecodeError, Encodable, Reader, ReaderExt, Writer, WriterExt};
pub use batch::{all_hold, check_all, precompute_all, precompute_each, verify_batch, BatchError};
pub use commitment::{Commitment, Opening};
pub use constraint::{Constraint, SecretConstraint};
pub use contract::{Anchor, Contract, ContractID, PortableItem};
pub use data::Data;
pub use errors::VMError;
pub use expression::{Expression, Variable};
pub use fees::{FeeRate, MAX_FEE};
pub use instruction::{Instruction, Opcode};
pub use item::Item;
pub use merkle::{Hash, Hasher, MerkleItem, Path};
pub use predicate::{CallProof, Predicate, PredicateTree, PredicateWitness, TaprootLeaf};
pub use program::{Program, ProgramItem};
pub use prover::{Prover, SigningRequest, UnsignedTx};
pub use scalar_witness::ScalarWitness;
pub use tx::{Tx, TxEntry, TxHeader, TxID, TxLog, VerifiedTx, CURRENT_VERSION};
pub use value::{Value, WideValue};
pub use verifier::{signtx_transcript, PrecomputedTx, Verifier};
pub use vm::budget::{self, Budget};
pub use vm::limits;
