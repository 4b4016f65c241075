//! A contract's terms (docs/spec/wallet.md §Contract terms): who takes
//! part, who may sign for it (the key path) and which programs may open it
//! (the Taproot branches). The terms determine the predicate; every party
//! receives them in the contract's note, so each one's wallet can show and
//! spend the contract.

use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use musig::{Multikey, VerificationKey};
use zkvm::{Predicate, PredicateTree, Program, ProgramItem};

use crate::address::check_point;
use crate::WalletError;

/// The only terms version, their first byte.
pub const TERMS_VERSION: u8 = 1;

/// Most parties a contract names.
pub const MAX_PARTIES: usize = 16;

/// Most branches a contract has.
pub const MAX_BRANCHES: usize = 16;

/// Longest party or branch name, in bytes.
pub const MAX_NAME: usize = 32;

/// Largest branch program, in bytes.
pub const MAX_BRANCH_PROGRAM: usize = 8 * 1024;

/// A party: a name and the key it signs with (the receiving key of one of
/// its addresses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Party {
    /// Its name in the terms (`[a-z0-9_-]`, 1 to [`MAX_NAME`] bytes).
    pub name: String,
    /// Its signing key.
    pub key: CompressedRistretto,
}

/// A Taproot branch: a name and a program `call` runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Branch {
    /// Its name (`[a-z0-9_-]`, 1 to [`MAX_NAME`] bytes).
    pub name: String,
    /// The program's bytecode.
    pub program: Vec<u8>,
}

/// A contract's terms (docs/spec/wallet.md §Contract terms).
///
/// The predicate is:
/// - with no branches, the key path's key: one party's key, or the MuSig
///   aggregated key of several;
/// - with branches, the Taproot tree of the branch programs (in order)
///   under that key as inner key, or under the unsignable key `B2` when
///   the key path is empty, its blinding leaves derived from
///   `blinding_key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terms {
    parties: Vec<Party>,
    key: Vec<usize>,
    branches: Vec<Branch>,
    blinding_key: [u8; 32],
    predicate: CompressedRistretto,
}

impl Terms {
    /// Checks and assembles terms: 1 to [`MAX_PARTIES`] parties with
    /// distinct names and keys, a key path of distinct parties (by index,
    /// in increasing order), at most [`MAX_BRANCHES`] branches with
    /// distinct names whose programs parse, and at least one way to spend.
    pub fn new(
        parties: Vec<Party>,
        key: Vec<usize>,
        branches: Vec<Branch>,
        blinding_key: [u8; 32],
    ) -> Result<Terms, WalletError> {
        if parties.is_empty() || parties.len() > MAX_PARTIES {
            return Err(WalletError::Terms(format!(
                "a contract names 1 to {MAX_PARTIES} parties, not {}",
                parties.len()
            )));
        }
        for (i, p) in parties.iter().enumerate() {
            check_name("party", &p.name)?;
            check_point(&p.key, "party key")?;
            if parties[..i].iter().any(|q| q.name == p.name) {
                return Err(WalletError::Terms(format!(
                    "party {:?} is named twice",
                    p.name
                )));
            }
            if parties[..i].iter().any(|q| q.key == p.key) {
                return Err(WalletError::Terms(format!(
                    "party {:?} has the key of another party",
                    p.name
                )));
            }
        }
        if key.windows(2).any(|w| w[0] >= w[1]) || key.iter().any(|&i| i >= parties.len()) {
            return Err(WalletError::Terms(
                "the key path lists distinct parties of the contract, in order".into(),
            ));
        }
        if branches.len() > MAX_BRANCHES {
            return Err(WalletError::Terms(format!(
                "a contract has at most {MAX_BRANCHES} branches, not {}",
                branches.len()
            )));
        }
        for (i, b) in branches.iter().enumerate() {
            check_name("branch", &b.name)?;
            if branches[..i].iter().any(|c| c.name == b.name) {
                return Err(WalletError::Terms(format!(
                    "branch {:?} is named twice",
                    b.name
                )));
            }
            if b.program.len() > MAX_BRANCH_PROGRAM {
                return Err(WalletError::Terms(format!(
                    "branch {:?} has {} bytes of program, at most {MAX_BRANCH_PROGRAM} are allowed",
                    b.name,
                    b.program.len()
                )));
            }
            Program::parse(&b.program).map_err(|e| {
                WalletError::Terms(format!("branch {:?} does not decode: {e}", b.name))
            })?;
        }
        if key.is_empty() && branches.is_empty() {
            return Err(WalletError::Terms(
                "a contract needs a key path or at least one branch".into(),
            ));
        }
        let mut terms = Terms {
            parties,
            key,
            branches,
            blinding_key,
            predicate: CompressedRistretto::default(),
        };
        terms.predicate = match terms.tree()? {
            Some(tree) => tree.outer_key(),
            None => terms
                .inner_key()?
                .ok_or(WalletError::Terms("no key".into()))?,
        };
        Ok(terms)
    }

