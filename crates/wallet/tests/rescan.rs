#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Rescans from a past height (docs/spec/wallet.md §Rescan) over a chain in
//! memory: a wallet restored with a birthday finds the payments from that
//! height on and not those before; a past state that fails a check (another
//! network, a forged signature, roots that do not give the header's
//! utxoroot, a height above the wallet's) changes nothing; a rescan over
//! another chain than the one the wallet scanned stops at the old tip.

mod common;

use accumulator::ZkvmHash;
use blockchain::{utxo_leaf, BlockchainError, ChainState};
use common::{genesis_output, Chain, TempPath};
use curve25519_dalek::scalar::Scalar;
use musig::{SecretKey, Signature};
use rand::rngs::StdRng;
use rand::SeedableRng;
use wallet::{Keys, Seed, Wallet, WalletError};

const PHRASE: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art";

/// A chain and the state after each height (index 0: height 1), with each
/// block's signature (none at height 1): what a node's `GET
/// /v1/snapshots/{height}` serves.
struct History {
    chain: Chain,
    states: Vec<(ChainState, Option<Signature>)>,
}

impl History {
    fn new(chain: Chain) -> History {
        let states = vec![(chain.state.clone(), None)];
        History { chain, states }
    }

    fn produce(&mut self, txs: Vec<zkvm::Tx>) {
        let block = self.chain.produce(txs);
        self.states
            .push((self.chain.state.clone(), Some(block.signature)));
    }

    /// The snapshot at `height` and its block's signature.
    fn past(&self, height: u64) -> (Vec<u8>, Option<Signature>) {
        let (state, sig) = &self.states[height as usize - 1];
        (state.to_snapshot(), *sig)
    }
}

/// The wallet's native balance, spendable.
fn native(w: &Wallet) -> u128 {
    w.balance(Scalar::ZERO).spendable
}

/// The wallet's pollard is the chain's accumulator and proves its outputs.
fn assert_in_step(w: &Wallet, chain: &Chain) {
    assert_eq!(w.chain_state(), Some(&chain.state));
    let ids: Vec<_> = w.utxos().map(|u| u.id()).collect();
    if !ids.is_empty() {
        let leaves: Vec<ZkvmHash> = ids.iter().map(utxo_leaf).collect();
        chain
            .state
            .utxos
            .verify(&w.prove(&ids).unwrap(), &leaves)
            .unwrap();
    }
}

/// A network where the genesis funds `payer`, and blocks 2 (empty), 3 (700
/// to `payee`), 4 (empty) and 5 (50 to `payee`).
fn network(payer: &mut Wallet, payee: &Keys, rng: &mut StdRng) -> History {
    let utxos = vec![genesis_output(
        &payer.keys().address(0),
        1_000_000,
        b"rescan",
        0,
        rng,
    )];
    let mut h = History::new(Chain::start(utxos, SecretKey::random(rng)));
    payer.sync(&h.chain).unwrap();
    h.produce(vec![]);
    payer.sync(&h.chain).unwrap();
    let paid = payer
        .send(&payee.address(0), 700, Scalar::ZERO, 0, rng)
        .unwrap();
    h.produce(vec![paid.tx]);
    h.produce(vec![]);
    payer.sync(&h.chain).unwrap();
    let paid = payer
        .send(&payee.address(1), 50, Scalar::ZERO, 0, rng)
        .unwrap();
    h.produce(vec![paid.tx]);
    payer.sync(&h.chain).unwrap();
    h
}

