//! `zkvm wallet reveal TXID`: a link to the explorer's page of a
//! transaction whose URL fragment carries the openings of the wallet's
//! outputs in it (docs/explorer.md §Reveal). The fragment never reaches
//! the node: the reader's browser checks each opening against the
//! output's commitments and only then shows the amount and asset.

use serde_json::{json, Value as Json};
use wallet::{EncryptedNote, NoteOpening, Wallet};
use zkvm::{Contract, Data, PortableItem, TxEntry, TxID, Verifier};

use crate::{Error, Output};

/// One opening in the fragment: `o.p.qty.flavor.qty_blinding.flavor_blinding`
/// (output `o` of the log, its payload item `p`; scalars as 64 hex digits).
fn fragment_item(output: usize, item: usize, opening: &NoteOpening) -> String {
    format!(
        "{output}.{item}.{}.{}.{}.{}",
        opening.qty,
        hex::encode(opening.flavor.as_bytes()),
        hex::encode(opening.qty_blinding.as_bytes()),
        hex::encode(opening.flavor_blinding.as_bytes())
    )
}

/// The wallet's opening of `output`'s value and the value's payload
/// position: from its unspent outputs, or else by decrypting the output's
/// note with the view key (an output already spent, or not yet scanned).
fn opening_of(w: &Wallet, output: &Contract) -> Option<(usize, NoteOpening)> {
    let id = output.id();
    let position = output
        .payload
        .iter()
        .position(|item| matches!(item, PortableItem::Value(_)))?;
    if let Some(owned) = w.utxos().find(|u| u.id() == id) {
        return Some((position, owned.opening.clone()));
    }
    let [PortableItem::Value(value), PortableItem::String(Data::Opaque(note))] =
        output.payload.as_slice()
    else {
        return None;
    };
    let note = EncryptedNote::from_bytes(note).ok()?;
    let opening = note
        .open(w.keys().view_key(), &output.predicate.to_point())
        .ok()?;
    opening.opens(value).then_some((position, opening))
}

/// The link for `txid` on the node at `node`, with the openings of every
/// output of it the wallet can open.
pub fn reveal(w: &Wallet, node: &str, txid: &TxID) -> Result<Output, Error> {
    let client = node::Client::new(node)?;
    let answer = client
        .tx(&txid.to_string())?
        .ok_or_else(|| Error::NotFound(format!("the node has no transaction {txid}")))?;
    let bytes = hex::decode(&answer.hex).map_err(Error::Hex)?;
    let tx = zkvm::Tx::from_bytes(&bytes).map_err(Error::Decode)?;
    let log = Verifier::precompute(&tx).map_err(Error::Invalid)?.log;
    let mut items = Vec::new();
    let mut revealed: Vec<Json> = Vec::new();
    let outputs = log.0.iter().filter_map(|e| match e {
        TxEntry::Output(c) => Some(c),
        _ => None,
    });
    for (o, output) in outputs.enumerate() {
        if let Some((p, opening)) = opening_of(w, output) {
            items.push(fragment_item(o, p, &opening));
            revealed.push(json!({
                "output": o,
                "contract_id": output.id().to_string(),
                "qty": opening.qty,
                "flavor": hex::encode(opening.flavor.as_bytes()),
            }));
        }
    }
    if items.is_empty() {
        return Err(Error::NotFound(format!(
            "no output of {txid} belongs to this wallet"
        )));
    }
    let url = format!("{}/tx/{txid}#reveal={}", client.base(), items.join(","));
    Ok(Output::Json(json!({
        "txid": txid.to_string(),
        "url": url,
        "revealed": revealed,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::scalar::Scalar;

    #[test]
    fn a_fragment_item_names_the_output_and_the_whole_opening() {
        let opening = NoteOpening {
            qty: 600,
            flavor: Scalar::from(9u64),
            qty_blinding: Scalar::from(1u64),
            flavor_blinding: Scalar::from(2u64),
            memo: Vec::new(),
        };
        let item = fragment_item(1, 0, &opening);
        let parts: Vec<&str> = item.split('.').collect();
        assert_eq!(parts.len(), 6);
        assert_eq!(&parts[..3], ["1", "0", "600"]);
        assert_eq!(parts[3], hex::encode(Scalar::from(9u64).as_bytes()));
        assert_eq!(parts[5], hex::encode(Scalar::from(2u64).as_bytes()));
    }
}
