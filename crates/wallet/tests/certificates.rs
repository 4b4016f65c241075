#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! A wallet following a validators chain (docs/spec/consensus.md §Commit
//! certificate, docs/spec/wallet.md §Scanning, §Rescan) over a chain in
//! memory of four validators: blocks sealed by certificates of three of
//! them are scanned and pay the wallet; a block whose certificate is
//! missing, too weak, tampered with, made for another block or another
//! chain, or signed by a stranger is refused with a typed error naming its
//! height, and nothing of it is applied (in memory or in the file); a
//! rescan from a past height checks that height's certificate, and
//! replays the node's validator-set changes from the genesis's set; a file
//! written before wallets kept the validator set learns it from the
//! genesis. The scan's cost per block with and without the certificate
//! check is printed (`--nocapture`), not asserted.

mod common;

use std::time::Instant;

use blockchain::Block;
use common::{genesis_output, Chain, TempPath};
use consensus::{ChainId, CommitCertificate, ConsensusError, ValidatorSet};
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use rand::rngs::StdRng;
use rand::SeedableRng;
use redb::{Database, TableDefinition};
use wallet::{Keys, Seed, Wallet, WalletError};

const PHRASE: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art";

fn native(w: &Wallet) -> u128 {
    w.balance(Scalar::ZERO).spendable
}

fn validator_keys(rng: &mut StdRng) -> Vec<SecretKey> {
    (0..4).map(|_| SecretKey::random(rng)).collect()
}

/// A validators chain whose genesis funds `payer` with 1,000,000; block 2
/// is empty, block 3 pays 700 to `payee`'s address 0.
fn network(payer: &mut Wallet, payee: &Keys, rng: &mut StdRng) -> Chain {
    let utxos = vec![genesis_output(
        &payer.keys().address(0),
        1_000_000,
        b"certified",
        0,
        rng,
    )];
    let validators = validator_keys(rng);
    let mut chain = Chain::start_validators(utxos, SecretKey::random(rng), validators);
    payer.sync(&chain).unwrap();
    chain.produce(vec![]);
    payer.sync(&chain).unwrap();
    let paid = payer
        .send(&payee.address(0), 700, Scalar::ZERO, 0, rng)
        .unwrap();
    chain.produce(vec![paid.tx]);
    payer.sync(&chain).unwrap();
    chain
}

#[test]
fn a_wallet_scans_a_validators_chain_checking_every_certificate() {
    let mut rng = StdRng::seed_from_u64(21);
    let payer_path = TempPath::new("payer");
    let (mut payer, _) = Wallet::create(&payer_path.0, None).unwrap();
    let payee_path = TempPath::new("payee");
    let (mut payee, _) = Wallet::create(&payee_path.0, Some(PHRASE)).unwrap();
    let chain = network(&mut payer, payee.keys(), &mut rng);
    assert!(chain.state.certified());
    assert_eq!(native(&payer), 1_000_000 - 700);
    let s = payee.sync(&chain).unwrap();
    assert_eq!((s.blocks, s.height), (2, 3));
    assert_eq!(native(&payee), 700);
    assert_eq!(payee.chain_state(), Some(&chain.state));
    // Reopened, the file keeps the set: the next block is checked too.
    drop(payee);
    let mut payee = Wallet::open(&payee_path.0).unwrap();
    let mut chain = chain;
    chain.produce(vec![]);
    assert_eq!(payee.sync(&chain).unwrap().height, 4);
    assert_eq!(native(&payee), 700);
}

