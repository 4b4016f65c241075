//! The parser: tokens to a [`Program`] (docs/spec/asm.md §Grammar).

use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;

use super::lexer::{Lexer, Tok, Token};
use super::{AsmError, ParamValue, Params, MAX_ASSEMBLED_BYTES, MAX_NESTING};
use crate::{Data, Encodable, Instruction, Opcode, ProgramItem, Reader};

/// A literal's value before its context decides its bytes
/// (docs/spec/asm.md §Literals).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Lit {
    /// A bare decimal number: a 32-byte scalar as data, an `LE32` as an
    /// immediate.
    Number(u64),
    /// Bytes.
    Bytes(Vec<u8>),
}

/// Assembles a whole text into bytecode, written as it is parsed (no
/// instruction list is built, so memory stays within the output bound).
pub(super) fn parse(text: &str, params: &Params) -> Result<Vec<u8>, AsmError> {
    let mut p = Parser {
        lexer: Lexer::new(text),
        peeked: None,
        params,
        out: Vec::new(),
    };
    p.block(0)?;
    let end = p.next()?;
    match &end.tok {
        Tok::Eof => Ok(p.out),
        other => Err(expected(&end, "an instruction", other)),
    }
}

fn expected(at: &Token, what: &str, found: &Tok) -> AsmError {
    AsmError::Expected {
        line: at.line,
        column: at.column,
        expected: what.to_string(),
        found: found.describe(),
    }
}

fn invalid(at: &Token, message: String) -> AsmError {
    AsmError::Invalid {
        line: at.line,
        column: at.column,
        message,
    }
}

/// The 32-byte little-endian scalar of `n`.
fn scalar_bytes(n: u64) -> Vec<u8> {
    let mut b = vec![0u8; 32];
    b[..8].copy_from_slice(&n.to_le_bytes());
    b
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    peeked: Option<Token>,
    params: &'a Params,
    /// The bytecode so far.
    out: Vec<u8>,
}

