//! The prover (docs/spec/zkvm.md §Prover): a program built with secrets →
//! [`UnsignedTx`] (proven, ID known) → [`Tx`] (signed). It runs the same
//! VM as the verifier.

use curve25519_dalek::ristretto::CompressedRistretto;
use merlin::Transcript;
use musig::{SecretKey, Signature, VerificationKey};
use r1cs::{BulletproofGens, ConstraintSystem, VerificationEquation};

use crate::encoding::Encodable;
use crate::errors::VMError;
use crate::tx::{TxHeader, TxID, TxLog};
use crate::verifier::signtx_transcript;
use crate::vm::budget::Budget;
use crate::vm::{limits, Delegate, VM};
use crate::{Commitment, ContractID, Predicate, Program, ProgramItem, Tx};

/// Largest proof: two phases and an inner-product argument over the most
/// multipliers a transaction may have.
const MAX_PROOF_SIZE: usize =
    1 + 14 * 32 + 32 * (2 * limits::MAX_MULTIPLIERS.trailing_zeros() as usize + 2);

/// Smallest proof: one phase, no inner-product round.
const MIN_PROOF_SIZE: usize = 1 + 11 * 32 + 2 * 32;

/// Entry point of proving.
pub struct Prover;

/// A proven transaction awaiting its `signtx` signature.
#[derive(Clone)]
pub struct UnsignedTx {
    /// Version and time bounds.
    pub header: TxHeader,
    /// The program's bytecode.
    pub program: Vec<u8>,
    /// The R1CS proof.
    pub proof: r1cs::R1CSProof,
    /// The transaction ID.
    pub id: TxID,
    /// The log.
    pub log: TxLog,
    /// The fee.
    pub fee: u64,
    /// `signtx` predicates with the contract ID each signs, in order.
    pub signers: Vec<(Predicate, ContractID)>,
    /// The execution budget the run had, with what it spent
    /// (docs/spec/zkvm.md §Execution budget).
    pub budget: Budget,
}

struct ProverDelegate<'t, 'g> {
    cs: r1cs::Prover<'t, 'g>,
    signtx: Vec<(Predicate, ContractID)>,
}

impl<'t, 'g> Delegate for ProverDelegate<'t, 'g> {
    type CS = r1cs::Prover<'t, 'g>;
    const PROVER: bool = true;

    fn cs(&mut self) -> &mut Self::CS {
        &mut self.cs
    }

    fn commit_variable(
        &mut self,
        c: &Commitment,
    ) -> Result<(CompressedRistretto, r1cs::Variable), VMError> {
        let o = c
            .opening()
            .ok_or(VMError::MissingWitness("commitment opening"))?;
        Ok(self.cs.commit(o.value.to_scalar(), o.blinding))
    }

    fn process_tx_signature(&mut self, pred: Predicate, id: ContractID) -> Result<(), VMError> {
        self.signtx.push((pred, id));
        Ok(())
    }

    fn defer(
        &mut self,
        _: impl FnOnce() -> Result<VerificationEquation, VMError>,
    ) -> Result<(), VMError> {
        // The verifier checks these; the prover only builds the program.
        Ok(())
    }
}

impl Prover {
    /// Runs `program` under `header` with the prover's secrets and proves
    /// its constraint system. Refuses (without proving) if the program
    /// fails or the secrets do not satisfy the constraints.
    ///
    /// The run's execution budget is that of the smallest transaction the
    /// program can make (its proof as short as a proof can be), so every
    /// transaction the prover makes fits the budget its real size gives
    /// the verifier.
    pub fn build_tx(header: TxHeader, program: Program) -> Result<UnsignedTx, VMError> {
        let bytes = program.encode_to_vec();
        // The verifier limits the whole transaction: header, program,
        // signature and a proof of at most `MAX_PROOF_SIZE` bytes.
        let size = 24 + 4 + bytes.len() + 64 + 4 + MAX_PROOF_SIZE;
        if size > limits::MAX_TX_SIZE {
            return Err(VMError::LimitExceeded {
                what: "transaction bytes",
                value: size,
                limit: limits::MAX_TX_SIZE,
            });
        }
        let mut transcript = Transcript::new(b"ZkVM.r1cs");
        let mut delegate = ProverDelegate {
            cs: r1cs::Prover::new(BulletproofGens::shared(), &mut transcript),
            signtx: Vec::new(),
        };
        let smallest = 24 + 4 + bytes.len() + 64 + 4 + MIN_PROOF_SIZE;
        let budget = Budget::for_tx_size(smallest);
        let run = VM::new(header, ProgramItem::Program(program), budget, &mut delegate).run()?;
        let ProverDelegate { mut cs, signtx } = delegate;
        cs.transcript()
            .append_message(b"ZkVM.txid", &run.id.to_bytes());
        let proof = cs.prove()?;
        Ok(UnsignedTx {
            header,
            program: bytes,
            proof,
            id: run.id,
            log: run.log,
            fee: run.fee,
            signers: signtx,
            budget: run.budget,
        })
    }
}

impl UnsignedTx {
    /// The keys and messages of the `signtx` signature, and its transcript,
    /// for signing elsewhere (e.g. interactively with `musig`).
    pub fn signing_request(&self) -> Result<SigningRequest, VMError> {
        let pairs = self
            .signers
            .iter()
            .map(|(p, id)| Ok((p.verification_key()?, id.to_bytes())))
            .collect::<Result<Vec<_>, VMError>>()?;
        Ok(SigningRequest {
            transcript: signtx_transcript(&self.id),
            pairs,
        })
    }

    /// Signs with the secrets the predicates carry (keys, or taproot trees
    /// with their inner key).
    pub fn sign(self) -> Result<Tx, VMError> {
        if self.signers.is_empty() {
            return Ok(self.with_signature(unused_signature()?));
        }
        let pairs = self
            .signers
            .iter()
            .map(|(p, id)| {
                p.signing_key()
                    .map(|k| (k, id.to_bytes()))
                    .ok_or(VMError::MissingWitness("signtx signing key"))
            })
            .collect::<Result<Vec<(SecretKey, [u8; 32])>, VMError>>()?;
        let mut t = signtx_transcript(&self.id);
        let sig =
            Signature::sign_multimessage(&mut t, &pairs).map_err(VMError::InvalidSignature)?;
        Ok(self.with_signature(sig))
    }

    /// The transaction with a signature made elsewhere.
    pub fn with_signature(self, signature: Signature) -> Tx {
        Tx {
            header: self.header,
            program: self.program,
            signature,
            proof: self.proof,
        }
    }
}

/// What the `signtx` signature must sign: a multi-message signature on
/// `transcript` by each key over its contract ID, in order.
pub struct SigningRequest {
    /// `Transcript("ZkVM.signtx")` with the txid.
    pub transcript: Transcript,
    /// (key, contract ID) pairs.
    pub pairs: Vec<(VerificationKey, [u8; 32])>,
}

/// What a transaction without `signtx` carries: identity `R`, zero `s`.
fn unused_signature() -> Result<Signature, VMError> {
    Signature::from_bytes(&[0u8; 64]).map_err(VMError::InvalidSignature)
}
