//! Criterion benchmarks of signature verification (docs/spec/musig.md
//! §Measurements).
//!
//! - `verify_single`: one signature checked on its own (transcript, challenge,
//!   decompressing `R`, the check), as [`Signature::verify`] does.
//! - `batch_verify`: n = 1, 64, 1024 distinct signatures by distinct keys:
//!   each one's transcript and equation built, all folded into r1cs's
//!   `BatchVerifier` and checked in one multiscalar multiplication, inside
//!   the timed part; throughput is in signatures per second. For n = 64 the
//!   same signatures are also checked one at a time (`one_at_a_time`).
//! - `multimessage_verify`: a `signtx` signature by 2 and 16 keys, each over
//!   its own 32-byte contract ID.
#![allow(clippy::expect_used, clippy::print_stderr)]

use std::sync::OnceLock;
use std::time::Duration;

use criterion::{criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use musig::{SecretKey, Signature, VerificationKey};
use r1cs::{BatchVerifier, BulletproofGens};

const BATCH_SIZES: [usize; 3] = [1, 64, 1024];
const MULTIMESSAGE_KEYS: [usize; 2] = [2, 16];

/// Generators for signature equations (only `B` is used), with the
/// precomputed table built before timing.
fn gens() -> &'static BulletproofGens {
    static GENS: OnceLock<BulletproofGens> = OnceLock::new();
    GENS.get_or_init(|| {
        let gens = BulletproofGens::new(1);
        gens.precompute_all();
        gens
    })
}

fn transcript(msg: &[u8]) -> Transcript {
    let mut t = Transcript::new(b"musig benchmark");
    t.append_message(b"msg", msg);
    t
}

/// A message, its signer's key and the signature, as a verifier gets them.
struct Signed {
    msg: [u8; 8],
    key: VerificationKey,
    sig: Signature,
}

impl Signed {
    fn transcript(&self) -> Transcript {
        transcript(&self.msg)
    }
}

/// The largest batch's worth of distinct signatures by distinct keys.
fn signed() -> &'static [Signed] {
    static SIGNED: OnceLock<Vec<Signed>> = OnceLock::new();
    SIGNED.get_or_init(|| {
        let max = BATCH_SIZES[BATCH_SIZES.len() - 1];
        (0..max as u64)
            .map(|i| {
                let key = SecretKey::from_scalar(Scalar::from(0x5eed_0000 + i));
                let msg = i.to_le_bytes();
                Signed {
                    msg,
                    key: key.verification_key(),
                    sig: Signature::sign(&mut transcript(&msg), &key),
                }
            })
            .collect()
    })
}

fn single_benches(c: &mut Criterion) {
    let one = &signed()[0];
    let mut group = c.benchmark_group("verify_single");
    group.bench_function("signature", |b| {
        b.iter(|| {
            one.sig
                .verify(&mut one.transcript(), &one.key)
                .expect("verifies")
        })
    });
    group.finish();
}

/// What a verifier of a block's signatures does: build each equation, fold
/// it into the batch, check once.
fn batch_verify(signed: &[Signed]) {
    let mut rng = rand::thread_rng();
    let mut batch = BatchVerifier::new(gens());
    for s in signed {
        let eq = s
            .sig
            .verification_equation(&mut s.transcript(), &s.key)
            .expect("equation");
        batch.append(&eq, &mut rng);
    }
    batch.verify().expect("batch verifies");
}

fn batch_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("batch_verify");
    for n in BATCH_SIZES {
        let signed = &signed()[..n];
        group.throughput(Throughput::Elements(n as u64));
        if n >= 1024 {
            group.sample_size(20).sampling_mode(SamplingMode::Flat);
        } else {
            group.sample_size(100).sampling_mode(SamplingMode::Auto);
        }
        group.bench_function(BenchmarkId::new("signatures", n), |b| {
            b.iter(|| batch_verify(signed))
        });
        if n == 64 {
            group.bench_function(BenchmarkId::new("one_at_a_time", n), |b| {
                b.iter(|| {
                    for s in signed {
                        s.sig.verify(&mut s.transcript(), &s.key).expect("verifies");
                    }
                })
            });
        }
    }
    group.finish();
}

fn signtx_transcript() -> Transcript {
    let mut t = Transcript::new(b"ZkVM.signtx");
    t.append_message(b"txid", &[7u8; 32]);
    t
}

fn multimessage_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("multimessage_verify");
    for n in MULTIMESSAGE_KEYS {
        let pairs: Vec<(SecretKey, [u8; 32])> = (0..n as u64)
            .map(|i| {
                (
                    SecretKey::from_scalar(Scalar::from(0xc0de_0000 + i)),
                    [i as u8; 32],
                )
            })
            .collect();
        let sig = Signature::sign_multimessage(&mut signtx_transcript(), &pairs).expect("sign");
        let public: Vec<(VerificationKey, [u8; 32])> = pairs
            .iter()
            .map(|(k, m)| (k.verification_key(), *m))
            .collect();
        group.bench_function(BenchmarkId::new("keys", n), |b| {
            b.iter(|| {
                sig.verify_multimessage(&mut signtx_transcript(), &public)
                    .expect("verifies")
            })
        });
    }
    group.finish();
}

/// `criterion_group!` defines an undocumented `pub fn`, kept private here.
mod harness {
    use super::{batch_benches, multimessage_benches, single_benches, Criterion, Duration};
    use criterion::criterion_group;

    criterion_group! {
        name = benches;
        config = Criterion::default().warm_up_time(Duration::from_secs(1));
        targets = single_benches, batch_benches, multimessage_benches
    }
}
criterion_main!(harness::benches);
