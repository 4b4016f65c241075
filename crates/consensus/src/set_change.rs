//! Validator-set changes (docs/spec/consensus.md §Validator-set changes):
//! a new set and the height it takes effect at, approved by validators
//! holding a quorum of the set in force where the change is included. The
//! document certifies itself: anyone holding the approving set checks it.
//! It travels as the data of a transaction's `log` entry, after
//! [`SET_CHANGE_PREFIX`], so no new transaction format exists.

use merlin::Transcript;
use musig::SecretKey;

use crate::context::ChainId;
use crate::encoding::{Reader, Writer};
use crate::signing::{sign_bytes, verify_many, ValidatorSignature, TAG_SET_CHANGE};
use crate::validators::{Address, ValidatorKey, ValidatorSet, MAX_VALIDATORS};
use crate::ConsensusError;

/// What a transaction log's data entry starts with when it carries a
/// validator-set change; the encoded [`ApprovedSetChange`] follows.
pub const SET_CHANGE_PREFIX: &[u8] = b"ZkVM.validators.change/1";

/// The longest encoding of an [`ApprovedSetChange`]: the effective height,
/// a largest set (count, then key and power per validator) and as many
/// approvals (count, then address and signature each).
pub const MAX_SET_CHANGE_BYTES: usize = 8 + 4 + MAX_VALIDATORS * (32 + 8) + 4 + MAX_VALIDATORS * 96;

/// The hash of a set's binary encoding (docs/spec/consensus.md §Validator
/// set): `Transcript("ZkVM.consensus.set")`, message `"set"` = the
/// encoding, challenge `"hash"` (32 bytes).
pub fn set_hash(set: &ValidatorSet) -> [u8; 32] {
    let mut t = Transcript::new(b"ZkVM.consensus.set");
    t.append_message(b"set", &set.to_bytes());
    let mut h = [0u8; 32];
    t.challenge_bytes(b"hash", &mut h);
    h
}

/// The bytes an approval signs:
/// ```text
/// tag        1   0x07
/// chain     32   chain ID
/// effective  8   LE64 effective height
/// new       32   set_hash(new set)
/// current   32   set_hash(approving set)
/// ```
/// Binding the approving set's hash makes an approval worthless once that
/// set is no longer in force.
pub fn set_change_sign_bytes(
    chain: &ChainId,
    effective_height: u64,
    new_set: &[u8; 32],
    current_set: &[u8; 32],
) -> Vec<u8> {
    let mut w = Writer::new();
    w.u8(TAG_SET_CHANGE);
    w.bytes(&chain.0);
    w.u64(effective_height);
    w.bytes(new_set);
    w.bytes(current_set);
    w.into_bytes()
}

/// A validator-set change: from `effective_height` on, `validators` decide
/// the blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetChange {
    effective_height: u64,
    validators: ValidatorSet,
}

impl SetChange {
    /// The change to `validators` at `effective_height` (a
    /// [`ValidatorSet`] is never empty and within its bounds by type).
    pub fn new(effective_height: u64, validators: ValidatorSet) -> SetChange {
        SetChange {
            effective_height,
            validators,
        }
    }

    /// The first height the new set decides.
    pub fn effective_height(&self) -> u64 {
        self.effective_height
    }

    /// The new set.
    pub fn validators(&self) -> &ValidatorSet {
        &self.validators
    }

    /// What a validator of `current` signs to approve this change on
    /// `chain` ([`set_change_sign_bytes`]).
    pub fn sign_bytes(&self, chain: &ChainId, current: &ValidatorSet) -> Vec<u8> {
        set_change_sign_bytes(
            chain,
            self.effective_height,
            &set_hash(&self.validators),
            &set_hash(current),
        )
    }

    /// An approval of this change by `key`, a validator of `current`.
    /// The key's membership is not checked here: an approval by an
    /// outsider is refused by [`ApprovedSetChange::verify`].
    pub fn approve(&self, chain: &ChainId, current: &ValidatorSet, key: &SecretKey) -> Approval {
        let address = ValidatorKey::new(key.verification_key())
            .map(|k| k.address())
            // A secret key of zero has the identity as its key, which no
            // set holds: any address refuses it later.
            .unwrap_or(Address::from_bytes([0; 32]));
        Approval {
            address,
            signature: sign_bytes(key, &self.sign_bytes(chain, current)),
        }
    }
}

