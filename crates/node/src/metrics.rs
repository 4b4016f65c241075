//! The node's metrics (docs/api.md §Metrics), served at `GET /metrics` in
//! the Prometheus text exposition format (version 0.0.4), rendered by
//! hand: counters and histograms are atomics, gauges are read from the
//! chain's published view when scraped.
//!
//! Refusals are counted under a small fixed set of reasons
//! ([`TxRefusal`], [`BlockRefusal`]), never under free text, so that a
//! hostile peer cannot grow the number of series.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use blockchain::BlockchainError;

use crate::NodeError;

/// Upper bounds of the histograms' buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A histogram of durations with fixed buckets from 0.5 ms to 10 s.
#[derive(Debug, Default)]
pub struct Histogram {
    /// Observations at or below each bound (not cumulative here).
    buckets: [AtomicU64; BUCKETS.len()],
    /// Observations.
    count: AtomicU64,
    /// Their sum, in nanoseconds.
    sum_ns: AtomicU64,
}

impl Histogram {
    /// Records one duration.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_ns.fetch_add(ns, Ordering::Relaxed);
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, n) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += n.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
            );
        }
        let count = self.count();
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let sum = self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
        let braces = |l: &str| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{{{l}}}")
            }
        };
        let _ = writeln!(out, "{name}_sum{} {sum}", braces(labels));
        let _ = writeln!(out, "{name}_count{} {count}", braces(labels));
    }
}

/// Why a transaction was refused, as a metric label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TxRefusal {
    /// Its bytes do not decode.
    Malformed,
    /// The VM or the proof check failed.
    Invalid,
    /// Its fee rate is below the minimum, or a replacement pays too little.
    FeeTooLow,
    /// Already in the mempool.
    Duplicate,
    /// Conflicts with a mempool transaction it does not replace.
    Conflict,
    /// An input is not an unspent output.
    UnknownInput,
    /// Already in a block.
    AlreadyConfirmed,
    /// No room in the mempool.
    MempoolFull,
    /// Its time bounds exclude every later block.
    Expired,
    /// Every verification core was taken.
    Busy,
    /// Anything else.
    Other,
}

impl TxRefusal {
    /// Every reason, in the order they are rendered.
    pub const ALL: [TxRefusal; 11] = [
        TxRefusal::Malformed,
        TxRefusal::Invalid,
        TxRefusal::FeeTooLow,
        TxRefusal::Duplicate,
        TxRefusal::Conflict,
        TxRefusal::UnknownInput,
        TxRefusal::AlreadyConfirmed,
        TxRefusal::MempoolFull,
        TxRefusal::Expired,
        TxRefusal::Busy,
        TxRefusal::Other,
    ];

    /// The label's value.
    pub fn label(self) -> &'static str {
        match self {
            TxRefusal::Malformed => "malformed",
            TxRefusal::Invalid => "invalid",
            TxRefusal::FeeTooLow => "fee_too_low",
            TxRefusal::Duplicate => "duplicate",
            TxRefusal::Conflict => "conflict",
            TxRefusal::UnknownInput => "unknown_input",
            TxRefusal::AlreadyConfirmed => "already_confirmed",
            TxRefusal::MempoolFull => "mempool_full",
            TxRefusal::Expired => "expired",
            TxRefusal::Busy => "busy",
            TxRefusal::Other => "other",
        }
    }

    /// The reason of a refusal with `e`.
    pub fn of(e: &NodeError) -> TxRefusal {
        match e {
            NodeError::Decode(_) => TxRefusal::Malformed,
            NodeError::InvalidTx(_) => TxRefusal::Invalid,
            NodeError::UnknownInput(_) => TxRefusal::UnknownInput,
            NodeError::AlreadyConfirmed { .. } => TxRefusal::AlreadyConfirmed,
            NodeError::Busy(_) => TxRefusal::Busy,
            NodeError::Chain(c) => match c {
                BlockchainError::Decode(_) | BlockchainError::TooLarge { .. } => {
                    TxRefusal::Malformed
                }
                BlockchainError::InvalidTx { .. } | BlockchainError::TxVersion { .. } => {
                    TxRefusal::Invalid
                }
                BlockchainError::FeeRateTooLow { .. }
                | BlockchainError::ReplacementFeeTooLow { .. } => TxRefusal::FeeTooLow,
                BlockchainError::AlreadyKnown { .. } => TxRefusal::Duplicate,
                BlockchainError::Conflict { .. } | BlockchainError::DoubleSpend { .. } => {
                    TxRefusal::Conflict
                }
                BlockchainError::MempoolFull { .. } => TxRefusal::MempoolFull,
                BlockchainError::TxExpired { .. } | BlockchainError::TxOutsideTimeBounds { .. } => {
                    TxRefusal::Expired
                }
                _ => TxRefusal::Other,
            },
            _ => TxRefusal::Other,
        }
    }

    fn index(self) -> usize {
        Self::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }
}

