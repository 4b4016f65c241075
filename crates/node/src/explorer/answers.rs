//! The explorer's JSON answers (docs/explorer.md §Routes), read from the
//! database and the contract index on the blocking pool.

use blockchain::{Block, BlockID};
use curve25519_dalek::scalar::Scalar;
use serde::Serialize;
use zkvm::{Commitment, ContractID, TxEntry, Verifier};

use crate::actor::ChainHandle;
use crate::api::ApiState;
use crate::api_types::{BlockTx, Header, PayloadItem, Peer, TxAnswer};
use crate::json as render;
use crate::network::NetworkHandle;
use crate::{NodeError, StoreError, TxRecord};

/// How many blocks, newest first, the asset page reads for a flavor's
/// issuances: each transaction costs a VM run, so the page says which
/// heights it covers rather than reading a long chain whole.
pub const ASSET_SCAN_BLOCKS: u64 = 2_000;

/// A block named by height or by ID.
#[derive(Clone, Copy, Debug)]
pub enum BlockRef {
    /// By height.
    Height(u64),
    /// By ID.
    Id(BlockID),
}

impl BlockRef {
    /// A height in decimal or an ID in 64 hex digits.
    pub fn parse(text: &str) -> Result<BlockRef, String> {
        if text.len() == 64 {
            return text
                .parse()
                .map(BlockRef::Id)
                .map_err(|_| "a block ID is 64 hex digits".to_owned());
        }
        text.parse()
            .map(BlockRef::Height)
            .map_err(|_| "a block is named by its height or its 64-hex-digit ID".to_owned())
    }
}

/// `GET /explorer/api/block/{ref}`: the header, signature and
/// transactions of a block, without its encoding.
#[derive(Clone, Debug, Serialize)]
pub struct ExplorerBlock {
    /// The header.
    pub header: Header,
    /// The block signature (hex; none for the initial block).
    pub signature: Option<String>,
    /// The key the signature is checked against: the genesis's signers.
    pub signers: String,
    /// The encoded block's size.
    pub size: usize,
    /// The chain's height now.
    pub tip: u64,
    /// Transaction IDs and sizes, in order.
    pub txs: Vec<BlockTx>,
}

/// The block `r`, if stored.
pub fn block(chain: &ChainHandle, r: BlockRef) -> Result<Option<ExplorerBlock>, NodeError> {
    let view = chain.view();
    let height = match r {
        BlockRef::Height(h) => Some(h),
        BlockRef::Id(id) => chain.height_of(&id)?,
    };
    let signers = hex::encode(chain.genesis().signers.to_bytes());
    let Some(height) = height.filter(|h| *h >= 1 && *h <= view.height()) else {
        return Ok(None);
    };
    if height == 1 {
        return Ok(Some(ExplorerBlock {
            header: render::header(&view.state.initial),
            signature: None,
            signers,
            size: 0,
            tip: view.height(),
            txs: Vec::new(),
        }));
    }
    let Some(bytes) = chain.blocks().block_bytes(height)? else {
        return Ok(None);
    };
    let txids = chain
        .blocks()
        .block_txids(height)?
        .ok_or_else(|| StoreError::Corrupt(format!("block {height} has no txid index")))?;
    let stored = render::stored_block(&bytes, &txids)?;
    let signature = Block::from_bytes(&bytes)
        .map(|b| hex::encode(b.signature.to_bytes()))
        .map_err(|_| StoreError::Corrupt(format!("block {height} does not decode")))?;
    Ok(Some(ExplorerBlock {
        header: stored.header,
        signature: Some(signature),
        signers,
        size: bytes.len(),
        tip: view.height(),
        txs: stored.txs,
    }))
}

/// An input of a transaction and the transaction that created it.
#[derive(Clone, Debug, Serialize)]
pub struct ExplorerInput {
    /// The spent output's contract ID.
    pub contract_id: String,
    /// The transaction that created it (`None` for a genesis output, or
    /// one this node's index does not hold).
    pub created_txid: Option<String>,
    /// The height it was created at, if known.
    pub created_height: Option<u64>,
    /// Whether the contract index knows the output.
    pub known: bool,
}

/// An output of a transaction and the transaction that spent it.
#[derive(Clone, Debug, Serialize)]
pub struct ExplorerOutput {
    /// Its contract ID.
    pub contract_id: String,
    /// Its predicate (a point, hex).
    pub predicate: String,
    /// Its payload: values as commitments, strings, programs with their
    /// assembly.
    pub payload: Vec<PayloadItem>,
    /// The transaction that spent it, if any.
    pub spent_txid: Option<String>,
    /// The height it was spent at, if spent.
    pub spent_height: Option<u64>,
}

