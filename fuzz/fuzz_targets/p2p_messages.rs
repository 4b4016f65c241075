//! The request and response decoders of the sync, pool exchange and peers
//! protocols and the compact block decoder (docs/spec/network.md §Sync,
//! §Pool exchange, §Peer discovery, §Compact relay) must never panic;
//! what they accept must re-encode to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use node::network::messages::{
    PeerList, PeersRequest, PoolRequest, PoolResponse, SyncRequest, SyncResponse, Wire,
};
use node::network::CompactBlock;

/// Whatever `T`'s decoder accepts re-encodes to `data`.
fn canonical<T: Wire>(data: &[u8]) {
    if let Ok(message) = T::from_bytes(data) {
        assert_eq!(message.to_bytes(), data);
    }
}

fuzz_target!(|data: &[u8]| {
    canonical::<SyncRequest>(data);
    canonical::<SyncResponse>(data);
    canonical::<PoolRequest>(data);
    canonical::<PoolResponse>(data);
    canonical::<PeersRequest>(data);
    canonical::<PeerList>(data);
    if let Ok(compact) = CompactBlock::from_bytes(data) {
        assert_eq!(compact.to_bytes(), data);
    }
});
