//! The execution budget (docs/spec/zkvm.md §Execution budget): the work a
//! run may do, proportional to the transaction's encoded size.
//!
//! Without it a transaction of a few kilobytes can make the verifier run
//! for exponential time: a string copied with `dup`, turned into a contract
//! with `input` and opened with `signtx`, yields a program that `eval` runs,
//! and a chain of such contracts doubles the work at every level. Bounding
//! each kind of work by a limit of its own is not enough (every level stays
//! under every limit), so every unit of work the VM does, or makes the
//! verifier do after the run, is charged against one allowance fixed by the
//! size before the run starts. A run that would exceed it stops with
//! [`VMError::ExecutionBudgetExceeded`] at the instruction that asked, in
//! time linear in the size.

use crate::errors::VMError;

/// Budget units each byte of the encoded transaction buys.
pub const UNITS_PER_BYTE: u64 = 128;

/// What each kind of work costs, in budget units.
///
/// The weights are chosen so that, per byte of transaction, an attacker
/// gets at most 16 instructions, 64 bytes copied, hashed or logged,
/// 16 expression terms, 1 point or 1 multiplier; an honest payment uses
/// a small part of that (docs/spec/zkvm.md §Execution budget has the
/// figures).
pub mod cost {
    /// Every instruction executed.
    pub const STEP: u64 = 8;
    /// Every byte an instruction decodes, copies, hashes or logs (the
    /// bytes of every instruction run, `dup` of a string, `input`'s output
    /// structure, a new contract's encoding, a log entry, the messages of
    /// `signid` and `signtag`, a call proof and the program it reveals).
    pub const BYTE: u64 = 2;
    /// Every term of an expression or constraint an instruction builds,
    /// copies or flattens into the constraint system.
    pub const TERM: u64 = 8;
    /// Every item moved on the stack by `roll` or unpacked from a payload.
    pub const ITEM: u64 = 1;
    /// Every point the verifier decompresses and multiplies after the run:
    /// a committed variable, a `signtx` key, each point of a deferred
    /// check.
    pub const POINT: u64 = 128;
    /// Every multiplier of the constraint system (allocated now or
    /// promised for the second phase).
    pub const MULTIPLIER: u64 = 128;
}

/// The allowance of one run and what it has spent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    limit: u64,
    spent: u64,
}

impl Budget {
    /// The budget of a transaction of `size` encoded bytes:
    /// [`UNITS_PER_BYTE`] units per byte.
    pub fn for_tx_size(size: usize) -> Budget {
        Budget::with_limit(UNITS_PER_BYTE.saturating_mul(size as u64))
    }

    /// A budget of `limit` units.
    pub fn with_limit(limit: u64) -> Budget {
        Budget { limit, spent: 0 }
    }

    /// The allowance.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Units spent so far.
    pub fn spent(&self) -> u64 {
        self.spent
    }

    /// Spends `units`, or fails without spending if they do not fit.
    pub fn charge(&mut self, units: u64) -> Result<(), VMError> {
        let spent = self.spent.saturating_add(units);
        if spent > self.limit {
            return Err(VMError::ExecutionBudgetExceeded {
                needed: spent,
                budget: self.limit,
            });
        }
        self.spent = spent;
        Ok(())
    }

    /// Spends `count` times `weight` units.
    pub fn charge_n(&mut self, count: usize, weight: u64) -> Result<(), VMError> {
        self.charge((count as u64).saturating_mul(weight))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_until_the_limit_and_not_beyond() {
        let mut b = Budget::for_tx_size(2);
        assert_eq!(b.limit(), 2 * UNITS_PER_BYTE);
        b.charge(UNITS_PER_BYTE).unwrap();
        b.charge_n(2, UNITS_PER_BYTE / 2).unwrap();
        assert_eq!(b.spent(), b.limit());
        let err = b.charge(1).unwrap_err();
        assert_eq!(
            err,
            VMError::ExecutionBudgetExceeded {
                needed: 2 * UNITS_PER_BYTE + 1,
                budget: 2 * UNITS_PER_BYTE
            }
        );
        assert_eq!(b.spent(), b.limit(), "a refused charge spends nothing");
    }

    #[test]
    fn huge_charges_saturate_instead_of_wrapping() {
        let mut b = Budget::with_limit(u64::MAX - 1);
        b.charge(u64::MAX - 2).unwrap();
        assert!(b.charge_n(usize::MAX, u64::MAX).is_err());
        assert!(b.charge(u64::MAX).is_err());
        assert_eq!(b.spent(), u64::MAX - 2);
    }
}
