//! The sync protocol's request and response decoders and the compact block
//! decoder (docs/spec/network.md §Sync, §Compact relay) must never panic;
//! what they accept must re-encode to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use node::network::messages::{Request, Response};
use node::network::CompactBlock;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = Request::from_bytes(data) {
        assert_eq!(request.to_bytes(), data);
    }
    if let Ok(response) = Response::from_bytes(data) {
        assert_eq!(response.to_bytes(), data);
    }
    if let Ok(compact) = CompactBlock::from_bytes(data) {
        assert_eq!(compact.to_bytes(), data);
    }
});
