//! Tokens of the assembly text (docs/spec/asm.md §Lexical structure).
//!
//! The lexer works on bytes, counting columns in characters (a UTF-8
//! continuation byte does not start a new column), and yields one token
//! at a time so memory stays proportional to the input.

use super::AsmError;

/// A token's kind and payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A mnemonic or literal tag: `[A-Za-z_][A-Za-z0-9_]*`.
    Word(String),
    /// A decimal integer that fits in a `u64`.
    Number(u64),
    /// `0x` and an even number of hex digits, decoded.
    Hex(Vec<u8>),
    /// A quoted string, unescaped.
    Str(Vec<u8>),
    /// `$name`, without the `$`.
    Param(String),
    /// `:`.
    Colon,
    /// `{`.
    LBrace,
    /// `}`.
    RBrace,
    /// `;`.
    Semi,
    /// A line break.
    Newline,
    /// The end of the text.
    Eof,
}

impl Tok {
    /// How an error message names this token.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Word(w) => format!("`{w}`"),
            Tok::Number(n) => format!("`{n}`"),
            Tok::Hex(b) if b.len() <= 8 => format!("`0x{}`", crate::instruction::hex(b)),
            Tok::Hex(b) => format!("a hex literal of {} bytes", b.len()),
            Tok::Str(_) => "a string".to_string(),
            Tok::Param(p) => format!("`${p}`"),
            Tok::Colon => "`:`".to_string(),
            Tok::LBrace => "`{`".to_string(),
            Tok::RBrace => "`}`".to_string(),
            Tok::Semi => "`;`".to_string(),
            Tok::Newline => "end of line".to_string(),
            Tok::Eof => "end of input".to_string(),
        }
    }
}

/// A token and where it starts (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) line: usize,
    pub(crate) column: usize,
}

/// The lexer over one text.
pub(crate) struct Lexer<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
    column: usize,
}

fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `text`.
    pub(crate) fn new(text: &'a str) -> Self {
        Lexer {
            text: text.as_bytes(),
            pos: 0,
            line: 1,
            column: 1,
        }
    }

    fn peek_byte(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn peek_byte_at(&self, ahead: usize) -> Option<u8> {
        self.text.get(self.pos + ahead).copied()
    }

    /// Advances over one byte, keeping line and column.
    fn bump(&mut self) -> Option<u8> {
        let b = self.peek_byte()?;
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
            self.column = 1;
        } else if b & 0xc0 != 0x80 {
            self.column += 1;
        }
        Some(b)
    }

    /// The character at the current position, for error messages.
    fn current_char(&self) -> String {
        let rest = &self.text[self.pos.min(self.text.len())..];
        match core::str::from_utf8(rest) {
            Ok(s) => s.chars().next().map(describe_char).unwrap_or_else(eoi),
            Err(e) => core::str::from_utf8(&rest[..e.valid_up_to()])
                .ok()
                .and_then(|s| s.chars().next())
                .map(describe_char)
                .unwrap_or_else(eoi),
        }
    }

    fn expected(&self, expected: impl Into<String>) -> AsmError {
        AsmError::Expected {
            line: self.line,
            column: self.column,
            expected: expected.into(),
            found: self.current_char(),
        }
    }

    /// The next token.
    pub(crate) fn next_token(&mut self) -> Result<Token, AsmError> {
        // Blanks and comments.
        loop {
            match self.peek_byte() {
                Some(b' ' | b'\t' | b'\r') => {
                    self.bump();
                }
                Some(b'#') => {
                    while !matches!(self.peek_byte(), None | Some(b'\n')) {
                        self.bump();
                    }
                }
                _ => break,
            }
        }
        let (line, column) = (self.line, self.column);
        let token = |tok| Token { tok, line, column };
        let Some(b) = self.peek_byte() else {
            return Ok(token(Tok::Eof));
        };
        let simple = match b {
            b'\n' => Some(Tok::Newline),
            b';' => Some(Tok::Semi),
            b':' => Some(Tok::Colon),
            b'{' => Some(Tok::LBrace),
            b'}' => Some(Tok::RBrace),
            _ => None,
        };
        if let Some(tok) = simple {
            self.bump();
            return Ok(token(tok));
        }
        if b == b'$' {
            self.bump();
            if !self.peek_byte().is_some_and(is_word_start) {
                return Err(self.expected("a parameter name after `$`"));
            }
            return Ok(token(Tok::Param(self.word())));
        }
        if b == b'"' {
            self.bump();
            return self.string().map(token);
        }
        if b.is_ascii_digit() {
            if b == b'0' && matches!(self.peek_byte_at(1), Some(b'x' | b'X')) {
                self.bump();
                self.bump();
                return self.hex().map(token);
            }
            return self.number().map(token);
        }
        if is_word_start(b) {
            return Ok(token(Tok::Word(self.word())));
        }
        Err(self.expected("an instruction, a literal or a separator"))
    }

    fn word(&mut self) -> String {
        let start = self.pos;
        while self.peek_byte().is_some_and(is_word) {
            self.bump();
        }
        String::from_utf8_lossy(&self.text[start..self.pos]).into_owned()
    }

    fn hex(&mut self) -> Result<Tok, AsmError> {
        let mut bytes = Vec::new();
        let mut high: Option<u8> = None;
        while let Some(b) = self.peek_byte().filter(|b| is_word(*b)) {
            let Some(nibble) = (b as char).to_digit(16) else {
                return Err(self.expected("a hex digit"));
            };
            // A digit is below 16, so the cast is exact.
            let nibble = nibble as u8;
            self.bump();
            high = match high {
                None => Some(nibble),
                Some(h) => {
                    bytes.push(h << 4 | nibble);
                    None
                }
            };
        }
        if high.is_some() {
            return Err(self.expected("an even number of hex digits"));
        }
        Ok(Tok::Hex(bytes))
    }

    fn number(&mut self) -> Result<Tok, AsmError> {
        let (line, column) = (self.line, self.column);
        let mut n: u64 = 0;
        let mut overflow = false;
        while let Some(b) = self.peek_byte().filter(|b| is_word(*b)) {
            if !b.is_ascii_digit() {
                return Err(self.expected("a decimal digit"));
            }
            self.bump();
            match n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(b - b'0')))
            {
                Some(m) => n = m,
                None => overflow = true,
            }
        }
        if overflow {
            return Err(AsmError::Invalid {
                line,
                column,
                message: format!("number is larger than {}", u64::MAX),
            });
        }
        Ok(Tok::Number(n))
    }

    fn string(&mut self) -> Result<Tok, AsmError> {
        let mut bytes = Vec::new();
        loop {
            match self.peek_byte() {
                None | Some(b'\n') => return Err(self.expected("`\"` to close the string")),
                Some(b'"') => {
                    self.bump();
                    return Ok(Tok::Str(bytes));
                }
                Some(b'\\') => {
                    self.bump();
                    let escaped =
                        match self.peek_byte() {
                            Some(b'\\') => b'\\',
                            Some(b'"') => b'"',
                            Some(b'n') => b'\n',
                            Some(b't') => b'\t',
                            Some(b'r') => b'\r',
                            Some(b'0') => 0,
                            Some(b'x') => {
                                self.bump();
                                let mut value = 0u8;
                                for _ in 0..2 {
                                    let digit = self
                                        .peek_byte()
                                        .and_then(|b| (b as char).to_digit(16))
                                        .ok_or_else(|| self.expected("a hex digit in `\\x`"))?;
                                    self.bump();
                                    // A hex digit is below 16.
                                    value = value << 4 | digit as u8;
                                }
                                bytes.push(value);
                                continue;
                            }
                            _ => return Err(self.expected(
                                "an escape (`\\\\`, `\\\"`, `\\n`, `\\t`, `\\r`, `\\0` or `\\xHH`)",
                            )),
                        };
                    self.bump();
                    bytes.push(escaped);
                }
                Some(b) if (0x20..0x7f).contains(&b) => {
                    self.bump();
                    bytes.push(b);
                }
                Some(_) => {
                    return Err(
                        self.expected("printable ASCII in a string (write others as `\\xHH`)")
                    )
                }
            }
        }
    }
}

