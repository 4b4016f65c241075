//! The CLI as its users expect it (issue 19), run as the built binary
//! against a devnet: human tables by default and JSON with `--json`;
//! assets known by the name their issuer logged, in every wallet, shown in
//! units; several recipients paid in one transaction.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::wallets::{command, fails, new_wallet, ok};
use common::{Devnet, FAST};
use serde_json::Value;

/// `zkvm <args>` as a person runs it: no `ZKVM_JSON`; its stdout.
fn human(net: &Devnet, dir: &Path, args: &[&str]) -> String {
    let out = command(net, dir, args)
        .env_remove("ZKVM_JSON")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "zkvm {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The balance row of the asset whose `name` (or `asset` identifier) is
/// `asset`.
fn row(balance: &Value, asset: &str) -> Value {
    balance["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == asset || b["asset"] == asset)
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn tables_for_people_json_for_scripts() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    let net = Devnet::start(work, FAST);
    let (_, bob) = new_wallet(&net, work, "bob");
    ok(
        &net,
        work,
        &[
            "wallet", "send", "--to", &bob, "--qty", "25", "--fee", "5", "--wait",
        ],
    );

    let json = ok(&net, work, &["wallet", "balance"]);
    let native = row(&json, "native");
    assert!(native["spendable"].is_u64(), "a number: {json}");
    assert_eq!(row(&json, "DEV")["spendable"], 1_000_000, "by name: {json}");

    let text = human(&net, work, &["wallet", "balance"]);
    let header = text.lines().find(|l| l.starts_with("ASSET")).unwrap();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["ASSET", "SPENDABLE", "LOCKED", "PENDING", "OFFERED"]
    );
    let spendable = native["spendable"].to_string();
    assert!(
        text.lines()
            .any(|l| l.starts_with("native") && l.split_whitespace().nth(1) == Some(&spendable)),
        "{text}"
    );
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "not JSON: {text}"
    );

    let history = human(&net, work, &["wallet", "history"]);
    let header = history.lines().find(|l| l.starts_with("TIME")).unwrap();
    for column in [
        "KIND",
        "COUNTERPARTIES",
        "AMOUNTS",
        "FEE",
        "STATUS",
        "CONFIRMATIONS",
    ] {
        assert!(header.contains(column), "{column} in {header}");
    }
    let sent = history.lines().find(|l| l.contains(" sent ")).unwrap();
    assert!(sent.contains(&bob[..12]), "the recipient: {sent}");
    assert!(
        sent.contains("25 native") && sent.contains("confirmed"),
        "{sent}"
    );
    let json = ok(&net, work, &["wallet", "history"]);
    let entry = json["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["kind"] == "sent")
        .unwrap()
        .clone();
    assert_eq!(entry["counterparties"][0], bob.as_str());
    assert!(entry["confirmations"].as_u64().unwrap() >= 1);
    assert!(entry["time"].as_str().unwrap().ends_with('Z'), "{entry}");

    let mempool = human(&net, work, &["chain", "mempool"]);
    assert!(mempool.contains("bytes:"), "{mempool}");
    let status = human(&net, work, &["chain", "status"]);
    assert!(status.lines().any(|l| l.starts_with("height:")), "{status}");
}

#[test]
fn assets_by_name_in_every_wallet_and_many_recipients_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    let net = Devnet::start(work, FAST);
    let issued = ok(
        &net,
        work,
        &[
            "wallet",
            "issue",
            "--qty",
            "100000",
            "--name",
            "GOLD",
            "--decimals",
            "2",
            "--description",
            "one hundredth of an ounce",
            "--wait",
        ],
    );
    let gold = issued["flavor"].as_str().unwrap().to_string();
    // The node shows the metadata of the issuing transaction.
    let tx = ok(
        &net,
        work,
        &["chain", "tx", issued["txid"].as_str().unwrap()],
    );
    assert_eq!(tx["assets"][0]["name"], "GOLD", "{tx}");
    assert_eq!(tx["assets"][0]["flavor"], gold.as_str());
    assert_eq!(tx["assets"][0]["decimals"], 2);
    let (bob_file, bob) = new_wallet(&net, work, "bob");
    let (carol_file, carol) = new_wallet(&net, work, "carol");

    // One transaction: native and GOLD to bob, GOLD to carol.
    let paid = ok(
        &net,
        work,
        &[
            "wallet",
            "send",
            "--to",
            &format!("{bob}:5000"),
            "--to",
            &format!("{bob}:1250:GOLD"),
            "--to",
            &format!("{carol}:300:GOLD"),
            "--to",
            &format!("{carol}:3000:native"),
            "--wait",
        ],
    );
    assert_eq!(paid["payments"].as_array().unwrap().len(), 4);
    assert_eq!(paid["status"], "confirmed");

    // Bob never issued GOLD: he knows it from the chain.
    let b = ok(&net, work, &["wallet", "--wallet", &bob_file, "balance"]);
    assert_eq!(row(&b, "GOLD")["spendable"], 1250, "{b}");
    assert_eq!(row(&b, "GOLD")["asset"], gold.as_str());
    assert_eq!(row(&b, "native")["spendable"], 5000);
    let text = human(&net, work, &["wallet", "--wallet", &bob_file, "balance"]);
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().take(2).eq(["GOLD", "12.50"])),
        "in units: {text}"
    );
    assert!(!text.contains(&gold), "by name, not flavor: {text}");
    let assets = ok(&net, work, &["wallet", "--wallet", &bob_file, "assets"]);
    // GOLD among the assets it knows (DEV, from the genesis, too), in
    // flavor order: find it by name.
    let info = assets["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "GOLD")
        .unwrap_or_else(|| panic!("no GOLD in {assets}"));
    assert_eq!(info["decimals"], 2);
    assert_eq!(info["description"], "one hundredth of an ounce");
    let history = human(&net, work, &["wallet", "--wallet", &carol_file, "history"]);
    assert!(history.contains("3.00 GOLD"), "{history}");

    // Bob pays with the name.
    ok(
        &net,
        work,
        &[
            "wallet", "--wallet", &bob_file, "send", "--to", &carol, "--qty", "250", "--asset",
            "GOLD", "--wait",
        ],
    );
    let c = ok(&net, work, &["wallet", "--wallet", &carol_file, "balance"]);
    assert_eq!(row(&c, "GOLD")["spendable"], 550);

    let e = fails(
        &net,
        work,
        &[
            "wallet", "--wallet", &bob_file, "send", "--to", &carol, "--qty", "1", "--asset",
            "SILVER",
        ],
    );
    assert!(e.contains("unknown asset SILVER"), "{e}");
    let e = fails(
        &net,
        work,
        &[
            "wallet",
            "send",
            "--to",
            &format!("{carol}:x"),
            "--fee",
            "5",
        ],
    );
    assert!(e.contains("not a quantity"), "{e}");

    // Carol issues her own GOLD: the name is now ambiguous, and each is
    // told apart by its flavor's first digits.
    ok(
        &net,
        work,
        &[
            "wallet",
            "--wallet",
            &carol_file,
            "issue",
            "--qty",
            "9",
            "--name",
            "GOLD",
            "--wait",
        ],
    );
    let e = fails(
        &net,
        work,
        &[
            "wallet", "--wallet", &bob_file, "send", "--to", &carol, "--qty", "1", "--asset",
            "GOLD",
        ],
    );
    assert!(e.contains("several issuers"), "{e}");
    let label = format!("GOLD#{}", &gold[..8]);
    assert!(e.contains(&label), "{e}");
    let b = ok(&net, work, &["wallet", "--wallet", &bob_file, "balance"]);
    assert_eq!(row(&b, &label)["spendable"], 1000, "{b}");
    ok(
        &net,
        work,
        &[
            "wallet", "--wallet", &bob_file, "send", "--to", &carol, "--qty", "1", "--asset",
            &label, "--wait",
        ],
    );
    let b = ok(&net, work, &["wallet", "--wallet", &bob_file, "balance"]);
    assert_eq!(row(&b, &label)["spendable"], 999, "{b}");
}

