//! Accounts shared by several parties (docs/spec/contracts.md §Shared
//! accounts): every party signs together (an n-of-n MuSig key, the key
//! path); optionally, after a timeout, any k of them may move the funds
//! (one branch per k-subset, so only the subset that acts is revealed).

use wallet::{Address, Party, Terms, MAX_BRANCHES};

use crate::program::{branch, not_before, party_params, signed_by};
use crate::ContractsError;

/// k-of-n recovery after a timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recovery {
    /// How many parties suffice.
    pub k: usize,
    /// From when (ms since the Unix epoch) they may.
    pub after_ms: u64,
}

/// A shared account's parties (named `p1`, `p2`… in order) and recovery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// The parties' addresses, 2 to 16.
    pub parties: Vec<Address>,
    /// k-of-n recovery, if any.
    pub recovery: Option<Recovery>,
}

impl Account {
    /// The name of party `i` (0-based) in the terms.
    pub fn party_name(i: usize) -> String {
        format!("p{}", i + 1)
    }

    /// The terms: parties `p1`…`pn`, key path all of them; with recovery,
    /// a branch `recover-<i>-<j>…` per k-subset, each opening from
    /// `after_ms` when its k parties sign.
    pub fn terms(&self, blinding_key: [u8; 32]) -> Result<Terms, ContractsError> {
        let n = self.parties.len();
        if n < 2 {
            return Err(ContractsError::Parameters(
                "a shared account has at least two parties".into(),
            ));
        }
        let names: Vec<String> = (0..n).map(Self::party_name).collect();
        let named: Vec<(&str, &Address)> = names
            .iter()
            .map(String::as_str)
            .zip(self.parties.iter())
            .collect();
        let mut params = party_params(&named);
        let mut branches = Vec::new();
        if let Some(r) = self.recovery {
            if r.k == 0 || r.k >= n {
                return Err(ContractsError::Parameters(format!(
                    "recovery needs 1 to {} of the {n} parties",
                    n - 1
                )));
            }
            params.insert("after", r.after_ms);
            let subsets = subsets(n, r.k);
            if subsets.len() > MAX_BRANCHES {
                return Err(ContractsError::Parameters(format!(
                    "{}-of-{n} recovery needs {} branches, at most {MAX_BRANCHES} are allowed",
                    r.k,
                    subsets.len()
                )));
            }
            for s in subsets {
                let mut text = not_before("after");
                let mut name = "recover".to_string();
                for i in s {
                    text.push_str(&signed_by(&names[i]));
                    name.push_str(&format!("-{}", i + 1));
                }
                branches.push(branch(&name, &text, &params)?);
            }
        }
        let parties = names
            .iter()
            .zip(&self.parties)
            .map(|(name, a)| Party {
                name: name.clone(),
                key: a.predicate(),
            })
            .collect();
        Ok(Terms::new(
            parties,
            (0..n).collect(),
            branches,
            blinding_key,
        )?)
    }
}

/// The k-subsets of `0..n`, in lexicographic order.
fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut current = Vec::with_capacity(k);
    fn walk(start: usize, n: usize, k: usize, current: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if current.len() == k {
            out.push(current.clone());
            return;
        }
        for i in start..n {
            current.push(i);
            walk(i + 1, n, k, current, out);
            current.pop();
        }
    }
    walk(0, n, k, &mut current, &mut out);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use wallet::{Keys, Seed};

    fn address(n: u8) -> Address {
        Keys::new(Seed::from_bytes([n; 64])).address(0)
    }

    #[test]
    fn subsets_are_all_the_k_combinations() {
        assert_eq!(subsets(3, 2), vec![vec![0, 1], vec![0, 2], vec![1, 2]]);
        assert_eq!(subsets(4, 1).len(), 4);
        assert_eq!(subsets(6, 3).len(), 20);
    }

    #[test]
    fn recovery_makes_one_branch_per_subset() {
        let a = Account {
            parties: vec![address(1), address(2), address(3)],
            recovery: Some(Recovery { k: 2, after_ms: 5 }),
        };
        let t = a.terms([0; 32]).unwrap();
        let names: Vec<_> = t.branches().iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["recover-1-2", "recover-1-3", "recover-2-3"]);
        assert_eq!(t.key_path().count(), 3);
        let plain = Account {
            recovery: None,
            ..a.clone()
        };
        assert!(plain.terms([0; 32]).unwrap().branches().is_empty());
        for k in [0, 3] {
            let bad = Account {
                recovery: Some(Recovery { k, after_ms: 5 }),
                ..a.clone()
            };
            assert!(bad.terms([0; 32]).is_err());
        }
        let wide = Account {
            parties: (1..=6).map(address).collect(),
            recovery: Some(Recovery { k: 3, after_ms: 5 }),
        };
        assert!(wide.terms([0; 32]).is_err());
    }
}
