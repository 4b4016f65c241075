//! The answering side of the sync protocol and the pool exchange
//! (docs/spec/network.md §Sync, §Pool exchange): what a node sends back
//! for each request. Headers and blocks are read from the store on the
//! blocking pool, so that copying megabytes of blocks out never holds up
//! block application on the chain's thread; status and snapshot come from
//! the chain's published view, set changes from its seal, and only mempool
//! questions go to its thread.

use tokio::sync::Semaphore;

use super::chain::ChainAccess;
use super::messages::{
    PoolRequest, PoolResponse, SyncRequest, SyncResponse, BLOCKS_RESPONSE_SOFT_LIMIT, MAX_BLOCKS,
    MAX_HEADERS, MAX_POOL_IDS, MAX_SET_CHANGES, MAX_TXS, TXS_RESPONSE_SOFT_LIMIT,
};

/// Answers a sync `request` from `chain`; at most `answering`'s permits of
/// store reads run at once.
pub(super) async fn sync<C: ChainAccess>(
    chain: &C,
    answering: &Semaphore,
    request: SyncRequest,
) -> SyncResponse {
    // The published view, not the chain's thread: a block at or below its
    // tip is committed before the view moves and never changes.
    let status = chain.status();
    let (headers, from, count, max) = match request {
        SyncRequest::Status => return SyncResponse::Status(status),
        SyncRequest::Snapshot => return SyncResponse::Snapshot(chain.snapshot()),
        SyncRequest::SetChanges { from } => {
            return match chain.set_changes(from, MAX_SET_CHANGES as usize) {
                Some(changes) => SyncResponse::SetChanges(changes),
                None => SyncResponse::Error(
                    "this chain's blocks are signed by its block key: it has no validator set"
                        .into(),
                ),
            }
        }
        SyncRequest::Headers { from, count } => (true, from, count, MAX_HEADERS),
        SyncRequest::Blocks { from, count } => (false, from, count, MAX_BLOCKS),
    };
    if from < status.first_block {
        return SyncResponse::Error(format!(
            "blocks below height {} are not kept here",
            status.first_block
        ));
    }
    let end = from
        .saturating_add(u64::from(count.min(max)))
        .min(status.height.saturating_add(1))
        .max(from);
    let Ok(_permit) = answering.acquire().await else {
        return SyncResponse::Error("the node is stopping".into());
    };
    let chain = chain.clone();
    let read = tokio::task::spawn_blocking(move || {
        if headers {
            chain.headers(from, end).map(SyncResponse::Headers)
        } else {
            chain
                .blocks(from, end, BLOCKS_RESPONSE_SOFT_LIMIT)
                .map(SyncResponse::Blocks)
        }
    });
    match read.await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => SyncResponse::Error(e.to_string()),
        Err(e) => SyncResponse::Error(e.to_string()),
    }
}

/// Answers a pool exchange `request` from `chain`'s mempool.
pub(super) async fn pool<C: ChainAccess>(chain: &C, request: PoolRequest) -> PoolResponse {
    let answer = match request {
        PoolRequest::Listing => chain
            .pool(MAX_POOL_IDS as usize)
            .await
            .map(PoolResponse::Listing),
        PoolRequest::Txs(ids) => {
            let ids = ids.into_iter().take(MAX_TXS as usize).collect();
            chain
                .pool_txs(ids, TXS_RESPONSE_SOFT_LIMIT)
                .await
                .map(PoolResponse::Txs)
        }
    };
    answer.unwrap_or_else(|e| PoolResponse::Error(e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::fake_chain::{block, status, FakeChain};
    use super::*;

    #[tokio::test]
    async fn ranges_are_bounded_by_the_limits_the_tip_and_the_first_block() {
        let chain = FakeChain::at(100);
        let answering = Semaphore::new(1);
        let ask = |request| sync(&chain, &answering, request);
        assert!(matches!(
            ask(SyncRequest::Status).await,
            SyncResponse::Status(s) if s == status(100)
        ));
        // At most MAX_BLOCKS, whatever the count asked.
        let many = SyncRequest::Blocks {
            from: 2,
            count: u32::MAX,
        };
        match ask(many).await {
            SyncResponse::Blocks(b) => {
                assert_eq!(b.len(), MAX_BLOCKS as usize);
                assert_eq!(b[0], block(2, true));
            }
            other => panic!("{other:?}"),
        }
        // Up to the tip, and nothing past it.
        let tail = SyncRequest::Blocks { from: 99, count: 5 };
        assert!(matches!(ask(tail).await, SyncResponse::Blocks(b) if b.len() == 2));
        let past = SyncRequest::Blocks {
            from: u64::MAX,
            count: 5,
        };
        assert!(matches!(ask(past).await, SyncResponse::Blocks(b) if b.is_empty()));
        // Below the first stored block: refused.
        let below = SyncRequest::Headers { from: 1, count: 1 };
        assert!(matches!(ask(below).await, SyncResponse::Error(_)));
    }
}
