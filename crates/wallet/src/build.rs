//! Building transactions: payments, issuance, retirement
//! (docs/spec/wallet.md §Transactions).

use std::collections::BTreeMap;

use accumulator::{Proof, ZkvmHash};
use blockchain::{fee_for, utxo_leaf};
use curve25519_dalek::scalar::Scalar;
use musig::{Signature, SignerAwaitingPrecommitments};
use rand_core::{CryptoRng, RngCore};
use zkvm::{
    Commitment, Contract, ContractID, Data, Encodable, FeeRate, PortableItem, Predicate, Program,
    Prover, ScalarWitness, Tx, TxEntry, TxHeader, TxID, UnsignedTx, MAX_FEE,
};

use crate::contract_note::{self, ContractSecrets};
use crate::contracts::{
    signing_context, Call, CustomOutput, External, HeldContract, Lock, SignerEntry, SpendPath,
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
pub(crate) struct Plan {
    pub(crate) kind: HistoryKind,
    pub(crate) inputs: Vec<OwnedUtxo>,
    pub(crate) issue: Option<(Amount, Vec<u8>)>,
    pub(crate) retire: Option<Amount>,
    pub(crate) payments: Vec<(Address, Amount)>,
    pub(crate) fee: u64,
    /// Value locked into contracts.
    pub(crate) locks: Vec<Lock>,
    /// Held contracts spent, with how.
    pub(crate) calls: Vec<(HeldContract, Call)>,
    /// Outputs built by a caller's program from an unblinded value.
    pub(crate) customs: Vec<CustomOutput>,
    /// Programs that spend outputs the wallet does not own.
    pub(crate) externals: Vec<External>,
}

impl Plan {
    /// A plan that only moves the wallet's own outputs.
    pub(crate) fn simple(
        kind: HistoryKind,
        inputs: Vec<OwnedUtxo>,
        payments: Vec<(Address, Amount)>,
        fee: u64,
    ) -> Plan {
        Plan {
            kind,
            inputs,
            issue: None,
            retire: None,
            payments,
            fee,
            locks: Vec::new(),
            calls: Vec::new(),
            customs: Vec::new(),
            externals: Vec::new(),
        }
    }
}

/// A transaction built and proven but not yet signed, with the wallet
/// state that records it as pending once it is ([`Wallet::finish`]).
pub struct Prepared {
    /// The proven transaction, waiting for its signature.
    pub unsigned: UnsignedTx,
    /// Who signs: one entry per `signtx` in order.
    pub signers: Vec<SignerEntry>,
    pub(crate) utxo_proof: Proof,
    pub(crate) inputs: Vec<ContractID>,
    pub(crate) issued_flavor: Option<Scalar>,
    pub(crate) pending: PendingTx,
    pub(crate) state: State,
}

impl Prepared {
    /// The transaction's ID.
    pub fn txid(&self) -> TxID {
        self.unsigned.id
    }

    /// Its fee.
    pub fn fee(&self) -> u64 {
        self.unsigned.fee
    }

    /// The transcript the `signtx` signature is made on: `"ZkVM.signtx"`
    /// with the txid (docs/spec/zkvm.md §signtx).
    pub fn signing_transcript(&self) -> Result<merlin::Transcript, WalletError> {
        Ok(self.unsigned.signing_request()?.transcript)
    }

    /// Its encoded size once signed.
    pub fn encoded_size(&self) -> usize {
        24 + 4 + self.unsigned.program.len() + 64 + 4 + self.unsigned.proof.serialized_size()
    }
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

    /// Pays several recipients in one transaction, each an address and an
    /// amount (assets may differ and an address may repeat), with one fee
    /// and one change output per flavor (docs/spec/wallet.md
    /// §Transactions, Several recipients). Inputs are chosen per flavor as
    /// for [`Wallet::send_with_fee`], the fee from the zero flavor.
    pub fn send_many_with_fee<R: RngCore + CryptoRng>(
        &mut self,
        payments: &[(Address, Amount)],
        fee: Fee,
        rng: &mut R,
    ) -> Result<Built, WalletError> {
        if payments.is_empty() {
            return Err(WalletError::ZeroAmount);
        }
        // Totals per flavor, in first-seen order so that coin selection
        // (and so the transaction) does not depend on a map's order.
        let mut totals: Vec<(Scalar, u128)> = Vec::new();
        for (_, a) in payments {
            check_qty(a.qty)?;
            match totals.iter_mut().find(|(f, _)| *f == a.flavor) {
                Some((_, t)) => *t += u128::from(a.qty),
                None => totals.push((a.flavor, u128::from(a.qty))),
            }
        }
        let payments = payments.to_vec();
        self.build_paying(fee, rng, |w, fee| {
            let mut inputs = Vec::new();
            let mut fee_covered = false;
            for (flavor, total) in &totals {
                let needed = if *flavor == Scalar::ZERO {
                    fee_covered = true;
                    total + u128::from(fee)
                } else {
                    *total
                };
                inputs.extend(w.select(*flavor, needed)?);
            }
            if !fee_covered {
                inputs.extend(w.select(Scalar::ZERO, u128::from(fee))?);
            }
            Ok(Plan::simple(
                HistoryKind::Sent,
                inputs,
                payments.clone(),
                fee,
            ))
        })
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

    /// Issues `qty` of a new asset described by `metadata` (name, decimals,
    /// description; docs/spec/wallet.md §Asset metadata), which the
    /// transaction's log carries for every reader.
    pub fn issue_asset_with_fee<R: RngCore + CryptoRng>(
        &mut self,
        qty: u64,
        metadata: &crate::AssetMetadata,
        fee: Fee,
        rng: &mut R,
    ) -> Result<Built, WalletError> {
        self.issue_with_fee(qty, &metadata.to_bytes(), fee, rng)
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
                    .filter(|u| !locked.contains(&u.id()) && u.offer_terms().is_none())
                    .max_by_key(|u| (u.flavor() == Scalar::ZERO, u.qty(), u.id()))
                    .ok_or(WalletError::NothingToSpend)?;
                inputs.push(anchor.clone());
            }
            let mut plan = Plan::simple(HistoryKind::Issued, inputs, Vec::new(), fee);
            plan.issue = Some((Amount { flavor, qty }, metadata.to_vec()));
            Ok(plan)
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
            let mut plan = Plan::simple(
                kind,
                w.select_with_fee(flavor, qty, fee)?,
                payments.clone(),
                fee,
            );
            plan.retire = retire;
            Ok(plan)
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
    pub(crate) fn build_paying<R: RngCore + CryptoRng>(
        &mut self,
        fee: Fee,
        rng: &mut R,
        plan: impl Fn(&Wallet, u64) -> Result<Plan, WalletError>,
    ) -> Result<Built, WalletError> {
        let prepared = self.prepare_paying(fee, rng, plan)?;
        let signature = self.sign_alone(&prepared)?;
        self.finish(prepared, signature)
    }

    /// The `signtx` signature of `prepared` when this wallet holds every
    /// key it needs: the co-signing protocol run with all parties here
    /// (docs/spec/wallet.md §Co-signing); `NeedsCosigners` otherwise.
    pub(crate) fn sign_alone(&self, prepared: &Prepared) -> Result<Signature, WalletError> {
        let unsigned = &prepared.unsigned;
        if unsigned
            .signers
            .iter()
            .all(|(p, _)| p.signing_key().is_some())
        {
            return Ok(prepared.unsigned.clone().sign()?.signature);
        }
        let context = signing_context(&prepared.signers)?;
        let held = self.cosigner_positions(&context)?;
        let parties = musig::SigningContext::parties(&context);
        if held.len() < parties {
            return Err(WalletError::NeedsCosigners(parties - held.len()));
        }
        let transcript = prepared.signing_transcript()?;
        let mut states = Vec::with_capacity(parties);
        let mut precommitments = Vec::with_capacity(parties);
        for (position, secret) in &held {
            let (state, pre) =
                SignerAwaitingPrecommitments::new(transcript.clone(), &context, *position, secret)?;
            states.push(state);
            precommitments.push(pre);
        }
        let mut next = Vec::with_capacity(parties);
        let mut commitments = Vec::with_capacity(parties);
        for state in states {
            let (state, c) = state.receive_precommitments(&precommitments)?;
            next.push(state);
            commitments.push(c);
        }
        let mut last = Vec::with_capacity(parties);
        let mut shares = Vec::with_capacity(parties);
        for state in next {
            let (state, share) = state.receive_commitments(&commitments)?;
            last.push(state);
            shares.push(share);
        }
        let mut signature = None;
        for state in last {
            signature = Some(state.receive_shares(&shares)?);
        }
        signature.ok_or(WalletError::NeedsCosigners(parties))
    }

    /// [`Wallet::build_paying`] up to the proof: the fee settled, nothing
    /// signed or recorded.
    pub(crate) fn prepare_paying<R: RngCore + CryptoRng>(
        &self,
        fee: Fee,
        rng: &mut R,
        plan: impl Fn(&Wallet, u64) -> Result<Plan, WalletError>,
    ) -> Result<Prepared, WalletError> {
        match fee {
            Fee::Fixed(fee) => {
                check_fee(fee)?;
                self.prepare(plan(self, fee)?, rng)
            }
            Fee::AtRate(rate) => {
                let mut fee = fee_for(rate, FIRST_FEE_ESTIMATE_BYTES);
                loop {
                    check_fee(fee)?;
                    let prepared = self.prepare(plan(self, fee)?, rng)?;
                    let needed = fee_for(rate, prepared.encoded_size());
                    if fee >= needed {
                        break Ok(prepared);
                    }
                    fee = needed;
                }
            }
        }
    }

    /// Signs a prepared transaction with `signature` (made by this wallet
    /// alone or by a co-signing session), checks it, and records it as
    /// pending: its inputs are locked until a block includes it or it
    /// expires.
    pub fn finish(
        &mut self,
        prepared: Prepared,
        signature: Signature,
    ) -> Result<Built, WalletError> {
        let Prepared {
            unsigned,
            utxo_proof,
            inputs,
            issued_flavor,
            mut pending,
            mut state,
            ..
        } = prepared;
        let txid = unsigned.id;
        let fee = unsigned.fee;
        let tx = unsigned.with_signature(signature);
        zkvm::Verifier::verify_bytes(&tx.to_bytes())?;
        pending.tx = tx.clone();
        state.pending.insert(txid, pending);
        self.commit(state)?;
        Ok(Built {
            tx,
            utxo_proof,
            txid,
            fee,
            inputs,
            issued_flavor,
        })
    }

    /// Inputs for `qty` of `flavor` and `fee` of the zero flavor.
    pub(crate) fn select_with_fee(
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

    /// Whether `id` is an output of one of the wallet's pending
    /// transactions.
    pub(crate) fn pending_output(&self, id: &ContractID) -> bool {
        self.state
            .pending
            .values()
            .any(|p| p.outputs.iter().any(|u| u.id() == *id))
    }

    /// Coin selection (docs/spec/wallet.md §Transactions): the unlocked
    /// confirmed outputs of `flavor`, largest first (ties by contract ID),
    /// until they cover `needed`.
    pub(crate) fn select(
        &self,
        flavor: Scalar,
        needed: u128,
    ) -> Result<Vec<OwnedUtxo>, WalletError> {
        if needed == 0 {
            return Ok(Vec::new());
        }
        let locked = self.state.locked();
        // Confirmed outputs first, then the wallet's own outputs of
        // pending transactions (unconfirmed change, height 0), which the
        // node's pool lets a child spend (docs/spec/wallet.md §Unconfirmed
        // change).
        let mut candidates: Vec<&OwnedUtxo> = self
            .state
            .utxos
            .values()
            .chain(self.state.pending.values().flat_map(|p| &p.outputs))
            .filter(|u| {
                u.flavor() == flavor && !locked.contains(&u.id()) && u.offer_terms().is_none()
            })
            .collect();
        candidates.sort_by_key(|u| (u.height == 0, std::cmp::Reverse(u.qty()), u.id()));
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

    /// Writes and proves the plan's program (docs/spec/wallet.md
    /// §Transactions, Program; §Contracts); returns it unsigned, with the
    /// wallet state that records it as pending, for [`Wallet::finish`].
    fn prepare<R: RngCore + CryptoRng>(
        &self,
        plan: Plan,
        rng: &mut R,
    ) -> Result<Prepared, WalletError> {
        let following = self
            .state
            .following
            .as_ref()
            .ok_or(WalletError::NotFollowing)?;

        // Change per flavor: inputs, contracts spent and issuance in;
        // payments, locks, retirement and fee out.
        let mut flows: BTreeMap<[u8; 32], (Scalar, u128, u128)> = BTreeMap::new();
        let mut flow = |flavor: Scalar, inflow: u64, outflow: u64| {
            let e = flows.entry(flavor.to_bytes()).or_insert((flavor, 0, 0));
            e.1 += u128::from(inflow);
            e.2 += u128::from(outflow);
        };
        for u in &plan.inputs {
            flow(u.flavor(), u.qty(), 0);
        }
        for (held, call) in &plan.calls {
            flow(held.opening.flavor, held.opening.qty, 0);
            for a in &call.owes {
                flow(a.flavor, 0, a.qty);
            }
        }
        for e in &plan.externals {
            for a in &e.gives {
                flow(a.flavor, a.qty, 0);
            }
            for a in &e.owes {
                flow(a.flavor, 0, a.qty);
            }
        }
        for c in &plan.customs {
            flow(c.amount.flavor, 0, c.amount.qty);
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
        for l in &plan.locks {
            flow(l.amount.flavor, 0, l.amount.qty);
        }
        flow(Scalar::ZERO, 0, plan.fee);
        let mut incoming: Vec<Amount> = Vec::new();
        if let Some((a, _)) = &plan.issue {
            incoming.push(*a);
        }
        // A debt (a wide value) in a flavor other than the fee's that nets
        // to zero still leaves a zero of that flavor after the cloak's
        // merge, which only an output of that flavor can match.
        let owed: Vec<Scalar> = plan
            .calls
            .iter()
            .flat_map(|(_, c)| &c.owes)
            .chain(plan.externals.iter().flat_map(|e| &e.owes))
            .map(|a| a.flavor)
            .filter(|f| *f != Scalar::ZERO)
            .collect();
        for (flavor, inflow, outflow) in flows.into_values() {
            if inflow == outflow && owed.contains(&flavor) {
                incoming.push(Amount { flavor, qty: 0 });
                continue;
            }
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
        let own;
        // Outputs in order: payments, locks, then what comes back.
        enum To<'a> {
            Pay(&'a Address),
            Lock(&'a Lock),
            Custom(&'a CustomOutput),
        }
        let mut outputs: Vec<(To<'_>, Amount)> = plan
            .payments
            .iter()
            .map(|(to, a)| (To::Pay(to), *a))
            .collect();
        outputs.extend(plan.locks.iter().map(|l| (To::Lock(l), l.amount)));
        outputs.extend(plan.customs.iter().map(|c| (To::Custom(c), c.amount)));
        if !incoming.is_empty() {
            let index = new.next_index;
            new.next_index = index.checked_add(1).ok_or(WalletError::IndexExhausted)?;
            own = self.keys.address(index);
            outputs.extend(incoming.iter().map(|a| (To::Pay(&own), *a)));
        }

        let mut p = Program::new();
        let mut m = 0;
        // Others' outputs first (their programs leave values and debts).
        for e in &plan.externals {
            for i in e.program.instructions() {
                p.push_instruction(i.clone());
            }
            m += e.gives.len() + e.owes.len();
        }
        // Contracts next: a branch finds its arguments below the payload.
        for (held, call) in &plan.calls {
            for q in &call.secrets {
                p.push(Commitment::blinded_with_factor(*q, Scalar::random(rng)));
            }
            for i in call.args.instructions() {
                p.push_instruction(i.clone());
            }
            let predicate = self.spend_predicate(held, &call.path)?;
            p.push(held.reopen(predicate)?).input();
            match &call.path {
                SpendPath::Key => {
                    p.signtx();
                }
                SpendPath::Branch(name) => {
                    let (index, _) = held
                        .terms
                        .branch(name)
                        .ok_or(WalletError::Corrupt("branch"))?;
                    let tree = held.terms.tree()?.ok_or(WalletError::Corrupt("tree"))?;
                    let (proof, program) = tree.call_proof(index)?;
                    let program = match &call.branch_program {
                        Some(witness) => {
                            if witness.encode_to_vec() != held.terms.branches()[index].program {
                                return Err(WalletError::Terms(format!(
                                    "the program given for branch {name:?} is not the contract's"
                                )));
                            }
                            zkvm::ProgramItem::Program(witness.clone())
                        }
                        None => program,
                    };
                    p.push(proof.encode_to_vec()).program(program).call();
                }
            }
            m += 1 + call.owes.len();
        }
        for u in &plan.inputs {
            p.push(self.reopen(u)?).input().signtx();
            // The payload's strings (a note; an offer's signatures and
            // terms) are pushed above the value.
            for _ in 1..u.contract.payload.len() {
                p.drop();
            }
            m += 1;
        }
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
            // Metadata that follows the naming rules is logged beside the
            // issue, for every reader (docs/spec/wallet.md §Asset
            // metadata); other metadata stays in the program only.
            if crate::AssetMetadata::from_bytes(metadata).is_ok() {
                p.push(Data::Opaque(crate::asset_record(
                    &self.keys.issuance_predicate(),
                    metadata,
                )))
                .log();
            }
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
            .map(|(to, a)| match to {
                // A custom output's value is unblinded: its program makes
                // it public (an offer's goods).
                To::Custom(_) => NoteOpening {
                    qty: a.qty,
                    flavor: a.flavor,
                    qty_blinding: Scalar::ZERO,
                    flavor_blinding: Scalar::ZERO,
                    memo: Vec::new(),
                },
                _ => NoteOpening::random(a.qty, a.flavor, rng),
            })
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
            match to {
                To::Pay(to) => {
                    let note = EncryptedNote::seal(o, to.encryption_point(), &to.predicate(), rng)?;
                    p.push(Data::Opaque(note.to_bytes()))
                        .push(Predicate::opaque(to.predicate()))
                        .output(2);
                }
                To::Custom(c) => {
                    for i in c.program.instructions() {
                        p.push_instruction(i.clone());
                    }
                }
                To::Lock(lock) => {
                    let secrets = ContractSecrets {
                        opening: o.clone(),
                        terms: lock.terms.clone(),
                    };
                    let recipients: Vec<_> =
                        lock.notify.iter().map(|a| *a.encryption_point()).collect();
                    let note = contract_note::seal(&secrets, &recipients, rng)?;
                    p.push(lock.terms.to_predicate()).output(1);
                    p.push(Data::Opaque(note)).log();
                    for tag in &lock.tags {
                        p.push(Data::Opaque(tag.clone())).log();
                    }
                }
            }
        }

        let tip = following.chain.tip.timestamp_ms;
        let call = plan.calls.first().map(|(_, c)| c);
        let header = TxHeader {
            version: 1,
            mintime_ms: call.and_then(|c| c.mintime_ms).unwrap_or(0),
            maxtime_ms: plan.externals.iter().filter_map(|e| e.maxtime_ms).fold(
                call.and_then(|c| c.maxtime_ms)
                    .unwrap_or_else(|| tip.saturating_add(self.state.window_ms)),
                u64::min,
            ),
        };
        if !plan.calls.is_empty() || !plan.externals.is_empty() {
            // A contract's branch is the user's program: a dry run names
            // the instruction that fails, before any proving.
            let sim = zkvm::simulate::simulate(header, p.clone(), &Default::default());
            if let Some(f) = sim.failure {
                return Err(WalletError::Fails(f.message));
            }
        }
        let unsigned = Prover::build_tx(header, p)?;
        let txid = unsigned.id;
        let mut inputs: Vec<ContractID> = plan.calls.iter().map(|(h, _)| h.id()).collect();
        inputs.extend(plan.inputs.iter().map(OwnedUtxo::id));
        // Outputs of pending transactions (unconfirmed change) are in no
        // accumulator yet: the node finds them in its pool.
        let leaves: Vec<ZkvmHash> = inputs
            .iter()
            .filter(|id| !self.pending_output(id))
            .map(utxo_leaf)
            .collect();
        let utxo_proof = following.pollard.prove(&leaves)?;

        let amounts = match (&plan.issue, &plan.retire) {
            (Some((a, _)), _) | (None, Some(a)) => vec![*a],
            (None, None) => {
                let mut list = Vec::new();
                for (_, a) in &plan.payments {
                    add_amount(&mut list, a.flavor, a.qty);
                }
                for l in &plan.locks {
                    add_amount(&mut list, l.amount.flavor, l.amount.qty);
                }
                for c in &plan.customs {
                    add_amount(&mut list, c.amount.flavor, c.amount.qty);
                }
                if list.is_empty() {
                    for (h, _) in &plan.calls {
                        let a = h.amount();
                        add_amount(&mut list, a.flavor, a.qty);
                    }
                    for a in plan.externals.iter().flat_map(|e| &e.gives) {
                        add_amount(&mut list, a.flavor, a.qty);
                    }
                }
                if list.is_empty() && plan.kind == HistoryKind::OfferCancelled {
                    for u in plan.inputs.iter().filter(|u| u.offer_terms().is_some()) {
                        add_amount(&mut list, u.flavor(), u.qty());
                    }
                }
                list
            }
        };
        let signers = signer_entries(&plan, &unsigned)?;
        let pending = PendingTx {
            txid,
            tx: unsigned
                .clone()
                .with_signature(Signature::from_bytes(&[0; 64]).map_err(WalletError::Musig)?),
            kind: plan.kind,
            amounts,
            fee: plan.fee,
            inputs: inputs.clone(),
            incoming,
            outputs: unsigned
                .log
                .0
                .iter()
                .filter_map(|e| match e {
                    TxEntry::Output(c) => self.recognize_own(c),
                    _ => None,
                })
                .collect(),
            recipients: {
                let mut to: Vec<Address> = Vec::new();
                for (a, _) in &plan.payments {
                    if !to.contains(a) {
                        to.push(*a);
                    }
                }
                to
            },
        };
        Ok(Prepared {
            unsigned,
            signers,
            utxo_proof,
            inputs,
            issued_flavor: plan.issue.map(|(a, _)| a.flavor),
            pending,
            state: new,
        })
    }

    /// An owned output with its secrets attached: the receiving key and the
    /// open commitments; its ID must be the stored one.
    fn reopen(&self, u: &OwnedUtxo) -> Result<Contract, WalletError> {
        let mut payload = vec![PortableItem::Value(u.opening.value())];
        payload.extend(u.contract.payload.iter().skip(1).cloned());
        let c = Contract {
            anchor: u.contract.anchor,
            predicate: Predicate::key(self.keys.spend_key(u.key_index)),
            payload,
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

/// The `signtx` signers of `unsigned` as co-signing entries: the plan's
/// contracts spent through the key path carry their terms' key path and
/// tweak; every other signer is one of the wallet's own keys.
fn signer_entries(plan: &Plan, unsigned: &UnsignedTx) -> Result<Vec<SignerEntry>, WalletError> {
    unsigned
        .signers
        .iter()
        .map(|(predicate, id)| {
            let held = plan
                .calls
                .iter()
                .find(|(h, c)| h.id() == *id && c.path == SpendPath::Key);
            let (keys, tweak) = match held {
                Some((h, _)) => (h.terms.key_path_keys()?, h.terms.key_path_tweak()?),
                None => (vec![predicate.verification_key()?], Scalar::ZERO),
            };
            Ok(SignerEntry {
                keys,
                tweak,
                contract: *id,
            })
        })
        .collect()
}