fn eoi() -> String {
    "end of input".to_string()
}

fn describe_char(c: char) -> String {
    match c {
        '\n' => "end of line".to_string(),
        c if c.is_control() => format!("{c:?}"),
        c => format!("`{c}`"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        let mut l = Lexer::new(text);
        let mut out = Vec::new();
        loop {
            let t = l.next_token().unwrap();
            if t.tok == Tok::Eof {
                return out;
            }
            out.push(t.tok);
        }
    }

    #[test]
    fn tokens_of_each_kind() {
        assert_eq!(
            toks("dup:3 # comment\n push 0xAb01;\"a\\x00\\n\" $p_1 { } 42"),
            vec![
                Tok::Word("dup".into()),
                Tok::Colon,
                Tok::Number(3),
                Tok::Newline,
                Tok::Word("push".into()),
                Tok::Hex(vec![0xab, 1]),
                Tok::Semi,
                Tok::Str(vec![b'a', 0, b'\n']),
                Tok::Param("p_1".into()),
                Tok::LBrace,
                Tok::RBrace,
                Tok::Number(42),
            ]
        );
        assert_eq!(toks("0x"), vec![Tok::Hex(vec![])]);
    }

    #[test]
    fn positions_count_characters() {
        let mut l = Lexer::new("# é\n  é");
        assert_eq!(l.next_token().unwrap().tok, Tok::Newline);
        let e = l.next_token().unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2, column 3: expected an instruction, a literal or a separator, found `é`"
        );
    }

    #[test]
    fn lexical_errors() {
        let err = |t: &str| {
            let mut l = Lexer::new(t);
            loop {
                match l.next_token() {
                    Err(e) => return e.to_string(),
                    Ok(tok) if tok.tok == Tok::Eof => return "no error".into(),
                    Ok(_) => {}
                }
            }
        };
        assert_eq!(
            err("push 0xabc"),
            "line 1, column 11: expected an even number of hex digits, found end of input"
        );
        assert_eq!(
            err("push 0xag"),
            "line 1, column 9: expected a hex digit, found `g`"
        );
        assert_eq!(
            err("push 12a"),
            "line 1, column 8: expected a decimal digit, found `a`"
        );
        assert_eq!(
            err("push 18446744073709551616"),
            "line 1, column 6: number is larger than 18446744073709551615"
        );
        assert_eq!(
            err("push \"ab\ncd\""),
            "line 1, column 9: expected `\"` to close the string, found end of line"
        );
        assert_eq!(
            err("$ x"),
            "line 1, column 2: expected a parameter name after `$`, found ` `"
        );
        assert!(err("push \"\\q\"").contains("expected an escape"));
        assert!(err("push \"é\"").contains("printable ASCII"));
    }
}
