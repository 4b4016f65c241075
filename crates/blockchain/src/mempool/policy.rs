//! The pool's economics (docs/spec/blockchain.md §Mempool, Relay fees): the
//! byte limit, the minimum fee rate a transaction must pay to be relayed,
//! and the incremental rate a replacement pays for its own bytes.
//!
//! Fees buy the bandwidth and the verification work every node spends on a
//! transaction. Without a floor, transactions that pay nothing cost a
//! spammer nothing; without an incremental fee, a chain of replacements
//! that each add one unit would be relayed over and over almost for free.

use zkvm::FeeRate;

use crate::BlockchainError;

/// Default cap on the pool's encoded transactions: 64 MiB.
pub const DEFAULT_MEMPOOL_BYTES: usize = 64 << 20;

/// The default minimum relay fee rate, as `(fee, bytes)`: 1 unit per 2,000
/// bytes. A wallet payment (1 input, a fee, 2 outputs with notes) is about
/// 1.9 KB, so it needs a fee of 1; the largest transaction (1 MiB) needs
/// 525 (docs/spec/blockchain.md §Mempool, Relay fees).
pub const DEFAULT_MIN_RELAY_FEE_RATE: (u64, usize) = (1, 2_000);

/// The default incremental relay fee rate, as `(fee, bytes)`: the same as
/// the minimum, as in Bitcoin Core, so that the bytes of each replacement
/// are paid for as if they were a new transaction.
pub const DEFAULT_INCREMENTAL_RELAY_FEE_RATE: (u64, usize) = DEFAULT_MIN_RELAY_FEE_RATE;

/// What a pool accepts (docs/spec/blockchain.md §Mempool, Relay fees).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MempoolPolicy {
    /// Cap on the encoded size of the pool's transactions, in bytes
    /// (§Mempool, Size limit).
    pub max_bytes: usize,
    /// A transaction paying a lower fee rate is refused (`FeeRateTooLow`).
    pub min_relay_fee_rate: FeeRate,
    /// A replacement pays, on top of the fees of every transaction it
    /// replaces, this rate for its own size (`ReplacementFeeTooLow`).
    pub incremental_relay_fee_rate: FeeRate,
}

impl Default for MempoolPolicy {
    fn default() -> Self {
        MempoolPolicy::with_max_bytes(DEFAULT_MEMPOOL_BYTES)
    }
}

impl MempoolPolicy {
    /// The default relay fee rates with a byte limit of `max_bytes`.
    pub fn with_max_bytes(max_bytes: usize) -> MempoolPolicy {
        let (fee, bytes) = DEFAULT_MIN_RELAY_FEE_RATE;
        let (incremental_fee, incremental_bytes) = DEFAULT_INCREMENTAL_RELAY_FEE_RATE;
        MempoolPolicy {
            max_bytes,
            min_relay_fee_rate: FeeRate::new(fee, bytes),
            incremental_relay_fee_rate: FeeRate::new(incremental_fee, incremental_bytes),
        }
    }

    /// No fee rules at all: any fee rate is relayed and a replacement needs
    /// only a higher fee rate than what it conflicts with. For tests of
    /// other rules.
    pub fn free(max_bytes: usize) -> MempoolPolicy {
        MempoolPolicy {
            max_bytes,
            min_relay_fee_rate: FeeRate::new(0, 1),
            incremental_relay_fee_rate: FeeRate::new(0, 1),
        }
    }

    /// `FeeRateTooLow` unless `fee_rate` is at least the minimum relay fee
    /// rate (compared exactly).
    pub fn check_fee_rate(&self, fee_rate: FeeRate) -> Result<(), BlockchainError> {
        if fee_rate < self.min_relay_fee_rate {
            return Err(BlockchainError::FeeRateTooLow {
                fee_rate,
                minimum: self.min_relay_fee_rate,
            });
        }
        Ok(())
    }

    /// The smallest fee that a transaction of `size` bytes pays to be
    /// relayed.
    pub fn min_relay_fee(&self, size: usize) -> u64 {
        fee_for(self.min_relay_fee_rate, size)
    }

    /// The smallest fee of a replacement of `size` bytes for transactions
    /// paying `replaced_fees` in all: those fees, plus the incremental
    /// relay fee for its own size (Bitcoin Core's replacement rules 3 and
    /// 4).
    pub fn replacement_fee(&self, replaced_fees: u64, size: usize) -> u64 {
        replaced_fees.saturating_add(fee_for(self.incremental_relay_fee_rate, size))
    }
}

