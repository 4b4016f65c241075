//! JSON renderings shared by the API and the `zkvm` command
//! (docs/api.md §Objects): hashes, points and byte strings as lower-case
//! hex; log entries tagged by `"type"`.

use blockchain::{Block, BlockHeader};
use serde_json::{json, Value as Json};
use zkvm::{ContractID, Encodable, PortableItem, Tx, TxEntry, TxID, Verifier};

use crate::store::ContractRecord;
use crate::{NodeError, StoreError};

/// One transaction log entry (zkvm-spec §Transaction log).
pub fn log_entry(entry: &TxEntry) -> Json {
    match entry {
        TxEntry::Header(h) => json!({
            "type": "header",
            "version": h.version,
            "mintime_ms": h.mintime_ms,
            "maxtime_ms": h.maxtime_ms,
        }),
        TxEntry::Input(id) => json!({"type": "input", "contract_id": hex::encode(id.0)}),
        TxEntry::Output(contract) => json!({
            "type": "output",
            "contract_id": hex::encode(contract.id().0),
            "predicate": hex::encode(contract.predicate.to_point().as_bytes()),
            "anchor": hex::encode(contract.anchor.0),
            "payload": contract.payload.iter().map(payload_item).collect::<Vec<_>>(),
        }),
        TxEntry::Issue(qty, flv) => json!({
            "type": "issue",
            "qty": hex::encode(qty.as_bytes()),
            "flv": hex::encode(flv.as_bytes()),
        }),
        TxEntry::Retire(qty, flv) => json!({
            "type": "retire",
            "qty": hex::encode(qty.as_bytes()),
            "flv": hex::encode(flv.as_bytes()),
        }),
        TxEntry::Fee(amount) => json!({"type": "fee", "amount": amount}),
        TxEntry::Data(data) => json!({"type": "data", "hex": hex::encode(data)}),
    }
}

/// One payload item of an output contract.
pub fn payload_item(item: &PortableItem) -> Json {
    match item {
        PortableItem::Value(v) => json!({
            "type": "value",
            "qty": hex::encode(v.qty.to_point().as_bytes()),
            "flv": hex::encode(v.flv.to_point().as_bytes()),
        }),
        PortableItem::String(data) => {
            json!({"type": "string", "hex": hex::encode(data.to_bytes())})
        }
        PortableItem::Program(program) => {
            json!({"type": "program", "hex": hex::encode(program.to_bytes())})
        }
    }
}

/// A block header's fields and ID.
pub fn header(h: &BlockHeader) -> Json {
    json!({
        "id": hex::encode(h.id().0),
        "version": h.version,
        "height": h.height,
        "previd": hex::encode(h.previd.0),
        "timestamp_ms": h.timestamp_ms,
        "txroot": hex::encode(h.txroot),
        "utxoroot": hex::encode(h.utxoroot),
        "ext": hex::encode(&h.ext),
    })
}

/// A block as stored: its header, its transactions' IDs (as indexed when
/// it was stored) and sizes, and its encoding. Runs no VM.
pub fn stored_block(bytes: &[u8], txids: &[TxID]) -> Result<Json, NodeError> {
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
    let txs: Vec<Json> = b
        .txs
        .iter()
        .zip(txids)
        .map(|(tx, id)| json!({"id": id.to_string(), "size": tx.encoded_size()}))
        .collect();
    Ok(json!({
        "header": header(&b.header),
        "txs": txs,
        "hex": hex::encode(bytes),
    }))
}

/// A transaction: ID, log, fee, size and encoding (the VM is run to read
/// the log; the proof is not checked again).
pub fn tx(tx: &Tx) -> Json {
    let bytes = tx.to_bytes();
    match Verifier::precompute(tx) {
        Ok(p) => json!({
            "id": p.id.to_string(),
            "size": bytes.len(),
            "fee": p.fee_rate.fee(),
            "fee_rate": p.fee_rate.to_f64(),
            "log": p.log.0.iter().map(log_entry).collect::<Vec<_>>(),
            "hex": hex::encode(bytes),
        }),
        Err(e) => json!({"size": bytes.len(), "error": e.to_string(), "hex": hex::encode(bytes)}),
    }
}

/// One payload item of a stored output (docs/api.md §Contracts): as
/// [`payload_item`], and a program also as assembly (`"asm"`, `null` when
/// its bytes do not parse or are too long to print) so that a reader sees
/// what the contract will run without a disassembler of their own. Values
/// stay commitments: their quantities and flavors are confidential.
pub fn contract_payload_item(item: &PortableItem) -> Json {
    let mut out = payload_item(item);
    if let PortableItem::Program(program) = item {
        out["asm"] = zkvm::asm::disassemble(&program.to_bytes())
            .map(Json::String)
            .unwrap_or(Json::Null);
    }
    out
}

/// A stored output from the contract index: the contract, where it was
/// created (`"txid": null` for a genesis UTXO, whose `index` is its place
/// in the genesis) and where it was spent (`null` while unspent).
pub fn contract(id: &ContractID, record: &ContractRecord) -> Json {
    let c = &record.contract;
    let created = &record.created;
    json!({
        "contract_id": hex::encode(id.0),
        "predicate": hex::encode(c.predicate.to_point().as_bytes()),
        "anchor": hex::encode(c.anchor.0),
        "payload": c.payload.iter().map(contract_payload_item).collect::<Vec<_>>(),
        "output": hex::encode(c.encode_to_vec()),
        "created": {
            "txid": created.txid.map(|t| t.to_string()),
            "height": created.height,
            "index": created.index,
            "entry": created.entry,
        },
        "spent": record.spent.as_ref().map(|s| json!({
            "txid": s.txid.to_string(),
            "height": s.height,
            "index": s.index,
        })),
        "unspent": record.spent.is_none(),
    })
}
