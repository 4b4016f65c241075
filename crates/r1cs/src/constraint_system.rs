//! The constraint-system traits that gadgets are written against, once, for
//! both the prover and the verifier (docs/spec/r1cs.md §Constraint systems).

use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;

use crate::{LinearCombination, R1CSError, Variable};

/// A rank-1 constraint system under construction: multipliers
/// `a_L[i] · a_R[i] = a_O[i]` and linear constraints `lc = 0` over the
/// multiplier wires and the committed values.
///
/// On the prover the variables carry assignments; on the verifier they are
/// only names. Gadgets must add constraints in the same order on both sides:
/// the order fixes the powers of the challenge `z` each constraint is
/// weighted with.
pub trait ConstraintSystem {
    /// The proof transcript, for gadgets that bind extra data into it.
    fn transcript(&mut self) -> &mut Transcript;

    /// Allocates a multiplier whose inputs are `left` and `right` and returns
    /// its three wires `(l, r, o)` with `o = l · r`. Adds the constraints
    /// `left - l = 0` then `right - r = 0`, in that order and with those signs
    /// (the reference gadgets' proofs depend on it).
    fn multiply(
        &mut self,
        left: LinearCombination,
        right: LinearCombination,
    ) -> (Variable, Variable, Variable);

    /// Allocates a single unconstrained wire: the left input of a new
    /// multiplier, or the right input of the multiplier allocated by the
    /// previous call (the end of the first phase closes a half-used
    /// multiplier). The prover must pass `Some` assignment.
    fn allocate(&mut self, assignment: Option<Scalar>) -> Result<Variable, R1CSError>;

    /// Allocates a multiplier with the given input assignments and no linear
    /// constraints on its wires. The prover must pass `Some` assignment.
    fn allocate_multiplier(
        &mut self,
        input_assignments: Option<(Scalar, Scalar)>,
    ) -> Result<(Variable, Variable, Variable), R1CSError>;

    /// Number of multipliers allocated so far.
    fn multipliers_len(&self) -> usize;

    /// Adds the constraint `lc = 0`.
    fn constrain(&mut self, lc: LinearCombination);
}

/// A constraint system whose gadgets can add constraints that depend on
/// challenges drawn after all first-phase wires are committed.
pub trait RandomizableConstraintSystem: ConstraintSystem {
    /// The system handed to second-phase callbacks.
    type RandomizedCS: RandomizedConstraintSystem;

    /// Registers `callback` to run in the second phase, after the first-phase
    /// multipliers are committed (`A_I1`, `A_O1`, `S1`). Callbacks run in
    /// registration order.
    fn specify_randomized_constraints<F>(&mut self, callback: F) -> Result<(), R1CSError>
    where
        F: 'static + FnOnce(&mut Self::RandomizedCS) -> Result<(), R1CSError>;
}

/// The second-phase constraint system: may draw challenges from the
/// transcript, which is bound to every first-phase wire.
pub trait RandomizedConstraintSystem: ConstraintSystem {
    /// Draws a challenge scalar from the transcript under `label`.
    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar;
}
