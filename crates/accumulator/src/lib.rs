//! The chain state's UTXO set as a Utreexo accumulator
//! (docs/spec/utreexo.md), built on the `rustreexo` crate with ZkVM's
//! transcript hash.
//!
//! - [`ZkvmHash`]: leaf hashes of contract IDs and node hashes, from Merlin
//!   transcripts labelled as the reference labels them
//!   (docs/spec/utreexo.md §Leaves and nodes).
//! - [`Accumulator`]: the roots and leaf count that a validating node keeps;
//!   verifies proofs and applies blocks; its snapshot is at most 1,996
//!   bytes (§Forest and roots; §Snapshot of roots).
//! - [`Forest`]: every leaf; proves any of them (§Forest and roots).
//! - [`Pollard`]: a wallet's roots plus proofs of its own leaves, updated
//!   block by block (§Forest and roots, Wallets).
//! - [`Proof`]: a batch inclusion proof with a strict byte encoding
//!   (§Proofs).
//!
//! ```
//! use accumulator::{Accumulator, Forest, Proof, ZkvmHash};
//!
//! # fn main() -> Result<(), accumulator::AccumulatorError> {
//! let utxos: Vec<ZkvmHash> = (0u8..5).map(|i| ZkvmHash::leaf(&[i; 32])).collect();
//! let mut state = Accumulator::new();
//! let mut forest = Forest::new();
//! state.add(&utxos)?;
//! forest.modify(&utxos, &[])?;
//!
//! // A block spends utxos[1] and creates one output.
//! let proof = Proof::from_bytes(&forest.prove(&utxos[1..2])?.to_bytes())?;
//! state.verify(&proof, &utxos[1..2])?;
//! let created = ZkvmHash::leaf(&[9; 32]);
//! state.modify(&[created], &utxos[1..2], &proof)?;
//! forest.modify(&[created], &utxos[1..2])?;
//! assert_eq!(forest.accumulator(), state);
//!
//! // The spent output can no longer be proven.
//! assert!(state.verify(&proof, &utxos[1..2]).is_err());
//! let snapshot = state.to_bytes();
//! assert_eq!(Accumulator::from_bytes(&snapshot)?, state);
//! # Ok(())
//! # }
//! ```

mod accumulator;
mod error;
mod forest;
mod hash;
mod pollard;
mod positions;
mod proof;

pub use crate::accumulator::{Accumulator, MAX_LEAVES};
pub use crate::error::AccumulatorError;
pub use crate::forest::Forest;
pub use crate::hash::ZkvmHash;
pub use crate::pollard::Pollard;
pub use crate::proof::{Proof, MAX_PROOF_TARGETS};
