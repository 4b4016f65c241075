//! Constraint-system instructions (docs/spec/zkvm.md §Constraint system
//! instructions). `mintime` and `maxtime` are handled by the run loop.

use curve25519_dalek::scalar::Scalar;
use r1cs::{ConstraintSystem, RandomizableConstraintSystem, VerificationEquation};

use super::budget::cost;
use super::{limits, Delegate, VM};
use crate::constraint::SecretConstraint;
use crate::errors::VMError;
use crate::{Constraint, Data, Expression, Item, ScalarWitness, Variable};

impl<D: Delegate> VM<'_, D> {
    /// _a_ **scalar** → _expr_: the constant `a`.
    ///
    /// Fails if `a` is not a 32-byte canonical scalar.
    pub(super) fn scalar(&mut self) -> Result<(), VMError> {
        let a = self.pop()?.to_string()?.to_scalar()?;
        self.push(Item::Expression(Expression::Constant(a)))
    }

    /// _P_ **commit** → _v_: a variable bound to the commitment `P`.
    ///
    /// Fails if `P` is not a 32-byte string (its point is checked when a
    /// proof uses it).
    pub(super) fn commit(&mut self) -> Result<(), VMError> {
        let commitment = self.pop()?.to_string()?.to_commitment()?;
        self.push(Item::Variable(Variable { commitment }))
    }

    /// **alloc** → _expr_: a fresh low-level variable, free for the prover
    /// to choose (half a multiplier).
    pub(super) fn alloc(&mut self, assignment: Option<ScalarWitness>) -> Result<(), VMError> {
        self.reserve_multipliers(1, 0)?;
        if D::PROVER && assignment.is_none() {
            return Err(VMError::MissingWitness("alloc assignment"));
        }
        let var = self
            .delegate
            .cs()
            .allocate(assignment.map(ScalarWitness::to_scalar))?;
        self.push(Item::Expression(Expression::LinearCombination(
            vec![(var, Scalar::ONE)],
            assignment,
        )))
    }

    /// _var_ **expr** → _ex_: commits the variable's commitment as a new
    /// high-level variable and wraps it with weight 1.
    ///
    /// Fails if `var` is not a variable.
    pub(super) fn expr(&mut self) -> Result<(), VMError> {
        let var = self.pop()?.to_variable()?;
        let ex = self.variable_to_expression(var)?;
        self.push(Item::Expression(ex))
    }

    /// _ex1_ **neg** → _ex2_: `-ex1`.
    pub(super) fn neg(&mut self) -> Result<(), VMError> {
        let ex = self.pop()?.to_expression()?;
        self.charge_n(ex.len(), cost::TERM)?;
        self.push(Item::Expression(-ex))
    }

    /// _ex1 ex2_ **add** → _ex3_: `ex1 + ex2` (constants fold).
    ///
    /// Fails if the result has more than the expression-size limit.
    pub(super) fn add(&mut self) -> Result<(), VMError> {
        let ex2 = self.pop()?.to_expression()?;
        let ex1 = self.pop()?.to_expression()?;
        check_terms(ex1.len().saturating_add(ex2.len()))?;
        self.charge_n(ex1.len() + ex2.len(), cost::TERM)?;
        let sum = ex1 + ex2;
        self.push(Item::Expression(sum))
    }

    /// _ex1 ex2_ **mul** → _ex3_: `ex1 · ex2`; a multiplier unless one side
    /// is a constant.
    pub(super) fn mul(&mut self) -> Result<(), VMError> {
        let ex2 = self.pop()?.to_expression()?;
        let ex1 = self.pop()?.to_expression()?;
        self.reserve_multipliers(1, 0)?;
        self.charge_n(ex1.len() + ex2.len(), cost::TERM)?;
        let product = ex1.mul(ex2, self.delegate.cs());
        self.push(Item::Expression(product))
    }

    /// _ex1 ex2_ **eq** → _constraint_: `ex1 = ex2` (decided at once for
    /// constants).
    pub(super) fn eq(&mut self) -> Result<(), VMError> {
        let ex2 = self.pop()?.to_expression()?;
        let ex1 = self.pop()?.to_expression()?;
        self.push(Item::Constraint(Constraint::eq(ex1, ex2)))
    }

    /// _expr_ **range** → _expr_: adds a 64-bit range proof of `expr`.
    ///
    /// Fails for a constant outside `[0, 2^64)`.
    pub(super) fn range(&mut self) -> Result<(), VMError> {
        let ex = self.pop()?.to_expression()?;
        self.add_range_proof(&ex)?;
        self.push(Item::Expression(ex))
    }

    /// _c1 c2_ **and** → _c3_.
    pub(super) fn and(&mut self) -> Result<(), VMError> {
        let c2 = self.pop()?.to_constraint()?;
        let c1 = self.pop()?.to_constraint()?;
        let c = Constraint::and(c1, c2);
        self.check_constraint(&c)?;
        self.push(Item::Constraint(c))
    }

    /// _c1 c2_ **or** → _c3_.
    pub(super) fn or(&mut self) -> Result<(), VMError> {
        let c2 = self.pop()?.to_constraint()?;
        let c1 = self.pop()?.to_constraint()?;
        let c = Constraint::or(c1, c2);
        self.check_constraint(&c)?;
        self.push(Item::Constraint(c))
    }

    /// _c1_ **not** → _c2_.
    pub(super) fn not(&mut self) -> Result<(), VMError> {
        let c = !self.pop()?.to_constraint()?;
        self.check_constraint(&c)?;
        self.push(Item::Constraint(c))
    }

    /// _constraint_ **verify** → ø: adds the constraint to the proof (in
    /// the second phase; see `SecretConstraint::flatten`).
    ///
    /// Fails on a cleartext `false`.
    pub(super) fn verify(&mut self) -> Result<(), VMError> {
        let secret = match self.pop()?.to_constraint()? {
            Constraint::Cleartext(true) => return Ok(()),
            Constraint::Cleartext(false) => return Err(VMError::CleartextConstraintFalse),
            Constraint::Secret(s) => s,
        };
        self.charge_n(secret.size(), cost::TERM)?;
        self.reserve_multipliers(0, multipliers_of(&secret))?;
        self.delegate
            .cs()
            .specify_randomized_constraints(move |cs| {
                let (lc, _) = secret.flatten(cs)?;
                cs.constrain(lc);
                Ok(())
            })?;
        Ok(())
    }

    /// _V v_ **unblind** → _V_: defers the check `V = v·B` (blinding zero).
    ///
    /// Fails if `v` is not a canonical scalar or `V` not a 32-byte string.
    pub(super) fn unblind(&mut self) -> Result<(), VMError> {
        let v = self.pop()?.to_string()?.to_scalar()?.to_scalar();
        let commitment = self.pop()?.to_string()?.to_commitment()?;
        let point = commitment.to_point();
        self.defer(1, || {
            let big_v = point
                .decompress()
                .ok_or(VMError::InvalidPoint("unblind V"))?;
            let mut eq = VerificationEquation::new();
            eq.add_basepoint_term(-v);
            eq.add_term(Scalar::ONE, big_v);
            Ok(eq)
        })?;
        self.push(Item::String(Data::Commitment(Box::new(commitment))))
    }

    /// Commits a variable's commitment as a fresh constraint-system variable.
    pub(super) fn variable_to_expression(&mut self, var: Variable) -> Result<Expression, VMError> {
        let (_, v) = self.commit_variable(&var.commitment)?;
        Ok(Expression::LinearCombination(
            vec![(v, Scalar::ONE)],
            var.commitment.assignment(),
        ))
    }

    /// A 64-bit range proof of `ex` (a range check for a constant).
    pub(super) fn add_range_proof(&mut self, ex: &Expression) -> Result<(), VMError> {
        match ex {
            Expression::Constant(x) if x.in_u64_range() => Ok(()),
            Expression::Constant(_) => Err(VMError::ConstantOutOfRange),
            Expression::LinearCombination(..) => {
                self.reserve_multipliers(cloak::QUANTITY_BITS, 0)?;
                self.charge_n(ex.len(), cost::TERM)?;
                if D::PROVER && ex.eval().is_none() {
                    return Err(VMError::MissingWitness("range of an expression"));
                }
                cloak::range_proof(
                    self.delegate.cs(),
                    ex.to_lc(),
                    ex.eval().map(ScalarWitness::to_scalar),
                    cloak::QUANTITY_BITS,
                )?;
                Ok(())
            }
        }
    }
}

fn check_terms(n: usize) -> Result<(), VMError> {
    if n > limits::MAX_EXPRESSION_TERMS {
        return Err(VMError::LimitExceeded {
            what: "expression terms",
            value: n,
            limit: limits::MAX_EXPRESSION_TERMS,
        });
    }
    Ok(())
}

impl<D: Delegate> VM<'_, D> {
    /// Checks a new constraint's size, charging the walk that measures it.
    fn check_constraint(&mut self, c: &Constraint) -> Result<(), VMError> {
        match c {
            Constraint::Secret(s) => {
                let size = s.size();
                self.charge_n(size, cost::TERM)?;
                check_terms(size)
            }
            Constraint::Cleartext(_) => Ok(()),
        }
    }
}

/// Multipliers `flatten` will allocate: one per `or`, two per `not`.
fn multipliers_of(c: &SecretConstraint) -> usize {
    match c {
        SecretConstraint::Eq(..) => 0,
        SecretConstraint::And(a, b) => multipliers_of(a) + multipliers_of(b),
        SecretConstraint::Or(a, b) => 1 + multipliers_of(a) + multipliers_of(b),
        SecretConstraint::Not(a) => 2 + multipliers_of(a),
    }
}