impl Parser<'_> {
    fn next(&mut self) -> Result<Token, AsmError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lexer.next_token(),
        }
    }

    fn peek(&mut self) -> Result<&Tok, AsmError> {
        let t = match self.peeked.take() {
            Some(t) => t,
            None => self.lexer.next_token()?,
        };
        Ok(&self.peeked.insert(t).tok)
    }

    /// Checks that `n` more bytes stay within the output bound.
    fn grow(&self, n: usize) -> Result<(), AsmError> {
        if self.out.len().saturating_add(n) > MAX_ASSEMBLED_BYTES {
            return Err(AsmError::TooLarge {
                what: "assembled program",
                limit: MAX_ASSEMBLED_BYTES,
            });
        }
        Ok(())
    }

    /// Instructions up to (not including) `}` or the end of the text;
    /// `depth` counts the enclosing blocks.
    fn block(&mut self, depth: usize) -> Result<(), AsmError> {
        loop {
            match self.peek()? {
                Tok::Newline | Tok::Semi => {
                    self.next()?;
                    continue;
                }
                Tok::RBrace | Tok::Eof => return Ok(()),
                _ => {}
            }
            if let Some(instruction) = self.instruction(depth)? {
                self.grow(instruction.encoded_size())?;
                instruction.encode(&mut self.out);
            }
            let after = self.peek()?.clone();
            match after {
                Tok::Newline | Tok::Semi | Tok::RBrace | Tok::Eof => {}
                other => {
                    let at = self.next()?;
                    return Err(expected(
                        &at,
                        "`;` or a new line after the instruction",
                        &other,
                    ));
                }
            }
        }
    }

    /// One instruction; a `program { … }` block is written at once (and
    /// `None` returned), anything else is returned for the caller to write.
    fn instruction(&mut self, depth: usize) -> Result<Option<Instruction>, AsmError> {
        let at = self.next()?;
        let Tok::Word(word) = &at.tok else {
            return Err(expected(&at, "an instruction", &at.tok));
        };
        let instruction = match word.as_str() {
            "push" => {
                self.optional_colon()?;
                let data = match self.literal("data after `push`")? {
                    (_, Lit::Number(n)) => scalar_bytes(n),
                    (_, Lit::Bytes(b)) => b,
                };
                Instruction::Push(Data::Opaque(data))
            }
            "program" => {
                self.optional_colon()?;
                if *self.peek()? == Tok::LBrace {
                    let open = self.next()?;
                    if depth >= MAX_NESTING {
                        return Err(invalid(
                            &open,
                            format!("program blocks nested deeper than {MAX_NESTING}"),
                        ));
                    }
                    self.grow(5)?;
                    self.out.push(Opcode::Program as u8);
                    let at = self.out.len();
                    self.out.extend([0u8; 4]);
                    self.block(depth + 1)?;
                    let close = self.next()?;
                    if close.tok != Tok::RBrace {
                        return Err(expected(
                            &close,
                            "`}` to close the program block",
                            &close.tok,
                        ));
                    }
                    // Within the output bound, so the length fits.
                    let n = u32::try_from(self.out.len() - at - 4).unwrap_or(u32::MAX);
                    self.out[at..at + 4].copy_from_slice(&n.to_le_bytes());
                    return Ok(None);
                } else {
                    match self.literal("`{` or bytes after `program`")? {
                        (t, Lit::Number(_)) => {
                            return Err(expected(&t, "`{` or bytes after `program`", &t.tok))
                        }
                        (_, Lit::Bytes(b)) => Instruction::Program(ProgramItem::Bytecode(b)),
                    }
                }
            }
            "dup" | "roll" | "output" | "contract" => {
                let k = self.immediate(word)?;
                match word.as_str() {
                    "dup" => Instruction::Dup(k),
                    "roll" => Instruction::Roll(k),
                    "output" => Instruction::Output(k),
                    _ => Instruction::Contract(k),
                }
            }
            "cloak" => {
                let m = self.immediate("cloak")?;
                let n = self.immediate(&format!("cloak:{m}"))?;
                Instruction::Cloak(m, n)
            }
            "ext" => {
                self.colon_after("ext")?;
                let (t, lit) = self.literal("an opcode after `ext:`")?;
                let byte = match lit {
                    Lit::Number(n) => u8::try_from(n).ok(),
                    Lit::Bytes(b) if b.len() == 1 => b.first().copied(),
                    Lit::Bytes(_) => None,
                };
                match byte {
                    Some(b) if Opcode::from_byte(b).is_none() => Instruction::Ext(b),
                    _ => {
                        return Err(invalid(
                            &t,
                            "extension opcodes are single bytes from 0x23 to 0xff".to_string(),
                        ))
                    }
                }
            }
            name => match simple_instruction(name) {
                Some(i) => i,
                None => return Err(expected(&at, "an instruction", &at.tok)),
            },
        };
        Ok(Some(instruction))
    }

    fn optional_colon(&mut self) -> Result<(), AsmError> {
        if *self.peek()? == Tok::Colon {
            self.next()?;
        }
        Ok(())
    }

    fn colon_after(&mut self, what: &str) -> Result<(), AsmError> {
        let t = self.next()?;
        match &t.tok {
            Tok::Colon => Ok(()),
            other => Err(expected(&t, &format!("`:` after `{what}`"), other)),
        }
    }

    /// `:k` after `mnemonic`: an `LE32` immediate.
    fn immediate(&mut self, mnemonic: &str) -> Result<usize, AsmError> {
        self.colon_after(mnemonic)?;
        let what = format!("a number after `{mnemonic}:`");
        let (t, lit) = self.literal(&what)?;
        match lit {
            Lit::Number(n) => match u32::try_from(n) {
                // Every `u32` fits in a `usize` on the platforms we build for.
                Ok(k) => usize::try_from(k).map_err(|_| invalid(&t, "number too large".into())),
                Err(_) => Err(invalid(
                    &t,
                    format!(
                        "{n} does not fit in an LE32 immediate (at most {})",
                        u32::MAX
                    ),
                )),
            },
            Lit::Bytes(_) => Err(expected(&t, &what, &t.tok)),
        }
    }

    /// One literal, parameters filled in; returns its first token too.
    fn literal(&mut self, what: &str) -> Result<(Token, Lit), AsmError> {
        let t = self.next()?;
        let params = self.params;
        let resolve = |at: &Token, name: &str, what: &str| param(params, at, name, what);
        let mut next = || self.next();
        let lit = literal_from(&t, what, &mut next, &resolve)?;
        Ok((t, lit))
    }
}