/// Why a block was refused, as a metric label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlockRefusal {
    /// Its bytes do not decode, or it is too large.
    Malformed,
    /// Its header does not follow the tip (version, height, previous ID,
    /// time, extension).
    BadHeader,
    /// Its signature is not the signers'.
    BadSignature,
    /// Its transaction or UTXO root is wrong.
    BadRoot,
    /// A transaction of it is invalid, spends what is not unspent, or is
    /// outside its time bounds.
    InvalidTx,
    /// Anything else.
    Other,
}

impl BlockRefusal {
    /// Every reason, in the order they are rendered.
    pub const ALL: [BlockRefusal; 6] = [
        BlockRefusal::Malformed,
        BlockRefusal::BadHeader,
        BlockRefusal::BadSignature,
        BlockRefusal::BadRoot,
        BlockRefusal::InvalidTx,
        BlockRefusal::Other,
    ];

    /// The label's value.
    pub fn label(self) -> &'static str {
        match self {
            BlockRefusal::Malformed => "malformed",
            BlockRefusal::BadHeader => "bad_header",
            BlockRefusal::BadSignature => "bad_signature",
            BlockRefusal::BadRoot => "bad_root",
            BlockRefusal::InvalidTx => "invalid_tx",
            BlockRefusal::Other => "other",
        }
    }

    /// The reason of a refusal with `e`.
    pub fn of(e: &NodeError) -> BlockRefusal {
        match e {
            NodeError::Decode(_) => BlockRefusal::Malformed,
            NodeError::InvalidTx(_) | NodeError::UnknownInput(_) => BlockRefusal::InvalidTx,
            NodeError::Chain(c) => match c {
                BlockchainError::Decode(_) | BlockchainError::TooLarge { .. } => {
                    BlockRefusal::Malformed
                }
                BlockchainError::VersionDecreased { .. }
                | BlockchainError::ExtNotEmpty
                | BlockchainError::BadHeight { .. }
                | BlockchainError::BadPrevId
                | BlockchainError::TimeNotIncreasing { .. } => BlockRefusal::BadHeader,
                BlockchainError::BadSignature
                | BlockchainError::SignatureOnCertifiedChain
                | BlockchainError::CertificateOnKeyChain => BlockRefusal::BadSignature,
                BlockchainError::TxRootMismatch | BlockchainError::UtxoRootMismatch => {
                    BlockRefusal::BadRoot
                }
                BlockchainError::InvalidTx { .. }
                | BlockchainError::DoubleSpend { .. }
                | BlockchainError::TxOutsideTimeBounds { .. }
                | BlockchainError::TxVersion { .. }
                | BlockchainError::Utxo(_) => BlockRefusal::InvalidTx,
                _ => BlockRefusal::Other,
            },
            // The certificate that should seal the block does not.
            NodeError::Consensus(_) => BlockRefusal::BadSignature,
            _ => BlockRefusal::Other,
        }
    }

    fn index(self) -> usize {
        Self::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }
}

/// Where an accepted block came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockSource {
    /// Made by this node.
    Produced,
    /// Received from a peer and verified.
    Imported,
}

/// The counters and histograms a node keeps. Cheap to update from any
/// thread.
#[derive(Debug, Default)]
pub struct Metrics {
    blocks_produced: AtomicU64,
    blocks_imported: AtomicU64,
    blocks_refused: [AtomicU64; BlockRefusal::ALL.len()],
    txs_accepted: AtomicU64,
    txs_refused: [AtomicU64; TxRefusal::ALL.len()],
    /// Block import: stage 1 (verification) and stage 2 (storage).
    pub block_import: Histogram,
    /// Block production: making, signing and storing a block.
    pub block_produce: Histogram,
    /// Transaction admission's VM run (stage 2).
    pub tx_vm: Histogram,
    /// Transaction admission's proof check (stage 4), from joining a
    /// batch to its answer.
    pub tx_proof: Histogram,
}

/// The gauges, read when a scrape comes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gauges {
    /// The tip's height.
    pub height: u64,
    /// Connected peers.
    pub peers: usize,
    /// Mempool transactions.
    pub mempool_txs: usize,
    /// Their encoded bytes.
    pub mempool_bytes: usize,
    /// The mempool's limit in bytes.
    pub mempool_limit_bytes: usize,
}

