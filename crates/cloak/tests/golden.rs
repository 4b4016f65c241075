#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Golden test of the cloak constraint system's shape. A recording
//! constraint system logs every multiplier, constraint and challenge the
//! verifier-side gadget adds, in order; the log's counts are checked against
//! closed formulas and its digest is pinned, so any change to the order,
//! the signs or the labels (all of which the reference's proofs depend on)
//! fails here first.

use std::collections::BTreeMap;

use cloak::{cloak, cloak_multipliers, AllocatedValue};
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use r1cs::{
    ConstraintSystem, LinearCombination, R1CSError, RandomizableConstraintSystem,
    RandomizedConstraintSystem, Variable,
};
use sha3::{Digest, Sha3_256};

type Callback = Box<dyn FnOnce(&mut Recorder) -> Result<(), R1CSError>>;

/// Records the constraint system as text lines; challenges are fixed
/// scalars (2, 3, 4, ...) so the record is deterministic.
struct Recorder {
    transcript: Transcript,
    multipliers: usize,
    committed: usize,
    constraints: usize,
    challenges: Vec<&'static [u8]>,
    log: Vec<String>,
    deferred: Vec<Callback>,
}

impl Recorder {
    fn new() -> Self {
        Recorder {
            transcript: Transcript::new(b"golden"),
            multipliers: 0,
            committed: 0,
            constraints: 0,
            challenges: Vec::new(),
            log: Vec::new(),
            deferred: Vec::new(),
        }
    }

    fn commit(&mut self) -> Variable {
        self.committed += 1;
        Variable::Committed(self.committed - 1)
    }

    /// Runs the second phase; returns the number of first-phase multipliers.
    fn finish(&mut self) -> usize {
        let first = self.multipliers;
        self.log.push("phase 2".into());
        for callback in std::mem::take(&mut self.deferred) {
            callback(self).unwrap();
        }
        first
    }