/// `GET /explorer/api/tx/{txid}`: the API's transaction with its program
/// as assembly, the block it is in, and its inputs and outputs linked.
#[derive(Clone, Debug, Serialize)]
pub struct ExplorerTx {
    /// What `GET /v1/txs/{txid}` answers.
    #[serde(flatten)]
    pub tx: TxAnswer,
    /// The transaction's version.
    pub version: u64,
    /// Earliest time it may be in a block (ms).
    pub mintime_ms: u64,
    /// Latest time it may be in a block (ms).
    pub maxtime_ms: u64,
    /// Its program in the assembly syntax (docs/spec/asm.md); `None` when
    /// it does not disassemble.
    pub program_asm: Option<String>,
    /// Its program's bytecode (hex).
    pub program_hex: String,
    /// The including block's ID, if confirmed.
    pub block_id: Option<String>,
    /// Inputs, in log order.
    pub inputs: Vec<ExplorerInput>,
    /// Outputs (the contracts it creates), in log order.
    pub outputs: Vec<ExplorerOutput>,
}

/// The explorer's view of `record` (one VM run to read its log).
pub fn tx(chain: &ChainHandle, record: &TxRecord) -> Result<ExplorerTx, NodeError> {
    let answer = render::tx(&record.tx, record.location)?;
    let p = Verifier::precompute(&record.tx).map_err(NodeError::InvalidTx)?;
    let index = chain.contracts();
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    for entry in &p.log.0 {
        match entry {
            TxEntry::Input(id) => {
                let found = index.contract(id)?;
                inputs.push(ExplorerInput {
                    contract_id: id.to_string(),
                    created_txid: found
                        .as_ref()
                        .and_then(|r| r.created.txid.map(|t| t.to_string())),
                    created_height: found.as_ref().map(|r| r.created.height),
                    known: found.is_some(),
                });
            }
            TxEntry::Output(contract) => {
                let id = contract.id();
                let spent = index.contract(&id)?.and_then(|r| r.spent);
                outputs.push(ExplorerOutput {
                    contract_id: id.to_string(),
                    predicate: hex::encode(contract.predicate.to_point().as_bytes()),
                    payload: contract.payload.iter().map(render::payload_item).collect(),
                    spent_txid: spent.as_ref().map(|s| s.txid.to_string()),
                    spent_height: spent.as_ref().map(|s| s.height),
                });
            }
            _ => {}
        }
    }
    let block_id = match record.location {
        Some((height, _)) => chain
            .blocks()
            .with_block_bytes(height, |bytes| {
                blockchain::BlockHeader::decode(&mut zkvm::Reader::new(bytes))
                    .ok()
                    .map(|h| h.id().to_string())
            })?
            .flatten(),
        None => None,
    };
    let h = &record.tx.header;
    Ok(ExplorerTx {
        tx: answer,
        version: h.version,
        mintime_ms: h.mintime_ms,
        maxtime_ms: h.maxtime_ms,
        program_asm: zkvm::asm::disassemble(&record.tx.program).ok(),
        program_hex: hex::encode(&record.tx.program),
        block_id,
        inputs,
        outputs,
    })
}

/// `native` (flavor zero) or a canonical scalar in 64 hex digits.
pub fn parse_flavor(text: &str) -> Result<Scalar, String> {
    if text == "native" {
        return Ok(Scalar::ZERO);
    }
    let bytes = encoding::decode_hex32(text).map_err(|_| "a flavor is 64 hex digits".to_owned())?;
    Option::from(Scalar::from_canonical_bytes(bytes))
        .ok_or_else(|| format!("{text} is not a canonical flavor"))
}

/// One public event of an asset.
#[derive(Clone, Debug, Serialize)]
pub struct AssetEvent {
    /// `issue` or `retire`.
    pub kind: &'static str,
    /// The transaction.
    pub txid: String,
    /// Its block's height.
    pub height: u64,
    /// The quantity's commitment (hex): the quantity itself is
    /// confidential.
    pub qty_commitment: String,
    /// For an issuance, its metadata (hex) when the program pushed it as
    /// data (see [`issuance_metadata`]).
    pub metadata_hex: Option<String>,
    /// The metadata as text, when it is printable UTF-8 (the wallet's asset
    /// name).
    pub metadata_text: Option<String>,
}

