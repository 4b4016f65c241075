//! Loans with interest checked in zero knowledge (docs/spec/contracts.md
//! §Loans).
//!
//! A lender lends `principal` of asset A to a named borrower for
//! `rate_bp` basis points of interest over the term, against `collateral`
//! of asset C, until `term_end_ms`. Two contracts, both ordinary wallet
//! contracts ([`wallet::Terms`], found through their contract notes):
//!
//! - the **loan offer** holds the principal. Key path: the lender (takes
//!   it back). Branch `take`: the borrower signs and borrows the
//!   collateral (`borrow`, so the borrower's own cloak must pay it in)
//!   into the **loan** output, logging the loan's contract note (sealed
//!   by the lender when making the offer) right after it; the borrower
//!   keeps the principal.
//! - the **loan** holds the collateral. Branch `repay`: proves over the
//!   committed principal `P`, rate `N` and repayment `R` (all blinded:
//!   nobody but the parties learns them) that
//!   `0 ≤ R·D − P·D − P·N < D` with `D = 10_000` — `R` is `P·(1 + N/D)`
//!   rounded up — using one `mul` and two `range` proofs; borrows `R` of
//!   A and pays it to the lender with a note the lender sealed when making
//!   the offer; the borrower signs and takes the collateral. Branch
//!   `claim`: from the end of the term, the lender signs and takes it.
//!
//! Every commitment's blinding and the notes' randomness come from a
//! secret seed the lender draws and gives the borrower with the terms, so
//! both build the same contracts byte for byte, with their secrets.

use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand::rngs::StdRng;
use rand::SeedableRng;
use wallet::{
    seal_contract_note, Address, Amount, Branch, ContractSecrets, EncryptedNote, NoteOpening,
    Party, Terms,
};
use zkvm::{Commitment, Data, Encodable, Predicate, Program, ScalarWitness};

use crate::program::{not_before, party_params, signed_by};
use crate::ContractsError;

/// Basis points in one: the rate's denominator.
pub const RATE_DENOMINATOR: u64 = 10_000;

/// The loan offer's branch the borrower calls.
pub const TAKE: &str = "take";
/// The loan's branch the borrower calls to repay.
pub const REPAY: &str = "repay";
/// The loan's branch the lender calls after the term.
pub const CLAIM: &str = "claim";

/// What lender and borrower agreed (docs/spec/contracts.md §Loans,
/// Terms).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loan {
    /// Who lends.
    pub lender: Address,
    /// Who borrows.
    pub borrower: Address,
    /// The principal (asset A).
    pub principal: Amount,
    /// The collateral (asset C).
    pub collateral: Amount,
    /// Interest over the whole term, in basis points of the principal.
    pub rate_bp: u64,
    /// From when (ms since the Unix epoch) the lender may claim.
    pub term_end_ms: u64,
}

/// The repayment: `ceil(P · (D + N) / D)`, or `None` past 2^64 − 1.
pub fn repayment(principal: u64, rate_bp: u64) -> Option<u64> {
    let num = u128::from(principal) * (u128::from(RATE_DENOMINATOR) + u128::from(rate_bp));
    u64::try_from(num.div_ceil(u128::from(RATE_DENOMINATOR))).ok()
}

/// The blindings of a loan's commitments, from the shared seed.
struct Blindings {
    principal: Scalar,
    rate: Scalar,
    repay: Scalar,
    repay_flavor: Scalar,
    collateral: Scalar,
    collateral_flavor: Scalar,
}

impl Blindings {
    /// `Transcript("ZkVM.loan.blindings")` with the seed, one challenge
    /// scalar per commitment.
    fn from_seed(seed: &Scalar) -> Blindings {
        let mut t = Transcript::new(b"ZkVM.loan.blindings");
        t.append_message(b"seed", seed.as_bytes());
        let mut next = |label: &'static [u8]| {
            let mut b = [0u8; 64];
            t.challenge_bytes(label, &mut b);
            Scalar::from_bytes_mod_order_wide(&b)
        };
        Blindings {
            principal: next(b"principal"),
            rate: next(b"rate"),
            repay: next(b"repay"),
            repay_flavor: next(b"repay_flavor"),
            collateral: next(b"collateral"),
            collateral_flavor: next(b"collateral_flavor"),
        }
    }
}

