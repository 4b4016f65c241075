//! Assets by name for everyone (issue 19), run as the built binary against
//! a devnet: the genesis's asset section (docs/spec/blockchain.md
//! §Genesis) names `DEV` for every wallet and the node, not only for the
//! dev wallet; and amounts are typed in units with the declared decimals
//! (docs/spec/wallet.md §Asset metadata).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::wallets::{command, fails, new_wallet, ok};
use common::{Devnet, FAST};
use serde_json::Value;

/// The balance row of the asset whose `name` is `name`.
fn named(balance: &Value, name: &str) -> Value {
    balance["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}

/// `GET path` of the devnet's API, as JSON.
fn get(net: &Devnet, path: &str) -> Value {
    let response = reqwest::blocking::get(format!("http://{}{path}", net.addr)).unwrap();
    assert!(response.status().is_success(), "{path}: {response:?}");
    response.json().unwrap()
}

#[test]
fn a_wallet_from_a_fresh_phrase_knows_dev_by_the_genesis() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    let net = Devnet::start(work, FAST);

    // The node names DEV from the genesis: its flavor is the dev wallet's.
    let dev_flavor = named(&ok(&net, work, &["wallet", "balance"]), "DEV")["asset"]
        .as_str()
        .unwrap()
        .to_string();
    let listed = get(&net, "/v1/assets");
    let dev = &listed["assets"][0];
    assert_eq!(dev["name"], "DEV", "{listed}");
    assert_eq!(dev["flavor"], dev_flavor.as_str());
    assert_eq!(dev["height"], 1);
    assert_eq!(
        ok(&net, work, &["chain", "assets"])["assets"][0],
        listed["assets"][0]
    );
    let page = get(&net, &format!("/explorer/api/asset/{dev_flavor}"));
    assert_eq!(page["metadata"]["name"], "DEV", "{page}");
    assert_eq!(page["in_genesis"], true);

    // A wallet from a fresh recovery phrase knows DEV before holding any.
    let made = ok(&net, work, &["wallet", "--wallet", "bob.redb", "new"]);
    let phrase = made["mnemonic"].as_str().unwrap();
    let known = ok(&net, work, &["wallet", "--wallet", "bob.redb", "assets"]);
    assert_eq!(known["assets"][0]["name"], "DEV", "{known}");
    assert_eq!(known["assets"][0]["asset"], dev_flavor.as_str());
    let bob = ok(&net, work, &["wallet", "--wallet", "bob.redb", "address"])["address"]
        .as_str()
        .unwrap()
        .to_string();

    // The dev wallet pays Bob DEV by name; Bob sees it by name.
    ok(
        &net,
        work,
        &[
            "wallet",
            "send",
            "--to",
            &format!("{bob}:5000"),
            "--to",
            &format!("{bob}:300:DEV"),
            "--wait",
        ],
    );
    let b = ok(&net, work, &["wallet", "--wallet", "bob.redb", "balance"]);
    assert_eq!(named(&b, "DEV")["spendable"], 300, "{b}");
    assert_eq!(named(&b, "DEV")["asset"], dev_flavor.as_str());
    let text = command(&net, work, &["wallet", "--wallet", "bob.redb", "balance"])
        .env_remove("ZKVM_JSON")
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().take(2).eq(["DEV", "300"])),
        "by name: {text}"
    );
    assert!(!text.contains(&dev_flavor), "not by flavor: {text}");

    // Bob pays with the name.
    let (carol_file, carol) = new_wallet(&net, work, "carol");
    ok(
        &net,
        work,
        &[
            "wallet", "--wallet", "bob.redb", "send", "--to", &carol, "--qty", "120", "--asset",
            "DEV", "--wait",
        ],
    );
    let c = ok(&net, work, &["wallet", "--wallet", &carol_file, "balance"]);
    assert_eq!(named(&c, "DEV")["spendable"], 120, "{c}");
    let b = ok(&net, work, &["wallet", "--wallet", "bob.redb", "balance"]);
    assert_eq!(named(&b, "DEV")["spendable"], 180, "{b}");

    // Bob's phrase restored into another file: DEV by name again, after a
    // scan from the genesis.
    let phrase_file = work.join("bob.phrase");
    std::fs::write(&phrase_file, phrase).unwrap();
    ok(
        &net,
        work,
        &[
            "wallet",
            "--wallet",
            "bob2.redb",
            "new",
            "--mnemonic-file",
            phrase_file.to_str().unwrap(),
        ],
    );
    let b2 = ok(&net, work, &["wallet", "--wallet", "bob2.redb", "balance"]);
    assert_eq!(named(&b2, "DEV")["spendable"], 180, "{b2}");
    // And after a rescan, which forgets what the chain taught.
    ok(&net, work, &["wallet", "--wallet", "bob2.redb", "rescan"]);
    let b2 = ok(&net, work, &["wallet", "--wallet", "bob2.redb", "balance"]);
    assert_eq!(named(&b2, "DEV")["spendable"], 180, "{b2}");
}

