//! Stack instructions (docs/spec/zkvm.md §Stack instructions): `push` and
//! `program` are handled by the run loop.

use super::budget::cost;
use super::{Delegate, VM};
use crate::encoding::Encodable;
use crate::errors::VMError;
use crate::Item;

impl<D: Delegate> VM<'_, D> {
    /// _x_ **drop** → ø
    ///
    /// Fails if `x` is a value, wide value or contract (linear types).
    pub(super) fn drop_item(&mut self) -> Result<(), VMError> {
        self.pop()?.check_droppable()
    }

    /// _x[k] … x[0]_ **dup:k** → _x[k] … x[0] x[k]_
    ///
    /// Fails if the stack has fewer than `k + 1` items or `x[k]` is not a
    /// string or variable.
    pub(super) fn dup(&mut self, k: usize) -> Result<(), VMError> {
        let index = self
            .stack
            .len()
            .checked_sub(k.saturating_add(1))
            .ok_or(VMError::StackUnderflow)?;
        let item = &self.stack[index];
        // Copying a string copies its bytes: charged before the copy.
        let bytes = match item {
            Item::String(d) => d.encoded_size(),
            _ => 32,
        };
        self.charge_n(bytes, cost::BYTE)?;
        let copy = self.stack[index].copy()?;
        self.push(copy)
    }

    /// _x[k] x[k-1] … x[0]_ **roll:k** → _x[k-1] … x[0] x[k]_
    ///
    /// Fails if the stack has fewer than `k + 1` items.
    pub(super) fn roll(&mut self, k: usize) -> Result<(), VMError> {
        let index = self
            .stack
            .len()
            .checked_sub(k.saturating_add(1))
            .ok_or(VMError::StackUnderflow)?;
        self.charge_n(k, cost::ITEM)?;
        let item = self.stack.remove(index);
        self.stack.push(item);
        Ok(())
    }
}
