//! Transcript operations of the R1CS protocol (docs/spec/r1cs.md §Transcript).
//! Every label here is a fact of the protocol: changing one breaks
//! compatibility with every existing proof.

use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use merlin::Transcript;

use crate::R1CSError;

/// Protocol operations on a Merlin transcript.
pub trait TranscriptProtocol {
    /// `dom-sep` = `r1cs v1`, at the start of every proof.
    fn r1cs_domain_sep(&mut self);
    /// `dom-sep` = `r1cs-1phase`, when no second-phase constraints exist.
    fn r1cs_1phase_domain_sep(&mut self);
    /// `dom-sep` = `r1cs-2phase`, before second-phase constraints are built.
    fn r1cs_2phase_domain_sep(&mut self);
    /// `dom-sep` = `ipp v1` then `n` as LE64, at the start of the inner-product argument.
    fn innerproduct_domain_sep(&mut self, n: u64);
    /// Appends a scalar's canonical 32 bytes.
    fn append_scalar(&mut self, label: &'static [u8], scalar: &Scalar);
    /// Appends a compressed point's 32 bytes as they are.
    fn append_point(&mut self, label: &'static [u8], point: &CompressedRistretto);
    /// Appends a point after checking it is not the identity encoding.
    fn validate_and_append_point(
        &mut self,
        label: &'static [u8],
        point: &CompressedRistretto,
    ) -> Result<(), R1CSError>;
    /// Draws 64 bytes under `label` and reduces them to a scalar.
    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar;
}

impl TranscriptProtocol for Transcript {
    fn r1cs_domain_sep(&mut self) {
        self.append_message(b"dom-sep", b"r1cs v1");
    }

    fn r1cs_1phase_domain_sep(&mut self) {
        self.append_message(b"dom-sep", b"r1cs-1phase");
    }

    fn r1cs_2phase_domain_sep(&mut self) {
        self.append_message(b"dom-sep", b"r1cs-2phase");
    }

    fn innerproduct_domain_sep(&mut self, n: u64) {
        self.append_message(b"dom-sep", b"ipp v1");
        self.append_u64(b"n", n);
    }

    fn append_scalar(&mut self, label: &'static [u8], scalar: &Scalar) {
        self.append_message(label, scalar.as_bytes());
    }

    fn append_point(&mut self, label: &'static [u8], point: &CompressedRistretto) {
        self.append_message(label, point.as_bytes());
    }

    fn validate_and_append_point(
        &mut self,
        label: &'static [u8],
        point: &CompressedRistretto,
    ) -> Result<(), R1CSError> {
        if point.is_identity() {
            return Err(R1CSError::IdentityPoint(label_name(label)));
        }
        self.append_message(label, point.as_bytes());
        Ok(())
    }

    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar {
        let mut buf = [0u8; 64];
        self.challenge_bytes(label, &mut buf);
        Scalar::from_bytes_mod_order_wide(&buf)
    }
}

/// Protocol labels are ASCII; this turns one into a name for error messages.
pub(crate) fn label_name(label: &'static [u8]) -> &'static str {
    core::str::from_utf8(label).unwrap_or("?")
}
