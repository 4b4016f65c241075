//! `zkvm tx simulate --wallet FILE` run as the built binary against a
//! devnet's funded wallet (docs/spec/simulate.md §The wallet knows): a
//! witness file that names one of the wallet's outputs by
//! `$utxo_<16 hex digits>` and gives no opening or key for it simulates
//! with the wallet, and fails without it naming the parameter.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::{Command, Output};

use common::{Devnet, FAST};
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use serde_json::{json, Value as Json};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn simulate(witness: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkvm"))
        .args(["tx", "simulate"])
        .arg(witness)
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

#[test]
fn simulate_spends_a_wallet_output_the_wallet_opens() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), FAST);
    let wallet = dir.path().join("data/wallet.redb");
    let wallet = wallet.to_str().unwrap();

    // Syncs the wallet and lists its outputs.
    let utxos = net.ok(&["wallet", "utxos"]);
    let utxo = utxos["utxos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["asset"] == "native")
        .unwrap_or_else(|| panic!("no native output in {utxos}"));
    let id = utxo["contract_id"].as_str().unwrap().to_string();
    let qty = utxo["qty"].as_u64().unwrap();
    let name = format!("utxo_{}", &id[..16]);

    // Spend it (its payload is the value and the note string: drop the
    // note) into one output of the same value to Bob. The file has the new
    // value's openings; the wallet has the output, its openings and key.
    let bob = SecretKey::from_scalar(Scalar::from(8u64)).verification_key();
    let witness = json!({
        "program": format!(
            "push ${name}; input; signtx\ndrop\npush $q; push $f\ncloak:1:1\npush $bob; output:1"
        ),
        "params": {"bob": format!("point:0x{}", hex(bob.as_compressed().as_bytes()))},
        "commitments": {
            "q": {"quantity": qty, "blinding": hex(Scalar::from(13u64).as_bytes())},
            "f": {"flavor": hex(Scalar::ZERO.as_bytes()), "blinding": hex(Scalar::from(14u64).as_bytes())},
        },
    });
    let path = dir.path().join("spend.json");
    std::fs::write(&path, witness.to_string()).unwrap();

    let out = simulate(&path, &["--wallet", wallet]);
    let stdout = text(&out.stdout);
    println!("$ zkvm tx simulate spend.json --wallet {wallet}\n{stdout}");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    for expected in [
        "result: ok\n".to_string(),
        "signers: 1 (keys known: 1)\n".to_string(),
        format!("    input contract_id={id}\n"),
        "    output contract_id=".to_string(),
    ] {
        assert!(stdout.contains(&expected), "{expected:?} in\n{stdout}");
    }

    let out = simulate(&path, &["--wallet", wallet, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let sim: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sim["ok"], true, "{sim}");
    assert_eq!(sim["signers"][0]["contract_id"], id.as_str());
    assert_eq!(sim["signers"][0]["key_known"], true);

    // Without the wallet, `$utxo_…` is an unknown parameter.
    let out = simulate(&path, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains("program: ") && stderr.contains(&name),
        "{stderr}"
    );

    // The file's own parameter of the same name wins over the wallet's.
    let mut shadowed = witness.clone();
    shadowed["params"][&name] = json!(7);
    std::fs::write(&path, shadowed.to_string()).unwrap();
    let out = simulate(&path, &["--wallet", wallet]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.starts_with("result: failed\n"), "{stdout}");

    // A wallet that does not open is one error line.
    let out = simulate(
        &path,
        &["--wallet", dir.path().join("none.redb").to_str().unwrap()],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    net.kill();
}
