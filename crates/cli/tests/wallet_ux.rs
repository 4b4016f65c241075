//! The wallet as its users expect it (issue 19), run as the built binary
//! against devnets: a refused submission leaves the funds spendable;
//! pending transactions are rebroadcast or abandoned; a node that lacks
//! blocks the wallet needs is an error naming them, not an empty balance;
//! a wallet is read while another command writes it, and a second writer
//! is told which process holds it; a wallet's seed is sealed under a
//! passphrase in a file only its owner reads.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{Devnet, NodeProcess, FAST};
use serde_json::Value;

/// No block for ten minutes after the first: pending transactions stay
/// pending.
const NO_BLOCKS: &str = "block_interval_ms = 600000\nempty_block_interval_ms = 0\n";

/// The `balance` entry of `asset` in a `wallet balance` answer, as numbers.
fn balance_of(balance: &Value, asset: &str) -> (u128, u128, u128) {
    let b = balance["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["asset"] == asset)
        .cloned()
        .unwrap_or(Value::Null);
    let n = |k: &str| b[k].as_u64().map_or(0, u128::from);
    (n("spendable"), n("locked"), n("pending"))
}

/// A new wallet at `dir/name` (in the clear, as test wallets are) and its
/// first address.
fn new_wallet(net: &Devnet, dir: &Path, name: &str) -> (String, String) {
    let file = dir.join(name).to_str().unwrap().to_string();
    net.ok(&["wallet", "--wallet", &file, "new"]);
    let address = net.ok(&["wallet", "--wallet", &file, "address"])["address"]
        .as_str()
        .unwrap()
        .to_string();
    (file, address)
}

/// `zkvm <args>` against `net` with no test defaults but the node: no
/// `ZKVM_NO_PASSPHRASE`, no default wallet.
fn raw(net: &Devnet, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkvm"))
        .env("ZKVM_JSON", "1")
        .args(args)
        .env("ZKVM_NODE", &net.addr)
        .env_remove("ZKVM_NO_PASSPHRASE")
        .env_remove("ZKVM_PASSPHRASE_FILE")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stdout_json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn a_refused_submission_leaves_the_inputs_spendable() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), FAST);
    let (_, bob) = new_wallet(&net, dir.path(), "bob.redb");

    // Below the node's minimum relay fee: refused, and nothing stays
    // locked (the dev wallet has one native output, so a locked input
    // would make the next payment fail with "insufficient funds").
    let e = net
        .zkvm(&["wallet", "send", "--to", &bob, "--qty", "100", "--fee", "0"])
        .unwrap_err();
    assert!(e.contains("node refused"), "{e}");
    assert!(e.contains("spendable again"), "{e}");
    let balance = net.ok(&["wallet", "balance"]);
    assert_eq!(balance_of(&balance, "native"), (1_000_000_000, 0, 0));
    let history = net.ok(&["wallet", "history"]);
    assert_eq!(history["pending"].as_array().unwrap().len(), 0);

    let paid = net.ok(&[
        "wallet", "send", "--to", &bob, "--qty", "100", "--fee", "10", "--wait",
    ]);
    assert_eq!(paid["status"], "confirmed");
    let txid = paid["txid"].as_str().unwrap();

    // A confirmed transaction cannot be abandoned; an unknown one is not
    // pending.
    let e = net.zkvm(&["wallet", "abandon", txid]).unwrap_err();
    assert!(e.contains("confirmed"), "{e}");
    let e = net
        .zkvm(&["wallet", "abandon", &"ab".repeat(32)])
        .unwrap_err();
    assert!(e.contains("no pending transaction"), "{e}");
}