/// One validator's approval of a change: its address and its signature
/// over [`SetChange::sign_bytes`].
///
/// # Layout
/// ```text
/// address  32 bytes
/// sig      64 bytes   Schnorr R || s (s canonical)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Approval {
    /// The approving validator's address.
    pub address: Address,
    /// Its signature.
    pub signature: ValidatorSignature,
}

impl Approval {
    /// The 96-byte encoding of the type's `# Layout`.
    pub fn to_bytes(&self) -> [u8; 96] {
        let mut out = [0u8; 96];
        out[..32].copy_from_slice(&self.address.to_bytes());
        out[32..].copy_from_slice(&self.signature.to_bytes());
        out
    }

    /// Strict decoding of exactly 96 bytes (canonical signature scalar).
    pub fn from_bytes(bytes: &[u8]) -> Result<Approval, ConsensusError> {
        let mut r = Reader::new(bytes, "set change approval");
        let address = Address::from_bytes(r.array::<32>()?);
        let signature = ValidatorSignature::from_bytes(r.take(64)?)?;
        r.finish()?;
        Ok(Approval { address, signature })
    }
}

/// A change with its approvals: what a transaction's log carries.
///
/// # Layout
/// ```text
/// effective    LE64
/// new set      ValidatorSet encoding (LE32 n · n × (key 32 · LE64 power))
/// m            LE32          1 ..= 256
/// m × address  32 bytes      strictly increasing
///     sig      64 bytes      Schnorr R || s (s canonical)
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovedSetChange {
    change: SetChange,
    approvals: Vec<Approval>,
}

impl ApprovedSetChange {
    /// The change with `approvals`, sorted by address. Nothing is checked
    /// here: see [`ApprovedSetChange::verify`].
    pub fn new(change: SetChange, mut approvals: Vec<Approval>) -> ApprovedSetChange {
        approvals.sort_by_key(|a| a.address);
        ApprovedSetChange { change, approvals }
    }

    /// The change.
    pub fn change(&self) -> &SetChange {
        &self.change
    }

    /// The approvals, in address order.
    pub fn approvals(&self) -> &[Approval] {
        &self.approvals
    }

    /// Checks the approvals against `current`, the set in force where the
    /// change is included, on `chain`, cheapest first: approvers in
    /// strictly increasing address order, each one in `current`, their
    /// power a quorum, then every signature over [`SetChange::sign_bytes`],
    /// batched ([`verify_many`]); one bad signature refuses the change.
    /// An approval made for another set (or chain) fails as a bad
    /// signature, since the approving set's hash is in the signed bytes.
    pub fn verify(&self, chain: &ChainId, current: &ValidatorSet) -> Result<(), ConsensusError> {
        let mut power: u64 = 0;
        let mut keys = Vec::with_capacity(self.approvals.len());
        for (i, a) in self.approvals.iter().enumerate() {
            if i > 0 {
                check_order(&self.approvals[i - 1].address, &a.address)?;
            }
            let v = current
                .get(&a.address)
                .ok_or_else(|| ConsensusError::UnknownSigner {
                    address: a.address.to_string(),
                })?;
            // Cannot overflow: the set's total is at most 2^60.
            power += v.power();
            keys.push(*v.key());
        }
        if !current.is_quorum(power) {
            return Err(ConsensusError::InsufficientPower {
                signed: power,
                total: current.total_power(),
            });
        }
        let msg = self.change.sign_bytes(chain, current);
        let signed: Vec<_> = keys
            .iter()
            .zip(&self.approvals)
            .map(|(key, a)| (key, &a.signature))
            .collect();
        verify_many(&msg, &signed).map_err(|(i, source)| ConsensusError::BadSignature {
            address: self.approvals[i].address.to_string(),
            source,
        })
    }

