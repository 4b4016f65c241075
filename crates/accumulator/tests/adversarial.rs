//! Proofs and encodings from an adversary: every one is rejected with the
//! right error, nothing panics, and a failed operation changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use accumulator::{Accumulator, AccumulatorError, Forest, Pollard, Proof, ZkvmHash, MAX_LEAVES};
use proptest::prelude::*;

fn leaf(n: u64) -> ZkvmHash {
    let mut id = [0u8; 32];
    id[..8].copy_from_slice(&n.to_le_bytes());
    ZkvmHash::leaf(&id)
}

/// Wire position of the node at `row`, `index` (docs/spec/utreexo.md
/// §Forest and roots, Positions).
fn wire(row: u32, index: u64) -> u64 {
    if row == 0 {
        index
    } else {
        (u64::MAX << (64 - row)) | index
    }
}

/// Encodes a proof from its parts, whatever they are.
fn encode(targets: &[u64], hashes: &[[u8; 32]]) -> Vec<u8> {
    let mut out = (targets.len() as u32).to_le_bytes().to_vec();
    for t in targets {
        out.extend_from_slice(&t.to_le_bytes());
    }
    out.extend_from_slice(&(hashes.len() as u32).to_le_bytes());
    for h in hashes {
        out.extend_from_slice(h);
    }
    out
}

/// 13 leaves, of which 2 and 5 are spent.
fn sample() -> (Forest, Accumulator, Vec<ZkvmHash>) {
    let leaves: Vec<ZkvmHash> = (0..13).map(leaf).collect();
    let mut forest = Forest::new();
    forest.modify(&leaves, &[]).unwrap();
    let spent = [leaves[2], leaves[5]];
    forest.modify(&[], &spent).unwrap();
    let live = leaves.into_iter().filter(|l| !spent.contains(l)).collect();
    let state = forest.accumulator();
    (forest, state, live)
}

#[test]
fn tampered_proofs_are_rejected() {
    let (forest, state, live) = sample();
    let leaves = [live[0], live[6]];
    let proof = forest.prove(&leaves).unwrap();
    state.verify(&proof, &leaves).unwrap();
    let targets = proof.targets().to_vec();
    let hashes: Vec<[u8; 32]> = proof.hashes().iter().map(|h| h.to_bytes()).collect();
    let check = |bytes: Vec<u8>, for_leaves: &[ZkvmHash]| {
        let proof = Proof::from_bytes(&bytes).unwrap();
        let err = state.verify(&proof, for_leaves).unwrap_err();
        let mut copy = state.clone();
        assert_eq!(
            copy.modify(&[leaf(99)], for_leaves, &proof),
            Err(err.clone())
        );
        assert_eq!(copy, state);
        err
    };

    // A changed hash.
    let mut bad = hashes.clone();
    bad[0][0] ^= 1;
    assert_eq!(
        check(encode(&targets, &bad), &leaves),
        AccumulatorError::InvalidProof
    );
    // The leaves swapped, or another leaf.
    assert_eq!(
        check(encode(&targets, &hashes), &[leaves[1], leaves[0]]),
        AccumulatorError::InvalidProof
    );
    assert_eq!(
        check(encode(&targets, &hashes), &[leaves[0], live[1]]),
        AccumulatorError::InvalidProof
    );
    // A hash too many or too few.
    let mut more = hashes.clone();
    more.push([7; 32]);
    assert_eq!(
        check(encode(&targets, &more), &leaves),
        AccumulatorError::ProofHashCount {
            expected: hashes.len(),
            got: hashes.len() + 1
        }
    );
    assert!(matches!(
        check(encode(&targets, &hashes[1..]), &leaves),
        AccumulatorError::ProofHashCount { .. }
    ));
    // Positions that are no node of the forest.
    for outside in [13, wire(1, 6), wire(4, 0), u64::MAX - 1] {
        assert_eq!(
            check(encode(&[targets[0], outside], &hashes), &leaves),
            AccumulatorError::TargetOutOfRange(outside)
        );
    }
    // Fewer positions than leaves.
    assert_eq!(
        check(encode(&targets[..1], &hashes), &leaves),
        AccumulatorError::TargetCountMismatch {
            targets: 1,
            leaves: 2
        }
    );
    // A reserved value as a leaf.
    let empty = ZkvmHash::from_bytes([0; 32]);
    assert_eq!(
        check(encode(&targets, &hashes), &[leaves[0], empty]),
        AccumulatorError::ReservedLeaf(empty)
    );
    // Duplicate positions cannot even be decoded.
    assert_eq!(
        Proof::from_bytes(&encode(&[targets[0], targets[0]], &hashes)),
        Err(AccumulatorError::DuplicateTarget(targets[0]))
    );
}

