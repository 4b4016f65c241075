//! The decoders of signatures and of the interactive signing messages must
//! never panic, and whatever they accept must re-encode to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use musig::{NonceCommitment, NoncePrecommitment, Signature, SignatureShare, VerificationKey};

fuzz_target!(|data: &[u8]| {
    if let Ok(sig) = Signature::from_bytes(data) {
        assert_eq!(&sig.to_bytes()[..], data);
    }
    if let Ok(m) = NoncePrecommitment::from_bytes(data) {
        assert_eq!(&m.to_bytes()[..], data);
    }
    if let Ok(m) = NonceCommitment::from_bytes(data) {
        assert_eq!(&m.to_bytes()[..], data);
    }
    if let Ok(m) = SignatureShare::from_bytes(data) {
        assert_eq!(&m.to_bytes()[..], data);
    }
    if let Ok(bytes) = <[u8; 32]>::try_from(data) {
        if let Ok(key) = VerificationKey::from_bytes(&bytes) {
            assert_eq!(key.to_bytes(), bytes);
        }
    }
});
