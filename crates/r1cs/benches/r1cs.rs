//! Criterion benchmarks of the R1CS prover and verifier.
//!
//! - `shuffle_prove` / `shuffle_verify`: a two-phase k-shuffle with
//!   `m = 2(k-1)` multipliers for m = 64, 256, 1024, 2048. Prove includes
//!   encoding; verify includes decoding, replaying the transcript, building
//!   the verification equation and checking it.
//! - `shuffle_verify_split`: the same verification in two parts, building
//!   the equation (decode + transcript + gadget) and checking it (one
//!   multiscalar multiplication).
//! - `batch_verify_shuffle256` and `batch_verify_range64`: n = 1, 10, 100,
//!   1000 distinct proofs (256-multiplier shuffles with 258 commitments each;
//!   64-bit range proofs with one commitment each), decoded, turned into
//!   equations and checked in one batch inside the timed part; throughput
//!   is in proofs per second. `proofs` runs on one core, `proofs_all_cores`
//!   builds the equations on every core before the single check.
//!
//! The generators are `BulletproofGens::shared()` with every table built
//! before timing; the time to derive them and build the tables is printed
//! once. Proof sizes are printed once per circuit size.
#![allow(clippy::print_stderr, clippy::expect_used)]

#[path = "../tests/gadgets/mod.rs"]
mod gadgets;

use std::sync::{Once, OnceLock};
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput};
use curve25519_dalek::ristretto::CompressedRistretto;
use gadgets::Statement;
use r1cs::{verify_batch, BatchVerifier, BulletproofGens, R1CSProof, VerificationEquation};

const LABEL: &[u8] = b"r1cs benchmark";
const SHUFFLE_SIZES: [usize; 4] = [64, 256, 1024, 2048];
const BATCH_SIZES: [usize; 4] = [1, 10, 100, 1000];
const BATCH_MULTIPLIERS: usize = 256;

/// The shared generators with all precomputed tables built (timed once).
fn gens() -> &'static BulletproofGens {
    static READY: OnceLock<&'static BulletproofGens> = OnceLock::new();
    READY.get_or_init(|| {
        let start = Instant::now();
        let gens = BulletproofGens::shared();
        let derived = start.elapsed();
        gens.precompute_all();
        let tables = start.elapsed() - derived;
        eprintln!(
            "generators (capacity {}): derive {:.1} ms, precompute tables {:.1} ms",
            gens.capacity(),
            derived.as_secs_f64() * 1e3,
            tables.as_secs_f64() * 1e3,
        );
        gens
    })
}

/// A shuffle statement with `m` multipliers; `seed` makes values and the
/// permutation differ between statements of the same size.
fn shuffle_statement(m: usize, seed: u64) -> Statement {
    let k = m / 2 + 1;
    let inputs: Vec<u64> = (0..k as u64)
        .map(|j| seed * 1_000_003 + 1000 + 7 * j)
        .collect();
    let mut outputs = inputs.clone();
    outputs.reverse();
    outputs.rotate_left(seed as usize % k);
    Statement::Shuffle { inputs, outputs }
}

/// A statement with its commitments and encoded proof.
struct Proven {
    statement: Statement,
    commitments: Vec<CompressedRistretto>,
    proof: Vec<u8>,
}

fn prove(statement: Statement) -> Proven {
    let (commitments, proof) = statement.prove(gens(), LABEL).expect("prove");
    Proven {
        statement,
        commitments,
        proof: proof.to_bytes(),
    }
}

impl Proven {
    /// Decoding, transcript replay and the gadget: everything but the check.
    fn equation(&self) -> VerificationEquation {
        let proof = R1CSProof::from_bytes(&self.proof).expect("decode");
        self.statement
            .verification_equation(gens(), LABEL, &self.commitments, &proof)
            .expect("equation")
    }
}

/// Ten flat samples for slow benchmarks (criterion's minimum), twenty
/// otherwise.
fn few_samples_if(group: &mut BenchmarkGroup<'_, WallTime>, slow: bool) {
    if slow {
        group.sample_size(10).sampling_mode(SamplingMode::Flat);
    } else {
        group.sample_size(20).sampling_mode(SamplingMode::Auto);
    }
}

