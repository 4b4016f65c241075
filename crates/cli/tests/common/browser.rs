//! Headless Chromium driven over WebDriver (chromedriver's HTTP API, W3C
//! protocol) for the explorer's browser tests. `scripts/install-browser.sh`
//! (called by `.ci/run`) installs Debian's `chromium` and
//! `chromium-driver`; a test whose browser is missing fails with that
//! command, unless `ZKVM_SKIP_BROWSER_TESTS=1` says to skip it. Shared
//! with the node's explorer benchmark (crates/node/benches/explorer.rs).
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// `None` (and a note on stderr) when browser tests are skipped on
/// purpose; panics with the install command when the browser is missing.
pub fn browser_or_skip() -> Option<()> {
    if std::env::var("ZKVM_SKIP_BROWSER_TESTS").is_ok_and(|v| v == "1") {
        eprintln!("ZKVM_SKIP_BROWSER_TESTS=1: the explorer's browser test is skipped");
        return None;
    }
    for path in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(path).exists(),
            "{path} is missing: run `bash scripts/install-browser.sh` \
             (apt-get install -y chromium chromium-driver), or set \
             ZKVM_SKIP_BROWSER_TESTS=1 to skip the browser tests"
        );
    }
    Some(())
}

/// A chromedriver process and one browser session; both end on drop.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::blocking::Client,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// Starts chromedriver on a free port and a headless Chromium with a
    /// fresh profile, a `width`×`height` window and its console log kept.
    pub fn start(width: u32, height: u32) -> Browser {
        Browser::start_with(width, height, &[])
    }

    /// [`Browser::start`] with more Chromium flags (e.g. a dark theme).
    pub fn start_with(width: u32, height: u32, extra: &[&str]) -> Browser {
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let start = Instant::now();
        loop {
            let ready = http
                .get(format!("{base}/status"))
                .send()
                .ok()
                .and_then(|r| r.json::<Value>().ok())
                .is_some_and(|v| v["value"]["ready"] == true);
            if ready {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().unwrap();
        // The flags a closed network needs (no background connections).
        let mut args = json!([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ]);
        for flag in extra {
            args.as_array_mut().unwrap().push(json!(flag));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let answer: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {answer}"))
            .to_string();
        Browser {
            driver,
            base,
            session,
            http,
            _profile: profile,
        }
    }

    fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().unwrap().json().unwrap();
        if let Some(error) = answer["value"]["error"].as_str() {
            panic!("WebDriver {path}: {error}: {}", answer["value"]["message"]);
        }
        answer["value"].clone()
    }

    /// Opens `url` and waits for the explorer to say the page is ready.
    pub fn open(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", Some(json!({"url": url})));
        self.wait_ready();
    }

    /// Waits for the page's `main[data-ready]` (the script set it when
    /// the page, and its in-browser checks, finished).
    pub fn wait_ready(&self) {
        self.wait_for("document.getElementById('main') && document.getElementById('main').dataset.ready === 'true'");
    }

    /// Runs `script` (a function body) in the page with `args`.
    pub fn eval(&self, script: &str, args: Value) -> Value {
        self.command(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
    }

    /// Runs `script` (a function body whose last argument is the callback
    /// it calls with its result) in the page, waiting up to 5 minutes.
    pub fn eval_async(&self, script: &str, args: Value) -> Value {
        self.command(
            reqwest::Method::POST,
            "/timeouts",
            Some(json!({"script": 300_000})),
        );
        self.command(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({"script": script, "args": args})),
        )
    }

    /// The value of the JavaScript expression `expr`.
    pub fn value(&self, expr: &str) -> Value {
        self.eval(&format!("return ({expr});"), json!([]))
    }

    /// Waits up to 30 s for `expr` to be truthy.
    pub fn wait_for(&self, expr: &str) {
        let start = Instant::now();
        loop {
            if self.value(&format!("!!({expr})")) == true {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "timed out waiting for {expr} on {}",
                self.value("location.href")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The text of the first element matching `selector` (empty if none).
    pub fn text(&self, selector: &str) -> String {
        self.eval(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';",
            json!([selector]),
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Follows the link `selector` as a reader would (a click), and waits
    /// for the next page.
    pub fn click_link(&self, selector: &str) {
        let href = self.eval(
            "const a = document.querySelector(arguments[0]); if (!a) return null; \
             const href = a.href; a.click(); return href;",
            json!([selector]),
        );
        assert!(href.is_string(), "no link {selector}");
        self.wait_for(&format!(
            "location.href === {href} && document.getElementById('main').dataset.ready === 'true'"
        ));
    }

    /// Console messages at level SEVERE since the last call.
    pub fn console_errors(&self) -> Vec<String> {
        let log = self.command(
            reqwest::Method::POST,
            "/se/log",
            Some(json!({"type": "browser"})),
        );
        log.as_array()
            .unwrap()
            .iter()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// A PNG of the window.
    pub fn screenshot(&self) -> Vec<u8> {
        let b64 = self.command(reqwest::Method::GET, "/screenshot", None);
        base64_decode(b64.as_str().unwrap())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Standard base64 (with padding), as WebDriver sends screenshots.
fn base64_decode(text: &str) -> Vec<u8> {
    let digit = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let clean: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    for chunk in clean.chunks(4) {
        let data: Vec<u8> = chunk.iter().copied().filter(|c| *c != b'=').collect();
        let mut n = 0u32;
        for (i, c) in data.iter().enumerate() {
            n |= digit(*c) << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..data.len().saturating_sub(1)]);
    }
    out
}