/// The metadata an issuance of `flavor` committed to, found in its
/// program: `issue` pops the predicate, then the metadata
/// (docs/spec/zkvm.md §issue), and the flavor hashes both, so a pair of
/// adjacent `push` instructions whose data hash to `flavor` as (metadata,
/// predicate) is that issuance's. `None` when the program computes them
/// some other way.
pub fn issuance_metadata(program: &[u8], flavor: &Scalar) -> Option<Vec<u8>> {
    let program = zkvm::Program::parse(program).ok()?;
    let pushed: Vec<Option<&zkvm::Data>> = program
        .instructions()
        .iter()
        .map(|i| match i {
            zkvm::Instruction::Push(d) => Some(d),
            _ => None,
        })
        .collect();
    pushed.windows(2).find_map(|w| {
        let (metadata, predicate) = (w[0]?, w[1]?);
        let point = predicate.to_point().ok()?;
        let predicate = zkvm::Predicate::opaque(point);
        (zkvm::Value::issue_flavor(&predicate, metadata) == *flavor).then(|| metadata.to_bytes())
    })
}

/// `GET /explorer/api/asset/{flavor}`: what the chain shows of an asset.
#[derive(Clone, Debug, Serialize)]
pub struct AssetAnswer {
    /// The flavor (hex scalar).
    pub flavor: String,
    /// Its unblinded commitment (hex), as issuance logs it
    /// (docs/spec/zkvm.md §issue).
    pub flavor_commitment: String,
    /// Its name, decimals, description and issuer: from the genesis's
    /// asset section (docs/spec/blockchain.md §Genesis), else from the
    /// oldest issuance record read (docs/spec/wallet.md §Asset metadata);
    /// `null` when neither names it.
    pub metadata: Option<crate::api_types::AssetAnswer>,
    /// Whether the genesis creates it (its asset section describes it).
    pub in_genesis: bool,
    /// Issuances, and retirements whose flavor is public, newest first.
    pub events: Vec<AssetEvent>,
    /// The lowest height read.
    pub scanned_from: u64,
    /// The highest height read.
    pub scanned_to: u64,
}

/// Reads the newest [`ASSET_SCAN_BLOCKS`] blocks for `flavor`'s
/// issuances: an `issue` logs the flavor's commitment unblinded, so it is
/// public; a retirement is public only when its flavor commitment is.
pub fn asset(chain: &ChainHandle, flavor: Scalar) -> Result<AssetAnswer, NodeError> {
    let point = Commitment::unblinded(flavor).to_point();
    let tip = chain.view().height();
    let low = tip.saturating_sub(ASSET_SCAN_BLOCKS - 1).max(2);
    let mut events = Vec::new();
    let in_genesis = crate::assets::genesis_asset(chain.genesis(), &flavor);
    // Blocks are read newest first: the last record seen is the oldest.
    let mut recorded = None;
    for height in (low..=tip).rev() {
        let Some(bytes) = chain.blocks().block_bytes(height)? else {
            break; // Below a pruned node's first block.
        };
        let block = Block::from_bytes(&bytes)
            .map_err(|_| StoreError::Corrupt(format!("block {height} does not decode")))?;
        for tx in &block.txs {
            let Ok(p) = Verifier::precompute(tx) else {
                continue;
            };
            if let Some(info) = wallet::assets_in_log(&p.log.0, height)
                .into_iter()
                .find(|a| a.flavor == flavor)
            {
                recorded = Some(info);
            }
            for entry in &p.log.0 {
                let (kind, qty) = match entry {
                    TxEntry::Issue(q, f) if *f == point => ("issue", q),
                    TxEntry::Retire(q, f) if *f == point => ("retire", q),
                    _ => continue,
                };
                let metadata = match kind {
                    "issue" => issuance_metadata(&tx.program, &flavor),
                    _ => None,
                };
                events.push(AssetEvent {
                    kind,
                    txid: p.id.to_string(),
                    height,
                    qty_commitment: hex::encode(qty.as_bytes()),
                    metadata_text: metadata
                        .as_ref()
                        .and_then(|m| String::from_utf8(m.clone()).ok())
                        .filter(|t| !t.chars().any(char::is_control)),
                    metadata_hex: metadata.map(hex::encode),
                });
            }
        }
    }
    Ok(AssetAnswer {
        flavor: hex::encode(flavor.as_bytes()),
        flavor_commitment: hex::encode(point.as_bytes()),
        metadata: in_genesis
            .as_ref()
            .or(recorded.as_ref())
            .map(crate::json::asset),
        in_genesis: in_genesis.is_some(),
        events,
        scanned_from: low.min(tip),
        scanned_to: tip,
    })
}

