//! Building transactions: payments, issuance, retirement
//! (docs/spec/wallet.md §Transactions).

use std::collections::BTreeMap;

use accumulator::{Proof, ZkvmHash};
use blockchain::{fee_for, utxo_leaf};
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use zkvm::{
    Commitment, Contract, ContractID, Data, Encodable, FeeRate, PortableItem, Predicate, Program,
    Prover, ScalarWitness, Tx, TxHeader, TxID, MAX_FEE,
};

use crate::note::{EncryptedNote, NoteOpening};
use crate::wallet::{add_amount, Amount, HistoryKind, OwnedUtxo, PendingTx, State};
use crate::{Address, Wallet, WalletError};

/// How a transaction's fee is set (docs/spec/wallet.md §Fees).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fee {
    /// Exactly this fee, in the zero flavor.
    Fixed(u64),
    /// The least fee that pays at least this rate for the transaction's
    /// encoded size: what a node asks with its minimum relay fee rate
    /// (docs/spec/blockchain.md §Mempool, Relay fees). The size is known
    /// only once the transaction is proven, so the wallet builds it, and
    /// builds it again with a higher fee if the first one fell short.
    AtRate(FeeRate),
}

impl From<u64> for Fee {
    fn from(fee: u64) -> Fee {
        Fee::Fixed(fee)
    }
}

/// The size a fee at a rate is first computed for: no wallet transaction
/// that pays a fee is smaller (one input, the fee and one output make 1,649
/// bytes), so the first guess never overpays. At the default minimum relay
/// fee rate (1 per 2,000 bytes) it is already right for every transaction
/// up to 2,000 bytes, a payment with change (1,987 bytes) included, which
/// is then built once; otherwise a second build settles the fee.
pub const FIRST_FEE_ESTIMATE_BYTES: usize = 1_400;

/// A transaction the wallet built and signed, now pending: broadcast `tx`
/// with `utxo_proof` (docs/spec/blockchain.md §Mempool, Insertion).
#[derive(Clone, Debug)]
pub struct Built {
    /// The signed transaction.
    pub tx: Tx,
    /// A Utreexo proof of its inputs against the followed state, in the
    /// order its log lists them.
    pub utxo_proof: Proof,
    /// Its ID.
    pub txid: TxID,
    /// Its fee.
    pub fee: u64,
    /// The wallet's outputs it spends, in log order.
    pub inputs: Vec<ContractID>,
    /// For an issuance, the flavor issued.
    pub issued_flavor: Option<Scalar>,
}

/// What a transaction does, before coins are chosen.
struct Plan {
    kind: HistoryKind,
    inputs: Vec<OwnedUtxo>,
    issue: Option<(Amount, Vec<u8>)>,
    retire: Option<Amount>,
    payments: Vec<(Address, Amount)>,
    fee: u64,
}

impl Wallet {
    /// Pays `qty` of `flavor` to `to` with a fee of `fee` (in the zero
    /// flavor); change goes to a fresh address of the wallet
    /// (docs/spec/wallet.md §Transactions). The transaction is recorded as
    /// pending and its inputs locked.
    pub fn send<R: RngCore + CryptoRng>(
        &mut self,
        to: &Address,
        qty: u64,
        flavor: Scalar,
        fee: u64,
        rng: &mut R,
    ) -> Result<Built, WalletError> {
        self.send_with_fee(to, qty, flavor, Fee::Fixed(fee), rng)
    }

    /// [`Wallet::send`] with the fee fixed or set by a rate ([`Fee`]).
    pub fn send_with_fee<R: RngCore + CryptoRng>(
        &mut self,
        to: &Address,
        qty: u64,
        flavor: Scalar,
        fee: Fee,
        rng: &mut R,
    ) -> Result<Built, WalletError> {
        self.build_spending(qty, flavor, Some(to), fee, rng)
    }

    /// Issues `qty` of the flavor of the wallet's issuance key and
    /// `metadata` ([`Wallet::issuance_flavor`]) to a fresh address of the
    /// wallet, paying `fee` (docs/spec/wallet.md §Transactions). An input
    /// supplies the anchor: zero-flavor outputs that pay the fee, or if the
    /// fee is zero the largest unlocked output (its value comes back as
    /// change).
    pub fn issue<R: RngCore + CryptoRng>(
        &mut self,
        qty: u64,
        metadata: &[u8],
        fee: u64,
        rng: &mut R,
    ) -> Result<Built, WalletError> {
        self.issue_with_fee(qty, metadata, Fee::Fixed(fee), rng)
    }