    /// The parties.
    pub fn parties(&self) -> &[Party] {
        &self.parties
    }

    /// The parties of the key path (empty: no key path).
    pub fn key_path(&self) -> impl Iterator<Item = &Party> {
        self.key.iter().map(|&i| &self.parties[i])
    }

    /// The branches, in tree order.
    pub fn branches(&self) -> &[Branch] {
        &self.branches
    }

    /// The predicate's point.
    pub fn predicate(&self) -> CompressedRistretto {
        self.predicate
    }

    /// The branch named `name`, with its index.
    pub fn branch(&self, name: &str) -> Option<(usize, &Branch)> {
        self.branches
            .iter()
            .enumerate()
            .find(|(_, b)| b.name == name)
    }

    /// The key path's key: a party's key, or the MuSig aggregated key of
    /// several (`None` without a key path).
    pub fn inner_key(&self) -> Result<Option<CompressedRistretto>, WalletError> {
        let keys = self.key_path_keys()?;
        Ok(match keys.as_slice() {
            [] => None,
            [one] => Some(*one.as_compressed()),
            _ => Some(*Multikey::new(keys)?.aggregated_key().as_compressed()),
        })
    }

    /// The key path's keys as verification keys.
    pub fn key_path_keys(&self) -> Result<Vec<VerificationKey>, WalletError> {
        self.key_path()
            .map(|p| {
                VerificationKey::from_compressed(p.key)
                    .map_err(|_| WalletError::InvalidPoint("party key"))
            })
            .collect()
    }

    /// The public tweak of the key path: the Taproot factor `h` when there
    /// are branches, zero otherwise (the predicate is then the key itself).
    pub fn key_path_tweak(&self) -> Result<Scalar, WalletError> {
        Ok(match self.tree()? {
            Some(tree) => tree.factor(),
            None => Scalar::ZERO,
        })
    }

    /// The Taproot tree, if there are branches.
    pub fn tree(&self) -> Result<Option<PredicateTree>, WalletError> {
        if self.branches.is_empty() {
            return Ok(None);
        }
        let programs = self
            .branches
            .iter()
            .map(|b| ProgramItem::Bytecode(b.program.clone()))
            .collect();
        Ok(Some(PredicateTree::with_inner_key(
            self.inner_key()?,
            programs,
            self.blinding_key,
        )?))
    }

    /// The predicate, as a prover pushes it (its point only: the secrets
    /// are attached where they are used).
    pub fn to_predicate(&self) -> Predicate {
        Predicate::opaque(self.predicate)
    }

    /// The encoding (docs/spec/wallet.md §Contract terms):
    /// `0x01 || n || n × (len || name || key) || k || k × index ||
    /// b || b × (len || name || LE32 size || program) || blinding key`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![TERMS_VERSION, self.parties.len() as u8];
        for p in &self.parties {
            out.push(p.name.len() as u8);
            out.extend_from_slice(p.name.as_bytes());
            out.extend_from_slice(p.key.as_bytes());
        }
        out.push(self.key.len() as u8);
        out.extend(self.key.iter().map(|&i| i as u8));
        out.push(self.branches.len() as u8);
        for b in &self.branches {
            out.push(b.name.len() as u8);
            out.extend_from_slice(b.name.as_bytes());
            out.extend_from_slice(&(b.program.len() as u32).to_le_bytes());
            out.extend_from_slice(&b.program);
        }
        out.extend_from_slice(&self.blinding_key);
        out
    }

    /// Strict decoding of [`Terms::to_bytes`] spanning all of `bytes`, with
    /// every check of [`Terms::new`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Terms, WalletError> {
        let mut r = Cursor(bytes);
        if r.byte()? != TERMS_VERSION {
            return Err(WalletError::Terms("unknown terms version".into()));
        }
        let n = usize::from(r.byte()?);
        let mut parties = Vec::with_capacity(n.min(MAX_PARTIES));
        for _ in 0..n {
            let name = r.name()?;
            let key = CompressedRistretto(r.array()?);
            parties.push(Party { name, key });
        }
        let k = usize::from(r.byte()?);
        let mut key = Vec::with_capacity(k);
        for _ in 0..k {
            key.push(usize::from(r.byte()?));
        }
        let b = usize::from(r.byte()?);
        let mut branches = Vec::with_capacity(b.min(MAX_BRANCHES));
        for _ in 0..b {
            let name = r.name()?;
            let len = u32::from_le_bytes(r.array()?) as usize;
            if len > MAX_BRANCH_PROGRAM {
                return Err(WalletError::Terms("branch program too long".into()));
            }
            branches.push(Branch {
                name,
                program: r.take(len)?.to_vec(),
            });
        }
        let blinding_key = r.array()?;
        if !r.0.is_empty() {
            return Err(WalletError::Terms("trailing bytes after the terms".into()));
        }
        Terms::new(parties, key, branches, blinding_key)
    }

    /// The encoded size.
    pub fn encoded_size(&self) -> usize {
        self.to_bytes().len()
    }
}

