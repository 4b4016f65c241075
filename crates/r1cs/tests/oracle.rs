//! Cross-check against an independent implementation of the same protocol:
//! `bulletproofs` 4.0.0 with `yoloproofs` (dev-dependency only, built on
//! curve25519-dalek-ng). Values cross between the two through bytes.
//! Its proofs must verify under our verifier and ours under its verifier,
//! for one-phase and two-phase circuits; proofs it makes for false
//! statements (it does not check witnesses) must fail under ours.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod gadgets;

use bulletproofs_oracle::r1cs::{
    ConstraintSystem as OCs, LinearCombination as OLc, Prover as OProver, R1CSError as OError,
    R1CSProof as OProof, RandomizableConstraintSystem as ORcs, RandomizedConstraintSystem as ORdcs,
    Variable as OVar, Verifier as OVerifier,
};
use bulletproofs_oracle::{BulletproofGens as OGens, PedersenGens as OPedersen};
use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek_ng::ristretto::CompressedRistretto as OPoint;
use curve25519_dalek_ng::scalar::Scalar as OScalar;
use gadgets::Statement;
use merlin::Transcript;
use r1cs::{BulletproofGens, R1CSError, R1CSProof};

const LABEL: &[u8] = b"oracle cross-check";

// ---- The oracle's twins of the gadgets: same constraints, same order. ----

fn o_shuffle<CS: ORcs>(cs: &mut CS, x: Vec<OVar>, y: Vec<OVar>) -> Result<(), OError> {
    let k = x.len();
    if k == 1 {
        cs.constrain(y[0] - x[0]);
        return Ok(());
    }
    cs.specify_randomized_constraints(move |cs| {
        let z = cs.challenge_scalar(b"shuffle challenge");
        let product = |cs: &mut CS::RandomizedCS, v: &[OVar]| {
            let (_, _, last) = cs.multiply(v[k - 1] - z, v[k - 2] - z);
            (0..k - 2).rev().fold(last, |acc, i| {
                let (_, _, o) = cs.multiply(acc.into(), v[i] - z);
                o
            })
        };
        let px = product(cs, &x);
        let py = product(cs, &y);
        cs.constrain(px - py);
        Ok(())
    })
}

fn o_range<CS: OCs>(cs: &mut CS, v: OLc, value: Option<u64>, bits: usize) -> Result<(), OError> {
    let mut sum = v;
    let mut exp_2 = OScalar::one();
    for i in 0..bits {
        let bit = value.map(|q| (q >> i) & 1);
        let (a, b, o) =
            cs.allocate_multiplier(bit.map(|q| (OScalar::from(1 - q), OScalar::from(q))))?;
        cs.constrain(o.into());
        cs.constrain(a + (b - 1u64));
        sum = sum - b * exp_2;
        exp_2 = exp_2 + exp_2;
    }
    cs.constrain(sum);
    Ok(())
}

fn o_product<CS: OCs>(cs: &mut CS, x: &[OVar], p: OVar) {
    let acc = x[1..].iter().fold(OLc::from(x[0]), |acc, xi| {
        let (_, _, o) = cs.multiply(acc, (*xi).into());
        o.into()
    });
    cs.constrain(acc - p);
}

fn o_gadget<CS: ORcs>(st: &Statement, cs: &mut CS, vars: Vec<OVar>, witness: bool) {
    match st {
        Statement::Shuffle { inputs, .. } => {
            let k = inputs.len();
            o_shuffle(cs, vars[..k].to_vec(), vars[k..].to_vec()).unwrap()
        }
        Statement::Range { value, bits } => {
            o_range(cs, vars[0].into(), witness.then_some(*value), *bits).unwrap()
        }
        Statement::Product { factors, .. } => {
            o_product(cs, &vars[..factors.len()], vars[factors.len()])
        }
    }
}

fn o_scalar(s: &curve25519_dalek::scalar::Scalar) -> OScalar {
    OScalar::from_canonical_bytes(s.to_bytes()).unwrap()
}

/// Proves `st` with the oracle; returns commitments and proof bytes.
fn oracle_prove(st: &Statement, label: &'static [u8], gens: &OGens) -> (Vec<[u8; 32]>, Vec<u8>) {
    let pc = OPedersen::default();
    let mut t = Transcript::new(label);
    let mut prover = OProver::new(&pc, &mut t);
    let (commitments, vars): (Vec<_>, Vec<_>) = st
        .values()
        .into_iter()
        .zip(st.blindings())
        .map(|(v, b)| prover.commit(OScalar::from(v), o_scalar(&b)))
        .unzip();
    o_gadget(st, &mut prover, vars, true);
    let proof = prover.prove(gens).unwrap();
    (
        commitments.iter().map(|c| c.to_bytes()).collect(),
        proof.to_bytes(),
    )
}