fn shuffle_benches(c: &mut Criterion) {
    let gens = gens();
    let proven: Vec<(usize, Proven)> = SHUFFLE_SIZES
        .iter()
        .map(|&m| {
            let p = prove(shuffle_statement(m, 0));
            eprintln!(
                "shuffle with {m} multipliers (k = {}): proof {} bytes",
                m / 2 + 1,
                p.proof.len()
            );
            (m, p)
        })
        .collect();

    let mut group = c.benchmark_group("shuffle_prove");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    for (m, p) in &proven {
        group.measurement_time(Duration::from_secs(if *m >= 1024 { 8 } else { 4 }));
        group.bench_with_input(BenchmarkId::new("multipliers", m), p, |b, p| {
            b.iter(|| {
                let (commitments, proof) = p.statement.prove(gens, LABEL).expect("prove");
                (commitments, proof.to_bytes())
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("shuffle_verify");
    group.measurement_time(Duration::from_secs(3));
    for (m, p) in &proven {
        few_samples_if(&mut group, *m >= 1024);
        group.bench_with_input(BenchmarkId::new("multipliers", m), p, |b, p| {
            b.iter(|| p.equation().verify(gens).expect("verify"))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("shuffle_verify_split");
    group.measurement_time(Duration::from_secs(2));
    for (m, p) in &proven {
        few_samples_if(&mut group, *m >= 1024);
        group.bench_with_input(BenchmarkId::new("build_equation", m), p, |b, p| {
            b.iter(|| p.equation())
        });
        let eq = p.equation();
        group.bench_with_input(BenchmarkId::new("check_equation", m), &eq, |b, eq| {
            b.iter(|| eq.verify(gens).expect("verify"))
        });
    }
    group.finish();
}

/// Whether criterion runs real measurements (`cargo bench`) rather than a
/// one-iteration smoke test (`cargo test --benches`, `-- --test`, `--list`).
fn measuring() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test" || a == "--list")
}

/// The circuits batch verification is measured on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BatchKind {
    /// 256-multiplier shuffles: 258 commitments each, so most of a proof's
    /// verification work is per-proof points that batching cannot share.
    Shuffle256,
    /// 64-bit range proofs: 64 multipliers and one commitment each (the
    /// size of a 1×1 payment), dominated by the fixed generators.
    Range64,
}

impl BatchKind {
    fn name(self) -> &'static str {
        match self {
            BatchKind::Shuffle256 => "batch_verify_shuffle256",
            BatchKind::Range64 => "batch_verify_range64",
        }
    }

    /// Distinct statement number `i`.
    fn statement(self, i: usize) -> Statement {
        match self {
            BatchKind::Shuffle256 => shuffle_statement(BATCH_MULTIPLIERS, i as u64 + 1),
            BatchKind::Range64 => Statement::Range {
                value: (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15),
                bits: 64,
            },
        }
    }

    /// 1000 distinct proofs (10, cycled, in smoke-test mode), proved once
    /// per process on all cores.
    fn proofs(self) -> &'static [Proven] {
        static SHUFFLES: OnceLock<Vec<Proven>> = OnceLock::new();
        static RANGES: OnceLock<Vec<Proven>> = OnceLock::new();
        let cell = match self {
            BatchKind::Shuffle256 => &SHUFFLES,
            BatchKind::Range64 => &RANGES,
        };
        cell.get_or_init(|| self.prove_all())
    }

    fn prove_all(self) -> Vec<Proven> {
        let max = BATCH_SIZES[BATCH_SIZES.len() - 1];
        let count = if measuring() { max } else { 10 };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let start = Instant::now();
        let distinct: Vec<Proven> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    s.spawn(move || {
                        (t..count)
                            .step_by(threads)
                            .map(|i| (i, prove(self.statement(i))))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            let mut all: Vec<(usize, Proven)> = handles
                .into_iter()
                .flat_map(|h| h.join().expect("prover thread"))
                .collect();
            all.sort_by_key(|(i, _)| *i);
            all.into_iter().map(|(_, p)| p).collect()
        });
        eprintln!(
            "{}: proved {count} distinct proofs in {:.1} s on {threads} threads",
            self.name(),
            start.elapsed().as_secs_f64()
        );
        // Cycle the distinct proofs up to the largest batch.
        (0..max)
            .map(|i| {
                let p = &distinct[i % distinct.len()];
                Proven {
                    statement: p.statement.clone(),
                    commitments: p.commitments.clone(),
                    proof: p.proof.clone(),
                }
            })
            .collect()
    }
}

/// What a single-threaded verifier of a block does: decode each proof,
/// build its equation, fold it into the batch, check once.
fn batch_verify(gens: &'static BulletproofGens, proofs: &[Proven]) {
    let mut rng = rand::thread_rng();
    let mut batch = BatchVerifier::new(gens);
    for p in proofs {
        batch.append(&p.equation(), &mut rng);
    }
    batch.verify().expect("batch verifies");
}

/// The same with the equations built on all cores (the final
/// multiscalar multiplication stays on one core).
fn batch_verify_parallel(gens: &'static BulletproofGens, proofs: &[Proven]) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = proofs.len().div_ceil(threads).max(1);
    let eqs: Vec<VerificationEquation> = std::thread::scope(|s| {
        let handles: Vec<_> = proofs
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(Proven::equation).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("verifier thread"))
            .collect()
    });
    verify_batch(gens, &eqs, &mut rand::thread_rng()).expect("batch verifies");
}

/// Prints how the largest batch's time splits between building the
/// equations and the weighted merge plus check (once per kind: criterion
/// calls a benchmark's closure once per sample).
fn print_batch_split(kind: BatchKind, gens: &'static BulletproofGens, proofs: &[Proven]) {
    static SHUFFLES: Once = Once::new();
    static RANGES: Once = Once::new();
    let once = match kind {
        BatchKind::Shuffle256 => &SHUFFLES,
        BatchKind::Range64 => &RANGES,
    };
    once.call_once(|| {
        let start = Instant::now();
        let eqs: Vec<_> = proofs.iter().map(Proven::equation).collect();
        let built = start.elapsed();
        verify_batch(gens, &eqs, &mut rand::thread_rng()).expect("batch verifies");
        let checked = start.elapsed() - built;
        eprintln!(
            "{} of {} on one core: build equations {:.1} ms, weighted merge + check {:.1} ms",
            kind.name(),
            proofs.len(),
            built.as_secs_f64() * 1e3,
            checked.as_secs_f64() * 1e3
        );
    });
}

fn batch_benches(c: &mut Criterion) {
    let gens = gens();
    for kind in [BatchKind::Shuffle256, BatchKind::Range64] {
        let mut group = c.benchmark_group(kind.name());
        for n in BATCH_SIZES {
            group.throughput(Throughput::Elements(n as u64));
            // About 3 s per benchmark, 30 s for 1000 shuffles (2.6 s each).
            let slow = n >= 1000 && kind == BatchKind::Shuffle256;
            group.measurement_time(Duration::from_secs(if slow { 30 } else { 3 }));
            few_samples_if(
                &mut group,
                n >= 100 || (n >= 10 && kind == BatchKind::Shuffle256),
            );
            group.bench_function(BenchmarkId::new("proofs", n), |b| {
                let proofs = &kind.proofs()[..n];
                b.iter(|| batch_verify(gens, proofs))
            });
            if n >= 100 {
                group.bench_function(BenchmarkId::new("proofs_all_cores", n), |b| {
                    let proofs = &kind.proofs()[..n];
                    if n == BATCH_SIZES[BATCH_SIZES.len() - 1] {
                        print_batch_split(kind, gens, proofs);
                    }
                    b.iter(|| batch_verify_parallel(gens, proofs))
                });
            }
        }
        group.finish();
    }
}

/// `criterion_group!` defines an undocumented `pub fn`, kept private here.
mod harness {
    use super::{batch_benches, shuffle_benches, Criterion, Duration};
    use criterion::criterion_group;

    criterion_group! {
        name = benches;
        config = Criterion::default().warm_up_time(Duration::from_secs(1));
        targets = shuffle_benches, batch_benches
    }
}
criterion_main!(harness::benches);