#[test]
fn amounts_are_typed_in_units_with_the_declared_decimals() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    let net = Devnet::start(work, FAST);
    // 1000 units of two decimals: 100000 base units.
    let issued = ok(
        &net,
        work,
        &[
            "wallet",
            "issue",
            "--qty",
            "1000.00",
            "--name",
            "GOLD",
            "--decimals",
            "2",
            "--wait",
        ],
    );
    assert_eq!(issued["decimals"], 2);
    let (bob_file, bob) = new_wallet(&net, work, "bob");
    ok(
        &net,
        work,
        &[
            "wallet", "send", "--to", &bob, "--qty", "12.50", "--asset", "GOLD", "--wait",
        ],
    );
    // Base units still work, and fewer digits than declared.
    ok(
        &net,
        work,
        &[
            "wallet",
            "send",
            "--to",
            &format!("{bob}:7:GOLD"),
            "--to",
            &format!("{bob}:0.5:GOLD"),
            "--to",
            &format!("{bob}:4000"),
            "--wait",
        ],
    );
    let b = ok(&net, work, &["wallet", "--wallet", &bob_file, "balance"]);
    assert_eq!(named(&b, "GOLD")["spendable"], 1250 + 7 + 50, "{b}");
    let dev = ok(&net, work, &["wallet", "balance"]);
    assert_eq!(named(&dev, "GOLD")["spendable"], 100_000 - 1307, "{dev}");
    // Bob retires in units.
    ok(
        &net,
        work,
        &[
            "wallet", "--wallet", &bob_file, "retire", "--qty", "0.07", "--asset", "GOLD", "--wait",
        ],
    );
    let b = ok(&net, work, &["wallet", "--wallet", &bob_file, "balance"]);
    assert_eq!(named(&b, "GOLD")["spendable"], 1300, "{b}");

    // More digits than declared, decimals on an asset without any, and
    // more than 64 bits are errors that say so; nothing is sent.
    let e = fails(
        &net,
        work,
        &[
            "wallet", "send", "--to", &bob, "--qty", "1.505", "--asset", "GOLD",
        ],
    );
    assert!(e.contains("more than the 2 decimals"), "{e}");
    let e = fails(
        &net,
        work,
        &["wallet", "send", "--to", &bob, "--qty", "1.5"],
    );
    assert!(e.contains("declares none"), "{e}");
    let e = fails(
        &net,
        work,
        &[
            "wallet",
            "send",
            "--to",
            &format!("{bob}:184467440737095516.16:GOLD"),
        ],
    );
    assert!(e.contains("base units"), "{e}");
    let e = fails(
        &net,
        work,
        &[
            "wallet",
            "issue",
            "--qty",
            "1.001",
            "--name",
            "SILVER",
            "--decimals",
            "2",
        ],
    );
    assert!(e.contains("more than the 2 decimals"), "{e}");
    let b = ok(&net, work, &["wallet", "--wallet", &bob_file, "balance"]);
    assert_eq!(named(&b, "GOLD")["spendable"], 1300, "{b}");
}
