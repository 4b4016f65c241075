//! Validators and validator sets (docs/spec/consensus.md §Validator set).

use blockchain::{Genesis, ValidatorEntry};
use merlin::Transcript;
use musig::VerificationKey;
use serde::{Deserialize, Serialize};

use crate::encoding::{Reader, Writer};
use crate::ConsensusError;

/// Most validators a set may hold.
pub const MAX_VALIDATORS: usize = 256;

/// Largest total voting power of a set: 2^60, so that Malachite's
/// threshold arithmetic (power × 3) cannot overflow a `u64`.
pub const MAX_TOTAL_VOTING_POWER: u64 = 1 << 60;

/// A validator's public key: a Schnorr verification key on Ristretto
/// (crates/musig), never the identity point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidatorKey(VerificationKey);

impl ValidatorKey {
    /// Wraps a verification key; refuses the identity point, under which
    /// anyone could sign.
    pub fn new(key: VerificationKey) -> Result<ValidatorKey, ConsensusError> {
        if key.to_bytes() == [0u8; 32] {
            return Err(ConsensusError::InvalidKey(None));
        }
        Ok(ValidatorKey(key))
    }

    /// Decodes a compressed Ristretto point (32 bytes), refusing a
    /// non-canonical encoding and the identity.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<ValidatorKey, ConsensusError> {
        let key =
            VerificationKey::from_bytes(bytes).map_err(|e| ConsensusError::InvalidKey(Some(e)))?;
        ValidatorKey::new(key)
    }

    /// The 32-byte compressed point.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The musig verification key.
    pub fn verification_key(&self) -> &VerificationKey {
        &self.0
    }

    /// The validator's address: `Transcript("ZkVM.consensus.address")`,
    /// message `"key"` = the 32-byte key, challenge `"address"` (32 bytes).
    pub fn address(&self) -> Address {
        let mut t = Transcript::new(b"ZkVM.consensus.address");
        t.append_message(b"key", &self.to_bytes());
        let mut a = [0u8; 32];
        t.challenge_bytes(b"address", &mut a);
        Address(a)
    }
}

/// A validator's address: a hash of its key (see [`ValidatorKey::address`]).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address([u8; 32]);

impl Address {
    /// The address from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Address {
        Address(bytes)
    }

    /// The 32 bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }
}

impl core::fmt::Display for Address {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl core::fmt::Debug for Address {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Address({})", hex::encode(&self.0[..8]))
    }
}

/// A validator: key, address (derived) and voting power (at least 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validator {
    key: ValidatorKey,
    address: Address,
    power: u64,
}

impl Validator {
    /// A validator with `power` > 0.
    pub fn new(key: ValidatorKey, power: u64) -> Result<Validator, ConsensusError> {
        let address = key.address();
        if power == 0 {
            return Err(ConsensusError::ZeroVotingPower {
                address: address.to_string(),
            });
        }
        Ok(Validator {
            key,
            address,
            power,
        })
    }

    /// The validator's key.
    pub fn key(&self) -> &ValidatorKey {
        &self.key
    }

    /// The validator's address.
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// The validator's voting power.
    pub fn power(&self) -> u64 {
        self.power
    }
}

/// A validator set: at least one and at most [`MAX_VALIDATORS`]
/// validators with distinct keys, in increasing address order, of total
/// power at most [`MAX_TOTAL_VOTING_POWER`].
///
/// # Layout
/// ```text
/// n          LE32          1 ..= 256
/// n × key    32 bytes      compressed Ristretto, not the identity
///     power  LE64          >= 1
/// ```
/// Entries must be in strictly increasing address order, so a set has
/// exactly one encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorSet {
    validators: Vec<Validator>,
    total: u64,
}

impl ValidatorSet {
    /// A set from validators in any order: sorts them by address and
    /// refuses an empty set, duplicate keys and too much power.
    pub fn new(mut validators: Vec<Validator>) -> Result<ValidatorSet, ConsensusError> {
        validators.sort_by_key(|a| a.address);
        ValidatorSet::from_sorted(validators)
    }

