//! The HTTP API's requests and answers (docs/api.md §Endpoints, §Objects)
//! as types shared by the server ([`crate::api`]), which serializes them,
//! and the [`crate::Client`], which reads them back: one definition of
//! every field, so the two cannot drift apart. Hashes, points and byte
//! strings are lower-case hex; numbers are JSON numbers.

use serde::{Deserialize, Serialize};

/// `GET /v1/status`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// The initial header's ID.
    pub network: String,
    /// The tip's height.
    pub height: u64,
    /// The tip's ID.
    pub tip: String,
    /// The tip's timestamp.
    pub tip_timestamp_ms: u64,
    /// UTXO leaves ever added (the accumulator's count).
    pub utxo_leaves: u64,
    /// The mempool's size.
    pub mempool: PoolSize,
    /// Connected peers.
    pub peers: usize,
    /// This node's peer ID.
    pub peer_id: Option<String>,
    /// The peer-to-peer addresses bound.
    pub listen: Vec<String>,
    /// Whether this node produces blocks.
    pub producer: bool,
    /// Whether it started from a snapshot (keeps no forest).
    pub pruned: bool,
    /// The lowest height whose block it has.
    pub first_block: u64,
    /// The least fee rate the mempool takes.
    pub min_relay_fee_rate: FeeRateAnswer,
    /// Block import's verification work.
    pub imported: Imported,
    /// The consensus engine's progress; `None` when this node is not a
    /// validator (docs/api.md §Status).
    pub consensus: Option<ConsensusAnswer>,
}

/// A validator's consensus progress (docs/spec/consensus.md §Status).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsensusAnswer {
    /// The height being decided.
    pub height: u64,
    /// The round at that height.
    pub round: u32,
    /// This validator's address.
    pub validator: String,
    /// How many validators the set has.
    pub validators: usize,
    /// Their total voting power.
    pub total_power: u64,
    /// The last block this validator committed since it started.
    pub last_decision: Option<DecisionAnswer>,
    /// Equivocation seen since start, the newest last (bounded).
    pub evidence: Vec<EvidenceAnswer>,
}

/// A decided block: height, deciding round, ID, certificate signers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionAnswer {
    /// The height.
    pub height: u64,
    /// The round that decided it.
    pub round: u32,
    /// The block's ID.
    pub block: String,
    /// Addresses of the certificate's signers.
    pub signers: Vec<String>,
}

/// One piece of equivocation evidence (docs/spec/consensus.md §Evidence).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceAnswer {
    /// `double_prevote`, `double_precommit` or `double_proposal`.
    pub kind: String,
    /// The validator that signed twice.
    pub validator: String,
    /// The height.
    pub height: u64,
    /// The round.
    pub round: u32,
    /// The first message's block (`None`: nil).
    pub first: Option<String>,
    /// The second message's block (`None`: nil).
    pub second: Option<String>,
}

/// `GET /v1/evidence`: stored equivocation evidence, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceList {
    /// The records.
    pub evidence: Vec<StoredEvidenceAnswer>,
}

/// A stored evidence record and its sequence number (growing from 0 in
/// the order the node stored them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEvidenceAnswer {
    /// Its sequence number.
    pub seq: u64,
    /// The record.
    #[serde(flatten)]
    pub record: EvidenceAnswer,
}

/// `GET /v1/validators`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorsAnswer {
    /// The tip's height.
    pub height: u64,
    /// The set's total voting power.
    pub total_power: u64,
    /// The validators, in address order.
    pub validators: Vec<ValidatorAnswer>,
    /// The tip's commit certificate, when consensus decided the tip.
    pub tip_certificate: Option<DecisionAnswer>,
    /// The validator-set change included but not yet in force, if any
    /// (docs/spec/consensus.md §Validator-set changes).
    #[serde(default)]
    pub pending: Option<SetChangeAnswer>,
    /// Every applied change, oldest first (the pending one included).
    #[serde(default)]
    pub changes: Vec<SetChangeAnswer>,
}

/// A validator-set change as applied by the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetChangeAnswer {
    /// The height of the block that included it.
    pub included_height: u64,
    /// The first height the new set decides.
    pub effective_height: u64,
    /// The new set, in address order.
    pub validators: Vec<SetMemberAnswer>,
    /// The addresses of the validators that approved it.
    pub approvals: Vec<String>,
}