/// The ways a block's seal can be forged, each with the error it gets.
fn forgeries(chain: &Chain, block: &Block, rng: &mut StdRng) -> Vec<(&'static str, Block)> {
    let id = chain.chain_id();
    let h = &block.header;
    let with = |c: Option<Vec<u8>>| Block {
        certificate: c,
        ..block.clone()
    };
    let mut out = vec![("missing", with(None))];
    // Two of four: no quorum.
    let weak = chain.certificate(&id, h, 0, &[0, 1]);
    out.push(("too few signers", with(Some(weak.to_bytes()))));
    // One of three signatures replaced by that validator's signature of
    // another round: each signature is well formed, one does not verify.
    let good = chain.certificate(&id, h, 0, &[0, 1, 2]);
    let other_round = chain.certificate(&id, h, 1, &[0, 1, 2]);
    let mut signatures = good.signatures().to_vec();
    signatures[1] = other_round.signatures()[1];
    let tampered = CommitCertificate::new(good.height(), good.round(), good.block_id(), signatures);
    out.push(("tampered signature", with(Some(tampered.to_bytes()))));
    // A valid certificate of another block at the same height.
    let sibling = chain.make(vec![], 2000);
    let elsewhere = chain.certificate(&id, &sibling.header, 0, &[0, 1, 2]);
    out.push(("another block", with(Some(elsewhere.to_bytes()))));
    // The same validators' precommits on another chain.
    let other_chain = ChainId([7; 32]);
    let foreign = chain.certificate(&other_chain, h, 0, &[0, 1, 2]);
    out.push(("another chain", with(Some(foreign.to_bytes()))));
    // A stranger's signature in place of a validator's.
    let stranger = SecretKey::random(rng);
    let msg = consensus::signing::precommit_sign_bytes(&id, h.height, 0, &h.id());
    let stranger_key = consensus::ValidatorKey::new(stranger.verification_key()).unwrap();
    let mut signatures = good.signatures().to_vec();
    signatures[2] = (
        stranger_key.address(),
        consensus::signing::sign_bytes(&stranger, &msg),
    );
    let unknown = CommitCertificate::new(h.height, 0, h.id(), signatures);
    out.push(("unknown signer", with(Some(unknown.to_bytes()))));
    // Bytes that are no certificate.
    let mut garbage = good.to_bytes();
    garbage.push(0);
    out.push(("trailing bytes", with(Some(garbage))));
    out
}

fn expected(kind: &str, source: &ConsensusError) -> bool {
    match kind {
        "missing" => matches!(source, ConsensusError::MissingCertificate { .. }),
        "too few signers" => matches!(source, ConsensusError::InsufficientPower { .. }),
        "tampered signature" | "another chain" => {
            matches!(source, ConsensusError::BadSignature { .. })
        }
        "another block" => matches!(source, ConsensusError::CertificateMismatch { .. }),
        "unknown signer" => matches!(source, ConsensusError::UnknownSigner { .. }),
        "trailing bytes" => matches!(source, ConsensusError::TrailingBytes { .. }),
        _ => false,
    }
}

#[test]
fn forged_certificates_are_refused_and_nothing_is_applied() {
    let mut rng = StdRng::seed_from_u64(22);
    let payer_path = TempPath::new("payer-forged");
    let (mut payer, _) = Wallet::create(&payer_path.0, None).unwrap();
    let payee_path = TempPath::new("payee-forged");
    let (mut payee, _) = Wallet::create(&payee_path.0, Some(PHRASE)).unwrap();
    let mut chain = network(&mut payer, payee.keys(), &mut rng);
    payee.sync(&chain).unwrap();
    assert_eq!((payee.height(), native(&payee)), (3, 700));
    let before = payee.chain_state().cloned();

    // Block 4 pays the payee 50 more; its forged seals pay nothing.
    let paid = payer
        .send(&payee.keys().address(1), 50, Scalar::ZERO, 0, &mut rng)
        .unwrap();
    let mut block = chain.make(vec![paid.tx], 1000);
    let quorum = chain.certificate(&chain.chain_id(), &block.header, 0, &[0, 1, 2]);
    block.certificate = Some(quorum.to_bytes());
    for (kind, forged) in forgeries(&chain, &block, &mut rng) {
        match payee.scan_block(&forged) {
            Err(WalletError::BadCertificate { height: 4, source }) => {
                assert!(expected(kind, &source), "{kind}: {source:?}");
                let text = WalletError::BadCertificate { height: 4, source }.to_string();
                assert!(text.contains("block 4"), "{kind}: {text}");
            }
            other => panic!("{kind}: expected a refused certificate, got {other:?}"),
        }
        assert_eq!(payee.chain_state().cloned(), before, "{kind}");
        assert_eq!((payee.height(), native(&payee)), (3, 700), "{kind}");
    }
    // Nothing reached the file either.
    drop(payee);
    let mut payee = Wallet::open(&payee_path.0).unwrap();
    assert_eq!(payee.chain_state().cloned(), before);
    // A source serving a forged block: sync stops there, keeping the rest.
    let forged = forgeries(&chain, &block, &mut rng).remove(1).1;
    chain.blocks.borrow_mut().push(forged);
    assert!(matches!(
        payee.sync(&chain),
        Err(WalletError::BadCertificate { height: 4, .. })
    ));
    assert_eq!(payee.height(), 3);
    chain.blocks.borrow_mut().pop();
    // The genuine block applies.
    chain.publish(block);
    payee.sync(&chain).unwrap();
    assert_eq!((payee.height(), native(&payee)), (4, 750));
}

