//! A `zkvm testnet init` federation driven through the built binary: the
//! `zkvm` command with the testnet's dev wallet (`DIR/wallet.redb`), node
//! heights, bounded waits and a free port range for its nodes.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::NodeProcess;

/// Every wait of a testnet test is bounded by this.
pub const BOUND: Duration = Duration::from_secs(90);

/// `zkvm <args>` against the node at `api`, with the testnet's dev wallet.
pub fn zkvm(dir: &Path, api: &str, args: &[&str]) -> Result<Value, String> {
    super::zkvm_at(api, Some(&dir.join("wallet.redb")), args)
}

/// [`zkvm`], which must succeed.
pub fn ok(dir: &Path, api: &str, args: &[&str]) -> Value {
    zkvm(dir, api, args).unwrap_or_else(|e| panic!("zkvm {args:?}: {e}"))
}

/// The height of the node at `api`.
pub fn height(dir: &Path, api: &str) -> u64 {
    ok(dir, api, &["chain", "status"])["height"]
        .as_u64()
        .unwrap()
}

/// Waits (at most [`BOUND`]) until the node at `api` reaches `at_least`;
/// returns its height then.
pub fn wait_height(dir: &Path, api: &str, at_least: u64) -> u64 {
    let start = Instant::now();
    loop {
        if let Ok(v) = zkvm(dir, api, &["chain", "status"]) {
            let h = v["height"].as_u64().unwrap();
            if h >= at_least {
                return h;
            }
        }
        assert!(
            start.elapsed() < BOUND,
            "{api} never reached height {at_least}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `zkvm validators approve-change` by validator `k` of the testnet in
/// `dir` (its `DIR/vK/validator.key`) for the set in `set_file` effective
/// at `effective`, written to `DIR/approvalK.json`: that file, or the
/// command's error.
pub fn approve(
    dir: &Path,
    api: &str,
    set_file: &Path,
    effective: u64,
    k: usize,
) -> Result<PathBuf, String> {
    let out = dir.join(format!("approval{k}.json"));
    let approval = zkvm(
        dir,
        api,
        &[
            "validators",
            "approve-change",
            "--set",
            set_file.to_str().unwrap(),
            "--effective",
            &effective.to_string(),
            "--data-dir",
            dir.join(format!("v{k}")).to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    )?;
    assert_eq!(approval["effective_height"], effective, "{approval}");
    Ok(out)
}

/// A base port with `count` free ports above it (`testnet init
/// --base-port`).
pub fn free_base(count: u16) -> u16 {
    let seed = u32::from(std::process::id() as u16);
    for attempt in 0..200u32 {
        let base = 20_000 + ((seed * 7 + attempt * 97) % 30_000) as u16;
        let free = (0..count).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok());
        if free {
            return base;
        }
    }
    panic!("no free port range");
}

/// A federation written by `zkvm testnet init` in a fresh temporary
/// directory, removed when this is dropped unless `ZKVM_KEEP_TESTNET` is
/// set (then its path is printed and it stays).
pub struct Initialized {
    _tmp: Option<tempfile::TempDir>,
    /// The testnet's directory (`genesis.hex`, `wallet.redb`, `v1..vN`).
    pub dir: PathBuf,
    /// The first of the ports given to `--base-port`.
    pub base: u16,
    /// What `testnet init` printed (`--json`).
    pub init: Value,
}

/// `zkvm testnet init --validators n` with `ports` free ports from its
/// base (three per validator, and any more the test needs); `what` names
/// the test in the path it prints.
#[allow(clippy::print_stderr)] // where a kept testnet is, for its logs
pub fn init_testnet(n: usize, ports: u16, what: &str) -> Initialized {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    eprintln!("{what} in {}", dir.display());
    let tmp = match std::env::var_os("ZKVM_KEEP_TESTNET") {
        Some(_) => {
            let _ = tmp.keep();
            None
        }
        None => Some(tmp),
    };
    let base = free_base(ports);
    let out = Command::new(env!("CARGO_BIN_EXE_zkvm"))
        .env("ZKVM_JSON", "1")
        .args(["testnet", "init", "--validators", &n.to_string(), "--dir"])
        .arg(&dir)
        .args(["--base-port", &base.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Initialized {
        _tmp: tmp,
        base,
        init: serde_json::from_slice(&out.stdout).unwrap(),
        dir,
    }
}

impl Initialized {
    /// Starts validators 1 to `n` (`zkvm node run --data-dir DIR/vK`,
    /// logging to `DIR/vK.log`); each is taken out of its slot to be
    /// killed.
    pub fn spawn_validators(&self, n: usize) -> Vec<Option<NodeProcess>> {
        (1..=n)
            .map(|k| {
                let data = self.dir.join(format!("v{k}"));
                Some(NodeProcess::spawn(
                    &["node", "run", "--data-dir", data.to_str().unwrap()],
                    &self.dir.join(format!("v{k}.log")),
                ))
            })
            .collect()
    }
}
