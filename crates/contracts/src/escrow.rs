//! Escrow with an arbiter and a deadline (docs/spec/contracts.md §Escrow).
//!
//! The buyer locks the payment. Then:
//! - buyer and seller together (their MuSig key, the key path) send it
//!   anywhere at once: to the seller (release) or back (refund);
//! - `release`: the arbiter and the seller sign: the seller takes it;
//! - `refund`: the arbiter and the buyer sign: the buyer takes it back;
//! - `reclaim`: from the deadline on, the buyer alone takes it back.

use wallet::{Address, Party, Terms};

use crate::program::{branch, not_before, party_params, signed_by};
use crate::ContractsError;

/// The branch the arbiter and the seller sign.
pub const RELEASE: &str = "release";
/// The branch the arbiter and the buyer sign.
pub const REFUND: &str = "refund";
/// The branch the buyer alone opens from the deadline on.
pub const RECLAIM: &str = "reclaim";

/// An escrow's parties and deadline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Escrow {
    /// Who pays, and may reclaim after the deadline.
    pub buyer: Address,
    /// Who is paid.
    pub seller: Address,
    /// Who decides a dispute.
    pub arbiter: Address,
    /// From when (ms since the Unix epoch) the buyer may reclaim alone.
    pub deadline_ms: u64,
}

impl Escrow {
    /// The terms: parties `buyer`, `seller`, `arbiter`; key path buyer and
    /// seller; branches `release`, `refund`, `reclaim`.
    pub fn terms(&self, blinding_key: [u8; 32]) -> Result<Terms, ContractsError> {
        let keys = [&self.buyer, &self.seller, &self.arbiter].map(Address::predicate);
        if keys[0] == keys[1] || keys[0] == keys[2] || keys[1] == keys[2] {
            return Err(ContractsError::Parameters(
                "buyer, seller and arbiter must be three different addresses".into(),
            ));
        }
        let mut params = party_params(&[
            ("buyer", &self.buyer),
            ("seller", &self.seller),
            ("arbiter", &self.arbiter),
        ]);
        params.insert("deadline", self.deadline_ms);
        let release = signed_by("arbiter") + &signed_by("seller");
        let refund = signed_by("arbiter") + &signed_by("buyer");
        let reclaim = not_before("deadline") + &signed_by("buyer");
        let parties = [
            ("buyer", keys[0]),
            ("seller", keys[1]),
            ("arbiter", keys[2]),
        ]
        .into_iter()
        .map(|(name, key)| Party {
            name: name.into(),
            key,
        })
        .collect();
        Ok(Terms::new(
            parties,
            vec![0, 1],
            vec![
                branch(RELEASE, &release, &params)?,
                branch(REFUND, &refund, &params)?,
                branch(RECLAIM, &reclaim, &params)?,
            ],
            blinding_key,
        )?)
    }
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
    fn the_terms_name_three_parties_two_signers_and_three_branches() {
        let e = Escrow {
            buyer: address(1),
            seller: address(2),
            arbiter: address(3),
            deadline_ms: 1_000,
        };
        let t = e.terms([0; 32]).unwrap();
        let names: Vec<_> = t.branches().iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, [RELEASE, REFUND, RECLAIM]);
        let signers: Vec<_> = t.key_path().map(|p| p.name.as_str()).collect();
        assert_eq!(signers, ["buyer", "seller"]);
        // Another deadline is another contract.
        let later = Escrow {
            deadline_ms: 2_000,
            ..e.clone()
        };
        assert_ne!(later.terms([0; 32]).unwrap().predicate(), t.predicate());
        // Two blocks of 43 bytes each, and a call proof of three levels.
        for b in t.branches() {
            assert_eq!(b.program.len(), 86, "{}", b.name);
        }
        // Six leaves (three programs, three blindings): the first four are
        // three levels deep, the last two two levels.
        let tree = t.tree().unwrap().unwrap();
        let sizes: Vec<usize> = (0..3)
            .map(|i| zkvm::Encodable::encoded_size(&tree.call_proof(i).unwrap().0))
            .collect();
        assert_eq!(sizes, [140, 140, 108]);
        let same = Escrow {
            seller: address(1),
            ..e
        };
        assert!(same.terms([0; 32]).is_err());
    }
}
