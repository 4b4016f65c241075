//! Property tests of the strict proof encoding (`R1CSProof::from_bytes` /
//! `to_bytes`): the decoder never panics, accepts exactly the encodings the
//! encoder produces, and a real proof cut or extended never verifies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod gadgets;

use std::sync::OnceLock;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_COMPRESSED;
use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use gadgets::Statement;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use r1cs::{BulletproofGens, R1CSError, R1CSProof};

const LABEL: &[u8] = b"r1cs encoding property test";

/// Points before the three proof scalars, per phase flag: A_I1 A_O1 S1,
/// [A_I2 A_O2 S2], T_1 T_3 T_4 T_5 T_6.
fn points_before_scalars(two_phase: bool) -> usize {
    if two_phase {
        11
    } else {
        8
    }
}

/// The fields of a valid-shaped encoding, before serialisation.
#[derive(Clone, Debug)]
struct Shape {
    two_phase: bool,
    /// 8 or 11 compressed points (not necessarily valid curve points).
    points: Vec<[u8; 32]>,
    /// `t_x`, `t_x_blinding`, `e_blinding`.
    scalars: [Scalar; 3],
    /// `(L_i, R_i)` for each inner-product round.
    rounds: Vec<([u8; 32], [u8; 32])>,
    /// Inner-product `a`, `b`.
    ab: [Scalar; 2],
}

impl Shape {
    fn encode(&self) -> Vec<u8> {
        let mut bytes = vec![u8::from(self.two_phase)];
        for p in &self.points {
            bytes.extend_from_slice(p);
        }
        for s in &self.scalars {
            bytes.extend_from_slice(s.as_bytes());
        }
        for (l, r) in &self.rounds {
            bytes.extend_from_slice(l);
            bytes.extend_from_slice(r);
        }
        for s in &self.ab {
            bytes.extend_from_slice(s.as_bytes());
        }
        bytes
    }

    /// Byte offsets of the five scalar fields in the encoding.
    fn scalar_offsets(&self) -> [usize; 5] {
        let t_x = 1 + 32 * self.points.len();
        let a = t_x + 32 * (3 + 2 * self.rounds.len());
        [t_x, t_x + 32, t_x + 64, a, a + 32]
    }
}

/// 32 bytes for a point slot: often the identity encoding or a valid point,
/// otherwise random (decoding does not decompress points).
fn point() -> impl Strategy<Value = [u8; 32]> {
    prop_oneof![
        1 => Just(CompressedRistretto::default().to_bytes()),
        1 => Just(RISTRETTO_BASEPOINT_COMPRESSED.to_bytes()),
        6 => any::<[u8; 32]>(),
    ]
}

/// A canonical scalar: reduced random bytes, or an edge value.
fn scalar() -> impl Strategy<Value = Scalar> {
    prop_oneof![
        6 => any::<[u8; 32]>().prop_map(Scalar::from_bytes_mod_order),
        1 => Just(Scalar::ZERO),
        1 => Just(-Scalar::ONE),
    ]
}

/// Valid-shaped encodings: each decodes and re-encodes identically.
fn shape() -> impl Strategy<Value = Shape> {
    (any::<bool>(), 0usize..12).prop_flat_map(|(two_phase, k)| {
        (
            Just(two_phase),
            vec(point(), points_before_scalars(two_phase)),
            [scalar(), scalar(), scalar()],
            vec((point(), point()), k),
            [scalar(), scalar()],
        )
            .prop_map(|(two_phase, mut points, scalars, rounds, ab)| {
                // Points 3..6 are A_I2, A_O2, S2: with the 0x01 flag they
                // must not all be the identity (that is the 0x00 encoding).
                if two_phase && points[3..6].iter().all(|p| *p == [0u8; 32]) {
                    points[4][0] = 1;
                }
                Shape {
                    two_phase,
                    points,
                    scalars,
                    rounds,
                    ab,
                }
            })
    })
}

