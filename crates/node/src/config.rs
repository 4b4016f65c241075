//! The node's configuration (docs/api.md §Configuration): a TOML file,
//! every field optional, with the command line's flags applied over it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use zkvm::FeeRate;

use crate::chain::Limits;
use crate::network::{parse_addr, NetworkSettings};
use crate::NodeError;

/// The API's default address: loopback only.
pub const DEFAULT_API_ADDR: &str = "127.0.0.1:9797";

/// The network's default listening address: loopback only.
pub const DEFAULT_LISTEN_ADDR: &str = "127.0.0.1:9798";

/// Everything a running node is told.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeConfig {
    /// Where the database lives.
    pub data_dir: PathBuf,
    /// The HTTP API's listening address.
    pub api_addr: SocketAddr,
    /// How often a producing node makes a block when its mempool holds
    /// transactions, in milliseconds.
    pub block_interval_ms: u64,
    /// How long a producing node waits before making an empty block (so
    /// that time moves on the chain), in milliseconds; 0 never does.
    pub empty_block_interval_ms: u64,
    /// Mempool cap in bytes.
    pub mempool_bytes: usize,
    /// The least fee rate the mempool relays, `"FEE/BYTES"` (default
    /// `"1/2000"`: a unit per 2,000 encoded bytes); lower ones are refused
    /// (docs/spec/blockchain.md §Mempool, Relay fees).
    /// `min_fee_rate` is another name for it.
    #[serde(with = "fee_rate_text", alias = "min_fee_rate")]
    pub min_relay_fee_rate: FeeRate,
    /// The fee rate a replacement pays for its own size on top of the fees
    /// of everything it replaces, `"FEE/BYTES"` (default `"1/2000"`).
    #[serde(with = "fee_rate_text")]
    pub incremental_relay_fee_rate: FeeRate,
    /// Largest block produced, in transaction bytes.
    pub block_bytes: usize,
    /// Largest HTTP request body accepted, in bytes.
    pub max_request_bytes: usize,
    /// How long an API client may take to send a request's headers, and
    /// then its whole body, in milliseconds: a slow client cannot hold a
    /// connection and a buffer for ever.
    pub request_read_timeout_ms: u64,
    /// Peer-to-peer listening addresses: multiaddrs or `host:port`
    /// (docs/spec/network.md); empty: accept no connections.
    pub listen: Vec<String>,
    /// Peers to connect to and stay connected to.
    pub peers: Vec<String>,
    /// Announce produced blocks by short transaction IDs (peers rebuild
    /// them from their mempools) rather than whole.
    pub compact_relay: bool,
    /// While connected to fewer peers than this, ask peers for theirs and
    /// dial them (docs/spec/network.md §Peer discovery); 0 dials only the
    /// configured peers.
    pub target_peers: usize,
    /// Inbound peer-to-peer connections accepted at most.
    pub max_inbound_peers: u32,
    /// Transactions waiting for a verification core at most; beyond it a
    /// submission is refused at once (`503 busy`, gossip ignored:
    /// docs/spec/network.md §Admission).
    pub verify_queue: usize,
    /// How long a transaction waits for a verification core before it is
    /// refused as busy, in milliseconds.
    pub verify_wait_ms: u64,
    /// Origins (`scheme://host[:port]`) whose browsers may call the API,
    /// or `"*"` for any (docs/api.md §CORS); empty (the default): no
    /// cross-origin access.
    pub cors_origins: Vec<String>,
    /// Serve the block explorer's pages at `/` on the API address
    /// (docs/explorer.md); `false` leaves only the JSON API.
    pub explorer: bool,
    /// Where this validator's consensus engine listens (a multiaddr, e.g.
    /// `/ip4/127.0.0.1/tcp/27000`): set, a node holding the block key has
    /// its blocks decided by the engine (docs/spec/consensus.md §Node)
    /// rather than made alone; unset (the default), it makes them alone.
    pub consensus_listen: Option<String>,
    /// The other validators' consensus addresses (multiaddrs).
    pub consensus_peers: Vec<String>,
}