    /// The encoding described in the type's `# Layout`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u64(self.change.effective_height);
        w.bytes(&self.change.validators.to_bytes());
        w.u32(self.approvals.len() as u32);
        for a in &self.approvals {
            w.bytes(&a.to_bytes());
        }
        w.into_bytes()
    }

    /// Strict decoding: a valid set, a bounded non-zero approval count
    /// checked against the remaining bytes before allocating, canonical
    /// signatures, strictly increasing addresses, no trailing bytes.
    /// Signatures are not verified here.
    pub fn from_bytes(bytes: &[u8]) -> Result<ApprovedSetChange, ConsensusError> {
        let mut r = Reader::new(bytes, "validator set change");
        let effective_height = r.u64()?;
        let validators = ValidatorSet::read(&mut r)?;
        let m = r.count(MAX_VALIDATORS, 96)?;
        if m == 0 {
            return Err(ConsensusError::InsufficientPower {
                signed: 0,
                total: 0,
            });
        }
        let mut approvals: Vec<Approval> = Vec::with_capacity(m);
        for _ in 0..m {
            let address = Address::from_bytes(r.array::<32>()?);
            let signature = ValidatorSignature::from_bytes(r.take(64)?)?;
            if let Some(prev) = approvals.last() {
                check_order(&prev.address, &address)?;
            }
            approvals.push(Approval { address, signature });
        }
        r.finish()?;
        Ok(ApprovedSetChange {
            change: SetChange::new(effective_height, validators),
            approvals,
        })
    }

    /// The data of the transaction log entry that carries this change:
    /// [`SET_CHANGE_PREFIX`] followed by its encoding.
    pub fn to_log_data(&self) -> Vec<u8> {
        let mut out = SET_CHANGE_PREFIX.to_vec();
        out.extend_from_slice(&self.to_bytes());
        out
    }

    /// The change a log entry's data carries: `None` if the data does not
    /// start with [`SET_CHANGE_PREFIX`] (an ordinary log entry), an error
    /// if it does but the rest does not decode strictly.
    pub fn from_log_data(data: &[u8]) -> Option<Result<ApprovedSetChange, ConsensusError>> {
        data.strip_prefix(SET_CHANGE_PREFIX)
            .map(ApprovedSetChange::from_bytes)
    }
}

fn check_order(prev: &Address, next: &Address) -> Result<(), ConsensusError> {
    if prev == next {
        return Err(ConsensusError::DuplicateSigner {
            address: next.to_string(),
        });
    }
    if prev > next {
        return Err(ConsensusError::UnorderedSignatures);
    }
    Ok(())
}

/// The sets of a chain's life: the genesis's from height 1 and each
/// applied change from its effective height, with the height of the block
/// that included it. Answers which set is in force at any height it
/// knows, and judges a new change (docs/spec/consensus.md §Validator-set
/// changes, Validity).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorSchedule {
    genesis: ValidatorSet,
    /// Applied changes in inclusion order (so also by effective height:
    /// a change is included only once the previous one is in force).
    changes: Vec<(u64, ApprovedSetChange)>,
}

impl ValidatorSchedule {
    /// The schedule of a chain whose genesis names `genesis` and that has
    /// no change yet.
    pub fn new(genesis: ValidatorSet) -> ValidatorSchedule {
        ValidatorSchedule {
            genesis,
            changes: Vec::new(),
        }
    }

    /// The genesis's set.
    pub fn genesis(&self) -> &ValidatorSet {
        &self.genesis
    }

    /// The applied changes, each with the height of the block that
    /// included it, in order.
    pub fn changes(&self) -> &[(u64, ApprovedSetChange)] {
        &self.changes
    }

    /// The set deciding the block at `height`: the last change whose
    /// effective height is at most `height`, else the genesis's.
    pub fn set_at(&self, height: u64) -> &ValidatorSet {
        self.changes
            .iter()
            .rev()
            .find(|(_, c)| c.change.effective_height <= height)
            .map(|(_, c)| &c.change.validators)
            .unwrap_or(&self.genesis)
    }

