//! Range proof gadget (docs/spec/cloak.md §Range proof; spacesuit spec
//! "Range proof"): a quantity is a sum of `n` bits.

use curve25519_dalek::scalar::Scalar;
use r1cs::{ConstraintSystem, LinearCombination};

use crate::CloakError;

/// Width of the range proofs on cloak outputs and of ZkVM's `range`.
pub const QUANTITY_BITS: usize = 64;

/// Proves `v ∈ [0, 2^bits)` with `bits` multipliers and `2·bits + 1`
/// constraints.
///
/// Multiplier `i` has left wire `1 - b_i`, right wire `b_i` and output 0, so
/// `b_i` is a bit; the last constraint is `v - Σ b_i·2^i = 0`. Constraints are
/// added in the reference's order: per bit `o_i` then `a_i + b_i - 1`, then
/// the sum.
///
/// `assignment` is the prover's value of `v` (`None` on the verifier); a
/// value outside the range is refused with [`CloakError::OutOfRange`].
pub fn range_proof<CS: ConstraintSystem>(
    cs: &mut CS,
    v: LinearCombination,
    assignment: Option<Scalar>,
    bits: usize,
) -> Result<(), CloakError> {
    if bits == 0 || bits > QUANTITY_BITS {
        return Err(CloakError::InvalidBitWidth(bits));
    }
    let value = assignment.map(|s| to_u64_in_range(&s, bits)).transpose()?;

    let mut sum = v;
    let mut power = Scalar::ONE;
    for i in 0..bits {
        let wires = value.map(|q| {
            let bit = (q >> i) & 1;
            (Scalar::from(1 - bit), Scalar::from(bit))
        });
        let (a, b, o) = cs.allocate_multiplier(wires)?;
        cs.constrain(o.into());
        cs.constrain(a + (b - 1u64));
        sum = sum - b * power;
        power += power;
    }
    cs.constrain(sum);
    Ok(())
}

/// The scalar as a `u64` if it is below `2^bits`.
fn to_u64_in_range(s: &Scalar, bits: usize) -> Result<u64, CloakError> {
    let bytes = s.as_bytes();
    let mut low = [0u8; 8];
    low.copy_from_slice(&bytes[..8]);
    let low = u64::from_le_bytes(low);
    let high_clear = bytes[8..].iter().all(|b| *b == 0);
    let fits = bits == 64 || low >> bits == 0;
    if high_clear && fits {
        Ok(low)
    } else {
        Err(CloakError::OutOfRange { bits })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_check_of_scalars() {
        assert_eq!(to_u64_in_range(&Scalar::from(u64::MAX), 64), Ok(u64::MAX));
        assert_eq!(to_u64_in_range(&Scalar::from(255u64), 8), Ok(255));
        assert!(to_u64_in_range(&Scalar::from(256u64), 8).is_err());
        assert!(to_u64_in_range(&-Scalar::ONE, 64).is_err());
        let two_64 = Scalar::from(u64::MAX) + Scalar::ONE;
        assert!(to_u64_in_range(&two_64, 64).is_err());
    }
}
