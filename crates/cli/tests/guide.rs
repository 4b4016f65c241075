//! docs/guide.md stays true: its shell blocks marked `sh test` are run in
//! order, as one script, against a devnet, with the built `zkvm` first on
//! the `PATH` and its output for people (no `ZKVM_JSON`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{Devnet, FAST};

/// The contents of the fenced blocks whose info string is `sh test`.
fn tested_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line.trim() == "```sh test" => current = Some(String::new()),
            None => {}
            Some(_) if line.trim() == "```" => blocks.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    assert!(current.is_none(), "a `sh test` block is not closed");
    blocks
}

#[test]
fn the_guide_finds_its_blocks() {
    let blocks =
        tested_blocks("a\n```sh test\nx 1\ny\n```\n```sh\nnot me\n```\n```sh test\nz\n```\n");
    assert_eq!(blocks, ["x 1\ny\n", "z\n"]);
}

#[test]
fn the_guides_commands_run_as_written() {
    let guide = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/guide.md");
    let blocks = tested_blocks(&std::fs::read_to_string(guide).unwrap());
    assert!(
        blocks.len() >= 8,
        "the guide's tested blocks: {}",
        blocks.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), FAST);
    let work = dir.path().join("user");
    std::fs::create_dir(&work).unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_zkvm")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // One script, so that variables set by a block reach the next; each
    // block announced on stderr so that a failure names it.
    let mut script = String::from("set -eu\n");
    for (i, block) in blocks.iter().enumerate() {
        script.push_str(&format!("echo '--- block {}' >&2\n{block}", i + 1));
    }
    let out = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(&work)
        .env("PATH", path)
        .env("ZKVM_NODE", &net.addr)
        .env("ZKVM_WALLET", net.dir.join("data/wallet.redb"))
        .env_remove("ZKVM_JSON")
        .env_remove("ZKVM_NO_PASSPHRASE")
        .env_remove("ZKVM_PASSPHRASE_FILE")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the guide failed:\n{stderr}\n{stdout}"
    );
    // What the guide says the reader sees: Bob's GOLD by name, in units.
    assert!(
        stdout
            .lines()
            .any(|l| l.split_whitespace().take(2).eq(["GOLD", "12.50"])),
        "{stdout}"
    );
}
