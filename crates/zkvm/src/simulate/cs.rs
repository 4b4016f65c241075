//! The simulator's constraint system (docs/spec/simulate.md §What is
//! reported): the prover's R1CS system with a count of its constraints and
//! its second-phase callbacks kept, so a simulation can run them and check
//! every constraint against the secrets without proving. Each constraint
//! keeps the instruction that added it ([`Origin`]), so an unsatisfied one
//! is reported at that instruction.

use std::cell::RefCell;
use std::rc::Rc;

use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use r1cs::{
    ConstraintSystem, LinearCombination, R1CSError, RandomizableConstraintSystem,
    RandomizedConstraintSystem, TranscriptProtocol, Variable,
};

type Callback<'t, 'g> = Box<dyn FnOnce(&mut SimCS<'t, 'g>) -> Result<(), R1CSError>>;

/// The instruction that was running when a constraint was added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    /// Byte offset in the program that was running.
    pub(crate) offset: usize,
    /// Program depth (0 = the transaction's program).
    pub(crate) depth: usize,
    /// Mnemonic, as [`crate::VMError::Instruction`] names it.
    pub(crate) instruction: &'static str,
    /// The instruction as assembly (cut as in traces).
    pub(crate) text: String,
}

/// The instruction running now, if any: set by the simulator's observer
/// around each instruction and by [`SimCS::finish`] around each
/// second-phase callback; read by [`SimCS`] for each constraint added.
pub(crate) type CurrentOrigin = Rc<RefCell<Option<Rc<Origin>>>>;

/// [`r1cs::Prover`] with its constraints counted and kept for checking,
/// each with the instruction that added it.
pub(crate) struct SimCS<'t, 'g> {
    pub(crate) inner: r1cs::Prover<'t, 'g>,
    constraints: Vec<(LinearCombination, Option<Rc<Origin>>)>,
    deferred: Vec<(Option<Rc<Origin>>, Callback<'t, 'g>)>,
    current: CurrentOrigin,
}

impl<'t, 'g> SimCS<'t, 'g> {
    /// A constraint system attributing its constraints to whatever
    /// `current` holds when they are added.
    pub(crate) fn new(inner: r1cs::Prover<'t, 'g>, current: CurrentOrigin) -> Self {
        SimCS {
            inner,
            constraints: Vec::new(),
            deferred: Vec::new(),
            current,
        }
    }

    /// Runs the second-phase callbacks (their challenges differ from a real
    /// proof's, which changes no count and, for an honest witness, no
    /// outcome), then checks every constraint. Returns the index of the
    /// first unsatisfied constraint, if any, and whether there was a
    /// second phase.
    pub(crate) fn finish(&mut self) -> Result<(Option<usize>, bool), R1CSError> {
        let phase1 = self.constraints.len();
        if let Some(index) = self.first_unsatisfied(0)? {
            return Ok((Some(index), !self.deferred.is_empty()));
        }
        let n1 = self.inner.multipliers_len();
        let callbacks = core::mem::take(&mut self.deferred);
        for (origin, callback) in callbacks {
            // The callback's constraints belong to the instruction that
            // registered it.
            let before = self.current.replace(origin);
            let result = callback(self);
            *self.current.borrow_mut() = before;
            result?;
        }
        let second_phase = self.inner.multipliers_len() > n1;
        Ok((self.first_unsatisfied(phase1)?, second_phase))
    }

    fn first_unsatisfied(&self, from: usize) -> Result<Option<usize>, R1CSError> {
        for (index, (lc, _)) in self.constraints.iter().enumerate().skip(from) {
            if self.inner.eval(lc)? != Scalar::ZERO {
                return Ok(Some(index));
            }
        }
        Ok(None)
    }

    /// The instruction that added constraint `index`, if one was running.
    pub(crate) fn origin(&self, index: usize) -> Option<&Origin> {
        self.constraints.get(index)?.1.as_deref()
    }

    /// Constraints added so far.
    pub(crate) fn constraints_len(&self) -> usize {
        self.constraints.len()
    }
}