    /// [`Wallet::issue`] with the fee fixed or set by a rate ([`Fee`]).
    pub fn issue_with_fee<R: RngCore + CryptoRng>(
        &mut self,
        qty: u64,
        metadata: &[u8],
        fee: Fee,
        rng: &mut R,
    ) -> Result<Built, WalletError> {
        check_qty(qty)?;
        let flavor = self.keys.issuance_flavor(metadata);
        self.build_paying(fee, rng, |w, fee| {
            let mut inputs = w.select(Scalar::ZERO, u128::from(fee))?;
            if inputs.is_empty() {
                let locked = w.state.locked();
                let anchor = w
                    .state
                    .utxos
                    .values()
                    .filter(|u| !locked.contains(&u.id()))
                    .max_by_key(|u| (u.flavor() == Scalar::ZERO, u.qty(), u.id()))
                    .ok_or(WalletError::NothingToSpend)?;
                inputs.push(anchor.clone());
            }
            Ok(Plan {
                kind: HistoryKind::Issued,
                inputs,
                issue: Some((Amount { flavor, qty }, metadata.to_vec())),
                retire: None,
                payments: Vec::new(),
                fee,
            })
        })
    }

    /// Retires (destroys) `qty` of `flavor`, paying `fee`
    /// (docs/spec/wallet.md §Transactions).
    pub fn retire<R: RngCore + CryptoRng>(
        &mut self,
        qty: u64,
        flavor: Scalar,
        fee: u64,
        rng: &mut R,
    ) -> Result<Built, WalletError> {
        self.retire_with_fee(qty, flavor, Fee::Fixed(fee), rng)
    }

    /// [`Wallet::retire`] with the fee fixed or set by a rate ([`Fee`]).
    pub fn retire_with_fee<R: RngCore + CryptoRng>(
        &mut self,
        qty: u64,
        flavor: Scalar,
        fee: Fee,
        rng: &mut R,
    ) -> Result<Built, WalletError> {
        self.build_spending(qty, flavor, None, fee, rng)
    }

    /// Spends `qty` of `flavor`, paying `fee`: a payment to `to`, or with
    /// no `to` a retirement ([`Wallet::send_with_fee`],
    /// [`Wallet::retire_with_fee`]).
    fn build_spending<R: RngCore + CryptoRng>(
        &mut self,
        qty: u64,
        flavor: Scalar,
        to: Option<&Address>,
        fee: Fee,
        rng: &mut R,
    ) -> Result<Built, WalletError> {
        check_qty(qty)?;
        let amount = Amount { flavor, qty };
        let (kind, retire, payments) = match to {
            Some(to) => (HistoryKind::Sent, None, vec![(*to, amount)]),
            None => (HistoryKind::Retired, Some(amount), Vec::new()),
        };
        self.build_paying(fee, rng, |w, fee| {
            Ok(Plan {
                kind,
                inputs: w.select_with_fee(flavor, qty, fee)?,
                issue: None,
                retire,
                payments: payments.clone(),
                fee,
            })
        })
    }

    /// Builds the plan that `plan` makes for a fee, with the fee `fee`
    /// asks for (docs/spec/wallet.md §Fees), and records it as pending.
    ///
    /// At a rate, the first fee is the rate's fee for
    /// [`FIRST_FEE_ESTIMATE_BYTES`]; while the transaction built pays less
    /// than the rate's fee for its actual size, it is built again with that
    /// fee (coin selection included, as a higher fee may need another
    /// input). The fee only rises, and for one set of inputs the size does
    /// not depend on the fee's value (the fee is a 4-byte string), so this
    /// ends: in one build when the estimate is right, two most often
    /// otherwise. Only the last build is recorded.
    fn build_paying<R: RngCore + CryptoRng>(
        &mut self,
        fee: Fee,
        rng: &mut R,
        plan: impl Fn(&Wallet, u64) -> Result<Plan, WalletError>,
    ) -> Result<Built, WalletError> {
        let (built, new) = match fee {
            Fee::Fixed(fee) => {
                check_fee(fee)?;
                self.prepare(plan(self, fee)?, rng)?
            }
            Fee::AtRate(rate) => {
                let mut fee = fee_for(rate, FIRST_FEE_ESTIMATE_BYTES);
                loop {
                    check_fee(fee)?;
                    let (built, new) = self.prepare(plan(self, fee)?, rng)?;
                    let needed = fee_for(rate, built.tx.encoded_size());
                    if fee >= needed {
                        break (built, new);
                    }
                    fee = needed;
                }
            }
        };
        self.commit(new)?;
        Ok(built)
    }

