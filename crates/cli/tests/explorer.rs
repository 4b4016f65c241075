//! The block explorer in a real browser (docs/explorer.md): a devnet with
//! an issuance, payments and a contract, read through headless Chromium.
//! Links are followed as a reader follows them, search finds each kind of
//! ID, the transaction page verifies transactions with the wasm verifier
//! (and refuses tampered bytes), a link from `zkvm wallet reveal` shows an
//! amount only when its opening checks out, and no page logs a console
//! error.
//!
//! With `ZKVM_EXPLORER_SCREENSHOTS=DIR` the test also saves a screenshot
//! of each page in DIR (docs/explorer/ holds the committed ones).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/browser.rs"]
mod browser;
mod common;

use std::path::{Path, PathBuf};

use browser::{browser_or_skip, Browser};
use common::wallets::{contract_id, dev_address, new_wallet, ok};
use common::{Devnet, FAST};
use serde_json::{json, Value};

/// Saves the window as `DIR/name.png` when screenshots are asked for.
fn screenshot(b: &Browser, name: &str) {
    if let Some(dir) = std::env::var_os("ZKVM_EXPLORER_SCREENSHOTS") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), b.screenshot()).unwrap();
    }
}

/// The page has logged no error to its console since the last check.
fn no_console_errors(b: &Browser, page: &str) {
    let errors = b.console_errors();
    assert!(errors.is_empty(), "{page}: console errors: {errors:?}");
}

fn txid(v: &Value) -> String {
    v["txid"].as_str().unwrap().to_string()
}

/// A contract locked by the dev wallet to itself.
const ACCOUNT: &str = r#"
key = ["me"]
[parties]
me = "$me"
"#;

/// Searches `query` through the page's search box and waits for the page
/// it leads to.
fn search(b: &Browser, query: &str, expect_path: &str) {
    b.eval(
        "document.getElementById('q').value = arguments[0]; \
         document.getElementById('search').requestSubmit();",
        json!([query]),
    );
    b.wait_for(&format!(
        "location.pathname === {} && document.getElementById('main').dataset.ready === 'true'",
        json!(expect_path)
    ));
}

/// A transaction's hex with one byte of its proof (near the end) flipped.
fn tampered(hex_tx: &str) -> String {
    let mut bytes = hex::decode(hex_tx).unwrap();
    let at = bytes.len() - 40;
    bytes[at] ^= 0x01;
    hex::encode(bytes)
}

