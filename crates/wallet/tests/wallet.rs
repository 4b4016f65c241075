#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! End to end over a chain in memory: a genesis funds wallet A; A follows
//! it, issues an asset, pays B, lets a payment expire, retires; B syncs
//! from its own file; every block is validated by the wallets, whose
//! pollards keep proving their outputs against the chain's accumulator.

mod common;

use accumulator::ZkvmHash;
use blockchain::utxo_leaf;
use common::{Chain, TempPath};
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use rand::rngs::StdRng;
use rand::SeedableRng;
use wallet::{genesis_anchor, pay_to, Balance, HistoryKind, Keys, Seed, Wallet, WalletError};

const PHRASE: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art";

/// The wallet follows the chain's state, and its pollard proves every
/// output it owns against the chain's accumulator.
fn assert_in_step(w: &Wallet, chain: &Chain) {
    assert_eq!(w.chain_state(), Some(&chain.state));
    let ids: Vec<_> = w.utxos().map(|u| u.id()).collect();
    let leaves: Vec<ZkvmHash> = ids.iter().map(utxo_leaf).collect();
    if !ids.is_empty() {
        let proof = w.prove(&ids).unwrap();
        chain.state.utxos.verify(&proof, &leaves).unwrap();
    }
    assert_eq!(w.pollard().unwrap().accumulator(), &chain.state.utxos);
}

fn balance(w: &Wallet, flavor: Scalar) -> (u128, u128, u128) {
    let Balance {
        spendable,
        locked,
        pending,
        ..
    } = w.balance(flavor);
    (spendable, locked, pending)
}

fn kinds(w: &Wallet) -> Vec<HistoryKind> {
    w.history().iter().map(|h| h.kind).collect()
}

/// Genesis: 1,000,000 of the fee flavor to A's address 0, 500 to A's
/// address 3 (not handed out: found by the lookahead), 5 to someone else.
fn network(a: &Keys, rng: &mut StdRng) -> Chain {
    let key = SecretKey::random(rng);
    let stranger = Keys::new(Seed::from_bytes([42; 64])).address(0);
    let utxos = vec![
        pay_to(
            &a.address(0),
            1_000_000,
            Scalar::ZERO,
            genesis_anchor(b"test", 0),
            rng,
        )
        .unwrap(),
        pay_to(&stranger, 5, Scalar::ZERO, genesis_anchor(b"test", 1), rng).unwrap(),
        pay_to(
            &a.address(3),
            500,
            Scalar::ZERO,
            genesis_anchor(b"test", 2),
            rng,
        )
        .unwrap(),
    ];
    Chain::start(utxos, key)
}

