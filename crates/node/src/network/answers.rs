//! The answering side of the sync protocol (docs/spec/network.md §Sync,
//! §Pool exchange): what a node sends back for each request, read from its
//! chain on the chain's thread.

use super::messages::{
    PeerStatus, Request, Response, SignedHeader, BLOCKS_RESPONSE_SOFT_LIMIT, MAX_BLOCKS,
    MAX_HEADERS, MAX_POOL_IDS, MAX_TXS, TXS_RESPONSE_SOFT_LIMIT,
};
use crate::chain::Chain;
use crate::NodeError;

/// Answers a sync request from the chain (on its thread).
pub(super) fn answer(c: &mut Chain, request: Request) -> Response {
    let tip = c.state().tip.height;
    let first_block = c.base_height() + 1;
    let range = |from: u64, count: u32, max: u32| -> Result<std::ops::Range<u64>, Response> {
        if from < first_block {
            return Err(Response::Error(format!(
                "blocks below height {first_block} are not kept here"
            )));
        }
        let end = from
            .saturating_add(u64::from(count.min(max)))
            .min(tip.saturating_add(1));
        Ok(from..end.max(from))
    };
    let result = match request {
        Request::Status => Ok(Response::Status(PeerStatus {
            network: c.state().initial.id(),
            height: tip,
            tip: c.state().tip.id(),
            first_block,
        })),
        Request::Headers { from, count } => match range(from, count, MAX_HEADERS) {
            Err(r) => Ok(r),
            Ok(heights) => heights
                .map(|h| match c.with_block_bytes(h, signed_header)? {
                    Some(Some(header)) => Ok(header),
                    Some(None) => Err(NodeError::Corrupt(format!("block {h} does not decode"))),
                    None => Err(NodeError::Corrupt(format!("block {h} is missing"))),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Response::Headers),
        },
        Request::Blocks { from, count } => match range(from, count, MAX_BLOCKS) {
            Err(r) => Ok(r),
            Ok(heights) => {
                let mut blocks = Vec::new();
                let mut size = 0;
                let mut failed = None;
                for h in heights {
                    match c.block_bytes(h) {
                        Ok(Some(bytes)) => {
                            size += bytes.len();
                            blocks.push(bytes);
                            if size >= BLOCKS_RESPONSE_SOFT_LIMIT {
                                break;
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                match failed {
                    Some(e) if blocks.is_empty() => Err(e),
                    _ => Ok(Response::Blocks(blocks)),
                }
            }
        },
        Request::Snapshot => Ok(Response::Snapshot(c.snapshot())),
        Request::Pool => Ok(Response::Pool(
            c.mempool()
                .iter_by_fee_rate()
                .take(MAX_POOL_IDS as usize)
                .map(|e| e.txid())
                .collect(),
        )),
        Request::Txs(ids) => {
            let mut txs = Vec::new();
            let mut size = 0;
            for id in ids.iter().take(MAX_TXS as usize) {
                if let Some(e) = c.mempool().get(id) {
                    let bytes = e.tx().to_bytes();
                    size += bytes.len();
                    txs.push(bytes);
                    if size >= TXS_RESPONSE_SOFT_LIMIT {
                        break;
                    }
                }
            }
            Ok(Response::Txs(txs))
        }
        // The network service answers this from its connections; the
        // chain knows no peers.
        Request::Peers => Ok(Response::Peers(Vec::new())),
    };
    result.unwrap_or_else(|e| Response::Error(e.to_string()))
}

/// The header and signature at the start of a stored block's encoding
/// (docs/spec/blockchain.md §Block encoding), without decoding the rest.
fn signed_header(block: &[u8]) -> Option<SignedHeader> {
    let mut r = zkvm::Reader::new(block);
    let header = blockchain::BlockHeader::decode(&mut r).ok()?;
    let signature = musig::Signature::from_bytes(r.read_slice(64).ok()?).ok()?;
    Some(SignedHeader { header, signature })
}