/// Verifies proof bytes of `st` with the oracle.
fn oracle_verify(
    st: &Statement,
    label: &'static [u8],
    gens: &OGens,
    commitments: &[[u8; 32]],
    proof: &[u8],
) -> Result<(), OError> {
    let proof = OProof::from_bytes(proof)?;
    let mut t = Transcript::new(label);
    let mut verifier = OVerifier::new(&mut t);
    let vars = commitments
        .iter()
        .map(|c| verifier.commit(OPoint(*c)))
        .collect();
    o_gadget(st, &mut verifier, vars, false);
    verifier.verify(&proof, &OPedersen::default(), gens)
}

fn ours(commitments: &[[u8; 32]]) -> Vec<CompressedRistretto> {
    commitments
        .iter()
        .map(|c| CompressedRistretto(*c))
        .collect()
}

fn shapes() -> Vec<Statement> {
    vec![
        // Two-phase circuits of several sizes (and the 0-multiplier case).
        Statement::shuffle(1),
        Statement::shuffle(2),
        Statement::shuffle(3),
        Statement::shuffle(8),
        Statement::shuffle(65),
        // One-phase circuits, padded and exact powers of two.
        Statement::Range { value: 0, bits: 1 },
        Statement::Range {
            value: 200,
            bits: 8,
        },
        Statement::Range {
            value: u64::MAX - 3,
            bits: 64,
        },
        Statement::Product {
            factors: vec![2, 3, 5, 7, 11],
            product: 2310,
        },
    ]
}

#[test]
fn commitments_are_identical() {
    let gens = BulletproofGens::new(256);
    let ogens = OGens::new(256, 1);
    for st in shapes() {
        let (ours_c, _) = st.prove(&gens, LABEL).unwrap();
        let (theirs_c, _) = oracle_prove(&st, LABEL, &ogens);
        assert_eq!(ours(&theirs_c), ours_c, "{st:?}");
    }
}

#[test]
fn oracle_proofs_verify_under_our_verifier() {
    let gens = BulletproofGens::new(256);
    let ogens = OGens::new(256, 1);
    for st in shapes() {
        let (c, proof_bytes) = oracle_prove(&st, LABEL, &ogens);
        let proof = R1CSProof::from_bytes(&proof_bytes).unwrap();
        // Our encoder reproduces its bytes exactly.
        assert_eq!(proof.to_bytes(), proof_bytes, "{st:?}");
        assert_eq!(st.verify(&gens, LABEL, &ours(&c), &proof), Ok(()), "{st:?}");
        // Sanity: the oracle accepts its own proof.
        assert!(oracle_verify(&st, LABEL, &ogens, &c, &proof_bytes).is_ok());
    }
}

#[test]
fn our_proofs_verify_under_the_oracle() {
    let gens = BulletproofGens::new(256);
    let ogens = OGens::new(256, 1);
    for st in shapes() {
        let (c, proof) = st.prove(&gens, LABEL).unwrap();
        let c: Vec<[u8; 32]> = c.iter().map(|p| p.to_bytes()).collect();
        let bytes = proof.to_bytes();
        assert!(
            oracle_verify(&st, LABEL, &ogens, &c, &bytes).is_ok(),
            "oracle rejected our proof of {st:?}"
        );
        // And the oracle rejects it under another transcript.
        assert!(oracle_verify(&st, b"other", &ogens, &c, &bytes).is_err());
    }
}

#[test]
fn oracle_proofs_of_false_statements_fail_under_ours() {
    let gens = BulletproofGens::new(256);
    let ogens = OGens::new(256, 1);
    let false_statements = [
        Statement::Shuffle {
            inputs: vec![1, 2, 3],
            outputs: vec![3, 2, 2],
        },
        Statement::Shuffle {
            inputs: vec![10, 20],
            outputs: vec![10, 21],
        },
        Statement::Range {
            value: 256,
            bits: 8,
        },
        Statement::Range { value: 3, bits: 1 },
        Statement::Product {
            factors: vec![3, 5],
            product: 16,
        },
        Statement::Shuffle {
            inputs: vec![4],
            outputs: vec![5],
        },
    ];
    for st in false_statements {
        let (c, proof_bytes) = oracle_prove(&st, LABEL, &ogens);
        let proof = R1CSProof::from_bytes(&proof_bytes).unwrap();
        assert_eq!(
            st.verify(&gens, LABEL, &ours(&c), &proof),
            Err(R1CSError::VerificationFailed),
            "{st:?}"
        );
        assert!(oracle_verify(&st, LABEL, &ogens, &c, &proof_bytes).is_err());
        // Our prover refuses the same witness outright.
        assert!(matches!(
            st.prove(&gens, LABEL),
            Err(R1CSError::UnsatisfiedConstraint { .. })
        ));
    }
}
