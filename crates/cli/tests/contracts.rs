//! Contracts as processes on a devnet: the tutorial (docs/contracts.md)
//! run command by command as written; a time-locked payment reclaimed by
//! its sender and refused at the wrong time; a 2-of-2 MuSig account spent
//! by two wallet processes co-signing through files; a Taproot tree of
//! three branches, each party finding the output and only the right one
//! spending it; a branch proving a secret lies in a range.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{Devnet, FAST};
use serde_json::Value;

/// Runs `zkvm args` in `dir` against the devnet: JSON on success, else the
/// one error line.
fn zkvm(net: &Devnet, dir: &Path, args: &[String]) -> Result<Value, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_zkvm"))
        .args(args)
        .current_dir(dir)
        .env("ZKVM_NODE", &net.addr)
        .env("ZKVM_WALLET", net.dir.join("data/wallet.redb"))
        .output()
        .unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap_or(Value::Null))
    } else {
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(err.lines().count(), 1, "one error line: {err}");
        Err(err)
    }
}

fn ok(net: &Devnet, dir: &Path, args: &[&str]) -> Value {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    zkvm(net, dir, &args).unwrap_or_else(|e| panic!("zkvm {args:?}: {e}"))
}

fn fails(net: &Devnet, dir: &Path, args: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    match zkvm(net, dir, &args) {
        Ok(v) => panic!("zkvm {args:?} should fail, printed {v}"),
        Err(e) => e,
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn spendable(balance: &Value, asset: &str) -> u128 {
    balance["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["asset"] == asset)
        .map(|b| b["spendable"].as_str().unwrap().parse().unwrap())
        .unwrap_or(0)
}

/// A new wallet in `dir`: its file name and an address.
fn new_wallet(net: &Devnet, dir: &Path, name: &str) -> (String, String) {
    let file = format!("{name}.redb");
    ok(net, dir, &["wallet", "--wallet", &file, "new"]);
    let address = ok(net, dir, &["wallet", "--wallet", &file, "address"])["address"]
        .as_str()
        .unwrap()
        .to_string();
    (file, address)
}

fn dev_address(net: &Devnet, dir: &Path) -> String {
    ok(net, dir, &["wallet", "address"])["address"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Splits a command line on blanks, keeping double-quoted words whole.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(word);
    }
    out
}

/// Replaces `$NAME` (upper-case names) by the variables' values.
fn substitute(line: &str, vars: &HashMap<String, String>) -> String {
    let mut out = line.to_string();
    let mut names: Vec<&String> = vars.keys().collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    for name in names {
        out = out.replace(&format!("${name}"), &vars[name]);
    }
    out
}

/// The tutorial's code blocks, run in order: files written, `zkvm`
/// commands run (each must succeed, or fail with the error that a
/// following `# expect error:` line names), variables set the way its
/// shell lines set them, `sleep` slept.
#[test]
fn the_tutorial_runs_as_written() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/contracts.md"
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let net = Devnet::start(dir.path(), FAST);
    let mut vars: HashMap<String, String> = HashMap::new();
    let mut lines = doc.lines().peekable();
    let mut ran = 0;
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let mut body = Vec::new();
        for l in lines.by_ref() {
            if l.starts_with("```") {
                break;
            }
            body.push(l.to_string());
        }
        if let Some(file) = info.strip_prefix("toml file=") {
            std::fs::write(work.join(file), body.join("\n") + "\n").unwrap();
            continue;
        }
        if info != "sh" {
            continue;
        }
        let mut i = 0;
        while i < body.len() {
            let line = body[i].trim();
            i += 1;
            if line.is_empty() || line.starts_with('#') || line == "zkvm devnet" {
                continue;
            }
            let expect_error = body
                .get(i)
                .and_then(|n| n.trim().strip_prefix("# expect error:"))
                .map(|e| e.trim().to_string());
            let line = substitute(line, &vars);
            if let Some(secs) = line.strip_prefix("sleep ") {
                std::thread::sleep(Duration::from_secs(secs.parse().unwrap()));
                continue;
            }
            let (var, command) = match line.split_once("=$(") {
                Some((var, rest)) => (
                    Some(var.to_string()),
                    rest.trim_end_matches(')').to_string(),
                ),
                None => (None, line.clone()),
            };
            if let Some(expr) = command.strip_prefix("( $(date +%s%3N) + ") {
                let n: u64 = expr.trim_end_matches(')').trim().parse().unwrap();
                vars.insert(var.unwrap(), (now_ms() + n).to_string());
                continue;
            }
            let (command, field) = match command.split_once(" | jq -r .") {
                Some((c, f)) => (c.to_string(), Some(f.to_string())),
                None => (command, None),
            };
            let args = words(&command);
            assert_eq!(args[0], "zkvm", "a tutorial command: {command}");
            ran += 1;
            match (zkvm(&net, &work, &args[1..]), expect_error) {
                (Ok(out), None) => {
                    if let (Some(var), Some(field)) = (var, field) {
                        let value = out[&field]
                            .as_str()
                            .unwrap_or_else(|| panic!("{command}: no {field} in {out}"));
                        vars.insert(var, value.to_string());
                    }
                }
                (Err(e), Some(expected)) => assert!(e.contains(&expected), "{command}: {e}"),
                (Ok(out), Some(expected)) => panic!("{command} should fail with {expected}: {out}"),
                (Err(e), None) => panic!("{command}: {e}"),
            }
        }
    }
    assert!(ran >= 10, "ran {ran} commands");
    // Where the tutorial leaves Bob: the contract's value less the fee.
    let balance = ok(&net, &work, &["wallet", "--wallet", "bob.redb", "balance"]);
    assert_eq!(spendable(&balance, "native"), 990);
    let history = ok(&net, &work, &["wallet", "--wallet", "bob.redb", "history"]);
    let kinds: Vec<&str> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["locked", "unlocked"]);
    let listed = ok(&net, &work, &["chain", "contracts", "--tag", "tutorial"]);
    // The contract and the change of its transaction, both tagged.
    let id = vars.get("ID").unwrap();
    assert!(
        listed["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["contract_id"] == id.as_str()),
        "{listed}"
    );
}

const TIMELOCK: &str = r#"
[parties]
sender = "$sender"
recipient = "$recipient"

[[branch]]
name = "claim"
program = "mintime; push $deadline; scalar; neg; add; range; drop; push point:$recipient; contract:1; signtx"

[[branch]]
name = "reclaim"
program = "push $deadline; scalar; maxtime; neg; add; range; drop; push point:$sender; contract:1; signtx"
"#;

#[test]
fn the_sender_reclaims_in_time_and_late_reclaims_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), FAST);
    let work = dir.path();
    std::fs::write(work.join("timelock.toml"), TIMELOCK).unwrap();
    let (bob, bob_addr) = new_wallet(&net, work, "bob");
    let me = dev_address(&net, work);
    let lock = |deadline: u64| {
        ok(
            &net,
            work,
            &[
                "wallet",
                "lock",
                "--qty",
                "400",
                "--predicate",
                "timelock.toml",
                "--param",
                &format!("sender={me}"),
                "--param",
                &format!("recipient={bob_addr}"),
                "--param",
                &format!("deadline={deadline}"),
                "--fee",
                "10",
                "--wait",
            ],
        )["contract_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let before = spendable(&ok(&net, work, &["wallet", "balance"]), "native");

    // In time: the sender takes it back with a maxtime before the deadline.
    let deadline = now_ms() + 120_000;
    let id = lock(deadline);
    // Without a maxtime the transaction could be included after the
    // deadline: refused, naming the branch's instruction.
    let e = fails(
        &net,
        work,
        &[
            "contract", "call", &id, "--branch", "reclaim", "--fee", "10",
        ],
    );
    assert!(
        e.contains("`range`") && e.contains("program depth 1"),
        "{e}"
    );
    // The recipient cannot reclaim: it needs the sender's key.
    let e = fails(
        &net,
        work,
        &[
            "contract",
            "--wallet",
            &bob,
            "call",
            &id,
            "--branch",
            "reclaim",
            "--maxtime",
            &deadline.to_string(),
            "--fee",
            "10",
        ],
    );
    assert!(e.contains("more signer"), "{e}");
    let reclaimed = ok(
        &net,
        work,
        &[
            "contract",
            "call",
            &id,
            "--branch",
            "reclaim",
            "--maxtime",
            &deadline.to_string(),
            "--fee",
            "10",
            "--wait",
        ],
    );
    assert_eq!(reclaimed["status"], "confirmed");
    assert_eq!(
        spendable(&ok(&net, work, &["wallet", "balance"]), "native"),
        before - 10 - 10
    );
    let shown = ok(&net, work, &["contract", "show", &id[..12]]);
    assert!(
        shown["status"].as_str().unwrap().starts_with("spent in"),
        "{shown}"
    );
    // Bob's wallet saw it come and go.
    let listed = ok(&net, work, &["contract", "--wallet", &bob, "list", "--all"]);
    assert_eq!(listed["contracts"][0]["roles"][0], "recipient");

    // Late: once the deadline has passed, reclaiming is refused.
    let deadline = now_ms() + 1_500;
    let id = lock(deadline);
    while now_ms() < deadline + 200 {
        std::thread::sleep(Duration::from_millis(100));
    }
    let e = fails(
        &net,
        work,
        &[
            "contract", "call", &id, "--branch", "reclaim", "--fee", "10",
        ],
    );
    assert!(e.contains("`range`"), "{e}");
    let e = fails(
        &net,
        work,
        &[
            "contract",
            "call",
            &id,
            "--branch",
            "reclaim",
            "--maxtime",
            &deadline.to_string(),
            "--fee",
            "10",
        ],
    );
    assert!(
        e.contains("expire") || e.contains("maxtime") || e.contains("time"),
        "{e}"
    );
}

#[test]
fn a_two_of_two_account_is_spent_by_two_wallets_cosigning_through_files() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), FAST);
    let work = dir.path();
    let (bob, bob_addr) = new_wallet(&net, work, "bob");
    let (carol, carol_addr) = new_wallet(&net, work, "carol");
    let me = dev_address(&net, work);
    std::fs::write(
        work.join("account.toml"),
        format!("key = [\"alice\", \"bob\"]\n[parties]\nalice = \"{me}\"\nbob = \"{bob_addr}\"\n"),
    )
    .unwrap();
    let id = ok(
        &net,
        work,
        &[
            "wallet",
            "lock",
            "--qty",
            "5000",
            "--predicate",
            "account.toml",
            "--fee",
            "10",
            "--wait",
        ],
    )["contract_id"]
        .as_str()
        .unwrap()
        .to_string();
    let shown = ok(&net, work, &["contract", "--wallet", &bob, "show", &id]);
    assert_eq!(shown["key_path"], "alice and bob sign together (MuSig)");

    // Alone, Alice cannot spend it.
    let e = fails(
        &net,
        work,
        &["contract", "call", &id, "--key", "--fee", "10"],
    );
    assert!(e.contains("more signer"), "{e}");

    // Alice starts a session paying Carol; Bob joins it from his wallet.
    let session = work.join("session");
    let alice = Command::new(env!("CARGO_BIN_EXE_zkvm"))
        .args([
            "contract",
            "call",
            &id,
            "--key",
            "--to",
            &carol_addr,
            "--fee",
            "10",
            "--wait",
        ])
        .arg("--session")
        .arg(&session)
        .args(["--timeout", "120"])
        .current_dir(work)
        .env("ZKVM_NODE", &net.addr)
        .env("ZKVM_WALLET", net.dir.join("data/wallet.redb"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let cosigned = ok(
        &net,
        work,
        &[
            "contract",
            "--wallet",
            &bob,
            "cosign",
            "--session",
            session.to_str().unwrap(),
            "--timeout",
            "120",
        ],
    );
    assert_eq!(cosigned["inputs"][0], id.as_str());
    let out = alice.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let called: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(called["status"], "confirmed");
    assert_eq!(called["txid"], cosigned["txid"]);
    let balance = ok(&net, work, &["wallet", "--wallet", &carol, "balance"]);
    assert_eq!(spendable(&balance, "native"), 5000);

    // A session is used once.
    let e = fails(
        &net,
        work,
        &[
            "contract",
            "--wallet",
            &bob,
            "cosign",
            "--session",
            session.to_str().unwrap(),
            "--timeout",
            "1",
        ],
    );
    assert!(e.contains("already took part"), "{e}");
}

#[test]
fn three_branches_each_party_finds_it_and_only_the_right_one_spends() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), FAST);
    let work = dir.path();
    let (bob, bob_addr) = new_wallet(&net, work, "bob");
    let (carol, carol_addr) = new_wallet(&net, work, "carol");
    let me = dev_address(&net, work);
    let mut file =
        format!("[parties]\nalice = \"{me}\"\nbob = \"{bob_addr}\"\ncarol = \"{carol_addr}\"\n");
    for who in ["alice", "bob", "carol"] {
        file.push_str(&format!(
            "[[branch]]\nname = \"to-{who}\"\nprogram = \"push point:${who}; contract:1; signtx\"\n"
        ));
    }
    std::fs::write(work.join("three.toml"), file).unwrap();
    let id = ok(
        &net,
        work,
        &[
            "wallet",
            "lock",
            "--qty",
            "777",
            "--predicate",
            "three.toml",
            "--fee",
            "10",
            "--wait",
        ],
    )["contract_id"]
        .as_str()
        .unwrap()
        .to_string();
    // Everyone finds it, with their own role.
    for (wallet, role) in [
        (None, "alice"),
        (Some(&bob), "bob"),
        (Some(&carol), "carol"),
    ] {
        let mut args = vec!["contract"];
        if let Some(w) = wallet {
            args.extend(["--wallet", w.as_str()]);
        }
        args.push("list");
        let listed = ok(&net, work, &args);
        assert_eq!(listed["contracts"][0]["contract_id"], id.as_str());
        assert_eq!(listed["contracts"][0]["roles"][0], role);
        assert_eq!(
            listed["contracts"][0]["branches"].as_array().unwrap().len(),
            3
        );
    }
    // Carol cannot take Bob's branch; an unknown branch is named.
    let e = fails(
        &net,
        work,
        &[
            "contract", "--wallet", &carol, "call", &id, "--branch", "to-bob", "--fee", "10",
        ],
    );
    assert!(e.contains("more signer"), "{e}");
    let e = fails(
        &net,
        work,
        &[
            "contract", "--wallet", &carol, "call", &id, "--branch", "to-dave", "--fee", "10",
        ],
    );
    assert!(e.contains("to-alice, to-bob, to-carol"), "{e}");
    let called = ok(
        &net,
        work,
        &[
            "contract", "--wallet", &carol, "call", &id, "--branch", "to-carol", "--fee", "10",
            "--wait",
        ],
    );
    assert_eq!(called["status"], "confirmed");
    assert_eq!(
        spendable(
            &ok(&net, work, &["wallet", "--wallet", &carol, "balance"]),
            "native"
        ),
        767
    );
    let listed = ok(&net, work, &["contract", "--wallet", &bob, "list"]);
    assert_eq!(listed["contracts"].as_array().unwrap().len(), 0);
}

