//! A tour of the R1CS proof system: prove a shuffle of secret values and a
//! 64-bit range proof, verify them alone and in a batch, then show what the
//! verifier says about a tampered proof.
//!
//! Run with `cargo run --release -p r1cs --example demo`.
#![allow(clippy::print_stdout)]

#[path = "../tests/gadgets/mod.rs"]
mod gadgets;

use std::error::Error;
use std::time::{Duration, Instant};

use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use r1cs::{
    find_failures, verify_batch, BulletproofGens, Prover, R1CSError, R1CSProof,
    RandomizableConstraintSystem, Variable, VerificationEquation, Verifier,
};
use rand::seq::SliceRandom;
use rand::Rng;

const LABEL: &[u8] = b"r1cs demo";

/// What a proof claims about its committed values.
#[derive(Clone, Copy)]
enum Claim {
    /// The second half of the values is a permutation of the first half.
    Shuffle,
    /// The single value is in `[0, 2^64)`.
    Range64,
}

impl Claim {
    /// Adds the claim's constraints; the prover passes the range value.
    fn constrain<CS: RandomizableConstraintSystem>(
        self,
        cs: &mut CS,
        vars: Vec<Variable>,
        range_value: Option<u64>,
    ) -> Result<(), R1CSError> {
        match self {
            Claim::Shuffle => {
                let k = vars.len() / 2;
                gadgets::shuffle(cs, vars[..k].to_vec(), vars[k..].to_vec())
            }
            Claim::Range64 => gadgets::range(cs, vars[0].into(), range_value, 64),
        }
    }
}

/// A claim with the public commitments and the encoded proof.
struct Proven {
    claim: Claim,
    commitments: Vec<CompressedRistretto>,
    proof: Vec<u8>,
}

/// Commits `values` with fresh random blindings and proves `claim` about them.
fn prove(gens: &BulletproofGens, claim: Claim, values: &[u64]) -> Result<Proven, R1CSError> {
    let mut rng = rand::thread_rng();
    let mut transcript = Transcript::new(LABEL);
    let mut prover = Prover::new(gens, &mut transcript);
    let (commitments, vars): (Vec<_>, Vec<_>) = values
        .iter()
        .map(|&v| prover.commit(Scalar::from(v), Scalar::random(&mut rng)))
        .unzip();
    claim.constrain(&mut prover, vars, values.first().copied())?;
    let proof = prover.prove()?.to_bytes();
    Ok(Proven {
        claim,
        commitments,
        proof,
    })
}

/// The verifier's side: decodes the proof, replays the transcript and
/// returns the equation to check (alone or in a batch).
fn equation(gens: &BulletproofGens, p: &Proven) -> Result<VerificationEquation, R1CSError> {
    let proof = R1CSProof::from_bytes(&p.proof)?;
    let mut transcript = Transcript::new(LABEL);
    let mut verifier = Verifier::new(&mut transcript);
    let vars = p.commitments.iter().map(|c| verifier.commit(*c)).collect();
    p.claim.constrain(&mut verifier, vars, None)?;
    verifier.verification_equation(&proof, gens)
}

fn verify(gens: &BulletproofGens, p: &Proven) -> Result<(), R1CSError> {
    equation(gens, p)?.verify(gens)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Mean time of `runs` calls of `f`.
fn mean_time<T>(
    runs: u32,
    mut f: impl FnMut() -> Result<T, R1CSError>,
) -> Result<Duration, R1CSError> {
    let start = Instant::now();
    for _ in 0..runs {
        f()?;
    }
    Ok(start.elapsed() / runs)
}

fn random_shuffle(rng: &mut impl Rng, k: usize) -> Vec<u64> {
    let inputs: Vec<u64> = (0..k).map(|_| rng.gen()).collect();
    let mut outputs = inputs.clone();
    outputs.shuffle(rng);
    inputs.into_iter().chain(outputs).collect()
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut rng = rand::thread_rng();

    let start = Instant::now();
    let gens = BulletproofGens::new(64);
    gens.precompute_all();
    println!(
        "setup: generators for up to {} multipliers + verifier tables: {}",
        gens.capacity(),
        ms(start.elapsed())
    );

    // 1. A shuffle of 8 secret values: the verifier learns only commitments.
    let values = random_shuffle(&mut rng, 8);
    let start = Instant::now();
    let shuffle = prove(&gens, Claim::Shuffle, &values)?;
    let prove_time = start.elapsed();
    let verify_time = mean_time(20, || verify(&gens, &shuffle))?;
    println!(
        "shuffle of 8 secret values (14 multipliers, 2 phases): proof {} bytes, prove {}, verify {} (mean of 20)",
        shuffle.proof.len(),
        ms(prove_time),
        ms(verify_time)
    );

    // 2. A 64-bit range proof of a secret value.
    let start = Instant::now();
    let range = prove(&gens, Claim::Range64, &[rng.gen()])?;
    let prove_time = start.elapsed();
    let verify_time = mean_time(20, || verify(&gens, &range))?;
    println!(
        "64-bit range proof (64 multipliers, 1 phase): proof {} bytes, prove {}, verify {} (mean of 20)",
        range.proof.len(),
        ms(prove_time),
        ms(verify_time)
    );

    // 3. A batch of 32 distinct proofs checked in one multiscalar multiplication.
    let mut batch = Vec::with_capacity(32);
    for i in 0..32 {
        batch.push(if i % 2 == 0 {
            prove(&gens, Claim::Shuffle, &random_shuffle(&mut rng, 8))?
        } else {
            prove(&gens, Claim::Range64, &[rng.gen()])?
        });
    }
    let one_by_one = mean_time(5, || batch.iter().try_for_each(|p| verify(&gens, p)))?;
    let batched = mean_time(5, || {
        let eqs = batch
            .iter()
            .map(|p| equation(&gens, p))
            .collect::<Result<Vec<_>, _>>()?;
        verify_batch(&gens, &eqs, &mut rand::thread_rng())
    })?;
    println!(
        "32 proofs (16 shuffles, 16 range proofs): one by one {} per proof, batched {} per proof ({:.1}x faster)",
        ms(one_by_one / 32),
        ms(batched / 32),
        one_by_one.as_secs_f64() / batched.as_secs_f64()
    );

    // 4. Tampering: flip one bit of the range proof's final scalar `b`.
    let mut tampered = Proven {
        claim: range.claim,
        commitments: range.commitments.clone(),
        proof: range.proof.clone(),
    };
    let at = tampered.proof.len() - 32;
    tampered.proof[at] ^= 1;
    match verify(&gens, &tampered) {
        Ok(()) => println!("tampered proof: unexpectedly accepted"),
        Err(e) => println!("tampered proof (bit 0 of byte {at} flipped): rejected, {e} [{e:?}]"),
    }
    let mut bad_flag = range.proof.clone();
    bad_flag[0] = 0x07;
    match R1CSProof::from_bytes(&bad_flag) {
        Ok(_) => println!("proof with phase flag 0x07: unexpectedly decoded"),
        Err(e) => println!("proof with phase flag 0x07: rejected at decoding, {e} [{e:?}]"),
    }

    // In a batch, one bad proof fails the batch; checking each equation
    // alone then names it.
    batch[5] = tampered;
    let eqs = batch
        .iter()
        .map(|p| equation(&gens, p))
        .collect::<Result<Vec<_>, _>>()?;
    let result = verify_batch(&gens, &eqs, &mut rng);
    println!(
        "batch of 32 with the tampered proof at index 5: {:?}; failing proofs: {:?}",
        result,
        find_failures(&gens, &eqs)
    );
    Ok(())
}
