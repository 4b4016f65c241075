//! Times a commit certificate's check (docs/spec/consensus.md §Commit
//! certificate) for sets of 1, 4 and 16 validators of equal power, signed
//! by all of them, and prints its encoded size: decoding plus
//! `CommitCertificate::verify` (its signatures in one batch), against
//! decoding plus each signature checked alone (the check before batching).
//! A timed run, not a test:
//! `cargo run --release -p consensus --example certificate_check`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::Instant;

use blockchain::BlockID;
use consensus::signing::{precommit_sign_bytes, sign_bytes, verify_bytes};
use consensus::{ChainId, CommitCertificate, Validator, ValidatorKey, ValidatorSet};
use musig::SecretKey;

fn main() {
    let mut rng = rand::thread_rng();
    let chain = ChainId([7u8; 32]);
    let block = BlockID::from_bytes([9u8; 32]);
    for n in [1usize, 4, 16] {
        let keys: Vec<SecretKey> = (0..n).map(|_| SecretKey::random(&mut rng)).collect();
        let set = ValidatorSet::new(
            keys.iter()
                .map(|k| {
                    Validator::new(ValidatorKey::new(k.verification_key()).unwrap(), 1).unwrap()
                })
                .collect(),
        )
        .unwrap();
        let msg = precommit_sign_bytes(&chain, 5, 0, &block);
        let signatures = keys
            .iter()
            .map(|k| {
                let address = ValidatorKey::new(k.verification_key()).unwrap().address();
                (address, sign_bytes(k, &msg))
            })
            .collect();
        let cert = CommitCertificate::new(5, 0, block, signatures);
        let bytes = cert.to_bytes();
        let runs = 200u32;
        let started = Instant::now();
        for _ in 0..runs {
            let decoded = CommitCertificate::from_bytes(&bytes).unwrap();
            decoded.verify(&chain, &set).unwrap();
        }
        let batched = started.elapsed() / runs;
        let started = Instant::now();
        for _ in 0..runs {
            let decoded = CommitCertificate::from_bytes(&bytes).unwrap();
            for (address, sig) in decoded.signatures() {
                let key = set.get(address).unwrap().key();
                verify_bytes(key, &msg, sig).unwrap();
            }
        }
        let alone = started.elapsed() / runs;
        println!(
            "{n:>2} validators: certificate {} bytes; decode + check: batched {:?} ({:?} per signature), one by one {:?} ({:?} per signature)",
            bytes.len(),
            batched,
            batched / n as u32,
            alone,
            alone / n as u32
        );
    }
}
