//! `zkvm asm` and `zkvm disasm`: the assembly text form of programs
//! (docs/spec/asm.md), from a file or stdin.

use std::path::{Path, PathBuf};

use clap::Args;
use zkvm::asm::{self, ParamValue, Params};

use crate::{input, Error, Output};

/// `zkvm asm [FILE|-] [--param NAME=VALUE]... [--params FILE] [--binary]`.
#[derive(Debug, Args)]
pub struct AsmArgs {
    /// File holding the assembly text; `-` (the default) for stdin.
    #[arg(default_value = "-")]
    input: PathBuf,
    #[command(flatten)]
    params: ParamArgs,
    /// Print the bytecode as raw bytes rather than hex.
    #[arg(long)]
    binary: bool,
}

/// Named parameters of assembly text (docs/spec/asm.md §Parameters).
#[derive(Debug, Args)]
pub struct ParamArgs {
    /// A parameter: `NAME=VALUE` fills `$NAME`, VALUE being one literal
    /// (`42`, `0x…`, `"text"`, `u32:7`, `point:0x…`). Repeatable; wins over
    /// `--params`.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    param: Vec<String>,
    /// A TOML or JSON file (by its `.json` extension) of parameters: a
    /// table of names to strings (literals) or non-negative integers.
    #[arg(long = "params", value_name = "FILE")]
    params: Option<PathBuf>,
}

impl ParamArgs {
    /// The parameters: the file's, then each `--param` over them.
    pub fn load(&self) -> Result<Params, Error> {
        let mut params = match &self.params {
            Some(path) => params_file(path)?,
            None => Params::new(),
        };
        for p in &self.param {
            let Some((name, value)) = p.split_once('=') else {
                return Err(Error::Usage(format!("--param {p:?}: expected NAME=VALUE")));
            };
            check_name(name, "--param")?;
            params.insert(name, value);
        }
        Ok(params)
    }
}

/// `zkvm disasm [FILE|-]`.
#[derive(Debug, Args)]
pub struct DisasmArgs {
    /// File holding bytecode as hex or raw bytes; `-` (the default) for
    /// stdin.
    #[arg(default_value = "-")]
    input: PathBuf,
}

/// How errors name the input.
fn name(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

/// `zkvm asm`: hex (or raw bytes) of the assembled program.
pub fn run_asm(args: AsmArgs) -> Result<Output, Error> {
    let text = read_text(&args.input)?;
    let params = args.params.load()?;
    let bytes = asm::assemble(&text, &params).map_err(|source| Error::Asm {
        input: name(&args.input),
        source,
    })?;
    Ok(if args.binary {
        Output::Bytes(bytes)
    } else {
        Output::Text(format!("{}\n", hex::encode(bytes)))
    })
}

/// `zkvm disasm`: the program as assembly text.
pub fn run_disasm(args: DisasmArgs) -> Result<Output, Error> {
    let bytes = input::read_bytes(&args.input)?;
    asm::disassemble(&bytes)
        .map(Output::Text)
        .map_err(|source| Error::Asm {
            input: name(&args.input),
            source,
        })
}

fn check_name(name: &str, source: &str) -> Result<(), Error> {
    if Params::is_valid_name(name) {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "{source}: {name:?} is not a parameter name (letters, digits and `_`, not starting with a digit)"
        )))
    }
}

/// Reads UTF-8 text of at most [`asm::MAX_TEXT_BYTES`] from `path` (`-`
/// for stdin).
pub fn read_text(path: &Path) -> Result<String, Error> {
    let raw = input::read_limited(path, asm::MAX_TEXT_BYTES)?;
    String::from_utf8(raw).map_err(|e| {
        Error::Usage(format!(
            "{} is not UTF-8 text: {}",
            name(path),
            e.utf8_error()
        ))
    })
}

/// Parameters from a TOML or JSON file: names to strings (literal text)
/// or non-negative integers.
fn params_file(path: &Path) -> Result<Params, Error> {
    let text = read_text(path)?;
    let shown = path.display().to_string();
    let bad = |what: String| Error::Usage(format!("--params {shown}: {what}"));
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let mut params = Params::new();
    let mut add = |key: &str, value: ParamValue| -> Result<(), Error> {
        check_name(key, &format!("--params {shown}"))?;
        params.insert(key, value);
        Ok(())
    };
    let wrong = |key: &str| {
        bad(format!(
            "`{key}` must be a string or a non-negative integer"
        ))
    };
    if is_json {
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
        let Some(object) = json.as_object() else {
            return Err(bad("expected a JSON object of parameters".to_string()));
        };
        for (key, value) in object {
            let value = match value {
                serde_json::Value::String(s) => ParamValue::Literal(s.clone()),
                other => ParamValue::Number(other.as_u64().ok_or_else(|| wrong(key))?),
            };
            add(key, value)?;
        }
    } else {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| bad(format!("not TOML: {}", e.message())))?;
        for (key, value) in &table {
            let value = match value {
                toml::Value::String(s) => ParamValue::Literal(s.clone()),
                toml::Value::Integer(n) => {
                    ParamValue::Number(u64::try_from(*n).map_err(|_| wrong(key))?)
                }
                _ => return Err(wrong(key)),
            };
            add(key, value)?;
        }
    }
    Ok(params)
}
