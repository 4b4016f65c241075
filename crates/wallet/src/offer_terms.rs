//! Offer terms (docs/spec/contracts.md §Offers, Terms): the tag of
//! an offer output, which a wallet recognizes (its own offers, the
//! payments they receive) and a node lists by pair. The programs that
//! take an offer are in the `contracts` crate.

use curve25519_dalek::scalar::Scalar;

use crate::WalletError;

/// The first bytes of an offer's terms.
pub const OFFER_TERMS_PREFIX: &[u8] = b"ZkVM.offer";

/// The terms' version byte: 1 with the price in clear, 2 with only a
/// commitment to it (a private offer, its price in notes to its takers).
pub const OFFER_TERMS_VERSION: u8 = 1;

/// The version byte of private terms.
pub const PRIVATE_OFFER_TERMS_VERSION: u8 = 2;

/// Bytes of private terms: prefix, version, two flavors, expiry, salt,
/// price commitment.
pub const PRIVATE_OFFER_TERMS_BYTES: usize = OFFER_TERMS_PREFIX.len() + 1 + 32 + 32 + 8 + 16 + 32;

/// Bytes of the terms: prefix, version, two flavors, three LE64, salt.
pub const OFFER_TERMS_BYTES: usize = OFFER_TERMS_PREFIX.len() + 1 + 32 + 32 + 8 + 8 + 8 + 16;

/// Bytes of the signatures item: take part, then take all.
pub const OFFER_SIGNATURES_BYTES: usize = 128;

/// What a maker offers, and at which price (docs/spec/contracts.md
/// §Offers, Terms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OfferTerms {
    /// The flavor sold (A).
    pub give_flavor: Scalar,
    /// The flavor asked for (B).
    pub want_flavor: Scalar,
    /// The price: `want` units of B for every `give` units of A.
    pub give: u64,
    /// See `give`.
    pub want: u64,
    /// After this time (ms since the Unix epoch) the offer cannot be
    /// taken, only cancelled.
    pub expires_ms: u64,
    /// Makes two offers with the same price different tags.
    pub salt: [u8; 16],
    /// The tag hides the price (its commitment only): takers learn it from
    /// the maker's notes, everyone else when the offer is taken.
    pub private: bool,
}

/// An offer's tag as read from an output: the pair, the expiry, and the
/// price if the tag shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OfferTag {
    /// The flavor sold (A).
    pub give_flavor: Scalar,
    /// The flavor asked for (B).
    pub want_flavor: Scalar,
    /// The expiry.
    pub expires_ms: u64,
    /// The salt.
    pub salt: [u8; 16],
    /// `(give, want)` for a public offer; `None` for a private one.
    pub price: Option<(u64, u64)>,
    /// For a private offer, the price commitment.
    pub price_commitment: [u8; 32],
}