    /// Inputs for `qty` of `flavor` and `fee` of the zero flavor.
    fn select_with_fee(
        &self,
        flavor: Scalar,
        qty: u64,
        fee: u64,
    ) -> Result<Vec<OwnedUtxo>, WalletError> {
        if flavor == Scalar::ZERO {
            return self.select(flavor, u128::from(qty) + u128::from(fee));
        }
        let mut inputs = self.select(flavor, u128::from(qty))?;
        inputs.extend(self.select(Scalar::ZERO, u128::from(fee))?);
        Ok(inputs)
    }

    /// Coin selection (docs/spec/wallet.md §Transactions): the unlocked
    /// confirmed outputs of `flavor`, largest first (ties by contract ID),
    /// until they cover `needed`.
    fn select(&self, flavor: Scalar, needed: u128) -> Result<Vec<OwnedUtxo>, WalletError> {
        if needed == 0 {
            return Ok(Vec::new());
        }
        let locked = self.state.locked();
        let mut candidates: Vec<&OwnedUtxo> = self
            .state
            .utxos
            .values()
            .filter(|u| u.flavor() == flavor && !locked.contains(&u.id()))
            .collect();
        candidates.sort_by_key(|u| (std::cmp::Reverse(u.qty()), u.id()));
        let mut chosen = Vec::new();
        let mut sum: u128 = 0;
        for u in candidates.iter() {
            if sum >= needed {
                break;
            }
            sum += u128::from(u.qty());
            chosen.push((*u).clone());
        }
        if sum < needed {
            let available = candidates.iter().map(|u| u128::from(u.qty())).sum();
            return Err(WalletError::InsufficientFunds {
                flavor,
                needed,
                available,
            });
        }
        Ok(chosen)
    }