/// `GET /explorer/api/network`: who signs blocks, and the peers.
#[derive(Clone, Debug, Serialize)]
pub struct NetworkAnswer {
    /// The network's ID (the initial block's).
    pub network: String,
    /// The block signers' key (docs/spec/blockchain.md §Block signature):
    /// every block after the first carries a signature under it.
    pub signers: String,
    /// Whether this node produces blocks.
    pub producer: bool,
    /// The chain's height.
    pub height: u64,
    /// This node's peer ID.
    pub peer_id: Option<String>,
    /// Connected peers.
    pub peers: Vec<Peer>,
}

/// The signers and peers of the node behind `s`.
pub fn network(s: &ApiState) -> NetworkAnswer {
    let net = s.net.as_ref().map(NetworkHandle::info).unwrap_or_default();
    let view = s.chain.view();
    NetworkAnswer {
        network: view.state.initial.id().to_string(),
        signers: hex::encode(s.chain.genesis().signers.to_bytes()),
        producer: view.producer,
        height: view.height(),
        peer_id: net.peer_id.map(|p| p.to_string()),
        peers: crate::api::peer_answers(&net),
    }
}

/// What a search found: its kind and the page that shows it.
#[derive(Clone, Debug, Serialize)]
pub struct SearchAnswer {
    /// `block`, `tx`, `contract` or `asset`.
    pub kind: &'static str,
    /// The explorer path.
    pub path: String,
}

impl SearchAnswer {
    /// A hit.
    pub fn new(kind: &'static str, path: String) -> Self {
        SearchAnswer { kind, path }
    }
}

/// A height, or an ID of a stored block or output (an ID is tried as
/// each, in that order); `native` is the native asset. `None` when nothing
/// stored has that name (the caller then asks the chain's thread for a
/// transaction of that ID).
pub fn search_stored(chain: &ChainHandle, q: &str) -> Result<Option<SearchAnswer>, NodeError> {
    if q == "native" {
        return Ok(Some(SearchAnswer::new("asset", "/asset/native".into())));
    }
    if let Ok(height) = q.parse::<u64>() {
        let found = (1..=chain.view().height()).contains(&height);
        return Ok(found.then(|| SearchAnswer::new("block", format!("/block/{height}"))));
    }
    if q.len() != 64 || !q.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    if let Ok(id) = q.parse::<BlockID>() {
        let initial = chain.view().state.initial.id() == id;
        if initial || chain.height_of(&id)?.is_some() {
            return Ok(Some(SearchAnswer::new("block", format!("/block/{q}"))));
        }
    }
    if let Ok(id) = q.parse::<ContractID>() {
        if chain.contracts().contract(&id)?.is_some() {
            return Ok(Some(SearchAnswer::new(
                "contract",
                format!("/contract/{q}"),
            )));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn block_references_are_heights_or_ids() {
        assert!(matches!(BlockRef::parse("12"), Ok(BlockRef::Height(12))));
        assert!(matches!(
            BlockRef::parse(&"ab".repeat(32)),
            Ok(BlockRef::Id(_))
        ));
        for bad in ["", "-1", "x", &"zz".repeat(32), "1.5"] {
            assert!(BlockRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_issuance_program_yields_its_metadata() {
        let point = (Scalar::from(5u64) * curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT)
            .compress();
        let predicate = zkvm::Predicate::opaque(point);
        let metadata = zkvm::Data::Opaque(b"GOLD".to_vec());
        let flavor = zkvm::Value::issue_flavor(&predicate, &metadata);
        let program = zkvm::Program::build(|p| {
            p.push(zkvm::Data::Opaque(vec![1; 8]))
                .push(metadata.clone())
                .push(zkvm::Data::Opaque(point.as_bytes().to_vec()))
                .push_instruction(zkvm::Instruction::Issue)
        });
        let bytes = zkvm::Encodable::encode_to_vec(&program);
        assert_eq!(issuance_metadata(&bytes, &flavor), Some(b"GOLD".to_vec()));
        assert_eq!(issuance_metadata(&bytes, &Scalar::from(1u64)), None);
        assert_eq!(issuance_metadata(&[0xff, 0xff], &flavor), None);
    }

    #[test]
    fn flavors_are_native_or_canonical_scalars() {
        assert_eq!(parse_flavor("native").unwrap(), Scalar::ZERO);
        let nine = Scalar::from(9u64);
        assert_eq!(parse_flavor(&hex::encode(nine.as_bytes())).unwrap(), nine);
        assert!(parse_flavor(&"f".repeat(64)).is_err());
        assert!(parse_flavor("12").is_err());
    }
}