impl OfferTag {
    /// Parses either version of the terms, strictly.
    pub fn from_bytes(bytes: &[u8]) -> Result<OfferTag, WalletError> {
        let bad = |what: &str| WalletError::Terms(format!("offer terms: {what}"));
        if !bytes.starts_with(OFFER_TERMS_PREFIX) || bytes.len() <= OFFER_TERMS_PREFIX.len() {
            return Err(bad("not offer terms"));
        }
        let rest = &bytes[OFFER_TERMS_PREFIX.len()..];
        let private = match (rest[0], bytes.len()) {
            (OFFER_TERMS_VERSION, OFFER_TERMS_BYTES) => false,
            (PRIVATE_OFFER_TERMS_VERSION, PRIVATE_OFFER_TERMS_BYTES) => true,
            _ => return Err(bad("unknown version or length")),
        };
        let scalar = |at: usize| {
            let mut b = [0u8; 32];
            b.copy_from_slice(&rest[at..at + 32]);
            Option::<Scalar>::from(Scalar::from_canonical_bytes(b)).ok_or(bad("flavor"))
        };
        let u64_at = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&rest[at..at + 8]);
            u64::from_le_bytes(b)
        };
        let (give_flavor, want_flavor) = (scalar(1)?, scalar(33)?);
        let mut salt = [0u8; 16];
        let mut price_commitment = [0u8; 32];
        let (price, expires_ms) = if private {
            salt.copy_from_slice(&rest[73..89]);
            price_commitment.copy_from_slice(&rest[89..121]);
            (None, u64_at(65))
        } else {
            salt.copy_from_slice(&rest[89..105]);
            (Some((u64_at(65), u64_at(73))), u64_at(81))
        };
        let tag = OfferTag {
            give_flavor,
            want_flavor,
            expires_ms,
            salt,
            price,
            price_commitment,
        };
        if let Some((give, want)) = price {
            tag.with_price(give, want)?;
        } else if give_flavor == want_flavor {
            return Err(bad("an offer trades two different assets"));
        }
        Ok(tag)
    }

    /// The terms with the price `(give, want)`: for a private tag, the
    /// price must open its commitment; for a public one, equal it.
    pub fn with_price(&self, give: u64, want: u64) -> Result<OfferTerms, WalletError> {
        let terms = OfferTerms {
            give_flavor: self.give_flavor,
            want_flavor: self.want_flavor,
            give,
            want,
            expires_ms: self.expires_ms,
            salt: self.salt,
            private: self.price.is_none(),
        };
        terms.check()?;
        let matches = match self.price {
            Some(p) => p == (give, want),
            None => price_commitment(give, want, &self.salt) == self.price_commitment,
        };
        if !matches {
            return Err(WalletError::Terms(
                "offer terms: the price does not match the offer".into(),
            ));
        }
        Ok(terms)
    }

    /// The terms, if the tag shows the price.
    pub fn terms(&self) -> Option<OfferTerms> {
        self.price.and_then(|(g, w)| self.with_price(g, w).ok())
    }
}

/// A private offer's price commitment: `Transcript("ZkVM.offer.price")`
/// with `"give"`, `"want"` (LE64) and `"salt"`, 32 challenge bytes
/// `"commitment"`. The salt is 16 random bytes, so the price cannot be
/// guessed from it by trying prices.
pub fn price_commitment(give: u64, want: u64, salt: &[u8; 16]) -> [u8; 32] {
    let mut t = merlin::Transcript::new(b"ZkVM.offer.price");
    t.append_message(b"give", &give.to_le_bytes());
    t.append_message(b"want", &want.to_le_bytes());
    t.append_message(b"salt", salt);
    let mut c = [0u8; 32];
    t.challenge_bytes(b"commitment", &mut c);
    c
}

impl OfferTerms {
    /// The encoding (the `signtag` tag): `"ZkVM.offer" || 0x01 || A || B
    /// || LE64 give || LE64 want || LE64 expires_ms || salt`, or for a
    /// private offer `"ZkVM.offer" || 0x02 || A || B || LE64 expires_ms ||
    /// salt || price commitment` ([`price_commitment`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PRIVATE_OFFER_TERMS_BYTES);
        out.extend_from_slice(OFFER_TERMS_PREFIX);
        if self.private {
            out.push(PRIVATE_OFFER_TERMS_VERSION);
            out.extend_from_slice(self.give_flavor.as_bytes());
            out.extend_from_slice(self.want_flavor.as_bytes());
            out.extend_from_slice(&self.expires_ms.to_le_bytes());
            out.extend_from_slice(&self.salt);
            out.extend_from_slice(&price_commitment(self.give, self.want, &self.salt));
            return out;
        }
        out.push(OFFER_TERMS_VERSION);
        out.extend_from_slice(self.give_flavor.as_bytes());
        out.extend_from_slice(self.want_flavor.as_bytes());
        out.extend_from_slice(&self.give.to_le_bytes());
        out.extend_from_slice(&self.want.to_le_bytes());
        out.extend_from_slice(&self.expires_ms.to_le_bytes());
        out.extend_from_slice(&self.salt);
        out
    }

    /// Strict decoding of public terms ([`OfferTag::from_bytes`] reads
    /// both kinds).
    pub fn from_bytes(bytes: &[u8]) -> Result<OfferTerms, WalletError> {
        OfferTag::from_bytes(bytes)?.terms().ok_or_else(|| {
            WalletError::Terms("offer terms: a private offer's price is in its notes".into())
        })
    }

    /// Both sides of the price positive, two different assets.
    pub fn check(&self) -> Result<(), WalletError> {
        if self.give == 0 || self.want == 0 {
            return Err(WalletError::Terms(
                "an offer's price has two positive sides".into(),
            ));
        }
        if self.give_flavor == self.want_flavor {
            return Err(WalletError::Terms(
                "an offer trades two different assets".into(),
            ));
        }
        Ok(())
    }

    /// The least payment in B for `fill` units of A:
    /// `ceil(fill · want / give)`, or `None` past 2^64 − 1.
    pub fn price_of(&self, fill: u64) -> Option<u64> {
        let num = u128::from(fill) * u128::from(self.want);
        let give = u128::from(self.give);
        u64::try_from(num.div_ceil(give)).ok()
    }

    /// The price as units of B per unit of A, for sorting a book (lower
    /// is better for a taker).
    pub fn unit_price(&self) -> f64 {
        self.want as f64 / self.give as f64
    }
}

