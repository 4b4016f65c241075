//! The decoders of Utreexo proofs and snapshots (docs/spec/utreexo.md
//! §Proofs, Encoding; §Snapshot of roots) must never panic, and whatever
//! they accept must re-encode to the same bytes. A decoded proof is also
//! checked against a small fixed accumulator, and a decoded snapshot has a
//! fixed proof checked against it and a leaf added: neither may panic.
#![no_main]

use std::sync::OnceLock;

use accumulator::{Accumulator, Forest, Proof, ZkvmHash};
use libfuzzer_sys::fuzz_target;

fn leaf(n: u8) -> ZkvmHash {
    ZkvmHash::leaf(&[n; 32])
}

/// 13 leaves, 2 and 5 spent; the live leaves; a proof of leaves 0 and 7.
fn fixed() -> &'static (Accumulator, Vec<ZkvmHash>, Proof) {
    static FIXED: OnceLock<(Accumulator, Vec<ZkvmHash>, Proof)> = OnceLock::new();
    FIXED.get_or_init(|| {
        let leaves: Vec<ZkvmHash> = (0..13).map(leaf).collect();
        let mut forest = Forest::new();
        forest.modify(&leaves, &[]).expect("adds");
        forest.modify(&[], &[leaves[2], leaves[5]]).expect("deletes");
        let live: Vec<ZkvmHash> = (0..13)
            .filter(|i| *i != 2 && *i != 5)
            .map(leaf)
            .collect();
        let proof = forest.prove(&[leaves[0], leaves[7]]).expect("proves");
        (forest.accumulator(), live, proof)
    })
}

fuzz_target!(|data: &[u8]| {
    let (state, live, fixed_proof) = fixed();
    if let Ok(proof) = Proof::from_bytes(data) {
        assert_eq!(proof.to_bytes(), data, "decoded proof re-encodes differently");
        assert_eq!(proof.serialized_size(), data.len());
        let leaves: Vec<ZkvmHash> = (0..proof.num_targets())
            .map(|i| live[i % live.len()])
            .collect();
        let _ = state.verify(&proof, &leaves);
        let mut copy = state.clone();
        if copy.modify(&[leaf(200)], &leaves, &proof).is_err() {
            assert_eq!(&copy, state, "a failed modification changed the state");
        }
    }
    if let Ok(snapshot) = Accumulator::from_bytes(data) {
        assert_eq!(snapshot.to_bytes(), data, "decoded snapshot re-encodes differently");
        assert_eq!(snapshot.serialized_size(), data.len());
        let _ = snapshot.verify(fixed_proof, &[leaf(0), leaf(7)]);
        let mut grown = snapshot.clone();
        let _ = grown.add(&[leaf(201)]);
    }
});