#[test]
fn pending_transactions_are_rebroadcast_or_abandoned() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), NO_BLOCKS);
    let (_, bob) = new_wallet(&net, dir.path(), "bob.redb");

    let sent = net.ok(&[
        "wallet", "send", "--to", &bob, "--qty", "100", "--fee", "10",
    ]);
    assert_eq!(sent["status"], "pending");
    let txid = sent["txid"].as_str().unwrap().to_string();
    let balance = net.ok(&["wallet", "balance"]);
    assert_eq!(
        balance_of(&balance, "native"),
        (0, 1_000_000_000, 1_000_000_000 - 110)
    );

    // The node has it: "already known", for all and for one.
    let again = net.ok(&["wallet", "rebroadcast"]);
    let list = again["rebroadcast"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["txid"], txid.as_str());
    assert_eq!(list[0]["status"], "already known");
    let again = net.ok(&["wallet", "rebroadcast", &txid]);
    assert_eq!(again["rebroadcast"][0]["status"], "already known");

    // Abandoned: its inputs are spendable again, its change no longer
    // counted; abandoning it twice is an error.
    let abandoned = net.ok(&["wallet", "abandon", &txid]);
    assert_eq!(abandoned["status"], "abandoned");
    assert_eq!(abandoned["freed_inputs"].as_array().unwrap().len(), 1);
    let balance = net.ok(&["wallet", "balance"]);
    assert_eq!(balance_of(&balance, "native"), (1_000_000_000, 0, 0));
    let e = net.zkvm(&["wallet", "abandon", &txid]).unwrap_err();
    assert!(e.contains("no pending transaction"), "{e}");
    let e = net.zkvm(&["wallet", "rebroadcast", &txid]).unwrap_err();
    assert!(e.contains("no pending transaction"), "{e}");
}

#[test]
fn a_second_command_reads_the_wallet_while_a_send_waits_and_a_writer_is_told_who_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), NO_BLOCKS);
    let (_, bob) = new_wallet(&net, dir.path(), "bob.redb");

    // `send --wait` on the dev wallet: no block comes, so it keeps waiting.
    let mut waiting: Child = Command::new(env!("CARGO_BIN_EXE_zkvm"))
        .env("ZKVM_JSON", "1")
        .args([
            "wallet", "send", "--to", &bob, "--qty", "100", "--fee", "10", "--wait",
        ])
        .env("ZKVM_NODE", &net.addr)
        .env("ZKVM_WALLET", dir.path().join("data/wallet.redb"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let pool = net.ok(&["chain", "mempool"]);
        if pool["txs"].as_array().is_some_and(|t| !t.is_empty()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the payment never reached the pool"
        );
        assert!(waiting.try_wait().unwrap().is_none(), "send --wait ended");
        std::thread::sleep(Duration::from_millis(100));
    }

    // Reads work beside it, and see its pending payment.
    let balance = net.ok(&["wallet", "balance"]);
    assert_eq!(
        balance_of(&balance, "native"),
        (0, 1_000_000_000, 1_000_000_000 - 110)
    );
    net.ok(&["wallet", "history"]);
    net.ok(&["wallet", "utxos"]);

    // A second writer waits a few seconds, then names the holder.
    let start = Instant::now();
    let e = net.zkvm(&["wallet", "address"]).unwrap_err();
    assert!(
        e.contains(&format!("in use by process {}", waiting.id())),
        "{e}"
    );
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(waiting.try_wait().unwrap().is_none(), "send --wait ended");

    // Once the holder is gone (killed, even), the wallet is free.
    waiting.kill().unwrap();
    waiting.wait().unwrap();
    net.ok(&["wallet", "address"]);
}

