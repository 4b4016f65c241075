//! Offers with partial fills (docs/spec/contracts.md §Offers).
//!
//! A maker sells `give_qty` of asset A at a price of `want` units of
//! asset B per `give` units of A, until `expires_ms`. The offer is an
//! output locked by the maker's key `K` whose payload is
//! `[goods, signatures, terms]`:
//!
//! - `goods`: the value for sale, its commitments **unblinded**
//!   (`q·B`, `A·B`): offers are public, so anyone can open them;
//! - `terms`: the [`OfferTerms`] encoding (flavors, price, expiry, a salt),
//!   the `signtag` tag;
//! - `signatures`: the maker's two `signtag` signatures (64 bytes each) on
//!   `terms` and the two programs below, so any taker can run them.
//!
//! The key path (`signtx` by `K`) cancels. The two programs, built from the
//! terms and `K` alone (so a taker rebuilds them byte for byte):
//!
//! - **take part** ([`take_part_program`]): the taker names the fill `f`,
//!   the remainder `c` and the payment `p`, each as a scalar and its
//!   unblinded commitment (checked with `unblind`). The program proves
//!   `p·give − f·want ∈ [0, 2^64)` (the payment is at least the
//!   proportional price), that the offer has not expired (`maxtime ≤
//!   expires`), splits the goods into `f` and `c` with a `cloak` (so
//!   `f + c` is exactly what the offer held), pays `p` of B to `K`
//!   (borrowed: the taker's own cloak must repay it) and re-locks `c` under
//!   the same key, signatures and terms: the remainder is the same offer.
//! - **take all** ([`take_all_program`]): the same without a remainder.
//!
//! Both log, before any output, the pair's tag ([`pair_tag`]) then the
//! quantities as 32-byte scalars (`c` then `p`, or `g` then `p`), so a
//! node lists the offer's new output under its pair and anyone can open
//! the remainder and the payment.

use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use musig::{SecretKey, Signature};
use zkvm::{Commitment, Data, Predicate, Program, ProgramItem, ScalarWitness};

use crate::ContractsError;

pub use wallet::{
    pair_tag, price_commitment, OfferTag, OfferTerms, OFFER_SIGNATURES_BYTES, OFFER_TERMS_BYTES,
    OFFER_TERMS_PREFIX, OFFER_TERMS_VERSION,
};

/// An unblinded commitment to `x`, open for the prover.
fn unblinded(x: impl Into<ScalarWitness>) -> Commitment {
    Commitment::blinded_with_factor(x, Scalar::ZERO)
}

/// `maxtime ≤ expires`, the price check `p·give − f·want ≥ 0` over the
/// variables `vf` (under) and `vp` (on top), leaving them.
fn price_and_expiry(p: &mut Program, terms: &OfferTerms) {
    p.dup(0)
        .expr()
        .push(ScalarWitness::from(terms.give))
        .scalar()
        .mul()
        .dup(2)
        .expr()
        .push(ScalarWitness::from(terms.want))
        .scalar()
        .mul()
        .neg()
        .add()
        .range()
        .drop();
    p.push(ScalarWitness::from(terms.expires_ms))
        .scalar()
        .maxtime()
        .neg()
        .add()
        .range()
        .drop();
}

/// The take-part program (docs/spec/contracts.md §Offers, Take part).
///
/// Entry stack (bottom to top): `Cp p Cf f Cc c goods signatures terms`,
/// the first six pushed by the taker (each `C` the unblinded commitment
/// of the scalar after it). Leaves `−P F`: the payment the taker owes
/// (a wide value of `p` of B) and the fill (`f` of A).
pub fn take_part_program(terms: &OfferTerms, maker: &CompressedRistretto) -> Program {
    let mut p = Program::new();
    p.push(pair_tag(&terms.give_flavor, &terms.want_flavor))
        .log();
    // The remainder c: logged, then its commitment checked.
    p.roll(4).roll(4).dup(0).log().unblind();
    // The fill f: checked, its variable kept.
    p.roll(5).roll(5).unblind().dup(0).commit();
    // The payment p: logged, checked, its variable.
    p.roll(7).roll(7).dup(0).log().unblind().commit();
    price_and_expiry(&mut p, terms);
    // Borrow the payment and pay it to the maker.
    p.push(unblinded(terms.want_flavor))
        .commit()
        .borrow()
        .push(Predicate::opaque(*maker))
        .output(1);
    // Split the goods into the fill and the remainder.
    p.roll(1).drop(); // the fill's variable
    p.roll(5).roll(3).roll(3).roll(1);
    p.push(unblinded(terms.give_flavor))
        .roll(1)
        .push(unblinded(terms.give_flavor))
        .cloak(1, 2);
    // Re-lock the remainder as the same offer.
    p.roll(1)
        .roll(4)
        .roll(4)
        .push(Predicate::opaque(*maker))
        .output(3);
    p
}

