//! The decoders of what validators sign and peers send about them
//! (docs/spec/consensus.md §Validator set, §Commit certificate,
//! §Validator-set changes): a validator set, a commit certificate, a
//! set-change approval and an approved change, bare or as a transaction
//! log entry, a stored evidence record. None may panic, and what each
//! accepts must re-encode to the same bytes (strict, one encoding per
//! value). The engine's network
//! messages (Malachite's, through `consensus::ZkCodec`) must decode
//! without panicking too.
#![no_main]

use consensus::{
    Approval, ApprovedSetChange, CommitCertificate, Evidence, ValidatorKey, ValidatorSet, ZkCodec,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(set) = ValidatorSet::from_bytes(data) {
        assert_eq!(set.to_bytes(), data);
    }
    if let Ok(certificate) = CommitCertificate::from_bytes(data) {
        assert_eq!(certificate.to_bytes(), data);
    }
    if let Ok(approval) = Approval::from_bytes(data) {
        assert_eq!(approval.to_bytes().as_slice(), data);
    }
    if let Ok(change) = ApprovedSetChange::from_bytes(data) {
        assert_eq!(change.to_bytes(), data);
    }
    if let Some(Ok(change)) = ApprovedSetChange::from_log_data(data) {
        assert_eq!(change.to_log_data(), data);
    }
    if let Ok(evidence) = Evidence::from_bytes(data) {
        assert_eq!(evidence.to_bytes(), data);
    }
    let _ = ZkCodec.decode_every_kind(data);
    if let Ok(key) = <&[u8; 32]>::try_from(data) {
        if let Ok(key) = ValidatorKey::from_bytes(key) {
            assert_eq!(&key.to_bytes(), data);
        }
    }
});