/// The value of parameter `name`, used at `at` where `what` is expected.
fn param(params: &Params, at: &Token, name: &str, what: &str) -> Result<Lit, AsmError> {
    let Some(value) = params.get(name) else {
        return Err(invalid(at, format!("no value for parameter `${name}`")));
    };
    match value {
        ParamValue::Bytes(b) => Ok(Lit::Bytes(b.clone())),
        ParamValue::Number(n) => Ok(Lit::Number(*n)),
        ParamValue::Literal(text) => {
            let bad = |e: AsmError| {
                invalid(
                    at,
                    format!("parameter `${name}` = {text:?}: {}", e.detail()),
                )
            };
            // A value may not use parameters, so values never refer to
            // each other.
            let nested = |t: &Token, p: &str, _: &str| {
                Err(invalid(
                    t,
                    format!("a parameter's value cannot use another parameter (`${p}`)"),
                ))
            };
            let mut lexer = Lexer::new(text);
            let mut next = || lexer.next_token();
            let first = next().map_err(bad)?;
            let lit = literal_from(&first, what, &mut next, &nested).map_err(bad)?;
            let end = next().map_err(bad)?;
            match &end.tok {
                Tok::Eof | Tok::Newline => Ok(lit),
                other => Err(bad(expected(&end, "the end of the value", other))),
            }
        }
    }
}

/// Resolves `$name` at a token, given what the grammar expects there.
type Resolve<'r> = dyn Fn(&Token, &str, &str) -> Result<Lit, AsmError> + 'r;

/// A literal starting at token `t`; `next` yields the tokens after it and
/// `resolve` fills parameters.
fn literal_from(
    t: &Token,
    what: &str,
    next: &mut dyn FnMut() -> Result<Token, AsmError>,
    resolve: &Resolve<'_>,
) -> Result<Lit, AsmError> {
    match &t.tok {
        Tok::Number(n) => Ok(Lit::Number(*n)),
        Tok::Hex(b) | Tok::Str(b) => Ok(Lit::Bytes(b.clone())),
        Tok::Param(name) => resolve(t, name, what),
        Tok::Word(tag) if matches!(tag.as_str(), "u32" | "u64" | "scalar" | "point") => {
            let colon = next()?;
            if colon.tok != Tok::Colon {
                return Err(expected(&colon, &format!("`:` after `{tag}`"), &colon.tok));
            }
            let v = next()?;
            let want = match tag.as_str() {
                "u32" | "u64" => format!("a number after `{tag}:`"),
                "scalar" => "a number or 32 hex bytes after `scalar:`".to_string(),
                _ => "32 hex bytes after `point:`".to_string(),
            };
            let value = match &v.tok {
                Tok::Number(n) => Lit::Number(*n),
                Tok::Hex(b) => Lit::Bytes(b.clone()),
                Tok::Param(name) => resolve(&v, name, &want)?,
                other => return Err(expected(&v, &want, other)),
            };
            typed(&v, tag, value)
        }
        other => Err(expected(t, what, other)),
    }
}

