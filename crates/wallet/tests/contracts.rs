#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Contracts end to end over a chain in memory: a time-locked payment
//! locked by A and found by B, refused before its time and claimed after;
//! a 2-of-2 MuSig account signed by two wallets exchanging the co-signing
//! messages; a key path on a Taproot tree.

mod common;

use common::{genesis_output, Chain, TempPath, T0};
use curve25519_dalek::scalar::Scalar;
use musig::{SecretKey, SignerAwaitingPrecommitments, SigningContext};
use rand::rngs::StdRng;
use rand::SeedableRng;
use wallet::{
    signing_context, Amount, Branch, Call, Fee, HistoryKind, Lock, Party, SpendPath, Terms, Wallet,
    WalletError,
};
use zkvm::asm::{assemble, Params};
use zkvm::Program;

fn wallet(name: &str, seed: u8) -> (Wallet, TempPath) {
    let path = TempPath::new(name);
    let phrase = bip39_phrase(seed);
    let (w, _) = Wallet::create(&path.0, Some(&phrase)).unwrap();
    (w, path)
}

/// A valid 24-word phrase per seed byte.
fn bip39_phrase(seed: u8) -> String {
    use wallet::Seed;
    let (_, phrase) = Seed::generate(&mut StdRng::seed_from_u64(u64::from(seed))).unwrap();
    phrase.as_str().to_string()
}

/// A chain whose genesis gives 100,000 native units to each of `a` and `b`.
fn network(a: &Wallet, b: &Wallet, rng: &mut StdRng) -> Chain {
    let utxos = vec![
        genesis_output(&a.address(0), 100_000, b"c", 0, rng),
        genesis_output(&b.address(0), 100_000, b"c", 1, rng),
    ];
    Chain::start(utxos, SecretKey::random(rng))
}

/// Wallets A and B (files `<name>-a` and `<name>-b`, phrases of the seeds
/// `2n - 1` and `2n`) on a [`network`] made with the generator of seed `n`,
/// both synced; with that generator and the wallets' files, which must live
/// as long as the wallets.
fn two_wallets(name: &str, n: u8) -> (Wallet, Wallet, Chain, StdRng, [TempPath; 2]) {
    let mut rng = StdRng::seed_from_u64(u64::from(n));
    let (mut a, pa) = wallet(&format!("{name}-a"), 2 * n - 1);
    let (mut b, pb) = wallet(&format!("{name}-b"), 2 * n);
    let chain = network(&a, &b, &mut rng);
    a.sync(&chain).unwrap();
    b.sync(&chain).unwrap();
    (a, b, chain, rng, [pa, pb])
}

/// A lock of `qty` native units under `terms`, told to A and B (their
/// addresses 0), untagged.
fn lock_for_both(terms: Terms, qty: u64, a: &Wallet, b: &Wallet) -> Lock {
    Lock {
        terms,
        amount: native(qty),
        notify: vec![a.address(0), b.address(0)],
        tags: vec![],
    }
}

fn native(qty: u64) -> Amount {
    Amount {
        flavor: Scalar::ZERO,
        qty,
    }
}

/// The tutorial's time-locked payment (docs/contracts.md).
const CLAIM: &str = "
    mintime; push $deadline; scalar; neg; add; range; drop
    push point:$recipient; contract:1; signtx
";
const RECLAIM: &str = "
    push $deadline; scalar; maxtime; neg; add; range; drop
    push point:$sender; contract:1; signtx
";

