//! The answering side of the sync protocol (docs/spec/network.md §Sync,
//! §Pool exchange): what a node sends back for each request. Headers and
//! blocks are read from the store on the blocking pool, so that copying
//! megabytes of blocks out never holds up block application on the
//! chain's thread; status and snapshot come from the chain's published
//! view, and only mempool questions go to its thread.

use tokio::sync::Semaphore;

use super::messages::{
    PeerStatus, Request, Response, SignedHeader, BLOCKS_RESPONSE_SOFT_LIMIT, MAX_BLOCKS,
    MAX_HEADERS, MAX_POOL_IDS, MAX_TXS, TXS_RESPONSE_SOFT_LIMIT,
};
use crate::actor::ChainHandle;
use crate::store::BlockReader;
use crate::NodeError;

/// What a block-range request asks for.
#[derive(Clone, Copy, Debug)]
enum Range {
    Headers { from: u64, count: u32 },
    Blocks { from: u64, count: u32 },
}

/// Answers `request` for the node whose chain is `chain` and whose stored
/// blocks `reader` reads; at most `answering`'s permits of store reads run
/// at once.
pub(super) async fn respond(
    chain: &ChainHandle,
    reader: &BlockReader,
    answering: &Semaphore,
    request: Request,
) -> Response {
    // The published view, not the chain's thread: a block at or below its
    // tip is committed before the view moves and never changes.
    let view = chain.view();
    let (tip, first_block) = (view.height(), view.first_block());
    let range = match request {
        Request::Headers { from, count } => Range::Headers { from, count },
        Request::Blocks { from, count } => Range::Blocks { from, count },
        Request::Status => {
            return Response::Status(PeerStatus {
                network: view.state.initial.id(),
                height: tip,
                tip: view.state.tip.id(),
                first_block,
            })
        }
        Request::Snapshot => return Response::Snapshot(view.state.to_snapshot()),
        Request::Pool => {
            return match chain.pool(MAX_POOL_IDS as usize).await {
                Ok(pool) => Response::Pool(pool.into_iter().map(|e| e.txid).collect()),
                Err(e) => Response::Error(e.to_string()),
            }
        }
        Request::Txs(ids) => {
            let ids = ids.into_iter().take(MAX_TXS as usize).collect();
            return match chain.pool_txs(ids, TXS_RESPONSE_SOFT_LIMIT).await {
                Ok(txs) => Response::Txs(txs),
                Err(e) => Response::Error(e.to_string()),
            };
        }
        // The network service answers this from its connections; the
        // chain knows no peers.
        Request::Peers => return Response::Peers(Vec::new()),
    };
    let Ok(_permit) = answering.acquire().await else {
        return Response::Error("the node is stopping".into());
    };
    let reader = reader.clone();
    tokio::task::spawn_blocking(move || from_store(&reader, tip, first_block, range))
        .await
        .unwrap_or_else(|e| Response::Error(e.to_string()))
}

/// Answers a Headers or Blocks request from the stored blocks of a chain
/// whose tip is at `tip` and whose first stored block is `first_block`.
fn from_store(reader: &BlockReader, tip: u64, first_block: u64, range: Range) -> Response {
    let (from, count, max) = match range {
        Range::Headers { from, count } => (from, count, MAX_HEADERS),
        Range::Blocks { from, count } => (from, count, MAX_BLOCKS),
    };
    if from < first_block {
        return Response::Error(format!(
            "blocks below height {first_block} are not kept here"
        ));
    }
    let end = from
        .saturating_add(u64::from(count.min(max)))
        .min(tip.saturating_add(1))
        .max(from);
    let result = match range {
        Range::Headers { .. } => (from..end)
            .map(|h| match reader.with_block_bytes(h, signed_header)? {
                Some(Some(header)) => Ok(header),
                Some(None) => Err(NodeError::Corrupt(format!("block {h} does not decode"))),
                None => Err(NodeError::Corrupt(format!("block {h} is missing"))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Response::Headers),
        Range::Blocks { .. } => {
            let mut blocks = Vec::new();
            let mut size = 0;
            let mut failed = None;
            for h in from..end {
                match reader.block_bytes(h) {
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