#[test]
fn a_wallet_follows_issues_pays_expires_retires_and_reopens() {
    let mut rng = StdRng::seed_from_u64(1);
    let path_a = TempPath::new("a");
    let path_b = TempPath::new("b");
    let (mut a, phrase) = Wallet::create(&path_a.0, Some(PHRASE)).unwrap();
    assert_eq!(phrase, PHRASE);
    let (mut b, phrase_b) = Wallet::create(&path_b.0, None).unwrap();
    assert_eq!(phrase_b.split(' ').count(), 24);
    let to_b = b.new_address().unwrap();
    let mut chain = network(a.keys(), &mut rng);
    let zero = Scalar::ZERO;

    // A follows the genesis: both of its outputs, and the lookahead moved.
    let s = a.sync(&chain).unwrap();
    assert_eq!((s.blocks, s.height), (0, 1));
    assert_eq!(balance(&a, zero), (1_000_500, 0, 0));
    assert_eq!(a.addresses_issued(), 4);
    assert_eq!(kinds(&a), [HistoryKind::Received]);
    assert_eq!(a.history()[0].txid, None);
    assert_in_step(&a, &chain);

    // A issues 1000 GOLD paying a fee of 100: the largest output is locked,
    // the change and the issued amount are pending.
    let gold = a.issuance_flavor(b"GOLD");
    let issued = a.issue(1000, b"GOLD", 100, &mut rng).unwrap();
    assert_eq!(issued.issued_flavor, Some(gold));
    let leaves: Vec<ZkvmHash> = issued.inputs.iter().map(utxo_leaf).collect();
    chain
        .state
        .utxos
        .verify(&issued.utxo_proof, &leaves)
        .unwrap();
    assert_eq!(balance(&a, zero), (500, 1_000_000, 999_900));
    assert_eq!(balance(&a, gold), (0, 0, 1000));

    // The locked output is not selected again: 500 confirmed, and the
    // issuance's unconfirmed change (docs/spec/wallet.md §Unconfirmed
    // change), can be spent.
    match a.send(&to_b, 2_000_000, zero, 0, &mut rng) {
        Err(WalletError::InsufficientFunds {
            flavor,
            needed: 2_000_000,
            available: 1_000_400,
        }) if flavor == zero => {}
        other => panic!("expected insufficient funds, got {other:?}"),
    }
    // Beyond the 500 confirmed, a payment spends that change, whose
    // proof it leaves to the node's pool: the returned proof covers the
    // confirmed input alone.
    let chained = a.send(&to_b, 600, zero, 0, &mut rng).unwrap();
    assert_eq!(chained.inputs.len(), 2);
    assert!(chained.inputs.iter().all(|i| !issued.inputs.contains(i)));
    let confirmed: Vec<ZkvmHash> = chained
        .inputs
        .iter()
        .filter(|i| a.utxos().any(|u| u.id() == **i))
        .map(utxo_leaf)
        .collect();
    assert_eq!(confirmed.len(), 1);
    chain
        .state
        .utxos
        .verify(&chained.utxo_proof, &confirmed)
        .unwrap();
    assert_eq!(balance(&a, zero), (0, 1_000_500, 999_800));
    // Parents come first; abandoning the issuance drops the payment that
    // spends its change.
    let order: Vec<_> = a.pending().map(|p| p.txid).collect();
    assert_eq!(order, [issued.txid, chained.txid]);
    a.abandon(&issued.txid).unwrap();
    assert_eq!(a.pending().count(), 0);
    assert_eq!(balance(&a, zero), (1_000_500, 0, 0));
    let issued = a.issue(1000, b"GOLD", 100, &mut rng).unwrap();
    assert_eq!(balance(&a, zero), (500, 1_000_000, 999_900));
    let paid = a.send(&to_b, 400, zero, 50, &mut rng).unwrap();
    assert!(paid.inputs.iter().all(|i| !issued.inputs.contains(i)));
    assert_eq!(balance(&a, zero), (0, 1_000_500, 999_950));

    // Both land in block 2.
    chain.produce(vec![issued.tx.clone(), paid.tx.clone()]);
    let s = a.sync(&chain).unwrap();
    assert_eq!((s.blocks, s.height), (1, 2));
    assert_eq!(s.confirmed, [issued.txid, paid.txid]);
    assert!(s.received.is_empty());
    assert_eq!(balance(&a, zero), (999_950, 0, 0));
    assert_eq!(balance(&a, gold), (1000, 0, 0));
    assert_eq!(a.pending().count(), 0);
    assert_eq!(
        kinds(&a),
        [
            HistoryKind::Received,
            HistoryKind::Issued,
            HistoryKind::Sent
        ]
    );
    let h = &a.history()[1];
    assert_eq!((h.txid, h.height, h.fee), (Some(issued.txid), 2, 100));
    assert_eq!((h.amounts[0].flavor, h.amounts[0].qty), (gold, 1000));
    let h = &a.history()[2];
    assert_eq!(
        (h.amounts[0].flavor, h.amounts[0].qty, h.fee),
        (zero, 400, 50)
    );
    assert_in_step(&a, &chain);

    // A pays B 300 GOLD with a fee of 10.
    let paid_gold = a.send(&to_b, 300, gold, 10, &mut rng).unwrap();
    chain.produce(vec![paid_gold.tx.clone()]);
    a.sync(&chain).unwrap();
    assert_eq!(balance(&a, gold), (700, 0, 0));
    assert_eq!(balance(&a, zero), (999_940, 0, 0));
    assert_in_step(&a, &chain);

    // B, from its own file, sees both payments.
    let s = b.sync(&chain).unwrap();
    assert_eq!((s.blocks, s.height), (2, 3));
    assert_eq!(balance(&b, zero), (400, 0, 0));
    assert_eq!(balance(&b, gold), (300, 0, 0));
    assert_eq!(kinds(&b), [HistoryKind::Received, HistoryKind::Received]);
    assert_eq!(b.history()[1].txid, Some(paid_gold.txid));
    assert_in_step(&b, &chain);

    // A payment valid for 1.5 s is never included: after the block 2 s
    // later it is dropped and its inputs unlocked.
    a.set_validity_window_ms(1500).unwrap();
    let stale = a.send(&to_b, 5, zero, 0, &mut rng).unwrap();
    // Largest first: the 999,890 change of the last fee, not the 50.
    assert_eq!(balance(&a, zero), (50, 999_890, 999_885));
    chain.produce(vec![]);
    let s = a.sync(&chain).unwrap();
    assert!(s.dropped.is_empty());
    assert_eq!(a.pending().count(), 1);
    chain.produce(vec![]);
    let s = a.sync(&chain).unwrap();
    assert_eq!(s.dropped, [stale.txid]);
    assert_eq!(a.pending().count(), 0);
    assert_eq!(balance(&a, zero), (999_940, 0, 0));
    assert_in_step(&a, &chain);

    // A retires 200 GOLD.
    a.set_validity_window_ms(wallet::DEFAULT_VALIDITY_WINDOW_MS)
        .unwrap();
    let retired = a.retire(200, gold, 10, &mut rng).unwrap();
    chain.produce(vec![retired.tx.clone()]);
    a.sync(&chain).unwrap();
    assert_eq!(balance(&a, gold), (500, 0, 0));
    assert_eq!(balance(&a, zero), (999_930, 0, 0));
    assert_eq!(a.history().last().unwrap().kind, HistoryKind::Retired);
    assert_eq!(a.height(), 6);
    assert_in_step(&a, &chain);

    // A pending payment is kept across a reopening; the reopened wallet
    // equals the one before.
    let kept = a.send(&to_b, 1, gold, 0, &mut rng).unwrap();
    let copy = TempPath::new("copy");
    std::fs::copy(&path_a.0, &copy.0).unwrap();
    let same = Wallet::open(&copy.0).unwrap();
    assert_eq!(same, a);
    drop(a);
    let mut a = Wallet::open(&path_a.0).unwrap();
    assert_eq!(a, same);
    assert_eq!(a.pending().next().unwrap().txid, kept.txid);
    assert_eq!(balance(&a, gold), (0, 500, 499));

    // It lands after the reopening.
    chain.produce(vec![kept.tx.clone()]);
    let s = a.sync(&chain).unwrap();
    assert_eq!(s.confirmed, [kept.txid]);
    assert_eq!(balance(&a, gold), (499, 0, 0));
    assert_in_step(&a, &chain);

    // Following another network is refused; the same one is a no-op.
    let other = network(a.keys(), &mut rng);
    assert!(matches!(
        a.follow(&other.genesis),
        Err(WalletError::OtherNetwork { .. })
    ));
    assert!(a.follow(&chain.genesis).is_ok());
    // Its blocks do not apply either.
    let mut other = other;
    let foreign = other.produce(vec![]);
    assert!(matches!(a.scan_block(&foreign), Err(WalletError::Chain(_))));
    assert_eq!(a.height(), 7);

    // The same phrase in a new file recovers A's outputs from the chain.
    let path_r = TempPath::new("restored");
    let (mut restored, _) = Wallet::create(&path_r.0, Some(PHRASE)).unwrap();
    restored.sync(&chain).unwrap();
    assert_eq!(restored.balances(), a.balances());
    assert_eq!(
        restored.utxos().collect::<Vec<_>>(),
        a.utxos().collect::<Vec<_>>()
    );
    assert_in_step(&restored, &chain);

    // Both copies spend the same output: the block takes the restored
    // copy's payment, and A drops its own, seeing a payment it did not
    // build (20 paid away, net of the change and the fee of 5).
    let mine = a.send(&to_b, 10, zero, 0, &mut rng).unwrap();
    let theirs = restored.send(&to_b, 20, zero, 5, &mut rng).unwrap();
    assert_eq!(mine.inputs, theirs.inputs);
    chain.produce(vec![theirs.tx.clone()]);
    let s = a.sync(&chain).unwrap();
    assert_eq!(s.dropped, [mine.txid]);
    assert!(s.confirmed.is_empty());
    let h = a.history().last().unwrap();
    assert_eq!(
        (h.kind, h.txid, h.fee),
        (HistoryKind::Sent, Some(theirs.txid), 5)
    );
    assert_eq!((h.amounts[0].flavor, h.amounts[0].qty), (zero, 20));
    assert_eq!(balance(&a, zero), (999_930 - 25, 0, 0));
    assert_in_step(&a, &chain);
}