/// Byte strings that reach every branch of the decoder: arbitrary bytes,
/// valid encodings with one byte changed, and cut valid encodings.
fn near_encodings() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..1200),
        (shape(), any::<prop::sample::Index>(), any::<u8>()).prop_map(|(s, at, byte)| {
            let mut bytes = s.encode();
            let i = at.index(bytes.len());
            bytes[i] = byte;
            bytes
        }),
        (shape(), any::<prop::sample::Index>()).prop_map(|(s, at)| {
            let mut bytes = s.encode();
            bytes.truncate(at.index(bytes.len()));
            bytes
        }),
    ]
}

/// Asserts the strict round trip on `bytes`; returns whether it decoded.
fn check_round_trip(bytes: &[u8]) -> Result<bool, TestCaseError> {
    match R1CSProof::from_bytes(bytes) {
        Ok(proof) => {
            prop_assert_eq!(proof.to_bytes(), bytes);
            prop_assert_eq!(proof.serialized_size(), bytes.len());
            Ok(true)
        }
        Err(_) => Ok(false),
    }
}

/// One real proof of an 8-bit range statement, made once for all cases.
struct RealProof {
    gens: BulletproofGens,
    statement: Statement,
    commitments: Vec<CompressedRistretto>,
    bytes: Vec<u8>,
}

impl RealProof {
    fn get() -> &'static RealProof {
        static REAL: OnceLock<RealProof> = OnceLock::new();
        REAL.get_or_init(|| {
            let gens = BulletproofGens::new(64);
            let statement = Statement::Range {
                value: 173,
                bits: 8,
            };
            let (commitments, proof) = statement.prove(&gens, LABEL).unwrap();
            assert_eq!(statement.verify(&gens, LABEL, &commitments, &proof), Ok(()));
            let bytes = proof.to_bytes();
            assert_eq!(proof.ipp_rounds(), 3);
            RealProof {
                gens,
                statement,
                commitments,
                bytes,
            }
        })
    }

    /// `bytes` either fails to decode or decodes to a proof that does not
    /// verify. Returns whether it decoded.
    fn check_rejected(&self, bytes: &[u8]) -> Result<bool, TestCaseError> {
        let Ok(proof) = R1CSProof::from_bytes(bytes) else {
            return Ok(false);
        };
        prop_assert_eq!(proof.to_bytes(), bytes);
        let verdict = self
            .statement
            .verify(&self.gens, LABEL, &self.commitments, &proof);
        prop_assert!(verdict.is_err(), "altered proof verified: {:?}", verdict);
        Ok(true)
    }
}

/// Bytes appended to a real proof. Random tails rarely end in canonical
/// scalars, so some tails end with two canonical scalars, which makes
/// whole-round extensions decode and reach the verifier.
fn extension() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 1..200),
        (1usize..=12, any::<[u8; 32]>(), scalar(), scalar()).prop_map(|(n, fill, a, b)| {
            let mut tail: Vec<u8> = fill.iter().copied().cycle().take(32 * n).collect();
            if n >= 2 {
                let at = tail.len() - 64;
                tail[at..at + 32].copy_from_slice(a.as_bytes());
                tail[at + 32..].copy_from_slice(b.as_bytes());
            }
            tail
        }),
    ]
}

