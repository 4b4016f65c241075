#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Fees set by a rate (docs/spec/wallet.md §Fees): the wallet pays the
//! least fee that meets a node's minimum relay fee rate for the size of the
//! transaction it builds, and a mempool with that minimum takes it.

mod common;

use blockchain::{fee_for, BlockchainError, Mempool, MempoolPolicy};
use common::{Chain, TempPath};
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use rand::rngs::StdRng;
use rand::SeedableRng;
use wallet::{genesis_anchor, pay_to, Built, Fee, Keys, Wallet};
use zkvm::{Encodable, FeeRate, Tx};

/// A chain whose genesis pays `amounts` of the zero flavor to `keys`'
/// address 0.
fn funded_chain(keys: &Keys, amounts: &[u64], rng: &mut StdRng) -> Chain {
    let key = SecretKey::random(rng);
    let utxos = amounts
        .iter()
        .enumerate()
        .map(|(i, qty)| {
            pay_to(
                &keys.address(0),
                *qty,
                Scalar::ZERO,
                genesis_anchor(b"fees", i as u64),
                rng,
            )
            .unwrap()
        })
        .collect();
    Chain::start(utxos, key)
}

/// Makes and applies a block of `txs`; the wallet scans it.
fn produce(chain: &mut Chain, txs: Vec<Tx>, w: &mut Wallet) {
    let block = chain.produce(txs);
    w.scan_block(&block).unwrap();
}

/// A new wallet in a temporary file.
fn wallet(name: &str) -> (TempPath, Wallet) {
    let path = TempPath::new(name);
    let (w, _) = Wallet::create(&path.0, None).unwrap();
    (path, w)
}

/// `built` pays exactly the least fee that meets `rate` for its size.
fn assert_least_fee(built: &Built, rate: FeeRate) {
    let size = built.tx.encoded_size();
    assert_eq!(built.fee, fee_for(rate, size), "size {size}");
    assert!(FeeRate::new(built.fee, size) >= rate);
    assert!(FeeRate::new(built.fee - 1, size) < rate);
}

/// A pool refusing anything below `rate` (replacements: no extra rule).
fn pool(rate: FeeRate) -> Mempool {
    Mempool::with_policy(MempoolPolicy {
        min_relay_fee_rate: rate,
        ..MempoolPolicy::free(1 << 20)
    })
}

#[test]
fn a_fee_at_a_rate_is_the_least_that_meets_it_and_a_pool_takes_it() {
    let mut rng = StdRng::seed_from_u64(11);
    let (_path, mut w) = wallet("a");
    let (_bob_path, mut bob) = wallet("b");
    let to_bob = bob.new_address().unwrap();
    let mut chain = funded_chain(w.keys(), &[1_000_000], &mut rng);
    w.follow(&chain.genesis).unwrap();
    bob.follow(&chain.genesis).unwrap();

    for rate in [FeeRate::new(1, 2000), FeeRate::new(7, 1000)] {
        let built = w
            .send_with_fee(&to_bob, 100, Scalar::ZERO, Fee::AtRate(rate), &mut rng)
            .unwrap();
        assert_least_fee(&built, rate);
        assert_eq!(w.pending().next().map(|p| p.fee), Some(built.fee));
        let mut p = pool(rate);
        p.insert(built.tx.clone(), built.utxo_proof.clone(), &chain.state)
            .unwrap();
        // One unit less, at the same size, is refused.
        let mut stricter = pool(FeeRate::new(built.fee + 1, built.tx.encoded_size()));
        assert!(matches!(
            stricter.insert(built.tx.clone(), built.utxo_proof.clone(), &chain.state),
            Err(BlockchainError::FeeRateTooLow { .. })
        ));
        produce(&mut chain, vec![built.tx], &mut w);
        assert_eq!(w.pending().count(), 0);
    }

    // Issue and retire at a rate too.
    let rate = FeeRate::new(3, 1000);
    let issued = w
        .issue_with_fee(500, b"GOLD", Fee::AtRate(rate), &mut rng)
        .unwrap();
    assert_least_fee(&issued, rate);
    produce(&mut chain, vec![issued.tx.clone()], &mut w);
    let gold = issued.issued_flavor.unwrap();
    let retired = w
        .retire_with_fee(20, gold, Fee::AtRate(rate), &mut rng)
        .unwrap();
    assert_least_fee(&retired, rate);
    pool(rate)
        .insert(retired.tx.clone(), retired.utxo_proof.clone(), &chain.state)
        .unwrap();
    produce(&mut chain, vec![retired.tx], &mut w);

    // A fixed fee is taken as given, even a zero one.
    let fixed = w
        .send_with_fee(&to_bob, 1, Scalar::ZERO, Fee::Fixed(0), &mut rng)
        .unwrap();
    assert_eq!(fixed.fee, 0);
    assert_eq!(Fee::from(5), Fee::Fixed(5));
}

#[test]
fn a_fee_that_needs_another_input_is_computed_again() {
    let mut rng = StdRng::seed_from_u64(12);
    let (_path, mut w) = wallet("c");
    let to = w.keys().address(9);
    // Two coins: 100 pays the quantity, the fee needs the 50 too, and the
    // second input makes the transaction larger than the first estimate.
    let chain = funded_chain(w.keys(), &[100, 50], &mut rng);
    w.follow(&chain.genesis).unwrap();
    let rate = FeeRate::new(7, 1000);
    let built = w
        .send_with_fee(&to, 100, Scalar::ZERO, Fee::AtRate(rate), &mut rng)
        .unwrap();
    assert_eq!(built.inputs.len(), 2);
    assert_least_fee(&built, rate);
    assert!(built.fee > fee_for(rate, wallet::FIRST_FEE_ESTIMATE_BYTES));
    pool(rate)
        .insert(built.tx, built.utxo_proof, &chain.state)
        .unwrap();
}
