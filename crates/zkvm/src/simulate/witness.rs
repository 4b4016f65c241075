//! The witness file (docs/spec/simulate.md §Witness file): a program (as
//! assembly or bytecode), its parameters and the prover's secrets, each
//! secret named so that `$name` in the program stands for its point.

use std::collections::BTreeMap;

use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use serde::Deserialize;

use super::{simulate, Options, Simulation};
use crate::asm::{self, Params};
use crate::encoding::{Encodable, Reader};
use crate::{
    limits, Commitment, Contract, Data, Instruction, PortableItem, Predicate, Program, ProgramItem,
    TxHeader, Value, CURRENT_VERSION,
};

/// Largest witness file, in bytes.
pub const MAX_WITNESS_BYTES: usize = 4 << 20;

/// Most entries in each of `params`, `commitments` and `keys`.
pub const MAX_NAMED: usize = 1024;

/// Why a witness file is refused; the message names the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WitnessError(pub String);

fn err(field: &str, what: impl core::fmt::Display) -> WitnessError {
    WitnessError(format!("{field}: {what}"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    header: Option<HeaderJson>,
    #[serde(default)]
    program: Option<String>,
    #[serde(default)]
    bytecode: Option<String>,
    #[serde(default)]
    params: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    commitments: BTreeMap<String, OpeningJson>,
    #[serde(default)]
    keys: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderJson {
    #[serde(default)]
    version: Option<u64>,
    #[serde(default)]
    mintime_ms: Option<u64>,
    #[serde(default)]
    maxtime_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpeningJson {
    #[serde(default)]
    quantity: Option<u64>,
    #[serde(default)]
    flavor: Option<String>,
    #[serde(default)]
    blinding: Option<String>,
}

/// A parsed witness file: the header, the program with its secrets attached
/// and the secrets' names.
#[derive(Clone, Debug)]
pub struct Witness {
    /// The header (docs/spec/simulate.md §Witness file: defaults).
    pub header: TxHeader,
    /// The program, with openings and keys attached where their points
    /// appear.
    pub program: Program,
    /// Names of the commitments given.
    pub commitments: Vec<String>,
    /// Names of the keys given.
    pub keys: Vec<String>,
}

impl Witness {
    /// Reads a witness file (JSON, at most [`MAX_WITNESS_BYTES`]),
    /// strictly: unknown fields, bad hex, wrong lengths, non-canonical
    /// scalars, invalid points and programs that do not assemble are
    /// errors naming the field.
    pub fn from_json(bytes: &[u8]) -> Result<Witness, WitnessError> {
        if bytes.len() > MAX_WITNESS_BYTES {
            return Err(WitnessError(format!(
                "witness file is larger than {MAX_WITNESS_BYTES} bytes"
            )));
        }
        let file: File = serde_json::from_slice(bytes)
            .map_err(|e| WitnessError(format!("witness file: {e}")))?;
        for (field, n) in [
            ("params", file.params.len()),
            ("commitments", file.commitments.len()),
            ("keys", file.keys.len()),
        ] {
            if n > MAX_NAMED {
                return Err(err(field, format!("more than {MAX_NAMED} entries")));
            }
        }
        let header = match file.header {
            None => default_header(),
            Some(h) => TxHeader {
                version: h.version.unwrap_or(CURRENT_VERSION),
                mintime_ms: h.mintime_ms.unwrap_or(0),
                maxtime_ms: h.maxtime_ms.unwrap_or(u64::MAX),
            },
        };

        let mut params = Params::new();
        let mut secrets = Secrets::default();
        for (name, v) in &file.params {
            let field = format!("params.{name}");
            check_name(&field, name)?;
            match v {
                serde_json::Value::String(s) => params.insert(name, s.as_str()),
                serde_json::Value::Number(n) => match n.as_u64() {
                    Some(x) => params.insert(name, x),
                    None => return Err(err(&field, "a number must be a non-negative integer")),
                },
                _ => {
                    return Err(err(
                        &field,
                        "expected a literal text (string) or a non-negative integer",
                    ))
                }
            };
        }
        for (name, o) in &file.commitments {
            let field = format!("commitments.{name}");
            check_name(&field, name)?;
            check_unique(&field, name, &params)?;
            let blinding = match &o.blinding {
                Some(b) => scalar(&format!("{field}.blinding"), b)?,
                None => Scalar::ZERO,
            };
            let c = match (o.quantity, &o.flavor) {
                (Some(q), None) => Commitment::blinded_with_factor(q, blinding),
                (None, Some(f)) => Commitment::blinded_with_factor(
                    scalar(&format!("{field}.flavor"), f)?,
                    blinding,
                ),
                _ => return Err(err(
                    &field,
                    "give exactly one of `quantity` (integer) and `flavor` (32-byte hex scalar)",
                )),
            };
            let point = c.to_point();
            params.insert(name, format!("point:0x{}", super::hex(point.as_bytes())));
            secrets.commitments.insert(point.to_bytes(), c);
        }
        for (name, k) in &file.keys {
            let field = format!("keys.{name}");
            check_name(&field, name)?;
            check_unique(&field, name, &params)?;
            let key = SecretKey::from_scalar(scalar(&field, k)?);
            let point = *key.verification_key().as_compressed();
            params.insert(name, format!("point:0x{}", super::hex(point.as_bytes())));
            secrets.keys.insert(point.to_bytes(), key);
        }

        let bytes = match (&file.program, &file.bytecode) {
            (Some(text), None) => asm::assemble(text, &params).map_err(|e| err("program", e))?,
            (None, Some(h)) => {
                let b = hex_bytes("bytecode", h)?;
                if b.len() > limits::MAX_TX_SIZE {
                    return Err(err(
                        "bytecode",
                        format!("larger than {} bytes", limits::MAX_TX_SIZE),
                    ));
                }
                b
            }
            _ => {
                return Err(WitnessError(
                    "witness file: give exactly one of `program` (assembly) and `bytecode` (hex)"
                        .into(),
                ))
            }
        };
        let field = if file.program.is_some() {
            "program"
        } else {
            "bytecode"
        };
        if bytes.len() > limits::MAX_TX_SIZE {
            return Err(err(
                field,
                format!("assembles to more than {} bytes", limits::MAX_TX_SIZE),
            ));
        }
        let parsed = Program::parse(&bytes).map_err(|e| err(field, e))?;
        let program = secrets.attach_all(&parsed, 0).unwrap_or(parsed);
        Ok(Witness {
            header,
            program,
            commitments: file.commitments.into_keys().collect(),
            keys: file.keys.into_keys().collect(),
        })
    }

    /// Simulates the witness's program (see [`simulate`]).
    pub fn simulate(&self, options: &Options) -> Simulation {
        simulate(self.header, self.program.clone(), options)
    }
}

fn default_header() -> TxHeader {
    TxHeader {
        version: CURRENT_VERSION,
        mintime_ms: 0,
        maxtime_ms: u64::MAX,
    }
}

/// Secrets by the point they open.
#[derive(Default)]
struct Secrets {
    commitments: BTreeMap<[u8; 32], Commitment>,
    keys: BTreeMap<[u8; 32], SecretKey>,
}

impl Secrets {
    /// `program` with secrets attached, down to the VM's program depth
    /// limit, or `None` if none attach (the program stays as it is). A
    /// nested program with secrets becomes a built program with the same
    /// bytes, as the prover's builder makes.
    fn attach_all(&self, program: &Program, depth: usize) -> Option<Program> {
        if depth > limits::MAX_PROGRAM_DEPTH
            || (self.commitments.is_empty() && self.keys.is_empty())
        {
            return None;
        }
        let mut changed = false;
        let mut out = Program::new();
        for i in program.instructions() {
            let attached = self.attach(i.clone(), depth);
            changed |= &attached != i;
            out.push_instruction(attached);
        }
        changed.then_some(out)
    }

    /// A `push` of a known point becomes the prover's commitment or
    /// predicate; a `push` of an output structure holding known points gets
    /// them attached (docs/spec/simulate.md §Where secrets attach).
    fn attach(&self, i: Instruction, depth: usize) -> Instruction {
        let bytes = match i {
            Instruction::Push(Data::Opaque(bytes)) => bytes,
            Instruction::Program(ProgramItem::Bytecode(nested)) => {
                return match Program::parse(&nested)
                    .ok()
                    .and_then(|p| self.attach_all(&p, depth + 1))
                {
                    Some(p) => Instruction::Program(ProgramItem::Program(p)),
                    None => Instruction::Program(ProgramItem::Bytecode(nested)),
                };
            }
            other => return other,
        };
        if let Ok(point) = <[u8; 32]>::try_from(bytes.as_slice()) {
            if let Some(c) = self.commitments.get(&point) {
                return Instruction::Push(c.clone().into());
            }
            if let Some(k) = self.keys.get(&point) {
                return Instruction::Push(Predicate::key(k.clone()).into());
            }
        }
        if bytes.len() > 32 && !(self.commitments.is_empty() && self.keys.is_empty()) {
            if let Ok(c) = Reader::read_all(&bytes, Contract::decode) {
                let opened = self.open_contract(c);
                if opened.encode_to_vec() == bytes {
                    return Instruction::Push(Data::Output(Box::new(opened)));
                }
            }
        }
        Instruction::Push(Data::Opaque(bytes))
    }

    fn open_contract(&self, mut c: Contract) -> Contract {
        if let Some(k) = self.keys.get(c.predicate.to_point().as_bytes()) {
            c.predicate = Predicate::key(k.clone());
        }
        for item in &mut c.payload {
            if let PortableItem::Value(Value { qty, flv }) = item {
                for com in [qty, flv] {
                    if let Some(open) = self.commitments.get(com.to_point().as_bytes()) {
                        *com = open.clone();
                    }
                }
            }
        }
        c
    }
}

fn check_name(field: &str, name: &str) -> Result<(), WitnessError> {
    if Params::is_valid_name(name) {
        Ok(())
    } else {
        Err(err(field, "not a parameter name ([A-Za-z_][A-Za-z0-9_]*)"))
    }
}

fn check_unique(field: &str, name: &str, params: &Params) -> Result<(), WitnessError> {
    if params.get(name).is_some() {
        Err(err(
            field,
            "name already used by another parameter or secret",
        ))
    } else {
        Ok(())
    }
}

fn hex_bytes(field: &str, s: &str) -> Result<Vec<u8>, WitnessError> {
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if s.len() % 2 != 0 {
        return Err(err(field, "hex with an odd number of digits"));
    }
    s.as_bytes()
        .chunks(2)
        .map(|pair| {
            let d = |c: u8| (c as char).to_digit(16);
            match (d(pair[0]), d(pair[1])) {
                (Some(h), Some(l)) => Ok((h * 16 + l) as u8),
                _ => Err(err(field, "not hex")),
            }
        })
        .collect()
}

fn scalar(field: &str, s: &str) -> Result<Scalar, WitnessError> {
    let b = hex_bytes(field, s)?;
    let b: [u8; 32] = b
        .try_into()
        .map_err(|_| err(field, "expected 32 bytes of hex"))?;
    Option::from(Scalar::from_canonical_bytes(b)).ok_or_else(|| {
        err(
            field,
            "not a canonical scalar (must be below the group order)",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_fields() {
        assert_eq!(hex_bytes("f", "0x0aFF"), Ok(vec![10, 255]));
        assert_eq!(hex_bytes("f", ""), Ok(vec![]));
        assert_eq!(
            hex_bytes("f", "abc").unwrap_err().0,
            "f: hex with an odd number of digits"
        );
        assert_eq!(hex_bytes("f", "zz").unwrap_err().0, "f: not hex");
        assert_eq!(scalar("k", &"00".repeat(32)), Ok(Scalar::ZERO));
        assert!(scalar("k", "00").is_err());
    }

    #[test]
    fn secrets_become_parameters_and_attach_to_pushes() {
        let w = Witness::from_json(
            br#"{"program": "push $q; push $k; push 0x01",
                 "commitments": {"q": {"quantity": 3}},
                 "keys": {"k": "0100000000000000000000000000000000000000000000000000000000000000"}}"#,
        )
        .unwrap();
        let i = w.program.instructions();
        assert!(matches!(&i[0], Instruction::Push(Data::Commitment(c)) if c.opening().is_some()));
        assert!(
            matches!(&i[1], Instruction::Push(Data::Predicate(p)) if p.signing_key().is_some())
        );
        assert!(matches!(&i[2], Instruction::Push(Data::Opaque(_))));
        assert_eq!(w.commitments, ["q"]);
        assert_eq!(w.keys, ["k"]);
        assert_eq!(w.header.version, CURRENT_VERSION);
    }
}
