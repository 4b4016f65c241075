//! Parties' wallets on a devnet, driven through the built `zkvm` binary run
//! in a working directory: commands that must succeed or fail, processes in
//! the background (co-signers), new wallets, balances and histories.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::Devnet;

/// `zkvm <args>` in `dir` against `net`: its node, and its dev wallet unless
/// `args` name another with `--wallet`.
pub fn command(net: &Devnet, dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zkvm"));
    c.env("ZKVM_JSON", "1")
        .args(args)
        .current_dir(dir)
        .env("ZKVM_NODE", &net.addr)
        .env("ZKVM_WALLET", net.dir.join("data/wallet.redb"))
        // Test wallets keep their seed in the clear (`--no-passphrase`).
        .env("ZKVM_NO_PASSPHRASE", "1");
    c
}

/// Runs [`command`]: its stdout as JSON (`null` if it is not JSON) on
/// success, else its one error line.
pub fn run(net: &Devnet, dir: &Path, args: &[&str]) -> Result<Value, String> {
    let out = command(net, dir, args).output().unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap_or(Value::Null))
    } else {
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(err.lines().count(), 1, "one error line: {err}");
        Err(err)
    }
}

/// [`run`], which must succeed.
pub fn ok(net: &Devnet, dir: &Path, args: &[&str]) -> Value {
    run(net, dir, args).unwrap_or_else(|e| panic!("zkvm {args:?}: {e}"))
}

/// [`run`], which must fail: its error line.
pub fn fails(net: &Devnet, dir: &Path, args: &[&str]) -> String {
    match run(net, dir, args) {
        Ok(v) => panic!("zkvm {args:?} should fail, printed {v}"),
        Err(e) => e,
    }
}

/// Starts [`command`] in the background, its output piped; see [`join`].
pub fn spawn(net: &Devnet, dir: &Path, args: &[&str]) -> Child {
    command(net, dir, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for a [`spawn`]ed command, which must succeed: its stdout as JSON.
pub fn join(child: Child) -> Value {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `<command> [--wallet W] <rest>`: the arguments of a command run by the
/// wallet file `wallet`, or by the dev wallet when `None`.
pub fn with_wallet<'a>(
    command: &'a str,
    wallet: Option<&'a str>,
    rest: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![command];
    if let Some(w) = wallet {
        args.extend(["--wallet", w]);
    }
    args.extend(rest);
    args
}

/// A new wallet `<name>.redb` in `dir`: its file name and an address.
pub fn new_wallet(net: &Devnet, dir: &Path, name: &str) -> (String, String) {
    let file = format!("{name}.redb");
    ok(net, dir, &["wallet", "--wallet", &file, "new"]);
    let address = ok(net, dir, &["wallet", "--wallet", &file, "address"])["address"]
        .as_str()
        .unwrap()
        .to_string();
    (file, address)
}

/// An address of the dev wallet.
pub fn dev_address(net: &Devnet, dir: &Path) -> String {
    ok(net, dir, &["wallet", "address"])["address"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The `field` (`spendable`, `offered`, …) of `asset` in the balance of
/// `wallet` (the dev wallet when `None`); 0 if the asset is not listed.
pub fn balance(net: &Devnet, dir: &Path, wallet: Option<&str>, asset: &str, field: &str) -> u128 {
    let b = ok(net, dir, &with_wallet("wallet", wallet, &["balance"]));
    b["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["asset"] == asset)
        .map(|x| u128::from(x[field].as_u64().unwrap()))
        .unwrap_or(0)
}

/// The spendable native units of `wallet` (the dev wallet when `None`).
pub fn native(net: &Devnet, dir: &Path, wallet: Option<&str>) -> u128 {
    balance(net, dir, wallet, "native", "spendable")
}

/// The kinds of the entries in the history of the wallet file `wallet`,
/// oldest first.
pub fn kinds(net: &Devnet, dir: &Path, wallet: &str) -> Vec<String> {
    ok(net, dir, &["wallet", "--wallet", wallet, "history"])["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap().to_string())
        .collect()
}

/// The `contract_id` of a command's output.
pub fn contract_id(out: &Value) -> String {
    out["contract_id"].as_str().unwrap().to_string()
}
