//! Helpers shared by the tests that run the built `zkvm` binary: a devnet
//! child process on free ports, and the `zkvm` command against it.
#![allow(dead_code)]

pub mod binary;
pub mod testnet;
pub mod wallets;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// `spendable` of `asset` in a `wallet balance` answer (0 if absent).
pub fn spendable(balance: &Value, asset: &str) -> u128 {
    balance["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["asset"] == asset)
        .map(|b| u128::from(b["spendable"].as_u64().unwrap()))
        .unwrap_or(0)
}

/// Runs `zkvm <args>` against the node at `api` (with the wallet file
/// `wallet` if given): stdout as JSON (`null` if it is not JSON), or the
/// error output.
pub fn zkvm_at(api: &str, wallet: Option<&Path>, args: &[&str]) -> Result<Value, String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zkvm"));
    cmd.env("ZKVM_JSON", "1")
        .env("ZKVM_NODE", api)
        // Test wallets keep their seed in the clear (`--no-passphrase`).
        .env("ZKVM_NO_PASSPHRASE", "1")
        .args(args);
    if let Some(wallet) = wallet {
        cmd.env("ZKVM_WALLET", wallet);
    }
    let out = cmd.output().unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap_or(Value::Null))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).to_string())
    }
}

/// Blocks every 100 ms when there are transactions.
pub const FAST: &str = "block_interval_ms = 100\n";

/// Reads `child`'s standard output until the `API: http://host:port ...`
/// line a node prints and returns `host:port`, then keeps reading so the
/// child never blocks on a full pipe. `log` is the child's standard error,
/// shown if it exits before that line.
pub fn api_address(child: &mut Child, log: &Path) -> String {
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let Some(line) = lines.next() else {
            let err = std::fs::read_to_string(log).unwrap_or_default();
            panic!("the node exited before printing its address: {err}");
        };
        if let Some(rest) = line.unwrap().strip_prefix("API:") {
            let url = rest.split_whitespace().next().unwrap();
            break url.trim_start_matches("http://").to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    addr
}

/// A `zkvm` node process started with `args`; killed (SIGKILL) when
/// dropped.
pub struct NodeProcess {
    pub child: Child,
    /// The API's `host:port`.
    pub api: String,
}

impl NodeProcess {
    /// Runs `zkvm <args>`, its standard error into `log`, and waits for the
    /// API address it prints.
    pub fn spawn(args: &[&str], log: &Path) -> NodeProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_zkvm"))
            .env("ZKVM_JSON", "1")
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap();
        let api = api_address(&mut child, log);
        NodeProcess { child, api }
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A devnet child process; killed (SIGKILL) when dropped.
pub struct Devnet {
    pub child: Child,
    /// The API's `host:port`.
    pub addr: String,
    /// The directory of its configuration, data and wallet.
    pub dir: PathBuf,
}

impl Devnet {
    /// Starts `zkvm devnet` on a free port in `dir`, with the given extra
    /// configuration lines, and waits for its banner.
    pub fn start(dir: &Path, config: &str) -> Devnet {
        let config_path = dir.join("node.toml");
        std::fs::write(
            &config_path,
            format!("api_addr = \"127.0.0.1:0\"\nlisten = [\"127.0.0.1:0\"]\n{config}"),
        )
        .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_zkvm"))
            .env("ZKVM_JSON", "1")
            .arg("devnet")
            .arg("--config")
            .arg(&config_path)
            .arg("--data-dir")
            .arg(dir.join("data"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.join("devnet.err")).unwrap())
            .spawn()
            .unwrap();
        let addr = api_address(&mut child, &dir.join("devnet.err"));
        Devnet {
            child,
            addr,
            dir: dir.to_path_buf(),
        }
    }

    /// Runs `zkvm <args>` against this node; stdout as JSON, or the error
    /// line.
    pub fn zkvm(&self, args: &[&str]) -> Result<Value, String> {
        let out = Command::new(env!("CARGO_BIN_EXE_zkvm"))
            .env("ZKVM_JSON", "1")
            .args(args)
            .env("ZKVM_NODE", &self.addr)
            .env("ZKVM_WALLET", self.dir.join("data/wallet.redb"))
            // Test wallets keep their seed in the clear (`--no-passphrase`).
            .env("ZKVM_NO_PASSPHRASE", "1")
            .output()
            .unwrap();
        if out.status.success() {
            Ok(serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
                panic!(
                    "{args:?}: not JSON ({e}): {}",
                    String::from_utf8_lossy(&out.stdout)
                )
            }))
        } else {
            let err = String::from_utf8_lossy(&out.stderr).to_string();
            assert_eq!(err.lines().count(), 1, "one error line: {err}");
            assert!(err.starts_with("error: "), "{err}");
            Err(err)
        }
    }

    /// [`Devnet::zkvm`], which must succeed.
    pub fn ok(&self, args: &[&str]) -> Value {
        self.zkvm(args)
            .unwrap_or_else(|e| panic!("zkvm {args:?} failed: {e}"))
    }

    /// Waits (at most a minute) until the node's mempool is empty: every
    /// pending payment is in a block.
    pub fn wait_for_empty_mempool(&self) {
        let start = std::time::Instant::now();
        while !self.ok(&["chain", "mempool"])["txs"]
            .as_array()
            .unwrap()
            .is_empty()
        {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the mempool never emptied"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the node (SIGKILL) and waits for it.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