/// The bytes of `tag:value`.
fn typed(at: &Token, tag: &str, value: Lit) -> Result<Lit, AsmError> {
    match (tag, value) {
        ("u32", Lit::Number(n)) => match u32::try_from(n) {
            Ok(x) => Ok(Lit::Bytes(x.to_le_bytes().to_vec())),
            Err(_) => Err(invalid(at, format!("{n} does not fit in u32"))),
        },
        ("u64", Lit::Number(n)) => Ok(Lit::Bytes(n.to_le_bytes().to_vec())),
        ("scalar", Lit::Number(n)) => Ok(Lit::Bytes(scalar_bytes(n))),
        ("scalar", Lit::Bytes(b)) => {
            let arr: [u8; 32] = b
                .as_slice()
                .try_into()
                .map_err(|_| invalid(at, format!("a scalar is 32 bytes, not {}", b.len())))?;
            if Option::<Scalar>::from(Scalar::from_canonical_bytes(arr)).is_none() {
                return Err(invalid(
                    at,
                    "scalar is not canonical (not below the group order)".into(),
                ));
            }
            Ok(Lit::Bytes(b))
        }
        ("point", Lit::Bytes(b)) => {
            let arr: [u8; 32] = b
                .as_slice()
                .try_into()
                .map_err(|_| invalid(at, format!("a point is 32 bytes, not {}", b.len())))?;
            if CompressedRistretto(arr).decompress().is_none() {
                return Err(invalid(
                    at,
                    "not a canonical Ristretto point encoding".into(),
                ));
            }
            Ok(Lit::Bytes(b))
        }
        (tag, Lit::Bytes(_)) => Err(invalid(at, format!("`{tag}:` takes a number, not hex"))),
        (_, Lit::Number(_)) => Err(invalid(
            at,
            "`point:` takes 32 hex bytes, not a number".into(),
        )),
    }
}

