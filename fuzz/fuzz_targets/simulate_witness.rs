//! The witness file parser of `zkvm tx simulate` and `POST /v1/simulate`
//! (docs/spec/simulate.md §Witness file) must never panic: any bytes are
//! a witness or an error naming the field. Parsed witnesses with short
//! programs are simulated too, which must not panic either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkvm::simulate::{Options, Witness};
use zkvm::Encodable;

fuzz_target!(|data: &[u8]| {
    match Witness::from_json(data) {
        Ok(w) => {
            if w.program.encoded_size() <= 4096 {
                let sim = w.simulate(&Options {
                    trace: true,
                    fee_rate: None,
                });
                assert_eq!(sim.ok, sim.failure.is_none());
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
