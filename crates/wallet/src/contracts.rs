//! Contracts the wallet has a role in (docs/spec/wallet.md §Contracts):
//! locking value under any terms, finding contracts whose note is for us,
//! and spending them through the key path or a branch.

use std::collections::BTreeMap;

use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use musig::{NestedMultimessage, SecretKey, VerificationKey};
use rand_core::{CryptoRng, RngCore};
use zkvm::{Contract, ContractID, PortableItem, Predicate, PredicateTree, Program, TxEntry, TxID};

use crate::build::{Plan, Prepared};
use crate::contract_note::{self, ContractSecrets};
use crate::note::NoteOpening;
use crate::terms::Terms;
use crate::{Address, Amount, Built, Fee, HistoryKind, Wallet, WalletError};

/// A contract the wallet found a note for (docs/spec/wallet.md
/// §Contracts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldContract {
    /// The contract as the chain logged it (closed commitments).
    pub contract: Contract,
    /// The opening of its value.
    pub opening: NoteOpening,
    /// Its terms.
    pub terms: Terms,
    /// The transaction that created it.
    pub created_by: TxID,
    /// The height of the block that created it.
    pub height: u64,
    /// The transaction that spent it and its height, once spent.
    pub spent: Option<(TxID, u64)>,
}

impl HeldContract {
    /// The contract ID.
    pub fn id(&self) -> ContractID {
        self.contract.id()
    }

    /// The value it holds.
    pub fn amount(&self) -> Amount {
        Amount {
            flavor: self.opening.flavor,
            qty: self.opening.qty,
        }
    }

    /// The contract with its secrets: the value's commitments open, so a
    /// prover can use it as an input; its ID must be the logged one.
    pub(crate) fn reopen(&self, predicate: Predicate) -> Result<Contract, WalletError> {
        let c = Contract {
            anchor: self.contract.anchor,
            predicate,
            payload: vec![PortableItem::Value(self.opening.value())],
        };
        if c.id() != self.id() {
            return Err(WalletError::Corrupt("held contract does not reopen"));
        }
        Ok(c)
    }
}

/// A role of the wallet in a contract: a party whose key is one of the
/// wallet's receiving keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    /// The party's name in the terms.
    pub party: String,
    /// The index of the wallet's address whose key it is.
    pub key_index: u32,
    /// Whether the party signs on the key path.
    pub key_path: bool,
}

/// Value to lock under terms (docs/spec/wallet.md §Contracts, Locking).
#[derive(Clone, Debug)]
pub struct Lock {
    /// The terms: they give the predicate.
    pub terms: Terms,
    /// What to lock.
    pub amount: Amount,
    /// Who gets the contract note: every party's address, in any order.
    /// Each must be an address whose receiving key is a party's key.
    pub notify: Vec<Address>,
    /// Cleartext tags logged after the note, so the contract can be found
    /// by tag on a node (each 1 to 64 bytes).
    pub tags: Vec<Vec<u8>>,
}

/// How a held contract is opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpendPath {
    /// The key path: a signature by the predicate (the wallet's key, or a
    /// MuSig key signed for with the other parties).
    Key,
    /// The branch with this name: `call` runs its program, which must leave
    /// the contract's value on the stack.
    Branch(String),
}