#[test]
fn a_restored_wallet_finds_the_payments_from_its_birthday_on() {
    let mut rng = StdRng::seed_from_u64(7);
    let payer_path = TempPath::new("payer");
    let (mut payer, _) = Wallet::create(&payer_path.0, None).unwrap();
    let payee = Keys::new(Seed::from_phrase(PHRASE).unwrap());
    let h = network(&mut payer, &payee, &mut rng);

    // Birthday 3: the state after block 2, then blocks 3 to 5.
    let path = TempPath::new("birthday3");
    let (mut w, _) = Wallet::create(&path.0, Some(PHRASE)).unwrap();
    let (snapshot, sig) = h.past(2);
    assert_eq!(
        w.reset_chain_at(&h.chain.genesis, &snapshot, sig.as_ref(), None, &[])
            .unwrap(),
        2
    );
    assert_eq!(w.height(), 2);
    let s = w.sync(&h.chain).unwrap();
    assert_eq!((s.blocks, s.height), (3, 5));
    assert_eq!(native(&w), 750);
    assert_eq!(w.history().len(), 2);
    assert_in_step(&w, &h.chain);

    // Birthday 4: the payment in block 3 is not found, the one in 5 is.
    let path = TempPath::new("birthday4");
    let (mut late, _) = Wallet::create(&path.0, Some(PHRASE)).unwrap();
    let (snapshot, sig) = h.past(3);
    late.reset_chain_at(&h.chain.genesis, &snapshot, sig.as_ref(), None, &[])
        .unwrap();
    let s = late.sync(&h.chain).unwrap();
    assert_eq!((s.blocks, s.height), (2, 5));
    assert_eq!(native(&late), 50);
    assert_in_step(&late, &h.chain);

    // The birthday's state survives reopening (it is the wallet's file).
    drop(late);
    let late = Wallet::open(&path.0).unwrap();
    assert_eq!((late.height(), native(&late)), (5, 50));

    // An existing wallet rescans from 3 on: the same funds, its addresses
    // and labels kept; from height 1 (the genesis's state) too.
    let label = w.new_labelled_address("savings").unwrap();
    let issued = w.addresses_issued();
    for from in [2, 1] {
        let (snapshot, sig) = h.past(from);
        w.reset_chain_at(&h.chain.genesis, &snapshot, sig.as_ref(), None, &[])
            .unwrap();
        assert_eq!((w.height(), native(&w)), (from, 0));
        let s = w.sync(&h.chain).unwrap();
        assert_eq!(s.blocks, 5 - from);
        assert_eq!(native(&w), 750);
        assert_eq!(w.addresses_issued(), issued);
        assert_eq!(w.label(issued - 1), Some("savings"));
        assert_eq!(w.address(issued - 1), label);
        assert_in_step(&w, &h.chain);
    }
    // At its own height, the state is its tip: nothing to read again.
    let (snapshot, sig) = h.past(5);
    w.reset_chain_at(&h.chain.genesis, &snapshot, sig.as_ref(), None, &[])
        .unwrap();
    assert_eq!(w.sync(&h.chain).unwrap().blocks, 0);
    assert_eq!(native(&w), 0);
}

#[test]
fn past_states_that_fail_a_check_change_nothing() {
    let mut rng = StdRng::seed_from_u64(8);
    let payer_path = TempPath::new("payer-hostile");
    let (mut payer, _) = Wallet::create(&payer_path.0, None).unwrap();
    let payee = Keys::new(Seed::from_phrase(PHRASE).unwrap());
    let h = network(&mut payer, &payee, &mut rng);
    let path = TempPath::new("hostile");
    let (mut w, _) = Wallet::create(&path.0, Some(PHRASE)).unwrap();
    w.sync(&h.chain).unwrap();
    let before = (w.height(), native(&w), w.history().len());
    assert_eq!(before, (5, 750, 2));
    let unchanged = |w: &Wallet| assert_eq!((w.height(), native(w), w.history().len()), before);
    let genesis = &h.chain.genesis;

    // Another block's signature, or none.
    let (snapshot, _) = h.past(3);
    let (_, other_sig) = h.past(2);
    for sig in [other_sig, None] {
        match w.reset_chain_at(genesis, &snapshot, sig.as_ref(), None, &[]) {
            Err(WalletError::UntrustedPastState { height: 3, .. }) => {}
            other => panic!("expected an untrusted state, got {other:?}"),
        }
        unchanged(&w);
    }
    // Roots that do not give the header's utxoroot.
    let (state, sig) = &h.states[2];
    let mut forged = state.clone();
    forged.utxos = h.states[1].0.utxos.clone();
    match w.reset_chain_at(genesis, &forged.to_snapshot(), sig.as_ref(), None, &[]) {
        Err(WalletError::Chain(BlockchainError::UtxoRootMismatch)) => {}
        other => panic!("expected a root mismatch, got {other:?}"),
    }
    // A truncated snapshot.
    assert!(matches!(
        w.reset_chain_at(
            genesis,
            &snapshot[..snapshot.len() - 1],
            sig.as_ref(),
            None,
            &[]
        ),
        Err(WalletError::Chain(_))
    ));
    // Height 1 that is not the genesis's state.
    let mut fake_start = h.states[0].0.clone();
    fake_start.tip = h.states[1].0.tip.clone();
    fake_start.utxos = h.states[1].0.utxos.clone();
    fake_start.tip.height = 1;
    assert!(w
        .reset_chain_at(genesis, &fake_start.to_snapshot(), None, None, &[])
        .is_err());
    unchanged(&w);

    // Another network: its genesis is not the one followed; its state
    // under this network's genesis is not this network's.
    let mut other_rng = StdRng::seed_from_u64(9);
    let other_payer_path = TempPath::new("other-payer");
    let (mut other_payer, _) = Wallet::create(&other_payer_path.0, None).unwrap();
    let other = network(&mut other_payer, &payee, &mut other_rng);
    let (snapshot, sig) = other.past(3);
    assert!(matches!(
        w.reset_chain_at(&other.chain.genesis, &snapshot, sig.as_ref(), None, &[]),
        Err(WalletError::OtherNetwork { .. })
    ));
    assert!(matches!(
        w.reset_chain_at(genesis, &snapshot, sig.as_ref(), None, &[]),
        Err(WalletError::UntrustedPastState { .. })
    ));
    unchanged(&w);

    // Above what the wallet scanned.
    let path = TempPath::new("behind");
    let (mut behind, _) = Wallet::create(&path.0, Some(PHRASE)).unwrap();
    let (snapshot, sig) = h.past(2);
    behind
        .reset_chain_at(genesis, &snapshot, sig.as_ref(), None, &[])
        .unwrap();
    let (snapshot, sig) = h.past(4);
    match behind.reset_chain_at(genesis, &snapshot, sig.as_ref(), None, &[]) {
        Err(
            e @ WalletError::RescanAboveScanned {
                from: 5,
                scanned: 2,
            },
        ) => {
            assert!(e.to_string().contains("at most at 3"), "{e}");
        }
        other => panic!("expected above scanned, got {other:?}"),
    }
    assert_eq!(behind.height(), 2);
}

