//! Following a chain by its headers alone (docs/spec/network.md
//! §Bootstrap): each header must extend the one before it by the header
//! rules of block application and carry the block signers' signature. A
//! node that trusts only the genesis checks a snapshot's tip this way.

use musig::Signature;

use crate::block::verify_header_signature;
use crate::{BlockHeader, BlockchainError, ChainState};

impl ChainState {
    /// Checks that `headers` extend this state's tip one by one (height,
    /// previd, version, time, signature) and returns the last one (the tip
    /// if there are none). Transactions and the UTXO set are not checked:
    /// the headers' signatures vouch for them. On a validators chain the
    /// headers are not signed (their blocks' certificates vouch for them,
    /// docs/spec/blockchain.md §Block signature): refused as
    /// [`BlockchainError::HeadersNotSigned`].
    pub fn follow_headers<'a>(
        &self,
        headers: impl IntoIterator<Item = (&'a BlockHeader, &'a Signature)>,
    ) -> Result<BlockHeader, BlockchainError> {
        if self.certified() {
            return Err(BlockchainError::HeadersNotSigned);
        }
        let mut state = ChainState {
            initial: self.initial.clone(),
            tip: self.tip.clone(),
            utxos: accumulator::Accumulator::new(),
            signers: self.signers,
        };
        for (header, signature) in headers {
            state.check_header(header)?;
            verify_header_signature(header, signature, &self.signers)?;
            state.tip = header.clone();
        }
        Ok(state.tip)
    }
}
