//! Public offer terms (docs/spec/contracts.md §Offers, Terms): the tag of
//! an offer output, which a wallet recognizes (its own offers, the
//! payments they receive) and a node lists by pair. The programs that
//! take an offer are in the `contracts` crate.

use curve25519_dalek::scalar::Scalar;

use crate::WalletError;

/// The first bytes of an offer's terms.
pub const OFFER_TERMS_PREFIX: &[u8] = b"ZkVM.offer";

/// The terms' version byte.
pub const OFFER_TERMS_VERSION: u8 = 1;

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
}

impl OfferTerms {
    /// The encoding (the `signtag` tag): `"ZkVM.offer" || 0x01 || A || B
    /// || LE64 give || LE64 want || LE64 expires_ms || salt`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(OFFER_TERMS_BYTES);
        out.extend_from_slice(OFFER_TERMS_PREFIX);
        out.push(OFFER_TERMS_VERSION);
        out.extend_from_slice(self.give_flavor.as_bytes());
        out.extend_from_slice(self.want_flavor.as_bytes());
        out.extend_from_slice(&self.give.to_le_bytes());
        out.extend_from_slice(&self.want.to_le_bytes());
        out.extend_from_slice(&self.expires_ms.to_le_bytes());
        out.extend_from_slice(&self.salt);
        out
    }

    /// Strict decoding of [`OfferTerms::to_bytes`]: exactly
    /// [`OFFER_TERMS_BYTES`], canonical flavors, a price with both sides positive.
    pub fn from_bytes(bytes: &[u8]) -> Result<OfferTerms, WalletError> {
        let bad = |what: &str| WalletError::Terms(format!("offer terms: {what}"));
        if bytes.len() != OFFER_TERMS_BYTES || !bytes.starts_with(OFFER_TERMS_PREFIX) {
            return Err(bad("not offer terms"));
        }
        let rest = &bytes[OFFER_TERMS_PREFIX.len()..];
        if rest[0] != OFFER_TERMS_VERSION {
            return Err(bad("unknown version"));
        }
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
        let mut salt = [0u8; 16];
        salt.copy_from_slice(&rest[89..105]);
        let terms = OfferTerms {
            give_flavor: scalar(1)?,
            want_flavor: scalar(33)?,
            give: u64_at(65),
            want: u64_at(73),
            expires_ms: u64_at(81),
            salt,
        };
        terms.check()?;
        Ok(terms)
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
