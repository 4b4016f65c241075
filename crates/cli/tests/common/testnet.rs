//! A `zkvm testnet init` federation driven through the built binary: the
//! `zkvm` command with the testnet's dev wallet (`DIR/wallet.redb`), node
//! heights, bounded waits and a free port range for its nodes.

use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Every wait of a testnet test is bounded by this.
pub const BOUND: Duration = Duration::from_secs(90);

/// `zkvm <args>` against the node at `api`, with the testnet's dev wallet.
pub fn zkvm(dir: &Path, api: &str, args: &[&str]) -> Result<Value, String> {
    super::zkvm_at(api, Some(&dir.join("wallet.redb")), args)
}

/// [`zkvm`], which must succeed.
pub fn ok(dir: &Path, api: &str, args: &[&str]) -> Value {
    zkvm(dir, api, args).unwrap_or_else(|e| panic!("zkvm {args:?}: {e}"))
}

/// The height of the node at `api`.
pub fn height(dir: &Path, api: &str) -> u64 {
    ok(dir, api, &["chain", "status"])["height"]
        .as_u64()
        .unwrap()
}

/// Waits (at most [`BOUND`]) until the node at `api` reaches `at_least`;
/// returns its height then.
pub fn wait_height(dir: &Path, api: &str, at_least: u64) -> u64 {
    let start = Instant::now();
    loop {
        if let Ok(v) = zkvm(dir, api, &["chain", "status"]) {
            let h = v["height"].as_u64().unwrap();
            if h >= at_least {
                return h;
            }
        }
        assert!(
            start.elapsed() < BOUND,
            "{api} never reached height {at_least}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A base port with `count` free ports above it (`testnet init
/// --base-port`).
pub fn free_base(count: u16) -> u16 {
    let seed = u32::from(std::process::id() as u16);
    for attempt in 0..200u32 {
        let base = 20_000 + ((seed * 7 + attempt * 97) % 30_000) as u16;
        let free = (0..count).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok());
        if free {
            return base;
        }
    }
    panic!("no free port range");
}