    fn digest(&self) -> String {
        let mut h = Sha3_256::new();
        for line in &self.log {
            h.update(line.as_bytes());
            h.update(b"\n");
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A linear combination with like terms merged, in a canonical order.
fn canonical(lc: &LinearCombination) -> String {
    let mut terms: BTreeMap<String, Scalar> = BTreeMap::new();
    for (var, coeff) in lc.terms() {
        let name = match var {
            Variable::Committed(i) => format!("V{i:04}"),
            Variable::MultiplierLeft(i) => format!("L{i:04}"),
            Variable::MultiplierRight(i) => format!("R{i:04}"),
            Variable::MultiplierOutput(i) => format!("O{i:04}"),
            Variable::One => "1".into(),
        };
        *terms.entry(name).or_insert(Scalar::ZERO) += coeff;
    }
    terms
        .into_iter()
        .filter(|(_, c)| *c != Scalar::ZERO)
        .map(|(name, c)| {
            let hex: String = c.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
            format!("{hex}*{name}")
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

impl ConstraintSystem for Recorder {
    fn transcript(&mut self) -> &mut Transcript {
        &mut self.transcript
    }

    fn multiply(
        &mut self,
        left: LinearCombination,
        right: LinearCombination,
    ) -> (Variable, Variable, Variable) {
        let i = self.multipliers;
        self.multipliers += 1;
        let (l, r, o) = (
            Variable::MultiplierLeft(i),
            Variable::MultiplierRight(i),
            Variable::MultiplierOutput(i),
        );
        self.log.push(format!("multiply {i}"));
        self.constrain(left - l);
        self.constrain(right - r);
        (l, r, o)
    }

    fn allocate(&mut self, _: Option<Scalar>) -> Result<Variable, R1CSError> {
        panic!("cloak allocates whole multipliers only")
    }

    fn allocate_multiplier(
        &mut self,
        _: Option<(Scalar, Scalar)>,
    ) -> Result<(Variable, Variable, Variable), R1CSError> {
        let i = self.multipliers;
        self.multipliers += 1;
        self.log.push(format!("allocate {i}"));
        Ok((
            Variable::MultiplierLeft(i),
            Variable::MultiplierRight(i),
            Variable::MultiplierOutput(i),
        ))
    }

    fn multipliers_len(&self) -> usize {
        self.multipliers
    }

    fn constrain(&mut self, lc: LinearCombination) {
        self.constraints += 1;
        self.log.push(format!("constrain {}", canonical(&lc)));
    }
}

impl RandomizableConstraintSystem for Recorder {
    type RandomizedCS = Recorder;

    fn specify_randomized_constraints<F>(&mut self, callback: F) -> Result<(), R1CSError>
    where
        F: 'static + FnOnce(&mut Recorder) -> Result<(), R1CSError>,
    {
        self.deferred.push(Box::new(callback));
        Ok(())
    }
}

impl RandomizedConstraintSystem for Recorder {
    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar {
        self.challenges.push(label);
        self.log
            .push(format!("challenge {}", String::from_utf8_lossy(label)));
        Scalar::from(self.challenges.len() as u64 + 1)
    }
}

struct Shape {
    first_phase: usize,
    multipliers: usize,
    constraints: usize,
    challenges: Vec<&'static [u8]>,
    digest: String,
}

fn record(m: usize, n: usize) -> Shape {
    let mut cs = Recorder::new();
    let committed = |cs: &mut Recorder| AllocatedValue {
        q: cs.commit(),
        f: cs.commit(),
        assignment: None,
    };
    let inputs: Vec<_> = (0..m).map(|_| committed(&mut cs)).collect();
    let outputs: Vec<_> = (0..n).map(|_| committed(&mut cs)).collect();
    cloak(&mut cs, &inputs, &outputs).unwrap();
    let first_phase = cs.finish();
    Shape {
        first_phase,
        multipliers: cs.multipliers,
        constraints: cs.constraints,
        challenges: cs.challenges.clone(),
        digest: cs.digest(),
    }
}

/// Counts by the spacesuit spec's formulas, gadget by gadget.
fn expected_counts(m: usize, n: usize) -> (usize, usize, Vec<&'static [u8]>) {
    let k = m.max(n);
    let mix_first = |k: usize| if k < 2 { 0 } else { 3 * k - 2 };
    let first = mix_first(m) + mix_first(n) + m.abs_diff(n) + 64 * n;
    let mix_constraints = |k: usize| 3 * k.saturating_sub(1);
    let shuffle_constraints = |k: usize| if k < 2 { 2 } else { 6 * k - 3 };
    let constraints = mix_constraints(m)
        + mix_constraints(n)
        + 2 * m.abs_diff(n)
        + shuffle_constraints(m)
        + shuffle_constraints(k)
        + shuffle_constraints(n)
        + 129 * n;
    let mut labels: Vec<&'static [u8]> = Vec::new();
    labels.extend(std::iter::repeat_n(&b"mix challenge"[..], m - 1));
    labels.extend(std::iter::repeat_n(&b"mix challenge"[..], n - 1));
    for s in [m, k, n] {
        if s >= 2 {
            labels.push(b"k-value shuffle challenge");
            labels.push(b"shuffle challenge");
        }
    }
    (first, constraints, labels)
}

#[test]
fn counts_match_the_spec_for_every_shape_up_to_16() {
    for m in 1..=16 {
        for n in 1..=16 {
            let shape = record(m, n);
            let (first, constraints, labels) = expected_counts(m, n);
            assert_eq!(shape.multipliers, cloak_multipliers(m, n), "{m}x{n}");
            assert_eq!(shape.first_phase, first, "{m}x{n}");
            assert_eq!(shape.constraints, constraints, "{m}x{n}");
            assert_eq!(shape.challenges, labels, "{m}x{n}");
        }
    }
    for k in 2..=16 {
        assert_eq!(record(k, k).multipliers, 81 * k - 12);
    }
    assert_eq!(record(1, 1).multipliers, 64);
}

#[test]
fn constraint_system_digests_are_pinned() {
    let pinned = [
        (
            (1, 1),
            "ab645c2cb64b0bd65d03b6a582bc3efa3fea1709d448b57d8b2b0dba26d6d70e",
        ),
        (
            (1, 2),
            "f309eda6ae3d0ab10e889e08c2f1a6ded09cd78e5c1d7ca103dbcbdcfcf1fb24",
        ),
        (
            (2, 1),
            "640c280313a83c745b2f3fcefc4014514e5dbdae107dd81749a04fc265dc9e9d",
        ),
        (
            (2, 2),
            "1d58f4ea9a1acff1cd23541ff641ffcf70b2ed63771ddea737857466c550308a",
        ),
        (
            (3, 5),
            "f3232db8efe223dfb0657efe7ed230d8748f9ade07ed483f153cf3718b6adf2d",
        ),
        (
            (16, 16),
            "6c47d02a322b4b2b9d49c0a4e11eabe7dad3fe5bbeae332e993d6485ed1d6e16",
        ),
    ];
    let mut report = String::new();
    for ((m, n), digest) in pinned {
        let got = record(m, n).digest;
        if got != digest {
            report.push_str(&format!("(({m}, {n}), \"{got}\"),\n"));
        }
    }
    assert!(report.is_empty(), "digests changed:\n{report}");
}

#[test]
#[ignore = "prints the record of a small cloak for review"]
fn print_record_2x3() {
    let mut cs = Recorder::new();
    let committed = |cs: &mut Recorder| AllocatedValue {
        q: cs.commit(),
        f: cs.commit(),
        assignment: None,
    };
    let inputs: Vec<_> = (0..2).map(|_| committed(&mut cs)).collect();
    let outputs: Vec<_> = (0..3).map(|_| committed(&mut cs)).collect();
    cloak(&mut cs, &inputs, &outputs).unwrap();
    cs.finish();
    for line in cs.log.iter().filter(|l| {
        !l.contains("0100000000000000000000000000000000000000000000000000000000000000*O")
    }) {
        println!("{line}");
    }
}