impl Metrics {
    /// Counts a block stored as the new tip.
    pub fn block_accepted(&self, source: BlockSource) {
        match source {
            BlockSource::Produced => &self.blocks_produced,
            BlockSource::Imported => &self.blocks_imported,
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a block refused.
    pub fn block_refused(&self, reason: BlockRefusal) {
        self.blocks_refused[reason.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a transaction admitted into the mempool.
    pub fn tx_accepted(&self) {
        self.txs_accepted.fetch_add(1, Ordering::Relaxed);
    }

    /// Blocks refused for `reason` so far.
    pub fn blocks_refused(&self, reason: BlockRefusal) -> u64 {
        self.blocks_refused[reason.index()].load(Ordering::Relaxed)
    }

    /// Counts a transaction refused.
    pub fn tx_refused(&self, reason: TxRefusal) {
        self.txs_refused[reason.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Transactions refused for `reason` so far.
    pub fn txs_refused(&self, reason: TxRefusal) -> u64 {
        self.txs_refused[reason.index()].load(Ordering::Relaxed)
    }

    /// Transactions admitted so far.
    pub fn txs_accepted(&self) -> u64 {
        self.txs_accepted.load(Ordering::Relaxed)
    }

    /// Everything in the Prometheus text format, with `gauges`.
    pub fn render(&self, g: &Gauges) -> String {
        let mut out = String::with_capacity(8192);
        let gauge = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        };
        gauge(&mut out, "zkvm_height", "Height of the tip.", g.height);
        gauge(&mut out, "zkvm_peers", "Connected peers.", g.peers as u64);
        gauge(
            &mut out,
            "zkvm_mempool_txs",
            "Transactions in the mempool.",
            g.mempool_txs as u64,
        );
        gauge(
            &mut out,
            "zkvm_mempool_bytes",
            "Encoded bytes of the mempool's transactions.",
            g.mempool_bytes as u64,
        );
        gauge(
            &mut out,
            "zkvm_mempool_limit_bytes",
            "The mempool's limit in bytes.",
            g.mempool_limit_bytes as u64,
        );

        let name = "zkvm_blocks_accepted_total";
        let _ = writeln!(
            out,
            "# HELP {name} Blocks stored as the new tip, by source.\n# TYPE {name} counter"
        );
        for (source, n) in [
            ("produced", &self.blocks_produced),
            ("imported", &self.blocks_imported),
        ] {
            let _ = writeln!(
                out,
                "{name}{{source=\"{source}\"}} {}",
                n.load(Ordering::Relaxed)
            );
        }
        let name = "zkvm_blocks_refused_total";
        let _ = writeln!(
            out,
            "# HELP {name} Blocks refused, by reason.\n# TYPE {name} counter"
        );
        for (reason, n) in BlockRefusal::ALL.iter().zip(&self.blocks_refused) {
            let _ = writeln!(
                out,
                "{name}{{reason=\"{}\"}} {}",
                reason.label(),
                n.load(Ordering::Relaxed)
            );
        }
        let name = "zkvm_txs_accepted_total";
        let _ = writeln!(
            out,
            "# HELP {name} Transactions admitted into the mempool.\n# TYPE {name} counter\n{name} {}",
            self.txs_accepted()
        );
        let name = "zkvm_txs_refused_total";
        let _ = writeln!(
            out,
            "# HELP {name} Transactions refused admission, by reason.\n# TYPE {name} counter"
        );
        for reason in TxRefusal::ALL {
            let _ = writeln!(
                out,
                "{name}{{reason=\"{}\"}} {}",
                reason.label(),
                self.txs_refused(reason)
            );
        }

        let name = "zkvm_block_import_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time to verify and store a block received from a peer.\n# TYPE {name} histogram"
        );
        self.block_import.render(&mut out, name, "");
        let name = "zkvm_block_produce_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time to make, sign and store a block.\n# TYPE {name} histogram"
        );
        self.block_produce.render(&mut out, name, "");
        let name = "zkvm_tx_verify_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Transaction admission's verification time, by stage (vm: the VM run; proof: the proof and signature check, batched, from joining a batch to its answer).\n# TYPE {name} histogram"
        );
        self.tx_vm.render(&mut out, name, "stage=\"vm\"");
        self.tx_proof.render(&mut out, name, "stage=\"proof\"");
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_every_series_is_rendered() {
        let m = Metrics::default();
        m.tx_vm.observe(Duration::from_micros(200));
        m.tx_vm.observe(Duration::from_millis(30));
        m.tx_vm.observe(Duration::from_secs(60));
        m.tx_refused(TxRefusal::FeeTooLow);
        m.block_accepted(BlockSource::Produced);
        let text = m.render(&Gauges {
            height: 7,
            ..Gauges::default()
        });
        assert!(text.contains("zkvm_height 7\n"));
        assert!(text.contains("zkvm_tx_verify_seconds_bucket{stage=\"vm\",le=\"0.0005\"} 1\n"));
        assert!(text.contains("zkvm_tx_verify_seconds_bucket{stage=\"vm\",le=\"0.05\"} 2\n"));
        assert!(text.contains("zkvm_tx_verify_seconds_bucket{stage=\"vm\",le=\"+Inf\"} 3\n"));
        assert!(text.contains("zkvm_tx_verify_seconds_count{stage=\"vm\"} 3\n"));
        assert!(text.contains("zkvm_block_import_seconds_count 0\n"));
        assert!(text.contains("zkvm_txs_refused_total{reason=\"fee_too_low\"} 1\n"));
        assert!(text.contains("zkvm_blocks_accepted_total{source=\"produced\"} 1\n"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = line.rsplit_once(' ').unwrap();
            value.parse::<f64>().unwrap();
        }
    }
}
