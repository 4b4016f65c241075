//! The witness file (docs/spec/simulate.md §Witness file): a program (as
//! assembly or bytecode), its parameters and the prover's secrets, each
//! secret named so that `$name` in the program stands for its point.

use std::collections::{BTreeMap, BTreeSet};

use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use serde::Deserialize;

use super::{simulate, Options, Simulation};
use crate::asm::{self, ParamValue, Params};
use crate::encoding::{Encodable, Reader};
use crate::{
    limits, Commitment, Contract, Data, Instruction, PortableItem, Predicate, Program, ProgramItem,
    TxHeader, Value, CURRENT_VERSION,
};

/// Largest witness file, in bytes.
pub const MAX_WITNESS_BYTES: usize = 4 << 20;

/// Most entries in each of `params`, `commitments` and `keys`.
pub const MAX_NAMED: usize = 1024;

/// Most entries in each of [`Extra`]'s `params`, `commitments` and `keys`.
pub const MAX_EXTRA: usize = 1 << 16;

/// Parameters and secrets a witness file gets from its caller rather than
/// from its own text: what a wallet knows (docs/spec/simulate.md §The
/// wallet knows). They fill in and attach exactly as the file's own do;
/// where a name is in both, the file's wins.
#[derive(Clone, Debug, Default)]
pub struct Extra {
    /// Values of `$name` parameters, used where the file's `params`,
    /// `commitments` and `keys` do not define the name. Names must be
    /// parameter names and distinct.
    pub params: Vec<(String, ParamValue)>,
    /// Open commitments, attached by their points (not named).
    pub commitments: Vec<Commitment>,
    /// Signing keys, attached by their verification keys (not named).
    pub keys: Vec<SecretKey>,
}

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
        Witness::from_json_with(bytes, &Extra::default())
    }

    /// [`Witness::from_json`] with parameters and secrets from the caller
    /// ([`Extra`], at most [`MAX_EXTRA`] of each): the extra parameters
    /// fill `$name` where the file does not define `name` (the file wins),
    /// and the extra commitments and keys attach by point wherever the
    /// file's own would (docs/spec/simulate.md §The wallet knows). Errors
    /// about extras name `extra.params`, `extra.commitments` or
    /// `extra.keys`.
    pub fn from_json_with(bytes: &[u8], extra: &Extra) -> Result<Witness, WitnessError> {
        for (field, n) in [
            ("extra.params", extra.params.len()),
            ("extra.commitments", extra.commitments.len()),
            ("extra.keys", extra.keys.len()),
        ] {
            if n > MAX_EXTRA {
                return Err(err(field, format!("more than {MAX_EXTRA} entries")));
            }
        }
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
        secrets.add_extra(extra, &mut params)?;

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
    /// Adds `extra`: its parameters where `params` (the file's names) does
    /// not have them, its secrets where the file gave none for the point.
    fn add_extra(&mut self, extra: &Extra, params: &mut Params) -> Result<(), WitnessError> {
        let mut seen = BTreeSet::new();
        for (name, value) in &extra.params {
            let field = format!("extra.params.{name}");
            check_name(&field, name)?;
            if !seen.insert(name.as_str()) {
                return Err(err(&field, "given twice"));
            }
            if params.get(name).is_none() {
                params.insert(name, value.clone());
            }
        }
        for c in &extra.commitments {
            if c.opening().is_none() {
                return Err(err("extra.commitments", "a commitment without its opening"));
            }
            self.commitments
                .entry(c.to_point().to_bytes())
                .or_insert_with(|| c.clone());
        }
        for k in &extra.keys {
            let point = *k.verification_key().as_compressed();
            self.keys
                .entry(point.to_bytes())
                .or_insert_with(|| k.clone());
        }
        Ok(())
    }

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
    if !s.len().is_multiple_of(2) {
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

    /// Alice's output of 10 units of flavor 0 (blindings 11 and 12), its
    /// openings and her key (7): what a wallet would know.
    fn alices_output() -> (Contract, Extra) {
        let alice = SecretKey::from_scalar(Scalar::from(7u64));
        let qty = Commitment::blinded_with_factor(10u64, Scalar::from(11u64));
        let flv = Commitment::blinded_with_factor(Scalar::ZERO, Scalar::from(12u64));
        let closed = |c: &Commitment| Commitment::Closed(c.to_point());
        let utxo = Contract {
            anchor: crate::Anchor::from_bytes([3; 32]),
            predicate: Predicate::opaque(*alice.verification_key().as_compressed()),
            payload: vec![PortableItem::Value(Value {
                qty: closed(&qty),
                flv: closed(&flv),
            })],
        };
        let extra = Extra {
            params: vec![("utxo".into(), utxo.encode_to_vec().into())],
            commitments: vec![qty, flv],
            keys: vec![alice],
        };
        (utxo, extra)
    }

    const SPEND: &str = r#"{"program": "push $utxo; input; signtx; push $q; push $f; cloak:1:1; push $bob; output:1",
        "params": {"bob": "point:0x903293d8f2287ebe10e2374dc1a53e0bc887e592699f02d077d5263cdd55601c"},
        "commitments": {"q": {"quantity": 10, "blinding": "0d00000000000000000000000000000000000000000000000000000000000000"},
                        "f": {"flavor": "0000000000000000000000000000000000000000000000000000000000000000"}}}"#;

    #[test]
    fn extra_secrets_attach_like_the_files_own() {
        let (utxo, extra) = alices_output();
        let w = Witness::from_json_with(SPEND.as_bytes(), &extra).unwrap();
        // The output was pushed as bytes; the extra openings and key opened it.
        assert!(matches!(
            &w.program.instructions()[0],
            Instruction::Push(Data::Output(c))
                if c.predicate.signing_key().is_some() && c.encode_to_vec() == utxo.encode_to_vec()
        ));
        let sim = w.simulate(&Options::default());
        assert!(sim.ok, "{:?}", sim.failure);
        assert_eq!(sim.signers.len(), 1);
        assert!(sim.signers[0].key_known);
        // Extras are not named.
        assert_eq!(w.commitments, ["f", "q"]);
        assert!(w.keys.is_empty());

        // Without the key, the same run has an unknown signer.
        let no_key = Extra {
            keys: vec![],
            ..extra.clone()
        };
        let w = Witness::from_json_with(SPEND.as_bytes(), &no_key).unwrap();
        let sim = w.simulate(&Options::default());
        assert_eq!(sim.signers.len(), 1);
        assert!(!sim.signers[0].key_known);

        // A key pushed by its point, inside a nested program too.
        let key = SecretKey::from_scalar(Scalar::from(5u64));
        let point = super::super::hex(key.verification_key().as_compressed().as_bytes());
        let file = format!(r#"{{"program": "push 0x{point}; program {{ push 0x{point} }}"}}"#);
        let only_key = Extra {
            keys: vec![key],
            ..Extra::default()
        };
        let w = Witness::from_json_with(file.as_bytes(), &only_key).unwrap();
        let i = w.program.instructions();
        assert!(
            matches!(&i[0], Instruction::Push(Data::Predicate(p)) if p.signing_key().is_some())
        );
        assert!(matches!(
            &i[1],
            Instruction::Program(ProgramItem::Program(_))
        ));
    }

    #[test]
    fn extra_parameters_yield_to_the_file_and_are_checked() {
        let (_, extra) = alices_output();
        // Without the extras, `$utxo` is unknown.
        let e = Witness::from_json(SPEND.as_bytes()).unwrap_err().0;
        assert!(e.starts_with("program: ") && e.contains("utxo"), "{e}");

        // The file's `utxo` wins over the extra one.
        let file = r#"{"program": "push $utxo", "params": {"utxo": 42}}"#;
        let w = Witness::from_json_with(file.as_bytes(), &extra).unwrap();
        assert!(
            matches!(&w.program.instructions()[0], Instruction::Push(Data::Opaque(b)) if b.len() == 32 && b[0] == 42)
        );
        // So does a secret's name.
        let file = r#"{"program": "push $utxo", "keys": {"utxo": "0100000000000000000000000000000000000000000000000000000000000000"}}"#;
        let w = Witness::from_json_with(file.as_bytes(), &extra).unwrap();
        assert!(matches!(
            &w.program.instructions()[0],
            Instruction::Push(Data::Predicate(_))
        ));

        let bad = |params: Vec<(&str, ParamValue)>| {
            let extra = Extra {
                params: params
                    .into_iter()
                    .map(|(n, v)| (n.to_string(), v))
                    .collect(),
                ..Extra::default()
            };
            Witness::from_json_with(br#"{"program": "push 1"}"#, &extra)
                .unwrap_err()
                .0
        };
        assert_eq!(
            bad(vec![("1x", 1u64.into())]),
            "extra.params.1x: not a parameter name ([A-Za-z_][A-Za-z0-9_]*)"
        );
        assert_eq!(
            bad(vec![("a", 1u64.into()), ("a", 2u64.into())]),
            "extra.params.a: given twice"
        );
        let many = Extra {
            keys: vec![SecretKey::from_scalar(Scalar::ONE); MAX_EXTRA + 1],
            ..Extra::default()
        };
        assert_eq!(
            Witness::from_json_with(br#"{"program": "push 1"}"#, &many)
                .unwrap_err()
                .0,
            format!("extra.keys: more than {MAX_EXTRA} entries")
        );
        let closed = Extra {
            commitments: vec![Commitment::Closed(
                Commitment::blinded_with_factor(1u64, Scalar::ONE).to_point(),
            )],
            ..Extra::default()
        };
        assert_eq!(
            Witness::from_json_with(br#"{"program": "push 1"}"#, &closed)
                .unwrap_err()
                .0,
            "extra.commitments: a commitment without its opening"
        );
    }
}