impl Default for NodeConfig {
    fn default() -> Self {
        let limits = Limits::default();
        NodeConfig {
            data_dir: PathBuf::from("zkvm-data"),
            api_addr: DEFAULT_API_ADDR
                .parse()
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 9797))),
            block_interval_ms: 2_000,
            empty_block_interval_ms: 30_000,
            mempool_bytes: limits.mempool_bytes,
            min_relay_fee_rate: limits.min_relay_fee_rate,
            incremental_relay_fee_rate: limits.incremental_relay_fee_rate,
            block_bytes: limits.block_bytes,
            // A transaction is at most 1 MiB: 2 MiB of hex and JSON's framing.
            max_request_bytes: (2 << 20) + 4096,
            // A largest request in 10 s needs about 210 KB/s.
            request_read_timeout_ms: 10_000,
            listen: vec![DEFAULT_LISTEN_ADDR.to_string()],
            peers: Vec::new(),
            compact_relay: true,
            target_peers: 8,
            max_inbound_peers: crate::network::DEFAULT_MAX_INBOUND,
            verify_queue: 256,
            verify_wait_ms: 10_000,
            cors_origins: Vec::new(),
            explorer: true,
            consensus_listen: None,
            consensus_peers: Vec::new(),
        }
    }
}

impl NodeConfig {
    /// Reads a TOML file; unknown keys are errors.
    pub fn from_file(path: &Path) -> Result<NodeConfig, NodeError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| NodeError::Config(format!("cannot read {}: {e}", path.display())))?;
        toml::from_str(&text).map_err(|e| NodeError::Config(format!("{}: {e}", path.display())))
    }

    /// The configuration as TOML, e.g. to write a file to edit.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// The configuration file read from a data directory when no other is
    /// given (docs/api.md §Configuration).
    pub const FILE_NAME: &'static str = "config.toml";

    /// The configuration of the node in `data_dir`: its `config.toml` if
    /// there is one (its `data_dir` key, if any, replaced by `data_dir`),
    /// else the defaults.
    pub fn for_data_dir(data_dir: &Path) -> Result<NodeConfig, NodeError> {
        let path = data_dir.join(Self::FILE_NAME);
        let mut c = if path.exists() {
            NodeConfig::from_file(&path)?
        } else {
            NodeConfig::default()
        };
        c.data_dir = data_dir.to_path_buf();
        Ok(c)
    }

    /// Checks that the API's address and every TCP listening address with
    /// a fixed port can be bound now, so that a node that could not serve
    /// fails before it creates anything (addresses with port 0 always can).
    pub fn check_ports_free(&self) -> Result<(), NodeError> {
        let mut addrs = vec![("API", self.api_addr)];
        for a in &self.network_settings()?.listen {
            if let Some(addr) = crate::network::tcp_socket_addr(a) {
                addrs.push(("p2p", addr));
            }
        }
        for (what, addr) in addrs {
            if addr.port() == 0 {
                continue;
            }
            std::net::TcpListener::bind(addr).map_err(|e| {
                NodeError::Server(format!(
                    "cannot listen on {addr} ({what}): {e}; is another node using it?"
                ))
            })?;
        }
        Ok(())
    }

    /// The database file in the data directory.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("chain.redb")
    }

    /// The mempool and block limits.
    pub fn limits(&self) -> Limits {
        Limits {
            mempool_bytes: self.mempool_bytes,
            block_bytes: self.block_bytes,
            min_relay_fee_rate: self.min_relay_fee_rate,
            incremental_relay_fee_rate: self.incremental_relay_fee_rate,
        }
    }

    /// The block interval.
    pub fn block_interval(&self) -> Duration {
        Duration::from_millis(self.block_interval_ms.max(1))
    }

    /// The API's request read timeout (at least 1 ms).
    pub fn request_read_timeout(&self) -> Duration {
        Duration::from_millis(self.request_read_timeout_ms.max(1))
    }

    /// The bounded verification pool's settings (docs/spec/network.md
    /// §Admission): one worker per core.
    pub fn admission_settings(&self) -> crate::admission::AdmissionSettings {
        crate::admission::AdmissionSettings {
            workers: crate::admission::default_workers(),
            queue: self.verify_queue,
            wait: Duration::from_millis(self.verify_wait_ms.max(1)),
        }
    }

    /// The parsed network addresses.
    pub fn network_settings(&self) -> Result<NetworkSettings, NodeError> {
        let parse = |v: &[String]| {
            v.iter()
                .map(|a| parse_addr(a))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(NetworkSettings {
            listen: parse(&self.listen)?,
            peers: parse(&self.peers)?,
            compact: self.compact_relay,
            target_peers: self.target_peers,
            max_inbound: self.max_inbound_peers,
            admission: self.admission_settings(),
        })
    }

    /// Checks values that would make the node misbehave.
    pub fn validate(&self) -> Result<(), NodeError> {
        if self.block_bytes == 0 || self.block_bytes > blockchain::MAX_BLOCK_SIZE {
            return Err(NodeError::Config(format!(
                "block_bytes must be between 1 and {}",
                blockchain::MAX_BLOCK_SIZE
            )));
        }
        if self.max_request_bytes < 1024 {
            return Err(NodeError::Config(
                "max_request_bytes must be at least 1024".into(),
            ));
        }
        for origin in &self.cors_origins {
            if origin != "*" && !(origin.starts_with("http://") || origin.starts_with("https://")) {
                return Err(NodeError::Config(format!(
                    "cors_origins: {origin:?} is neither \"*\" nor an http(s):// origin"
                )));
            }
        }
        for (name, rate) in [
            ("min_relay_fee_rate", self.min_relay_fee_rate),
            (
                "incremental_relay_fee_rate",
                self.incremental_relay_fee_rate,
            ),
        ] {
            if rate.size() == 0 {
                return Err(NodeError::Config(format!(
                    "{name} must be FEE/BYTES with a positive number of bytes"
                )));
            }
        }
        self.network_settings()?;
        Ok(())
    }
}