/// A loan's programs and terms, built from its parameters and seed.
pub struct LoanContracts {
    /// The loan offer's terms (lender key path, branch `take`).
    pub offer: Terms,
    /// The loan's terms (branches `repay`, `claim`).
    pub loan: Terms,
    /// The `take` branch with its secrets (for the borrower's prover).
    pub take: Program,
    /// The `repay` branch with its secrets.
    pub repay: Program,
    /// The repayment.
    pub repayment: Amount,
}

impl Loan {
    /// Checks the parameters: positive amounts, the repayment in range,
    /// two different parties.
    pub fn check(&self) -> Result<u64, ContractsError> {
        let bad = |m: &str| ContractsError::Parameters(m.into());
        if self.principal.qty == 0 || self.collateral.qty == 0 {
            return Err(bad("a loan has a positive principal and collateral"));
        }
        if self.lender.predicate() == self.borrower.predicate() {
            return Err(bad("lender and borrower are two different addresses"));
        }
        repayment(self.principal.qty, self.rate_bp)
            .ok_or_else(|| bad("the repayment does not fit in 64 bits"))
    }

    /// The two contracts, from the parameters and `seed`, a secret the
    /// lender draws and gives the borrower with the terms: every blinding
    /// and the notes' randomness come from it, so both parties build the
    /// same contracts byte for byte (the borrower checks the offer it
    /// found against them).
    pub fn contracts(&self, seed: &[u8; 32]) -> Result<LoanContracts, ContractsError> {
        let r = self.check()?;
        self.contracts_repaying(seed, r)
    }

