//! Helpers shared by the scenario and rejection tests: keys and UTXOs whose
//! openings the spender knows, payment programs, proving then verifying the
//! encoded bytes, reading the log back, re-attaching openings to logged
//! outputs so a later transaction can spend them.
#![allow(dead_code)]

use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use musig::{SecretKey, Signature, SignerAwaitingPrecommitments, SigningContext};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use zkvm::{
    Anchor, Commitment, Contract, Encodable, PortableItem, Predicate, Program, Prover, Tx, TxEntry,
    TxHeader, TxLog, VMError, Value, VerifiedTx, Verifier,
};

/// A deterministic RNG for keys, anchors and blinding factors.
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Version 1, no time bounds.
pub fn header() -> TxHeader {
    TxHeader {
        version: 1,
        mintime_ms: 0,
        maxtime_ms: u64::MAX,
    }
}

/// Version 1 with the given time bounds.
pub fn header_at(mintime_ms: u64, maxtime_ms: u64) -> TxHeader {
    TxHeader {
        version: 1,
        mintime_ms,
        maxtime_ms,
    }
}

/// Flavors of two made-up assets (fees use the zero flavor).
pub fn usd() -> Scalar {
    Scalar::from(840u64)
}

/// See [`usd`].
pub fn eur() -> Scalar {
    Scalar::from(978u64)
}

/// The flavor fees are paid in.
pub fn fee_flavor() -> Scalar {
    Scalar::ZERO
}

/// A value with random blinding factors and known openings.
pub fn open_value(qty: u64, flavor: Scalar, rng: &mut StdRng) -> Value {
    Value {
        qty: Commitment::blinded_with_factor(qty, Scalar::random(rng)),
        flv: Commitment::blinded_with_factor(flavor, Scalar::random(rng)),
    }
}

/// The predicate of `key` as a payer sees it: the point, no secret.
pub fn address(key: &SecretKey) -> Predicate {
    Predicate::opaque(*key.verification_key().as_compressed())
}

/// A UTXO holding `payload` under `predicate` on a random anchor: an output
/// of some earlier transaction whose openings the spender knows.
pub fn utxo(predicate: Predicate, payload: Vec<PortableItem>, rng: &mut StdRng) -> Contract {
    Contract {
        anchor: Anchor::from_bytes(rng.gen()),
        predicate,
        payload,
    }
}

/// A UTXO holding `qty` of `flavor` under `key` (its secret attached, so
/// `UnsignedTx::sign` can sign for it).
pub fn key_utxo(key: &SecretKey, qty: u64, flavor: Scalar, rng: &mut StdRng) -> Contract {
    let value = open_value(qty, flavor, rng);
    utxo(
        Predicate::key(key.clone()),
        vec![PortableItem::Value(value)],
        rng,
    )
}

/// The value a single-value contract holds (with its openings on the prover).
pub fn value_of(c: &Contract) -> Value {
    match c.payload.as_slice() {
        [PortableItem::Value(v)] => v.clone(),
        other => panic!("expected one value, found {other:?}"),
    }
}

/// The payment program of the reference's size formula
/// (140·m + 116·n + 9 bytes for one-value inputs): each input `input
/// signtx`, each output's quantity and flavor commitments, `cloak:m:n`, then
/// `<predicate> output:1` per output (cloak leaves the first output on top).
pub fn payment(inputs: &[Contract], outputs: &[(Value, Predicate)]) -> Program {
    let mut p = Program::new();
    for c in inputs {
        p.push(c.clone()).input().signtx();
    }
    push_cloak(&mut p, inputs.len(), outputs);
    p
}

/// Appends the commitments of `outputs`, `cloak:m:n` and one `output:1` per
/// output to `p`.
pub fn push_cloak(p: &mut Program, m: usize, outputs: &[(Value, Predicate)]) {
    for (v, _) in outputs {
        p.push(v.qty.clone()).push(v.flv.clone());
    }
    p.cloak(m, outputs.len());
    for (_, pred) in outputs {
        p.push(pred.clone()).output(1);
    }
}

/// A transaction that was proven, signed, encoded and verified.
pub struct Proven {
    /// The transaction.
    pub tx: Tx,
    /// Its encoding.
    pub bytes: Vec<u8>,
    /// What the verifier made of the bytes.
    pub verified: VerifiedTx,
}

/// Proves `program`, signs with the secrets its predicates carry, encodes,
/// decodes and verifies; checks that prover and verifier agree on the ID
/// and that the fee rate counts the whole encoding.
pub fn prove(header: TxHeader, program: Program) -> Proven {
    let unsigned =
        Prover::build_tx(header, program).unwrap_or_else(|e| panic!("prover refused: {e}"));
    let tx = unsigned
        .sign()
        .unwrap_or_else(|e| panic!("signing failed: {e}"));
    finish(tx)
}

/// Encodes and verifies a signed transaction (see [`prove`]).
pub fn finish(tx: Tx) -> Proven {
    let bytes = tx.to_bytes();
    assert_eq!(Tx::from_bytes(&bytes).as_ref(), Ok(&tx), "round trip");
    let verified = Verifier::verify_bytes(&bytes).unwrap_or_else(|e| panic!("rejected: {e}"));
    assert_eq!(verified.header, tx.header);
    assert_eq!(verified.fee_rate.size(), bytes.len() as u64);
    assert_eq!(verified.fee_rate.fee(), verified.log.fee());
    Proven {
        tx,
        bytes,
        verified,
    }
}

