//! The disassembler (docs/spec/asm.md §Disassembly): bytecode to text that
//! assembles back to the same bytes.

use core::fmt::Write;

use super::{AsmError, MAX_DISASSEMBLY_BYTES, MAX_NESTING};
use crate::instruction::hex;
use crate::{Instruction, Program, ProgramItem};

/// Indentation of one block level.
const INDENT: &str = "  ";

/// Blocks deeper than this are not indented further, which bounds the
/// text's size (docs/spec/asm.md §Limits).
const MAX_INDENT_LEVELS: usize = 16;

/// Prints bytecode as assembly, one instruction a line: data as `0x…`, a
/// `program` immediate as a `program { … }` block when it parses as a
/// program and nests at most [`MAX_NESTING`] deep, else as `program 0x…`.
/// `assemble(disassemble(b)?, &Params::new())` is `b` for every `b` that
/// [`Program::parse`] accepts (up to [`MAX_DISASSEMBLY_BYTES`]).
pub fn disassemble(bytes: &[u8]) -> Result<String, AsmError> {
    if bytes.len() > MAX_DISASSEMBLY_BYTES {
        return Err(AsmError::TooLarge {
            what: "bytecode",
            limit: MAX_DISASSEMBLY_BYTES,
        });
    }
    let program = Program::parse(bytes).map_err(AsmError::Decode)?;
    let mut out = String::with_capacity(bytes.len().saturating_mul(3));
    print_program(&mut out, &program, 0);
    Ok(out)
}

fn print_program(out: &mut String, program: &Program, depth: usize) {
    let indent = INDENT.repeat(depth.min(MAX_INDENT_LEVELS));
    for instruction in program.instructions() {
        out.push_str(&indent);
        match instruction {
            Instruction::Push(data) => {
                out.push_str("push 0x");
                out.push_str(&hex(&data.to_bytes()));
            }
            Instruction::Program(item) => {
                let bytes = item.to_bytes();
                let nested = match item {
                    _ if depth >= MAX_NESTING => None,
                    ProgramItem::Program(p) => Some(p.clone()),
                    ProgramItem::Bytecode(b) => Program::parse(b).ok(),
                };
                match nested {
                    Some(p) if p.instructions().is_empty() => out.push_str("program {}"),
                    Some(p) => {
                        out.push_str("program {\n");
                        print_program(out, &p, depth + 1);
                        out.push_str(&indent);
                        out.push('}');
                    }
                    None => {
                        out.push_str("program 0x");
                        out.push_str(&hex(&bytes));
                    }
                }
            }
            // Writing to a String cannot fail.
            other => {
                let _ = write!(out, "{other}");
            }
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::{assemble, Params};
    use super::*;

    fn round_trip(bytes: &[u8]) -> String {
        let text = disassemble(bytes).unwrap();
        assert_eq!(assemble(&text, &Params::new()).unwrap(), bytes, "{text}");
        text
    }

    #[test]
    fn prints_blocks_and_hex() {
        let text = round_trip(&[
            0x01, 6, 0, 0, 0, 0x02, 0x01, 0, 0, 0, 0, 0x00, 1, 0, 0, 0, 7, 0x23,
        ]);
        assert_eq!(
            text,
            "program {\n  drop\n  program {}\n}\npush 0x07\next:0x23\n"
        );
        // A nested program that does not parse stays hex.
        assert_eq!(round_trip(&[0x01, 1, 0, 0, 0, 0x00]), "program 0x00\n");
        assert_eq!(round_trip(&[0x18, 1, 0, 0, 0, 2, 0, 0, 0]), "cloak:1:2\n");
        assert_eq!(round_trip(&[]), "");
    }

    #[test]
    fn deep_nesting_falls_back_to_hex() {
        let mut bytes = vec![0x02];
        for _ in 0..70 {
            let mut outer = vec![0x01];
            outer.extend((bytes.len() as u32).to_le_bytes());
            outer.extend(bytes);
            bytes = outer;
        }
        let text = round_trip(&bytes);
        assert!(text.contains("program 0x"));
        assert_eq!(text.matches('{').count(), 64);
    }

    #[test]
    fn rejects_what_does_not_parse() {
        assert!(matches!(disassemble(&[0x03, 1]), Err(AsmError::Decode(_))));
        assert!(matches!(
            disassemble(&vec![0x02; MAX_DISASSEMBLY_BYTES + 1]),
            Err(AsmError::TooLarge { .. })
        ));
    }
}