/// A spend of a held contract (docs/spec/wallet.md §Contracts, Calling).
#[derive(Clone, Debug)]
pub struct Call {
    /// The contract.
    pub contract: ContractID,
    /// Key path or branch.
    pub path: SpendPath,
    /// Secret quantities, each pushed first as a Pedersen commitment whose
    /// opening only the prover knows: a branch may `commit` one and prove
    /// constraints over it (docs/spec/wallet.md §Contracts, Calling).
    pub secrets: Vec<u64>,
    /// Instructions run after the secrets and before the contract is
    /// unlocked: arguments the branch finds below the contract's payload.
    pub args: Program,
    /// Where the value goes: an address, or the wallet itself.
    pub to: Option<Address>,
    /// For a branch: the branch's program with the prover's secrets
    /// attached (its open commitments), when it `commit`s or `borrow`s
    /// constants of the contract's; it must encode to the branch's bytes.
    pub branch_program: Option<Program>,
    /// Debts the branch leaves below the value (wide values from
    /// `borrow`), which the wallet pays from its funds.
    pub owes: Vec<Amount>,
    /// The transaction's time bounds; by default from 0 to the tip's time
    /// plus the validity window.
    pub mintime_ms: Option<u64>,
    /// See `mintime_ms`.
    pub maxtime_ms: Option<u64>,
}

/// Largest tag, in bytes (longer data entries are not tags on a node).
pub const MAX_TAG: usize = 64;

impl Wallet {
    /// The contracts the wallet holds a note for, unspent first, oldest
    /// first.
    pub fn contracts(&self) -> Vec<&HeldContract> {
        let mut list: Vec<&HeldContract> = self.state.contracts.values().collect();
        list.sort_by_key(|c| (c.spent.is_some(), c.height, c.id()));
        list
    }

    /// The held contract `id`.
    pub fn contract(&self, id: &ContractID) -> Option<&HeldContract> {
        self.state.contracts.get(id)
    }

    /// The held contract whose ID starts with the hex digits `prefix` (at
    /// least 8): a user may type a short ID.
    pub fn contract_by_prefix(&self, prefix: &str) -> Result<&HeldContract, WalletError> {
        let prefix = prefix.to_ascii_lowercase();
        if prefix.len() < 8 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(WalletError::UnknownContract(prefix));
        }
        let mut found = self
            .state
            .contracts
            .values()
            .filter(|c| c.id().to_string().starts_with(&prefix));
        match (found.next(), found.next()) {
            (Some(c), None) => Ok(c),
            (Some(_), Some(_)) => Err(WalletError::AmbiguousContract(prefix)),
            _ => Err(WalletError::UnknownContract(prefix)),
        }
    }

    /// The wallet's roles in `terms`.
    pub fn roles(&self, terms: &Terms) -> Vec<Role> {
        let key_path: Vec<CompressedRistretto> = terms.key_path().map(|p| p.key).collect();
        terms
            .parties()
            .iter()
            .filter_map(|p| {
                let key_index = *self.known.get(&p.key.0)?;
                Some(Role {
                    party: p.name.clone(),
                    key_index,
                    key_path: key_path.contains(&p.key),
                })
            })
            .collect()
    }

    /// The secret key of one of the wallet's receiving keys or of its
    /// issuance key, if it is one.
    pub(crate) fn secret_for(&self, key: &CompressedRistretto) -> Option<SecretKey> {
        if *key == self.keys.issuance_predicate().to_point() {
            return Some(self.keys.issuance_key().clone());
        }
        self.known.get(&key.0).map(|&i| self.keys.spend_key(i))
    }

    /// The predicate a spend of `held` through `path` needs on the
    /// prover, with every secret the wallet has: for the key path, the
    /// signing key when the wallet alone holds the key path's key (else
    /// the point only: the other parties co-sign).
    pub(crate) fn spend_predicate(
        &self,
        held: &HeldContract,
        path: &SpendPath,
    ) -> Result<Predicate, WalletError> {
        let terms = &held.terms;
        if let SpendPath::Branch(name) = path {
            if terms.branch(name).is_none() {
                return Err(WalletError::UnknownBranch {
                    branch: name.clone(),
                    known: terms.branches().iter().map(|b| b.name.clone()).collect(),
                });
            }
            return Ok(terms.to_predicate());
        }
        let keys: Vec<&CompressedRistretto> = terms.key_path().map(|p| &p.key).collect();
        if keys.is_empty() {
            return Err(WalletError::NoKeyPath);
        }
        if keys.iter().all(|k| self.secret_for(k).is_none()) {
            return Err(WalletError::NotASigner);
        }
        if let [only] = keys.as_slice() {
            let secret = self.secret_for(only).ok_or(WalletError::NotASigner)?;
            return Ok(match terms.tree()? {
                None => Predicate::key(secret),
                Some(_) => {
                    let programs = terms
                        .branches()
                        .iter()
                        .map(|b| zkvm::ProgramItem::Bytecode(b.program.clone()))
                        .collect();
                    Predicate::tree(PredicateTree::new(
                        Some(secret),
                        programs,
                        terms_blinding_key(terms),
                    )?)
                }
            });
        }
        // A MuSig key path: signed interactively (`cosign`).
        Ok(terms.to_predicate())
    }

    /// If the output at `index` of `entries` is a contract whose note (the
    /// next entry) is for this wallet: its record (docs/spec/wallet.md
    /// §Scanning, Contracts).
    pub(crate) fn recognize_contract(
        &self,
        entries: &[TxEntry],
        index: usize,
        txid: TxID,
        height: u64,
    ) -> Option<HeldContract> {
        let TxEntry::Output(output) = entries.get(index)? else {
            return None;
        };
        let TxEntry::Data(note) = entries.get(index + 1)? else {
            return None;
        };
        if !contract_note::is_contract_note(note) {
            return None;
        }
        let [PortableItem::Value(value)] = output.payload.as_slice() else {
            return None;
        };
        let predicate = output.predicate.to_point();
        let ContractSecrets { opening, terms } =
            contract_note::open(note, self.keys.view_key(), &predicate).ok()?;
        if !opening.opens(value) {
            return None;
        }
        let contract = Contract::from_bytes(&zkvm::Encodable::encode_to_vec(output)).ok()?;
        Some(HeldContract {
            contract,
            opening,
            terms,
            created_by: txid,
            height,
            spent: None,
        })
    }
}

