//! Value instructions (docs/spec/zkvm.md §Value instructions).

use curve25519_dalek::scalar::Scalar;
use r1cs::{ConstraintSystem, VerificationEquation};

use super::budget::cost;
use super::{Delegate, VM};
use crate::encoding::Encodable;
use crate::errors::VMError;
use crate::tx::TxEntry;
use crate::{Item, PortableItem, Value, WideValue};

impl<D: Delegate> VM<'_, D> {
    /// _qty flv metadata pred_ **issue** → _contract_
    ///
    /// Commits `flv` then `qty`; defers the check that `flv` is the
    /// unblinded commitment to the flavor of (`pred`, `metadata`);
    /// range-proves `qty` (committed once more); logs the issuance; locks
    /// the value in a contract under `pred` on the last anchor.
    ///
    /// Fails if `pred` or `metadata` is not a string, `flv` or `qty` not a
    /// variable, or no anchor is set.
    pub(super) fn issue(&mut self) -> Result<(), VMError> {
        let predicate = self.pop()?.to_string()?.to_predicate()?;
        let metadata = self.pop()?.to_string()?;
        let flv = self.pop()?.to_variable()?;
        let qty = self.pop()?.to_variable()?;
        let (flv_point, _) = self.commit_variable(&flv.commitment)?;
        let (qty_point, _) = self.commit_variable(&qty.commitment)?;
        // The flavor hashes the predicate and the metadata.
        self.charge_n(32 + metadata.encoded_size(), cost::BYTE)?;
        let flavor = Value::issue_flavor(&predicate, &metadata);
        self.defer(1, || {
            let f = flv_point
                .decompress()
                .ok_or(VMError::InvalidPoint("issued flavor"))?;
            let mut eq = VerificationEquation::new();
            eq.add_basepoint_term(flavor);
            eq.add_term(-Scalar::ONE, f);
            Ok(eq)
        })?;
        let value = Value {
            qty: qty.commitment.clone(),
            flv: flv.commitment,
        };
        let qty_expr = self.variable_to_expression(qty)?;
        self.add_range_proof(&qty_expr)?;
        self.log_entry(TxEntry::Issue(qty_point, flv_point))?;
        let contract = self.make_contract(predicate, vec![PortableItem::Value(value)])?;
        self.push(Item::Contract(contract))
    }

    /// _qty flv_ **borrow** → _–V +V_
    ///
    /// Commits `flv` then `qty`, range-proves `qty`, allocates `-qty` and
    /// constrains it; pushes the wide value `(-qty, flv)` then the value.
    ///
    /// Fails if `qty` or `flv` is not a variable.
    pub(super) fn borrow(&mut self) -> Result<(), VMError> {
        let flv = self.pop()?.to_variable()?;
        let qty = self.pop()?.to_variable()?;
        self.reserve_multipliers(cloak::QUANTITY_BITS + 1, 0)?;
        let (_, flv_var) = self.commit_variable(&flv.commitment)?;
        let (_, qty_var) = self.commit_variable(&qty.commitment)?;
        let witness = if D::PROVER {
            let q = qty
                .commitment
                .assignment()
                .ok_or(VMError::MissingWitness("borrowed quantity"))?
                .to_integer()
                .ok_or(VMError::InvalidWitness(
                    "borrowed quantity is not an integer",
                ))?;
            let f = flv
                .commitment
                .assignment()
                .ok_or(VMError::MissingWitness("borrowed flavor"))?
                .to_scalar();
            Some((q, f))
        } else {
            None
        };
        cloak::range_proof(
            self.delegate.cs(),
            qty_var.into(),
            witness.map(|(q, _)| q.to_scalar()),
            cloak::QUANTITY_BITS,
        )?;
        let neg_qty = self
            .delegate
            .cs()
            .allocate(witness.map(|(q, _)| -q.to_scalar()))?;
        self.delegate.cs().constrain(qty_var + neg_qty);
        let wide = WideValue(cloak::AllocatedValue {
            q: neg_qty,
            f: flv_var,
            assignment: witness.map(|(q, f)| cloak::Value::new(-q, f)),
        });
        self.push(Item::WideValue(wide))?;
        self.push(Item::Value(Value {
            qty: qty.commitment,
            flv: flv.commitment,
        }))
    }

    /// _value_ **retire** → ø: logs the retirement.
    ///
    /// Fails if the item is not a value.
    pub(super) fn retire(&mut self) -> Result<(), VMError> {
        let v = self.pop()?.to_value()?;
        self.log_entry(TxEntry::Retire(v.qty.to_point(), v.flv.to_point()))
    }

    /// _widevalues commitments_ **cloak:m:n** → _values_
    ///
    /// Pops `n` (flavor, quantity) commitment pairs (flavor first), then `m`
    /// values or wide values; commits each output's quantity then flavor
    /// (top output first), then each input value's (top first); proves the
    /// cloak of the inputs into the outputs (in stack order); pushes the
    /// output values in reverse order of their commitments.
    ///
    /// Fails if the stack is too short, an item has the wrong type, or
    /// `m` or `n` is zero.
    pub(super) fn cloak(&mut self, m: usize, n: usize) -> Result<(), VMError> {
        let needed = n.checked_mul(2).and_then(|x| x.checked_add(m));
        if needed.is_none_or(|k| k > self.stack.len()) {
            return Err(VMError::StackUnderflow);
        }
        // Everything the cloak will need must fit; its second-phase part is
        // reserved once the first phase is known.
        let total = cloak::cloak_multipliers(m, n);
        self.reserve_multipliers(total, 0)?;
        let mut outputs = Vec::with_capacity(n);
        let mut cloak_outs = Vec::with_capacity(n);
        for _ in 0..n {
            let flv = self.pop()?.to_string()?.to_commitment()?;
            let qty = self.pop()?.to_string()?.to_commitment()?;
            let value = Value { qty, flv };
            cloak_outs.push(self.value_to_cloak_value(&value)?);
            outputs.push(value);
        }
        let mut cloak_ins = Vec::with_capacity(m);
        for _ in 0..m {
            let wide = match self.pop()? {
                Item::Value(v) => self.value_to_cloak_value(&v)?,
                Item::WideValue(w) => w.0,
                other => {
                    return Err(VMError::WrongType {
                        expected: "value or wide value",
                        found: other.type_name(),
                    })
                }
            };
            cloak_ins.push(wide);
        }
        cloak_outs.reverse();
        cloak_ins.reverse();
        let before = self.delegate.cs().multipliers_len();
        cloak::cloak(self.delegate.cs(), &cloak_ins, &cloak_outs)?;
        let first_phase = self.delegate.cs().multipliers_len() - before;
        self.reserve_multipliers(0, total.saturating_sub(first_phase))?;
        for v in outputs {
            self.push(Item::Value(v))?;
        }
        Ok(())
    }

    /// _qty_ **fee** → _widevalue_
    ///
    /// Pops a 4-byte LE32 fee; allocates one multiplier for the wide value
    /// `(-fee, 0)` constrained to those constants; logs the fee.
    ///
    /// Fails if `qty` is not a 4-byte string or the total fee exceeds `2^24`.
    pub(super) fn fee(&mut self) -> Result<(), VMError> {
        let fee = u64::from(self.pop()?.to_string()?.to_u32()?);
        self.add_fee(fee)?;
        self.reserve_multipliers(1, 0)?;
        let value = cloak::Value::new(-cloak::SignedInteger::from(fee), Scalar::ZERO);
        let mut allocated = value.allocate(self.delegate.cs())?;
        if !D::PROVER {
            allocated.assignment = None;
        }
        self.delegate
            .cs()
            .constrain(allocated.q + Scalar::from(fee));
        self.delegate.cs().constrain(allocated.f - Scalar::ZERO);
        self.push(Item::WideValue(WideValue(allocated)))?;
        self.log_entry(TxEntry::Fee(fee))?;
        Ok(())
    }

    /// Commits a value's quantity then flavor as cloak wires.
    fn value_to_cloak_value(&mut self, v: &Value) -> Result<cloak::AllocatedValue, VMError> {
        let (_, q) = self.commit_variable(&v.qty)?;
        let (_, f) = self.commit_variable(&v.flv)?;
        let assignment = if D::PROVER {
            Some(
                v.assignment()
                    .ok_or(VMError::MissingWitness("value opening"))?,
            )
        } else {
            None
        };
        Ok(cloak::AllocatedValue { q, f, assignment })
    }
}