/// The kinds of the log's entries, in order.
pub fn kinds(log: &TxLog) -> Vec<&'static str> {
    log.0
        .iter()
        .map(|e| match e {
            TxEntry::Header(_) => "header",
            TxEntry::Input(_) => "input",
            TxEntry::Issue(..) => "issue",
            TxEntry::Retire(..) => "retire",
            TxEntry::Output(_) => "output",
            TxEntry::Fee(_) => "fee",
            TxEntry::Data(_) => "data",
        })
        .collect()
}

/// The outputs of a verified transaction, in order.
pub fn outputs(v: &VerifiedTx) -> Vec<Contract> {
    v.log.outputs().cloned().collect()
}

/// The point of a predicate.
pub fn point(p: &Predicate) -> CompressedRistretto {
    p.to_point()
}

/// Checks that `logged` holds exactly `values` (compared as points).
pub fn assert_holds(logged: &Contract, values: &[&Value]) {
    let points: Vec<_> = logged
        .payload
        .iter()
        .map(|item| match item {
            PortableItem::Value(v) => (v.qty.to_point(), v.flv.to_point()),
            other => panic!("expected a value, found {other:?}"),
        })
        .collect();
    let expected: Vec<_> = values
        .iter()
        .map(|v| (v.qty.to_point(), v.flv.to_point()))
        .collect();
    assert_eq!(points, expected);
}

/// A logged output with the spender's knowledge re-attached: the same
/// anchor, `predicate` (with its secret) and `payload` (with openings).
/// Checks that the contract ID did not change.
pub fn reopen(logged: &Contract, predicate: Predicate, payload: Vec<PortableItem>) -> Contract {
    let c = Contract {
        anchor: logged.anchor,
        predicate,
        payload,
    };
    assert_eq!(c.id(), logged.id(), "re-attached openings change the ID");
    c
}

/// [`reopen`] for an output holding one value.
pub fn reopen_value(logged: &Contract, predicate: Predicate, value: &Value) -> Contract {
    reopen(logged, predicate, vec![PortableItem::Value(value.clone())])
}

/// Asserts `result` failed in instruction `instruction` with `inner`.
#[track_caller]
pub fn assert_fails_in<T>(result: Result<T, VMError>, instruction: &str, inner: VMError) {
    match result {
        Err(VMError::Instruction {
            instruction: name,
            error,
            ..
        }) => assert_eq!((name, *error), (instruction, inner)),
        Err(other) => panic!("expected `{instruction}` to fail with {inner:?}, got {other:?}"),
        Ok(_) => panic!("expected `{instruction}` to fail with {inner:?}, it succeeded"),
    }
}

/// The encoding of `tx` with its program replaced by `program`: lets the
/// verifier run programs the prover refuses (the VM fails before the proof
/// is looked at).
pub fn with_program(tx: &Tx, program: &Program) -> Vec<u8> {
    let mut tx = tx.clone();
    tx.program = program.encode_to_vec();
    tx.to_bytes()
}

/// A valid 1→1 payment whose proof and signature serve as filler for
/// [`with_program`].
pub fn carrier(rng: &mut StdRng) -> Tx {
    let alice = SecretKey::random(rng);
    let input = key_utxo(&alice, 10, usd(), rng);
    let out = open_value(10, usd(), rng);
    prove(header(), payment(&[input], &[(out, address(&alice))])).tx
}

/// Runs an interactive signing session of every key in `keys` (party `i`
/// holds `keys[i]`) over `transcript`, each party with its own state, and
/// returns the signature all of them computed.
pub fn interactive_sign<C: SigningContext + Copy>(
    transcript: &Transcript,
    context: C,
    keys: &[SecretKey],
) -> Signature {
    let (states, precommitments): (Vec<_>, Vec<_>) = keys
        .iter()
        .enumerate()
        .map(|(i, k)| SignerAwaitingPrecommitments::new(transcript.clone(), context, i, k).unwrap())
        .unzip();
    let (states, commitments): (Vec<_>, Vec<_>) = states
        .into_iter()
        .map(|s| s.receive_precommitments(&precommitments).unwrap())
        .unzip();
    let (states, shares): (Vec<_>, Vec<_>) = states
        .into_iter()
        .map(|s| s.receive_commitments(&commitments).unwrap())
        .unzip();
    let signatures: Vec<Signature> = states
        .into_iter()
        .map(|s| s.receive_shares(&shares).unwrap())
        .collect();
    assert!(signatures.windows(2).all(|w| w[0] == w[1]));
    signatures[0]
}

/// `Transcript("ZkVM.signid")` over a contract ID and a program, as `signid`
/// checks.
pub fn signid_transcript(contract: &Contract, prog: &Program) -> Transcript {
    let mut t = Transcript::new(b"ZkVM.signid");
    t.append_message(b"contract", &contract.id().to_bytes());
    t.append_message(b"prog", &prog.encode_to_vec());
    t
}

/// `Transcript("ZkVM.signtag")` over a tag and a program, as `signtag`
/// checks.
pub fn signtag_transcript(tag: &[u8], prog: &Program) -> Transcript {
    let mut t = Transcript::new(b"ZkVM.signtag");
    t.append_message(b"tag", tag);
    t.append_message(b"prog", &prog.encode_to_vec());
    t
}
