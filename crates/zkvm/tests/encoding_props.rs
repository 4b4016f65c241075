//! Property tests of the strict wire encodings (docs/spec/zkvm.md
//! §Encoding): output structures ([`Contract`]), transactions ([`Tx`]),
//! programs ([`Program`] of [`Instruction`]s), call proofs ([`CallProof`])
//! and Merkle paths ([`Path`]). Whatever is encoded decodes to the same
//! thing and re-encodes to the same bytes; a strict prefix of an encoding
//! never decodes, and neither does an encoding with a byte appended.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use musig::Signature;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use r1cs::R1CSProof;
use serde_json::Value as Json;
use zkvm::{
    Anchor, CallProof, Commitment, Contract, Data, DecodeError, Encodable, Instruction, Path,
    PortableItem, Predicate, Program, ProgramItem, Reader, Tx, TxHeader, VMError, Value,
};

/// The R1CS proofs of the reference transactions
/// (tests/vectors/zkvm-reference-txs.json): well-formed proofs to put in
/// random transactions.
fn reference_proofs() -> Vec<Vec<u8>> {
    let text = include_str!("../../../tests/vectors/zkvm-reference-txs.json");
    let v: Json = serde_json::from_str(text).unwrap();
    v["valid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| hex::decode(c["r1cs_proof_hex"].as_str().unwrap()).unwrap())
        .collect()
}

/// 32 bytes where a point goes: decoding does not decompress points, so
/// any bytes will do.
fn point() -> impl Strategy<Value = CompressedRistretto> {
    any::<[u8; 32]>().prop_map(CompressedRistretto)
}

/// Short byte strings, sometimes empty.
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..48)
}

/// A payload item as the wire has it: opaque strings and bytecode, values
/// of closed commitments.
fn portable_item() -> impl Strategy<Value = PortableItem> {
    prop_oneof![
        bytes().prop_map(|b| PortableItem::String(Data::Opaque(b))),
        bytes().prop_map(|b| PortableItem::Program(ProgramItem::Bytecode(b))),
        (point(), point()).prop_map(|(q, f)| PortableItem::Value(Value {
            qty: Commitment::Closed(q),
            flv: Commitment::Closed(f),
        })),
    ]
}

fn contract() -> impl Strategy<Value = Contract> {
    (any::<[u8; 32]>(), point(), vec(portable_item(), 0..6)).prop_map(
        |(anchor, predicate, payload)| Contract {
            anchor: Anchor::from_bytes(anchor),
            predicate: Predicate::opaque(predicate),
            payload,
        },
    )
}

/// A `u32` immediate as the `usize` the instruction holds.
fn size() -> impl Strategy<Value = usize> {
    prop_oneof![0..8usize, any::<u32>().prop_map(|k| k as usize)]
}

/// An instruction as decoding produces it: opaque `push` data and `program`
/// bytecode, `alloc` without an assignment, extension opcodes above the
/// defined ones (0x23..=0xff). `program` immediates are sometimes random
/// bytes, sometimes a program of these instructions.
fn instruction() -> impl Strategy<Value = Instruction> {
    let leaf = prop_oneof![
        bytes().prop_map(|b| Instruction::Push(Data::Opaque(b))),
        bytes().prop_map(|b| Instruction::Program(ProgramItem::Bytecode(b))),
        size().prop_map(Instruction::Dup),
        size().prop_map(Instruction::Roll),
        (size(), size()).prop_map(|(m, n)| Instruction::Cloak(m, n)),
        size().prop_map(Instruction::Output),
        size().prop_map(Instruction::Contract),
        (0x23u8..=0xff).prop_map(Instruction::Ext),
        prop::sample::select(vec![
            Instruction::Drop,
            Instruction::Scalar,
            Instruction::Commit,
            Instruction::Alloc(None),
            Instruction::Mintime,
            Instruction::Maxtime,
            Instruction::Expr,
            Instruction::Neg,
            Instruction::Add,
            Instruction::Mul,
            Instruction::Eq,
            Instruction::Range,
            Instruction::And,
            Instruction::Or,
            Instruction::Not,
            Instruction::Verify,
            Instruction::Unblind,
            Instruction::Issue,
            Instruction::Borrow,
            Instruction::Retire,
            Instruction::Fee,
            Instruction::Input,
            Instruction::Log,
            Instruction::Eval,
            Instruction::Call,
            Instruction::Signtx,
            Instruction::Signid,
            Instruction::Signtag,
        ]),
    ];
    leaf.prop_recursive(3, 64, 8, |inner| {
        vec(inner, 0..8).prop_map(|instructions| {
            let mut p = Program::new();
            for i in instructions {
                p.push_instruction(i);
            }
            Instruction::Program(ProgramItem::Bytecode(p.encode_to_vec()))
        })
    })
}

