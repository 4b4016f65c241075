//! Verifying many transactions at once (docs/spec/zkvm.md §Verifier): the
//! VM runs of all transactions in parallel, then one multiscalar check of
//! all their proofs, signatures and deferred point checks, each weighted by
//! independent random scalars. Only when that check fails are transactions
//! checked one by one, to name the failing one.

use r1cs::{BulletproofGens, VerificationEquation};
use rayon::prelude::*;

use crate::errors::VMError;
use crate::verifier::{PrecomputedTx, Verifier};
use crate::{Tx, VerifiedTx};

/// Which transaction of a batch failed, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("transaction #{index}: {error}")]
pub struct BatchError {
    /// Position of the first failing transaction.
    pub index: usize,
    /// Its error.
    pub error: VMError,
}

/// Verifies `txs` together. Returns the verified transactions in order, or
/// the first (lowest-index) failure.
pub fn verify_batch(txs: &[Tx]) -> Result<Vec<VerifiedTx>, BatchError> {
    let precomputed = precompute_all(txs)?;
    check_all(&precomputed)?;
    Ok(precomputed
        .into_iter()
        .map(PrecomputedTx::into_verified)
        .collect())
}

/// Runs every transaction's VM in parallel.
pub fn precompute_all(txs: &[Tx]) -> Result<Vec<PrecomputedTx>, BatchError> {
    txs.par_iter()
        .enumerate()
        .map(|(index, tx)| Verifier::precompute(tx).map_err(|error| BatchError { index, error }))
        .collect()
}

/// [`precompute_all`] for transactions held by reference (e.g. the ones of
/// a block not verified before); `index` in an error is the position in
/// `txs`.
pub fn precompute_each(txs: &[&Tx]) -> Result<Vec<PrecomputedTx>, BatchError> {
    txs.par_iter()
        .enumerate()
        .map(|(index, tx)| Verifier::precompute(tx).map_err(|error| BatchError { index, error }))
        .collect()
}

/// Checks precomputed transactions with one multiscalar multiplication
/// (split across cores); on failure, finds the first failing one.
pub fn check_all(precomputed: &[PrecomputedTx]) -> Result<(), BatchError> {
    if all_hold(precomputed) {
        return Ok(());
    }
    let first = precomputed
        .par_iter()
        .enumerate()
        .filter_map(|(index, tx)| {
            tx.clone()
                .verify()
                .err()
                .map(|error| BatchError { index, error })
        })
        .min_by_key(|e| e.index);
    Err(first.unwrap_or(BatchError {
        index: 0,
        error: VMError::PointChecksFailed,
    }))
}

/// Whether every precomputed transaction's proof and signatures hold,
/// checked together with one multiscalar multiplication split across cores
/// (which of them fails is not found: [`check_all`] does that).
pub fn all_hold(precomputed: &[PrecomputedTx]) -> bool {
    let gens = BulletproofGens::shared();
    let chunk = precomputed
        .len()
        .div_ceil(rayon::current_num_threads())
        .max(1);
    let parts: Vec<VerificationEquation> = precomputed
        .par_chunks(chunk)
        .map(|txs| {
            let mut eq = VerificationEquation::new();
            for tx in txs {
                tx.append_to(&mut eq);
            }
            eq
        })
        .collect();
    let mut all = VerificationEquation::new();
    for part in parts {
        all.absorb(part);
    }
    all.verify(gens).is_ok()
}