impl Wallet {
    /// Locks `lock.amount` under `lock.terms`, paying `fee`
    /// (docs/spec/wallet.md §Contracts, Locking): the contract's payload is
    /// the value alone; its note, for every address of `lock.notify`, is
    /// logged right after it, then the tags.
    pub fn lock<R: RngCore + CryptoRng>(
        &mut self,
        lock: Lock,
        fee: Fee,
        rng: &mut R,
    ) -> Result<Built, WalletError> {
        if lock.amount.qty == 0 {
            return Err(WalletError::ZeroAmount);
        }
        if lock.notify.is_empty() {
            return Err(WalletError::Lock(
                "name at least one party to notify".into(),
            ));
        }
        for a in &lock.notify {
            if !lock.terms.parties().iter().any(|p| p.key == a.predicate()) {
                return Err(WalletError::Lock(format!(
                    "address {a} is not the address of a party of the contract"
                )));
            }
        }
        if lock.tags.len() > MAX_TAGS {
            return Err(WalletError::Lock(format!("at most {MAX_TAGS} tags")));
        }
        if lock.tags.iter().any(|t| t.is_empty() || t.len() > MAX_TAG) {
            return Err(WalletError::Lock(format!("a tag has 1 to {MAX_TAG} bytes")));
        }
        let amount = lock.amount;
        self.build_paying(fee, rng, |w, fee| {
            let mut plan = Plan::simple(
                HistoryKind::Locked,
                w.select_with_fee(amount.flavor, amount.qty, fee)?,
                Vec::new(),
                fee,
            );
            plan.locks = vec![lock.clone()];
            Ok(plan)
        })
    }

    /// Spends a held contract as `call` says, paying `fee`, signed by this
    /// wallet alone (docs/spec/wallet.md §Contracts, Calling). A key path
    /// that needs other parties fails with `NeedsCosigners`: use
    /// [`Wallet::prepare_call`] and a co-signing session.
    pub fn call<R: RngCore + CryptoRng>(
        &mut self,
        call: Call,
        fee: Fee,
        rng: &mut R,
    ) -> Result<Built, WalletError> {
        let held = self.spendable_contract(&call.contract)?;
        self.build_paying(fee, rng, |w, fee| w.call_plan(&held, &call, fee))
    }