fn timelock(sender: &Wallet, recipient: &Wallet, deadline: u64) -> Terms {
    let parties = vec![
        Party {
            name: "sender".into(),
            key: sender.address(0).predicate(),
        },
        Party {
            name: "recipient".into(),
            key: recipient.address(0).predicate(),
        },
    ];
    let mut params = Params::new();
    params.insert("deadline", deadline);
    for p in &parties {
        params.insert(&p.name, format!("point:0x{}", hex(p.key.as_bytes())));
    }
    let branches = vec![
        Branch {
            name: "claim".into(),
            program: assemble(CLAIM, &params).unwrap(),
        },
        Branch {
            name: "reclaim".into(),
            program: assemble(RECLAIM, &params).unwrap(),
        },
    ];
    Terms::new(parties, vec![], branches, [3; 32]).unwrap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn call(id: zkvm::ContractID, branch: &str) -> Call {
    Call {
        contract: id,
        path: SpendPath::Branch(branch.into()),
        secrets: vec![],
        args: Program::new(),
        to: None,
        branch_program: None,
        owes: Vec::new(),
        mintime_ms: None,
        maxtime_ms: None,
    }
}

/// A call of contract `id` by its key path.
fn key_call(id: zkvm::ContractID) -> Call {
    Call {
        path: SpendPath::Key,
        ..call(id, "")
    }
}

#[test]
fn a_time_locked_payment_is_found_refused_early_and_claimed_late() {
    let (mut a, mut b, mut chain, mut rng, paths) = two_wallets("tl", 1);

    let deadline = T0 + 5_000;
    let terms = timelock(&a, &b, deadline);
    let lock = Lock {
        tags: vec![b"timelock".to_vec()],
        ..lock_for_both(terms.clone(), 700, &a, &b)
    };
    let built = a.lock(lock, Fee::Fixed(10), &mut rng).unwrap();
    chain.produce(vec![built.tx]);
    a.sync(&chain).unwrap();
    b.sync(&chain).unwrap();

    // Both find it, with their roles.
    let held = b.contracts()[0].clone();
    assert_eq!(held.amount(), native(700));
    assert_eq!(held.terms, terms);
    assert_eq!(a.contracts()[0].id(), held.id());
    assert_eq!(b.roles(&held.terms)[0].party, "recipient");
    assert_eq!(a.roles(&held.terms)[0].party, "sender");
    assert_eq!(a.history().last().unwrap().kind, HistoryKind::Locked);
    assert_eq!(b.history().last().unwrap().kind, HistoryKind::Locked);
    assert_eq!(b.balance(Scalar::ZERO).spendable, 100_000);

    // Too early: the dry run names the failing instruction.
    let err = b
        .call(call(held.id(), "claim"), Fee::Fixed(10), &mut rng)
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, WalletError::Fails(_)), "{text}");
    assert!(text.contains("`range`"), "{text}");
    assert!(text.contains("depth 1"), "{text}");
    // The sender may not claim either, whatever the time: not its key.
    let mut late = call(held.id(), "claim");
    late.mintime_ms = Some(deadline);
    assert!(a.call(late.clone(), Fee::Fixed(10), &mut rng).is_err());
    // An unknown branch is named.
    let err = b
        .call(call(held.id(), "steal"), Fee::Fixed(10), &mut rng)
        .unwrap_err();
    assert!(err.to_string().contains("claim, reclaim"), "{err}");

    // After the deadline, the recipient claims: the fee comes out of the
    // contract's value.
    while chain.state.tip.timestamp_ms < deadline {
        chain.produce(vec![]);
    }
    b.sync(&chain).unwrap();
    let built = b.call(late, Fee::Fixed(10), &mut rng).unwrap();
    chain.produce(vec![built.tx]);
    a.sync(&chain).unwrap();
    b.sync(&chain).unwrap();
    assert_eq!(b.balance(Scalar::ZERO).spendable, 100_690);
    assert!(b.contract(&held.id()).unwrap().spent.is_some());
    assert!(a.contract(&held.id()).unwrap().spent.is_some());
    let last = b.history().last().unwrap();
    assert_eq!(last.kind, HistoryKind::Unlocked);
    assert_eq!(last.amounts, vec![native(700)]);
    assert_eq!(a.history().last().unwrap().kind, HistoryKind::Unlocked);
    // Spent: a second call is refused.
    assert!(matches!(
        b.call(call(held.id(), "claim"), Fee::Fixed(10), &mut rng),
        Err(WalletError::ContractSpent(..))
    ));

    // Reopened from its file, the wallet still knows the contract.
    let path = paths[1].0.clone();
    drop(b);
    let b = Wallet::open(&path).unwrap();
    assert!(b.contract(&held.id()).unwrap().spent.is_some());
}

#[test]
fn the_sender_reclaims_before_the_deadline() {
    let (mut a, b, mut chain, mut rng, _paths) = two_wallets("rc", 2);
    let deadline = T0 + 60_000;
    let lock = lock_for_both(timelock(&a, &b, deadline), 300, &a, &b);
    let built = a.lock(lock, Fee::Fixed(10), &mut rng).unwrap();
    chain.produce(vec![built.tx]);
    a.sync(&chain).unwrap();
    let id = a.contracts()[0].id();
    // The default validity window passes the deadline: refused at `range`.
    let err = a
        .call(call(id, "reclaim"), Fee::Fixed(10), &mut rng)
        .unwrap_err();
    assert!(err.to_string().contains("`range`"), "{err}");
    let mut c = call(id, "reclaim");
    c.maxtime_ms = Some(deadline);
    let built = a.call(c, Fee::Fixed(10), &mut rng).unwrap();
    chain.produce(vec![built.tx]);
    a.sync(&chain).unwrap();
    assert_eq!(a.balance(Scalar::ZERO).spendable, 100_000 - 10 - 10);
}