/// The take-all program (docs/spec/contracts.md §Offers, Take all).
///
/// Entry stack: `Cp p Cg g goods signatures terms`. Leaves `−P G`.
pub fn take_all_program(terms: &OfferTerms, maker: &CompressedRistretto) -> Program {
    let mut p = Program::new();
    p.push(pair_tag(&terms.give_flavor, &terms.want_flavor))
        .log();
    // The whole quantity g: logged, checked, its variable kept.
    p.roll(4).roll(4).dup(0).log().unblind().dup(0).commit();
    // The payment p.
    p.roll(6).roll(6).dup(0).log().unblind().commit();
    price_and_expiry(&mut p, terms);
    p.push(unblinded(terms.want_flavor))
        .commit()
        .borrow()
        .push(Predicate::opaque(*maker))
        .output(1);
    p.roll(1).drop();
    // The goods, re-committed to g: proves the offer held exactly g.
    p.roll(4)
        .roll(2)
        .push(unblinded(terms.give_flavor))
        .cloak(1, 1);
    // Drop the signatures and the terms.
    p.roll(3).drop().roll(2).drop();
    p
}

/// The `signtag` message: `Transcript("ZkVM.signtag")` with `"tag"` =
/// the terms and `"prog"` = the program (docs/spec/zkvm.md §signtag).
fn signtag_transcript(terms: &[u8], program: &Program) -> Transcript {
    let mut t = Transcript::new(b"ZkVM.signtag");
    t.append_message(b"tag", terms);
    t.append_message(b"prog", &ProgramItem::Program(program.clone()).to_bytes());
    t
}

/// The maker's signatures: take part, then take all (128 bytes).
pub fn sign(terms: &OfferTerms, key: &SecretKey) -> Vec<u8> {
    let maker = *key.verification_key().as_compressed();
    let bytes = terms.to_bytes();
    let mut out = Vec::with_capacity(OFFER_SIGNATURES_BYTES);
    for program in [
        take_part_program(terms, &maker),
        take_all_program(terms, &maker),
    ] {
        let sig = Signature::sign(&mut signtag_transcript(&bytes, &program), key);
        out.extend_from_slice(&sig.to_bytes());
    }
    out
}

/// Checks the maker's signatures (what a taker does before building).
pub fn verify(
    terms: &OfferTerms,
    maker: &CompressedRistretto,
    signatures: &[u8],
) -> Result<(), ContractsError> {
    let bad = || ContractsError::Parameters("the offer's signatures do not verify".into());
    if signatures.len() != OFFER_SIGNATURES_BYTES {
        return Err(bad());
    }
    let key = musig::VerificationKey::from_compressed(*maker).map_err(|_| bad())?;
    let bytes = terms.to_bytes();
    for (i, program) in [
        take_part_program(terms, maker),
        take_all_program(terms, maker),
    ]
    .iter()
    .enumerate()
    {
        let sig = Signature::from_bytes(&signatures[64 * i..64 * (i + 1)]).map_err(|_| bad())?;
        sig.verify(&mut signtag_transcript(&bytes, program), &key)
            .map_err(|_| bad())?;
    }
    Ok(())
}

/// An offer output's payload: the goods (unblinded), the signatures, the
/// terms.
pub fn payload(terms: &OfferTerms, qty: u64, signatures: Vec<u8>) -> Vec<zkvm::PortableItem> {
    vec![
        zkvm::PortableItem::Value(goods(terms, qty)),
        zkvm::PortableItem::String(Data::Opaque(signatures)),
        zkvm::PortableItem::String(Data::Opaque(terms.to_bytes())),
    ]
}

/// The goods of an offer holding `qty`: unblinded, open.
pub fn goods(terms: &OfferTerms, qty: u64) -> zkvm::Value {
    zkvm::Value {
        qty: unblinded(qty),
        flv: unblinded(terms.give_flavor),
    }
}

/// What a taker asks of an offer holding `held`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Take {
    /// Units of A taken.
    pub fill: u64,
    /// Units of B paid (at least [`OfferTerms::price_of`]`(fill)`).
    pub pay: u64,
}