#[test]
fn a_proof_goes_stale_when_the_roots_change() {
    let (mut forest, mut state, live) = sample();
    let proof = forest.prove(&live[..1]).unwrap();
    // New leaves merge trees: the old proof lacks the new hashes.
    forest.modify(&[leaf(20), leaf(21), leaf(22)], &[]).unwrap();
    state.add(&[leaf(20), leaf(21), leaf(22)]).unwrap();
    assert!(state.verify(&proof, &live[..1]).is_err());
    // Spending a leaf of the same tree changes the hashes.
    let proof = forest.prove(&live[..1]).unwrap();
    let other = forest.prove(&live[3..4]).unwrap();
    state.modify(&[], &live[3..4], &other).unwrap();
    assert!(state.verify(&proof, &live[..1]).is_err());
}

#[test]
fn forests_refuse_unknown_and_duplicate_leaves() {
    let (mut forest, _, live) = sample();
    let before = forest.accumulator();
    assert_eq!(
        forest.modify(&[], &[live[0], leaf(2)]),
        Err(AccumulatorError::UnknownLeaf(leaf(2)))
    );
    assert_eq!(
        forest.modify(&[], &[live[0], live[0]]),
        Err(AccumulatorError::DuplicateLeaf(live[0]))
    );
    assert_eq!(
        forest.modify(&[live[1]], &[live[0]]),
        Err(AccumulatorError::DuplicateLeaf(live[1]))
    );
    assert_eq!(forest.accumulator(), before);
    assert_eq!(
        forest.prove(&[leaf(5)]),
        Err(AccumulatorError::UnknownLeaf(leaf(5)))
    );
    // Spending a leaf and creating it again in one block is allowed.
    forest.modify(&[live[0]], &[live[0]]).unwrap();
    assert!(forest.contains(&live[0]));
}

#[test]
fn wallets_refuse_proofs_that_do_not_verify() {
    let (forest, state, live) = sample();
    let mut wallet = Pollard::new(state.clone());
    let proof = forest.prove(&live[..1]).unwrap();
    assert_eq!(
        wallet.track(live[1], &proof),
        Err(AccumulatorError::InvalidProof)
    );
    wallet.track(live[0], &proof).unwrap();
    wallet.track(live[0], &proof).unwrap();
    assert_eq!(wallet.tracked(), &live[..1]);
    assert_eq!(
        wallet.prove(&live[1..2]),
        Err(AccumulatorError::UnknownLeaf(live[1]))
    );
    assert_eq!(
        wallet.modify(&[leaf(30)], &[leaf(31)], &[], &Proof::empty()),
        Err(AccumulatorError::UnknownLeaf(leaf(31)))
    );
    assert_eq!(wallet.accumulator(), &state);
    wallet.forget(&live[0]).unwrap();
    assert!(wallet.tracked().is_empty());
    assert_eq!(
        wallet.forget(&live[0]),
        Err(AccumulatorError::UnknownLeaf(live[0]))
    );
}

/// Found by `forged_proofs_are_rejected`: leaf 12 is a one-leaf tree, so a
/// proof that claims it at the position of the 4-leaf tree's root, with no
/// hashes, "computes" the leaf's own hash as a root. rustreexo 0.7.0
/// accepted it because that hash is a root, of another tree; deleting by
/// it would have removed leaves 8 to 11 from the roots instead.
#[test]
fn a_root_of_one_tree_does_not_prove_a_position_in_another() {
    let (forest, state, live) = sample();
    let leaf12 = live[10];
    assert_eq!(leaf12, leaf(12));
    for target in [wire(2, 2), wire(3, 0), wire(1, 5)] {
        let hashes = forest_hashes_for(&forest, target);
        let proof = Proof::from_bytes(&encode(&[target], &hashes)).unwrap();
        assert_eq!(
            state.verify(&proof, &[leaf12]),
            Err(AccumulatorError::InvalidProof),
            "{target}"
        );
        let mut copy = state.clone();
        assert!(copy.modify(&[], &[leaf12], &proof).is_err());
        assert_eq!(copy, state);
        let mut wallet = Pollard::new(state.clone());
        assert!(wallet.track(leaf12, &proof).is_err());
    }
    // Its true proof: its own position, no hashes.
    let proof = forest.prove(&[leaf12]).unwrap();
    assert_eq!(proof.targets(), &[12]);
    state.verify(&proof, &[leaf12]).unwrap();
    // Two targets in different trees, each checked against its own tree.
    let both = forest.prove(&[live[0], leaf12]).unwrap();
    state.verify(&both, &[live[0], leaf12]).unwrap();
    assert!(state.verify(&both, &[leaf12, live[0]]).is_err());
}

