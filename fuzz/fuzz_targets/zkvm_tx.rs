//! The ZkVM decoders must never panic, and whatever they accept must
//! re-encode to exactly the input bytes: transactions, programs and output
//! structures (contracts). A transaction that decodes is also run through
//! the verifier's precomputation (the VM), which must not panic either;
//! rejecting it is fine.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkvm::{Contract, Encodable, Program, Tx, Verifier};

fuzz_target!(|data: &[u8]| {
    if let Ok(tx) = Tx::from_bytes(data) {
        assert_eq!(
            tx.to_bytes(),
            data,
            "decoded transaction re-encodes differently"
        );
        assert_eq!(tx.encoded_size(), data.len());
        let _ = Verifier::precompute(&tx);
    }
    if let Ok(program) = Program::parse(data) {
        assert_eq!(
            program.encode_to_vec(),
            data,
            "parsed program re-encodes differently"
        );
        assert_eq!(program.encoded_size(), data.len());
    }
    if let Ok(contract) = Contract::from_bytes(data) {
        assert_eq!(
            contract.encode_to_vec(),
            data,
            "decoded contract re-encodes differently"
        );
        assert_eq!(contract.encoded_size(), data.len());
        // The ID is a hash of the same fields; computing it must not panic.
        let _ = contract.id();
    }
});
