//! The note decoders (docs/spec/wallet.md §Notes) must never panic, and
//! whatever they accept must re-encode to the same bytes. A decoded note is
//! also opened with a fixed view key (it must fail or give a valid
//! opening, never panic).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wallet::{EncryptedNote, Keys, NoteOpening, Seed};

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys::new(Seed::from_bytes([7; 64])))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(note) = EncryptedNote::from_bytes(data) {
        assert_eq!(note.to_bytes(), data, "decoded note re-encodes differently");
        let keys = keys();
        if let Ok(opening) = note.open(keys.view_key(), &keys.receiving_point(0)) {
            assert_eq!(
                NoteOpening::from_bytes(&opening.to_bytes()).ok(),
                Some(opening)
            );
        }
    }
    if let Ok(opening) = NoteOpening::from_bytes(data) {
        assert_eq!(
            opening.to_bytes(),
            data,
            "decoded opening re-encodes differently"
        );
    }
});
