//! Mix and k-mix gadgets (docs/spec/cloak.md §Mix; spacesuit spec "Mix",
//! "K-mix", "K-mix assignments").

use curve25519_dalek::scalar::Scalar;
use r1cs::{ConstraintSystem, RandomizableConstraintSystem, RandomizedConstraintSystem, Variable};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{AllocatedValue, CloakError, SignedInteger, Value};

/// Transcript label of the mix gadget's challenge `w`.
const MIX_LABEL: &[u8] = b"mix challenge";

/// Proves `Mix(A, B, C, D)`: either the values pass unchanged (`C = A`,
/// `D = B`) or they merge (`C.q = 0`, `A.f = B.f`, `D = (A.q + B.q, A.f)`).
///
/// In the second phase each branch's four equalities are folded with powers
/// of a challenge `w` into one linear combination, and the `OR` becomes one
/// multiplier whose output is constrained to zero.
fn mix<CS: RandomizableConstraintSystem>(
    cs: &mut CS,
    a: (Variable, Variable),
    b: (Variable, Variable),
    c: (Variable, Variable),
    d: (Variable, Variable),
) -> Result<(), CloakError> {
    cs.specify_randomized_constraints(move |cs| {
        let w = cs.challenge_scalar(MIX_LABEL);
        let w2 = w * w;
        let w3 = w2 * w;
        let unchanged = (a.0 - c.0) + (a.1 - c.1) * w + (b.0 - d.0) * w2 + (b.1 - d.1) * w3;
        let merged = c.0 + (a.1 - b.1) * w + (d.0 - a.0 - b.0) * w2 + (d.1 - a.1) * w3;
        let (_, _, o) = cs.multiply(unchanged, merged);
        cs.constrain(o.into());
        Ok(())
    })?;
    Ok(())
}

/// Proves that `k` values, grouped by flavor, reduce to `k` values holding
/// one total per flavor and zeroes elsewhere: a chain of `k - 1` mixes.
///
/// Returns `(mix_in, mix_out)`: `mix_in` is a reordering of `inputs` with
/// equal flavors adjacent (the caller proves it with a shuffle), `mix_out`
/// holds, for each group, zeroes then the group's total. For `k = 1` both are
/// `inputs` itself and no constraint is added; otherwise `3k - 2` first-phase
/// multipliers (inputs, `k - 2` intermediates, outputs, allocated in that
/// order) and `k - 1` second-phase ones.
///
/// On the prover, every input must carry its value; on the verifier, none.
/// For `k ≥ 2`, `mix_in` carries the prover's values but `mix_out` carries
/// none, on either side: a group's total is a sum of up to `k` quantities and
/// may lie outside the range of a [`Value`]'s quantity (docs/spec/cloak.md
/// §Signed integers, §The prover's witness). Its wires are assigned all the
/// same, modulo the group order, as the mix constraints read them.
pub fn k_mix<CS: RandomizableConstraintSystem>(
    cs: &mut CS,
    inputs: &[AllocatedValue],
) -> Result<(Vec<AllocatedValue>, Vec<AllocatedValue>), CloakError> {
    let witness = crate::cloak::witnesses(inputs)?;
    let plan = witness.map(|values| MixPlan::new(&values)).transpose()?;
    k_mix_with_plan(cs, inputs, plan.as_ref())
}

/// Allocates the k-mix's wires from a precomputed plan (prover) or without
/// witness (verifier), then adds its mixes.
pub(crate) fn k_mix_with_plan<CS: RandomizableConstraintSystem>(
    cs: &mut CS,
    inputs: &[AllocatedValue],
    plan: Option<&MixPlan>,
) -> Result<(Vec<AllocatedValue>, Vec<AllocatedValue>), CloakError> {
    let k = inputs.len();
    if k == 1 {
        return Ok((inputs.to_vec(), inputs.to_vec()));
    }
    if k == 0 {
        return Err(CloakError::EmptySide {
            inputs: 0,
            outputs: 0,
        });
    }
    let mix_in = match plan {
        Some(p) => p
            .grouped
            .iter()
            .map(|v| v.allocate(cs))
            .collect::<Result<Vec<_>, _>>()?,
        None => unassigned(cs, k)?,
    };
    let mut allocate_sums = |sums: Option<&[ScalarValue]>, count: usize| match sums {
        Some(sums) => sums.iter().map(|s| s.allocate(cs)).collect(),
        None => unassigned(cs, count),
    };
    let mid = allocate_sums(plan.map(|p| p.intermediate.as_slice()), k - 2)?;
    let mix_out = allocate_sums(plan.map(|p| p.merged.as_slice()), k)?;

    let wires = |v: &AllocatedValue| (v.q, v.f);
    for i in 0..k - 1 {
        let a = if i == 0 { &mix_in[0] } else { &mid[i - 1] };
        let d = if i + 2 < k { &mid[i] } else { &mix_out[k - 1] };
        mix(
            cs,
            wires(a),
            wires(&mix_in[i + 1]),
            wires(&mix_out[i]),
            wires(d),
        )?;
    }
    Ok((mix_in, mix_out))
}