    /// The change not yet in force at `height` (its effective height is
    /// above it), if any.
    pub fn pending_at(&self, height: u64) -> Option<&SetChange> {
        self.changes
            .last()
            .map(|(_, c)| &c.change)
            .filter(|c| c.effective_height > height)
    }

    /// Judges `change` for inclusion in the block at `height` on `chain`,
    /// cheapest first: its effective height at least `height + 2` (the
    /// engine starts `height + 1` as soon as `height` commits, with the
    /// set it knows then); no change pending at `height`; then its
    /// approvals against the set in force at `height`.
    pub fn check(
        &self,
        chain: &ChainId,
        height: u64,
        change: &ApprovedSetChange,
    ) -> Result<(), ConsensusError> {
        let effective = change.change.effective_height;
        let earliest = height.saturating_add(2);
        if effective < earliest {
            return Err(ConsensusError::SetChangeTooEarly {
                effective,
                height,
                earliest,
            });
        }
        if let Some(pending) = self.pending_at(height) {
            return Err(ConsensusError::SetChangePending {
                effective: pending.effective_height,
            });
        }
        change.verify(chain, self.set_at(height))
    }

    /// Records `change`, included at `height` and judged by
    /// [`ValidatorSchedule::check`]; the heights must grow.
    pub fn apply(&mut self, height: u64, change: ApprovedSetChange) {
        self.changes.push((height, change));
    }

    /// Judges and records `change`, said by someone else (a peer serving a
    /// snapshot, a node answering a wallet) to be included at `height`
    /// after the changes this schedule holds (docs/spec/consensus.md
    /// §Validator-set changes, Snapshots): [`ValidatorSchedule::check`],
    /// then [`ValidatorSchedule::apply`]. A list adopted one by one from
    /// the genesis's schedule verifies as a chain of approvals from the
    /// genesis's set: nothing else needs trusting, since every change is
    /// signed by a quorum of the set before it. The rules also force the
    /// inclusion heights to grow (a change is included only once the
    /// previous one is in force). A change said to be included at height 1,
    /// the genesis's, is refused.
    pub fn adopt(
        &mut self,
        chain: &ChainId,
        height: u64,
        change: ApprovedSetChange,
    ) -> Result<(), ConsensusError> {
        if height < crate::FIRST_HEIGHT {
            return Err(ConsensusError::SetChangeAtGenesis);
        }
        self.check(chain, height, &change)?;
        self.apply(height, change);
        Ok(())
    }

