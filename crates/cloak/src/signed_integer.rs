//! Signed integers with a 64-bit magnitude (docs/spec/cloak.md §Signed
//! integers; spacesuit spec "Signed integer").
//!
//! Cloak inputs may be negative (ZkVM's wide values from `borrow`); sums of
//! such quantities must stay far from the group order so they cannot wrap.

use core::ops::Neg;

use curve25519_dalek::scalar::Scalar;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

/// Largest magnitude a signed integer may have: `2^64 - 1`.
const MAX_MAGNITUDE: i128 = u64::MAX as i128;

/// An integer in `[-(2^64-1), 2^64-1]`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Zeroize)]
pub struct SignedInteger(i128);

impl SignedInteger {
    /// The integer `v`, if its magnitude is below `2^64`.
    pub fn new(v: i128) -> Option<Self> {
        (-MAX_MAGNITUDE..=MAX_MAGNITUDE)
            .contains(&v)
            .then_some(SignedInteger(v))
    }

    /// The integer as an `i128`.
    pub fn value(self) -> i128 {
        self.0
    }

    /// The integer as a `u64`, if it is not negative.
    pub fn to_u64(self) -> Option<u64> {
        u64::try_from(self.0).ok()
    }

    /// The integer modulo the group order (negative values wrap to `l - |v|`).
    pub fn to_scalar(self) -> Scalar {
        let magnitude = Scalar::from(self.0.unsigned_abs() as u64);
        Scalar::conditional_select(&magnitude, &-magnitude, Choice::from((self.0 < 0) as u8))
    }

    /// The sum, if it stays within range.
    pub fn checked_add(self, rhs: SignedInteger) -> Option<SignedInteger> {
        SignedInteger::new(self.0 + rhs.0)
    }

    /// The product, if it stays within range.
    pub fn checked_mul(self, rhs: SignedInteger) -> Option<SignedInteger> {
        self.0.checked_mul(rhs.0).and_then(SignedInteger::new)
    }
}

impl From<u64> for SignedInteger {
    fn from(v: u64) -> Self {
        SignedInteger(i128::from(v))
    }
}

impl From<SignedInteger> for Scalar {
    fn from(v: SignedInteger) -> Scalar {
        v.to_scalar()
    }
}

impl Neg for SignedInteger {
    type Output = SignedInteger;

    fn neg(self) -> SignedInteger {
        // The range is symmetric, so negation never leaves it.
        SignedInteger(-self.0)
    }
}

impl ConditionallySelectable for SignedInteger {
    fn conditional_select(a: &Self, b: &Self, choice: Choice) -> Self {
        SignedInteger(i128::conditional_select(&a.0, &b.0, choice))
    }
}

impl ConstantTimeEq for SignedInteger {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.to_le_bytes().ct_eq(&other.0.to_le_bytes())
    }
}

/// Quantities are secret: `Debug` shows only that one is present.
impl core::fmt::Debug for SignedInteger {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SignedInteger(<secret>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_is_symmetric_and_excludes_2_pow_64() {
        let max = SignedInteger::from(u64::MAX);
        assert_eq!(SignedInteger::new(1 << 64), None);
        assert_eq!(SignedInteger::new(-(1 << 64)), None);
        assert_eq!(-(-max), max);
        assert_eq!(max.checked_add(SignedInteger::from(0u64)), Some(max));
        assert_eq!(max.checked_add(SignedInteger::from(1u64)), None);
        assert_eq!((-max).checked_add(-SignedInteger::from(1u64)), None);
        assert_eq!(max.checked_mul(-SignedInteger::from(1u64)), Some(-max));
        assert_eq!(max.checked_mul(SignedInteger::from(2u64)), None);
        assert_eq!(max.checked_mul(max), None);
    }

    #[test]
    fn scalars_wrap_negative_values() {
        let five = SignedInteger::from(5u64);
        assert_eq!(five.to_scalar(), Scalar::from(5u64));
        assert_eq!((-five).to_scalar(), -Scalar::from(5u64));
        assert_eq!(
            SignedInteger::from(u64::MAX).to_scalar(),
            Scalar::from(u64::MAX)
        );
        assert_eq!((-five).to_u64(), None);
        assert_eq!(five.to_u64(), Some(5));
    }

    #[test]
    fn debug_hides_the_value() {
        assert!(!format!("{:?}", SignedInteger::from(12345u64)).contains("12345"));
    }
}