/// A validator of a set, without its signing state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetMemberAnswer {
    /// Its address (a hash of its key).
    pub address: String,
    /// Its public key.
    pub key: String,
    /// Its voting power.
    pub power: u64,
}

/// One validator of the set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorAnswer {
    /// Its address (a hash of its key).
    pub address: String,
    /// Its public key.
    pub key: String,
    /// Its voting power.
    pub power: u64,
    /// Whether it signed the tip's certificate.
    pub signed_tip: bool,
}

/// How many transactions and bytes the mempool holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolSize {
    /// Transactions.
    pub txs: usize,
    /// Their encoded bytes.
    pub bytes: usize,
}

/// A fee rate as `fee` per `bytes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeRateAnswer {
    /// The fee.
    pub fee: u64,
    /// Per this many bytes.
    pub bytes: u64,
}

/// What block import verified and spared (docs/api.md §Status).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imported {
    /// Blocks stored by this process.
    pub blocks: u64,
    /// Their transactions verified on import.
    pub txs_verified: u64,
    /// Their transactions verified before (in the mempool), not again.
    pub txs_known: u64,
}

/// `GET /v1/peers`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Peers {
    /// This node's peer ID.
    pub peer_id: Option<String>,
    /// Connected peers.
    pub peers: Vec<Peer>,
    /// Peers banned in this run.
    pub banned: Vec<String>,
}

/// A connected peer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Peer {
    /// Its peer ID.
    pub id: String,
    /// Its address.
    pub address: String,
    /// Its score (docs/spec/network.md §Scoring).
    pub score: i32,
    /// The height it last reported, once it did.
    pub height: Option<u64>,
}

/// `GET /v1/genesis`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisAnswer {
    /// The initial header's ID.
    pub network: String,
    /// The genesis's encoding (docs/spec/blockchain.md §Genesis).
    pub hex: String,
}

/// `GET /v1/blocks/{height or ID}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockAnswer {
    /// The header.
    pub header: Header,
    /// The transactions' IDs and sizes.
    pub txs: Vec<BlockTx>,
    /// The block's encoding as stored; `None` for the initial header.
    pub hex: Option<String>,
}

/// A block header's fields and ID.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Its ID.
    pub id: String,
    /// Version.
    pub version: u64,
    /// Height.
    pub height: u64,
    /// The previous block's ID.
    pub previd: String,
    /// Time.
    pub timestamp_ms: u64,
    /// Transaction root.
    pub txroot: String,
    /// UTXO root.
    pub utxoroot: String,
    /// Extension bytes.
    pub ext: String,
}

/// A transaction of a block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockTx {
    /// Its ID.
    pub id: String,
    /// Its encoded size.
    pub size: usize,
}

/// `GET /v1/txs/{txid}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TxAnswer {
    /// Its ID.
    pub id: String,
    /// Its encoded size.
    pub size: usize,
    /// The fee it pays.
    pub fee: u64,
    /// Fee per byte.
    pub fee_rate: f64,
    /// Its log (docs/spec/zkvm.md §Transaction log).
    pub log: Vec<LogEntry>,
    /// Its encoding.
    pub hex: String,
    /// `confirmed` or `pending`.
    pub status: TxStatus,
    /// The including block's height, if confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    /// Its position in that block, if confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// The metadata of the assets it issues, from its log's asset records
    /// checked against its issues (docs/spec/wallet.md §Asset metadata).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<AssetAnswer>,
}

/// An issued asset's metadata, as its issuer logged it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetAnswer {
    /// The flavor, 64 hex digits.
    pub flavor: String,
    /// The issuer's name for it.
    pub name: String,
    /// Digits after the decimal point when amounts are shown.
    pub decimals: u8,
    /// The issuer's description (may be empty).
    pub description: String,
    /// The issuance predicate (the issuer's key), 64 hex digits.
    pub issuer: String,
}

/// `GET /v1/assets`: the assets whose metadata the node knows (docs/api.md
/// §`GET /v1/assets`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetList {
    /// The assets the genesis describes, then those whose issuance records
    /// the blocks read carry, by height of the first issuance seen.
    pub assets: Vec<ListedAsset>,
    /// The lowest block height read for issuance records (the genesis's
    /// asset section is always read).
    pub scanned_from: u64,
    /// The highest height read.
    pub scanned_to: u64,
}

/// One asset of [`AssetList`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedAsset {
    /// Its metadata.
    #[serde(flatten)]
    pub asset: AssetAnswer,
    /// The height of the first issuance seen: 1 for an asset of the
    /// genesis's asset section (docs/spec/blockchain.md §Genesis).
    pub height: u64,
}

