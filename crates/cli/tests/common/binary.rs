//! Running the built `zkvm` binary on files and standard input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A file in the temp directory with a name no other test (or run) uses;
/// removed on drop.
pub struct TempFile(PathBuf);

impl TempFile {
    /// A new file ending in `suffix` holding `contents`.
    pub fn new(suffix: &str, contents: &[u8]) -> TempFile {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "zkvm-cli-test-{}-{}{suffix}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, contents).unwrap();
        TempFile(path)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `zkvm` with `args`, `stdin` piped in.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zkvm"))
        .env("ZKVM_JSON", "1")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// Checks a failure: exit status 1, nothing on stdout, one `error:` line on
/// stderr; returns that line. `what` names the case in failures.
pub fn one_line_error(out: &Output, what: &str) -> String {
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
    assert!(out.stdout.is_empty(), "{what}: stdout not empty");
    assert!(stderr.ends_with('\n'), "{what}: {stderr:?}");
    let line = stderr.trim_end_matches('\n');
    assert!(
        !line.contains('\n'),
        "{what}: more than one line: {stderr:?}"
    );
    assert!(line.starts_with("error: "), "{what}: {stderr:?}");
    line.to_string()
}

/// The reference transactions (tests/vectors/zkvm-reference-txs.json).
pub fn vectors() -> serde_json::Value {
    let text = include_str!("../../../../tests/vectors/zkvm-reference-txs.json");
    serde_json::from_str(text).unwrap()
}

/// The valid reference transaction called `name` in `v`.
pub fn case<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["valid"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no vector {name}"))
}
