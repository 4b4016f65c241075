//! The slowest transactions per kilobyte that the hostile program families
//! of `zkvm::adversarial` can build (docs/spec/zkvm.md §Execution budget):
//! the DESIGN.md target "verification work bounded by size" as a figure.
//!
//! First a scan (plain timing, printed): every family at growing scales,
//! full verification (`Verifier::verify_bytes`: decode, VM run until the
//! budget or the end, then the equation's multiscalar check if the run
//! finished), median of 5, in microseconds per kilobyte of transaction,
//! and the slowest of all beside an honest 1×2 payment. Then criterion
//! measures each family at its slowest scale.
//!
//! Run on one core with `RAYON_NUM_THREADS=1 cargo bench -p zkvm --bench hostile`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr
)]

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use zkvm::adversarial::Family;
use zkvm::Verifier;

fn scales(family: Family) -> Vec<usize> {
    if family.is_exponential() {
        vec![2, 4, 6, 8, 10, 14, 20, 30, 40]
    } else {
        vec![1, 4, 8, 16, 24, 32, 48, 64, 256, 1024, 4096, 16384]
    }
}

/// Median time of `verify_bytes(bytes)` over 5 runs.
fn median(bytes: &[u8]) -> Duration {
    let mut times: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            let _ = Verifier::verify_bytes(bytes);
            start.elapsed()
        })
        .collect();
    times.sort();
    times[2]
}

fn micros_per_kb(t: Duration, size: usize) -> f64 {
    t.as_secs_f64() * 1e6 / (size as f64 / 1024.0)
}

/// The scale of each family with the most verification time per byte.
fn scan() -> Vec<(Family, usize, Vec<u8>)> {
    let mut slowest = Vec::new();
    let mut overall: Option<(f64, String)> = None;
    for family in Family::ALL {
        let mut best: Option<(f64, usize, Vec<u8>)> = None;
        for n in scales(family) {
            let bytes = family.transaction(n).unwrap().to_bytes();
            let per_kb = micros_per_kb(median(&bytes), bytes.len());
            eprintln!(
                "hostile scan: {family:?}({n}) {} bytes: {per_kb:.0} us/KB",
                bytes.len()
            );
            if best.as_ref().is_none_or(|b| per_kb > b.0) {
                best = Some((per_kb, n, bytes));
            }
        }
        let (per_kb, n, bytes) = best.unwrap();
        if overall.as_ref().is_none_or(|o| per_kb > o.0) {
            overall = Some((per_kb, format!("{family:?}({n}), {} bytes", bytes.len())));
        }
        slowest.push((family, n, bytes));
    }
    let (per_kb, which) = overall.unwrap();
    eprintln!("hostile scan: slowest per KB: {per_kb:.0} us/KB by {which}");
    slowest
}

fn hostile(c: &mut Criterion) {
    let slowest = scan();
    let mut group = c.benchmark_group("hostile_verify");
    group.sample_size(10);
    for (family, n, bytes) in slowest {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(
            BenchmarkId::new(format!("{family:?}"), format!("{n}_{}B", bytes.len())),
            &bytes,
            |b, bytes| b.iter(|| Verifier::verify_bytes(bytes)),
        );
    }
    group.finish();
}

criterion_group!(benches, hostile);
criterion_main!(benches);
