//! `zkvm wallet rescan --from HEIGHT` and a restore's birthday (`zkvm
//! wallet new --mnemonic-file FILE --from HEIGHT`, docs/spec/wallet.md
//! §Rescan), run as the built binary against a devnet that makes a block
//! every 100 ms: a wallet restored below its payment's height finds it
//! and reads only the blocks from its birthday on; restored above it, it
//! does not, and says so; an existing wallet rescans from a height keeping
//! its addresses and labels; heights that cannot be served are refused
//! with a clear error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::Devnet;
use serde_json::Value;

/// Blocks every 100 ms, empty ones too: heights pass while the test runs.
const BUSY: &str = "block_interval_ms = 100\nempty_block_interval_ms = 100\n";

/// The spendable native units in a `wallet balance` (or `rescan`) answer.
fn native(balance: &Value) -> u64 {
    balance["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["asset"] == "native")
        .map_or(0, |b| b["spendable"].as_u64().unwrap())
}

/// A `wallet history` answer's entries without their confirmations, which
/// grow with every block.
fn settled(history: &Value) -> Value {
    let mut list = history["history"].clone();
    for entry in list.as_array_mut().unwrap() {
        entry.as_object_mut().unwrap().remove("confirmations");
    }
    list
}

/// Waits until the node's tip is at least `height`.
fn wait_for_height(net: &Devnet, height: u64) {
    let start = Instant::now();
    while net.ok(&["chain", "status"])["height"].as_u64().unwrap() < height {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no block {height}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_restore_with_a_birthday_finds_payments_from_it_on_and_rescans_keep_labels() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), BUSY);
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let bob = path("bob.redb");
    let created = net.ok(&["wallet", "--wallet", &bob, "new"]);
    let phrase_file = path("bob.phrase");
    std::fs::write(&phrase_file, created["mnemonic"].as_str().unwrap()).unwrap();
    let savings = net.ok(&["wallet", "--wallet", &bob, "address", "--label", "savings"]);
    let savings = savings["address"].as_str().unwrap().to_string();

    // Some blocks before the payment, so that a birthday skips them.
    wait_for_height(&net, 12);
    let sent = net.ok(&[
        "wallet", "send", "--to", &savings, "--qty", "321", "--fee", "10", "--wait",
    ]);
    let paid_at = sent["height"].as_u64().unwrap();
    assert!(paid_at > 12, "{sent}");
    let bob_balance = net.ok(&["wallet", "--wallet", &bob, "balance"]);
    assert_eq!(native(&bob_balance), 321);
    wait_for_height(&net, paid_at + 2);

    // Restored with a birthday below the payment: found.
    let early = path("early.redb");
    let birthday = (paid_at - 5).to_string();
    let restored = net.ok(&[
        "wallet",
        "--wallet",
        &early,
        "new",
        "--mnemonic-file",
        &phrase_file,
        "--from",
        &birthday,
    ]);
    assert_eq!(restored["scans_from"], paid_at - 5);
    assert!(
        restored["warning"]
            .as_str()
            .unwrap()
            .contains(&format!("before block {birthday} are not found")),
        "{restored}"
    );
    let balance = net.ok(&["wallet", "--wallet", &early, "balance"]);
    assert_eq!(native(&balance), 321);
    let history = net.ok(&["wallet", "--wallet", &early, "history"]);
    assert_eq!(history["history"][0]["height"], paid_at, "{history}");
    // Only the blocks from the birthday on were read: a rescan from it
    // reads exactly the heights from there to the wallet's tip.
    let again = net.ok(&["wallet", "--wallet", &early, "rescan", "--from", &birthday]);
    let height = again["height"].as_u64().unwrap();
    assert_eq!(
        again["blocks_scanned"],
        height - (paid_at - 5) + 1,
        "{again}"
    );
    assert_eq!(again["rescanned_from"], paid_at - 5);
    assert_eq!(native(&again), 321);

    // Restored with a birthday above the payment: not found, as it said.
    let late = path("late.redb");
    let after = (paid_at + 1).to_string();
    let restored = net.ok(&[
        "wallet",
        "--wallet",
        &late,
        "new",
        "--mnemonic-file",
        &phrase_file,
        "--from",
        &after,
    ]);
    assert!(
        restored["warning"].as_str().unwrap().contains(&format!(
            "payments received before block {after} are not found"
        )),
        "{restored}"
    );
    let balance = net.ok(&["wallet", "--wallet", &late, "balance"]);
    assert_eq!(native(&balance), 0, "{balance}");

    // The existing wallet rescans from the payment's height: the same
    // funds and history, its addresses and labels kept.
    let history = net.ok(&["wallet", "--wallet", &bob, "history"]);
    let rescanned = net.ok(&[
        "wallet",
        "--wallet",
        &bob,
        "rescan",
        "--from",
        &paid_at.to_string(),
    ]);
    assert_eq!(native(&rescanned), 321);
    let height = rescanned["height"].as_u64().unwrap();
    assert_eq!(rescanned["blocks_scanned"], height - paid_at + 1);
    assert_eq!(
        settled(&net.ok(&["wallet", "--wallet", &bob, "history"])),
        settled(&history)
    );
    let list = net.ok(&["wallet", "--wallet", &bob, "addresses"]);
    assert_eq!(list["addresses"][1]["label"], "savings", "{list}");
    assert_eq!(list["addresses"][1]["address"], savings.as_str());
    // From the genesis, every block is read.
    let full = net.ok(&["wallet", "--wallet", &bob, "rescan"]);
    let height = full["height"].as_u64().unwrap();
    assert_eq!(full["blocks_scanned"], height - 1);
    assert_eq!(native(&full), 321);

    // Heights that cannot be served: clear errors, nothing changed.
    let e = net
        .zkvm(&["wallet", "--wallet", &bob, "rescan", "--from", "0"])
        .unwrap_err();
    assert!(e.contains("numbered from 1"), "{e}");
    let e = net
        .zkvm(&[
            "wallet",
            "--wallet",
            &bob,
            "rescan",
            "--from",
            &(height + 1000).to_string(),
        ])
        .unwrap_err();
    assert!(e.contains("a rescan starts at most at"), "{e}");
    let nowhere = path("nowhere.redb");
    let e = net
        .zkvm(&[
            "wallet",
            "--wallet",
            &nowhere,
            "new",
            "--mnemonic-file",
            &phrase_file,
            "--from",
            "18446744073709551615",
        ])
        .unwrap_err();
    assert!(e.contains("beyond the node's tip"), "{e}");
    assert!(!std::path::Path::new(&nowhere).exists());
    assert_eq!(
        native(&net.ok(&["wallet", "--wallet", &bob, "balance"])),
        321
    );
}
