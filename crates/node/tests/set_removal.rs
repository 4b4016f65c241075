#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! A validator removed by a set change (docs/spec/consensus.md
//! §Validator-set changes, Engine: "a removed validator's engine stops
//! voting and follows"), in process on loopback: four validators A..D of
//! power 1 and a follower. A change approved by three of the four removes
//! D and gives A power 2 (new set A:2, B:1, C:1, so a quorum is A with
//! one other, and B with C is not one). Blocks below the effective height
//! are certified by the old set, from it on by the new one, never with
//! D's signature; D's node keeps the same blocks as the others and its
//! engine follows with the new set; approvals are judged with the new
//! powers (D's refused as an unknown signer); with D's node stopped, A, B
//! and C keep deciding, and with B's stopped too, A and C (two of three,
//! but 3 of 4 power). Every wait is bounded.

mod common;

use blockchain::Block;
use common::federation::{approved, height, pay_logging, set_with_powers, validators, Federation};
use common::peer::wait_for;
use common::Net;
use consensus::{ChainId, CommitCertificate, SetChange, ValidatorKey, ValidatorSet};
use node::{Chain, Client, Limits, RunningNode};

/// The header and certificate of `node`'s stored block at `h`.
fn sealed(node: &RunningNode, h: u64) -> (blockchain::BlockHeader, Option<Vec<u8>>) {
    let bytes = node
        .chain()
        .unwrap()
        .blocks()
        .block_bytes(h)
        .unwrap()
        .unwrap_or_else(|| panic!("no block {h}"));
    let b = Block::from_bytes(&bytes).unwrap();
    (b.header, b.certificate)
}

/// Checks the certificate of every block of `node` in `from..=to` against
/// the set in force at its height (`old` below `effective`, `new` from it
/// on); none from `effective` on may carry `removed`'s signature.
fn check_certificates(
    node: &RunningNode,
    chain: &ChainId,
    (from, to): (u64, u64),
    (old, new, effective): (&ValidatorSet, &ValidatorSet, u64),
    removed: &consensus::Address,
) {
    for h in from..=to {
        let (header, cert) = sealed(node, h);
        let set = if h < effective { old } else { new };
        let c = CommitCertificate::check_seal(&header, cert.as_deref(), chain, set)
            .unwrap_or_else(|e| panic!("block {h}: {e}"));
        if h >= effective {
            assert!(
                c.signatures().iter().all(|(a, _)| a != removed),
                "block {h} carries the removed validator's signature"
            );
        }
    }
}

