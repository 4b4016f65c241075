//! Criterion benchmarks of block validation: blocks of n = 1, 10, 100, 1000
//! payments (1 input, 2 outputs, each spending a genesis output).
//! - `apply_block`: `ChainState::apply_block` (header and roots checks,
//!   parallel VM runs, Utreexo proof, one batched check of all proofs and
//!   signatures);
//! - `verify_one_by_one`: the same transactions verified each on its own
//!   (`Verifier::precompute` then `verify`), what validation costs without
//!   batching.
//!
//! Throughput is in transactions per second. Run on one core with
//! `RAYON_NUM_THREADS=1 cargo bench -p blockchain`, and without it for all
//! cores. Setup proves 1000 payments (about 25 s per core).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use accumulator::Forest;
use blockchain::{utxo_leaf, Block, ChainState};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use zkvm::{
    Anchor, Commitment, Contract, Data, PortableItem, Predicate, Program, Prover, Tx, TxHeader,
    Value, Verifier,
};

const SIZES: [usize; 4] = [1, 10, 100, 1000];

fn value(qty: u64, rng: &mut StdRng) -> Value {
    Value {
        qty: Commitment::blinded_with_factor(qty, Scalar::random(rng)),
        flv: Commitment::blinded_with_factor(Scalar::from(840u64), Scalar::random(rng)),
    }
}

/// A payment of `input` (1000) into 700 and 300.
fn payment(input: &Contract, to: &Predicate, rng: &mut StdRng) -> Program {
    let mut p = Program::new();
    p.push(Data::Output(Box::new(input.clone())))
        .input()
        .signtx();
    for q in [700u64, 300] {
        let v = value(q, rng);
        p.push(v.qty).push(v.flv);
    }
    p.cloak(1, 2);
    p.push(to.clone()).output(1).push(to.clone()).output(1);
    p
}

struct Setup {
    state: ChainState,
    blocks: Vec<(usize, Block)>,
}

fn setup() -> Setup {
    let mut rng = StdRng::seed_from_u64(9);
    let owner = SecretKey::random(&mut rng);
    let block_key = SecretKey::random(&mut rng);
    let to = Predicate::opaque(
        *SecretKey::random(&mut rng)
            .verification_key()
            .as_compressed(),
    );
    let max = SIZES[SIZES.len() - 1];
    let genesis: Vec<Contract> = (0..max)
        .map(|_| Contract {
            anchor: Anchor::from_bytes(rng.gen()),
            predicate: Predicate::key(owner.clone()),
            payload: vec![PortableItem::Value(value(1000, &mut rng))],
        })
        .collect();
    let ids: Vec<_> = genesis.iter().map(Contract::id).collect();
    let state = ChainState::start(1, block_key.verification_key(), &ids).unwrap();
    let mut forest = Forest::new();
    forest
        .modify(&ids.iter().map(utxo_leaf).collect::<Vec<_>>(), &[])
        .unwrap();
    let programs: Vec<Program> = genesis.iter().map(|c| payment(c, &to, &mut rng)).collect();
    let header = TxHeader {
        version: 1,
        mintime_ms: 0,
        maxtime_ms: u64::MAX,
    };
    let txs: Vec<Tx> = programs
        .into_par_iter()
        .map(|p| Prover::build_tx(header, p).unwrap().sign().unwrap())
        .collect();
    let blocks = SIZES
        .iter()
        .map(|&n| {
            let block = state
                .make_block(&forest, txs[..n].to_vec(), 2, &block_key)
                .unwrap();
            (n, block)
        })
        .collect();
    Setup { state, blocks }
}

fn bench(c: &mut Criterion) {
    r1cs::BulletproofGens::shared().precompute_all();
    let s = setup();
    let mut group = c.benchmark_group("apply_block");
    for (n, block) in &s.blocks {
        group.throughput(Throughput::Elements(*n as u64));
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| s.state.apply_block(block).unwrap())
        });
    }
    group.finish();
    let mut group = c.benchmark_group("verify_one_by_one");
    for (n, block) in &s.blocks {
        group.throughput(Throughput::Elements(*n as u64));
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                for tx in &block.txs {
                    Verifier::precompute(tx).unwrap().verify().unwrap();
                }
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