fn program() -> impl Strategy<Value = Program> {
    vec(instruction(), 0..24).prop_map(|instructions| {
        let mut p = Program::new();
        for i in instructions {
            p.push_instruction(i);
        }
        p
    })
}

/// A path of `n ≤ 64` neighbors whose position has no bit at or above `n`.
fn path() -> impl Strategy<Value = Path> {
    (0..=64usize, any::<u64>()).prop_flat_map(|(n, position)| {
        let position = if n == 64 {
            position
        } else {
            position & ((1u64 << n) - 1)
        };
        vec(any::<[u8; 32]>(), n).prop_map(move |neighbors| Path {
            position,
            neighbors,
        })
    })
}

fn call_proof() -> impl Strategy<Value = CallProof> {
    (point(), path()).prop_map(|(key, path)| CallProof { key, path })
}

fn header() -> impl Strategy<Value = TxHeader> {
    (any::<u64>(), any::<u64>(), any::<u64>()).prop_map(|(version, mintime_ms, maxtime_ms)| {
        TxHeader {
            version,
            mintime_ms,
            maxtime_ms,
        }
    })
}

/// A signature with a random `R` and a canonical `s`.
fn signature() -> impl Strategy<Value = Signature> {
    (any::<[u8; 32]>(), any::<[u8; 32]>()).prop_map(|(r, s)| {
        let mut bytes = [0u8; 64];
        bytes[..32].copy_from_slice(&r);
        bytes[32..].copy_from_slice(Scalar::from_bytes_mod_order(s).as_bytes());
        Signature::from_bytes(&bytes).unwrap()
    })
}

/// A transaction with a random header, random program bytes (decoding does
/// not parse the program), a random signature and a reference proof.
fn tx() -> impl Strategy<Value = Tx> {
    let proofs = reference_proofs();
    (
        header(),
        vec(any::<u8>(), 0..256),
        signature(),
        0..proofs.len(),
    )
        .prop_map(move |(header, program, signature, i)| Tx {
            header,
            program,
            signature,
            proof: R1CSProof::from_bytes(&proofs[i]).unwrap(),
        })
}

fn decode_path(bytes: &[u8]) -> Result<Path, VMError> {
    Reader::read_all(bytes, Path::decode)
}

/// Every strict prefix of `bytes` fails to decode, and `bytes` with one
/// more byte fails with [`VMError::TrailingBytes`].
fn assert_strict<T: core::fmt::Debug>(
    bytes: &[u8],
    extra: u8,
    decode: impl Fn(&[u8]) -> Result<T, VMError>,
) -> Result<(), TestCaseError> {
    for len in 0..bytes.len() {
        let result = decode(&bytes[..len]);
        prop_assert!(result.is_err(), "prefix of {len} bytes decodes: {result:?}");
    }
    let mut longer = bytes.to_vec();
    longer.push(extra);
    let result = decode(&longer);
    prop_assert!(
        matches!(result, Err(VMError::Decode(DecodeError::TrailingBytes(1)))),
        "appended byte: {result:?}"
    );
    Ok(())
}

fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn contracts_round_trip_strictly(contract in contract(), extra in any::<u8>()) {
        let bytes = contract.encode_to_vec();
        prop_assert_eq!(bytes.len(), contract.encoded_size());
        let decoded = Contract::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&decoded, &contract);
        prop_assert_eq!(decoded.encode_to_vec(), bytes.clone());
        prop_assert_eq!(decoded.id(), contract.id());
        assert_strict(&bytes, extra, Contract::from_bytes)?;
    }

    #[test]
    fn transactions_round_trip_strictly(tx in tx(), extra in any::<u8>()) {
        let bytes = tx.to_bytes();
        prop_assert_eq!(bytes.len(), tx.encoded_size());
        let decoded = Tx::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&decoded, &tx);
        prop_assert_eq!(decoded.to_bytes(), bytes.clone());
        assert_strict(&bytes, extra, Tx::from_bytes)?;
    }

    #[test]
    fn non_canonical_signature_scalars_are_rejected(
        tx in tx(),
        high in 0x11u8..=0xff,
    ) {
        // `s` is bytes 32..64 of the signature; a top byte above 0x10
        // puts it above the group order (2^252 + …).
        let mut bytes = tx.to_bytes();
        let s_top = 24 + 4 + tx.program.len() + 63;
        bytes[s_top] = high;
        prop_assert!(matches!(Tx::from_bytes(&bytes), Err(VMError::InvalidSignature(_))));
    }

    #[test]
    fn programs_round_trip(program in program(), extra in any::<u8>()) {
        let bytes = program.encode_to_vec();
        prop_assert_eq!(bytes.len(), program.encoded_size());
        let parsed = Program::parse(&bytes).unwrap();
        prop_assert_eq!(&parsed, &program);
        prop_assert_eq!(parsed.encode_to_vec(), bytes.clone());

        // A program has no length of its own: a prefix that ends between
        // instructions is the program of the instructions before, one that
        // ends inside an instruction does not parse.
        let mut boundaries = vec![0];
        for i in program.instructions() {
            boundaries.push(boundaries.last().unwrap() + i.encoded_size());
        }
        for len in 0..bytes.len() {
            let result = Program::parse(&bytes[..len]);
            match boundaries.iter().position(|b| *b == len) {
                Some(k) => {
                    let prefix = result.unwrap();
                    prop_assert_eq!(prefix.instructions(), &program.instructions()[..k]);
                }
                None => prop_assert!(
                    matches!(result, Err(VMError::Decode(DecodeError::UnexpectedEnd { .. }))),
                    "prefix of {} bytes: {:?}", len, result
                ),
            }
        }
        // One more byte is one more instruction, or a truncated one.
        let mut longer = bytes.clone();
        longer.push(extra);
        match Program::parse(&longer) {
            Ok(p) => {
                prop_assert_eq!(p.instructions().len(), program.instructions().len() + 1);
                prop_assert_eq!(p.encode_to_vec(), longer);
            }
            Err(e) => prop_assert!(matches!(e, VMError::Decode(DecodeError::UnexpectedEnd { .. })), "{:?}", e),
        }
    }

    #[test]
    fn instructions_round_trip_one_by_one(instruction in instruction()) {
        let bytes = instruction.encode_to_vec();
        prop_assert_eq!(bytes.len(), instruction.encoded_size());
        let decoded = Reader::read_all(&bytes, Instruction::decode).unwrap();
        prop_assert_eq!(&decoded, &instruction);
        prop_assert_eq!(decoded.opcode_byte(), bytes[0]);
    }

    #[test]
    fn call_proofs_and_paths_round_trip_strictly(proof in call_proof(), extra in any::<u8>()) {
        let bytes = proof.encode_to_vec();
        prop_assert_eq!(bytes.len(), proof.encoded_size());
        let decoded = CallProof::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&decoded, &proof);
        prop_assert_eq!(decoded.encode_to_vec(), bytes.clone());
        assert_strict(&bytes, extra, CallProof::from_bytes)?;

        let path_bytes = proof.path.encode_to_vec();
        prop_assert_eq!(&path_bytes[..], &bytes[32..]);
        prop_assert_eq!(decode_path(&path_bytes).unwrap(), proof.path.clone());
        assert_strict(&path_bytes, extra, decode_path)?;
    }

    #[test]
    fn paths_with_stray_position_bits_are_rejected(
        n in 0..64usize,
        position in any::<u64>(),
        stray in 0..64u32,
    ) {
        // Some bit at or above `n` is set.
        let stray = stray.max(n as u32);
        let path = Path {
            position: position | (1u64 << stray),
            neighbors: vec![[7u8; 32]; n],
        };
        let result = decode_path(&path.encode_to_vec());
        prop_assert!(
            matches!(result, Err(VMError::InvalidCallProof(_))),
            "{:?}", result
        );
    }

    #[test]
    fn paths_longer_than_64_are_rejected(n in 65..80usize) {
        let path = Path {
            position: 0,
            neighbors: vec![[7u8; 32]; n],
        };
        let result = decode_path(&path.encode_to_vec());
        prop_assert!(
            matches!(result, Err(VMError::InvalidCallProof(_))),
            "{:?}", result
        );
    }
}