/// The taker's part of a take transaction, to put before any other
/// input: the arguments, the offer (its goods open), the program and its
/// signature, `signtag`. Leaves `−P F` (what [`take_part_program`] and
/// [`take_all_program`] leave): the taker's cloak must add `pay` of B and
/// may take `fill` of A.
///
/// For a private offer, `price` is the `(give, want)` its note told the
/// taker; it must open the tag's price commitment.
pub fn take(
    offer: &zkvm::Contract,
    held: u64,
    take: Take,
    price: Option<(u64, u64)>,
) -> Result<Program, ContractsError> {
    let (signatures, terms) = match offer.payload.as_slice() {
        [zkvm::PortableItem::Value(_), zkvm::PortableItem::String(s), zkvm::PortableItem::String(t)] =>
        {
            let tag = OfferTag::from_bytes(&t.to_bytes())?;
            let terms = match (tag.price, price) {
                (Some((g, w)), _) | (None, Some((g, w))) => tag.with_price(g, w)?,
                (None, None) => {
                    return Err(ContractsError::Parameters(
                        "a private offer: its price is in the maker's note to you".into(),
                    ))
                }
            };
            (s.to_bytes(), terms)
        }
        _ => return Err(ContractsError::Parameters("not an offer".into())),
    };
    let maker = offer.predicate.to_point();
    verify(&terms, &maker, &signatures)?;
    if take.fill == 0 || take.fill > held {
        return Err(ContractsError::Parameters(format!(
            "the offer holds {held}: take 1 to {held}, not {}",
            take.fill
        )));
    }
    let open = zkvm::Contract {
        anchor: offer.anchor,
        predicate: Predicate::opaque(maker),
        payload: payload(&terms, held, signatures.clone()),
    };
    if open.id() != offer.id() {
        return Err(ContractsError::Parameters(format!(
            "the offer does not hold {held} (its quantity is logged with it)"
        )));
    }
    let mut p = Program::new();
    p.push(unblinded(take.pay))
        .push(ScalarWitness::from(take.pay));
    let (program, sig) = if take.fill == held {
        p.push(unblinded(held)).push(ScalarWitness::from(held));
        (take_all_program(&terms, &maker), &signatures[64..])
    } else {
        let rest = held - take.fill;
        p.push(unblinded(take.fill))
            .push(ScalarWitness::from(take.fill))
            .push(unblinded(rest))
            .push(ScalarWitness::from(rest));
        (take_part_program(&terms, &maker), &signatures[..64])
    };
    p.push(open)
        .input()
        .program(program)
        .push(sig.to_vec())
        .signtag();
    Ok(p)
}

/// [`make`] as a program of its own: what a wallet runs on the goods it
/// makes for the offer (`wallet::CustomOutput`).
pub fn make_program(terms: &OfferTerms, qty: u64, key: &SecretKey) -> Program {
    let mut p = Program::new();
    make(&mut p, terms, qty, key);
    p
}

/// The maker's part of the transaction that creates an offer, with the
/// goods (unblinded: `qty` of A) on top of the stack: logs the pair's tag
/// and the quantity, then outputs `[goods, signatures, terms]` under the
/// maker's key (docs/spec/contracts.md §Offers, Making).
pub fn make(p: &mut Program, terms: &OfferTerms, qty: u64, key: &SecretKey) {
    let maker = *key.verification_key().as_compressed();
    p.push(pair_tag(&terms.give_flavor, &terms.want_flavor))
        .log()
        .push(ScalarWitness::from(qty))
        .log()
        .push(sign(terms, key))
        .push(terms.to_bytes())
        .push(Predicate::opaque(maker))
        .output(3);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn terms() -> OfferTerms {
        OfferTerms {
            give_flavor: Scalar::from(7u64),
            want_flavor: Scalar::ZERO,
            give: 4,
            want: 10,
            expires_ms: 1_000,
            salt: [5; 16],
            private: false,
        }
    }

    #[test]
    fn terms_round_trip_strictly() {
        let t = terms();
        let bytes = t.to_bytes();
        assert_eq!(bytes.len(), OFFER_TERMS_BYTES);
        assert_eq!(OfferTerms::from_bytes(&bytes).unwrap(), t);
        for cut in 0..bytes.len() {
            assert!(OfferTerms::from_bytes(&bytes[..cut]).is_err());
        }
        let mut zero = t;
        zero.give = 0;
        assert!(OfferTerms::from_bytes(&zero.to_bytes()).is_err());
        let mut same = t;
        same.want_flavor = same.give_flavor;
        assert!(same.check().is_err());
    }

    #[test]
    fn prices_round_up() {
        let t = terms();
        assert_eq!(t.price_of(4), Some(10));
        assert_eq!(t.price_of(1), Some(3));
        assert_eq!(t.price_of(3), Some(8));
        assert_eq!(t.price_of(0), Some(0));
    }

    #[test]
    fn signatures_verify_for_their_maker_and_terms_only() {
        let key = SecretKey::from_scalar(Scalar::from(99u64));
        let other = SecretKey::from_scalar(Scalar::from(98u64));
        let maker = *key.verification_key().as_compressed();
        let t = terms();
        let sigs = sign(&t, &key);
        verify(&t, &maker, &sigs).unwrap();
        assert!(verify(&t, other.verification_key().as_compressed(), &sigs).is_err());
        let mut cheaper = t;
        cheaper.want = 9;
        assert!(verify(&cheaper, &maker, &sigs).is_err());
        assert!(verify(&t, &maker, &sigs[..127]).is_err());
    }
}