/// `cases` cases; failures are kept in `encoding_props.proptest-regressions`
/// next to this file (the default would search for a `lib.rs`, warn on not
/// finding one, and fall back to this location).
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn decoding_never_panics_and_round_trips_strictly(bytes in near_encodings()) {
        check_round_trip(&bytes)?;
    }

    #[test]
    fn valid_shaped_encodings_round_trip(s in shape()) {
        let bytes = s.encode();
        prop_assert_eq!(
            bytes.len(),
            1 + 32 * (points_before_scalars(s.two_phase) + 3) + 32 * (2 * s.rounds.len() + 2)
        );
        let proof = R1CSProof::from_bytes(&bytes);
        prop_assert!(proof.is_ok(), "{:?}", proof);
        let proof = proof.unwrap();
        prop_assert_eq!(proof.to_bytes(), bytes.clone());
        prop_assert_eq!(proof.serialized_size(), bytes.len());
        prop_assert_eq!(proof.ipp_rounds(), s.rounds.len());
    }

    #[test]
    fn non_canonical_scalars_are_rejected(
        s in shape(),
        which in 0usize..5,
        high in 0x10u8..=0xff,
        low in any::<[u8; 31]>(),
    ) {
        let mut bytes = s.encode();
        let at = s.scalar_offsets()[which];
        bytes[at..at + 31].copy_from_slice(&low);
        // A top byte of 0x10 can still be below l; 0x11 and above cannot.
        bytes[at + 31] = if high == 0x10 { 0x11 } else { high };
        let names = ["t_x", "t_x_blinding", "e_blinding", "a", "b"];
        let result = R1CSProof::from_bytes(&bytes);
        // An earlier scalar may be reported first only if it was also bad,
        // which cannot happen here: the others are canonical.
        prop_assert_eq!(result, Err(R1CSError::NonCanonicalScalar(names[which])));
    }

    #[test]
    fn two_phase_flag_with_identity_phase_two_is_rejected(s in shape()) {
        let mut s = s;
        if !s.two_phase {
            s.two_phase = true;
            s.points.splice(3..3, [[7u8; 32]; 3]);
        }
        s.points[3..6].fill([0u8; 32]);
        prop_assert_eq!(
            R1CSProof::from_bytes(&s.encode()),
            Err(R1CSError::NonCanonicalPhaseFlag)
        );
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn truncated_real_proofs_are_rejected(
        whole_elements in any::<bool>(),
        at in any::<prop::sample::Index>(),
    ) {
        let real = RealProof::get();
        let len = real.bytes.len();
        // Cutting whole 32-byte elements keeps the length plausible more often.
        let cut = if whole_elements {
            32 * (1 + at.index(len / 32))
        } else {
            1 + at.index(len)
        };
        real.check_rejected(&real.bytes[..len - cut])?;
    }

    #[test]
    fn extended_real_proofs_are_rejected(tail in extension()) {
        let real = RealProof::get();
        let mut bytes = real.bytes.clone();
        bytes.extend_from_slice(&tail);
        real.check_rejected(&bytes)?;
    }
}

/// Every truncation of the real proof, not just sampled ones. Only cuts by
/// whole rounds (64 bytes) have a valid length, and they decode only if the
/// last two remaining points happen to be canonical scalars.
#[test]
fn every_truncation_of_a_real_proof_is_rejected() {
    let real = RealProof::get();
    let mut decoded = 0;
    for end in 0..real.bytes.len() {
        if real.check_rejected(&real.bytes[..end]).unwrap() {
            decoded += 1;
        }
    }
    assert!(decoded <= 3);
}

/// Structural edits that keep the encoding decodable and reach the
/// verifier: dropping or duplicating an inner-product round, and
/// re-flagging the one-phase proof as two-phase with inserted points.
#[test]
fn decodable_edits_of_a_real_proof_do_not_verify() {
    let real = RealProof::get();
    let bytes = &real.bytes;
    let first_round = 1 + 32 * (points_before_scalars(false) + 3);
    let rounds = 3;
    for i in 0..rounds {
        let at = first_round + 64 * i;
        let mut dropped = bytes.clone();
        dropped.drain(at..at + 64);
        assert!(real.check_rejected(&dropped).unwrap());
        let mut doubled = bytes.clone();
        doubled.splice(at..at, bytes[at..at + 64].iter().copied());
        assert!(real.check_rejected(&doubled).unwrap());
    }
    let phase2_at = 1 + 32 * 3;
    for filler in [[1u8; 32], bytes[1..33].try_into().unwrap()] {
        let mut two_phase = bytes.clone();
        two_phase[0] = 0x01;
        two_phase.splice(phase2_at..phase2_at, filler.repeat(3));
        assert!(real.check_rejected(&two_phase).unwrap());
    }
}
