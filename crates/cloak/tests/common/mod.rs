//! Helpers shared by the cloak's integration tests: proving a cloak over
//! fresh commitments to its values, and verifying the proof against them.
#![allow(dead_code)]

use cloak::{cloak, CloakError, CommittedValue, SignedInteger, Value};
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use r1cs::{BulletproofGens, ConstraintSystem, Prover, R1CSProof, Verifier};
use rand::rngs::StdRng;
use rand::Rng;

/// The transcript label of the tests' proofs.
pub const LABEL: &[u8] = b"cloak test";

pub fn gens() -> &'static BulletproofGens {
    BulletproofGens::shared()
}

/// A proof with the commitments it was made over.
pub struct Transfer {
    pub proof: R1CSProof,
    pub inputs: Vec<CommittedValue>,
    pub outputs: Vec<CommittedValue>,
    /// The multipliers allocated before the proof's second phase.
    pub first_phase: usize,
}

impl Transfer {
    /// [`verify`] against the commitments the proof was made over.
    pub fn verify(&self) -> Result<(), CloakError> {
        verify(&self.inputs, &self.outputs, &self.proof)
    }
}

/// Proves that `inputs` cloak into `outputs`, each value committed with
/// random blinding factors.
pub fn prove(
    inputs: &[Value],
    outputs: &[Value],
    rng: &mut StdRng,
) -> Result<Transfer, CloakError> {
    let mut t = Transcript::new(LABEL);
    let mut prover = Prover::new(gens(), &mut t);
    let mut commit = |values: &[Value]| -> (Vec<_>, Vec<_>) {
        values
            .iter()
            .map(|v| {
                v.commit(
                    &mut prover,
                    Scalar::from(rng.gen::<u64>()),
                    Scalar::from(rng.gen::<u64>()),
                )
            })
            .unzip()
    };
    let (ci, vi) = commit(inputs);
    let (co, vo) = commit(outputs);
    cloak(&mut prover, &vi, &vo)?;
    let first_phase = prover.multipliers_len();
    let proof = prover.prove()?;
    Ok(Transfer {
        proof,
        inputs: ci,
        outputs: co,
        first_phase,
    })
}

/// Verifies `proof` of a cloak from `inputs` into `outputs`.
pub fn verify(
    inputs: &[CommittedValue],
    outputs: &[CommittedValue],
    proof: &R1CSProof,
) -> Result<(), CloakError> {
    let mut t = Transcript::new(LABEL);
    let mut verifier = Verifier::new(&mut t);
    let vi: Vec<_> = inputs.iter().map(|c| c.commit(&mut verifier)).collect();
    let vo: Vec<_> = outputs.iter().map(|c| c.commit(&mut verifier)).collect();
    cloak(&mut verifier, &vi, &vo)?;
    verifier.verify(proof, gens())?;
    Ok(())
}

/// `q` of flavor `f`.
pub fn v(q: u64, f: u64) -> Value {
    Value::new(q, Scalar::from(f))
}

/// `-q` of flavor `f` (a wide value, as from `borrow`).
pub fn neg(q: u64, f: u64) -> Value {
    Value::new(-SignedInteger::from(q), Scalar::from(f))
}