/// The tag a node lists an offer's outputs under (docs/api.md §`GET
/// /v1/contracts`): `"ZkVM.offer.pair" || A[..16] || B[..16]` (47 bytes).
pub fn pair_tag(give_flavor: &Scalar, want_flavor: &Scalar) -> Vec<u8> {
    let mut tag = b"ZkVM.offer.pair".to_vec();
    tag.extend_from_slice(&give_flavor.as_bytes()[..16]);
    tag.extend_from_slice(&want_flavor.as_bytes()[..16]);
    tag
}

/// The quantity behind an unblinded quantity commitment `qty`, found among
/// a transaction's `data` entries: offers and their takes log every
/// quantity they commit to as a 32-byte scalar (docs/spec/contracts.md
/// §Offers, What is logged).
pub fn logged_quantity<'a>(
    qty: &curve25519_dalek::ristretto::CompressedRistretto,
    data: impl IntoIterator<Item = &'a [u8]>,
) -> Option<u64> {
    data.into_iter().find_map(|d| {
        if d.len() != 32 || d[8..].iter().any(|b| *b != 0) {
            return None;
        }
        let mut q = [0u8; 8];
        q.copy_from_slice(&d[..8]);
        let q = u64::from_le_bytes(q);
        (zkvm::Commitment::unblinded(q).to_point() == *qty).then_some(q)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn terms_round_trip_through_their_tag(
            a: u64, b in 1u64.., give in 1u64.., want in 1u64.., expires: u64,
            salt: [u8; 16], private: bool,
        ) {
            prop_assume!(a != b);
            let terms = OfferTerms {
                give_flavor: Scalar::from(a),
                want_flavor: Scalar::from(b),
                give,
                want,
                expires_ms: expires,
                salt,
                private,
            };
            let bytes = terms.to_bytes();
            let tag = OfferTag::from_bytes(&bytes).unwrap();
            prop_assert_eq!(tag.with_price(give, want).unwrap(), terms);
            prop_assert_eq!(tag.terms().is_some(), !private);
            if private {
                prop_assert!(tag.with_price(give, want.wrapping_add(1).max(1)).is_err() || want == u64::MAX);
            } else {
                prop_assert_eq!(OfferTerms::from_bytes(&bytes).unwrap().to_bytes(), bytes);
            }
        }

        #[test]
        fn decoding_arbitrary_tags_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = OfferTag::from_bytes(&bytes);
        }
    }

    #[test]
    fn logged_quantities_are_found_by_their_commitment() {
        let qty = zkvm::Commitment::unblinded(42u64).to_point();
        let entries: Vec<Vec<u8>> = vec![
            vec![1; 47],
            Scalar::from(41u64).to_bytes().to_vec(),
            Scalar::from(42u64).to_bytes().to_vec(),
        ];
        assert_eq!(
            logged_quantity(&qty, entries.iter().map(Vec::as_slice)),
            Some(42)
        );
        assert_eq!(
            logged_quantity(&qty, entries[..2].iter().map(Vec::as_slice)),
            None
        );
    }
}