#[test]
fn a_rescan_over_another_chain_stops_at_the_old_tip() {
    let mut rng = StdRng::seed_from_u64(10);
    let payee = Keys::new(Seed::from_phrase(PHRASE).unwrap());
    let key = SecretKey::random(&mut rng);
    let utxos = vec![genesis_output(
        &payee.address(0),
        1000,
        b"fork",
        0,
        &mut rng,
    )];
    // Two chains from one genesis and one key: the key signed two blocks
    // at heights 2 and 3 (an equivocation the wallet must not follow
    // silently).
    let mut ours = History::new(Chain::start(utxos.clone(), key.clone()));
    let mut theirs = History::new(Chain::start(utxos, key));
    let path = TempPath::new("fork");
    let (mut w, _) = Wallet::create(&path.0, Some(PHRASE)).unwrap();
    w.sync(&ours.chain).unwrap();
    let to_self = w.keys().address(1);
    let paid = w.send(&to_self, 10, Scalar::ZERO, 0, &mut rng).unwrap();
    theirs.produce(vec![paid.tx]);
    theirs.produce(vec![]);
    ours.produce(vec![]);
    ours.produce(vec![]);
    w.sync(&ours.chain).unwrap();
    assert_eq!(w.height(), 3);

    // From the shared genesis state, their block 2 applies, but their
    // block 3 is not the one the wallet had at 3.
    let (snapshot, sig) = theirs.past(1);
    w.reset_chain_at(&theirs.chain.genesis, &snapshot, sig.as_ref(), None, &[])
        .unwrap();
    match w.sync(&theirs.chain) {
        Err(WalletError::ChainDiverged {
            height: 3,
            had,
            got,
        }) => {
            assert_eq!(had, ours.chain.state.tip.id());
            assert_eq!(got, theirs.chain.state.tip.id());
        }
        other => panic!("expected a divergence, got {other:?}"),
    }
    assert_eq!(w.height(), 2);
    // Their state at the wallet's own height is refused at once.
    let path = TempPath::new("fork2");
    let (mut w, _) = Wallet::create(&path.0, Some(PHRASE)).unwrap();
    w.sync(&ours.chain).unwrap();
    let (snapshot, sig) = theirs.past(3);
    assert!(matches!(
        w.reset_chain_at(&theirs.chain.genesis, &snapshot, sig.as_ref(), None, &[]),
        Err(WalletError::UntrustedPastState { height: 3, .. })
    ));
    assert_eq!(w.height(), 3);
}
