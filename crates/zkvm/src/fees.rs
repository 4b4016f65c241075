//! Fees (docs/spec/zkvm.md §Fees): paid in the flavor zero, at most `2^24`
//! per transaction, ranked by fee per byte.

use core::cmp::Ordering;

/// Largest total fee of one transaction.
pub const MAX_FEE: u64 = 1 << 24;

/// A fee and the size it pays for; compared as the exact ratio.
#[derive(Clone, Copy, Debug, Default)]
pub struct FeeRate {
    fee: u64,
    size: u64,
}

impl FeeRate {
    /// `fee` paid for `size` bytes.
    pub fn new(fee: u64, size: usize) -> Self {
        FeeRate {
            fee,
            size: size as u64,
        }
    }

    /// The fee.
    pub fn fee(&self) -> u64 {
        self.fee
    }

    /// The size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Fee per byte, for display.
    pub fn to_f64(&self) -> f64 {
        if self.size == 0 {
            0.0
        } else {
            self.fee as f64 / self.size as f64
        }
    }
}

/// Ordered by `fee / size`, compared by cross-multiplication (exact).
impl Ord for FeeRate {
    fn cmp(&self, other: &Self) -> Ordering {
        (u128::from(self.fee) * u128::from(other.size))
            .cmp(&(u128::from(other.fee) * u128::from(self.size)))
    }
}

impl PartialOrd for FeeRate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for FeeRate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for FeeRate {}
