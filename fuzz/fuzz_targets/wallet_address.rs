//! The address parser (docs/spec/wallet.md §Addresses) must never panic,
//! and whatever it accepts must print back to the same string; the byte
//! decoder likewise re-encodes to its input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wallet::Address;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(address) = s.parse::<Address>() {
            assert_eq!(address.to_string(), s, "parsed address prints differently");
        }
    }
    if let Ok(address) = Address::from_bytes(data) {
        assert_eq!(
            address.to_bytes().as_slice(),
            data,
            "decoded address re-encodes differently"
        );
    }
});
