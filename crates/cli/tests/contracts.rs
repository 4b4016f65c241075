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
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::wallets::{
    contract_id, dev_address, fails, join, kinds, native, new_wallet, ok, run, spawn, with_wallet,
};
use common::{Devnet, FAST};

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Locks `qty` native units of the dev wallet under the predicate file
/// `predicate` with the parameters `params` (`name=value`): the contract's
/// id.
fn lock(net: &Devnet, dir: &Path, qty: &str, predicate: &str, params: &[&str]) -> String {
    let mut args = vec!["wallet", "lock", "--qty", qty, "--predicate", predicate];
    for p in params {
        args.extend(["--param", p]);
    }
    args.extend(["--fee", "10", "--wait"]);
    contract_id(&ok(net, dir, &args))
}

/// `contract [--wallet W] call ID --branch BRANCH <options>`: a call of a
/// contract's branch by the wallet file `wallet` (the dev wallet if `None`).
fn call<'a>(
    wallet: Option<&'a str>,
    id: &'a str,
    branch: &'a str,
    options: &[&'a str],
) -> Vec<&'a str> {
    let mut rest = vec!["call", id, "--branch", branch];
    rest.extend(options);
    with_wallet("contract", wallet, &rest)
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
            // The tests' commands print JSON already (`ZKVM_JSON=1`).
            if line.is_empty()
                || line.starts_with('#')
                || line == "zkvm devnet"
                || line == "export ZKVM_JSON=1"
            {
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
            let args: Vec<&str> = args[1..].iter().map(String::as_str).collect();
            match (run(&net, &work, &args), expect_error) {
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
    assert_eq!(native(&net, &work, Some("bob.redb")), 990);
    assert_eq!(kinds(&net, &work, "bob.redb"), ["locked", "unlocked"]);
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
    let sender = format!("sender={}", dev_address(&net, work));
    let recipient = format!("recipient={bob_addr}");
    let lock = |deadline: u64| {
        let deadline = format!("deadline={deadline}");
        lock(
            &net,
            work,
            "400",
            "timelock.toml",
            &[&sender, &recipient, &deadline],
        )
    };
    let before = native(&net, work, None);

    // In time: the sender takes it back with a maxtime before the deadline.
    let deadline = now_ms() + 120_000;
    let id = lock(deadline);
    let maxtime = deadline.to_string();
    // Without a maxtime the transaction could be included after the
    // deadline: refused, naming the branch's instruction.
    let e = fails(&net, work, &call(None, &id, "reclaim", &["--fee", "10"]));
    assert!(
        e.contains("`range`") && e.contains("program depth 1"),
        "{e}"
    );
    // The recipient cannot reclaim: it needs the sender's key.
    let in_time = ["--maxtime", &maxtime, "--fee", "10"];
    let e = fails(&net, work, &call(Some(&bob), &id, "reclaim", &in_time));
    assert!(e.contains("more signer"), "{e}");
    let reclaimed = ok(
        &net,
        work,
        &call(
            None,
            &id,
            "reclaim",
            &["--maxtime", &maxtime, "--fee", "10", "--wait"],
        ),
    );
    assert_eq!(reclaimed["status"], "confirmed");
    assert_eq!(native(&net, work, None), before - 10 - 10);
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
    let e = fails(&net, work, &call(None, &id, "reclaim", &["--fee", "10"]));
    assert!(e.contains("`range`"), "{e}");
    let maxtime = deadline.to_string();
    let too_late = ["--maxtime", &maxtime, "--fee", "10"];
    let e = fails(&net, work, &call(None, &id, "reclaim", &too_late));
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
    let id = lock(&net, work, "5000", "account.toml", &[]);
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
    let s = work.join("session");
    let session = s.to_str().unwrap();
    let alice = spawn(
        &net,
        work,
        &[
            "contract",
            "call",
            &id,
            "--key",
            "--to",
            &carol_addr,
            "--fee",
            "10",
            "--wait",
            "--session",
            session,
            "--timeout",
            "120",
        ],
    );
    // Bob's half of the signature, waiting `timeout` seconds for the others.
    let cosign = |timeout: &'static str| {
        let bob = bob.as_str();
        [
            "contract",
            "--wallet",
            bob,
            "cosign",
            "--session",
            session,
            "--timeout",
            timeout,
        ]
    };
    let cosigned = ok(&net, work, &cosign("120"));
    assert_eq!(cosigned["inputs"][0], id.as_str());
    let called = join(alice);
    assert_eq!(called["status"], "confirmed");
    assert_eq!(called["txid"], cosigned["txid"]);
    assert_eq!(native(&net, work, Some(&carol)), 5000);

    // A session is used once.
    let e = fails(&net, work, &cosign("1"));
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
    let id = lock(&net, work, "777", "three.toml", &[]);
    // Everyone finds it, with their own role.
    for (wallet, role) in [
        (None, "alice"),
        (Some(bob.as_str()), "bob"),
        (Some(carol.as_str()), "carol"),
    ] {
        let listed = ok(&net, work, &with_wallet("contract", wallet, &["list"]));
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
        &call(Some(&carol), &id, "to-bob", &["--fee", "10"]),
    );
    assert!(e.contains("more signer"), "{e}");
    let e = fails(
        &net,
        work,
        &call(Some(&carol), &id, "to-dave", &["--fee", "10"]),
    );
    assert!(e.contains("to-alice, to-bob, to-carol"), "{e}");
    let called = ok(
        &net,
        work,
        &call(Some(&carol), &id, "to-carol", &["--fee", "10", "--wait"]),
    );
    assert_eq!(called["status"], "confirmed");
    assert_eq!(native(&net, work, Some(&carol)), 767);
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
    let id = lock(&net, work, "300", "range.toml", &["min=50", "max=100"]);
    for secret in ["49", "101", "18446744073709551615"] {
        let e = fails(
            &net,
            work,
            &call(
                Some(&bob),
                &id,
                "take",
                &["--secret", secret, "--fee", "10"],
            ),
        );
        assert!(
            e.contains("`range` at offset") && e.contains("program depth 1"),
            "{secret}: {e}"
        );
    }
    // Without the secret, the branch finds no commitment: named too.
    let e = fails(&net, work, &call(Some(&bob), &id, "take", &["--fee", "10"]));
    assert!(e.contains("program depth 1"), "{e}");
    let called = ok(
        &net,
        work,
        &call(
            Some(&bob),
            &id,
            "take",
            &["--secret", "70", "--fee", "10", "--wait"],
        ),
    );
    assert_eq!(called["status"], "confirmed");
    assert_eq!(native(&net, work, Some(&bob)), 290);
}