/// A party or branch name: 1 to [`MAX_NAME`] bytes of `[a-z0-9_-]`.
fn check_name(what: &str, name: &str) -> Result<(), WalletError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(WalletError::Terms(format!(
            "a {what} name has 1 to {MAX_NAME} characters among a-z, 0-9, _ and -, not {name:?}"
        )))
    }
}

/// A strict reader over a byte slice.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WalletError> {
        if self.0.len() < n {
            return Err(WalletError::Terms("the terms end early".into()));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, WalletError> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], WalletError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn name(&mut self) -> Result<String, WalletError> {
        let len = usize::from(self.byte()?);
        let bytes = self.take(len)?;
        let name = String::from_utf8(bytes.to_vec())
            .map_err(|_| WalletError::Terms("a name is not UTF-8".into()))?;
        check_name("party or branch", &name)?;
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::keys::{Keys, Seed};
    use proptest::prelude::*;

    fn key(n: u8) -> CompressedRistretto {
        Keys::new(Seed::from_bytes([n; 64])).receiving_point(0)
    }

    fn party(name: &str, n: u8) -> Party {
        Party {
            name: name.into(),
            key: key(n),
        }
    }

    fn branch(name: &str) -> Branch {
        Branch {
            name: name.into(),
            program: zkvm::Encodable::encode_to_vec(&Program::build(|p| p.drop())),
        }
    }

    #[test]
    fn a_single_key_without_branches_is_that_key() {
        let t = Terms::new(vec![party("alice", 1)], vec![0], vec![], [0; 32]).unwrap();
        assert_eq!(t.predicate(), key(1));
        assert_eq!(t.key_path_tweak().unwrap(), Scalar::ZERO);
    }

    #[test]
    fn a_musig_key_is_the_aggregate() {
        let t = Terms::new(
            vec![party("alice", 1), party("bob", 2)],
            vec![0, 1],
            vec![],
            [0; 32],
        )
        .unwrap();
        let agg = Multikey::new(vec![
            VerificationKey::from_compressed(key(1)).unwrap(),
            VerificationKey::from_compressed(key(2)).unwrap(),
        ])
        .unwrap()
        .aggregated_key();
        assert_eq!(t.predicate(), *agg.as_compressed());
    }

    #[test]
    fn branches_make_a_tree_and_the_blinding_key_changes_it() {
        let a = Terms::new(
            vec![party("alice", 1), party("bob", 2)],
            vec![0],
            vec![branch("claim"), branch("reclaim")],
            [1; 32],
        )
        .unwrap();
        let b = Terms::new(
            a.parties().to_vec(),
            vec![0],
            a.branches().to_vec(),
            [2; 32],
        )
        .unwrap();
        assert_ne!(a.predicate(), b.predicate());
        assert_ne!(a.predicate(), key(1));
        assert_eq!(a.branch("reclaim").unwrap().0, 1);
        assert_ne!(a.key_path_tweak().unwrap(), Scalar::ZERO);
        // Without a key path, the inner key is B2.
        let c = Terms::new(a.parties().to_vec(), vec![], a.branches().to_vec(), [1; 32]).unwrap();
        assert_ne!(c.predicate(), a.predicate());
    }

    #[test]
    fn bad_terms_are_refused() {
        let p = || vec![party("alice", 1), party("bob", 2)];
        for (parties, key, branches) in [
            (vec![], vec![], vec![branch("x")]),
            (p(), vec![], vec![]),
            (p(), vec![1, 0], vec![]),
            (p(), vec![2], vec![]),
            (p(), vec![0, 0], vec![]),
            (vec![party("alice", 1), party("alice", 2)], vec![0], vec![]),
            (vec![party("alice", 1), party("bob", 1)], vec![0], vec![]),
            (vec![party("Alice", 1)], vec![0], vec![]),
            (p(), vec![0], vec![branch("a"), branch("a")]),
            (
                p(),
                vec![0],
                vec![Branch {
                    name: "x".into(),
                    program: vec![0x00],
                }],
            ),
        ] {
            assert!(
                matches!(
                    Terms::new(parties.clone(), key.clone(), branches.clone(), [0; 32]),
                    Err(WalletError::Terms(_))
                ),
                "{parties:?} {key:?} {branches:?}"
            );
        }
    }

    #[test]
    fn terms_round_trip_and_the_decoder_is_strict() {
        let t = Terms::new(
            vec![party("alice", 1), party("bob", 2), party("carol", 3)],
            vec![0, 2],
            vec![branch("claim"), branch("refund")],
            [9; 32],
        )
        .unwrap();
        let bytes = t.to_bytes();
        assert_eq!(Terms::from_bytes(&bytes).unwrap(), t);
        let mut long = bytes.clone();
        long.push(0);
        assert!(Terms::from_bytes(&long).is_err());
        for cut in 0..bytes.len() {
            assert!(Terms::from_bytes(&bytes[..cut]).is_err());
        }
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(t) = Terms::from_bytes(&bytes) {
                prop_assert_eq!(t.to_bytes(), bytes);
            }
        }
    }
}
