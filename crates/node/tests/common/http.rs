//! Requests to a node's HTTP API as the tests send them.

use serde_json::Value;

/// Posts `body` to `url`'s `/v1/txs` with `content_type`; the status and
/// the answer as JSON (or as a JSON string if it is not JSON).
pub fn post_tx(
    client: &reqwest::blocking::Client,
    url: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    post(client, &format!("{url}/v1/txs"), content_type, body)
}

/// Posts `body` to the full `url` with `content_type`; as [`post_tx`].
pub fn post(
    client: &reqwest::blocking::Client,
    url: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let r = client
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}