    /// The schedule of a chain whose genesis names `genesis`, rebuilt from
    /// the changes it applied, in order, each [adopted](Self::adopt).
    pub fn replay(
        genesis: ValidatorSet,
        chain: &ChainId,
        changes: impl IntoIterator<Item = (u64, ApprovedSetChange)>,
    ) -> Result<ValidatorSchedule, ConsensusError> {
        let mut schedule = ValidatorSchedule::new(genesis);
        for (height, change) in changes {
            schedule.adopt(chain, height, change)?;
        }
        Ok(schedule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validators::Validator;
    use rand::{Rng, SeedableRng};

    fn keys(n: usize, from: u64) -> Vec<SecretKey> {
        (0..n)
            .map(|i| SecretKey::from_scalar(curve25519_dalek::Scalar::from(from + i as u64)))
            .collect()
    }

    fn set_of(keys: &[SecretKey], power: u64) -> ValidatorSet {
        ValidatorSet::new(
            keys.iter()
                .map(|k| {
                    Validator::new(ValidatorKey::new(k.verification_key()).unwrap(), power).unwrap()
                })
                .collect(),
        )
        .unwrap()
    }

    const CHAIN: ChainId = ChainId([3; 32]);

    struct Fixture {
        keys: Vec<SecretKey>,
        current: ValidatorSet,
        change: SetChange,
    }

    fn fixture() -> Fixture {
        let keys = keys(4, 11);
        let current = set_of(&keys, 1);
        let mut next = keys.clone();
        next.extend(self::keys(1, 99));
        let change = SetChange::new(10, set_of(&next, 1));
        Fixture {
            keys,
            current,
            change,
        }
    }

    impl Fixture {
        fn approved(&self, signers: &[usize]) -> ApprovedSetChange {
            let approvals = signers
                .iter()
                .map(|i| self.change.approve(&CHAIN, &self.current, &self.keys[*i]))
                .collect();
            ApprovedSetChange::new(self.change.clone(), approvals)
        }
    }

    #[test]
    fn a_quorum_of_approvals_verifies_and_round_trips_through_a_log_entry() {
        let f = fixture();
        let approved = f.approved(&[0, 1, 2]);
        approved.verify(&CHAIN, &f.current).unwrap();
        let data = approved.to_log_data();
        let back = ApprovedSetChange::from_log_data(&data).unwrap().unwrap();
        assert_eq!(back, approved);
        assert_eq!(back.to_log_data(), data);
        assert!(ApprovedSetChange::from_log_data(b"an ordinary log entry").is_none());
    }

    #[test]
    fn approvals_below_a_quorum_are_refused() {
        let f = fixture();
        let err = f.approved(&[0, 1]).verify(&CHAIN, &f.current).unwrap_err();
        assert!(matches!(
            err,
            ConsensusError::InsufficientPower {
                signed: 2,
                total: 4
            }
        ));
    }

    #[test]
    fn an_approval_by_an_outsider_is_refused() {
        let f = fixture();
        let outsider = keys(1, 500);
        let mut approvals: Vec<Approval> = [0, 1, 2]
            .iter()
            .map(|i| f.change.approve(&CHAIN, &f.current, &f.keys[*i]))
            .collect();
        approvals.push(f.change.approve(&CHAIN, &f.current, &outsider[0]));
        let err = ApprovedSetChange::new(f.change.clone(), approvals)
            .verify(&CHAIN, &f.current)
            .unwrap_err();
        assert!(matches!(err, ConsensusError::UnknownSigner { .. }));
    }

    #[test]
    fn a_bad_signature_refuses_the_change_even_with_a_quorum_besides() {
        let f = fixture();
        let mut approvals: Vec<Approval> = [0, 1, 2, 3]
            .iter()
            .map(|i| f.change.approve(&CHAIN, &f.current, &f.keys[*i]))
            .collect();
        // Validator 3 signs another effective height.
        let other = SetChange::new(11, f.change.validators().clone());
        let forged = other.approve(&CHAIN, &f.current, &f.keys[3]);
        let bad = approvals
            .iter_mut()
            .find(|a| a.address == forged.address)
            .unwrap();
        *bad = forged;
        let err = ApprovedSetChange::new(f.change.clone(), approvals)
            .verify(&CHAIN, &f.current)
            .unwrap_err();
        match err {
            ConsensusError::BadSignature { address, .. } => {
                assert_eq!(address, forged.address.to_string())
            }
            e => panic!("unexpected {e:?}"),
        }
    }

    #[test]
    fn approvals_for_another_set_or_chain_are_worthless() {
        let f = fixture();
        // Signed while another set (the same keys, other powers) was in
        // force: a replayed approval.
        let older = set_of(&f.keys, 2);
        let approvals = (0..4)
            .map(|i| f.change.approve(&CHAIN, &older, &f.keys[i]))
            .collect();
        let replayed = ApprovedSetChange::new(f.change.clone(), approvals);
        assert!(matches!(
            replayed.verify(&CHAIN, &f.current),
            Err(ConsensusError::BadSignature { .. })
        ));
        let approved = f.approved(&[0, 1, 2]);
        assert!(matches!(
            approved.verify(&ChainId([4; 32]), &f.current),
            Err(ConsensusError::BadSignature { .. })
        ));
    }

    #[test]
    fn hostile_encodings_are_refused_without_panic() {
        let f = fixture();
        let good = f.approved(&[0, 1, 2]).to_bytes();
        // Every truncation fails cleanly.
        for len in 0..good.len() {
            assert!(
                ApprovedSetChange::from_bytes(&good[..len]).is_err(),
                "{len}"
            );
        }
        // Trailing bytes.
        let mut long = good.clone();
        long.push(0);
        assert!(matches!(
            ApprovedSetChange::from_bytes(&long),
            Err(ConsensusError::TrailingBytes { .. })
        ));
        // A huge approval count is refused before allocating.
        let set_len = f.change.validators().to_bytes().len();
        let mut huge = good.clone();
        huge[8 + set_len..8 + set_len + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            ApprovedSetChange::from_bytes(&huge),
            Err(ConsensusError::TooLong { .. })
        ));
        // No approvals.
        let mut none = good[..8 + set_len].to_vec();
        none.extend_from_slice(&0u32.to_le_bytes());
        assert!(ApprovedSetChange::from_bytes(&none).is_err());
        // An empty new set.
        let mut empty = 10u64.to_le_bytes().to_vec();
        empty.extend_from_slice(&0u32.to_le_bytes());
        empty.extend_from_slice(&good[8 + set_len..]);
        assert!(matches!(
            ApprovedSetChange::from_bytes(&empty),
            Err(ConsensusError::EmptyValidatorSet)
        ));
        // Approvals out of order (swap the first two).
        let mut swapped = good.clone();
        let at = 8 + set_len + 4;
        let (a, b) = (good[at..at + 96].to_vec(), good[at + 96..at + 192].to_vec());
        swapped[at..at + 96].copy_from_slice(&b);
        swapped[at + 96..at + 192].copy_from_slice(&a);
        assert!(matches!(
            ApprovedSetChange::from_bytes(&swapped),
            Err(ConsensusError::UnorderedSignatures)
        ));
        // A repeated approval.
        let mut twice = good.clone();
        twice[at + 96..at + 192].copy_from_slice(&a);
        assert!(matches!(
            ApprovedSetChange::from_bytes(&twice),
            Err(ConsensusError::DuplicateSigner { .. })
        ));
        // A prefixed entry that does not decode is an error, not `None`.
        let mut data = SET_CHANGE_PREFIX.to_vec();
        data.push(1);
        assert!(matches!(
            ApprovedSetChange::from_log_data(&data),
            Some(Err(_))
        ));
    }

    #[test]
    fn random_changes_round_trip_and_random_bytes_never_panic() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for round in 0..64 {
            let n = rng.gen_range(1..=6);
            let keys = keys(n, 1 + round * 10);
            let powers: Vec<u64> = (0..n).map(|_| rng.gen_range(1..=1000)).collect();
            let current = ValidatorSet::new(
                keys.iter()
                    .zip(&powers)
                    .map(|(k, p)| {
                        Validator::new(ValidatorKey::new(k.verification_key()).unwrap(), *p)
                            .unwrap()
                    })
                    .collect(),
            )
            .unwrap();
            let change = SetChange::new(rng.gen(), current.clone());
            let m = rng.gen_range(1..=n);
            let approvals = keys[..m]
                .iter()
                .map(|k| change.approve(&CHAIN, &current, k))
                .collect();
            let approved = ApprovedSetChange::new(change, approvals);
            let bytes = approved.to_bytes();
            assert_eq!(ApprovedSetChange::from_bytes(&bytes).unwrap(), approved);
            // Flipping a byte never panics, and what still decodes
            // re-encodes to itself (one encoding per value).
            let mut mutated = bytes.clone();
            let at = rng.gen_range(0..mutated.len());
            mutated[at] ^= 1 << rng.gen_range(0..8);
            if let Ok(back) = ApprovedSetChange::from_bytes(&mutated) {
                assert_eq!(back.to_bytes(), mutated);
            }
            let noise: Vec<u8> = (0..rng.gen_range(0..300)).map(|_| rng.gen()).collect();
            let _ = ApprovedSetChange::from_bytes(&noise);
        }
    }