/// `count` values allocated without witness (verifier side).
fn unassigned<CS: ConstraintSystem>(
    cs: &mut CS,
    count: usize,
) -> Result<Vec<AllocatedValue>, CloakError> {
    (0..count).map(|_| AllocatedValue::unassigned(cs)).collect()
}

/// A value as the two scalars its wires carry: quantity and flavor modulo
/// the group order `l`.
///
/// The k-mix's intermediate and merged values are partial sums of one
/// flavor's quantities. The mix constraint `D.q = A.q + B.q` holds modulo
/// `l` and nothing range-proves these sums, only the cloak's outputs
/// (docs/spec/cloak.md §Mix, §Cloak step 6): two inputs of `2^64 - 1` and
/// `1` merge into `2^64`, which a [`SignedInteger`] cannot hold. So the
/// prover computes them as scalars, as the circuit does. They cannot wrap
/// in a way that matters: each is a sum of at most `k` quantities below
/// `2^64` in magnitude, far below `l ≈ 2^252` (§Signed integers).
#[derive(Clone, PartialEq, Eq, Default, Zeroize, ZeroizeOnDrop)]
pub(crate) struct ScalarValue {
    pub(crate) q: Scalar,
    pub(crate) f: Scalar,
}

impl ScalarValue {
    /// Allocates one multiplier carrying `q` and `f`, like
    /// [`Value::allocate`], but with no [`Value`] attached: the quantity may
    /// be out of a `Value`'s range.
    fn allocate<CS: ConstraintSystem>(&self, cs: &mut CS) -> Result<AllocatedValue, CloakError> {
        let (q, f, _) = cs.allocate_multiplier(Some((self.q, self.f)))?;
        Ok(AllocatedValue {
            q,
            f,
            assignment: None,
        })
    }

    /// `b` if `choice` is set, else `a`, in constant time.
    fn select(a: &Self, b: &Self, choice: Choice) -> Self {
        ScalarValue {
            q: Scalar::conditional_select(&a.q, &b.q, choice),
            f: Scalar::conditional_select(&a.f, &b.f, choice),
        }
    }
}

impl From<&Value> for ScalarValue {
    fn from(v: &Value) -> Self {
        ScalarValue {
            q: v.q.to_scalar(),
            f: v.f,
        }
    }
}

/// Values are secret: `Debug` shows only that one is present.
impl core::fmt::Debug for ScalarValue {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ScalarValue(<secret>)")
    }
}

/// The prover's assignments of a k-mix: the inputs grouped by flavor, the
/// `k - 2` values passed between consecutive mixes, and the `k` outputs.
/// Computed in constant time in the flavors and quantities.
pub(crate) struct MixPlan {
    pub(crate) grouped: Vec<Value>,
    pub(crate) intermediate: Vec<ScalarValue>,
    pub(crate) merged: Vec<ScalarValue>,
}

impl MixPlan {
    /// The plan for `inputs`; fails only if there are none. Sums are taken
    /// modulo `l` (see [`ScalarValue`]), so no quantities overflow: every
    /// valid cloak has a witness (docs/spec/cloak.md §The prover's witness).
    pub(crate) fn new(inputs: &[Value]) -> Result<MixPlan, CloakError> {
        let mut grouped = inputs.to_vec();
        group_by_flavor(&mut grouped);
        let mut rest = grouped.iter().map(ScalarValue::from);
        let Some(mut a) = rest.next() else {
            return Err(CloakError::EmptySide {
                inputs: 0,
                outputs: 0,
            });
        };
        let mut intermediate = Vec::with_capacity(grouped.len());
        let mut merged = Vec::with_capacity(grouped.len());
        for b in rest {
            // Merge (C = 0, D = (A.q + B.q, A.f)) if the flavors match,
            // else pass unchanged (C = A, D = B).
            let same = a.f.ct_eq(&b.f);
            let sum = ScalarValue {
                q: a.q + b.q,
                f: a.f,
            };
            let c = ScalarValue::select(&a, &ScalarValue::default(), same);
            let d = ScalarValue::select(&b, &sum, same);
            merged.push(c);
            intermediate.push(d.clone());
            a = d;
        }
        // The last mix's D is the last output, not an intermediate; a
        // single value is its own output.
        merged.push(intermediate.pop().unwrap_or(a));
        Ok(MixPlan {
            grouped,
            intermediate,
            merged,
        })
    }
}

