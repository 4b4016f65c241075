#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Dry runs (docs/spec/simulate.md): a simulation predicts the real
//! transaction exactly, names a failing instruction with its stack, and
//! traces every instruction run.

mod common;

use common::{header, key_utxo, open_value, payment, prove, rng, usd};
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use zkvm::simulate::{simulate, Options, Witness};
use zkvm::{Encodable, FeeRate, Predicate, TxEntry};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn scalar_hex(s: &Scalar) -> String {
    hex(s.as_bytes())
}

const PAYMENT_1X2: &str = "
push $utxo; input; signtx
push $q1; push $f1; push $q2; push $f2
cloak:1:2
push $bob; output:1
push $carol; output:1
";

const PAYMENT_1X2_NESTED: &str = "
push $utxo; input; signtx
program {
    push $q1; push $f1; push $q2; push $f2
    cloak:1:2
    push $bob; output:1
    push $carol; output:1
}
eval
";

#[test]
fn a_1x2_payment_simulates_as_it_proves() {
    let mut r = rng(11);
    let alice_scalar = Scalar::random(&mut r);
    let alice = SecretKey::from_scalar(alice_scalar);
    let bob = Predicate::opaque(*SecretKey::random(&mut r).verification_key().as_compressed());
    let carol = Predicate::opaque(*SecretKey::random(&mut r).verification_key().as_compressed());
    let input = key_utxo(&alice, 1000, usd(), &mut r);
    let o1 = open_value(700, usd(), &mut r);
    let o2 = open_value(300, usd(), &mut r);
    let program = payment(
        std::slice::from_ref(&input),
        &[(o1.clone(), bob.clone()), (o2.clone(), carol.clone())],
    );

    let sim = simulate(header(), program.clone(), &Options::default());
    let proven = prove(header(), program);
    assert!(sim.ok, "{:?}", sim.failure);
    assert_eq!(
        sim.txid.as_deref(),
        Some(proven.verified.id.to_string().as_str())
    );
    let logged: Vec<zkvm::simulate::LogEntry> =
        proven.verified.log.0.iter().map(Into::into).collect();
    assert_eq!(sim.log, logged);
    assert_eq!(sim.size.unwrap().total, proven.bytes.len());
    assert_eq!(sim.size.unwrap().total, 1502);
    // 142 multipliers, padded to 256: 8 inner-product rounds.
    assert_eq!(sim.multipliers, 142);
    assert_eq!(
        sim.multipliers.next_power_of_two().trailing_zeros() as usize,
        proven.tx.proof.ipp_rounds()
    );
    assert!(sim.second_phase);
    assert!(sim.constraints > 0);
    assert!(sim.budget.spent > 0 && sim.budget.spent <= sim.budget.limit);
    assert_eq!(sim.signers.len(), 1);
    assert!(sim.signers[0].key_known);

    // The same payment from a witness file: assembly, parameters, secrets.
    let (q_in, f_in) = match &input.payload[0] {
        zkvm::PortableItem::Value(v) => (v.qty.clone(), v.flv.clone()),
        _ => unreachable!(),
    };
    let opening = |c: &zkvm::Commitment, flavor: bool| {
        let o = c.opening().unwrap();
        let value = o.value.to_scalar();
        if flavor {
            serde_json::json!({"flavor": scalar_hex(&value), "blinding": scalar_hex(&o.blinding)})
        } else {
            let q = u64::from_le_bytes(value.as_bytes()[..8].try_into().unwrap());
            serde_json::json!({"quantity": q, "blinding": scalar_hex(&o.blinding)})
        }
    };
    let file = serde_json::json!({
        "program": PAYMENT_1X2,
        "params": {
            "utxo": format!("0x{}", hex(&zkvm::Data::Output(Box::new(input.clone())).encode_to_vec())),
            "bob": format!("point:0x{}", hex(bob.to_point().as_bytes())),
            "carol": format!("point:0x{}", hex(carol.to_point().as_bytes())),
        },
        "commitments": {
            "in_q": opening(&q_in, false), "in_f": opening(&f_in, true),
            "q1": opening(&o1.qty, false), "f1": opening(&o1.flv, true),
            "q2": opening(&o2.qty, false), "f2": opening(&o2.flv, true),
        },
        "keys": { "alice": scalar_hex(&alice_scalar) },
    });
    let witness = Witness::from_json(file.to_string().as_bytes()).unwrap();
    let options = Options {
        trace: false,
        fee_rate: Some(FeeRate::new(1, 1)),
    };
    let sim2 = witness.simulate(&options);
    assert!(sim2.ok, "{:?}", sim2.failure);
    assert_eq!(sim2.txid, sim.txid);
    assert_eq!(sim2.log, sim.log);
    assert_eq!(sim2.multipliers, sim.multipliers);
    assert_eq!(sim2.size, sim.size);
    let rate = sim2.fee_rate.unwrap();
    assert_eq!(rate.required_fee, Some(1502));
    assert_eq!(rate.meets_required, Some(false));
    assert!(matches!(
        sim2.log[1],
        zkvm::simulate::LogEntry::Input { .. }
    ));
    assert!(matches!(proven.verified.log.0[1], TxEntry::Input(_)));

    // Secrets attach inside nested programs too: the same payment with its
    // cloak and outputs in a program run by `eval` has the same log.
    let mut nested = file.clone();
    nested["program"] = serde_json::json!(PAYMENT_1X2_NESTED);
    let sim3 = Witness::from_json(nested.to_string().as_bytes())
        .unwrap()
        .simulate(&Options::default());
    assert!(sim3.ok, "{:?}", sim3.failure);
    assert_eq!(sim3.txid, sim.txid);
    assert_eq!(sim3.multipliers, sim.multipliers);
}

