//! Submitting a transaction with an answer that says what happened
//! (docs/spec/wallet.md §Pending): accepted, already known, refused,
//! never sent, or unknown. `node::Client::submit` folds every failure into
//! one message; the wallet needs to tell them apart to decide whether the
//! transaction's inputs are locked.

use std::time::Duration;

use node::api_types::{ErrorBody, SubmitRequest, Submitted};

/// What became of a submission.
#[derive(Debug)]
pub enum Broadcast {
    /// The node took it into its pool.
    Accepted(Submitted),
    /// The node has it already: in its pool (`409 already_known`).
    AlreadyKnown,
    /// The node says a block has it (`409 already_confirmed`).
    AlreadyConfirmed(String),
    /// The node answered with a refusal: it does not hold the transaction.
    Refused {
        /// The HTTP status, e.g. `400 Bad Request`.
        status: String,
        /// The node's reason.
        reason: String,
    },
    /// The request never reached the node (no connection): nothing was
    /// sent.
    NotSent(String),
    /// The request was sent but no answer came (timeout, connection cut):
    /// the node may or may not hold the transaction.
    Unknown(String),
}

/// `POST /v1/txs` of `tx` to the node at `base` (`http://host:port`).
pub fn broadcast(base: &str, tx: &[u8]) -> Broadcast {
    let http = match reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
    {
        Ok(h) => h,
        Err(e) => return Broadcast::NotSent(e.to_string()),
    };
    let response = http
        .post(format!("{base}/v1/txs"))
        .json(&SubmitRequest {
            hex: hex::encode(tx),
        })
        .send();
    let response = match response {
        Ok(r) => r,
        Err(e) if e.is_connect() => {
            return Broadcast::NotSent(format!("cannot reach the node at {base}: {e}"))
        }
        Err(e) => return Broadcast::Unknown(format!("no answer from the node at {base}: {e}")),
    };
    let status = response.status();
    let body = response.text().unwrap_or_default();
    if status.is_success() {
        return match serde_json::from_str::<Submitted>(&body) {
            Ok(s) => Broadcast::Accepted(s),
            // A success whose body is not what the API says: it was
            // accepted all the same.
            Err(_) => Broadcast::AlreadyKnown,
        };
    }
    let (code, reason) = serde_json::from_str::<ErrorBody>(&body)
        .map(|b| (b.error, b.reason))
        .unwrap_or_else(|_| (String::new(), "no reason given".into()));
    match code.as_str() {
        "already_known" => Broadcast::AlreadyKnown,
        "already_confirmed" => Broadcast::AlreadyConfirmed(reason),
        _ => Broadcast::Refused {
            status: status.to_string(),
            reason,
        },
    }
}
