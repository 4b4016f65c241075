//! Criterion benchmarks of commit certificates and of replaying
//! validator-set changes (docs/spec/consensus.md §Commit certificate,
//! §Validator-set changes, Snapshots; issue 18's figures). Sets of n
//! validators of power 1; every certificate and approval list is a bare
//! quorum, `2n/3 + 1` signers, which the setup checks (it verifies, and
//! one signer fewer does not).
//!
//! - `check_seal`: [`CommitCertificate::check_seal`] of a certificate
//!   sealing a real block header (the empty block after a genesis naming
//!   the set) for n = 4, 16, 64, 256: decoding the bytes the block carries,
//!   the header's ID, signers, quorum and one batched check of the
//!   signatures. The encoded size is printed once per n to stderr;
//!   throughput is in signatures per second.
//! - `verify`: the decoded certificate's signatures checked as one batch
//!   ([`CommitCertificate::verify`], i.e. `signing::verify_many`) and one
//!   at a time ([`signing::verify_bytes`]), for the same n.
//! - `replay`: [`ValidatorSchedule::replay`] from the genesis's set of a
//!   chain of K changes, each approved by a bare quorum of the set in
//!   force and moving to n fresh keys two heights after its inclusion, as
//!   a bootstrapping node or a wallet starting at a past height replays
//!   them; n = 4 with K = 1, 16, 64, and n = 64 with K = 16. Throughput is
//!   in changes per second.
//!
//! Setup (keys, signing, encoding) stays outside the timed part.
#![allow(clippy::expect_used, clippy::print_stderr)]

use std::time::Duration;

