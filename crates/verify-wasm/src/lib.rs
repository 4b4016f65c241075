//! The ZkVM verifier for browsers: the explorer's transaction page runs
//! this crate, compiled to `wasm32-unknown-unknown`, so that a reader
//! checks a transaction and a revealed amount on their own machine
//! instead of trusting the node (docs/explorer.md §Verification in the
//! browser, §Reveal).
//!
//! The checks are plain Rust functions, tested natively; the `ffi` module
//! (built for wasm32 only) exports them to JavaScript as C functions over
//! the module's memory.

#[cfg(target_arch = "wasm32")]
pub mod ffi;

use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use zkvm::{Commitment, Verifier};

/// Why a check failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// The transaction does not decode or does not verify
    /// (docs/spec/zkvm.md §Transaction verification).
    #[error("the transaction does not verify: {0}")]
    InvalidTx(#[from] zkvm::VMError),
    /// An opening's text is not of the form [`check_opening`] takes.
    #[error("malformed opening: {0}")]
    MalformedOpening(String),
    /// The opening's quantity does not open the quantity commitment.
    #[error("the quantity does not open the output's quantity commitment")]
    QtyMismatch,
    /// The opening's flavor does not open the flavor commitment.
    #[error("the flavor does not open the output's flavor commitment")]
    FlavorMismatch,
}

/// Decodes and fully verifies a transaction (docs/spec/zkvm.md
/// §Transaction verification: the VM run, the signature and the R1CS
/// proof); its ID as hex when it verifies.
pub fn verify_tx(bytes: &[u8]) -> Result<String, CheckError> {
    let verified = Verifier::verify_bytes(bytes)?;
    Ok(verified.id.to_string())
}

/// An output value revealed by its opening.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revealed {
    /// The quantity.
    pub qty: u64,
    /// The flavor, as 64 hex digits (little-endian scalar).
    pub flavor: String,
}

/// Checks one opening of a value's Pedersen commitments
/// (docs/spec/zkvm.md §Pedersen commitment: `v·B + f·B_blinding`).
///
/// `text` is six fields separated by spaces: the quantity commitment and
/// the flavor commitment (compressed points as they appear in the
/// transaction's log, 64 hex digits each), the quantity (decimal), the
/// flavor, the quantity's blinding factor and the flavor's blinding
/// factor (canonical scalars, 64 hex digits each). The amount is only
/// returned when both commitments open.
pub fn check_opening(text: &str) -> Result<Revealed, CheckError> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    let [qty_point, flv_point, qty, flavor, qty_blinding, flv_blinding] = fields[..] else {
        return Err(CheckError::MalformedOpening(format!(
            "expected 6 fields, got {}",
            fields.len()
        )));
    };
    let qty_point = point(qty_point, "quantity commitment")?;
    let flv_point = point(flv_point, "flavor commitment")?;
    let qty: u64 = qty
        .parse()
        .map_err(|_| CheckError::MalformedOpening(format!("quantity {qty:?} is not a number")))?;
    let flavor_scalar = scalar(flavor, "flavor")?;
    let qty_blinding = scalar(qty_blinding, "quantity blinding factor")?;
    let flv_blinding = scalar(flv_blinding, "flavor blinding factor")?;
    if Commitment::blinded_with_factor(qty, qty_blinding).to_point() != qty_point {
        return Err(CheckError::QtyMismatch);
    }
    if Commitment::blinded_with_factor(flavor_scalar, flv_blinding).to_point() != flv_point {
        return Err(CheckError::FlavorMismatch);
    }
    Ok(Revealed {
        qty,
        flavor: hex::encode(flavor_scalar.as_bytes()),
    })
}

fn bytes32(text: &str, what: &str) -> Result<[u8; 32], CheckError> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out)
        .map_err(|_| CheckError::MalformedOpening(format!("{what} must be 64 hex digits")))?;
    Ok(out)
}

