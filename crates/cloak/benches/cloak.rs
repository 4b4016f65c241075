//! Criterion benchmarks of the cloak gadget: prove and verify an `m × n`
//! transfer for 1x1, 1x2, 2x2, 4x4, 8x8 and 16x16, two flavors where the
//! shape allows. Prove covers committing, building the constraint system and
//! proving; verify covers decoding the proof, building the constraint system
//! and checking the proof. Proof sizes and multiplier counts are printed once.
//!
//! Run on one core with `RAYON_NUM_THREADS=1 cargo bench -p cloak`.
#![allow(
    clippy::print_stderr,
    clippy::expect_used,
    clippy::unwrap_used,
    missing_docs
)]

use cloak::{cloak, cloak_multipliers, CommittedValue, Value};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use r1cs::{BulletproofGens, Prover, R1CSProof, Verifier};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const LABEL: &[u8] = b"cloak benchmark";
const SHAPES: [(usize, usize); 6] = [(1, 1), (1, 2), (2, 2), (4, 4), (8, 8), (16, 16)];

fn gens() -> &'static BulletproofGens {
    let gens = BulletproofGens::shared();
    gens.precompute_all();
    gens
}

/// `m` inputs and `n` outputs over up to two flavors, balanced per flavor.
fn transfer(m: usize, n: usize) -> (Vec<Value>, Vec<Value>) {
    let flavors = if m >= 2 && n >= 2 { 2 } else { 1 };
    let flavor = |i: usize| Scalar::from(77 + (i % flavors) as u64);
    let inputs: Vec<Value> = (0..m)
        .map(|i| Value::new(1000 * (i as u64 + 1), flavor(i)))
        .collect();
    let mut outputs = Vec::new();
    for f in 0..flavors {
        let total: u64 = (0..m)
            .filter(|i| i % flavors == f)
            .map(|i| 1000 * (i as u64 + 1))
            .sum();
        let count = (0..n).filter(|j| j % flavors == f).count() as u64;
        for j in 0..count {
            let q = if j + 1 == count {
                total - (count - 1) * (total / count)
            } else {
                total / count
            };
            outputs.push(Value::new(q, flavor(f)));
        }
    }
    (inputs, outputs)
}

fn prove(
    inputs: &[Value],
    outputs: &[Value],
    rng: &mut StdRng,
) -> (Vec<CommittedValue>, Vec<CommittedValue>, R1CSProof) {
    let mut t = Transcript::new(LABEL);
    let mut prover = Prover::new(gens(), &mut t);
    let mut commit = |v: &Value| {
        v.commit(
            &mut prover,
            Scalar::from(rng.gen::<u64>()),
            Scalar::from(rng.gen::<u64>()),
        )
    };
    let (ci, vi): (Vec<_>, Vec<_>) = inputs.iter().map(&mut commit).unzip();
    let (co, vo): (Vec<_>, Vec<_>) = outputs.iter().map(&mut commit).unzip();
    cloak(&mut prover, &vi, &vo).expect("balanced transfer");
    (ci, co, prover.prove().expect("valid witness"))
}

fn verify(inputs: &[CommittedValue], outputs: &[CommittedValue], proof: &[u8]) {
    let proof = R1CSProof::from_bytes(proof).expect("well-formed proof");
    let mut t = Transcript::new(LABEL);
    let mut verifier = Verifier::new(&mut t);
    let vi: Vec<_> = inputs.iter().map(|c| c.commit(&mut verifier)).collect();
    let vo: Vec<_> = outputs.iter().map(|c| c.commit(&mut verifier)).collect();
    cloak(&mut verifier, &vi, &vo).expect("shape");
    verifier.verify(&proof, gens()).expect("valid proof");
}

fn bench(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(1);
    let mut group = c.benchmark_group("cloak_prove");
    for (m, n) in SHAPES {
        let (inputs, outputs) = transfer(m, n);
        let (_, _, proof) = prove(&inputs, &outputs, &mut rng);
        eprintln!(
            "cloak {m}x{n}: {} multipliers (padded {}), proof {} bytes",
            cloak_multipliers(m, n),
            cloak_multipliers(m, n).next_power_of_two(),
            proof.to_bytes().len()
        );
        group.bench_function(BenchmarkId::from_parameter(format!("{m}x{n}")), |b| {
            b.iter(|| prove(&inputs, &outputs, &mut rng))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("cloak_verify");
    for (m, n) in SHAPES {
        let (inputs, outputs) = transfer(m, n);
        let (ci, co, proof) = prove(&inputs, &outputs, &mut rng);
        let bytes = proof.to_bytes();
        group.bench_function(BenchmarkId::from_parameter(format!("{m}x{n}")), |b| {
            b.iter(|| verify(&ci, &co, &bytes))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
