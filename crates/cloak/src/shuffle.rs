//! Shuffle gadgets (docs/spec/cloak.md §Shuffles; spacesuit spec "K-scalar
//! shuffle", "K-value shuffle", "Pad").

use r1cs::{ConstraintSystem, RandomizableConstraintSystem, RandomizedConstraintSystem, Variable};

use crate::{AllocatedValue, CloakError, Value};

/// Transcript label of the scalar shuffle's challenge `z`.
const SCALAR_SHUFFLE_LABEL: &[u8] = b"shuffle challenge";
/// Transcript label of the value shuffle's challenge `w`.
const VALUE_SHUFFLE_LABEL: &[u8] = b"k-value shuffle challenge";

/// Proves that `y` is a permutation of `x` (same length `k`):
/// `Π (x_i - z) = Π (y_i - z)` for a challenge `z`, with `2(k-1)`
/// multipliers; for `k = 1`, the single constraint `y_0 - x_0 = 0`.
///
/// Each product is built from the last two entries towards the first, as
/// the reference does, and the two products are constrained equal.
pub fn scalar_shuffle<CS: RandomizedConstraintSystem>(
    cs: &mut CS,
    x: &[Variable],
    y: &[Variable],
) -> Result<(), CloakError> {
    let k = check_lengths(x.len(), y.len())?;
    if k == 1 {
        cs.constrain(y[0] - x[0]);
        return Ok(());
    }
    let z = cs.challenge_scalar(SCALAR_SHUFFLE_LABEL);
    let mut product = |v: &[Variable]| {
        let (_, _, last) = cs.multiply(v[k - 1] - z, v[k - 2] - z);
        v[..k - 2].iter().rev().fold(last, |acc, vi| {
            let (_, _, o) = cs.multiply(acc.into(), *vi - z);
            o
        })
    };
    let px = product(x);
    let py = product(y);
    cs.constrain(px - py);
    Ok(())
}

/// Proves that the values `y` are a permutation of the values `x`.
///
/// For `k ≥ 2`, in the second phase, each value becomes the scalar
/// `q + w·f` for a challenge `w` (one multiplier per pair `x_i`, `y_i`, whose
/// left and right wires carry the two scalars) and the scalars are
/// shuffled: `3k - 2` multipliers. For `k = 1` the values are constrained
/// equal, quantity then flavor, with no multiplier.
pub fn value_shuffle<CS: RandomizableConstraintSystem>(
    cs: &mut CS,
    x: &[AllocatedValue],
    y: &[AllocatedValue],
) -> Result<(), CloakError> {
    let k = check_lengths(x.len(), y.len())?;
    if k == 1 {
        cs.constrain(y[0].q - x[0].q);
        cs.constrain(y[0].f - x[0].f);
        return Ok(());
    }
    // Only the variables go into the second phase: no witness is kept alive.
    let pairs: Vec<_> = x.iter().zip(y).map(|(a, b)| (a.q, a.f, b.q, b.f)).collect();
    cs.specify_randomized_constraints(move |cs| {
        let w = cs.challenge_scalar(VALUE_SHUFFLE_LABEL);
        let (xs, ys): (Vec<_>, Vec<_>) = pairs
            .iter()
            .map(|&(xq, xf, yq, yf)| {
                let (l, r, _) = cs.multiply(xq + xf * w, yq + yf * w);
                (l, r)
            })
            .unzip();
        scalar_shuffle(cs, &xs, &ys).map_err(|e| r1cs::R1CSError::Gadget(e.to_string()))
    })?;
    Ok(())
}

/// Proves that `y` is a permutation of `x` after the shorter side is padded
/// with `|m - n|` all-zero values (spacesuit spec "Pad"). Each pad is a
/// multiplier whose wires are constrained to zero, quantity then flavor.
pub fn padded_shuffle<CS: RandomizableConstraintSystem>(
    cs: &mut CS,
    mut x: Vec<AllocatedValue>,
    mut y: Vec<AllocatedValue>,
) -> Result<(), CloakError> {
    let pads = x.len().abs_diff(y.len());
    let short = if x.len() < y.len() { &mut x } else { &mut y };
    for _ in 0..pads {
        let pad = Value::zero().allocate(cs)?;
        cs.constrain(pad.q.into());
        cs.constrain(pad.f.into());
        short.push(pad);
    }
    value_shuffle(cs, &x, &y)
}

/// Both sides of a shuffle have the same, non-zero length.
fn check_lengths(x: usize, y: usize) -> Result<usize, CloakError> {
    if x != y || x == 0 {
        return Err(r1cs::R1CSError::Gadget(format!(
            "shuffle sides must have the same non-zero length, got {x} and {y}"
        ))
        .into());
    }
    Ok(x)
}
