//! The Cloak gadget (docs/spec/cloak.md §Cloak; spacesuit spec
//! "Transaction").

use curve25519_dalek::scalar::Scalar;
use r1cs::RandomizableConstraintSystem;
use rand_core::OsRng;
use subtle::ConstantTimeEq;

use crate::mix::{k_mix_with_plan, MixPlan, ScalarValue};
use crate::range::{range_proof, QUANTITY_BITS};
use crate::shuffle::{padded_shuffle, value_shuffle};
use crate::{AllocatedValue, CloakError, Value};

/// Proves that `outputs` are `inputs` merged and split per flavor: for every
/// flavor the quantities sum to the same total, no value changes flavor,
/// and every output quantity is in `[0, 2^64)`. Inputs may be negative.
///
/// Gadgets, in the reference's order (each one's wires and constraints
/// are added when it is called; second-phase parts run in this order too):
/// 1. `m`-mix merging the inputs, grouped by flavor (`merge_in` →
///    `merge_out`);
/// 2. `n`-mix on the reversed outputs, read backwards as a split
///    (`split_in` → `split_out`);
/// 3. value shuffle `inputs` → `merge_in`;
/// 4. padded shuffle `merge_out` → `split_in` (`|m - n|` zero pads);
/// 5. value shuffle `split_out` → `outputs`;
/// 6. a 64-bit range proof on each output quantity.
///
/// Uses [`cloak_multipliers`]`(m, n)` multipliers. On the prover every value
/// carries its assignment and a false statement is refused before any
/// proving work ([`CloakError::Unbalanced`], [`CloakError::OutOfRange`]).
/// A true one always has a witness: the merged totals, which may exceed
/// `2^64 - 1` (inputs `2^64 - 1` and `1` into outputs `2^63` and `2^63`),
/// are computed modulo the group order as the mix constraints read them;
/// only the outputs are range-proven (docs/spec/cloak.md §The prover's
/// witness).
pub fn cloak<CS: RandomizableConstraintSystem>(
    cs: &mut CS,
    inputs: &[AllocatedValue],
    outputs: &[AllocatedValue],
) -> Result<(), CloakError> {
    if inputs.is_empty() || outputs.is_empty() {
        return Err(CloakError::EmptySide {
            inputs: inputs.len(),
            outputs: outputs.len(),
        });
    }
    let reversed: Vec<AllocatedValue> = outputs.iter().rev().cloned().collect();
    let (merge_plan, split_plan) = match (witnesses(inputs)?, witnesses(&reversed)?) {
        (Some(ins), Some(outs)) => {
            let merge = MixPlan::new(&ins)?;
            let split = MixPlan::new(&outs)?;
            check_balance(&merge.merged, &split.merged)?;
            (Some(merge), Some(split))
        }
        (None, None) => (None, None),
        _ => return Err(CloakError::MixedAssignments),
    };

    let (merge_in, merge_out) = k_mix_with_plan(cs, inputs, merge_plan.as_ref())?;
    let (split_out, split_in) = k_mix_with_plan(cs, &reversed, split_plan.as_ref())?;
    value_shuffle(cs, inputs, &merge_in)?;
    padded_shuffle(cs, merge_out, split_in)?;
    value_shuffle(cs, &split_out, outputs)?;
    for output in outputs {
        let q = output.assignment.as_ref().map(|v| v.q.to_scalar());
        range_proof(cs, output.q.into(), q, QUANTITY_BITS)?;
    }
    Ok(())
}

/// Number of multipliers of an `m`-input, `n`-output cloak: `81k - 12` for
/// `m = n = k ≥ 2`, 64 for `1 × 1`.
pub fn cloak_multipliers(m: usize, n: usize) -> usize {
    let mix = |k: usize| if k < 2 { 0 } else { 3 * k - 2 + (k - 1) };
    let shuffle = |k: usize| if k < 2 { 0 } else { 3 * k - 2 };
    let pads = m.abs_diff(n);
    mix(m) + mix(n) + pads + shuffle(m) + shuffle(m.max(n)) + shuffle(n) + QUANTITY_BITS * n
}

/// The values of a side: all of them (prover), none (verifier) or an error.
pub(crate) fn witnesses(values: &[AllocatedValue]) -> Result<Option<Vec<Value>>, CloakError> {
    let known: Vec<Value> = values.iter().filter_map(|v| v.assignment.clone()).collect();
    match known.len() {
        0 => Ok(None),
        n if n == values.len() => Ok(Some(known)),
        _ => Err(CloakError::MixedAssignments),
    }
}

/// Checks that the merged inputs and merged outputs are the same multiset
/// once both are padded with zero values to the same length — what the
/// middle shuffle will prove. Compares `Π (q + w·f - z)` at random `w`, `z`
/// in constant time, so no flavor or quantity steers a branch.
///
/// Comparing residues modulo `l` is comparing integers here: a total is a
/// sum of at most `max(m, n)` quantities below `2^64` in magnitude, so two
/// different totals differ by far less than `l ≈ 2^252` (docs/spec/cloak.md
/// §Signed integers).
fn check_balance(merged_in: &[ScalarValue], merged_out: &[ScalarValue]) -> Result<(), CloakError> {
    let w = Scalar::random(&mut OsRng);
    let z = Scalar::random(&mut OsRng);
    let pads = merged_in.len().abs_diff(merged_out.len());
    let product = |values: &[ScalarValue], own_pads: usize| {
        let zero_term = -z;
        values
            .iter()
            .map(|v| v.q + w * v.f - z)
            .chain(core::iter::repeat_n(zero_term, own_pads))
            .product::<Scalar>()
    };
    let (pad_in, pad_out) = if merged_in.len() < merged_out.len() {
        (pads, 0)
    } else {
        (0, pads)
    };
    if bool::from(product(merged_in, pad_in).ct_eq(&product(merged_out, pad_out))) {
        Ok(())
    } else {
        Err(CloakError::Unbalanced)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiplier_counts_match_the_reference() {
        assert_eq!(cloak_multipliers(1, 1), 64);
        for k in 2..=16 {
            assert_eq!(cloak_multipliers(k, k), 81 * k - 12);
        }
    }

    fn v(q: u64, f: u64) -> ScalarValue {
        ScalarValue::from(&Value::new(q, Scalar::from(f)))
    }

    #[test]
    fn balance_ignores_zero_padding_only() {
        let zero = ScalarValue::default;
        assert!(check_balance(&[zero(), v(5, 1)], &[v(5, 1)]).is_ok());
        assert!(check_balance(&[v(5, 1)], &[v(5, 1), zero(), zero()]).is_ok());
        assert!(check_balance(&[v(5, 1), v(3, 2)], &[v(3, 2), v(5, 1)]).is_ok());
        assert_eq!(
            check_balance(&[v(5, 1)], &[v(6, 1)]),
            Err(CloakError::Unbalanced)
        );
        assert_eq!(
            check_balance(&[v(5, 1)], &[v(5, 1), v(0, 3)]),
            Err(CloakError::Unbalanced)
        );
    }
}