impl ConstraintSystem for SimCS<'_, '_> {
    fn transcript(&mut self) -> &mut Transcript {
        self.inner.transcript()
    }

    fn multiply(
        &mut self,
        left: LinearCombination,
        right: LinearCombination,
    ) -> (Variable, Variable, Variable) {
        self.inner.multiply(left, right)
    }

    fn allocate(&mut self, assignment: Option<Scalar>) -> Result<Variable, R1CSError> {
        self.inner.allocate(assignment)
    }

    fn allocate_multiplier(
        &mut self,
        input_assignments: Option<(Scalar, Scalar)>,
    ) -> Result<(Variable, Variable, Variable), R1CSError> {
        self.inner.allocate_multiplier(input_assignments)
    }

    fn multipliers_len(&self) -> usize {
        self.inner.multipliers_len()
    }

    fn constrain(&mut self, lc: LinearCombination) {
        let origin = self.current.borrow().clone();
        self.constraints.push((lc.clone(), origin));
        self.inner.constrain(lc);
    }
}

impl<'t, 'g> RandomizableConstraintSystem for SimCS<'t, 'g> {
    type RandomizedCS = SimCS<'t, 'g>;

    fn specify_randomized_constraints<F>(&mut self, callback: F) -> Result<(), R1CSError>
    where
        F: 'static + FnOnce(&mut Self::RandomizedCS) -> Result<(), R1CSError>,
    {
        let origin = self.current.borrow().clone();
        self.deferred.push((origin, Box::new(callback)));
        Ok(())
    }
}

impl RandomizedConstraintSystem for SimCS<'_, '_> {
    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar {
        self.inner.transcript().challenge_scalar(label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use r1cs::BulletproofGens;

    fn origin(offset: usize, instruction: &'static str) -> Option<Rc<Origin>> {
        Some(Rc::new(Origin {
            offset,
            depth: 0,
            instruction,
            text: instruction.to_string(),
        }))
    }

    #[test]
    fn constraints_keep_the_instruction_that_added_them() {
        let mut transcript = Transcript::new(b"test");
        let current = CurrentOrigin::default();
        let mut cs = SimCS::new(
            r1cs::Prover::new(BulletproofGens::shared(), &mut transcript),
            Rc::clone(&current),
        );
        let x = cs.allocate(Some(Scalar::from(3u64))).unwrap();
        *current.borrow_mut() = origin(1, "range");
        cs.constrain(x - Scalar::from(3u64)); // #0: satisfied
        *current.borrow_mut() = origin(2, "verify");
        cs.specify_randomized_constraints(move |cs| {
            cs.constrain(x - Scalar::from(4u64)); // #2: violated
            Ok(())
        })
        .unwrap();
        *current.borrow_mut() = None;
        cs.constrain(x - Scalar::from(3u64)); // #1: satisfied, no instruction
        assert_eq!(cs.origin(0).map(|o| o.offset), Some(1));
        assert_eq!(cs.origin(1), None);

        // The callback runs with no instruction current, yet its constraint
        // belongs to `verify`, which registered it.
        let (index, _) = cs.finish().unwrap();
        assert_eq!(index, Some(2));
        let o = cs.origin(2).unwrap();
        assert_eq!((o.offset, o.instruction), (2, "verify"));
        assert!(current.borrow().is_none());
    }

    #[test]
    fn a_violated_first_phase_constraint_is_found_first() {
        let mut transcript = Transcript::new(b"test");
        let current = CurrentOrigin::default();
        let mut cs = SimCS::new(
            r1cs::Prover::new(BulletproofGens::shared(), &mut transcript),
            Rc::clone(&current),
        );
        let x = cs.allocate(Some(Scalar::from(3u64))).unwrap();
        *current.borrow_mut() = origin(5, "fee");
        cs.constrain(x - Scalar::from(3u64));
        cs.constrain(x.into()); // #1: violated
        let (index, _) = cs.finish().unwrap();
        assert_eq!(index, Some(1));
        assert_eq!(cs.origin(1).map(|o| o.instruction), Some("fee"));
    }
}