#[test]
fn files_are_not_overwritten_and_phrases_are_checked() {
    let path = TempPath::new("exists");
    let (w, _) = Wallet::create(&path.0, None).unwrap();
    drop(w);
    assert!(matches!(
        Wallet::create(&path.0, Some(PHRASE)),
        Err(WalletError::WalletExists(_))
    ));
    let other = TempPath::new("badphrase");
    assert!(matches!(
        Wallet::create(&other.0, Some("abandon art")),
        Err(WalletError::MnemonicLength(2))
    ));
    assert!(!other.0.exists());
    assert!(Wallet::open(TempPath::new("missing").0.as_path()).is_err());
}

#[test]
fn a_wallet_that_follows_nothing_cannot_scan_or_build() {
    let mut rng = StdRng::seed_from_u64(2);
    let path = TempPath::new("idle");
    let (mut w, _) = Wallet::create(&path.0, Some(PHRASE)).unwrap();
    assert_eq!(w.height(), 0);
    let to = w.new_address().unwrap();
    assert!(matches!(
        w.send(&to, 1, Scalar::ZERO, 0, &mut rng),
        Err(WalletError::InsufficientFunds { .. })
    ));
    let mut chain = network(w.keys(), &mut rng);
    let block = chain.produce(vec![]);
    assert!(matches!(
        w.scan_block(&block),
        Err(WalletError::NotFollowing)
    ));
    // A zero quantity, a fee over the cap.
    assert!(matches!(
        w.issue(0, b"x", 0, &mut rng),
        Err(WalletError::ZeroAmount)
    ));
    assert!(matches!(
        w.issue(1, b"x", zkvm::MAX_FEE + 1, &mut rng),
        Err(WalletError::FeeTooHigh(_))
    ));
    assert!(matches!(
        w.issue(1, b"x", 0, &mut rng),
        Err(WalletError::NothingToSpend)
    ));
}