#[test]
fn a_removed_validator_stops_voting_and_follows() {
    let mut net = Net::new(6);
    let (scalars, keys, old) = validators();
    net.genesis.validators = old.genesis_entries();
    let genesis = net.genesis.clone();
    let chain = ChainId::from_genesis(genesis.state().unwrap().initial.id());
    let [a, b, c, d] = [&keys[0], &keys[1], &keys[2], &keys[3]];
    let new = set_with_powers(&[(a, 2), (b, 1), (c, 1)]);
    let removed = ValidatorKey::new(d.verification_key()).unwrap().address();
    let Federation {
        dirs,
        validators: mut nodes,
        follower,
    } = Federation::start(&genesis, &scalars, 50, 300);
    wait_for("the follower at height 3", 90, || height(&follower) >= 3);
    let client = Client::new(&follower.url()).unwrap();

    // Three of four (D approving its own removal) remove D.
    let effective = height(&follower) + 10;
    let change = SetChange::new(effective, new.clone());
    let good = approved(&chain, &change, &old, &[a, b, d]);
    let tx = pay_logging(&mut net, 0, good.to_log_data());
    let id = client.submit(&tx.to_bytes()).unwrap().id;
    let mut included = 0;
    wait_for("the change included", 60, || {
        match client.tx(&id).unwrap().and_then(|t| t.height) {
            Some(h) => {
                included = h;
                true
            }
            None => false,
        }
    });
    assert!(
        included + 2 <= effective,
        "included at {included}, effective {effective}"
    );

    // Past the effective height: old set below it, new set from it on,
    // D never signing.
    let past = effective + 5;
    wait_for("the follower past the effective height", 120, || {
        height(&follower) >= past
    });
    check_certificates(
        &follower,
        &chain,
        (2, past),
        (&old, &new, effective),
        &removed,
    );

    // D's node follows: same block at every height as every other node.
    for n in &nodes {
        wait_for("every node past the effective height", 60, || {
            height(n) >= past
        });
    }
    for h in 2..=past {
        let (header, _) = sealed(&follower, h);
        for (i, n) in nodes.iter().enumerate() {
            assert_eq!(sealed(n, h).0.id(), header.id(), "node {i} at {h}");
        }
    }
    // D's engine runs with the new set and has left the removal behind
    // (it follows rather than stalling at the effective height); A's
    // engine shows the same set.
    for (i, n) in [(0, &nodes[0]), (3, &nodes[3])] {
        let status = Client::new(&n.url()).unwrap().status().unwrap();
        let engine = status.consensus.expect("a validator's status");
        assert!(
            engine.height > effective,
            "node {i}'s engine at {}",
            engine.height
        );
        assert_eq!(engine.validators, 3, "node {i}");
        assert_eq!(engine.total_power, 4, "node {i}");
        // Its last decision, past the change, was signed without D.
        let decision = engine.last_decision.expect("a decision since start");
        assert!(decision.height >= effective, "node {i}: {decision:?}");
        assert!(
            !decision.signers.contains(&removed.to_string()),
            "node {i}: {decision:?}"
        );
    }

    // Approvals from E on are judged by the new set: D's signature is an
    // unknown signer's, even beside a quorum of A and B.
    let back = SetChange::new(height(&follower) + 1000, old.clone());
    let with_d = approved(&chain, &back, &new, &[a, b, d]);
    let tx = pay_logging(&mut net, 1, with_d.to_log_data());
    let refused = client.submit(&tx.to_bytes()).unwrap_err().to_string();
    assert!(refused.contains("is not in the validator set"), "{refused}");
    // B and C are two of three validators but half the power: refused.
    let b_and_c = approved(&chain, &back, &new, &[b, c]);
    let tx = pay_logging(&mut net, 2, b_and_c.to_log_data());
    let refused = client.submit(&tx.to_bytes()).unwrap_err().to_string();
    assert!(
        refused.contains("signed by 2 of 4 voting power"),
        "{refused}"
    );
    // A (power 2) and B are a quorum of the new set although two of three.
    let a_and_b = approved(&chain, &back, &new, &[a, b]);
    let tx = pay_logging(&mut net, 3, a_and_b.to_log_data());
    client.submit(&tx.to_bytes()).unwrap();

    // D's node stopped: A, B and C keep deciding, certified by the new set.
    let d_node = nodes.pop().unwrap();
    d_node.stop().unwrap();
    let stopped_at = height(&follower);
    wait_for("three blocks decided without D", 60, || {
        height(&follower) >= stopped_at + 3
    });
    let last = height(&follower);
    check_certificates(
        &follower,
        &chain,
        (past + 1, last),
        (&old, &new, effective),
        &removed,
    );

    // B stopped too: A and C are two of three validators, no quorum at
    // power 1 each, but 3 of 4 with A's power 2, so they keep deciding
    // (B's proposer turns time out), each block signed by both.
    let b_node = nodes.remove(1);
    b_node.stop().unwrap();
    // B's engine ran at most one height past its stored tip, so it
    // signed nothing above that.
    let b_tip = Chain::open(&dirs[1].path().join("chain.redb"), Limits::default())
        .unwrap()
        .view()
        .height();
    let stopped_at = height(&follower).max(b_tip + 1);
    wait_for("three blocks decided by A and C", 90, || {
        height(&follower) >= stopped_at + 3
    });
    let end = height(&follower);
    check_certificates(
        &follower,
        &chain,
        (last + 1, end),
        (&old, &new, effective),
        &removed,
    );
    let a_and_c: Vec<consensus::Address> = [a, c]
        .iter()
        .map(|k| ValidatorKey::new(k.verification_key()).unwrap().address())
        .collect();
    for h in stopped_at + 1..=end {
        let (header, cert) = sealed(&follower, h);
        let cert = CommitCertificate::check_seal(&header, cert.as_deref(), &chain, &new).unwrap();
        let mut signers: Vec<_> = cert.signatures().iter().map(|(s, _)| *s).collect();
        signers.sort();
        let mut expected = a_and_c.clone();
        expected.sort();
        assert_eq!(signers, expected, "block {h}");
    }
    follower.stop().unwrap();
    for n in nodes {
        n.stop().unwrap();
    }
}