    /// [`Wallet::call`] up to the proof, for a co-signing session: nothing
    /// is signed or recorded until [`Wallet::finish`].
    pub fn prepare_call<R: RngCore + CryptoRng>(
        &self,
        call: Call,
        fee: Fee,
        rng: &mut R,
    ) -> Result<Prepared, WalletError> {
        let held = self.spendable_contract(&call.contract)?;
        self.prepare_paying(fee, rng, |w, fee| w.call_plan(&held, &call, fee))
    }

    /// A held, unspent contract not already spent by a pending
    /// transaction.
    fn spendable_contract(&self, id: &ContractID) -> Result<HeldContract, WalletError> {
        let held = self
            .contract(id)
            .ok_or_else(|| WalletError::UnknownContract(id.to_string()))?;
        if let Some((txid, _)) = held.spent {
            return Err(WalletError::ContractSpent(id.to_string(), txid.to_string()));
        }
        if let Some(p) = self.state.pending.values().find(|p| p.inputs.contains(id)) {
            return Err(WalletError::ContractSpent(
                id.to_string(),
                format!("{} (pending)", p.txid),
            ));
        }
        Ok(held.clone())
    }

    /// The plan of a call: the contract's value to `call.to` or back to
    /// the wallet, the fee from the contract's value when it is in the
    /// fee's flavor and goes back to the wallet, else from the wallet.
    fn call_plan(&self, held: &HeldContract, call: &Call, fee: u64) -> Result<Plan, WalletError> {
        let amount = held.amount();
        let payments: Vec<(Address, Amount)> = call.to.iter().map(|to| (*to, amount)).collect();
        // Per flavor: what goes out (payments, debts, the fee) beyond what
        // the contract brings in comes from the wallet.
        let mut need: BTreeMap<[u8; 32], (Scalar, i128)> = BTreeMap::new();
        let mut add = |f: Scalar, q: i128| {
            need.entry(f.to_bytes()).or_insert((f, 0)).1 += q;
        };
        add(amount.flavor, -i128::from(amount.qty));
        add(Scalar::ZERO, i128::from(fee));
        for (_, a) in &payments {
            add(a.flavor, i128::from(a.qty));
        }
        for a in &call.owes {
            add(a.flavor, i128::from(a.qty));
        }
        let mut inputs = Vec::new();
        for (f, q) in need.into_values() {
            if q > 0 {
                inputs.extend(self.select(f, q.unsigned_abs())?);
            }
        }
        let mut plan = Plan::simple(HistoryKind::Unlocked, inputs, payments, fee);
        plan.calls = vec![(held.clone(), call.clone())];
        Ok(plan)
    }

    /// The positions of a co-signing session's signers whose key this
    /// wallet holds, each with the secret it signs with (docs/spec/wallet.md
    /// §Co-signing).
    pub fn cosigner_positions(
        &self,
        context: &NestedMultimessage<[u8; 32]>,
    ) -> Result<Vec<(usize, SecretKey)>, WalletError> {
        let mut out = Vec::new();
        let mut position = 0;
        while let Some(key) = context.constituent_key(position) {
            if let Some(secret) = self.secret_for(key.as_compressed()) {
                out.push((position, context.party_secret(position, &secret)?));
            }
            position += 1;
        }
        Ok(out)
    }
}

/// What the wallet can open or sign for, for a dry run that fills a
/// witness from the wallet (docs/spec/simulate.md §The wallet knows).
/// Secrets: zeroized on drop through their types.
pub struct KnownSecrets {
    /// Its outputs and held contracts as the chain logged them (closed),
    /// by ID.
    pub outputs: Vec<(ContractID, Contract)>,
    /// The open commitments of their values.
    pub commitments: Vec<zkvm::Commitment>,
    /// Its receiving keys (handed out and within the lookahead) and its
    /// issuance key.
    pub keys: Vec<SecretKey>,
}

