//! Operating a node as a user does, with the `zkvm` binary as child
//! processes: `zkvm node stop` ends a node gracefully and it restarts at
//! the same tip; `<data-dir>/config.toml` is read without `--config`; logs
//! written to a file carry no colour codes; one node per data directory;
//! a devnet whose port is taken creates nothing; the block key's database
//! is owner-only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::Devnet;
use serde_json::Value;

/// Runs `zkvm <args>` to completion.
fn zkvm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkvm"))
        .env("ZKVM_JSON", "1")
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// Waits up to `secs` for `child` to exit; its exit code.
fn wait_exit(child: &mut Child, secs: u64) -> Option<i32> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the node did not exit within {secs} s");
}

/// `GET path` on `addr` as JSON.
fn get(addr: &str, path: &str) -> Value {
    reqwest::blocking::get(format!("http://{addr}{path}"))
        .unwrap()
        .json()
        .unwrap()
}

/// Starts `zkvm node run` with `args`, stderr to `log`; waits for its
/// `API:` line and returns the child and the address.
fn node_run(args: &[&str], log: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zkvm"))
        .env("ZKVM_JSON", "1")
        .args(["node", "run"])
        .args(args)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let addr = common::api_address(&mut child, log);
    (child, addr)
}

fn stop(data: &Path) -> Value {
    let out = zkvm(&[
        "node",
        "stop",
        "--data-dir",
        data.to_str().unwrap(),
        "--wait-secs",
        "60",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn node_stop_is_graceful_and_the_node_restarts_at_its_tip() {
    let dir = tempfile::tempdir().unwrap();
    // Empty blocks every 200 ms, so that the tip moves on its own.
    let mut net = Devnet::start(
        dir.path(),
        "block_interval_ms = 100\nempty_block_interval_ms = 200\n",
    );
    let data = dir.path().join("data");
    let deadline = Instant::now() + Duration::from_secs(60);
    while get(&net.addr, "/v1/status")["height"].as_u64().unwrap() < 3 {
        assert!(Instant::now() < deadline, "no blocks");
        std::thread::sleep(Duration::from_millis(100));
    }
    let seen = get(&net.addr, "/v1/status");
    let pid = std::fs::read_to_string(data.join("node.pid")).unwrap();
    assert_eq!(pid.trim(), net.child.id().to_string());

    let stopped = stop(&data);
    assert_eq!(stopped["stopped"], net.child.id());
    assert_eq!(wait_exit(&mut net.child, 30), Some(0), "a clean exit");
    assert!(!data.join("node.pid").exists());
    assert!(!data.join("stop").exists());
    let err = std::fs::read_to_string(dir.path().join("devnet.err")).unwrap();
    assert!(!err.contains("ERROR"), "{err}");

    // Without production, the restarted node is where the stopped one was.
    let log = dir.path().join("restart.log");
    let (mut child, addr) = node_run(
        &[
            "--data-dir",
            data.to_str().unwrap(),
            "--api-addr",
            "127.0.0.1:0",
            "--listen",
            "127.0.0.1:0",
            "--empty-block-interval-ms",
            "0",
        ],
        &log,
    );
    let status = get(&addr, "/v1/status");
    let height = seen["height"].as_u64().unwrap();
    assert!(status["height"].as_u64().unwrap() >= height);
    let block = get(&addr, &format!("/v1/blocks/{height}"));
    assert_eq!(block["header"]["id"], seen["tip"]);
    let tip = status["tip"].clone();
    stop(&data);
    assert_eq!(wait_exit(&mut child, 30), Some(0));

    // Stopping a directory where no node runs is an error.
    let out = zkvm(&["node", "stop", "--data-dir", data.to_str().unwrap()]);
    let line = common::binary::one_line_error(&out, "stop without a node");
    assert!(line.contains("no node is running"), "{line}");

    // A pid file left by a killed node whose process ID was reused by a
    // live process (this test's): nobody holds its lock, so it is stale
    // and the node starts.
    std::fs::write(data.join("node.pid"), format!("{}\n", std::process::id())).unwrap();
    let (mut child, addr) = node_run(
        &[
            "--data-dir",
            data.to_str().unwrap(),
            "--api-addr",
            "127.0.0.1:0",
            "--listen",
            "127.0.0.1:0",
            "--empty-block-interval-ms",
            "0",
        ],
        &log,
    );
    assert_eq!(get(&addr, "/v1/status")["tip"], tip);
    let pid = std::fs::read_to_string(data.join("node.pid")).unwrap();
    assert_eq!(pid.trim(), child.id().to_string());
    stop(&data);
    assert_eq!(wait_exit(&mut child, 30), Some(0));
}

#[test]
fn config_toml_in_the_data_dir_is_used_and_logs_have_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let mut net = Devnet::start(dir.path(), "");
    let data = dir.path().join("data");
    stop(&data);
    assert_eq!(wait_exit(&mut net.child, 30), Some(0));

    // Without --config, the data directory's config.toml: an API on a
    // port of the system's choosing rather than the default 9797, and an
    // origin allowed.
    std::fs::write(
        data.join("config.toml"),
        "api_addr = \"127.0.0.1:0\"\nlisten = [\"127.0.0.1:0\"]\n\
         cors_origins = [\"http://wallet.example\"]\nmin_fee_rate = \"3/1000\"\n",
    )
    .unwrap();
    let log = dir.path().join("node.log");
    let (mut child, addr) = node_run(
        &["--data-dir", data.to_str().unwrap(), "--log-level", "info"],
        &log,
    );
    assert!(!addr.ends_with(":9797"), "{addr}");
    let status = get(&addr, "/v1/status");
    assert_eq!(
        status["min_relay_fee_rate"],
        serde_json::json!({"fee": 3, "bytes": 1000})
    );
    let response = reqwest::blocking::Client::new()
        .get(format!("http://{addr}/v1/status"))
        .header("Origin", "http://wallet.example")
        .send()
        .unwrap();
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "http://wallet.example"
    );
    stop(&data);
    assert_eq!(wait_exit(&mut child, 30), Some(0));

    // stderr was a file: plain text, at the level asked for.
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("API listening"), "{text}");
    assert!(text.contains("node stopped"), "{text}");
    assert!(!text.contains('\u{1b}'), "colour codes in {text:?}");

    // A bad level is a usage error, before anything starts.
    let out = zkvm(&[
        "node",
        "run",
        "--data-dir",
        data.to_str().unwrap(),
        "--log-level",
        "info,=[",
    ]);
    let line = common::binary::one_line_error(&out, "bad level");
    assert!(line.contains("--log-level"), "{line}");
}

