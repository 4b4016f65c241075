//! Criterion benchmarks of the accumulator (docs/spec/utreexo.md
//! §Measurements).
//!
//! - `stump` and `forest`: 10,000 additions to an empty accumulator
//!   (`add_10000`), then 5,000 deletions of randomly chosen leaves of those
//!   10,000, with their batch proof (`delete_5000`). For the
//!   [`Accumulator`] the deletion includes verifying the proof, also timed
//!   alone (`verify_5000`); for the
//!   [`Forest`], which needs no proof, `prove_5000` times making it (which
//!   includes checking it against the forest's roots).
//! - `verify_one`: one leaf's proof checked against an accumulator of
//!   1,000,000 leaves (19 hashes: the leaf is in the tree of 2^19 leaves).
//! - `snapshot`: encoding and decoding the roots of 1,000,000 leaves; the
//!   snapshot's and the proof's sizes are printed.
#![allow(clippy::expect_used, clippy::print_stderr)]

use std::sync::OnceLock;
use std::time::Duration;

use accumulator::{Accumulator, Forest, Pollard, Proof, ZkvmHash};
use criterion::{criterion_main, BatchSize, Criterion};

const ADDS: usize = 10_000;
const DELETES: usize = 5_000;
const BIG: u64 = 1_000_000;

fn leaf(n: u64) -> ZkvmHash {
    let mut id = [0u8; 32];
    id[..8].copy_from_slice(&n.to_le_bytes());
    ZkvmHash::leaf(&id)
}

/// 10,000 leaves, and 5,000 of them chosen at random (a fixed shuffle).
fn leaves() -> &'static (Vec<ZkvmHash>, Vec<ZkvmHash>) {
    static LEAVES: OnceLock<(Vec<ZkvmHash>, Vec<ZkvmHash>)> = OnceLock::new();
    LEAVES.get_or_init(|| {
        let all: Vec<ZkvmHash> = (0..ADDS as u64).map(leaf).collect();
        let mut order: Vec<usize> = (0..ADDS).collect();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for i in (1..ADDS).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            order.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let spent = order[..DELETES].iter().map(|&i| all[i]).collect();
        (all, spent)
    })
}

fn forest_of(leaves: &[ZkvmHash]) -> Forest {
    let mut forest = Forest::new();
    forest.modify(leaves, &[]).expect("adds");
    forest
}

fn stump_benches(c: &mut Criterion) {
    let (all, spent) = leaves();
    let forest = forest_of(all);
    let proof = forest.prove(spent).expect("proves");
    let full = forest.accumulator();

    let mut group = c.benchmark_group("stump");
    group.sample_size(20);
    group.bench_function("add_10000", |b| {
        b.iter(|| {
            let mut state = Accumulator::new();
            state.add(all).expect("adds");
            state
        })
    });
    group.bench_function("verify_5000", |b| {
        b.iter(|| full.verify(&proof, spent).expect("verifies"))
    });
    group.bench_function("delete_5000", |b| {
        b.iter_batched(
            || full.clone(),
            |mut state| {
                state.modify(&[], spent, &proof).expect("deletes");
                state
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn forest_benches(c: &mut Criterion) {
    let (all, spent) = leaves();
    let mut group = c.benchmark_group("forest");
    group.sample_size(10);
    group.bench_function("add_10000", |b| b.iter(|| forest_of(all)));
    group.bench_function("delete_5000", |b| {
        b.iter_batched(
            || forest_of(all),
            |mut forest| {
                forest.modify(&[], spent).expect("deletes");
                forest
            },
            BatchSize::PerIteration,
        )
    });
    let forest = forest_of(all);
    group.bench_function("prove_5000", |b| {
        b.iter(|| forest.prove(spent).expect("proves"))
    });
    group.finish();
}

/// An accumulator of 1,000,000 leaves and a proof of leaf 123,456, kept
/// by a wallet that remembered it when it was added.
fn big() -> &'static (Accumulator, Proof) {
    static BIG_STATE: OnceLock<(Accumulator, Proof)> = OnceLock::new();
    BIG_STATE.get_or_init(|| {
        let mine = leaf(123_456);
        let mut wallet = Pollard::default();
        for start in (0..BIG).step_by(100_000) {
            let block: Vec<ZkvmHash> = (start..start + 100_000).map(leaf).collect();
            let remember: &[ZkvmHash] = if block.contains(&mine) { &[mine] } else { &[] };
            wallet
                .modify(&block, remember, &[], &Proof::empty())
                .expect("adds");
        }
        let proof = wallet.prove(&[mine]).expect("proves");
        (wallet.accumulator().clone(), proof)
    })
}

fn verify_benches(c: &mut Criterion) {
    let (state, proof) = big();
    let mine = [leaf(123_456)];
    c.bench_function("verify_one", |b| {
        b.iter(|| state.verify(proof, &mine).expect("verifies"))
    });
}

fn snapshot_benches(c: &mut Criterion) {
    let (state, proof) = big();
    let bytes = state.to_bytes();
    eprintln!(
        "snapshot of {} leaves: {} roots, {} bytes; proof of one leaf: {} hashes, {} bytes",
        state.num_leaves(),
        state.roots().len(),
        bytes.len(),
        proof.hashes().len(),
        proof.to_bytes().len()
    );
    assert!(bytes.len() < 4096, "the snapshot must stay under 4 KB");
    let mut group = c.benchmark_group("snapshot");
    group.bench_function("encode", |b| b.iter(|| state.to_bytes()));
    group.bench_function("decode", |b| {
        b.iter(|| Accumulator::from_bytes(&bytes).expect("decodes"))
    });
    group.finish();
}

/// `criterion_group!` defines an undocumented `pub fn`, kept private here.
mod harness {
    use super::{
        forest_benches, snapshot_benches, stump_benches, verify_benches, Criterion, Duration,
    };
    use criterion::criterion_group;

    criterion_group! {
        name = benches;
        config = Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4));
        targets = stump_benches, forest_benches, verify_benches, snapshot_benches
    }
}
criterion_main!(harness::benches);