use accumulator::Forest;
use blockchain::{BlockHeader, Genesis};
use consensus::signing::{self, precommit_sign_bytes, sign_bytes};
use consensus::{
    Address, ApprovedSetChange, ChainId, CommitCertificate, ConsensusError, SetChange, Validator,
    ValidatorKey, ValidatorSchedule, ValidatorSet, FIRST_HEIGHT,
};
use criterion::{criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;

/// Validator counts of the certificate benchmarks (256 is the most a set
/// holds).
const SET_SIZES: [usize; 4] = [4, 16, 64, 256];
/// (validators per set, changes replayed) of the replay benchmarks.
const REPLAYS: [(usize, usize); 4] = [(4, 1), (4, 16), (4, 64), (64, 16)];
/// The genesis's timestamp.
const T0: u64 = 1_700_000_000_000;

/// `n` distinct keys from consecutive scalars starting at `from`.
fn keys(n: usize, from: u64) -> Vec<SecretKey> {
    (0..n as u64)
        .map(|i| SecretKey::from_scalar(Scalar::from(from + i)))
        .collect()
}

fn address(key: &SecretKey) -> Address {
    ValidatorKey::new(key.verification_key())
        .expect("non-identity key")
        .address()
}

/// The set of `keys`, each with power 1.
fn set_of(keys: &[SecretKey]) -> ValidatorSet {
    ValidatorSet::new(
        keys.iter()
            .map(|k| {
                Validator::new(
                    ValidatorKey::new(k.verification_key()).expect("non-identity key"),
                    1,
                )
                .expect("valid power")
            })
            .collect(),
    )
    .expect("valid set")
}

/// The fewest validators of power 1 whose power is a quorum of `n`
/// (strictly more than two thirds).
fn bare_quorum(n: usize) -> usize {
    2 * n / 3 + 1
}

/// A block header sealed by a bare quorum of `n` validators, as a node or
/// a light wallet receives it.
struct Sealed {
    chain: ChainId,
    set: ValidatorSet,
    header: BlockHeader,
    /// The certificate's encoding, as the block carries it.
    bytes: Vec<u8>,
    certificate: CommitCertificate,
}

fn sealed(n: usize) -> Sealed {
    let keys = keys(n, 0x5eed_0000);
    let set = set_of(&keys);
    // A chain whose genesis names the set: its ID is what precommits sign,
    // and the header is the real next block (empty) of that chain.
    let block_key = SecretKey::from_scalar(Scalar::from(0xb10c_u64));
    let genesis = Genesis {
        timestamp_ms: T0,
        signers: block_key.verification_key(),
        utxos: Vec::new(),
        validators: set.genesis_entries(),
        assets: Vec::new(),
    };
    let state = genesis.state().expect("genesis state");
    let chain = ChainId::from_genesis(state.initial.id());
    let header = state
        .make_block(&Forest::new(), Vec::new(), T0 + 1000, &block_key)
        .expect("next block")
        .header;
    let id = header.id();
    let msg = precommit_sign_bytes(&chain, header.height, 0, &id);
    let signatures: Vec<_> = keys[..bare_quorum(n)]
        .iter()
        .map(|k| (address(k), sign_bytes(k, &msg)))
        .collect();
    let certificate = CommitCertificate::new(header.height, 0, id, signatures.clone());
    let bytes = certificate.to_bytes();
    CommitCertificate::check_seal(&header, Some(&bytes), &chain, &set).expect("sealed");
    let short = CommitCertificate::new(
        header.height,
        0,
        id,
        signatures[..signatures.len() - 1].to_vec(),
    );
    assert!(
        matches!(
            short.verify(&chain, &set),
            Err(ConsensusError::InsufficientPower { .. })
        ),
        "one signer fewer must not be a quorum"
    );
    Sealed {
        chain,
        set,
        header,
        bytes,
        certificate,
    }
}

/// Each signature checked on its own, as a verifier without batching would.
fn verify_one_by_one(s: &Sealed) {
    let c = &s.certificate;
    let msg = precommit_sign_bytes(&s.chain, c.height(), c.round(), &c.block_id());
    for (address, sig) in c.signatures() {
        let signer = s.set.get(address).expect("signer in the set");
        signing::verify_bytes(signer.key(), &msg, sig).expect("verifies");
    }
}

fn certificate_benches(c: &mut Criterion) {
    let all: Vec<(usize, Sealed)> = SET_SIZES.iter().map(|&n| (n, sealed(n))).collect();
    for (n, s) in &all {
        eprintln!(
            "commit certificate, {} of {n} validators: {} bytes",
            s.certificate.signatures().len(),
            s.bytes.len()
        );
    }

    let mut group = c.benchmark_group("check_seal");
    for (n, s) in &all {
        group.throughput(Throughput::Elements(s.certificate.signatures().len() as u64));
        group.bench_function(BenchmarkId::new("validators", n), |b| {
            b.iter(|| {
                CommitCertificate::check_seal(&s.header, Some(&s.bytes), &s.chain, &s.set)
                    .expect("sealed")
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("verify");
    for (n, s) in &all {
        group.throughput(Throughput::Elements(s.certificate.signatures().len() as u64));
        group.bench_function(BenchmarkId::new("batched", n), |b| {
            b.iter(|| s.certificate.verify(&s.chain, &s.set).expect("verifies"))
        });
        group.bench_function(BenchmarkId::new("one_by_one", n), |b| {
            b.iter(|| verify_one_by_one(s))
        });
    }
    group.finish();
}

/// A chain's genesis set and the `k` changes it applied, as a node serves
/// them to one bootstrapping from a snapshot.
struct Changes {
    chain: ChainId,
    genesis: ValidatorSet,
    changes: Vec<(u64, ApprovedSetChange)>,
}

/// `k` changes between sets of `n` fresh keys: change `i` is included at
/// height `FIRST_HEIGHT + 2i`, takes effect two heights later (the
/// earliest allowed, when the next one is included) and is approved by a
/// bare quorum of the set before it.
fn changes(n: usize, k: usize) -> Changes {
    let chain = ChainId([0x18; 32]);
    let key_sets: Vec<Vec<SecretKey>> = (0..=k)
        .map(|i| keys(n, 0xc4a9_0000 + (i * n) as u64))
        .collect();
    let sets: Vec<ValidatorSet> = key_sets.iter().map(|ks| set_of(ks)).collect();
    let changes: Vec<(u64, ApprovedSetChange)> = (0..k)
        .map(|i| {
            let height = FIRST_HEIGHT + 2 * i as u64;
            let change = SetChange::new(height + 2, sets[i + 1].clone());
            let approvals = key_sets[i][..bare_quorum(n)]
                .iter()
                .map(|key| change.approve(&chain, &sets[i], key))
                .collect();
            (height, ApprovedSetChange::new(change, approvals))
        })
        .collect();
    let schedule = ValidatorSchedule::replay(sets[0].clone(), &chain, changes.clone())
        .expect("the chain of changes replays");
    let last = changes.last().map_or(FIRST_HEIGHT, |(h, _)| h + 2);
    assert_eq!(schedule.set_at(last), &sets[k], "the last set is in force");
    Changes {
        chain,
        genesis: sets[0].clone(),
        changes,
    }
}

fn replay_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("replay");
    for (n, k) in REPLAYS {
        let list = changes(n, k);
        let bytes: usize = list.changes.iter().map(|(_, a)| a.to_bytes().len()).sum();
        eprintln!("{k} set changes of {n} validators: {bytes} bytes of approved changes");
        group.throughput(Throughput::Elements(k as u64));
        group.bench_function(BenchmarkId::new(format!("validators_{n}"), k), |b| {
            b.iter_batched(
                || (list.genesis.clone(), list.changes.clone()),
                |(genesis, changes)| {
                    ValidatorSchedule::replay(genesis, &list.chain, changes).expect("replays")
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

/// `criterion_group!` defines an undocumented `pub fn`, kept private here.
mod harness {
    use super::{certificate_benches, replay_benches, Criterion, Duration};
    use criterion::criterion_group;

    // Few samples, short measurements and no plots: the whole run stays
    // within about two minutes on two cores shared with builds.
    criterion_group! {
        name = benches;
        config = Criterion::default()
            .without_plots()
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        targets = certificate_benches, replay_benches
    }
}
criterion_main!(harness::benches);