#[test]
fn a_failing_program_names_the_instruction_and_its_stack() {
    let w = Witness::from_json(br#"{"program": "push 0x0102\npush \"abc\"\nadd"}"#).unwrap();
    let sim = w.simulate(&Options::default());
    assert!(!sim.ok);
    let f = sim.failure.unwrap();
    assert_eq!(f.instruction.as_deref(), Some("add"));
    assert_eq!(f.offset, Some(7 + 8));
    assert_eq!(f.depth, Some(0));
    assert_eq!(f.text.as_deref(), Some("add"));
    assert_eq!(f.stack.depth, 2);
    let shown: Vec<_> = f.stack.items.iter().map(|i| (i.kind, i.len)).collect();
    assert_eq!(shown, vec![("string", Some(2)), ("string", Some(3))]);
    assert!(f.message.starts_with("`add` at offset"), "{}", f.message);
    assert!(sim.txid.is_none() && sim.size.is_none());
    // Spent through the two pushes that succeeded.
    assert!(sim.budget.spent > 0 && sim.budget.verifier_limit.is_none());
}

#[test]
fn a_commitment_without_its_opening_is_a_missing_witness() {
    // A point that is nobody's commitment opening: the prover cannot
    // commit it.
    let p = hex(Predicate::key(SecretKey::from_scalar(Scalar::from(5u64)))
        .to_point()
        .as_bytes());
    let text = format!("push 0x{p}; push 0x{p}; push 0x{p}; push 0x{p}; cloak:0:1");
    let w = Witness::from_json(
        serde_json::json!({ "program": text })
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    let f = w.simulate(&Options::default()).failure.unwrap();
    assert_eq!(f.instruction.as_deref(), Some("cloak"));
    assert!(f.error.contains("opening"), "{}", f.error);
}

#[test]
fn the_trace_lists_every_instruction_run() {
    let w = Witness::from_json(br#"{"program": "program { push 7; drop }\neval\npush 1\ndrop"}"#)
        .unwrap();
    let sim = w.simulate(&Options {
        trace: true,
        fee_rate: None,
    });
    // No anchor: the run fails after its last instruction, traced in full.
    let f = sim.failure.unwrap();
    assert_eq!(f.instruction, None);
    assert!(f.error.contains("anchor"), "{}", f.error);
    let trace = sim.trace.unwrap();
    let steps: Vec<_> = trace
        .steps
        .iter()
        .map(|s| {
            (
                s.offset,
                s.depth,
                s.instruction.clone(),
                s.stack.as_ref().unwrap().depth,
            )
        })
        .collect();
    let seven = format!("push:0x07{}", "00".repeat(31));
    let one = format!("push:0x01{}", "00".repeat(31));
    // `program` (1 + 4 + 38 bytes), `eval`, the nested push and drop, then
    // the rest of the outer program.
    assert_eq!(trace.total, 6);
    assert_eq!(steps[0].0, 0);
    assert_eq!(steps[0].1, 0);
    assert!(steps[0].2.starts_with("program:0x"));
    assert_eq!(steps[0].3, 1);
    assert_eq!(
        (steps[1].0, steps[1].1, steps[1].2.as_str(), steps[1].3),
        (43, 0, "eval", 0)
    );
    assert_eq!(
        (steps[2].0, steps[2].1, steps[2].2.clone(), steps[2].3),
        (0, 1, seven, 1)
    );
    assert_eq!(
        (steps[3].0, steps[3].1, steps[3].2.as_str(), steps[3].3),
        (37, 1, "drop", 0)
    );
    assert_eq!(
        (steps[4].0, steps[4].1, steps[4].2.clone(), steps[4].3),
        (44, 0, one, 1)
    );
    assert_eq!(
        (steps[5].0, steps[5].1, steps[5].2.as_str(), steps[5].3),
        (81, 0, "drop", 0)
    );
}

#[test]
fn witness_files_are_parsed_strictly() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"program": "drop", "extra": 1}"#,
            "unknown field `extra`",
        ),
        (
            r#"{"program": "drop", "bytecode": "00"}"#,
            "exactly one of `program`",
        ),
        (r#"{}"#, "exactly one of `program`"),
        (r#"{"bytecode": "0g"}"#, "bytecode: not hex"),
        (r#"{"program": "push $x"}"#, "program:"),
        (
            r#"{"program": "drop", "keys": {"k": "00"}}"#,
            "keys.k: expected 32 bytes",
        ),
        (
            r#"{"program": "drop", "keys": {"k": "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"}}"#,
            "keys.k: not a canonical scalar",
        ),
        (
            r#"{"program": "drop", "commitments": {"c": {}}}"#,
            "commitments.c: give exactly one",
        ),
        (
            r#"{"program": "drop", "commitments": {"c": {"quantity": 1, "secret": 2}}}"#,
            "unknown field `secret`",
        ),
        (
            r#"{"program": "drop", "params": {"a-b": "1"}}"#,
            "params.a-b: not a parameter name",
        ),
        (
            r#"{"program": "drop", "params": {"a": -1}}"#,
            "params.a: a number must be",
        ),
        (
            r#"{"program": "drop", "params": {"a": [1]}}"#,
            "params.a: expected a literal",
        ),
        (
            r#"{"program": "drop", "params": {"a": "1"}, "keys": {"a": "0000000000000000000000000000000000000000000000000000000000000000"}}"#,
            "keys.a: name already used",
        ),
        (
            r#"{"program": "drop", "header": {"version": 1, "x": 2}}"#,
            "unknown field `x`",
        ),
    ];
    for (json, expected) in cases {
        let e = Witness::from_json(json.as_bytes()).unwrap_err().to_string();
        assert!(e.contains(expected), "{json}: {e}");
    }
    let huge = format!(r#"{{"program": "push 0x{}"}}"#, "00".repeat(1 << 20));
    let e = Witness::from_json(huge.as_bytes()).unwrap_err().to_string();
    assert_eq!(e, "program: assembles to more than 1048576 bytes");
    let big = vec![b' '; zkvm::simulate::MAX_WITNESS_BYTES + 1];
    assert!(Witness::from_json(&big)
        .unwrap_err()
        .to_string()
        .contains("larger than"));
}
