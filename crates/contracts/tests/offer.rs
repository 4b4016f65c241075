#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Offers through the prover and the verifier: a maker offers 100 of A at
//! 10 B per 4 A; a taker takes 30 (paying 75), leaving 70 on offer under
//! the same terms; a second taker takes the 70 (paying 175); a short
//! payment, an expired offer and a forged price are refused.

mod common;

use common::{a, b, key, make_offer, offer_terms as terms, offers, run, take_tx, take_tx_at};
use contracts::offer::{self, OfferTerms, Take};
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use zkvm::{Commitment, Contract, PortableItem, TxEntry};

fn outputs_to(log: &[TxEntry], key: &SecretKey) -> Vec<Contract> {
    let point = *key.verification_key().as_compressed();
    log.iter()
        .filter_map(|e| match e {
            TxEntry::Output(c) if c.predicate.to_point() == point && c.payload.len() == 1 => {
                Some(c.clone())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn an_offer_is_taken_in_part_then_in_full() {
    let maker = key(1000);
    let taker = key(2000);
    let taker2 = key(3000);
    let t = terms();

    // The maker offers 100 A.
    let log = run(make_offer(&t, &maker, 1), 5_000).unwrap();
    let made = offers(&log);
    assert_eq!(made.len(), 1);

    // Refusals: short by one unit, past expiry, more than it holds.
    let short = take_tx(&made[0], 100, Take { fill: 30, pay: 74 }, &taker, 1000, 2);
    let e = run(short, 5_000).unwrap_err();
    assert!(e.contains("`range`"), "{e}");
    let late = take_tx(&made[0], 100, Take { fill: 30, pay: 75 }, &taker, 1000, 2);
    let e = run(late, 10_001).unwrap_err();
    assert!(e.contains("`range`"), "{e}");
    assert!(offer::take(
        &made[0],
        100,
        Take {
            fill: 101,
            pay: 300
        },
        None
    )
    .is_err());
    assert!(offer::take(&made[0], 99, Take { fill: 30, pay: 75 }, None).is_err());

    // 30 for 75: 70 stay on offer, the maker is paid 75 of B.
    let part = take_tx(&made[0], 100, Take { fill: 30, pay: 75 }, &taker, 1000, 2);
    let log = run(part, 5_000).unwrap();
    let rest = offers(&log);
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].payload[1..], made[0].payload[1..]);
    let paid = outputs_to(&log, &maker);
    assert_eq!(paid.len(), 1);
    let PortableItem::Value(v) = &paid[0].payload[0] else {
        panic!()
    };
    assert_eq!(v.qty.to_point(), Commitment::unblinded(75u64).to_point());
    assert_eq!(v.flv.to_point(), Commitment::unblinded(b()).to_point());
    // The log names the pair first, then the remainder and the payment.
    let data: Vec<&Vec<u8>> = log
        .iter()
        .filter_map(|e| match e {
            TxEntry::Data(d) => Some(d),
            _ => None,
        })
        .collect();
    assert_eq!(data[0], &offer::pair_tag(&a(), &b()));
    assert_eq!(data[1].as_slice(), Scalar::from(70u64).as_bytes());
    assert_eq!(data[2].as_slice(), Scalar::from(75u64).as_bytes());

    // The remainder: a second taker takes all 70 for 175.
    let all = take_tx(&rest[0], 70, Take { fill: 70, pay: 175 }, &taker2, 500, 3);
    let log = run(all, 5_000).unwrap();
    assert!(offers(&log).is_empty());
    assert_eq!(outputs_to(&log, &maker).len(), 1);
    // Taking all for one unit less is refused.
    let short = take_tx(&rest[0], 70, Take { fill: 70, pay: 174 }, &taker2, 500, 3);
    assert!(run(short, 5_000).is_err());
}

#[test]
fn a_forged_offer_with_a_better_price_cannot_be_taken() {
    let maker = key(1000);
    let t = terms();
    let made = offers(&run(make_offer(&t, &maker, 1), 5_000).unwrap());
    // Someone relabels the offer's terms: the signatures no longer match.
    let mut forged = made[0].clone();
    let mut cheaper = t;
    cheaper.want = 1;
    forged.payload[2] = PortableItem::String(zkvm::Data::Opaque(cheaper.to_bytes()));
    assert!(offer::take(&forged, 100, Take { fill: 100, pay: 25 }, None).is_err());
}

#[test]
fn a_private_offer_hides_its_price_until_a_taker_names_it() {
    let maker = key(1000);
    let taker = key(2000);
    let t = OfferTerms {
        private: true,
        ..terms()
    };
    let tag = offer::OfferTag::from_bytes(&t.to_bytes()).unwrap();
    assert_eq!(tag.price, None);
    assert_eq!(tag.with_price(4, 10).unwrap(), t);
    assert!(tag.with_price(4, 9).is_err());
    let made = offers(&run(make_offer(&t, &maker, 1), 5_000).unwrap());
    // Without the price, or with another, nothing to build.
    assert!(offer::take(&made[0], 100, Take { fill: 40, pay: 100 }, None).is_err());
    assert!(offer::take(&made[0], 100, Take { fill: 40, pay: 100 }, Some((4, 9))).is_err());
    // With the price the maker's note gives: taken as a public one.
    let take = Take { fill: 40, pay: 100 };
    let p = take_tx_at(&made[0], 100, take, Some((4, 10)), &taker, 1000, 2);
    let log = run(p, 5_000).unwrap();
    assert_eq!(offers(&log).len(), 1);
}
