//! Helpers shared by tests/offer.rs, tests/loan.rs and
//! benches/contracts.rs (included there with `#[path]`): assets, open
//! values and UTXOs, offer making and taking, branch calls, cloaks, and
//! proving, signing and verifying in memory.
#![allow(dead_code)]

pub mod loan;

use contracts::offer::{self, OfferTerms, Take};
use curve25519_dalek::scalar::Scalar;
use musig::{SecretKey, Signature};
use zkvm::{
    Anchor, CallProof, Commitment, Contract, Encodable, PortableItem, Predicate, Program,
    ProgramItem, Prover, Tx, TxEntry, TxHeader, UnsignedTx, Value, Verifier,
};

/// The asset offered.
pub fn a() -> Scalar {
    Scalar::from(7u64)
}

/// The asset asked for.
pub fn b() -> Scalar {
    Scalar::from(11u64)
}

pub fn key(n: u64) -> SecretKey {
    SecretKey::from_scalar(Scalar::from(n))
}

/// An opaque predicate to `key`'s verification key.
pub fn to(key: &SecretKey) -> Predicate {
    Predicate::opaque(*key.verification_key().as_compressed())
}

pub fn header(mintime: u64, maxtime: u64) -> TxHeader {
    TxHeader {
        version: 1,
        mintime_ms: mintime,
        maxtime_ms: maxtime,
    }
}

pub fn open_value(qty: u64, flavor: Scalar) -> Value {
    Value {
        qty: Commitment::blinded_with_factor(qty, Scalar::from(qty + 1)),
        flv: Commitment::blinded_with_factor(flavor, Scalar::from(3u64)),
    }
}

/// A UTXO of `qty` of `flavor` owned by `key`.
pub fn utxo(key: &SecretKey, qty: u64, flavor: Scalar, n: u8) -> Contract {
    Contract {
        anchor: Anchor::from_bytes([n; 32]),
        predicate: Predicate::key(key.clone()),
        payload: vec![PortableItem::Value(open_value(qty, flavor))],
    }
}

/// Offers 100 A at 10 B per 4 A, expiring at 10 s.
pub fn offer_terms() -> OfferTerms {
    OfferTerms {
        give_flavor: a(),
        want_flavor: b(),
        give: 4,
        want: 10,
        expires_ms: 10_000,
        salt: [1; 16],
        private: false,
    }
}

/// The maker's transaction: its UTXO `n` of 100 A cloaked to the goods,
/// offered under `terms`.
pub fn make_offer(terms: &OfferTerms, maker: &SecretKey, n: u8) -> Program {
    let mut p = Program::new();
    p.push(utxo(maker, 100, a(), n)).input().signtx();
    let goods = offer::goods(terms, 100);
    p.push(goods.qty).push(goods.flv).cloak(1, 1);
    offer::make(&mut p, terms, 100, maker);
    p
}

/// A taker's transaction: its B input pays, it takes the fill to itself.
pub fn take_tx(
    offer: &Contract,
    held: u64,
    take: Take,
    taker: &SecretKey,
    budget: u64,
    n: u8,
) -> Program {
    take_tx_at(offer, held, take, None, taker, budget, n)
}

/// [`take_tx`] with the price of a private offer.
pub fn take_tx_at(
    offer: &Contract,
    held: u64,
    take: Take,
    price: Option<(u64, u64)>,
    taker: &SecretKey,
    budget: u64,
    n: u8,
) -> Program {
    let mut p = offer::take(offer, held, take, price).unwrap();
    // Leaves −P F; add the taker's B, cloak into F and change.
    p.push(utxo(taker, budget, b(), n)).input().signtx();
    let fill = open_value(take.fill, a());
    let change = open_value(budget - take.pay, b());
    cloak_to_two(&mut p, fill, change, to(taker));
    p
}

/// A program spending `contract` through the branch `program` that
/// `proof` proves.
pub fn call(contract: Contract, proof: &CallProof, program: impl Into<ProgramItem>) -> Program {
    let mut p = Program::new();
    p.push(contract)
        .input()
        .push(proof.encode_to_vec())
        .program(program)
        .call();
    p
}

/// Cloaks three values on the stack into `first` and `second`, each
/// output to `to`.
pub fn cloak_to_two(p: &mut Program, first: Value, second: Value, to: Predicate) {
    p.push(first.qty)
        .push(first.flv)
        .push(second.qty)
        .push(second.flv)
        .cloak(3, 2);
    p.push(to.clone()).output(1).push(to).output(1);
}

/// Proves `p` and signs it with the secrets its predicates carry.
pub fn prove(p: Program, header: TxHeader) -> Result<Tx, String> {
    let unsigned = Prover::build_tx(header, p).map_err(|e| e.to_string())?;
    unsigned.sign().map_err(|e| e.to_string())
}

/// Signs with the secrets in `keys`, matched to the transaction's
/// signers (in the order it asks) by their verification keys.
pub fn sign_with_keys(unsigned: UnsignedTx, keys: &[SecretKey]) -> Result<Tx, String> {
    let pairs: Vec<(SecretKey, [u8; 32])> = unsigned
        .signers
        .iter()
        .map(|(pred, id)| {
            let point = pred.to_point();
            let k = keys
                .iter()
                .find(|k| *k.verification_key().as_compressed() == point)
                .expect("a key for every signer");
            (k.clone(), id.to_bytes())
        })
        .collect();
    let mut t = zkvm::signtx_transcript(&unsigned.id);
    let sig = Signature::sign_multimessage(&mut t, &pairs).map_err(|e| e.to_string())?;
    Ok(unsigned.with_signature(sig))
}

/// The verified log of a transaction.
pub fn verify(tx: &Tx) -> Result<Vec<TxEntry>, String> {
    let verified = Verifier::verify_bytes(&tx.to_bytes()).map_err(|e| e.to_string())?;
    Ok(verified.log.0)
}

/// Proves, signs and verifies (times 0 to `maxtime`); the verified log.
pub fn run(p: Program, maxtime: u64) -> Result<Vec<TxEntry>, String> {
    verify(&prove(p, header(0, maxtime))?)
}

/// The offer outputs of a log (payload of three items).
pub fn offers(log: &[TxEntry]) -> Vec<Contract> {
    log.iter()
        .filter_map(|e| match e {
            TxEntry::Output(c) if c.payload.len() == 3 => Some(c.clone()),
            _ => None,
        })
        .collect()
}