#[test]
fn a_passphrase_is_changed_and_the_old_one_no_longer_opens_the_wallet() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    let net = Devnet::start(work, FAST);
    std::fs::write(work.join("old.txt"), "old secret\n").unwrap();
    std::fs::write(work.join("new.txt"), "new secret\n").unwrap();
    let made = ok(
        &net,
        work,
        &[
            "wallet",
            "--wallet",
            "w.redb",
            "--passphrase-file",
            "old.txt",
            "new",
        ],
    );
    assert_eq!(made["encrypted"], true);
    let changed = ok(
        &net,
        work,
        &[
            "wallet",
            "--wallet",
            "w.redb",
            "--passphrase-file",
            "old.txt",
            "passphrase",
            "--new-passphrase-file",
            "new.txt",
        ],
    );
    assert_eq!(changed["encrypted"], true);
    let e = fails(
        &net,
        work,
        &[
            "wallet",
            "--wallet",
            "w.redb",
            "--passphrase-file",
            "old.txt",
            "balance",
        ],
    );
    assert!(e.contains("passphrase"), "{e}");
    let phrase = ok(
        &net,
        work,
        &[
            "wallet",
            "--wallet",
            "w.redb",
            "--passphrase-file",
            "new.txt",
            "export-phrase",
        ],
    );
    assert_eq!(phrase["mnemonic"], made["mnemonic"]);
    // A wrong current passphrase changes nothing.
    let e = fails(
        &net,
        work,
        &[
            "wallet",
            "--wallet",
            "w.redb",
            "--passphrase-file",
            "old.txt",
            "passphrase",
            "--remove",
        ],
    );
    assert!(e.contains("passphrase"), "{e}");
    let cleared = ok(
        &net,
        work,
        &[
            "wallet",
            "--wallet",
            "w.redb",
            "--passphrase-file",
            "new.txt",
            "passphrase",
            "--remove",
        ],
    );
    assert_eq!(cleared["encrypted"], false);
    ok(&net, work, &["wallet", "--wallet", "w.redb", "balance"]);
}