#[test]
fn a_second_devnet_in_a_directory_names_the_running_one() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), "");
    let data = dir.path().join("data");
    let out = zkvm(&[
        "devnet",
        "--config",
        dir.path().join("node.toml").to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    let line = common::binary::one_line_error(&out, "second devnet");
    assert!(
        line.contains(&format!(
            "a node is already running here (pid {})",
            net.child.id()
        )),
        "{line}"
    );
    // `zkvm node run` says the same.
    let out = zkvm(&[
        "node",
        "run",
        "--data-dir",
        data.to_str().unwrap(),
        "--api-addr",
        "127.0.0.1:0",
        "--listen",
        "127.0.0.1:0",
    ]);
    let line = common::binary::one_line_error(&out, "node run");
    assert!(line.contains("a node is already running here"), "{line}");

    // The database, which holds the block-signing key, is owner-only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("chain.redb"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    drop(net);
}

#[test]
fn a_devnet_on_a_taken_port_fails_before_creating_anything() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let data = dir.path().join("data");
    for (api, p2p) in [
        (format!("127.0.0.1:{port}"), "127.0.0.1:0".to_owned()),
        ("127.0.0.1:0".to_owned(), format!("127.0.0.1:{port}")),
    ] {
        let out = zkvm(&[
            "devnet",
            "--data-dir",
            data.to_str().unwrap(),
            "--api-addr",
            &api,
            "--listen",
            &p2p,
        ]);
        let line = common::binary::one_line_error(&out, "taken port");
        assert!(
            line.contains(&format!("cannot listen on 127.0.0.1:{port}")),
            "{line}"
        );
        assert!(!data.exists(), "the data directory was created");
    }
}
