//! The assets whose metadata a node knows (docs/api.md §`GET /v1/assets`):
//! those the genesis's asset section describes (docs/spec/blockchain.md
//! §Genesis), then those whose issuance records (docs/spec/wallet.md §Asset
//! metadata) the newest blocks carry. The store keeps no index of
//! issuances, so the blocks are read as the explorer's asset page reads
//! them: the newest [`ASSET_SCAN_BLOCKS`], each transaction's VM run for
//! its log, and the answer says which heights it covers.

use std::collections::BTreeMap;

use blockchain::{Block, Genesis};
use curve25519_dalek::scalar::Scalar;
use wallet::AssetInfo;
use zkvm::Verifier;

use crate::actor::ChainHandle;
use crate::api_types::{AssetList, ListedAsset};
use crate::explorer::ASSET_SCAN_BLOCKS;
use crate::{json as render, NodeError, StoreError};

/// The assets of `genesis`'s asset section, in its order.
pub fn genesis_assets(genesis: &Genesis) -> Vec<AssetInfo> {
    genesis.assets.iter().map(AssetInfo::from_genesis).collect()
}

/// The metadata of `flavor` in `genesis`'s asset section, if it is there.
pub fn genesis_asset(genesis: &Genesis, flavor: &Scalar) -> Option<AssetInfo> {
    genesis
        .assets
        .iter()
        .find(|a| a.flavor == *flavor)
        .map(AssetInfo::from_genesis)
}

/// The assets of the genesis, then those first issued, with a record, in
/// the newest [`ASSET_SCAN_BLOCKS`] blocks the node holds (a pruned node
/// holds none below its snapshot), oldest issuance first. A flavor keeps
/// its first description, as a wallet does.
pub fn known_assets(chain: &ChainHandle) -> Result<AssetList, NodeError> {
    let tip = chain.view().height();
    let low = tip.saturating_sub(ASSET_SCAN_BLOCKS - 1).max(2);
    let mut found: BTreeMap<[u8; 32], AssetInfo> = BTreeMap::new();
    let mut order: Vec<[u8; 32]> = Vec::new();
    let mut learn = |info: AssetInfo| {
        let key = info.flavor.to_bytes();
        if let std::collections::btree_map::Entry::Vacant(slot) = found.entry(key) {
            order.push(key);
            slot.insert(info);
        }
    };
    genesis_assets(chain.genesis())
        .into_iter()
        .for_each(&mut learn);
    let mut from = low;
    for height in low..=tip {
        let Some(bytes) = chain.blocks().block_bytes(height)? else {
            // Below a pruned node's first block.
            from = height.saturating_add(1);
            continue;
        };
        let block = Block::from_bytes(&bytes)
            .map_err(|_| StoreError::Corrupt(format!("block {height} does not decode")))?;
        for tx in &block.txs {
            // A stored block's transactions verified on import; one whose
            // VM no longer runs here has no records to give.
            let Ok(p) = Verifier::precompute(tx) else {
                continue;
            };
            wallet::assets_in_log(&p.log.0, height)
                .into_iter()
                .for_each(&mut learn);
        }
    }
    let assets = order
        .iter()
        .filter_map(|k| found.get(k))
        .map(|info| ListedAsset {
            asset: render::asset(info),
            height: info.height,
        })
        .collect();
    Ok(AssetList {
        assets,
        scanned_from: from.min(tip),
        scanned_to: tip,
    })
}
