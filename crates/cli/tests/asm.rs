#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `zkvm asm` and `zkvm disasm` (docs/spec/asm.md), and the assembly in
//! `zkvm tx decode`, run as the built binary.

mod common;

use std::process::Output;

use common::binary::{case, one_line_error, run, vectors, TempFile};
use serde_json::Value as Json;

fn reference(name: &str) -> Json {
    case(&vectors(), name).clone()
}

fn ok(out: &Output) -> Vec<u8> {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout.clone()
}

fn ok_text(out: &Output) -> String {
    String::from_utf8(ok(out)).unwrap()
}

const TEXT: &str = "# pay a fee, push a price
push $fee; fee
push $price
program {
  drop   # nested
}
";

/// `push u32:5; fee; push 7 (a scalar); program { drop }`.
fn expected_hex(fee: u32, price: u8) -> String {
    let mut b = vec![0x00, 4, 0, 0, 0];
    b.extend(fee.to_le_bytes());
    b.push(0x19);
    b.extend([0x00, 32, 0, 0, 0, price]);
    b.extend([0u8; 31]);
    b.extend([0x01, 1, 0, 0, 0, 0x02]);
    hex::encode(b)
}

#[test]
fn asm_fills_parameters_from_the_command_line_and_files() {
    let file = TempFile::new(".zkasm", TEXT.as_bytes());
    let path = file.path().to_str().unwrap();
    let out = run(
        &["asm", path, "--param", "fee=u32:5", "--param", "price=7"],
        b"",
    );
    assert_eq!(ok_text(&out), format!("{}\n", expected_hex(5, 7)));

    let toml = TempFile::new(".toml", b"fee = \"u32:9\"\nprice = 8\n");
    let out = run(
        &["asm", path, "--params", toml.path().to_str().unwrap()],
        b"",
    );
    assert_eq!(ok_text(&out), format!("{}\n", expected_hex(9, 8)));

    // JSON, and --param wins over the file.
    let json = TempFile::new(".json", br#"{"fee": "u32:1", "price": 3}"#);
    let out = run(
        &[
            "asm",
            "-",
            "--params",
            json.path().to_str().unwrap(),
            "--param",
            "price=4",
        ],
        TEXT.as_bytes(),
    );
    assert_eq!(ok_text(&out), format!("{}\n", expected_hex(1, 4)));
}

#[test]
fn disasm_of_a_reference_program_assembles_back() {
    let case = reference("payment_1x2");
    let program_hex = case["program_hex"].as_str().unwrap();
    let text = ok_text(&run(&["disasm", "-"], program_hex.as_bytes()));
    for line in ["input", "signtx", "cloak:1:2", "output:1"] {
        assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
    }
    let back = ok_text(&run(&["asm"], text.as_bytes()));
    assert_eq!(back.trim_end(), program_hex);
}

#[test]
fn round_trip_through_files_in_binary_and_hex() {
    let case = reference("eval_nested");
    let program = hex::decode(case["program_hex"].as_str().unwrap()).unwrap();
    let binary = TempFile::new(".bin", &program);
    let text = ok_text(&run(&["disasm", binary.path().to_str().unwrap()], b""));
    assert!(text.contains("program {"), "{text}");

    let source = TempFile::new(".zkasm", text.as_bytes());
    let bytes = ok(&run(
        &["asm", source.path().to_str().unwrap(), "--binary"],
        b"",
    ));
    assert_eq!(bytes, program);
    let hex_out = ok_text(&run(&["asm", source.path().to_str().unwrap()], b""));
    let hex_file = TempFile::new(".hex", hex_out.as_bytes());
    let again = ok_text(&run(&["disasm", hex_file.path().to_str().unwrap()], b""));
    assert_eq!(again, text);
}

#[test]
fn tx_decode_prints_the_program_as_assembly() {
    let case = reference("payment_1x2");
    let tx_hex = case["tx_hex"].as_str().unwrap();
    let text = ok_text(&run(&["tx", "decode", "-"], tx_hex.as_bytes()));
    assert!(text.contains("version: 1\n"), "{text}");
    let assembly: String = text
        .lines()
        .skip_while(|l| *l != "assembly:")
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .map(|l| format!("{}\n", &l[4..]))
        .collect();
    let back = ok_text(&run(&["asm"], assembly.as_bytes()));
    assert_eq!(back.trim_end(), case["program_hex"].as_str().unwrap());
}

#[test]
fn errors_are_one_line_with_line_and_column() {
    let file = TempFile::new(".zkasm", b"push 1\n\n  dup:x\n");
    let path = file.path().to_str().unwrap();
    let line = one_line_error(&run(&["asm", path], b""), "");
    assert_eq!(
        line,
        format!("error: {path}: line 3, column 7: expected a number after `dup:`, found `x`")
    );

    let line = one_line_error(&run(&["asm", "-"], TEXT.as_bytes()), "");
    assert_eq!(
        line,
        "error: <stdin>: line 2, column 6: no value for parameter `$fee`"
    );

    let line = one_line_error(&run(&["asm", "--param", "fee"], b""), "");
    assert!(line.contains("expected NAME=VALUE"), "{line}");

    let line = one_line_error(&run(&["asm", "--param", "1x=2"], b""), "");
    assert!(line.contains("is not a parameter name"), "{line}");

    // A truncated `dup` immediate.
    let line = one_line_error(&run(&["disasm", "-"], b"0301"), "");
    assert!(
        line.starts_with("error: <stdin>: bytecode is not a program: "),
        "{line}"
    );
}
