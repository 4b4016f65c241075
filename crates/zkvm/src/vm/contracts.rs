//! Contract instructions (docs/spec/zkvm.md §Contract instructions).

use merlin::Transcript;
use musig::Signature;

use super::budget::cost;
use super::{Delegate, VM};
use crate::encoding::Encodable;
use crate::errors::VMError;
use crate::tx::TxEntry;
use crate::{Anchor, CallProof, Contract, Item, ProgramItem};

impl<D: Delegate> VM<'_, D> {
    /// _prevoutput_ **input** → _contract_
    ///
    /// Decodes the output structure, logs the input, pushes the contract
    /// and sets the anchor to its ratcheted ID.
    ///
    /// Fails if `prevoutput` is not a string holding exactly one output
    /// structure.
    pub(super) fn input(&mut self) -> Result<(), VMError> {
        let prevoutput = self.pop()?.to_string()?;
        // Decoded, then hashed into its ID.
        self.charge_n(2 * prevoutput.encoded_size(), cost::BYTE)?;
        let contract = prevoutput.to_output()?;
        let id = contract.id();
        self.log_entry(TxEntry::Input(id))?;
        self.push(Item::Contract(contract))?;
        self.last_anchor = Some(Anchor::ratchet(&id));
        Ok(())
    }

    /// _items… pred_ **output:k** → ø: logs a new UTXO holding the `k`
    /// items under `pred`, on the last anchor.
    ///
    /// Fails if an item is not portable or no anchor is set.
    pub(super) fn output(&mut self, k: usize) -> Result<(), VMError> {
        let contract = self.pop_contract(k)?;
        self.log_entry(TxEntry::Output(contract))
    }

    /// _items… pred_ **contract:k** → _contract_: like `output`, but the
    /// contract stays on the stack.
    pub(super) fn contract(&mut self, k: usize) -> Result<(), VMError> {
        let contract = self.pop_contract(k)?;
        self.push(Item::Contract(contract))
    }

    /// _data_ **log** → ø: logs a data entry.
    pub(super) fn log_data(&mut self) -> Result<(), VMError> {
        let data = self.pop()?.to_string()?;
        self.log_entry(TxEntry::Data(data.to_bytes()))
    }

    /// _prog_ **eval** → _results…_: runs `prog`, then resumes.
    pub(super) fn eval(&mut self) -> Result<(), VMError> {
        let p = self.pop()?.to_program()?;
        self.continue_with(p)
    }

    /// _contract(P) proof prog_ **call** → _results…_
    ///
    /// Defers the taproot check `0 = -P + X + h(X, M)·B` with `M` computed
    /// from `prog` and the call proof; unpacks the payload; runs `prog`.
    ///
    /// Fails if `prog` is not a program, `proof` not a well-formed call
    /// proof, or the item under them not a contract.
    pub(super) fn call(&mut self) -> Result<(), VMError> {
        let program = self.pop()?.to_program()?;
        let proof = self.pop()?.to_string()?;
        // The proof is decoded, the program copied and hashed into the
        // taproot leaf, then hashed up the path.
        self.charge_n(
            2 * proof.encoded_size() + 2 * program.encoded_size(),
            cost::BYTE,
        )?;
        let proof = CallProof::from_bytes(&proof.to_bytes())?;
        let contract = self.pop()?.to_contract()?;
        let predicate = contract.predicate;
        let checked = program.clone();
        self.defer(2, || predicate.call_equation(&checked, &proof))?;
        self.unpack(contract.payload)?;
        self.continue_with(program)
    }

    /// _contract_ **signtx** → _items…_: adds the predicate and contract ID
    /// to the transaction signature's keys; unpacks the payload.
    pub(super) fn signtx(&mut self) -> Result<(), VMError> {
        let contract = self.pop()?.to_contract()?;
        self.charge_n(contract.encoded_size(), cost::BYTE)?;
        self.charge(cost::POINT)?;
        let id = contract.id();
        self.delegate.process_tx_signature(contract.predicate, id)?;
        self.unpack(contract.payload)
    }

    /// _contract prog sig_ **signid** → _items…_
    ///
    /// Unpacks the payload; defers the check of `sig` by the predicate on
    /// `Transcript("ZkVM.signid")` with `"contract"` = the contract ID and
    /// `"prog"` = the program; runs `prog`.
    ///
    /// Fails if `sig` is not a 64-byte signature with canonical `s`, `prog`
    /// not a program or the item under them not a contract.
    pub(super) fn signid(&mut self) -> Result<(), VMError> {
        let (contract, program, signature) = self.pop_signed_program()?;
        // The contract is hashed into its ID, the program copied and
        // hashed into the transcript.
        self.charge_n(
            contract.encoded_size() + 2 * program.encoded_size(),
            cost::BYTE,
        )?;
        let id = contract.id();
        let mut t = Transcript::new(b"ZkVM.signid");
        t.append_message(b"contract", &id.to_bytes());
        t.append_message(b"prog", &program.to_bytes());
        let predicate = contract.predicate;
        self.unpack(contract.payload)?;
        self.defer(2, || {
            let key = predicate.verification_key()?;
            signature
                .verification_equation(&mut t, &key)
                .map_err(VMError::InvalidSignature)
        })?;
        self.continue_with(program)
    }

    /// _contract prog sig_ **signtag** → _items… tag_
    ///
    /// Unpacks the payload, whose last item must be a string `tag` (it
    /// stays on the stack); defers the check of `sig` by the predicate on
    /// `Transcript("ZkVM.signtag")` with `"tag"` and `"prog"`; runs `prog`.
    ///
    /// Fails as `signid`, or if the payload's last item is not a string.
    pub(super) fn signtag(&mut self) -> Result<(), VMError> {
        let (contract, program, signature) = self.pop_signed_program()?;
        let predicate = contract.predicate;
        self.unpack(contract.payload)?;
        let tag = self.pop()?.to_string()?;
        self.charge_n(
            2 * tag.encoded_size() + 2 * program.encoded_size(),
            cost::BYTE,
        )?;
        let mut t = Transcript::new(b"ZkVM.signtag");
        t.append_message(b"tag", &tag.to_bytes());
        t.append_message(b"prog", &program.to_bytes());
        self.push(Item::String(tag))?;
        self.defer(2, || {
            let key = predicate.verification_key()?;
            signature
                .verification_equation(&mut t, &key)
                .map_err(VMError::InvalidSignature)
        })?;
        self.continue_with(program)
    }

    /// Pops `sig`, `prog`, `contract` for `signid` and `signtag`.
    fn pop_signed_program(&mut self) -> Result<(Contract, ProgramItem, Signature), VMError> {
        let sig = self.pop()?.to_string()?.to_bytes();
        let signature = Signature::from_bytes(&sig).map_err(VMError::InvalidSignature)?;
        let program = self.pop()?.to_program()?;
        let contract = self.pop()?.to_contract()?;
        Ok((contract, program, signature))
    }

    /// Pops a predicate and `k` portable items into a new contract.
    fn pop_contract(&mut self, k: usize) -> Result<Contract, VMError> {
        let predicate = self.pop()?.to_string()?.to_predicate()?;
        let start = self
            .stack
            .len()
            .checked_sub(k)
            .ok_or(VMError::StackUnderflow)?;
        self.charge_n(k, cost::ITEM)?;
        let payload = self
            .stack
            .drain(start..)
            .map(Item::to_portable)
            .collect::<Result<Vec<_>, _>>()?;
        self.make_contract(predicate, payload)
    }
}