impl Wallet {
    /// Everything the wallet could fill a witness with
    /// ([`KnownSecrets`]): unspent outputs and contracts, their openings,
    /// and its keys.
    pub fn known_secrets(&self) -> KnownSecrets {
        let mut outputs = Vec::new();
        let mut commitments = Vec::new();
        let mut add = |id: ContractID, contract: &Contract, opening: &NoteOpening| {
            outputs.push((id, contract.clone()));
            let v = opening.value();
            commitments.push(v.qty);
            commitments.push(v.flv);
        };
        for u in self.state.utxos.values() {
            add(u.id(), &u.contract, &u.opening);
        }
        for c in self.state.contracts.values().filter(|c| c.spent.is_none()) {
            add(c.id(), &c.contract, &c.opening);
        }
        let mut keys: Vec<SecretKey> = self
            .known
            .values()
            .map(|&i| self.keys.spend_key(i))
            .collect();
        keys.push(self.keys.issuance_key().clone());
        KnownSecrets {
            outputs,
            commitments,
            keys,
        }
    }
}

/// An output the caller's program builds from a value the wallet makes
/// for it: `amount`, unblinded (its commitments `q·B` and `f·B`), on top of
/// the stack when `program` runs, which must consume it (e.g. an offer:
/// docs/spec/contracts.md §Offers, Making).
#[derive(Clone, Debug)]
pub struct CustomOutput {
    /// The value made for the program.
    pub amount: Amount,
    /// The instructions that output it.
    pub program: Program,
}

/// A program that spends outputs the wallet does not own (e.g. taking an
/// offer), run before the wallet's inputs. It must leave on the stack
/// exactly the values `gives` (the wallet takes them) and the debts
/// `owes` (wide values the wallet repays from its own funds), in any
/// order.
#[derive(Clone, Debug)]
pub struct External {
    /// The instructions.
    pub program: Program,
    /// Values it leaves for the wallet.
    pub gives: Vec<Amount>,
    /// Debts it leaves for the wallet to pay.
    pub owes: Vec<Amount>,
    /// The latest the transaction may be included (its maxtime), if the
    /// program needs one earlier than the wallet's validity window (an
    /// offer's expiry).
    pub maxtime_ms: Option<u64>,
}

impl Wallet {
    /// Makes `custom.amount` (from the wallet's funds) and lets
    /// `custom.program` output it, paying `fee`; recorded as `kind`.
    pub fn make_custom<R: RngCore + CryptoRng>(
        &mut self,
        custom: CustomOutput,
        kind: HistoryKind,
        fee: Fee,
        rng: &mut R,
    ) -> Result<Built, WalletError> {
        if custom.amount.qty == 0 {
            return Err(WalletError::ZeroAmount);
        }
        let a = custom.amount;
        self.build_paying(fee, rng, |w, fee| {
            let mut plan =
                Plan::simple(kind, w.select_with_fee(a.flavor, a.qty, fee)?, vec![], fee);
            plan.customs = vec![custom.clone()];
            Ok(plan)
        })
    }