/// An instruction without immediates, by its spec name.
fn simple_instruction(name: &str) -> Option<Instruction> {
    let op = (0u8..=0x22)
        .filter_map(Opcode::from_byte)
        .find(|op| op.name() == name)?;
    if matches!(
        op,
        Opcode::Push
            | Opcode::Program
            | Opcode::Dup
            | Opcode::Roll
            | Opcode::Cloak
            | Opcode::Output
            | Opcode::Contract
    ) {
        return None;
    }
    let byte = [op as u8];
    Instruction::decode(&mut Reader::new(&byte)).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::{assemble, Params};

    /// The Ristretto basepoint.
    const G: &str = "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76";

    fn asm(text: &str) -> Vec<u8> {
        assemble(text, &Params::new()).unwrap()
    }

    fn err(text: &str) -> String {
        assemble(text, &Params::new()).unwrap_err().to_string()
    }

    #[test]
    fn simple_and_immediate_instructions() {
        assert_eq!(asm("drop; signtx\nsigntag"), [0x02, 0x20, 0x22]);
        assert_eq!(asm("dup:3"), [0x03, 3, 0, 0, 0]);
        assert_eq!(asm("cloak:1:2"), [0x18, 1, 0, 0, 0, 2, 0, 0, 0]);
        assert_eq!(asm("ext:0x23; ext:255"), [0x23, 0xff]);
        assert_eq!(asm(""), Vec::<u8>::new());
        assert_eq!(asm("\n;; # nothing\n"), Vec::<u8>::new());
    }

    #[test]
    fn literals() {
        let mut n = vec![0x00, 32, 0, 0, 0, 42];
        n.extend([0u8; 31]);
        assert_eq!(asm("push 42"), n);
        assert_eq!(asm("push scalar:42"), n);
        assert_eq!(asm("push u32:7"), [0, 4, 0, 0, 0, 7, 0, 0, 0]);
        assert_eq!(asm("push u64:7"), [0, 8, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(asm("push \"a\\\"\""), [0, 2, 0, 0, 0, b'a', b'"']);
        assert_eq!(asm("push 0x"), [0, 0, 0, 0, 0]);
        assert_eq!(asm("push:0xff"), [0, 1, 0, 0, 0, 0xff]);
        // The Ristretto basepoint is canonical.
        assert_eq!(asm(&format!("push point:0x{G}")).len(), 37);
        assert!(err(&format!("push point:0x{}", "ff".repeat(32))).contains("not a canonical"));
        assert!(err(&format!("push scalar:0x{}", "ff".repeat(32))).contains("not canonical"));
        assert!(err("push point:0x00").contains("a point is 32 bytes, not 1"));
        assert!(err("push u32:4294967296").contains("does not fit in u32"));
    }

    #[test]
    fn nested_blocks() {
        assert_eq!(
            asm("program { drop; program {} }\neval"),
            [0x01, 6, 0, 0, 0, 0x02, 0x01, 0, 0, 0, 0, 0x1e]
        );
        assert_eq!(asm("program {\n}"), [0x01, 0, 0, 0, 0]);
        assert_eq!(asm("program 0x02"), [0x01, 1, 0, 0, 0, 0x02]);
        let deep = |n: usize| "program {".repeat(n) + &"}".repeat(n);
        assert!(assemble(&deep(64), &Params::new()).is_ok());
        assert_eq!(
            err(&deep(65)),
            "line 1, column 585: program blocks nested deeper than 64"
        );
    }

    #[test]
    fn parameters() {
        let mut p = Params::new();
        p.insert("price", "u64:5")
            .insert("$key", vec![1u8, 2])
            .insert("k", 2u64)
            .insert("bad", "zz")
            .insert("loop", "$price");
        assert_eq!(
            assemble("push $price; push $key; dup:$k", &p).unwrap(),
            [0, 8, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1, 2, 3, 2, 0, 0, 0]
        );
        assert_eq!(
            assemble(
                "push u32:$k; push point:$g",
                p.clone().insert("g", format!("0x{G}"))
            )
            .unwrap()[..9],
            [0, 4, 0, 0, 0, 2, 0, 0, 0]
        );
        let e = |t: &str| assemble(t, &p).unwrap_err().to_string();
        assert_eq!(
            e("push $nope"),
            "line 1, column 6: no value for parameter `$nope`"
        );
        assert_eq!(
            e("drop\npush $bad"),
            "line 2, column 6: parameter `$bad` = \"zz\": expected data after `push`, found `zz`"
        );
        assert!(e("push $loop").contains("cannot use another parameter"));
        assert_eq!(
            e("dup:$key"),
            "line 1, column 5: expected a number after `dup:`, found `$key`"
        );
    }

    #[test]
    fn error_positions() {
        assert_eq!(
            err("drop\n\n  dup:x"),
            "line 3, column 7: expected a number after `dup:`, found `x`"
        );
        assert_eq!(
            err("dup 3"),
            "line 1, column 5: expected `:` after `dup`, found `3`"
        );
        assert_eq!(
            err("drop drop"),
            "line 1, column 6: expected `;` or a new line after the instruction, found `drop`"
        );
        assert_eq!(
            err("frob"),
            "line 1, column 1: expected an instruction, found `frob`"
        );
        assert_eq!(
            err("}"),
            "line 1, column 1: expected an instruction, found `}`"
        );
        assert_eq!(
            err("program { drop"),
            "line 1, column 15: expected `}` to close the program block, found end of input"
        );
        assert_eq!(
            err("ext:0x22"),
            "line 1, column 5: extension opcodes are single bytes from 0x23 to 0xff"
        );
        assert_eq!(
            err("roll:4294967296"),
            "line 1, column 6: 4294967296 does not fit in an LE32 immediate (at most 4294967295)"
        );
        assert_eq!(
            err("push"),
            "line 1, column 5: expected data after `push`, found end of input"
        );
    }

    #[test]
    fn output_size_is_bounded() {
        let mut p = Params::new();
        p.insert("big", vec![0u8; 1 << 20]);
        let text = "push $big\n".repeat(17);
        assert_eq!(
            assemble(&text, &p).unwrap_err().to_string(),
            "assembled program is larger than 16777216 bytes"
        );
    }
}