    fn from_sorted(validators: Vec<Validator>) -> Result<ValidatorSet, ConsensusError> {
        if validators.is_empty() {
            return Err(ConsensusError::EmptyValidatorSet);
        }
        if validators.len() > MAX_VALIDATORS {
            return Err(ConsensusError::TooLong {
                what: "validator set",
                len: validators.len() as u64,
                limit: MAX_VALIDATORS as u64,
            });
        }
        let mut total: u64 = 0;
        for (i, v) in validators.iter().enumerate() {
            if i > 0 {
                let prev = &validators[i - 1].address;
                if *prev == v.address {
                    return Err(ConsensusError::DuplicateValidator {
                        address: v.address.to_string(),
                    });
                }
                if *prev > v.address {
                    return Err(ConsensusError::UnorderedValidators);
                }
            }
            total = total
                .checked_add(v.power)
                .filter(|t| *t <= MAX_TOTAL_VOTING_POWER)
                .ok_or(ConsensusError::VotingPowerOverflow {
                    limit: MAX_TOTAL_VOTING_POWER,
                })?;
        }
        Ok(ValidatorSet { validators, total })
    }

    /// The validators, in increasing address order.
    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }

    /// The sum of the voting powers.
    pub fn total_power(&self) -> u64 {
        self.total
    }

    /// Whether `power` is a quorum: strictly more than two thirds of the
    /// total (`3 × power > 2 × total`).
    pub fn is_quorum(&self, power: u64) -> bool {
        // Both sides fit: power, total <= 2^60.
        3 * u128::from(power) > 2 * u128::from(self.total)
    }

    /// The validator with `address`, if any.
    pub fn get(&self, address: &Address) -> Option<&Validator> {
        self.validators
            .binary_search_by(|v| v.address.cmp(address))
            .ok()
            .map(|i| &self.validators[i])
    }

    /// The proposer of `round` at `height` (docs/spec/consensus.md
    /// §Proposer selection): slot `(height + round) mod total` on the line
    /// where each validator, in address order, owns as many consecutive
    /// slots as its power.
    pub fn proposer(&self, height: u64, round: u32) -> &Validator {
        let slot = (u128::from(height) + u128::from(round)) % u128::from(self.total);
        let mut start: u128 = 0;
        for v in &self.validators {
            start += u128::from(v.power);
            if slot < start {
                return v;
            }
        }
        // Unreachable: the slots sum to `total` > slot. The last
        // validator keeps this total without a panic.
        &self.validators[self.validators.len() - 1]
    }

    /// The set a genesis names (docs/spec/consensus.md §Validator set):
    /// its validator section is the set's encoding, so the entries must
    /// be in address order; `None` for a genesis without validators.
    pub fn from_genesis(genesis: &Genesis) -> Result<Option<ValidatorSet>, ConsensusError> {
        if !genesis.has_validators() {
            return Ok(None);
        }
        ValidatorSet::from_bytes(&genesis.validators_bytes()).map(Some)
    }

    /// The genesis entries of this set, in address order (what
    /// [`ValidatorSet::from_genesis`] reads back).
    pub fn genesis_entries(&self) -> Vec<ValidatorEntry> {
        self.validators
            .iter()
            .map(|v| ValidatorEntry {
                key: *v.key.verification_key(),
                power: v.power,
            })
            .collect()
    }

    /// The encoding described in the type's `# Layout`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u32(self.validators.len() as u32);
        for v in &self.validators {
            w.bytes(&v.key.to_bytes());
            w.u64(v.power);
        }
        w.into_bytes()
    }

    /// Strict decoding: no trailing bytes, a bounded count, valid keys,
    /// powers >= 1, increasing addresses, bounded total.
    pub fn from_bytes(bytes: &[u8]) -> Result<ValidatorSet, ConsensusError> {
        let mut r = Reader::new(bytes, "validator set");
        let set = ValidatorSet::read(&mut r)?;
        r.finish()?;
        Ok(set)
    }

    /// Reads a set's encoding from `r` (inside a larger encoding, such as
    /// a set change's), with the checks of [`ValidatorSet::from_bytes`]
    /// but leaving what follows.
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<ValidatorSet, ConsensusError> {
        let n = r.count(MAX_VALIDATORS, 40)?;
        let mut validators = Vec::with_capacity(n);
        for _ in 0..n {
            let key = ValidatorKey::from_bytes(&r.array::<32>()?)?;
            let power = r.u64()?;
            validators.push(Validator::new(key, power)?);
        }
        ValidatorSet::from_sorted(validators)
    }
}