/// Whether a transaction is in a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TxStatus {
    /// In a block.
    Confirmed,
    /// In the mempool.
    Pending,
}

/// One entry of a transaction log, tagged by `type`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum LogEntry {
    /// Version and time bounds.
    Header {
        /// Version.
        version: u64,
        /// Earliest time.
        mintime_ms: u64,
        /// Latest time.
        maxtime_ms: u64,
    },
    /// An output spent.
    Input {
        /// Its contract ID.
        contract_id: String,
    },
    /// An output created.
    Output {
        /// Its contract ID.
        contract_id: String,
        /// Its predicate point.
        predicate: String,
        /// Its anchor.
        anchor: String,
        /// Its payload.
        payload: Vec<PayloadItem>,
    },
    /// An issuance.
    Issue {
        /// Quantity commitment.
        qty: String,
        /// Flavor commitment.
        flv: String,
    },
    /// A retirement.
    Retire {
        /// Quantity commitment.
        qty: String,
        /// Flavor commitment.
        flv: String,
    },
    /// A fee paid.
    Fee {
        /// The amount.
        amount: u64,
    },
    /// Data logged.
    Data {
        /// The bytes.
        hex: String,
    },
}

/// One item of an output's payload, tagged by `type`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum PayloadItem {
    /// A value: its commitments (confidential).
    Value {
        /// Quantity commitment.
        qty: String,
        /// Flavor commitment.
        flv: String,
    },
    /// A string.
    String {
        /// The bytes.
        hex: String,
    },
    /// A program, with its assembly (`None` if it does not parse or is
    /// too long to print).
    Program {
        /// The bytes.
        hex: String,
        /// The assembly (docs/spec/asm.md).
        asm: Option<String>,
    },
}

/// `POST /v1/txs` as JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitRequest {
    /// The transaction's encoding.
    pub hex: String,
}

/// What `POST /v1/txs` answers when the transaction is accepted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Submitted {
    /// Its ID.
    pub id: String,
    /// Its fee rate.
    pub fee_rate: f64,
    /// Transactions it replaced.
    pub replaced: Vec<String>,
    /// Transactions evicted to make room.
    pub evicted: Vec<String>,
}

/// `GET /v1/mempool`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MempoolAnswer {
    /// Highest fee rate first.
    pub txs: Vec<MempoolTx>,
    /// Their encoded bytes.
    pub bytes: usize,
}

/// A mempool transaction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MempoolTx {
    /// Its ID.
    pub id: String,
    /// Its encoded size.
    pub size: usize,
    /// Its fee.
    pub fee: u64,
    /// Fee per byte.
    pub fee_rate: f64,
}

/// `GET /v1/utxos/{contract ID}/proof`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UtxoProofAnswer {
    /// The output.
    pub contract_id: String,
    /// The height whose roots the proof is against.
    pub height: u64,
    /// The Utreexo proof's encoding.
    pub proof: String,
}

/// `GET /v1/snapshots/{height}`: the chain state at a past height
/// (docs/api.md), for a wallet that starts scanning there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastStateAnswer {
    /// The height.
    pub height: u64,
    /// The ID of the block at that height (the initial header's at 1).
    pub id: String,
    /// The snapshot (docs/spec/blockchain.md §Snapshot) whose tip is the
    /// header at that height, with the accumulator after its block.
    pub hex: String,
    /// The block's signature by the block key (docs/spec/blockchain.md
    /// §Block signature); `null` at height 1, the genesis's header, and on
    /// a validators chain.
    pub signature: Option<String>,
    /// On a validators chain, the block's commit certificate
    /// (docs/spec/consensus.md §Commit certificate); absent (`null`) at
    /// height 1 and on a block-key chain.
    #[serde(default)]
    pub certificate: Option<String>,
    /// On a validators chain, the validator-set changes included at or
    /// below that height, oldest first: what a wallet replays from the
    /// genesis's set to know the set sealing that block and those after
    /// it (docs/spec/consensus.md §Validator-set changes, Snapshots).
    /// Empty on a block-key chain.
    #[serde(default)]
    pub set_changes: Vec<EncodedSetChange>,
}

/// A validator-set change as applied, encoded (`GET
/// /v1/snapshots/{height}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncodedSetChange {
    /// The height of the block that included it.
    pub included_height: u64,
    /// Its encoding (docs/spec/consensus.md §Validator-set changes,
    /// Encoding), hex.
    pub hex: String,
}