/// A fee rate in the configuration file as `"FEE/BYTES"`
/// ([`blockchain::parse_fee_rate`]).
mod fee_rate_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use zkvm::FeeRate;

    pub fn serialize<S: Serializer>(rate: &FeeRate, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&blockchain::format_fee_rate(*rate))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<FeeRate, D::Error> {
        let text = String::deserialize(d)?;
        blockchain::parse_fee_rate(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn partial_file_keeps_defaults_and_unknown_keys_fail() {
        let c: NodeConfig = toml::from_str("block_interval_ms = 500").unwrap();
        assert_eq!(c.block_interval_ms, 500);
        assert_eq!(c.api_addr, NodeConfig::default().api_addr);
        assert!(toml::from_str::<NodeConfig>("block_interval = 5").is_err());
        let round: NodeConfig = toml::from_str(&c.to_toml()).unwrap();
        assert_eq!(round, c);
    }

    #[test]
    fn relay_fee_rates_are_fee_per_bytes() {
        let c = NodeConfig::default();
        assert_eq!(
            (c.min_relay_fee_rate.fee(), c.min_relay_fee_rate.size()),
            (1, 2000)
        );
        assert_eq!(
            c.limits().mempool_policy(),
            Limits::default().mempool_policy()
        );
        assert!(c.to_toml().contains("min_relay_fee_rate = \"1/2000\""));
        let c: NodeConfig =
            toml::from_str("min_relay_fee_rate = \"5/1000\"\nincremental_relay_fee_rate = \"0/1\"")
                .unwrap();
        let policy = c.limits().mempool_policy();
        assert_eq!(
            (
                policy.min_relay_fee_rate.fee(),
                policy.min_relay_fee_rate.size()
            ),
            (5, 1000)
        );
        assert_eq!(policy.incremental_relay_fee_rate.fee(), 0);
        c.validate().unwrap();
        assert!(toml::from_str::<NodeConfig>("min_relay_fee_rate = \"5\"").is_err());
        assert!(toml::from_str::<NodeConfig>("min_relay_fee_rate = \"1/0\"").is_err());
        let zero = NodeConfig {
            min_relay_fee_rate: FeeRate::new(1, 0),
            ..NodeConfig::default()
        };
        assert!(zero.validate().is_err());
    }
}
