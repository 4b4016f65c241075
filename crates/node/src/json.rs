//! JSON renderings shared by the API and the `zkvm` command
//! (docs/api.md §Objects): hashes, points and byte strings as lower-case
//! hex; log entries tagged by `"type"`.

use blockchain::{Block, BlockHeader};
use serde_json::{json, Value as Json};
use zkvm::{Encodable, PortableItem, Tx, TxEntry, Verifier};

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

/// A block: its header, its transactions' IDs and sizes, and its encoding.
pub fn block(b: &Block) -> Json {
    let txs: Vec<Json> = b
        .txs
        .iter()
        .map(|tx| {
            let id = Verifier::precompute(tx)
                .map(|p| p.id.to_string())
                .unwrap_or_default();
            json!({"id": id, "size": tx.encoded_size()})
        })
        .collect();
    json!({
        "header": header(&b.header),
        "txs": txs,
        "hex": hex::encode(b.to_bytes()),
    })
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
