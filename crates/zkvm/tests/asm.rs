#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The assembly text form (docs/spec/asm.md): bytes → text → bytes is the
//! identity for random programs and for every program in the transaction
//! vectors; the parser never panics on random text; errors name their line
//! and column.

use proptest::prelude::*;
use serde_json::Value as Json;
use zkvm::asm::{assemble, assemble_program, disassemble, AsmError, Params};
use zkvm::{Data, Encodable, Instruction, Program, ProgramItem, Tx};

fn round_trip(bytes: &[u8]) -> String {
    let text = disassemble(bytes).unwrap_or_else(|e| panic!("{e}"));
    let back = assemble(&text, &Params::new()).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back, bytes, "{text}");
    text
}

/// A random instruction; programs nest up to `depth` more levels, and a
/// nested program is sometimes given as raw (maybe unparseable) bytes.
fn instruction(depth: u32) -> BoxedStrategy<Instruction> {
    let leaf = prop_oneof![
        4 => (0u8..=0x22)
            .prop_filter("no immediates", |b| !matches!(b, 0x00 | 0x01 | 0x03 | 0x04 | 0x18 | 0x1b | 0x1c))
            .prop_map(|b| Program::parse(&[b]).unwrap().instructions()[0].clone()),
        2 => (0x23u8..=0xff).prop_map(Instruction::Ext),
        3 => proptest::collection::vec(any::<u8>(), 0..40).prop_map(|b| Instruction::Push(Data::Opaque(b))),
        1 => any::<u32>().prop_map(|k| Instruction::Dup(k as usize)),
        1 => any::<u32>().prop_map(|k| Instruction::Roll(k as usize)),
        1 => any::<u32>().prop_map(|k| Instruction::Output(k as usize)),
        1 => any::<u32>().prop_map(|k| Instruction::Contract(k as usize)),
        1 => (any::<u32>(), any::<u32>()).prop_map(|(m, n)| Instruction::Cloak(m as usize, n as usize)),
        1 => proptest::collection::vec(any::<u8>(), 0..20)
            .prop_map(|b| Instruction::Program(ProgramItem::Bytecode(b))),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    prop_oneof![
        6 => leaf,
        1 => proptest::collection::vec(instruction(depth - 1), 0..6).prop_map(|is| {
            let mut p = Program::new();
            for i in is {
                p.push_instruction(i);
            }
            Instruction::Program(ProgramItem::Bytecode(p.encode_to_vec()))
        }),
    ]
    .boxed()
}

fn program_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(instruction(3), 0..24).prop_map(|is| {
        let mut p = Program::new();
        for i in is {
            p.push_instruction(i);
        }
        p.encode_to_vec()
    })
}

/// Text made of the language's pieces and some noise.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("push".to_string()),
        Just("program".to_string()),
        Just("dup".to_string()),
        Just("cloak".to_string()),
        Just("ext".to_string()),
        Just("u32".to_string()),
        Just("point".to_string()),
        Just("scalar".to_string()),
        Just("drop".to_string()),
        Just(":".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just(";".to_string()),
        Just("\n".to_string()),
        Just(" ".to_string()),
        Just("#".to_string()),
        Just("\"".to_string()),
        Just("\\".to_string()),
        Just("$p".to_string()),
        Just("$q".to_string()),
        Just("0x".to_string()),
        "[0-9a-fA-F]{0,5}",
        "[0-9]{1,22}",
        any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn bytes_to_text_to_bytes_is_the_identity(bytes in program_bytes()) {
        round_trip(&bytes);
    }

    #[test]
    fn random_bytes_that_parse_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        match Program::parse(&bytes) {
            Ok(_) => { round_trip(&bytes); }
            Err(_) => prop_assert!(matches!(disassemble(&bytes), Err(AsmError::Decode(_)))),
        }
    }

    #[test]
    fn layout_and_comments_do_not_change_the_bytes(
        bytes in program_bytes(),
        seps in proptest::collection::vec(0usize..5, 64),
    ) {
        // The disassembly with its line breaks replaced by other separators
        // (`;`, comments, blank lines, extra blanks) assembles the same.
        let text = disassemble(&bytes).unwrap();
        let mut relaid = String::new();
        for (i, line) in text.lines().enumerate() {
            relaid.push_str(line.trim_start());
            relaid.push_str(match seps[i % seps.len()] {
                0 => "\n",
                1 => " ;",
                2 => "  # a comment; with } and {\n",
                3 => "\n\n\t",
                _ => ";;\r\n",
            });
        }
        prop_assert_eq!(assemble(&relaid, &Params::new()).unwrap(), bytes, "{}", relaid);
    }

    #[test]
    fn the_parser_never_panics(text in text()) {
        let mut params = Params::new();
        params.insert("p", "u32:1").insert("q", vec![1u8, 2, 3]);
        if let Ok(bytes) = assemble(&text, &params) {
            // What assembles also disassembles and comes back the same.
            round_trip(&bytes);
        }
    }
}