/// Reorders `values` so that equal flavors are adjacent, with a fixed
/// sequence of constant-time conditional swaps: position `i` takes the first
/// later value of the flavor at `i - 1` unless it already has that flavor.
fn group_by_flavor(values: &mut [Value]) {
    for i in 1..values.len() {
        let (done, rest) = values.split_at_mut(i);
        let prev = &done[i - 1];
        let (slot, later) = rest.split_at_mut(1);
        let slot = &mut slot[0];
        let mut need = !slot.f.ct_eq(&prev.f);
        for candidate in later.iter_mut() {
            let take = need & candidate.f.ct_eq(&prev.f);
            SignedInteger::conditional_swap(&mut slot.q, &mut candidate.q, take);
            Scalar::conditional_swap(&mut slot.f, &mut candidate.f, take);
            need &= !take;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(q: u64, f: u64) -> Value {
        Value::new(q, Scalar::from(f))
    }

    fn flavors(values: &[Value]) -> Vec<Scalar> {
        values.iter().map(|v| v.f).collect()
    }

    #[test]
    fn grouping_makes_flavors_contiguous_and_keeps_the_multiset() {
        let mut values = vec![v(1, 7), v(2, 8), v(3, 7), v(4, 9), v(5, 8), v(6, 7)];
        group_by_flavor(&mut values);
        let f = flavors(&values);
        for flavor in [7u64, 8, 9] {
            let positions: Vec<_> = (0..f.len())
                .filter(|&i| f[i] == Scalar::from(flavor))
                .collect();
            let span = positions[positions.len() - 1] - positions[0] + 1;
            assert_eq!(span, positions.len(), "flavor {flavor} not contiguous");
        }
        let mut quantities: Vec<_> = values.iter().map(|v| v.q.value()).collect();
        quantities.sort();
        assert_eq!(quantities, vec![1, 2, 3, 4, 5, 6]);
    }

    fn s(q: u64, f: u64) -> ScalarValue {
        ScalarValue::from(&v(q, f))
    }

    #[test]
    fn plan_merges_each_group_into_its_last_slot() {
        let plan = MixPlan::new(&[v(1, 7), v(2, 8), v(3, 7)]).unwrap();
        assert_eq!(plan.grouped, vec![v(1, 7), v(3, 7), v(2, 8)]);
        assert_eq!(plan.merged, vec![ScalarValue::default(), s(4, 7), s(2, 8)]);
        assert_eq!(plan.intermediate, vec![s(4, 7)]);
    }

    #[test]
    fn plan_sums_beyond_2_pow_64_as_scalars() {
        // docs/spec/cloak.md §The prover's witness: intermediate sums are
        // not range-proven, so a total of 2^64 or more is a valid witness.
        let max = u64::MAX;
        let two_64 = Scalar::from(max) + Scalar::ONE;
        let plan = MixPlan::new(&[v(max, 1), v(1, 1)]).unwrap();
        assert_eq!(
            plan.merged,
            vec![
                ScalarValue::default(),
                ScalarValue {
                    q: two_64,
                    f: Scalar::ONE
                }
            ]
        );
        let plan = MixPlan::new(&[v(max, 1), v(max, 2), v(max, 1), v(max, 1)]).unwrap();
        let three_max = Scalar::from(max) * Scalar::from(3u64);
        assert_eq!(
            plan.intermediate,
            vec![
                ScalarValue {
                    q: Scalar::from(max) + Scalar::from(max),
                    f: Scalar::ONE
                },
                ScalarValue {
                    q: three_max,
                    f: Scalar::ONE
                },
            ]
        );
        assert_eq!(
            plan.merged,
            vec![
                ScalarValue::default(),
                ScalarValue::default(),
                ScalarValue {
                    q: three_max,
                    f: Scalar::ONE
                },
                s(max, 2),
            ]
        );
        // Negative quantities (wide values) cancel modulo l as integers do.
        let minus = Value::new(-SignedInteger::from(max), Scalar::ONE);
        let plan = MixPlan::new(&[v(max, 1), v(max, 1), minus]).unwrap();
        assert_eq!(plan.merged[2], s(max, 1));
        assert!(MixPlan::new(&[]).is_err());
    }
}