fn point(text: &str, what: &str) -> Result<CompressedRistretto, CheckError> {
    Ok(CompressedRistretto(bytes32(text, what)?))
}

fn scalar(text: &str, what: &str) -> Result<Scalar, CheckError> {
    Option::from(Scalar::from_canonical_bytes(bytes32(text, what)?))
        .ok_or_else(|| CheckError::MalformedOpening(format!("{what} is not a canonical scalar")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn opening_text(qty: u64, flavor: Scalar, qb: Scalar, fb: Scalar) -> String {
        let q = Commitment::blinded_with_factor(qty, qb).to_point();
        let f = Commitment::blinded_with_factor(flavor, fb).to_point();
        format!(
            "{} {} {qty} {} {} {}",
            hex::encode(q.as_bytes()),
            hex::encode(f.as_bytes()),
            hex::encode(flavor.as_bytes()),
            hex::encode(qb.as_bytes()),
            hex::encode(fb.as_bytes())
        )
    }

    #[test]
    fn a_true_opening_reveals_the_amount_and_a_tampered_one_is_refused() {
        let (flavor, qb, fb) = (
            Scalar::from(9u64),
            Scalar::from(1234u64),
            Scalar::from(77u64),
        );
        let text = opening_text(600, flavor, qb, fb);
        let revealed = check_opening(&text).unwrap();
        assert_eq!(revealed.qty, 600);
        assert_eq!(revealed.flavor, hex::encode(flavor.as_bytes()));
        let tampered = text.replacen(" 600 ", " 601 ", 1);
        assert!(matches!(
            check_opening(&tampered),
            Err(CheckError::QtyMismatch)
        ));
        let other_flavor = opening_text(600, Scalar::from(8u64), qb, fb);
        let fields: Vec<&str> = other_flavor.split(' ').collect();
        let mixed = format!(
            "{} {} 600 {} {} {}",
            text.split(' ').next().unwrap(),
            text.split(' ').nth(1).unwrap(),
            fields[3],
            fields[4],
            fields[5]
        );
        assert!(matches!(
            check_opening(&mixed),
            Err(CheckError::FlavorMismatch)
        ));
    }

    #[test]
    fn malformed_openings_are_typed_errors() {
        for text in ["", "a b c", "zz zz 1 zz zz zz", &"0".repeat(64)] {
            assert!(matches!(
                check_opening(text),
                Err(CheckError::MalformedOpening(_))
            ));
        }
        // A non-canonical scalar (all ones) as a blinding factor.
        let ff = "f".repeat(64);
        let zero = "0".repeat(64);
        let text = format!("{zero} {zero} 1 {zero} {ff} {zero}");
        assert!(matches!(
            check_opening(&text),
            Err(CheckError::MalformedOpening(_))
        ));
    }

    /// The reference implementation's transactions (tests/vectors/): each
    /// valid one verifies to its ID, each invalid one is refused.
    #[test]
    fn reference_transactions_verify_and_invalid_ones_do_not() {
        let text = include_str!("../../../tests/vectors/zkvm-reference-txs.json");
        let vectors: serde_json::Value = serde_json::from_str(text).unwrap();
        let valid = vectors["valid"].as_array().unwrap();
        assert!(valid.iter().any(|v| v["name"] == "payment_1x2"));
        for v in valid {
            let bytes = hex::decode(v["tx_hex"].as_str().unwrap()).unwrap();
            assert_eq!(verify_tx(&bytes).unwrap(), v["txid_hex"].as_str().unwrap());
        }
        let invalid = vectors["invalid"].as_array().unwrap();
        assert!(!invalid.is_empty());
        for v in invalid {
            let bytes = hex::decode(v["tx_hex"].as_str().unwrap()).unwrap();
            assert!(verify_tx(&bytes).is_err(), "{}", v["name"]);
        }
    }

    #[test]
    fn garbage_is_not_a_transaction() {
        assert!(matches!(
            verify_tx(&[1, 2, 3]),
            Err(CheckError::InvalidTx(_))
        ));
    }
}