/// No block for ten minutes after the first: pending transactions stay
/// pending.
const NO_BLOCKS: &str = "block_interval_ms = 600000\nempty_block_interval_ms = 0\n";

/// The native `spendable`, `pending` and `locked` of a balance answer.
fn native_parts(balance: &Value) -> (u64, u64, u64) {
    let n = row(balance, "native");
    let get = |k: &str| n[k].as_u64().unwrap_or(0);
    (get("spendable"), get("pending"), get("locked"))
}

#[test]
fn a_second_send_spends_the_change_of_a_pending_one() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    let net = Devnet::start(work, NO_BLOCKS);
    let (_, bob) = new_wallet(&net, work, "bob");
    let before = ok(&net, work, &["wallet", "balance"]);
    let (total, _, _) = native_parts(&before);
    // The dev wallet holds one native output: the first payment locks it,
    // so the second can only be paid from the first's change.
    let first = ok(
        &net,
        work,
        &[
            "wallet", "send", "--to", &bob, "--qty", "100", "--fee", "50",
        ],
    );
    let second = ok(
        &net,
        work,
        &[
            "wallet", "send", "--to", &bob, "--qty", "200", "--fee", "50",
        ],
    );
    let third = ok(
        &net,
        work,
        &[
            "wallet", "send", "--to", &bob, "--qty", "300", "--fee", "50",
        ],
    );
    let pool = ok(&net, work, &["chain", "mempool"]);
    let ids: Vec<&str> = pool["txs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    for tx in [&first, &second, &third] {
        assert!(ids.contains(&tx["txid"].as_str().unwrap()), "{pool}");
    }
    let after = ok(&net, work, &["wallet", "balance"]);
    assert_eq!(
        native_parts(&after),
        (0, total - 600 - 150, total),
        "only the last change is pending: {after}"
    );
    // Rebroadcast sends parents first: the node knows all three.
    let again = ok(&net, work, &["wallet", "rebroadcast"]);
    let statuses: Vec<&str> = again["rebroadcast"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["already known"; 3], "{again}");
    // Abandoning the first drops the two that spend its change.
    ok(
        &net,
        work,
        &["wallet", "abandon", first["txid"].as_str().unwrap()],
    );
    let history = ok(&net, work, &["wallet", "history"]);
    assert_eq!(history["pending"].as_array().unwrap().len(), 0, "{history}");
    assert_eq!(
        native_parts(&ok(&net, work, &["wallet", "balance"])),
        (total, 0, 0)
    );
}

#[test]
fn chained_sends_confirm_together() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    let net = Devnet::start(work, FAST);
    let (bob_file, bob) = new_wallet(&net, work, "bob");
    ok(
        &net,
        work,
        &[
            "wallet", "send", "--to", &bob, "--qty", "100", "--fee", "50",
        ],
    );
    ok(
        &net,
        work,
        &[
            "wallet", "send", "--to", &bob, "--qty", "200", "--fee", "50", "--wait",
        ],
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let b = ok(&net, work, &["wallet", "--wallet", &bob_file, "balance"]);
        if native_parts(&b).0 == 300 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "bob has {b}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let h = ok(&net, work, &["wallet", "history"]);
    let sent = h["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "sent")
        .count();
    assert_eq!(sent, 2, "{h}");
}

#[test]
fn a_failed_init_from_a_snapshot_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    let net = Devnet::start(work, FAST);
    let genesis = net.dir.join("data/genesis.hex");
    let genesis = genesis.to_str().unwrap();
    // No peer listens on port 1: the snapshot cannot be fetched.
    let e = fails(
        &net,
        work,
        &[
            "node",
            "init",
            "--data-dir",
            "fresh",
            "--genesis",
            genesis,
            "--from-snapshot",
            "--peer",
            "127.0.0.1:1",
        ],
    );
    assert!(e.contains("peer"), "{e}");
    assert!(
        !work.join("fresh").exists(),
        "the data directory was removed"
    );
    // A directory the user made is kept, empty as it was.
    std::fs::create_dir(work.join("mine")).unwrap();
    fails(
        &net,
        work,
        &[
            "node",
            "init",
            "--data-dir",
            "mine",
            "--genesis",
            genesis,
            "--from-snapshot",
            "--peer",
            "127.0.0.1:1",
        ],
    );
    assert_eq!(std::fs::read_dir(work.join("mine")).unwrap().count(), 0);
    // The same command against the devnet's peer-to-peer address works.
    let status = ok(&net, work, &["chain", "status"]);
    let p2p = status["listen"][0].as_str().unwrap().to_string();
    let made = ok(
        &net,
        work,
        &[
            "node",
            "init",
            "--data-dir",
            "mine",
            "--genesis",
            genesis,
            "--from-snapshot",
            "--peer",
            &p2p,
        ],
    );
    assert_eq!(made["pruned"], true, "{made}");
}