#[test]
fn a_branch_proves_a_secret_lies_in_its_range() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), FAST);
    let work = dir.path();
    let (bob, bob_addr) = new_wallet(&net, work, "bob");
    let me = dev_address(&net, work);
    std::fs::write(
        work.join("range.toml"),
        format!(
            "[parties]\nalice = \"{me}\"\ntaker = \"{bob_addr}\"\n\
             [[branch]]\nname = \"take\"\nprogram = \"\"\"\n\
             roll:1; commit\n\
             dup:0; expr; push $min; scalar; neg; add; range; drop\n\
             expr; neg; push $max; scalar; add; range; drop\n\
             push point:$taker; contract:1; signtx\n\"\"\"\n"
        ),
    )
    .unwrap();
    let id = ok(
        &net,
        work,
        &[
            "wallet",
            "lock",
            "--qty",
            "300",
            "--predicate",
            "range.toml",
            "--param",
            "min=50",
            "--param",
            "max=100",
            "--fee",
            "10",
            "--wait",
        ],
    )["contract_id"]
        .as_str()
        .unwrap()
        .to_string();
    for secret in ["49", "101", "18446744073709551615"] {
        let e = fails(
            &net,
            work,
            &[
                "contract", "--wallet", &bob, "call", &id, "--branch", "take", "--secret", secret,
                "--fee", "10",
            ],
        );
        assert!(
            e.contains("`range` at offset") && e.contains("program depth 1"),
            "{secret}: {e}"
        );
    }
    // Without the secret, the branch finds no commitment: named too.
    let e = fails(
        &net,
        work,
        &[
            "contract", "--wallet", &bob, "call", &id, "--branch", "take", "--fee", "10",
        ],
    );
    assert!(e.contains("program depth 1"), "{e}");
    let called = ok(
        &net,
        work,
        &[
            "contract", "--wallet", &bob, "call", &id, "--branch", "take", "--secret", "70",
            "--fee", "10", "--wait",
        ],
    );
    assert_eq!(called["status"], "confirmed");
    assert_eq!(
        spendable(
            &ok(&net, work, &["wallet", "--wallet", &bob, "balance"]),
            "native"
        ),
        290
    );
}
