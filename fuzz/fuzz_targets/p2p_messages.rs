//! The sync protocol's request and response decoders (docs/spec/network.md
//! §Sync) must never panic; what they accept must re-encode to the same
//! bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use node::network::messages::{Request, Response};

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = Request::from_bytes(data) {
        assert_eq!(request.to_bytes(), data);
    }
    if let Ok(response) = Response::from_bytes(data) {
        assert_eq!(response.to_bytes(), data);
    }
});
