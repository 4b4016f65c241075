//! Gadgets used by the tests, benchmarks and the demo. Each adds its
//! constraints in the same order as its twin in `oracle.rs` so that proofs
//! are interchangeable with the independent implementation.
#![allow(dead_code)]

use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use r1cs::{
    BulletproofGens, ConstraintSystem, LinearCombination, Prover, R1CSError, R1CSProof,
    RandomizableConstraintSystem, RandomizedConstraintSystem, Variable, Verifier,
};

/// Two-phase k-shuffle: proves `y` is a permutation of `x` by checking
/// `Π (x_i - z) = Π (y_i - z)` for a challenge `z` drawn after `x`, `y` are
/// committed. Uses `2(k-1)` multipliers.
pub fn shuffle<CS: RandomizableConstraintSystem>(
    cs: &mut CS,
    x: Vec<Variable>,
    y: Vec<Variable>,
) -> Result<(), R1CSError> {
    let k = x.len();
    if k != y.len() {
        return Err(R1CSError::Gadget("shuffle sides differ in length".into()));
    }
    if k == 1 {
        cs.constrain(y[0] - x[0]);
        return Ok(());
    }
    cs.specify_randomized_constraints(move |cs| {
        let z = cs.challenge_scalar(b"shuffle challenge");
        let product = |cs: &mut CS::RandomizedCS, v: &[Variable]| {
            let (_, _, last) = cs.multiply(v[k - 1] - z, v[k - 2] - z);
            (0..k - 2).rev().fold(last, |acc, i| {
                let (_, _, o) = cs.multiply(acc.into(), v[i] - z);
                o
            })
        };
        let px = product(cs, &x);
        let py = product(cs, &y);
        cs.constrain(px - py);
        Ok(())
    })
}

/// One-phase range proof: `v` is in `[0, 2^bits)`. Uses `bits` multipliers.
pub fn range<CS: ConstraintSystem>(
    cs: &mut CS,
    v: LinearCombination,
    value: Option<u64>,
    bits: usize,
) -> Result<(), R1CSError> {
    let mut sum = v;
    let mut exp_2 = Scalar::ONE;
    for i in 0..bits {
        let bit = value.map(|q| (q >> i) & 1);
        let (a, b, o) =
            cs.allocate_multiplier(bit.map(|q| (Scalar::from(1 - q), Scalar::from(q))))?;
        // a·b = 0 and a = 1 - b: b is a bit.
        cs.constrain(o.into());
        cs.constrain(a + (b - 1u64));
        sum = sum - b * exp_2;
        exp_2 = exp_2 + exp_2;
    }
    cs.constrain(sum);
    Ok(())
}

/// One-phase multiplication chain: `Π x_i = p`. Uses `k - 1` multipliers.
pub fn product<CS: ConstraintSystem>(
    cs: &mut CS,
    x: &[Variable],
    p: Variable,
) -> Result<(), R1CSError> {
    let (first, rest) = x
        .split_first()
        .ok_or_else(|| R1CSError::Gadget("empty product".into()))?;
    let acc = rest
        .iter()
        .fold(LinearCombination::from(*first), |acc, xi| {
            let (_, _, o) = cs.multiply(acc, (*xi).into());
            o.into()
        });
    cs.constrain(acc - p);
    Ok(())
}

/// A statement of one of the shapes above with its witness.
#[derive(Clone, Debug)]
pub enum Statement {
    /// `outputs` is a permutation of `inputs`.
    Shuffle { inputs: Vec<u64>, outputs: Vec<u64> },
    /// `value` fits in `bits` bits.
    Range { value: u64, bits: usize },
    /// The product of `factors` is `product`.
    Product { factors: Vec<u64>, product: u64 },
}

impl Statement {
    /// Secret values committed, in order.
    pub fn values(&self) -> Vec<u64> {
        match self {
            Statement::Shuffle { inputs, outputs } => {
                inputs.iter().chain(outputs).copied().collect()
            }
            Statement::Range { value, .. } => vec![*value],
            Statement::Product { factors, product } => {
                factors.iter().copied().chain([*product]).collect()
            }
        }
    }

    /// Multipliers the statement's circuit allocates.
    pub fn multipliers(&self) -> usize {
        match self {
            Statement::Shuffle { inputs, .. } => 2 * (inputs.len().max(1) - 1),
            Statement::Range { bits, .. } => *bits,
            Statement::Product { factors, .. } => factors.len() - 1,
        }
    }

    /// A shuffle of `k` values: the outputs are the inputs reversed.
    pub fn shuffle(k: usize) -> Statement {
        let inputs: Vec<u64> = (0..k as u64).map(|i| 1000 + 7 * i).collect();
        let outputs = inputs.iter().rev().copied().collect();
        Statement::Shuffle { inputs, outputs }
    }

    fn gadget<CS: RandomizableConstraintSystem>(
        &self,
        cs: &mut CS,
        vars: Vec<Variable>,
        witness: bool,
    ) -> Result<(), R1CSError> {
        match self {
            Statement::Shuffle { inputs, .. } => {
                let k = inputs.len();
                shuffle(cs, vars[..k].to_vec(), vars[k..].to_vec())
            }
            Statement::Range { value, bits } => {
                range(cs, vars[0].into(), witness.then_some(*value), *bits)
            }
            Statement::Product { factors, .. } => {
                product(cs, &vars[..factors.len()], vars[factors.len()])
            }
        }
    }

    /// Blinding factors used for the commitments (deterministic for tests).
    pub fn blindings(&self) -> Vec<Scalar> {
        (0..self.values().len() as u64)
            .map(|i| Scalar::from(0x5eed_0000 + i))
            .collect()
    }

    /// Commits the values and proves the statement under `label`.
    pub fn prove(
        &self,
        gens: &BulletproofGens,
        label: &'static [u8],
    ) -> Result<(Vec<CompressedRistretto>, R1CSProof), R1CSError> {
        let mut t = Transcript::new(label);
        let mut prover = Prover::new(gens, &mut t);
        let (commitments, vars): (Vec<_>, Vec<_>) = self
            .values()
            .into_iter()
            .zip(self.blindings())
            .map(|(v, b)| prover.commit(Scalar::from(v), b))
            .unzip();
        self.gadget(&mut prover, vars, true)?;
        Ok((commitments, prover.prove()?))
    }

    /// Builds the verifier's side for `commitments` and returns its equation.
    pub fn verification_equation(
        &self,
        gens: &BulletproofGens,
        label: &'static [u8],
        commitments: &[CompressedRistretto],
        proof: &R1CSProof,
    ) -> Result<r1cs::VerificationEquation, R1CSError> {
        let mut t = Transcript::new(label);
        let mut verifier = Verifier::new(&mut t);
        let vars = commitments.iter().map(|c| verifier.commit(*c)).collect();
        self.gadget(&mut verifier, vars, false)?;
        verifier.verification_equation(proof, gens)
    }

    /// Verifies `proof` of this statement for `commitments`.
    pub fn verify(
        &self,
        gens: &BulletproofGens,
        label: &'static [u8],
        commitments: &[CompressedRistretto],
        proof: &R1CSProof,
    ) -> Result<(), R1CSError> {
        self.verification_equation(gens, label, commitments, proof)?
            .verify(gens)
    }
}
