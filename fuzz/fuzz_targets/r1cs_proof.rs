//! `R1CSProof::from_bytes` must never panic, and whatever it accepts must
//! re-encode to exactly the same bytes (the encoding is strict).
#![no_main]

use libfuzzer_sys::fuzz_target;
use r1cs::R1CSProof;

fuzz_target!(|data: &[u8]| {
    if let Ok(proof) = R1CSProof::from_bytes(data) {
        assert_eq!(
            proof.to_bytes(),
            data,
            "decoded proof re-encodes differently"
        );
        assert_eq!(proof.serialized_size(), data.len());
    }
});