#[test]
fn a_restored_wallet_through_a_snapshot_node_is_an_error_naming_the_missing_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(
        dir.path(),
        "block_interval_ms = 100\nempty_block_interval_ms = 100\n",
    );
    let bob_file = dir.path().join("bob.redb");
    let bob = bob_file.to_str().unwrap();
    let created = net.ok(&["wallet", "--wallet", bob, "new"]);
    let bob_addr = net.ok(&["wallet", "--wallet", bob, "address"])["address"]
        .as_str()
        .unwrap()
        .to_string();
    net.ok(&[
        "wallet", "send", "--to", &bob_addr, "--qty", "777", "--fee", "10", "--wait",
    ]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let listen = loop {
        let status = net.ok(&["chain", "status"]);
        if let (Some(l), Some(h)) = (status["listen"][0].as_str(), status["height"].as_u64()) {
            if h >= 10 {
                break l.to_string();
            }
        }
        assert!(Instant::now() < deadline, "the chain did not grow");
        std::thread::sleep(Duration::from_millis(100));
    };

    // A node bootstrapped from the devnet's snapshot: no early blocks.
    let snap = dir.path().join("snap");
    let genesis = dir.path().join("data/genesis.hex");
    let init = net.ok(&[
        "node",
        "init",
        "--data-dir",
        snap.to_str().unwrap(),
        "--genesis",
        genesis.to_str().unwrap(),
        "--from-snapshot",
        "--peer",
        &listen,
    ]);
    let base = init["height"].as_u64().unwrap();
    let node = NodeProcess::spawn(
        &[
            "node",
            "--data-dir",
            snap.to_str().unwrap(),
            "--api-addr",
            "127.0.0.1:0",
            "--listen",
            "127.0.0.1:0",
            "--peer",
            &listen,
            "--target-peers",
            "0",
        ],
        &dir.path().join("snap.log"),
    );

    // Bob restores his wallet from its phrase and asks the snapshot node:
    // an error naming the heights it lacks, not a balance of 0.
    let phrase = dir.path().join("phrase.txt");
    std::fs::write(&phrase, created["mnemonic"].as_str().unwrap()).unwrap();
    let restored = dir.path().join("restored.redb");
    let restored = restored.to_str().unwrap();
    net.ok(&[
        "wallet",
        "--wallet",
        restored,
        "new",
        "--mnemonic-file",
        phrase.to_str().unwrap(),
    ]);
    let out = Command::new(env!("CARGO_BIN_EXE_zkvm"))
        .env("ZKVM_JSON", "1")
        .args(["wallet", "--wallet", restored, "balance"])
        .env("ZKVM_NODE", &node.api)
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let e = stderr(&out);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.contains("lacks blocks 2 to "), "{e}");
    let to: u64 = e
        .split("lacks blocks 2 to ")
        .nth(1)
        .unwrap()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(to >= base, "missing up to {to}, snapshot at {base}: {e}");
    assert!(e.contains("full (archive) node"), "{e}");

    // Through the full node, the same wallet finds its funds.
    let balance = net.ok(&["wallet", "--wallet", restored, "balance"]);
    assert_eq!(balance_of(&balance, "native").0, 777);
}