#[test]
fn a_reader_follows_searches_verifies_and_reveals_in_a_browser() {
    if browser_or_skip().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let work: &Path = dir.path();
    let net = Devnet::start(work, FAST);
    let base = format!("http://{}", net.addr);
    let (bob, bob_addr) = new_wallet(&net, work, "bob");

    // An issuance, two payments (the second spends the first's change),
    // and a contract.
    let issued = ok(
        &net,
        work,
        &[
            "wallet", "issue", "--qty", "5000", "--name", "GOLD", "--fee", "7", "--wait",
        ],
    );
    let gold = issued["flavor"].as_str().unwrap().to_string();
    let pay1 = txid(&ok(
        &net,
        work,
        &[
            "wallet", "send", "--to", &bob_addr, "--qty", "100", "--fee", "9", "--wait",
        ],
    ));
    let pay2 = txid(&ok(
        &net,
        work,
        &[
            "wallet", "send", "--to", &bob_addr, "--qty", "250", "--asset", "GOLD", "--fee", "9",
            "--wait",
        ],
    ));
    std::fs::write(work.join("account.toml"), ACCOUNT).unwrap();
    let me = format!("me={}", dev_address(&net, work));
    let contract = contract_id(&ok(
        &net,
        work,
        &[
            "wallet",
            "lock",
            "--qty",
            "400",
            "--predicate",
            "account.toml",
            "--param",
            &me,
            "--fee",
            "10",
            "--wait",
        ],
    ));
    let pay2_tx = net.ok(&["chain", "tx", &pay2]);
    let pay2_height = pay2_tx["height"].as_u64().unwrap();
    let pay2_block = net.ok(&["chain", "block", &pay2_height.to_string()]);
    let pay2_block_id = pay2_block["header"]["id"].as_str().unwrap().to_string();
    let pay2_hex = pay2_tx["hex"].as_str().unwrap().to_string();

    let b = Browser::start(1200, 1000);

    // Home: the latest blocks, then a new block appears without a reload.
    b.open(&format!("{base}/"));
    b.wait_for("document.getElementById('height')");
    // The console is read for real: an error logged now is seen.
    b.eval(
        "console.error('explorer test: the console is watched');",
        json!([]),
    );
    let seen = b.console_errors();
    assert!(
        seen.iter().any(|m| m.contains("the console is watched")),
        "{seen:?}"
    );
    let shown: u64 = b.text("#height").parse().unwrap();
    b.eval("window.__sameDocument = true;", json!([]));
    ok(
        &net,
        work,
        &[
            "wallet", "send", "--to", &bob_addr, "--qty", "5", "--fee", "9", "--wait",
        ],
    );
    b.wait_for(&format!(
        "Number(document.getElementById('height').textContent) > {shown}"
    ));
    assert_eq!(b.value("window.__sameDocument === true"), true);
    screenshot(&b, "home");
    no_console_errors(&b, "home");

    // Block -> transaction -> the transaction that created its input.
    b.open(&format!("{base}/block/{pay2_height}"));
    assert_eq!(b.text("#block-id"), pay2_block_id);
    screenshot(&b, "block");
    no_console_errors(&b, "block");
    b.click_link(&format!("#block-txs a[href='/tx/{pay2}']"));
    assert_eq!(b.text("#txid"), pay2);
    b.wait_for("document.getElementById('verify-status').dataset.state !== 'running'");
    let verified = b.text("#verify-status");
    assert_eq!(
        b.value("document.getElementById('verify-status').dataset.state"),
        "verified",
        "{verified}"
    );
    assert!(
        verified.contains("verified in your browser in") && verified.ends_with(" ms"),
        "{verified}"
    );
    assert!(
        b.text("#program").contains("cloak"),
        "the program is shown as assembly"
    );
    // Amounts are confidential, never zero.
    assert!(b.text("#outputs").contains("confidential"));
    screenshot(&b, "tx");
    no_console_errors(&b, "tx");
    let created_by = b
        .eval(
            "return [...document.querySelectorAll('#inputs a[href^=\"/tx/\"]')].map(a => a.getAttribute('href'));",
            json!([]),
        )
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    assert!(!created_by.is_empty(), "pay2 spends outputs of earlier txs");
    b.click_link(&format!("#inputs a[href='{}']", created_by[0]));
    let input_tx = created_by[0].trim_start_matches("/tx/").to_string();
    assert_eq!(b.text("#txid"), input_tx);
    assert!(
        [txid(&issued), pay1.clone()].contains(&input_tx),
        "{input_tx}"
    );
    // ... whose output links forward to pay2, which spent it.
    assert_eq!(
        b.value(&format!(
            "!!document.querySelector(\"#outputs a[href='/tx/{pay2}']\")"
        )),
        true
    );
    b.wait_for("document.getElementById('verify-status').dataset.state === 'verified'");
    no_console_errors(&b, "input's tx");

    // Tampered bytes do not verify; the untouched ones do.
    for (bytes, state) in [
        (tampered(&pay2_hex), "failed"),
        (pay2_hex.clone(), "verified"),
    ] {
        b.eval(
            "document.getElementById('other-hex').value = arguments[0]; \
             const out = document.getElementById('verify-other-status'); \
             out.dataset.state = ''; \
             document.getElementById('verify-other').click();",
            json!([bytes]),
        );
        b.wait_for(&format!(
            "document.getElementById('verify-other-status').dataset.state === '{state}'"
        ));
    }
    assert!(b
        .text("#verify-other-status")
        .contains("verified in your browser"));

    // Search by each kind of ID (and a height).
    search(
        &b,
        &pay2_height.to_string(),
        &format!("/block/{pay2_height}"),
    );
    search(&b, &pay2_block_id, &format!("/block/{pay2_block_id}"));
    assert_eq!(b.text("#block-id"), pay2_block_id);
    search(&b, &pay2, &format!("/tx/{pay2}"));
    assert_eq!(b.text("#txid"), pay2);
    search(&b, &contract, &format!("/contract/{contract}"));
    assert_eq!(b.text("#contract-status"), "unspent");
    screenshot(&b, "contract");
    no_console_errors(&b, "search and contract");

    // The asset page lists GOLD's issuance; the signers and peers page.
    b.open(&format!("{base}/asset/{gold}"));
    assert!(b.text("#asset-events").contains("issue"));
    // The issuance's metadata: the name the wallet gave the asset.
    assert_eq!(b.text("#asset-events .metadata"), "GOLD");
    assert_eq!(
        b.value(&format!(
            "!!document.querySelector(\"#asset-events a[href='/tx/{}']\")",
            txid(&issued)
        )),
        true
    );
    screenshot(&b, "asset");
    b.open(&format!("{base}/network"));
    assert_eq!(b.text("#signers").len(), 64);
    screenshot(&b, "network");
    no_console_errors(&b, "asset and network");

    // Reveal: Bob's link shows his 100, checked in the browser.
    let revealed = ok(&net, work, &["wallet", "--wallet", &bob, "reveal", &pay1]);
    let url = revealed["url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&format!("{base}/tx/{pay1}#reveal=")),
        "{url}"
    );
    b.open(&url);
    b.wait_for("document.getElementById('reveal-status').dataset.state === 'revealed'");
    assert_eq!(b.text("[data-revealed]"), "100");
    screenshot(&b, "reveal");
    no_console_errors(&b, "reveal");
    // A tampered opening (another quantity) is refused and shows nothing.
    let (page, fragment) = url.split_once('#').unwrap();
    let forged = fragment.replacen(".100.", ".1000.", 1);
    assert_ne!(forged, fragment);
    // Another page first: a new fragment alone would not load the page again.
    b.open(&format!("{base}/network"));
    b.open(&format!("{page}#{forged}"));
    b.wait_for("document.getElementById('reveal-status').dataset.state === 'refused'");
    assert_eq!(
        b.value("document.querySelectorAll('[data-revealed]').length"),
        0
    );
    assert!(b.text("#outputs").contains("confidential"));
    no_console_errors(&b, "refused reveal");

    // For the documentation: the revealed page on a phone, in dark mode.
    if std::env::var_os("ZKVM_EXPLORER_SCREENSHOTS").is_some() {
        drop(b);
        let phone = Browser::start_with(
            390,
            844,
            &[
                "--force-dark-mode",
                "--blink-settings=preferredColorScheme=0",
            ],
        );
        phone.open(&url);
        phone.wait_for("document.getElementById('reveal-status').dataset.state === 'revealed'");
        assert_eq!(
            phone.value("matchMedia('(prefers-color-scheme: dark)').matches"),
            true
        );
        screenshot(&phone, "phone-dark");
        no_console_errors(&phone, "phone");
    }
}