#[test]
fn a_rescan_on_a_validators_chain_checks_the_certificate_at_its_height() {
    let mut rng = StdRng::seed_from_u64(23);
    let payer_path = TempPath::new("payer-rescan");
    let (mut payer, _) = Wallet::create(&payer_path.0, None).unwrap();
    let payee_keys = Keys::new(Seed::from_phrase(PHRASE).unwrap());
    let mut chain = network(&mut payer, &payee_keys, &mut rng);
    // The state after block 2 and block 2's certificate: what a node's
    // `GET /v1/snapshots/2` serves on a validators chain.
    let block2 = chain.blocks.borrow()[0].clone();
    let at2 = chain
        .genesis
        .state()
        .unwrap()
        .apply_block(&block2)
        .unwrap()
        .0;
    chain.produce(vec![]);
    let snapshot = at2.to_snapshot();
    let genesis = chain.genesis.clone();

    // A restore with birthday 3 (start after block 2).
    let path = TempPath::new("restore");
    let (mut w, _) = Wallet::create(&path.0, Some(PHRASE)).unwrap();
    let good = block2.certificate.clone();
    let tampered = good.as_ref().map(|c| {
        let mut c = c.clone();
        // The last signature's `R`: a point that no longer verifies (or
        // decodes).
        let n = c.len();
        c[n - 64] ^= 1;
        c
    });
    let block3 = chain.blocks.borrow()[1].clone();
    for (kind, certificate) in [
        ("none", None),
        ("tampered", tampered),
        ("another block's", block3.certificate.clone()),
    ] {
        match w.reset_chain_at(&genesis, &snapshot, None, certificate.as_deref(), &[]) {
            Err(WalletError::BadCertificate { height: 2, .. }) => {}
            other => panic!("{kind}: expected a refused certificate, got {other:?}"),
        }
        assert_eq!(w.height(), 0, "{kind}");
        assert!(w.chain_state().is_none(), "{kind}");
    }
    // The node's validator-set changes are replayed from the genesis's
    // set: one that does not decode, or that the genesis's validators did
    // not approve, refuses the restore.
    let set = ValidatorSet::from_genesis(&genesis).unwrap().unwrap();
    let id = ChainId::from_genesis(genesis.state().unwrap().initial.id());
    let change = consensus::SetChange::new(10, set.clone());
    let stranger = SecretKey::random(&mut rng);
    let unapproved = consensus::ApprovedSetChange::new(
        change.clone(),
        vec![change.approve(&id, &set, &stranger)],
    );
    for (kind, list) in [
        ("garbage", vec![(2u64, vec![1u8, 2, 3])]),
        ("unapproved", vec![(2, unapproved.to_bytes())]),
    ] {
        match w.reset_chain_at(&genesis, &snapshot, None, good.as_deref(), &list) {
            Err(WalletError::BadSetChange { height: 2, .. }) => {}
            other => panic!("{kind}: expected a refused change, got {other:?}"),
        }
        assert!(w.chain_state().is_none(), "{kind}");
    }
    // One included above the height is not the wallet's to replay: the
    // blocks it scans apply it.
    let later = vec![(3u64, unapproved.to_bytes())];
    assert_eq!(
        w.reset_chain_at(&genesis, &snapshot, None, good.as_deref(), &later)
            .unwrap(),
        2
    );
    assert_eq!(
        w.reset_chain_at(&genesis, &snapshot, None, good.as_deref(), &[])
            .unwrap(),
        2
    );
    let s = w.sync(&chain).unwrap();
    assert_eq!((s.blocks, s.height), (2, 4));
    assert_eq!(native(&w), 700);
    assert_eq!(w.chain_state(), Some(&chain.state));
    // A block-key signature is no seal on a validators chain.
    let sig = blockchain::sign_header(&at2.tip, &chain.key);
    let (mut other, _) = Wallet::create(&TempPath::new("sig").0, Some(PHRASE)).unwrap();
    assert!(matches!(
        other.reset_chain_at(&genesis, &snapshot, Some(&sig), None, &[]),
        Err(WalletError::BadCertificate { height: 2, .. })
    ));
}