/// The hashes a proof for `target` needs, taken from a real proof of a leaf
/// in the same tree so that only the position lies.
fn forest_hashes_for(forest: &Forest, target: u64) -> Vec<[u8; 32]> {
    match target {
        t if t == wire(1, 5) => {
            // (1, 5) needs (1, 4) only: the sibling pair of leaves 8 and 9.
            let p = forest.prove(&[leaf(10)]).unwrap();
            p.hashes()
                .iter()
                .skip(1)
                .take(1)
                .map(|h| h.to_bytes())
                .collect()
        }
        _ => Vec::new(),
    }
}

/// Forests of 62 rows, the largest allowed, with proofs of every shape: no
/// arithmetic in the library may overflow (rustreexo 0.7.0 does at 63 rows).
#[test]
fn the_largest_forests_reject_forged_proofs() {
    for n in [MAX_LEAVES, MAX_LEAVES - 1, (1 << 61) + 5] {
        let mut bytes = n.to_le_bytes().to_vec();
        bytes.extend_from_slice(&n.count_ones().to_le_bytes());
        for i in 0..n.count_ones() {
            bytes.extend_from_slice(&[i as u8 + 1; 32]);
        }
        let state = Accumulator::from_bytes(&bytes).unwrap();
        for target in [0, n - 1, wire(1, 5), wire(61, 0), wire(62, 0), u64::MAX - 1] {
            for count in [0, 1, 60, 61, 62] {
                let proof = Proof::from_bytes(&encode(&[target], &vec![[7; 32]; count])).unwrap();
                assert!(state.verify(&proof, &[leaf(1)]).is_err());
                let mut copy = state.clone();
                assert!(copy.modify(&[leaf(3)], &[leaf(1)], &proof).is_err());
                assert_eq!(copy, state);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever bytes the decoders accept re-encode to the same bytes.
    #[test]
    fn decoders_are_total_and_strict(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(proof) = Proof::from_bytes(&bytes) {
            prop_assert_eq!(proof.to_bytes(), bytes.clone());
        }
        if let Ok(state) = Accumulator::from_bytes(&bytes) {
            prop_assert_eq!(state.to_bytes(), bytes);
        }
    }

    /// Random positions and hashes never prove anything, never panic, and
    /// leave the state unchanged.
    #[test]
    fn forged_proofs_are_rejected(
        rows in prop::collection::vec((0u32..5, 0u64..16), 1..4),
        count in 0usize..12,
        seed in any::<u8>(),
    ) {
        let (forest, state, live) = sample();
        let targets: Vec<u64> = rows.iter().map(|(r, i)| wire(*r, *i)).collect();
        let hashes: Vec<[u8; 32]> = (0..count).map(|i| leaf(u64::from(seed) + i as u64).to_bytes()).collect();
        let Ok(proof) = Proof::from_bytes(&encode(&targets, &hashes)) else {
            return Ok(());
        };
        let leaves: Vec<ZkvmHash> = (0..targets.len()).map(|i| live[(usize::from(seed) + i) % live.len()]).collect();
        // A one-leaf tree's leaf at its own position needs no hashes: then
        // the "random" proof is the true one.
        if forest.prove(&leaves).is_ok_and(|p| p == proof) {
            return Ok(());
        }
        prop_assert!(state.verify(&proof, &leaves).is_err());
        let mut copy = state.clone();
        prop_assert!(copy.modify(&[], &leaves, &proof).is_err());
        prop_assert_eq!(copy, state.clone());
        let mut wallet = Pollard::new(state.clone());
        if leaves.len() == 1 {
            prop_assert!(wallet.track(leaves[0], &proof).is_err());
        }
        prop_assert!(wallet.modify(&[], &[], &leaves, &proof).is_err());
        prop_assert_eq!(wallet.accumulator(), &state);
    }
}