/// The smallest fee that pays at least `rate` for `size` bytes:
/// `⌈rate.fee × size / rate.size⌉`, so that `FeeRate::new(fee_for(rate,
/// size), size) >= rate` holds exactly and one unit less does not (for a
/// non-zero fee). A rate of `size` 0 and a positive fee is unpayable
/// (`u64::MAX`); results beyond `u64` saturate.
pub fn fee_for(rate: FeeRate, size: usize) -> u64 {
    if rate.fee() == 0 {
        return 0;
    }
    if rate.size() == 0 {
        return u64::MAX;
    }
    let product = u128::from(rate.fee()) * size as u128;
    let fee = product.div_ceil(u128::from(rate.size()));
    u64::try_from(fee).unwrap_or(u64::MAX)
}

/// Parses a fee rate written `FEE/BYTES` (e.g. `1/2000`: one unit per
/// 2,000 bytes), the form of the node's configuration (docs/api.md
/// §Configuration). `BYTES` is positive.
pub fn parse_fee_rate(text: &str) -> Result<FeeRate, String> {
    let usage = || format!("a fee rate is FEE/BYTES, e.g. 1/2000, not {text:?}");
    let (fee, bytes) = text.trim().split_once('/').ok_or_else(usage)?;
    let fee: u64 = fee.trim().parse().map_err(|_| usage())?;
    let bytes: usize = bytes.trim().parse().map_err(|_| usage())?;
    if bytes == 0 {
        return Err(format!(
            "a fee rate needs a positive number of bytes: {text:?}"
        ));
    }
    Ok(FeeRate::new(fee, bytes))
}

/// A fee rate as [`parse_fee_rate`] reads it: `FEE/BYTES`.
pub fn format_fee_rate(rate: FeeRate) -> String {
    format!("{}/{}", rate.fee(), rate.size())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fee_for_is_the_exact_ceiling() {
        let rate = FeeRate::new(1, 2000);
        assert_eq!(fee_for(rate, 0), 0);
        assert_eq!(fee_for(rate, 1), 1);
        assert_eq!(fee_for(rate, 2000), 1);
        assert_eq!(fee_for(rate, 2001), 2);
        for size in [1, 999, 1999, 2000, 2001, 4000, 1 << 20] {
            let fee = fee_for(rate, size);
            assert!(FeeRate::new(fee, size) >= rate);
            assert!(FeeRate::new(fee - 1, size) < rate);
        }
        assert_eq!(fee_for(FeeRate::new(0, 1), 1 << 20), 0);
        assert_eq!(fee_for(FeeRate::default(), 100), 0);
        assert_eq!(fee_for(FeeRate::new(1, 0), 100), u64::MAX);
        assert_eq!(fee_for(FeeRate::new(u64::MAX, 1), usize::MAX), u64::MAX);
    }

    #[test]
    fn fee_rates_parse_and_print() {
        let rate = parse_fee_rate(" 3 / 1000 ").unwrap();
        assert_eq!((rate.fee(), rate.size()), (3, 1000));
        assert_eq!(format_fee_rate(rate), "3/1000");
        for bad in ["", "3", "3/0", "-1/10", "1/x", "1/2/3"] {
            assert!(parse_fee_rate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_policy_refuses_only_rates_below_the_minimum() {
        let p = MempoolPolicy::default();
        assert_eq!(p.max_bytes, DEFAULT_MEMPOOL_BYTES);
        assert!(p.check_fee_rate(FeeRate::new(1, 2000)).is_ok());
        assert!(p.check_fee_rate(FeeRate::new(1, 1000)).is_ok());
        assert_eq!(
            p.check_fee_rate(FeeRate::new(1, 2001)),
            Err(BlockchainError::FeeRateTooLow {
                fee_rate: FeeRate::new(1, 2001),
                minimum: FeeRate::new(1, 2000),
            })
        );
        assert!(p.check_fee_rate(FeeRate::new(0, 100)).is_err());
        assert_eq!(p.min_relay_fee(1900), 1);
        assert_eq!(p.replacement_fee(40, 4001), 43);
        let free = MempoolPolicy::free(10);
        assert!(free.check_fee_rate(FeeRate::new(0, 100)).is_ok());
        assert_eq!(free.replacement_fee(40, 4001), 40);
    }
}
