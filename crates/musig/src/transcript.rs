//! Transcript labels of the signature protocols (docs/spec/musig.md). Each is a
//! fact of the protocol: changing one invalidates every existing signature.
//! Points and challenges use r1cs's `TranscriptProtocol` (same encodings).

use merlin::Transcript;

pub(crate) trait SignatureTranscript {
    /// `dom-sep` = `starsig v1` (single-message and aggregated-key signatures).
    fn starsig_domain_sep(&mut self);
    /// `dom-sep` = `musig-multimessage v1`, then `n` as u64.
    fn multimessage_domain_sep(&mut self, n: usize);
}

impl SignatureTranscript for Transcript {
    fn starsig_domain_sep(&mut self) {
        self.append_message(b"dom-sep", b"starsig v1");
    }

    fn multimessage_domain_sep(&mut self, n: usize) {
        self.append_message(b"dom-sep", b"musig-multimessage v1");
        self.append_u64(b"n", n as u64);
    }
}
