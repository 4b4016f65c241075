//! The verifier (docs/spec/zkvm.md §VM execution, §Deferred point
//! operations): bytes → [`VerifiedTx`] or a typed error, in two stages.
//!
//! [`Verifier::precompute`] decodes, runs the VM and derives the txid, the
//! log and one verification equation that folds the R1CS proof, the
//! transaction signature and every deferred point check with random
//! weights — all cheap. [`PrecomputedTx::verify`] checks that equation with
//! one multiscalar multiplication, the expensive part, which a node can
//! skip for transactions it rejects for other reasons (double spends), or
//! batch across a block ([`PrecomputedTx::equation`]).

use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use merlin::{Transcript, TranscriptRng};
use musig::VerificationKey;
use r1cs::{BulletproofGens, ConstraintSystem, VerificationEquation};
use rand_core::OsRng;

use crate::encoding::Encodable;
use crate::errors::VMError;
use crate::tx::{TxHeader, TxID, TxLog};
use crate::vm::budget::Budget;
use crate::vm::{limits, Delegate, VM};
use crate::{Commitment, ContractID, FeeRate, Predicate, ProgramItem, Tx, VerifiedTx};

/// Entry points of verification.
pub struct Verifier;

/// A transaction whose VM run succeeded: its ID, log and fee rate are
/// known; its proof and signatures are not yet checked.
#[derive(Clone, Debug)]
pub struct PrecomputedTx {
    /// Version and time bounds.
    pub header: TxHeader,
    /// The transaction ID.
    pub id: TxID,
    /// The log.
    pub log: TxLog,
    /// Fee per byte.
    pub fee_rate: FeeRate,
    /// The execution budget its size allowed, with what its run spent
    /// (docs/spec/zkvm.md §Execution budget).
    pub budget: Budget,
    /// The `signtx` signers in order: each key with the contract ID it
    /// signs for (what a co-signer checks before signing).
    pub signers: Vec<(VerificationKey, ContractID)>,
    /// The R1CS proof's equation.
    r1cs: VerificationEquation,
    /// The signature's and deferred checks' equations, each already
    /// weighted by a random factor of its own and summed (one equation, so
    /// a run's memory grows by one term per point, not by one equation per
    /// check: docs/spec/zkvm.md §Execution budget).
    points: VerificationEquation,
}

struct VerifierDelegate<'t> {
    cs: r1cs::Verifier<'t>,
    signtx: Vec<(VerificationKey, ContractID)>,
    deferred: VerificationEquation,
    /// Weights for the deferred checks: the transcript's RNG seeded by the
    /// operating system, so no one can predict them.
    rng: TranscriptRng,
}

impl<'t> Delegate for VerifierDelegate<'t> {
    type CS = r1cs::Verifier<'t>;
    const PROVER: bool = false;

    fn cs(&mut self) -> &mut Self::CS {
        &mut self.cs
    }

    fn commit_variable(
        &mut self,
        c: &Commitment,
    ) -> Result<(CompressedRistretto, r1cs::Variable), VMError> {
        let point = c.to_point();
        Ok((point, self.cs.commit(point)))
    }

    fn process_tx_signature(&mut self, pred: Predicate, id: ContractID) -> Result<(), VMError> {
        self.signtx.push((pred.verification_key()?, id));
        Ok(())
    }

    fn defer(
        &mut self,
        make: impl FnOnce() -> Result<VerificationEquation, VMError>,
    ) -> Result<(), VMError> {
        let weight = Scalar::random(&mut self.rng);
        self.deferred.append_weighted(&make()?, &weight);
        Ok(())
    }
}

impl Verifier {
    /// Decodes and fully verifies a transaction.
    pub fn verify_bytes(bytes: &[u8]) -> Result<VerifiedTx, VMError> {
        Self::precompute_bytes(bytes)?.verify()
    }

    /// Decodes a transaction and runs its precomputation.
    pub fn precompute_bytes(bytes: &[u8]) -> Result<PrecomputedTx, VMError> {
        if bytes.len() > limits::MAX_TX_SIZE {
            return Err(VMError::LimitExceeded {
                what: "transaction bytes",
                value: bytes.len(),
                limit: limits::MAX_TX_SIZE,
            });
        }
        Self::precompute(&Tx::from_bytes(bytes)?)
    }