#[test]
fn a_wallet_sealed_under_a_passphrase_opens_only_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), FAST);
    let pass = dir.path().join("pass.txt");
    std::fs::write(&pass, "correct horse battery\n").unwrap();
    let wrong = dir.path().join("wrong.txt");
    std::fs::write(&wrong, "incorrect horse\n").unwrap();
    // The wallet's directory is made private when the wallet makes it.
    let file = dir.path().join("private/alice.redb");
    let alice = file.to_str().unwrap();
    let (pass, wrong) = (pass.to_str().unwrap(), wrong.to_str().unwrap());

    // Without a passphrase or an explicit --no-passphrase, and no terminal
    // to ask on: refused.
    let out = raw(&net, &["wallet", "--wallet", alice, "new"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--no-passphrase"), "{}", stderr(&out));
    assert!(!file.exists());

    let created = stdout_json(&raw(
        &net,
        &[
            "wallet",
            "--wallet",
            alice,
            "--passphrase-file",
            pass,
            "new",
        ],
    ));
    assert_eq!(created["encrypted"], true);
    let phrase = created["mnemonic"].as_str().unwrap().to_string();

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(file.parent().unwrap()), 0o700);
    }
    let bytes = std::fs::read(&file).unwrap();
    for needle in [phrase.as_str(), phrase.split(' ').next().unwrap()] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "the file holds {needle:?}"
        );
    }

    // No passphrase, or a wrong one: a clear refusal.
    let out = raw(&net, &["wallet", "--wallet", alice, "balance"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("encrypted"), "{}", stderr(&out));
    let out = raw(
        &net,
        &[
            "wallet",
            "--wallet",
            alice,
            "--passphrase-file",
            wrong,
            "balance",
        ],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("wrong passphrase"),
        "{}",
        stderr(&out)
    );
    let out = raw(
        &net,
        &[
            "wallet",
            "--wallet",
            alice,
            "--passphrase-file",
            wrong,
            "export-phrase",
        ],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("wrong passphrase"),
        "{}",
        stderr(&out)
    );

    // With it: the wallet works, and gives its phrase back.
    let address = stdout_json(&raw(
        &net,
        &[
            "wallet",
            "--wallet",
            alice,
            "--passphrase-file",
            pass,
            "address",
        ],
    ))["address"]
        .as_str()
        .unwrap()
        .to_string();
    net.ok(&[
        "wallet", "send", "--to", &address, "--qty", "55", "--fee", "10", "--wait",
    ]);
    let balance = stdout_json(&raw(
        &net,
        &[
            "wallet",
            "--wallet",
            alice,
            "--passphrase-file",
            pass,
            "balance",
        ],
    ));
    assert_eq!(balance_of(&balance, "native").0, 55);
    let exported = stdout_json(&raw(
        &net,
        &[
            "wallet",
            "--wallet",
            alice,
            "--passphrase-file",
            pass,
            "export-phrase",
        ],
    ));
    assert_eq!(exported["mnemonic"], phrase.as_str());

    // A phrase on the command line works, with a warning.
    let restored = dir.path().join("restored.redb");
    let out = raw(
        &net,
        &[
            "wallet",
            "--wallet",
            restored.to_str().unwrap(),
            "new",
            "--no-passphrase",
            "--mnemonic",
            &phrase,
        ],
    );
    stdout_json(&out);
    assert!(stderr(&out).contains("--mnemonic-file"), "{}", stderr(&out));
}

#[test]
fn addresses_carry_labels_and_a_rescan_finds_the_same_funds() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), FAST);
    let (bob, _) = new_wallet(&net, dir.path(), "bob.redb");
    let savings = net.ok(&["wallet", "--wallet", &bob, "address", "--label", "savings"]);
    assert_eq!(savings["label"], "savings");
    let savings = savings["address"].as_str().unwrap().to_string();
    net.ok(&[
        "wallet", "send", "--to", &savings, "--qty", "321", "--fee", "10", "--wait",
    ]);
    let balance = net.ok(&["wallet", "--wallet", &bob, "balance"]);
    assert_eq!(balance_of(&balance, "native").0, 321);

    let list = net.ok(&["wallet", "--wallet", &bob, "addresses"]);
    let list = list["addresses"].as_array().unwrap();
    // `new` hands out address 0, `new_wallet` asks for address 1.
    assert_eq!(list.len(), 3, "{list:?}");
    assert_eq!(list[1]["label"], Value::Null);
    assert_eq!(list[2]["label"], "savings");
    assert_eq!(list[2]["address"], savings.as_str());
    assert_eq!(list[2]["unspent"][0]["qty"], 321);

    let history = net.ok(&["wallet", "--wallet", &bob, "history"]);
    let rescanned = net.ok(&["wallet", "--wallet", &bob, "rescan"]);
    assert_eq!(balance_of(&rescanned, "native").0, 321);
    assert_eq!(
        net.ok(&["wallet", "--wallet", &bob, "history"])["history"],
        history["history"]
    );
    let list = net.ok(&["wallet", "--wallet", &bob, "addresses"]);
    assert_eq!(list["addresses"][2]["label"], "savings");
}