    /// Writes, proves and signs the plan's program; returns it with the
    /// wallet state that records it as pending, for the caller to commit
    /// (docs/spec/wallet.md §Transactions, Program).
    fn prepare<R: RngCore + CryptoRng>(
        &self,
        plan: Plan,
        rng: &mut R,
    ) -> Result<(Built, State), WalletError> {
        let following = self
            .state
            .following
            .as_ref()
            .ok_or(WalletError::NotFollowing)?;

        // Change per flavor: inputs and issuance in, payments, retirement
        // and fee out.
        let mut flows: BTreeMap<[u8; 32], (Scalar, u128, u128)> = BTreeMap::new();
        let mut flow = |flavor: Scalar, inflow: u64, outflow: u64| {
            let e = flows.entry(flavor.to_bytes()).or_insert((flavor, 0, 0));
            e.1 += u128::from(inflow);
            e.2 += u128::from(outflow);
        };
        for u in &plan.inputs {
            flow(u.flavor(), u.qty(), 0);
        }
        if let Some((a, _)) = &plan.issue {
            flow(a.flavor, a.qty, a.qty);
        }
        if let Some(a) = &plan.retire {
            flow(a.flavor, 0, a.qty);
        }
        for (_, a) in &plan.payments {
            flow(a.flavor, 0, a.qty);
        }
        flow(Scalar::ZERO, 0, plan.fee);
        let mut incoming: Vec<Amount> = Vec::new();
        if let Some((a, _)) = &plan.issue {
            incoming.push(*a);
        }
        for (flavor, inflow, outflow) in flows.into_values() {
            if inflow < outflow {
                return Err(WalletError::InsufficientFunds {
                    flavor,
                    needed: outflow,
                    available: inflow,
                });
            }
            let change = inflow - outflow;
            if change > 0 {
                let qty = u64::try_from(change).map_err(|_| WalletError::AmountOverflow)?;
                incoming.push(Amount { flavor, qty });
            }
        }

        let mut new = self.state.clone();
        let mut outputs: Vec<(Address, Amount)> = plan.payments.clone();
        if !incoming.is_empty() {
            let index = new.next_index;
            new.next_index = index.checked_add(1).ok_or(WalletError::IndexExhausted)?;
            let own = self.keys.address(index);
            outputs.extend(incoming.iter().map(|a| (own, *a)));
        }

        let mut p = Program::new();
        for u in &plan.inputs {
            p.push(self.reopen(u)?).input().signtx();
            // The note is a string the payload pushes above the value.
            p.drop();
        }
        let mut m = plan.inputs.len();
        if let Some((a, metadata)) = &plan.issue {
            let qty = Commitment::blinded_with_factor(a.qty, Scalar::random(rng));
            p.push(qty)
                .commit()
                .push(Commitment::unblinded(a.flavor))
                .push(ScalarWitness::from(a.flavor))
                .unblind()
                .commit()
                .push(Data::Opaque(metadata.clone()))
                .push(self.keys.issuance_predicate())
                .issue()
                .signtx();
            m += 1;
        }
        if plan.fee > 0 {
            let fee = u32::try_from(plan.fee).map_err(|_| WalletError::FeeTooHigh(plan.fee))?;
            p.push(Data::U32(fee)).fee();
            m += 1;
        }
        // Cloak outputs: the retired value first (it ends on top), then
        // each output.
        let retired = plan
            .retire
            .map(|a| NoteOpening::random(a.qty, a.flavor, rng));
        let openings: Vec<NoteOpening> = outputs
            .iter()
            .map(|(_, a)| NoteOpening::random(a.qty, a.flavor, rng))
            .collect();
        for o in retired.iter().chain(openings.iter()) {
            let v = o.value();
            p.push(v.qty).push(v.flv);
        }
        p.cloak(m, openings.len() + usize::from(retired.is_some()));
        if retired.is_some() {
            p.retire();
        }
        for ((to, _), o) in outputs.iter().zip(&openings) {
            let note = EncryptedNote::seal(o, to.encryption_point(), &to.predicate(), rng)?;
            p.push(Data::Opaque(note.to_bytes()))
                .push(Predicate::opaque(to.predicate()))
                .output(2);
        }

        let header = TxHeader {
            version: 1,
            mintime_ms: 0,
            maxtime_ms: following
                .chain
                .tip
                .timestamp_ms
                .saturating_add(self.state.window_ms),
        };
        let unsigned = Prover::build_tx(header, p)?;
        let txid = unsigned.id;
        let tx = unsigned.sign()?;
        let inputs: Vec<ContractID> = plan.inputs.iter().map(OwnedUtxo::id).collect();
        let leaves: Vec<ZkvmHash> = inputs.iter().map(utxo_leaf).collect();
        let utxo_proof = following.pollard.prove(&leaves)?;

        let amounts = match (&plan.issue, &plan.retire) {
            (Some((a, _)), _) | (None, Some(a)) => vec![*a],
            (None, None) => {
                let mut list = Vec::new();
                for (_, a) in &plan.payments {
                    add_amount(&mut list, a.flavor, a.qty);
                }
                list
            }
        };
        new.pending.insert(
            txid,
            PendingTx {
                txid,
                tx: tx.clone(),
                kind: plan.kind,
                amounts,
                fee: plan.fee,
                inputs: inputs.clone(),
                incoming,
            },
        );
        let built = Built {
            tx,
            utxo_proof,
            txid,
            fee: plan.fee,
            inputs,
            issued_flavor: plan.issue.map(|(a, _)| a.flavor),
        };
        Ok((built, new))
    }

    /// An owned output with its secrets attached: the receiving key and the
    /// open commitments; its ID must be the stored one.
    fn reopen(&self, u: &OwnedUtxo) -> Result<Contract, WalletError> {
        let note = match u.contract.payload.get(1) {
            Some(PortableItem::String(d)) => d.clone(),
            _ => return Err(WalletError::Corrupt("owned output without a note")),
        };
        let c = Contract {
            anchor: u.contract.anchor,
            predicate: Predicate::key(self.keys.spend_key(u.key_index)),
            payload: vec![
                PortableItem::Value(u.opening.value()),
                PortableItem::String(note),
            ],
        };
        if c.id() != u.id() {
            return Err(WalletError::Corrupt("owned output does not reopen"));
        }
        Ok(c)
    }
}

/// A positive quantity.
fn check_qty(qty: u64) -> Result<(), WalletError> {
    if qty == 0 {
        return Err(WalletError::ZeroAmount);
    }
    Ok(())
}

/// A fee of at most [`MAX_FEE`].
fn check_fee(fee: u64) -> Result<(), WalletError> {
    if fee > MAX_FEE {
        return Err(WalletError::FeeTooHigh(fee));
    }
    Ok(())
}