    /// Runs the VM over `tx` and builds its verification equations.
    pub fn precompute(tx: &Tx) -> Result<PrecomputedTx, VMError> {
        let size = tx.encoded_size();
        if size > limits::MAX_TX_SIZE {
            return Err(VMError::LimitExceeded {
                what: "transaction bytes",
                value: size,
                limit: limits::MAX_TX_SIZE,
            });
        }
        let mut transcript = Transcript::new(b"ZkVM.r1cs");
        let rng = transcript.build_rng().finalize(&mut OsRng);
        let mut delegate = VerifierDelegate {
            cs: r1cs::Verifier::new(&mut transcript),
            signtx: Vec::new(),
            deferred: VerificationEquation::new(),
            rng,
        };
        let program = ProgramItem::Bytecode(tx.program.clone());
        let budget = Budget::for_tx_size(size);
        let run = VM::new(tx.header, program, budget, &mut delegate).run()?;
        let id = run.id;
        let VerifierDelegate {
            mut cs,
            signtx,
            mut deferred,
            mut rng,
        } = delegate;
        cs.transcript().append_message(b"ZkVM.txid", &id.to_bytes());
        let r1cs = cs
            .verification_equation(&tx.proof, BulletproofGens::shared())
            .map_err(VMError::InvalidR1CSProof)?;
        if !signtx.is_empty() {
            let mut t = signtx_transcript(&id);
            let pairs: Vec<_> = signtx.iter().map(|(k, id)| (*k, id.to_bytes())).collect();
            let signature = tx
                .signature
                .multimessage_verification_equation(&mut t, &pairs)
                .map_err(VMError::InvalidSignature)?;
            deferred.append_weighted(&signature, &Scalar::random(&mut rng));
        }
        Ok(PrecomputedTx {
            header: tx.header,
            id,
            log: run.log,
            fee_rate: FeeRate::new(run.fee, size),
            budget: run.budget,
            signers: signtx,
            r1cs,
            points: deferred,
        })
    }
}

/// The transcript `signtx` signs: `Transcript("ZkVM.signtx")` with the
/// txid under `"txid"`.
pub fn signtx_transcript(id: &TxID) -> Transcript {
    let mut t = Transcript::new(b"ZkVM.signtx");
    t.append_message(b"txid", &id.to_bytes());
    t
}

impl PrecomputedTx {
    /// The proof, the signature and the deferred checks as one equation:
    /// the proof's part as the R1CS verifier returned it (already scaled by
    /// a random factor of its own), every other part with the fresh random
    /// weight it got when the run made it (so no part can cancel another).
    pub fn equation(&self) -> VerificationEquation {
        let mut eq = VerificationEquation::new();
        self.append_to(&mut eq);
        eq
    }

    /// Adds [`PrecomputedTx::equation`] to `acc` without building it first
    /// (a batch sums the equations of many transactions; each part of each
    /// transaction carries its own random factor).
    pub fn append_to(&self, acc: &mut VerificationEquation) {
        acc.append(&self.r1cs);
        acc.append(&self.points);
    }

    /// Checks everything with one multiscalar multiplication. On failure,
    /// checks the proof alone to say which part failed.
    pub fn verify(self) -> Result<VerifiedTx, VMError> {
        let gens = BulletproofGens::shared();
        if self.equation().verify(gens).is_err() {
            return Err(match self.r1cs.verify(gens) {
                Err(e) => VMError::InvalidR1CSProof(e),
                Ok(()) => VMError::PointChecksFailed,
            });
        }
        Ok(self.into_verified())
    }

    /// The verified transaction, for a caller that checked
    /// [`PrecomputedTx::equation`] itself (e.g. in a block's batch).
    pub fn into_verified(self) -> VerifiedTx {
        VerifiedTx {
            header: self.header,
            id: self.id,
            log: self.log,
            fee_rate: self.fee_rate,
        }
    }
}
