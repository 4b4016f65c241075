//! Human output: every command's structured answer (the JSON that
//! `--json` prints) rendered as text for a person (docs/guide.md §Output).
//!
//! Kept in one place so that commands only build their answer once, as
//! JSON, and the two forms cannot drift apart: a JSON object becomes
//! `label: value` lines, each list of objects in it an aligned table (with
//! the columns a person looks for first, for the lists the wallet and the
//! node answer with), each list of plain values one comma-separated line.

use serde_json::{Map, Value as Json};

/// The columns shown first, in this order, for a list under `key`; the
/// other fields of its rows follow unless `only` (for wide lists whose
/// other fields are in `--json`).
struct Columns {
    key: &'static str,
    first: &'static [&'static str],
    only: bool,
    /// Columns whose long values (addresses, IDs) are shortened to their
    /// ends, to keep the table on a screen (`--json` has them whole).
    short: &'static [&'static str],
}

/// The tables a person reads most, with their columns as issue 19 asks:
/// balances, history (time, counterparty, amount, fee, status,
/// confirmations), UTXOs, mempool, peers.
const COLUMNS: &[Columns] = &[
    Columns {
        key: "balances",
        first: &["asset", "spendable", "locked", "pending", "offered"],
        only: false,
        short: &[],
    },
    Columns {
        key: "history",
        first: &[
            "time",
            "kind",
            "counterparties",
            "amounts",
            "fee",
            "status",
            "confirmations",
            "txid",
        ],
        only: true,
        short: &["counterparties", "txid"],
    },
    Columns {
        key: "pending",
        first: &["txid", "counterparties", "amounts", "fee", "status"],
        only: true,
        short: &["counterparties"],
    },
    Columns {
        key: "utxos",
        first: &["asset", "qty", "height", "contract_id"],
        only: false,
        short: &[],
    },
    Columns {
        key: "txs",
        first: &["id", "fee", "size", "fee_rate"],
        only: false,
        short: &[],
    },
    Columns {
        key: "peers",
        first: &["peer_id", "address", "height", "score"],
        only: false,
        short: &[],
    },
    Columns {
        key: "validators",
        first: &["address", "power", "signed_tip", "key"],
        only: false,
        short: &["address", "key"],
    },
    Columns {
        key: "evidence",
        first: &["height", "round", "kind", "validator", "first", "second"],
        only: false,
        short: &["validator", "first", "second"],
    },
];

/// `value` as text for a person, ending with a line break.
pub fn human(value: &Json) -> String {
    let mut out = String::new();
    match value {
        Json::Object(map) => object(&mut out, map),
        Json::Array(rows) => list(&mut out, "", rows),
        other => {
            out.push_str(&cell(other));
            out.push('\n');
        }
    }
    out
}

/// A field name as a label: `fee_rate` → `fee rate`.
fn label(key: &str) -> String {
    key.replace('_', " ")
}