    /// [`Loan::contracts`] with the repayment `r` given rather than
    /// computed. Its `repay` branch opens only if `r` is the rounded-up
    /// interest: a loan made with a repayment one unit short can never be
    /// repaid (the VM refuses it at the branch's `range`), which is how
    /// the tests show the check is real.
    pub fn contracts_repaying(
        &self,
        seed: &[u8; 32],
        r: u64,
    ) -> Result<LoanContracts, ContractsError> {
        let mut rng = StdRng::from_seed(derive(seed, b"notes"));
        let rng = &mut rng;
        let seed = &Scalar::from_bytes_mod_order(derive(seed, b"seed"));
        let b = Blindings::from_seed(seed);
        let a = self.principal.flavor;
        let cp = Commitment::blinded_with_factor(self.principal.qty, b.principal);
        let cn = Commitment::blinded_with_factor(self.rate_bp, b.rate);
        let cr = Commitment::blinded_with_factor(r, b.repay);
        let ca = Commitment::blinded_with_factor(a, b.repay_flavor);
        let ccq = Commitment::blinded_with_factor(self.collateral.qty, b.collateral);
        let ccf = Commitment::blinded_with_factor(self.collateral.flavor, b.collateral_flavor);
        let parties = vec![
            Party {
                name: "lender".into(),
                key: self.lender.predicate(),
            },
            Party {
                name: "borrower".into(),
                key: self.borrower.predicate(),
            },
        ];
        let params = {
            let mut p = party_params(&[("lender", &self.lender), ("borrower", &self.borrower)]);
            p.insert("term_end", self.term_end_ms);
            p
        };

        // The repayment note: the lender's opening of R, to the lender.
        let repaid = NoteOpening {
            qty: r,
            flavor: a,
            qty_blinding: b.repay,
            flavor_blinding: b.repay_flavor,
            memo: b"loan repaid".to_vec(),
        };
        let note = EncryptedNote::seal(
            &repaid,
            self.lender.encryption_point(),
            &self.lender.predicate(),
            rng,
        )?;

        let d = RATE_DENOMINATOR;
        let mut repay = Program::new();
        repay
            .push(cp)
            .commit()
            .push(cn)
            .commit()
            .push(cr.clone())
            .commit();
        // e = R·D − P·D − P·N, then 0 ≤ e and e ≤ D − 1.
        repay
            .dup(0)
            .expr()
            .push(ScalarWitness::from(d))
            .scalar()
            .mul()
            .dup(3)
            .expr()
            .push(ScalarWitness::from(d))
            .scalar()
            .mul()
            .neg()
            .add()
            .dup(3)
            .expr()
            .dup(3)
            .expr()
            .mul()
            .neg()
            .add()
            .range()
            .neg()
            .push(ScalarWitness::from(d - 1))
            .scalar()
            .add()
            .range()
            .drop();
        // Pay R to the lender.
        repay.roll(2).drop().roll(1).drop();
        repay
            .push(ca)
            .commit()
            .borrow()
            .push(Data::Opaque(note.to_bytes()))
            .push(Predicate::opaque(self.lender.predicate()))
            .output(2);
        // The borrower signs; the collateral stays on top for them.
        repay
            .roll(1)
            .push(Predicate::opaque(self.borrower.predicate()))
            .contract(1)
            .signtx();
        let claim = not_before("term_end") + &signed_by("lender");
        let loan = Terms::new(
            parties.clone(),
            vec![],
            vec![
                Branch {
                    name: REPAY.into(),
                    program: repay.encode_to_vec(),
                },
                crate::program::branch(CLAIM, &claim, &params)?,
            ],
            blinding_key(seed, b"loan"),
        )?;

        // The loan's contract note: the collateral's opening and the
        // loan's terms, to both parties.
        let collateral = NoteOpening {
            qty: self.collateral.qty,
            flavor: self.collateral.flavor,
            qty_blinding: b.collateral,
            flavor_blinding: b.collateral_flavor,
            memo: Vec::new(),
        };
        let loan_note = seal_contract_note(
            &ContractSecrets {
                opening: collateral,
                terms: loan.clone(),
            },
            &[
                *self.lender.encryption_point(),
                *self.borrower.encryption_point(),
            ],
            rng,
        )?;

        let mut take = Program::new();
        take.push(ccq)
            .commit()
            .push(ccf)
            .commit()
            .borrow()
            .push(Predicate::opaque(loan.predicate()))
            .output(1)
            .push(Data::Opaque(loan_note))
            .log()
            .roll(1)
            .push(Predicate::opaque(self.borrower.predicate()))
            .contract(1)
            .signtx();
        let offer = Terms::new(
            parties,
            vec![0],
            vec![Branch {
                name: TAKE.into(),
                program: take.encode_to_vec(),
            }],
            blinding_key(seed, b"offer"),
        )?;
        Ok(LoanContracts {
            offer,
            loan,
            take,
            repay,
            repayment: Amount { flavor: a, qty: r },
        })
    }
}

/// 32 bytes for `label` from the shared secret.
fn derive(secret: &[u8; 32], label: &'static [u8]) -> [u8; 32] {
    let mut t = Transcript::new(b"ZkVM.loan.derive");
    t.append_message(b"secret", secret);
    t.append_message(b"label", label);
    let mut k = [0u8; 32];
    t.challenge_bytes(b"bytes", &mut k);
    k
}

/// A Taproot blinding key from the seed.
fn blinding_key(seed: &Scalar, label: &'static [u8]) -> [u8; 32] {
    let mut t = Transcript::new(b"ZkVM.loan.blinding-key");
    t.append_message(b"seed", seed.as_bytes());
    t.append_message(b"contract", label);
    let mut k = [0u8; 32];
    t.challenge_bytes(b"key", &mut k);
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repayments_round_up() {
        assert_eq!(repayment(1000, 500), Some(1050));
        assert_eq!(repayment(1001, 500), Some(1052)); // 1051.05 rounds up
        assert_eq!(repayment(1, 1), Some(2));
        assert_eq!(repayment(10_000, 0), Some(10_000));
        assert_eq!(repayment(u64::MAX, 10_000), None);
    }
}