/// A stand-in for the node at `upstream` that passes every request through
/// but cuts each `POST /v1/txs` without an answer (a node that took the
/// transaction, or not, and died). Its `host:port`.
fn unanswering_proxy(upstream: String) -> String {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            let upstream = upstream.clone();
            std::thread::spawn(move || {
                let mut head = [0u8; 16];
                let mut got = 0;
                while got < head.len() {
                    match client.read(&mut head[got..]) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got += n,
                    }
                }
                if head.starts_with(b"POST /v1/txs") {
                    // Take the request, answer nothing, hang up.
                    let _ = client.set_read_timeout(Some(std::time::Duration::from_millis(300)));
                    let mut sink = [0u8; 4096];
                    while matches!(client.read(&mut sink), Ok(n) if n > 0) {}
                    return;
                }
                let Ok(mut server) = TcpStream::connect(&upstream) else {
                    return;
                };
                if server.write_all(&head).is_err() {
                    return;
                }
                let (Ok(mut c2), Ok(mut s2)) = (client.try_clone(), server.try_clone()) else {
                    return;
                };
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut s2, &mut c2);
                    let _ = c2.shutdown(std::net::Shutdown::Both);
                });
                let _ = std::io::copy(&mut client, &mut server);
                let _ = server.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    addr
}

#[test]
fn a_submission_the_node_never_answers_leaves_the_funds_usable() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    let net = Devnet::start(work, FAST);
    let (bob_file, bob) = new_wallet(&net, work, "bob");
    let proxy = unanswering_proxy(net.addr.clone());
    let out = command(
        &net,
        work,
        &[
            "wallet", "send", "--to", &bob, "--qty", "100", "--fee", "50",
        ],
    )
    .env("ZKVM_NODE", &proxy)
    .output()
    .unwrap();
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(e.contains("rebroadcast") && e.contains("abandon"), "{e}");
    // The outcome is unknown: the transaction stays pending, its inputs
    // locked, until the user decides.
    let history = ok(&net, work, &["wallet", "history"]);
    let pending = history["pending"].as_array().unwrap();
    assert_eq!(pending.len(), 1, "{history}");
    let txid = pending[0]["txid"].as_str().unwrap().to_string();
    assert!(e.contains(&txid), "{e}");
    let (spendable, _, locked) = native_parts(&ok(&net, work, &["wallet", "balance"]));
    assert_eq!(spendable, 0);
    assert!(locked > 0);
    // Submitted again to a node that answers, it goes through, and the
    // wallet pays on.
    let again = ok(&net, work, &["wallet", "rebroadcast"]);
    assert_eq!(again["rebroadcast"][0]["status"], "accepted", "{again}");
    ok(
        &net,
        work,
        &[
            "wallet", "send", "--to", &bob, "--qty", "50", "--fee", "50", "--wait",
        ],
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while native_parts(&ok(
        &net,
        work,
        &["wallet", "--wallet", &bob_file, "balance"],
    ))
    .0 != 150
    {
        assert!(std::time::Instant::now() < deadline, "bob never got 150");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // Or, abandoned, a transaction the node never saw frees its inputs.
    let out = command(
        &net,
        work,
        &["wallet", "send", "--to", &bob, "--qty", "10", "--fee", "50"],
    )
    .env("ZKVM_NODE", &proxy)
    .output()
    .unwrap();
    assert!(!out.status.success());
    let history = ok(&net, work, &["wallet", "history"]);
    let txid = history["pending"][0]["txid"].as_str().unwrap().to_string();
    let before = native_parts(&ok(&net, work, &["wallet", "balance"]));
    ok(&net, work, &["wallet", "abandon", &txid]);
    let after = native_parts(&ok(&net, work, &["wallet", "balance"]));
    assert_eq!(
        after.0, before.2,
        "the locked funds are spendable: {before:?} {after:?}"
    );
}