#[test]
fn a_file_without_the_validator_set_learns_it_from_the_genesis() {
    let mut rng = StdRng::seed_from_u64(24);
    let payer_path = TempPath::new("payer-old");
    let (mut payer, _) = Wallet::create(&payer_path.0, None).unwrap();
    let path = TempPath::new("old");
    let (mut w, _) = Wallet::create(&path.0, Some(PHRASE)).unwrap();
    let mut chain = network(&mut payer, w.keys(), &mut rng);
    w.sync(&chain).unwrap();
    drop(w);
    // As a file written before wallets checked certificates: no set.
    {
        const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
        let db = Database::open(&path.0).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut meta = txn.open_table(META).unwrap();
            assert!(meta.remove("validators").unwrap().is_some());
        }
        txn.commit().unwrap();
    }
    let mut w = Wallet::open(&path.0).unwrap();
    let block = chain.produce(vec![]);
    assert!(matches!(
        w.scan_block(&block),
        Err(WalletError::ValidatorSetUnknown)
    ));
    assert_eq!(w.height(), 3);
    // Syncing reads the genesis, keeps its set and checks the block.
    assert_eq!(w.sync(&chain).unwrap().height, 4);
    drop(w);
    let mut w = Wallet::open(&path.0).unwrap();
    let mut block = chain.make(vec![], 1000);
    block.certificate = None;
    assert!(matches!(
        w.scan_block(&block),
        Err(WalletError::BadCertificate { height: 5, .. })
    ));
}

/// The scan's cost per block with the certificate check (a validators
/// chain) and of the check alone, so without it is the difference; printed
/// for the closing note, asserted nowhere.
#[test]
fn scan_cost_with_and_without_the_certificate_check() {
    const BLOCKS: usize = 12;
    let mut rng = StdRng::seed_from_u64(25);
    let payer_path = TempPath::new("payer-cost");
    let (mut payer, _) = Wallet::create(&payer_path.0, None).unwrap();
    let payee_keys = Keys::new(Seed::from_phrase(PHRASE).unwrap());
    let mut chain = network(&mut payer, &payee_keys, &mut rng);
    for i in 0..BLOCKS {
        let paid = payer
            .send(
                &payee_keys.address(0),
                10 + i as u64,
                Scalar::ZERO,
                0,
                &mut rng,
            )
            .unwrap();
        chain.produce(vec![paid.tx]);
        payer.sync(&chain).unwrap();
    }
    let blocks: Vec<Block> = chain.blocks.borrow()[2..].to_vec();
    assert_eq!(blocks.len(), BLOCKS);

    let path = TempPath::new("cost");
    let (mut w, _) = Wallet::create(&path.0, Some(PHRASE)).unwrap();
    w.follow(&chain.genesis).unwrap();
    for b in &chain.blocks.borrow()[..2] {
        w.scan_block(b).unwrap();
    }
    let t = Instant::now();
    for b in &blocks {
        w.scan_block(b).unwrap();
    }
    let scan = t.elapsed() / BLOCKS as u32;
    assert_eq!(w.height(), chain.state.tip.height);

    let set: ValidatorSet = chain.set();
    let id = chain.chain_id();
    let t = Instant::now();
    for b in &blocks {
        CommitCertificate::check_seal(&b.header, b.certificate.as_deref(), &id, &set).unwrap();
    }
    let check = t.elapsed() / BLOCKS as u32;
    let size = blocks[0].certificate.as_ref().map_or(0, Vec::len);
    println!(
        "wallet scan of a one-payment block on a validators chain (3 of 4 signers, \
         certificate {size} bytes): {scan:?} per block with the certificate check, \
         of which the check {check:?}; {:?} without it",
        scan.saturating_sub(check)
    );
}
