//! Renderings of chain objects as the API's types ([`crate::api_types`]),
//! shared by the API and the `zkvm` command (docs/api.md §Objects):
//! hashes, points and byte strings as lower-case hex; log entries and
//! payload items tagged by `"type"`.

use blockchain::{Block, BlockHeader};
use zkvm::{ContractID, Encodable, PortableItem, Tx, TxEntry, TxID, Verifier};

use crate::api_types::{
    AssetAnswer, BlockAnswer, BlockTx, ContractAnswer, Created, Header, LogEntry, PayloadItem,
    Spent, TxAnswer, TxStatus,
};
use crate::store::ContractRecord;
use crate::{NodeError, StoreError};

/// One transaction log entry (zkvm-spec §Transaction log).
pub fn log_entry(entry: &TxEntry) -> LogEntry {
    match entry {
        TxEntry::Header(h) => LogEntry::Header {
            version: h.version,
            mintime_ms: h.mintime_ms,
            maxtime_ms: h.maxtime_ms,
        },
        TxEntry::Input(id) => LogEntry::Input {
            contract_id: id.to_string(),
        },
        TxEntry::Output(contract) => LogEntry::Output {
            contract_id: contract.id().to_string(),
            predicate: hex::encode(contract.predicate.to_point().as_bytes()),
            anchor: contract.anchor.to_string(),
            payload: contract.payload.iter().map(payload_item).collect(),
        },
        TxEntry::Issue(qty, flv) => LogEntry::Issue {
            qty: hex::encode(qty.as_bytes()),
            flv: hex::encode(flv.as_bytes()),
        },
        TxEntry::Retire(qty, flv) => LogEntry::Retire {
            qty: hex::encode(qty.as_bytes()),
            flv: hex::encode(flv.as_bytes()),
        },
        TxEntry::Fee(amount) => LogEntry::Fee { amount: *amount },
        TxEntry::Data(data) => LogEntry::Data {
            hex: hex::encode(data),
        },
    }
}

/// One payload item of an output contract. A program comes with its
/// assembly (`None` when its bytes do not parse or are too long to print)
/// so that a reader sees what the contract will run without a
/// disassembler of their own. Values stay commitments: their quantities
/// and flavors are confidential.
pub fn payload_item(item: &PortableItem) -> PayloadItem {
    match item {
        PortableItem::Value(v) => PayloadItem::Value {
            qty: hex::encode(v.qty.to_point().as_bytes()),
            flv: hex::encode(v.flv.to_point().as_bytes()),
        },
        PortableItem::String(data) => PayloadItem::String {
            hex: hex::encode(data.to_bytes()),
        },
        PortableItem::Program(program) => {
            let bytes = program.to_bytes();
            PayloadItem::Program {
                asm: zkvm::asm::disassemble(&bytes).ok(),
                hex: hex::encode(bytes),
            }
        }
    }
}

/// A block header's fields and ID.
pub fn header(h: &BlockHeader) -> Header {
    Header {
        id: h.id().to_string(),
        version: h.version,
        height: h.height,
        previd: h.previd.to_string(),
        timestamp_ms: h.timestamp_ms,
        txroot: hex::encode(h.txroot),
        utxoroot: hex::encode(h.utxoroot),
        ext: hex::encode(&h.ext),
    }
}

/// A block as stored: its header, its transactions' IDs (as indexed when
/// it was stored) and sizes, and its encoding. Runs no VM.
pub fn stored_block(bytes: &[u8], txids: &[TxID]) -> Result<BlockAnswer, NodeError> {
    let b = Block::from_bytes(bytes)
        .map_err(|_| StoreError::Corrupt("a stored block does not decode".into()))?;
    if b.txs.len() != txids.len() {
        return Err(StoreError::Corrupt(format!(
            "block {} has {} transactions and {} indexed",
            b.header.height,
            b.txs.len(),
            txids.len()
        ))
        .into());
    }
    Ok(BlockAnswer {
        header: header(&b.header),
        txs: b
            .txs
            .iter()
            .zip(txids)
            .map(|(tx, id)| BlockTx {
                id: id.to_string(),
                size: tx.encoded_size(),
            })
            .collect(),
        hex: Some(hex::encode(bytes)),
    })
}

/// A transaction the node holds, with where it is (`None`: pending): ID,
/// log, fee, size and encoding. The VM runs to read the log; the proof is
/// not checked again (the node verified it on admission or import).
pub fn tx(tx: &Tx, location: Option<(u64, u32)>) -> Result<TxAnswer, NodeError> {
    let bytes = tx.to_bytes();
    let p = Verifier::precompute(tx).map_err(NodeError::InvalidTx)?;
    Ok(TxAnswer {
        id: p.id.to_string(),
        size: bytes.len(),
        fee: p.fee_rate.fee(),
        fee_rate: p.fee_rate.to_f64(),
        log: p.log.0.iter().map(log_entry).collect(),
        hex: hex::encode(bytes),
        status: if location.is_some() {
            TxStatus::Confirmed
        } else {
            TxStatus::Pending
        },
        height: location.map(|(h, _)| h),
        index: location.map(|(_, i)| i),
        assets: wallet::assets_in_log(&p.log.0, location.map_or(0, |(h, _)| h))
            .iter()
            .map(asset)
            .collect(),
    })
}

/// An asset's metadata as the chain gave it (an issuance record or the
/// genesis's asset section).
pub fn asset(a: &wallet::AssetInfo) -> AssetAnswer {
    AssetAnswer {
        flavor: hex::encode(a.flavor.as_bytes()),
        name: a.metadata.name.clone(),
        decimals: a.metadata.decimals,
        description: a.metadata.description.clone(),
        issuer: hex::encode(a.issuer.as_bytes()),
    }
}

/// A stored output from the contract index: the contract, where it was
/// created (`"txid": null` for a genesis UTXO, whose `index` is its place
/// in the genesis) and where it was spent (`null` while unspent); no proof.
pub fn contract(id: &ContractID, record: &ContractRecord) -> ContractAnswer {
    let c = &record.contract;
    let created = &record.created;
    ContractAnswer {
        contract_id: id.to_string(),
        predicate: hex::encode(c.predicate.to_point().as_bytes()),
        anchor: c.anchor.to_string(),
        payload: c.payload.iter().map(payload_item).collect(),
        output: hex::encode(c.encode_to_vec()),
        created: Created {
            txid: created.txid.map(|t| t.to_string()),
            height: created.height,
            index: created.index,
            entry: created.entry,
        },
        spent: record.spent.as_ref().map(|s| Spent {
            txid: s.txid.to_string(),
            height: s.height,
            index: s.index,
        }),
        unspent: record.spent.is_none(),
        proof: None,
    }
}