/// An output from the contract index (`GET /v1/contracts/{id}`, and each
/// output of `GET /v1/contracts`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractAnswer {
    /// Its contract ID.
    pub contract_id: String,
    /// Its predicate point.
    pub predicate: String,
    /// Its anchor.
    pub anchor: String,
    /// Its payload.
    pub payload: Vec<PayloadItem>,
    /// The contract's encoding.
    pub output: String,
    /// Where it was created.
    pub created: Created,
    /// Where it was spent, if it was.
    pub spent: Option<Spent>,
    /// Whether it is unspent.
    pub unspent: bool,
    /// While unspent, a proof of that against the tip (by ID only; never
    /// on a pruned node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<ProofRef>,
}

/// Where an output was created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    /// The transaction; `None` for a genesis UTXO.
    pub txid: Option<String>,
    /// The block height (1 for the genesis).
    pub height: u64,
    /// The transaction's position (or the UTXO's in the genesis).
    pub index: u32,
    /// The log entry's position.
    pub entry: u32,
}

/// Where an output was spent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spent {
    /// The transaction.
    pub txid: String,
    /// The block height.
    pub height: u64,
    /// The transaction's position.
    pub index: u32,
}

/// A proof that an output is unspent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofRef {
    /// The height whose roots it is against.
    pub height: u64,
    /// Its encoding.
    pub hex: String,
    /// Where to get a fresh one.
    pub url: String,
}

/// `GET /v1/contracts?tag=`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractsPage {
    /// The tag asked for.
    pub tag: String,
    /// Its outputs, newest first.
    pub outputs: Vec<ContractAnswer>,
    /// The cursor of the next page.
    pub next: Option<String>,
}

/// `GET /v1/offers?pair=`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OffersAnswer {
    /// The pair asked for.
    pub pair: String,
    /// Open offers, best price first.
    pub offers: Vec<Offer>,
}

/// An open offer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    /// Its contract ID.
    pub contract_id: String,
    /// The maker's predicate point.
    pub maker: String,
    /// The quantity offered, as logged.
    pub qty: u64,
    /// Whether its price is in its notes only.
    pub private: bool,
    /// Units given per `want`, if public.
    pub give: Option<u64>,
    /// Units wanted per `give`, if public.
    pub want: Option<u64>,
    /// `want / give`, if public.
    pub unit_price: Option<f64>,
    /// When it expires.
    pub expires_ms: u64,
    /// The contract's encoding.
    pub output: String,
    /// Where it was created.
    pub created: OfferCreated,
}

/// Where an offer was created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferCreated {
    /// The transaction.
    pub txid: Option<String>,
    /// The block height.
    pub height: u64,
}

/// Every error answer: a code and a reason (docs/api.md §Errors).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable code, e.g. `rejected`, `busy`.
    pub error: String,
    /// What went wrong, for people.
    pub reason: String,
}

/// `GET /v1/blocks?from=&limit=`: block summaries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockList {
    /// The tip's height when the list was read.
    pub tip: u64,
    /// Ascending from `from` when it was given, else the newest first.
    pub blocks: Vec<BlockListItem>,
    /// The `from` of the next page (ascending lists only), while there
    /// are blocks above the last one listed.
    pub next: Option<u64>,
}

/// A block's summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockListItem {
    /// Its height.
    pub height: u64,
    /// Its ID.
    pub id: String,
    /// Its time.
    pub timestamp_ms: u64,
    /// Its transactions.
    pub txs: u64,
    /// Its encoded size in bytes (0 for the initial header, which is no
    /// block).
    pub size: u64,
}

/// `GET /v1/fee-estimate?size=`: the fee for a transaction of `size`
/// bytes to be in the next block, from the mempool.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeeEstimate {
    /// The transaction size estimated for, in bytes.
    pub size: u64,
    /// The fee to pay for it.
    pub fee: u64,
    /// `fee` per `size`.
    pub fee_rate: FeeRateAnswer,
    /// The least fee rate the node takes.
    pub minimum: FeeRateAnswer,
    /// Whether the mempool holds more than a block's worth with this
    /// transaction: when false, the minimum is enough.
    pub congested: bool,
    /// Transaction bytes in a block at most.
    pub block_bytes: u64,
    /// The mempool's size.
    pub mempool: PoolSize,
}
