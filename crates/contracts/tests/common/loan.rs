//! The loan that the loan tests and the bench share: 1000 of A lent to
//! the borrower against 30 of C at 5% until 50 s, with values blinded from
//! a salt and UTXOs of the borrower's.

use curve25519_dalek::scalar::Scalar;
use wallet::{Amount, Keys, Seed};
use zkvm::{Anchor, Commitment, Contract, PortableItem, Predicate, Value};

use contracts::loan::Loan;

/// Keys from a seed byte.
pub fn keys(n: u8) -> Keys {
    Keys::new(Seed::from_bytes([n; 64]))
}

/// A value blinded from `salt`.
pub fn open_value(qty: u64, flavor: Scalar, salt: u64) -> Value {
    Value {
        qty: Commitment::blinded_with_factor(qty, Scalar::from(salt)),
        flv: Commitment::blinded_with_factor(flavor, Scalar::from(salt + 1)),
    }
}

/// The principal's asset A.
pub fn asset_a() -> Scalar {
    Scalar::ZERO
}

/// The collateral's asset C.
pub fn asset_c() -> Scalar {
    Scalar::from(77u64)
}

/// 1000 A against 30 C at 500 basis points, the term ending at 50 s.
pub fn loan(lender: &Keys, borrower: &Keys) -> Loan {
    Loan {
        lender: lender.address(0),
        borrower: borrower.address(0),
        principal: Amount {
            flavor: asset_a(),
            qty: 1000,
        },
        collateral: Amount {
            flavor: asset_c(),
            qty: 30,
        },
        rate_bp: 500,
        term_end_ms: 50_000,
    }
}

/// A UTXO of `owner`'s (its receiving key 0), blinded from `n`.
pub fn utxo(owner: &Keys, qty: u64, flavor: Scalar, n: u8) -> Contract {
    Contract {
        anchor: Anchor::from_bytes([n; 32]),
        predicate: Predicate::key(owner.spend_key(0)),
        payload: vec![PortableItem::Value(open_value(
            qty,
            flavor,
            u64::from(n) * 10,
        ))],
    }
}