    /// Runs `external` and settles what it leaves: takes what it gives,
    /// pays what it owes from the wallet's funds, paying `fee`; recorded as
    /// `kind` with the amounts given.
    pub fn spend_external<R: RngCore + CryptoRng>(
        &mut self,
        external: External,
        kind: HistoryKind,
        fee: Fee,
        rng: &mut R,
    ) -> Result<Built, WalletError> {
        self.build_paying(fee, rng, |w, fee| {
            // Per flavor: what is owed (and the fee) beyond what is given.
            let mut need: BTreeMap<[u8; 32], (Scalar, i128)> = BTreeMap::new();
            let mut add = |f: Scalar, q: i128| {
                need.entry(f.to_bytes()).or_insert((f, 0)).1 += q;
            };
            for a in &external.owes {
                add(a.flavor, i128::from(a.qty));
            }
            for a in &external.gives {
                add(a.flavor, -i128::from(a.qty));
            }
            add(Scalar::ZERO, i128::from(fee));
            let mut inputs = Vec::new();
            for (f, q) in need.into_values() {
                if q > 0 {
                    inputs.extend(w.select(f, q.unsigned_abs())?);
                }
            }
            let mut plan = Plan::simple(kind, inputs, vec![], fee);
            plan.externals = vec![external.clone()];
            Ok(plan)
        })
    }

    /// Takes one of the wallet's offers back (docs/spec/contracts.md
    /// §Offers, Cancelling): its key path, the goods back to the wallet.
    pub fn cancel_offer<R: RngCore + CryptoRng>(
        &mut self,
        id: &ContractID,
        fee: Fee,
        rng: &mut R,
    ) -> Result<Built, WalletError> {
        let offer = self
            .state
            .utxos
            .get(id)
            .filter(|u| u.offer_terms().is_some())
            .cloned()
            .ok_or_else(|| WalletError::UnknownContract(id.to_string()))?;
        if self.state.locked().contains(id) {
            return Err(WalletError::ContractSpent(
                id.to_string(),
                "a pending transaction".into(),
            ));
        }
        self.build_paying(fee, rng, |w, fee| {
            let native = if offer.flavor() == Scalar::ZERO {
                u128::from(offer.qty())
            } else {
                0
            };
            let mut inputs = vec![offer.clone()];
            inputs.extend(w.select(Scalar::ZERO, u128::from(fee).saturating_sub(native))?);
            Ok(Plan::simple(
                HistoryKind::OfferCancelled,
                inputs,
                vec![],
                fee,
            ))
        })
    }
}

/// Most tags a lock logs (a node indexes four per transaction).
pub const MAX_TAGS: usize = 4;

/// The co-signing context of `entries` (docs/spec/wallet.md §Co-signing).
pub fn signing_context(
    entries: &[SignerEntry],
) -> Result<NestedMultimessage<[u8; 32]>, WalletError> {
    Ok(NestedMultimessage::new(
        entries
            .iter()
            .map(|e| (e.keys.clone(), e.tweak, e.contract.to_bytes()))
            .collect(),
    )?)
}

/// The terms' blinding key (kept private in `Terms`; re-read from its
/// encoding, whose last 32 bytes it is).
fn terms_blinding_key(terms: &Terms) -> [u8; 32] {
    let bytes = terms.to_bytes();
    let mut key = [0u8; 32];
    key.copy_from_slice(&bytes[bytes.len() - 32..]);
    key
}

/// One `signtx` signer of a transaction as a co-signing session sees it
/// (docs/spec/wallet.md §Co-signing): the constituent keys of the
/// predicate (one, or several for a MuSig key), the public tweak added to
/// their aggregate (the Taproot factor, or zero), and the contract ID it
/// signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerEntry {
    /// The constituent keys.
    pub keys: Vec<VerificationKey>,
    /// The public tweak.
    pub tweak: Scalar,
    /// The contract signed for.
    pub contract: ContractID,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::terms::{Branch, Party};

    #[test]
    fn the_blinding_key_is_read_back() {
        let t = Terms::new(
            vec![Party {
                name: "a".into(),
                key: crate::keys::Keys::new(crate::keys::Seed::from_bytes([1; 64]))
                    .receiving_point(0),
            }],
            vec![0],
            vec![Branch {
                name: "b".into(),
                program: vec![],
            }],
            [42; 32],
        )
        .unwrap();
        assert_eq!(terms_blinding_key(&t), [42; 32]);
    }

    #[test]
    fn tags_are_bounded() {
        assert_eq!(MAX_TAG, 64);
    }
}
