//! The contract decoders (docs/spec/wallet.md §Contract terms, §Contract
//! notes; offer tags) must never panic: terms that decode re-encode to the same bytes
//! and give a predicate; a contract note is opened with a fixed view key
//! against the predicate of the terms (when the input decodes as terms) or
//! a fixed one, and fails or gives terms with that predicate.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wallet::{open_contract_note, Keys, OfferTag, Seed, Terms};

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys::new(Seed::from_bytes([7; 64])))
}

fuzz_target!(|data: &[u8]| {
    let keys = keys();
    let mut predicate = keys.receiving_point(0);
    if let Ok(terms) = Terms::from_bytes(data) {
        assert_eq!(terms.to_bytes(), data, "decoded terms re-encode differently");
        predicate = terms.predicate();
    }
    if let Ok(secrets) = open_contract_note(data, keys.view_key(), &predicate) {
        assert_eq!(secrets.terms.predicate(), predicate);
    }
    // Offer tags (docs/spec/contracts.md §Offers): a public tag that
    // decodes re-encodes to the same bytes.
    if let Ok(tag) = OfferTag::from_bytes(data) {
        if let Some(terms) = tag.terms() {
            assert_eq!(terms.to_bytes(), data, "decoded offer terms re-encode differently");
        }
    }
});