    #[test]
    fn the_schedule_knows_each_heights_set_and_refuses_early_or_overlapping_changes() {
        let f = fixture();
        let mut schedule = ValidatorSchedule::new(f.current.clone());
        let approved = f.approved(&[0, 1, 2]);
        // Effective 10 cannot be included at 9 (10 < 9 + 2).
        assert!(matches!(
            schedule.check(&CHAIN, 9, &approved),
            Err(ConsensusError::SetChangeTooEarly {
                effective: 10,
                height: 9,
                earliest: 11
            })
        ));
        schedule.check(&CHAIN, 8, &approved).unwrap();
        schedule.apply(8, approved.clone());
        assert_eq!(schedule.set_at(9), &f.current);
        assert_eq!(schedule.set_at(10), f.change.validators());
        assert_eq!(schedule.set_at(1000), f.change.validators());
        assert_eq!(schedule.pending_at(9), Some(f.change()));
        assert_eq!(schedule.pending_at(10), None);
        // While it is pending, no other change gets in.
        let next = SetChange::new(20, f.current.clone());
        let second = ApprovedSetChange::new(
            next.clone(),
            (0..4)
                .map(|i| next.approve(&CHAIN, &f.current, &f.keys[i]))
                .collect(),
        );
        assert!(matches!(
            schedule.check(&CHAIN, 9, &second),
            Err(ConsensusError::SetChangePending { effective: 10 })
        ));
        // Once in force, the old set's approvals are worthless: the new
        // set (five validators) must approve.
        assert!(matches!(
            schedule.check(&CHAIN, 10, &second),
            Err(ConsensusError::BadSignature { .. })
        ));
    }