#[test]
fn the_genesis_names_its_assets_for_every_wallet_and_a_rescan_learns_them_again() {
    let mut rng = StdRng::seed_from_u64(3);
    // The issuer's wallet funds itself with GOLD at genesis and names it
    // in the genesis's asset section.
    let issuer_path = TempPath::new("gen-issuer");
    let (issuer, _) = Wallet::create(&issuer_path.0, Some(PHRASE)).unwrap();
    let gold = issuer.genesis_asset(wallet::AssetMetadata::new("GOLD", 2, "ounces").unwrap());
    let mut chain = network(issuer.keys(), &mut rng);
    chain.genesis.utxos.push(
        pay_to(
            &issuer.keys().address(1),
            1250,
            gold.flavor,
            genesis_anchor(b"test", 3),
            &mut rng,
        )
        .unwrap(),
    );
    chain.genesis.assets = vec![gold.clone()];
    chain.state = chain.genesis.state().unwrap();
    chain.forest = accumulator::Forest::new();
    let leaves: Vec<ZkvmHash> = chain.genesis.utxo_ids().iter().map(utxo_leaf).collect();
    chain.forest.modify(&leaves, &[]).unwrap();
    // A wallet of another seed, which holds none of it, knows it by name.
    let path = TempPath::new("gen-other");
    let (mut other, _) = Wallet::create(&path.0, None).unwrap();
    other.sync(&chain).unwrap();
    let known = other.asset(&gold.flavor).unwrap();
    assert_eq!(known.metadata.name, "GOLD");
    assert_eq!(known.metadata.decimals, 2);
    assert_eq!(known.height, 1);
    assert_eq!(known.issuer, gold.issuer);
    assert_eq!(other.assets_named("GOLD").len(), 1);
    // Forgotten with the rest of the chain, learned again from the genesis.
    other.reset_chain().unwrap();
    assert!(other.asset(&gold.flavor).is_none());
    chain.produce(vec![]);
    other.sync(&chain).unwrap();
    assert_eq!(other.asset(&gold.flavor).unwrap().metadata.name, "GOLD");
    assert_in_step(&other, &chain);
}