/// Scalars first as aligned `label: value` lines, then nested objects
/// indented under their label, then lists.
fn object(out: &mut String, map: &Map<String, Json>) {
    let scalars: Vec<(&String, &Json)> = map
        .iter()
        .filter(|(_, v)| !v.is_array() && !v.is_object())
        .collect();
    let width = scalars
        .iter()
        .map(|(k, _)| label(k).chars().count())
        .max()
        .unwrap_or(0);
    for (k, v) in &scalars {
        let l = label(k);
        out.push_str(&format!(
            "{l}:{:pad$} {}\n",
            "",
            cell(v),
            pad = width - l.chars().count()
        ));
    }
    for (k, v) in map {
        match v {
            Json::Object(inner) => {
                out.push_str(&format!("{}:\n", label(k)));
                let mut nested = String::new();
                object(&mut nested, inner);
                for line in nested.lines() {
                    out.push_str("  ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
            Json::Array(rows) => list(out, k, rows),
            _ => {}
        }
    }
}

/// A list: `label: none` when empty, one line of plain values, or a
/// table of objects.
fn list(out: &mut String, key: &str, rows: &[Json]) {
    let heading = if key.is_empty() {
        String::new()
    } else {
        format!("{}:", label(key))
    };
    if rows.is_empty() {
        if !heading.is_empty() {
            out.push_str(&format!("{heading} none\n"));
        }
        return;
    }
    if !rows.iter().all(Json::is_object) || key == "amounts" || key == "unspent" {
        let line = rows.iter().map(cell).collect::<Vec<_>>().join(", ");
        if heading.is_empty() {
            out.push_str(&format!("{line}\n"));
        } else {
            out.push_str(&format!("{heading} {line}\n"));
        }
        return;
    }
    if !heading.is_empty() {
        out.push_str(&format!("{heading}\n"));
    }
    table(out, key, rows);
}

/// Rows of objects as a table: the preferred columns of `key` that any
/// row has, then (unless the list shows only those) every other field in
/// first-seen order.
fn table(out: &mut String, key: &str, rows: &[Json]) {
    let preferred = COLUMNS.iter().find(|c| c.key == key);
    let has = |col: &str| {
        rows.iter()
            .any(|r| r.get(col).is_some_and(|v| !v.is_null()))
    };
    let mut columns: Vec<String> = preferred
        .map(|p| {
            p.first
                .iter()
                .filter(|c| has(c))
                .map(|c| c.to_string())
                .collect()
        })
        .unwrap_or_default();
    if !preferred.is_some_and(|p| p.only) {
        for row in rows {
            if let Json::Object(map) = row {
                for k in map.keys() {
                    // `name` and `decimals` show through the asset and
                    // quantity columns.
                    let shown_elsewhere =
                        (k == "name" || k == "decimals") && map.contains_key("asset");
                    if !columns.contains(k) && has(k) && !shown_elsewhere {
                        columns.push(k.clone());
                    }
                }
            }
        }
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| {
                    let text = row_cell(r, c);
                    if preferred.is_some_and(|p| p.short.contains(&c.as_str())) {
                        shorten(&text)
                    } else {
                        text
                    }
                })
                .collect()
        })
        .collect();
    let headers: Vec<String> = columns.iter().map(|c| label(c).to_uppercase()).collect();
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| {
            cells
                .iter()
                .map(|row| row[i].chars().count())
                .chain([headers[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |out: &mut String, row: &[String]| {
        let mut text = String::new();
        for (i, c) in row.iter().enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(c);
            text.push_str(&" ".repeat(widths[i] - c.chars().count()));
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(out, &headers);
    for row in &cells {
        line(out, row);
    }
}

/// Quantity fields, shown in units where the row's asset declares
/// decimals.
const QUANTITIES: &[&str] = &["qty", "spendable", "locked", "pending", "offered"];

/// The cell of `column` in `row`: the asset by its name where the row has
/// one, quantities in units.
fn row_cell(row: &Json, column: &str) -> String {
    let Some(value) = row.get(column) else {
        return String::new();
    };
    if column == "asset" {
        if let Some(name) = row.get("name").and_then(Json::as_str) {
            return name.to_string();
        }
    }
    if QUANTITIES.contains(&column) {
        if let Some(text) = units(value, row.get("decimals")) {
            return text;
        }
    }
    cell(value)
}

/// A quantity (a JSON integer) with `decimals` digits after the point.
fn units(qty: &Json, decimals: Option<&Json>) -> Option<String> {
    let decimals = u8::try_from(decimals?.as_u64()?).ok()?;
    let qty = qty.as_u64()?;
    Some(wallet::format_units(u128::from(qty), decimals))
}

/// Each comma-separated item longer than 20 characters as its first 12
/// and last 6 around `…`.
fn shorten(text: &str) -> String {
    text.split(", ")
        .map(|item| {
            let chars: Vec<char> = item.chars().collect();
            if chars.len() <= 20 {
                item.to_string()
            } else {
                let head: String = chars[..12].iter().collect();
                let tail: String = chars[chars.len() - 6..].iter().collect();
                format!("{head}…{tail}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One value in a line or a table cell: strings without quotes, `-` for
/// nothing, an amount object as `qty asset`, other lists joined.
fn cell(value: &Json) -> String {
    match value {
        Json::Null => "-".into(),
        Json::String(s) => s.clone(),
        Json::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Json::Number(n) => n.to_string(),
        Json::Array(items) if items.is_empty() => "-".into(),
        Json::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(", "),
        Json::Object(map) => match (map.get("qty"), map.get("asset")) {
            (Some(q), Some(a)) => {
                let qty = units(q, map.get("decimals")).unwrap_or_else(|| cell(q));
                format!("{qty} {}", cell(map.get("name").unwrap_or(a)))
            }
            _ => Json::Object(map.clone()).to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::human;

    #[test]
    fn scalars_are_aligned_lines_and_lists_tables() {
        let text = human(&json!({
            "height": 7,
            "pending_txs": [],
            "balances": [
                {"asset": "native", "spendable": 1000, "locked": 0, "pending": 5, "offered": 0},
                {"asset": "GOLD", "spendable": 12, "locked": 3, "pending": 0, "offered": 0},
            ],
        }));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "height: 7");
        assert_eq!(lines[1], "balances:");
        assert_eq!(lines[2], "ASSET   SPENDABLE  LOCKED  PENDING  OFFERED");
        assert_eq!(lines[3], "native  1000       0       5        0");
        assert_eq!(lines[4], "GOLD    12         3       0        0");
        assert_eq!(lines[5], "pending txs: none");
    }

    #[test]
    fn history_shows_its_columns_only_and_amounts_in_words() {
        let text = human(&json!({"history": [{
            "time": "2026-12-04 12:00:00",
            "kind": "sent",
            "description": "not shown",
            "amounts": [{"asset": "native", "qty": 5}],
            "fee": 1,
            "status": "confirmed",
            "confirmations": 2,
            "counterparties": ["zkvm1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaazzzzzz"],
            "txid": "ab",
        }]}));
        assert!(text.contains("TIME"), "{text}");
        assert!(text.contains("5 native"), "{text}");
        assert!(!text.contains("not shown"), "{text}");
        assert!(text.contains("zkvm1aaaaaaa…zzzzzz"), "shortened: {text}");
        let bare = human(&json!({"history": [{"kind": "received", "fee": 0}]}));
        assert!(!bare.contains("COUNTERPARTIES"), "no row has one: {bare}");
    }

    #[test]
    fn assets_show_by_name_in_units() {
        let text = human(&json!({"balances": [
            {"asset": "ab01", "name": "GOLD", "decimals": 2, "spendable": 1250, "locked": 0,
             "pending": 0, "offered": 5},
        ], "amounts": [{"asset": "ab01", "name": "GOLD", "decimals": 2, "qty": 7}]}));
        assert!(text.contains("GOLD   12.50      0.00"), "{text}");
        assert!(text.contains("0.05"), "{text}");
        assert!(
            !text.contains("DECIMALS") && !text.contains("ab01"),
            "{text}"
        );
        assert!(text.contains("amounts: 0.07 GOLD"), "{text}");
    }

    #[test]
    fn nothing_is_quoted_and_null_is_a_dash() {
        assert_eq!(human(&json!("plain")), "plain\n");
        assert_eq!(human(&json!({"a": null, "b": true})), "a: -\nb: yes\n");
        assert_eq!(human(&json!({"nested": {"x": 1}})), "nested:\n  x: 1\n");
    }
}
