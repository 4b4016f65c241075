//! Criterion benchmarks of payments (m inputs, n outputs, one flavor,
//! key-locked inputs signed with `signtx`), the shapes of DESIGN.md's
//! reference table:
//! - `payment_prove`: build, run, prove, sign and encode;
//! - `payment_verify`: decode and verify fully (VM run, then one
//!   multiscalar multiplication for proof, signature and deferred checks);
//! - `payment_precompute`: decode, the VM run and building the
//!   verification equation — everything but the multiscalar multiplication
//!   (what a node pays before it knows a transaction is not a double spend).
//!
//! - `batch_verify_1x2`: `verify_batch` of n = 1, 10, 100, 1000 payments
//!   1×2 (decode excluded; VM runs in parallel, then one multiscalar check);
//!   throughput in transactions per second. The 1000 are 100 distinct
//!   transactions, each ten times (proving 1000 would dominate the run).
//!
//! Run on one core with `RAYON_NUM_THREADS=1 cargo bench -p zkvm`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr
)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use zkvm::{
    Anchor, Commitment, Contract, Data, PortableItem, Predicate, Program, Prover, TxHeader, Value,
    Verifier,
};

const SHAPES: [(usize, usize); 6] = [(1, 1), (1, 2), (2, 2), (4, 4), (8, 8), (16, 16)];

fn blind(rng: &mut StdRng) -> Scalar {
    Scalar::from(rng.gen::<u64>())
}

/// A payment program spending `m` UTXOs of 1000 each into `n` outputs.
fn payment(m: usize, n: usize, rng: &mut StdRng) -> Program {
    let flavor = Scalar::from(840u64);
    let total = 1000 * m as u64;
    let mut p = Program::new();
    for _ in 0..m {
        let key = SecretKey::random(rng);
        let utxo = Contract {
            anchor: Anchor::from_bytes(rng.gen()),
            predicate: Predicate::key(key),
            payload: vec![PortableItem::Value(Value {
                qty: Commitment::blinded_with_factor(1000u64, blind(rng)),
                flv: Commitment::blinded_with_factor(flavor, blind(rng)),
            })],
        };
        p.push(Data::Output(Box::new(utxo))).input().signtx();
    }
    for j in 0..n as u64 {
        let q = if j + 1 == n as u64 {
            total - (n as u64 - 1) * (total / n as u64)
        } else {
            total / n as u64
        };
        p.push(Commitment::blinded_with_factor(q, blind(rng)))
            .push(Commitment::blinded_with_factor(flavor, blind(rng)));
    }
    p.cloak(m, n);
    for _ in 0..n {
        p.push(Predicate::key(SecretKey::random(rng))).output(1);
    }
    p
}

fn header() -> TxHeader {
    TxHeader {
        version: 1,
        mintime_ms: 0,
        maxtime_ms: u64::MAX,
    }
}

fn bench(c: &mut Criterion) {
    let gens = r1cs::BulletproofGens::shared();
    gens.precompute_all();
    let mut rng = StdRng::seed_from_u64(1);

    let mut group = c.benchmark_group("payment_prove");
    for (m, n) in SHAPES {
        let program = payment(m, n, &mut rng);
        let tx = Prover::build_tx(header(), program.clone())
            .unwrap()
            .sign()
            .unwrap();
        eprintln!("payment {m}x{n}: {} bytes", tx.to_bytes().len());
        group.bench_function(BenchmarkId::from_parameter(format!("{m}x{n}")), |b| {
            b.iter(|| {
                Prover::build_tx(header(), program.clone())
                    .unwrap()
                    .sign()
                    .unwrap()
                    .to_bytes()
            })
        });
    }
    group.finish();

    let txs: Vec<_> = SHAPES
        .iter()
        .map(|&(m, n)| {
            let tx = Prover::build_tx(header(), payment(m, n, &mut rng)).unwrap();
            ((m, n), tx.sign().unwrap().to_bytes())
        })
        .collect();
    let mut group = c.benchmark_group("payment_verify");
    for ((m, n), bytes) in &txs {
        group.bench_function(BenchmarkId::from_parameter(format!("{m}x{n}")), |b| {
            b.iter(|| Verifier::verify_bytes(bytes).unwrap())
        });
    }
    group.finish();

    let distinct: Vec<_> = (0..100)
        .map(|_| {
            Prover::build_tx(header(), payment(1, 2, &mut rng))
                .unwrap()
                .sign()
                .unwrap()
        })
        .collect();
    let mut group = c.benchmark_group("batch_verify_1x2");
    for n in [1usize, 10, 100, 1000] {
        let batch: Vec<_> = distinct.iter().cycle().take(n).cloned().collect();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| zkvm::verify_batch(&batch).unwrap())
        });
    }
    group.finish();

    let mut group = c.benchmark_group("payment_precompute");
    for ((m, n), bytes) in &txs {
        group.bench_function(BenchmarkId::from_parameter(format!("{m}x{n}")), |b| {
            b.iter(|| Verifier::precompute_bytes(bytes).unwrap())
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
