//! Block, header and snapshot decoders must never panic; what they accept must
//! re-encode to the same bytes.
#![no_main]

use blockchain::{Block, BlockHeader, ChainState};
use libfuzzer_sys::fuzz_target;
use zkvm::Encodable;

fuzz_target!(|data: &[u8]| {
    if let Ok(block) = Block::from_bytes(data) {
        assert_eq!(block.to_bytes(), data);
    }
    if let Ok(header) = BlockHeader::from_bytes(data) {
        assert_eq!(header.encode_to_vec(), data);
    }
    if let Ok(state) = ChainState::from_snapshot(data, None) {
        assert_eq!(state.to_snapshot(), data);
    }
});