#[test]
fn a_two_of_two_account_is_signed_by_both_wallets() {
    let (mut a, mut b, mut chain, mut rng, _paths) = two_wallets("ms", 3);
    let terms = Terms::new(
        vec![
            Party {
                name: "alice".into(),
                key: a.address(0).predicate(),
            },
            Party {
                name: "bob".into(),
                key: b.address(0).predicate(),
            },
        ],
        vec![0, 1],
        vec![],
        [0; 32],
    )
    .unwrap();
    let lock = lock_for_both(terms, 5_000, &a, &b);
    let built = a.lock(lock, Fee::Fixed(10), &mut rng).unwrap();
    chain.produce(vec![built.tx]);
    a.sync(&chain).unwrap();
    b.sync(&chain).unwrap();
    let id = b.contracts()[0].id();
    let mut spend = key_call(id);
    // Alone, neither can spend it.
    assert!(matches!(
        a.call(spend.clone(), Fee::Fixed(10), &mut rng),
        Err(WalletError::NeedsCosigners(1))
    ));

    // Bob prepares (paying the account to Alice); both sign.
    spend.to = Some(a.address(7));
    let prepared = b.prepare_call(spend, Fee::Fixed(10), &mut rng).unwrap();
    let context = signing_context(&prepared.signers).unwrap();
    // Bob's own fee input and his half of the account; Alice's half.
    assert_eq!(context.parties(), 3);
    let mine = b.cosigner_positions(&context).unwrap();
    let theirs = a.cosigner_positions(&context).unwrap();
    assert_eq!(mine.len() + theirs.len(), 3);
    let t = prepared.signing_transcript().unwrap();
    let mut states = Vec::new();
    let mut pre = vec![None; 3];
    for (pos, secret) in mine.iter().chain(&theirs) {
        let (s, p) = SignerAwaitingPrecommitments::new(t.clone(), &context, *pos, secret).unwrap();
        pre[*pos] = Some(p);
        states.push((*pos, s));
    }
    let pre: Vec<_> = pre.into_iter().map(Option::unwrap).collect();
    let mut commits = vec![None; 3];
    let mut next = Vec::new();
    for (pos, s) in states {
        let (s, c) = s.receive_precommitments(&pre).unwrap();
        commits[pos] = Some(c);
        next.push((pos, s));
    }
    let commits: Vec<_> = commits.into_iter().map(Option::unwrap).collect();
    let mut shares = vec![None; 3];
    let mut last = Vec::new();
    for (pos, s) in next {
        let (s, sh) = s.receive_commitments(&commits).unwrap();
        shares[pos] = Some(sh);
        last.push(s);
    }
    let shares: Vec<_> = shares.into_iter().map(Option::unwrap).collect();
    let signature = last.pop().unwrap().receive_shares(&shares).unwrap();
    let built = b.finish(prepared, signature).unwrap();
    chain.produce(vec![built.tx]);
    a.sync(&chain).unwrap();
    b.sync(&chain).unwrap();
    assert_eq!(a.balance(Scalar::ZERO).spendable, 100_000 - 5_010 + 5_000);
    assert_eq!(b.balance(Scalar::ZERO).spendable, 100_000 - 10);
    assert!(a.contract(&id).unwrap().spent.is_some());
}

#[test]
fn a_taproot_key_path_signs_with_the_tweaked_key() {
    let (mut a, mut b, mut chain, mut rng, _paths) = two_wallets("tk", 4);
    let mut terms = timelock(&a, &b, T0 + 1_000_000);
    terms = Terms::new(
        terms.parties().to_vec(),
        vec![0],
        terms.branches().to_vec(),
        [4; 32],
    )
    .unwrap();
    let lock = lock_for_both(terms, 900, &a, &b);
    let built = a.lock(lock, Fee::Fixed(10), &mut rng).unwrap();
    chain.produce(vec![built.tx]);
    a.sync(&chain).unwrap();
    b.sync(&chain).unwrap();
    let id = a.contracts()[0].id();
    let spend = key_call(id);
    assert!(matches!(
        b.call(spend.clone(), Fee::Fixed(10), &mut rng),
        Err(WalletError::NotASigner)
    ));
    let built = a.call(spend, Fee::Fixed(10), &mut rng).unwrap();
    chain.produce(vec![built.tx]);
    a.sync(&chain).unwrap();
    assert_eq!(a.balance(Scalar::ZERO).spendable, 100_000 - 20);
}