fn json(text: &str) -> Json {
    serde_json::from_str(text).unwrap()
}

#[test]
fn every_vector_program_round_trips() {
    let reference = json(include_str!(
        "../../../tests/vectors/zkvm-reference-txs.json"
    ));
    let generated = json(include_str!(
        "../../../tests/vectors/zkvm-generated-txs.json"
    ));
    let mut count = 0;
    for case in reference["valid"].as_array().unwrap() {
        let program = hex::decode(case["program_hex"].as_str().unwrap()).unwrap();
        round_trip(&program);
        count += 1;
    }
    for set in [
        &reference["valid"],
        &reference["invalid"],
        &generated["valid"],
    ] {
        for case in set.as_array().unwrap() {
            let tx = hex::decode(case["tx_hex"].as_str().unwrap()).unwrap();
            if let Ok(tx) = Tx::from_bytes(&tx) {
                if Program::parse(&tx.program).is_ok() {
                    round_trip(&tx.program);
                    count += 1;
                }
            }
        }
    }
    assert!(count >= 8 + 6, "{count}");
}

#[test]
fn a_reference_program_disassembles_to_readable_text() {
    let reference = json(include_str!(
        "../../../tests/vectors/zkvm-reference-txs.json"
    ));
    let case = reference["valid"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "payment_1x2")
        .unwrap();
    let program = hex::decode(case["program_hex"].as_str().unwrap()).unwrap();
    let text = round_trip(&program);
    for line in ["input", "signtx", "cloak:1:2", "output:1"] {
        assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
    }
}

#[test]
fn assembled_programs_match_the_builder() {
    let mut params = Params::new();
    params.insert("qty", 10u64).insert("fee", "u32:5");
    let text = "
        # a fee, then a nested program that drops its argument
        push $fee; fee
        push $qty
        program {
            drop
        }
        dup:1
        cloak:1:2
    ";
    let built = Program::build(|p| {
        p.push(Data::U32(5))
            .fee()
            .push(zkvm::ScalarWitness::Integer(10u64.into()))
            .program(Program::build(|q| q.drop()))
            .dup(1)
            .cloak(1, 2)
    });
    let assembled = assemble_program(text, &params).unwrap();
    assert_eq!(assembled.encode_to_vec(), built.encode_to_vec());
}

#[test]
fn the_instruction_display_form_assembles() {
    // `Instruction`'s Display (`push:0x…`, `program:0x…`) is accepted too.
    let bytes = [0x00, 1, 0, 0, 0, 9, 0x01, 1, 0, 0, 0, 0x02, 0x24];
    let program = Program::parse(&bytes).unwrap();
    assert_eq!(
        assemble(&program.to_string(), &Params::new()).unwrap(),
        bytes
    );
}

#[test]
fn errors_name_line_and_column() {
    let e = assemble("push 1\ndrop\n  dup:x\n", &Params::new()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 3, column 7: expected a number after `dup:`, found `x`"
    );
    assert!(matches!(
        e,
        AsmError::Expected {
            line: 3,
            column: 7,
            ..
        }
    ));
    let e = assemble("program {\n  push 0x0\n}", &Params::new()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 2, column 11: expected an even number of hex digits, found end of line"
    );
    let e = assemble("push point:0x01", &Params::new()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 1, column 12: a point is 32 bytes, not 1"
    );
}

#[test]
fn oversized_text_is_refused() {
    let text = " ".repeat(zkvm::asm::MAX_TEXT_BYTES + 1);
    assert_eq!(
        assemble(&text, &Params::new()).unwrap_err().to_string(),
        format!("text is larger than {} bytes", zkvm::asm::MAX_TEXT_BYTES)
    );
}
