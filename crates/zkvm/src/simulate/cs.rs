//! The simulator's constraint system (docs/spec/simulate.md §What is
//! reported): the prover's R1CS system with a count of its constraints and
//! its second-phase callbacks kept, so a simulation can run them and check
//! every constraint against the secrets without proving.

use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use r1cs::{
    ConstraintSystem, LinearCombination, R1CSError, RandomizableConstraintSystem,
    RandomizedConstraintSystem, TranscriptProtocol, Variable,
};

type Callback<'t, 'g> = Box<dyn FnOnce(&mut SimCS<'t, 'g>) -> Result<(), R1CSError>>;

/// [`r1cs::Prover`] with its constraints counted and kept for checking.
pub(crate) struct SimCS<'t, 'g> {
    pub(crate) inner: r1cs::Prover<'t, 'g>,
    constraints: Vec<LinearCombination>,
    deferred: Vec<Callback<'t, 'g>>,
}

impl<'t, 'g> SimCS<'t, 'g> {
    pub(crate) fn new(inner: r1cs::Prover<'t, 'g>) -> Self {
        SimCS {
            inner,
            constraints: Vec::new(),
            deferred: Vec::new(),
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
        for callback in callbacks {
            callback(self)?;
        }
        let second_phase = self.inner.multipliers_len() > n1;
        Ok((self.first_unsatisfied(phase1)?, second_phase))
    }

    fn first_unsatisfied(&self, from: usize) -> Result<Option<usize>, R1CSError> {
        for (index, lc) in self.constraints.iter().enumerate().skip(from) {
            if self.inner.eval(lc)? != Scalar::ZERO {
                return Ok(Some(index));
            }
        }
        Ok(None)
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
        self.constraints.push(lc.clone());
        self.inner.constrain(lc);
    }
}

impl<'t, 'g> RandomizableConstraintSystem for SimCS<'t, 'g> {
    type RandomizedCS = SimCS<'t, 'g>;

    fn specify_randomized_constraints<F>(&mut self, callback: F) -> Result<(), R1CSError>
    where
        F: 'static + FnOnce(&mut Self::RandomizedCS) -> Result<(), R1CSError>,
    {
        self.deferred.push(Box::new(callback));
        Ok(())
    }
}

impl RandomizedConstraintSystem for SimCS<'_, '_> {
    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar {
        self.inner.transcript().challenge_scalar(label)
    }
}