/// One validator in the genesis JSON: `{"public_key": "<64 hex>", "power": n}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisValidator {
    /// The 32-byte key in lowercase hex.
    pub public_key: String,
    /// The voting power.
    pub power: u64,
}

/// The genesis's `validators` section: the initial validator set as JSON,
/// `{"validators": [{"public_key": ..., "power": ...}, ...]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisValidators {
    /// The validators, in any order.
    pub validators: Vec<GenesisValidator>,
}

impl GenesisValidators {
    /// The section for `set` (validators in address order).
    pub fn from_set(set: &ValidatorSet) -> GenesisValidators {
        GenesisValidators {
            validators: set
                .validators
                .iter()
                .map(|v| GenesisValidator {
                    public_key: hex::encode(v.key.to_bytes()),
                    power: v.power,
                })
                .collect(),
        }
    }

    /// The validator set, checked as [`ValidatorSet::new`] checks it.
    pub fn to_set(&self) -> Result<ValidatorSet, ConsensusError> {
        if self.validators.len() > MAX_VALIDATORS {
            return Err(ConsensusError::TooLong {
                what: "validator set",
                len: self.validators.len() as u64,
                limit: MAX_VALIDATORS as u64,
            });
        }
        let mut out = Vec::with_capacity(self.validators.len());
        for v in &self.validators {
            let mut key = [0u8; 32];
            hex::decode_to_slice(&v.public_key, &mut key)
                .map_err(|_| ConsensusError::InvalidKey(None))?;
            out.push(Validator::new(ValidatorKey::from_bytes(&key)?, v.power)?);
        }
        ValidatorSet::new(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use musig::SecretKey;

    fn key(i: u64) -> ValidatorKey {
        let sk = SecretKey::from_scalar(curve25519_dalek::Scalar::from(i + 1));
        ValidatorKey::new(sk.verification_key()).unwrap()
    }

    fn set(powers: &[u64]) -> ValidatorSet {
        let vs = powers
            .iter()
            .enumerate()
            .map(|(i, p)| Validator::new(key(i as u64), *p).unwrap())
            .collect();
        ValidatorSet::new(vs).unwrap()
    }

    #[test]
    fn a_genesis_section_is_the_set_encoding() {
        let s = set(&[3, 1, 2]);
        let mut genesis = Genesis {
            timestamp_ms: 1,
            signers: *key(9).verification_key(),
            utxos: Vec::new(),
            validators: Vec::new(),
            assets: Vec::new(),
        };
        assert_eq!(ValidatorSet::from_genesis(&genesis).unwrap(), None);
        genesis.validators = s.genesis_entries();
        assert_eq!(genesis.validators_bytes(), s.to_bytes());
        assert_eq!(ValidatorSet::from_genesis(&genesis).unwrap(), Some(s));
        // Out of address order: the section is not the set's encoding.
        genesis.validators.reverse();
        assert!(matches!(
            ValidatorSet::from_genesis(&genesis),
            Err(ConsensusError::UnorderedValidators)
        ));
    }

    #[test]
    fn encoding_round_trips_and_is_strict() {
        let s = set(&[1, 2, 3]);
        let bytes = s.to_bytes();
        assert_eq!(bytes.len(), 4 + 3 * 40);
        assert_eq!(ValidatorSet::from_bytes(&bytes).unwrap(), s);
        // Trailing byte, truncation, zero count.
        let mut long = bytes.clone();
        long.push(0);
        assert!(matches!(
            ValidatorSet::from_bytes(&long),
            Err(ConsensusError::TrailingBytes { .. })
        ));
        assert!(ValidatorSet::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(matches!(
            ValidatorSet::from_bytes(&[0, 0, 0, 0]),
            Err(ConsensusError::EmptyValidatorSet)
        ));
        // A hostile count is refused before any allocation.
        assert!(matches!(
            ValidatorSet::from_bytes(&[0xff, 0xff, 0xff, 0xff]),
            Err(ConsensusError::TooLong { .. })
        ));
        // Swapping two entries breaks the address order.
        let mut swapped = bytes.clone();
        let (a, b) = (4..44, 44..84);
        let first = swapped[a.clone()].to_vec();
        let second = swapped[b.clone()].to_vec();
        swapped[a].copy_from_slice(&second);
        swapped[b].copy_from_slice(&first);
        assert!(matches!(
            ValidatorSet::from_bytes(&swapped),
            Err(ConsensusError::UnorderedValidators)
        ));
        // Zero power.
        let mut zero = bytes.clone();
        zero[36..44].copy_from_slice(&[0; 8]);
        assert!(matches!(
            ValidatorSet::from_bytes(&zero),
            Err(ConsensusError::ZeroVotingPower { .. })
        ));
        // The identity key.
        let mut ident = bytes;
        ident[4..36].copy_from_slice(&[0; 32]);
        assert!(ValidatorSet::from_bytes(&ident).is_err());
    }

    #[test]
    fn duplicates_and_overflow_are_refused() {
        let v = Validator::new(key(0), 1).unwrap();
        assert!(matches!(
            ValidatorSet::new(vec![v.clone(), v]),
            Err(ConsensusError::DuplicateValidator { .. })
        ));
        let big = vec![
            Validator::new(key(0), MAX_TOTAL_VOTING_POWER).unwrap(),
            Validator::new(key(1), 1).unwrap(),
        ];
        assert!(matches!(
            ValidatorSet::new(big),
            Err(ConsensusError::VotingPowerOverflow { .. })
        ));
    }

    #[test]
    fn quorum_is_strictly_more_than_two_thirds() {
        let s = set(&[1, 1, 1, 1]);
        assert_eq!(s.total_power(), 4);
        assert!(!s.is_quorum(2));
        assert!(s.is_quorum(3));
        let s = set(&[1, 1, 1]);
        assert!(!s.is_quorum(2));
        assert!(s.is_quorum(3));
    }

    #[test]
    fn proposers_rotate_in_proportion_to_power() {
        let s = set(&[1, 3]);
        let mut counts = std::collections::BTreeMap::new();
        for h in 0..400u64 {
            *counts.entry(*s.proposer(h, 0).address()).or_insert(0u32) += 1;
        }
        let mut c: Vec<u32> = counts.values().copied().collect();
        c.sort();
        assert_eq!(c, vec![100, 300]);
        // The next round has the next proposer.
        let s = set(&[1, 1, 1, 1]);
        assert_ne!(s.proposer(5, 0).address(), s.proposer(5, 1).address());
    }

    #[test]
    fn genesis_json_round_trips() {
        let s = set(&[5, 7]);
        let json = serde_json::to_string(&GenesisValidators::from_set(&s)).unwrap();
        let back: GenesisValidators = serde_json::from_str(&json).unwrap();
        assert_eq!(back.to_set().unwrap(), s);
        let bad = r#"{"validators":[{"public_key":"00","power":1}]}"#;
        let bad: GenesisValidators = serde_json::from_str(bad).unwrap();
        assert!(bad.to_set().is_err());
    }
}