    #[test]
    fn a_reported_list_of_changes_replays_only_as_a_chain_of_approvals_from_the_genesis_set() {
        let f = fixture();
        let first = f.approved(&[0, 1, 2]);
        // The second change is approved by the set the first put in force
        // (the genesis's four and key 99), back to the genesis's four.
        let mut five = f.keys.clone();
        five.extend(keys(1, 99));
        let in_force = f.change.validators().clone();
        let back = SetChange::new(20, f.current.clone());
        let second = ApprovedSetChange::new(
            back.clone(),
            [0, 1, 2, 4]
                .iter()
                .map(|i| back.approve(&CHAIN, &in_force, &five[*i]))
                .collect(),
        );
        let list = vec![(8, first.clone()), (12, second.clone())];
        let schedule = ValidatorSchedule::replay(f.current.clone(), &CHAIN, list.clone()).unwrap();
        assert_eq!(schedule.changes(), list.as_slice());
        assert_eq!(schedule.set_at(9), &f.current);
        assert_eq!(schedule.set_at(15), &in_force);
        assert_eq!(schedule.set_at(20), &f.current);
        // Left out, reordered, moved or on another chain, it fails.
        let cases: Vec<(Vec<(u64, ApprovedSetChange)>, ChainId)> = vec![
            (vec![(12, second.clone())], CHAIN),
            (vec![(12, second.clone()), (8, first.clone())], CHAIN),
            (vec![(9, first.clone()), (12, second.clone())], CHAIN),
            (vec![(8, first.clone()), (9, second.clone())], CHAIN),
            (list.clone(), ChainId([4; 32])),
        ];
        for (i, (list, chain)) in cases.into_iter().enumerate() {
            assert!(
                ValidatorSchedule::replay(f.current.clone(), &chain, list).is_err(),
                "case {i} replayed"
            );
        }
        assert!(matches!(
            ValidatorSchedule::replay(f.current.clone(), &CHAIN, vec![(1, first)]),
            Err(ConsensusError::SetChangeAtGenesis)
        ));
    }

    #[test]
    fn a_largest_change_encodes_in_exactly_the_bound() {
        let keys = keys(MAX_VALIDATORS, 1_000);
        let set = set_of(&keys, 1);
        let change = SetChange::new(u64::MAX, set.clone());
        let approvals = keys
            .iter()
            .map(|k| change.approve(&CHAIN, &set, k))
            .collect();
        let bytes = ApprovedSetChange::new(change, approvals).to_bytes();
        assert_eq!(bytes.len(), MAX_SET_CHANGE_BYTES);
        assert!(ApprovedSetChange::from_bytes(&bytes).is_ok());
    }

    impl Fixture {
        fn change(&self) -> &SetChange {
            &self.change
        }
    }
}
