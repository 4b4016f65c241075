//! What validators sign and how (docs/spec/consensus.md §Signed
//! messages): Schnorr signatures on Ristretto from crates/musig over a
//! Merlin transcript `Transcript("ZkVM.consensus")` with one message
//! `"msg"` = the signed bytes below.

use async_trait::async_trait;
use blockchain::BlockID;
use malachitebft_core_types::{
    NilOrVal, Round, SignedMessage, SigningScheme, ValidatorProof, VoteExtensionScope, VoteType,
};
use malachitebft_signing::{Error as SigningError, Signer, VerificationResult, Verifier};
use merlin::Transcript;
use musig::{SecretKey, Signature};

use crate::context::{ChainId, Proposal, Vote, ZkContext};
use crate::encoding::Writer;
use crate::validators::{Address, ValidatorKey};
use crate::ConsensusError;

/// Tag of a prevote's signed bytes.
pub const TAG_PREVOTE: u8 = 0x01;
/// Tag of a precommit's signed bytes (what a commit certificate proves).
pub const TAG_PRECOMMIT: u8 = 0x02;
/// Tag of a proposal's signed bytes.
pub const TAG_PROPOSAL: u8 = 0x03;
/// Tag of a proposal stream's signed bytes.
pub const TAG_STREAM: u8 = 0x04;
/// Tag of a validator proof's signed bytes (binds a network peer ID).
pub const TAG_VALIDATOR_PROOF: u8 = 0x05;
/// Tag of a vote extension's signed bytes (extensions are disabled).
pub const TAG_EXTENSION: u8 = 0x06;
/// Tag of a validator-set change approval's signed bytes
/// (docs/spec/consensus.md §Validator-set changes).
pub const TAG_SET_CHANGE: u8 = 0x07;

/// A round as signed: `LE64`, `r` for round `r`, `2^64 − 1` for nil.
fn round_code(r: Round) -> u64 {
    match r.as_u32() {
        Some(r) => u64::from(r),
        None => u64::MAX,
    }
}

/// The bytes of a vote:
/// ```text
/// tag       1   0x01 prevote | 0x02 precommit
/// chain    32   chain ID
/// height    8   LE64
/// round     8   LE64 (nil = 2^64 − 1)
/// flag      1   0x00 nil | 0x01 block
/// block    32   block ID (only when flag = 0x01)
/// ```
pub fn vote_sign_bytes(
    chain: &ChainId,
    kind: VoteType,
    height: u64,
    round: Round,
    value: &NilOrVal<BlockID>,
) -> Vec<u8> {
    let mut w = Writer::new();
    w.u8(match kind {
        VoteType::Prevote => TAG_PREVOTE,
        VoteType::Precommit => TAG_PRECOMMIT,
    });
    w.bytes(&chain.0);
    w.u64(height);
    w.u64(round_code(round));
    match value {
        NilOrVal::Nil => w.u8(0),
        NilOrVal::Val(id) => {
            w.u8(1);
            w.bytes(id.as_bytes());
        }
    }
    w.into_bytes()
}

/// The bytes of a precommit for `block` at `(height, round)`: what every
/// signature of a [`crate::CommitCertificate`] signs.
pub fn precommit_sign_bytes(chain: &ChainId, height: u64, round: u32, block: &BlockID) -> Vec<u8> {
    vote_sign_bytes(
        chain,
        VoteType::Precommit,
        height,
        Round::new(round),
        &NilOrVal::Val(*block),
    )
}

fn proposal_sign_bytes(chain: &ChainId, p: &Proposal) -> Vec<u8> {
    // tag || chain || LE64 height || LE64 round || block || LE64 pol_round
    let mut w = Writer::new();
    w.u8(TAG_PROPOSAL);
    w.bytes(&chain.0);
    w.u64(p.height.0);
    w.u64(round_code(p.round));
    w.bytes(p.value.0.as_bytes());
    w.u64(round_code(p.pol_round));
    w.into_bytes()
}

/// The hash of a block's bytes in a proposal stream:
/// `Transcript("ZkVM.consensus.stream")`, message `"block"`, challenge
/// `"hash"`.
pub fn block_bytes_hash(bytes: &[u8]) -> [u8; 32] {
    let mut t = Transcript::new(b"ZkVM.consensus.stream");
    t.append_message(b"block", bytes);
    let mut h = [0u8; 32];
    t.challenge_bytes(b"hash", &mut h);
    h
}

/// The bytes a proposer signs at the end of a proposal stream:
/// `0x04 || chain || LE64 height || LE64 round || LE64 pol_round ||
/// proposer address (32) || block_bytes_hash (32)`.
pub fn stream_sign_bytes(
    chain: &ChainId,
    height: u64,
    round: Round,
    pol_round: Round,
    proposer: &Address,
    block_hash: &[u8; 32],
) -> Vec<u8> {
    let mut w = Writer::new();
    w.u8(TAG_STREAM);
    w.bytes(&chain.0);
    w.u64(height);
    w.u64(round_code(round));
    w.u64(round_code(pol_round));
    w.bytes(&proposer.to_bytes());
    w.bytes(block_hash);
    w.into_bytes()
}

fn proof_sign_bytes(chain: &ChainId, public_key: &[u8], peer_id: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.u8(TAG_VALIDATOR_PROOF);
    w.bytes(&chain.0);
    w.bytes(&ValidatorProof::<ZkContext>::signing_bytes(
        public_key, peer_id,
    ));
    w.into_bytes()
}

fn extension_sign_bytes(chain: &ChainId, scope: &VoteExtensionScope<ZkContext>) -> Vec<u8> {
    let mut w = Writer::new();
    w.u8(TAG_EXTENSION);
    w.bytes(&chain.0);
    w.u64(scope.height.0);
    w.u64(round_code(scope.round));
    w.bytes(scope.value_id.0.as_bytes());
    w.bytes(&scope.validator_address.to_bytes());
    w.into_bytes()
}

fn transcript(msg: &[u8]) -> Transcript {
    let mut t = Transcript::new(b"ZkVM.consensus");
    t.append_message(b"msg", msg);
    t
}

/// Signs `msg` (signed bytes as above) with `key`.
pub fn sign_bytes(key: &SecretKey, msg: &[u8]) -> ValidatorSignature {
    ValidatorSignature(Signature::sign(&mut transcript(msg), key))
}

/// Verifies a signature of `msg` by `key`.
pub fn verify_bytes(
    key: &ValidatorKey,
    msg: &[u8],
    sig: &ValidatorSignature,
) -> Result<(), musig::MusigError> {
    sig.0.verify(&mut transcript(msg), key.verification_key())
}

/// Verifies signatures of one `msg` by several keys (a certificate's
/// precommits, docs/spec/consensus.md §Commit certificate) as one batch:
/// each signature's equation `s·B − R − c·X = 0` weighted by a random
/// scalar, all summed into one multiscalar multiplication. A batch that
/// fails is checked one signature at a time to name the first bad one, as
/// its index in `signed` with its error. A single signature is checked
/// alone (a batch of one only adds the weighting).
pub fn verify_many(
    msg: &[u8],
    signed: &[(&ValidatorKey, &ValidatorSignature)],
) -> Result<(), (usize, musig::MusigError)> {
    if signed.len() <= 1 {
        return signed
            .iter()
            .enumerate()
            .try_for_each(|(i, (key, sig))| verify_bytes(key, msg, sig).map_err(|e| (i, e)));
    }
    static GENS: std::sync::OnceLock<r1cs::BulletproofGens> = std::sync::OnceLock::new();
    let gens = GENS.get_or_init(|| r1cs::BulletproofGens::new(1));
    let mut batch = r1cs::BatchVerifier::new(gens);
    for (i, (key, sig)) in signed.iter().enumerate() {
        let eq = sig
            .0
            .verification_equation(&mut transcript(msg), key.verification_key())
            .map_err(|e| (i, e))?;
        batch.append(&eq, &mut rand_core::OsRng);
    }
    if batch.verify().is_ok() {
        return Ok(());
    }
    signed
        .iter()
        .enumerate()
        .try_for_each(|(i, (key, sig))| verify_bytes(key, msg, sig).map_err(|e| (i, e)))
}

/// A Schnorr signature by a validator, ordered by its 64-byte encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidatorSignature(pub Signature);

impl ValidatorSignature {
    /// `R || s` (64 bytes).
    pub fn to_bytes(&self) -> [u8; 64] {
        self.0.to_bytes()
    }

    /// Decodes 64 bytes, refusing a non-canonical `s`.
    pub fn from_bytes(bytes: &[u8]) -> Result<ValidatorSignature, ConsensusError> {
        Signature::from_bytes(bytes)
            .map(ValidatorSignature)
            .map_err(ConsensusError::MalformedSignature)
    }
}

impl PartialOrd for ValidatorSignature {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ValidatorSignature {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.to_bytes().cmp(&other.to_bytes())
    }
}

/// The signing scheme: musig's Schnorr signatures on Ristretto.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchnorrScheme;

impl SigningScheme for SchnorrScheme {
    type DecodingError = ConsensusError;
    type Signature = ValidatorSignature;
    type PublicKey = ValidatorKey;
    type PrivateKey = SecretKey;

    fn decode_signature(bytes: &[u8]) -> Result<ValidatorSignature, ConsensusError> {
        ValidatorSignature::from_bytes(bytes)
    }

    fn encode_signature(signature: &ValidatorSignature) -> Vec<u8> {
        signature.to_bytes().to_vec()
    }

    fn decode_public_key(bytes: &[u8]) -> Result<ValidatorKey, ConsensusError> {
        let bytes: &[u8; 32] = bytes
            .try_into()
            .map_err(|_| ConsensusError::InvalidKey(None))?;
        ValidatorKey::from_bytes(bytes)
    }

    fn encode_public_key(public_key: &ValidatorKey) -> Vec<u8> {
        public_key.to_bytes().to_vec()
    }
}

fn vote_bytes(chain: &ChainId, vote: &Vote) -> Vec<u8> {
    let value = match &vote.value {
        NilOrVal::Nil => NilOrVal::Nil,
        NilOrVal::Val(v) => NilOrVal::Val(v.0),
    };
    vote_sign_bytes(chain, vote.kind, vote.height.0, vote.round, &value)
}

/// Signs consensus messages with a validator's key.
pub struct ZkSigner {
    chain: ChainId,
    key: SecretKey,
}

impl ZkSigner {
    /// A signer for chain `chain` with `key`.
    pub fn new(chain: ChainId, key: SecretKey) -> ZkSigner {
        ZkSigner { chain, key }
    }
}

impl core::fmt::Debug for ZkSigner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ZkSigner")
            .field("chain", &self.chain)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Signer<ZkContext> for ZkSigner {
    async fn sign_vote(&self, vote: Vote) -> Result<SignedMessage<ZkContext, Vote>, SigningError> {
        let sig = sign_bytes(&self.key, &vote_bytes(&self.chain, &vote));
        Ok(SignedMessage::new(vote, sig))
    }

    async fn sign_proposal(
        &self,
        proposal: Proposal,
    ) -> Result<SignedMessage<ZkContext, Proposal>, SigningError> {
        let sig = sign_bytes(&self.key, &proposal_sign_bytes(&self.chain, &proposal));
        Ok(SignedMessage::new(proposal, sig))
    }

    async fn sign_vote_extension(
        &self,
        scope: VoteExtensionScope<ZkContext>,
        extension: (),
    ) -> Result<SignedMessage<ZkContext, ()>, SigningError> {
        let sig = sign_bytes(&self.key, &extension_sign_bytes(&self.chain, &scope));
        Ok(SignedMessage::new(extension, sig))
    }

    async fn sign_validator_proof(
        &self,
        public_key: Vec<u8>,
        peer_id: Vec<u8>,
    ) -> Result<ValidatorProof<ZkContext>, SigningError> {
        let sig = sign_bytes(
            &self.key,
            &proof_sign_bytes(&self.chain, &public_key, &peer_id),
        );
        Ok(ValidatorProof::new(public_key, peer_id, sig))
    }
}

/// Verifies consensus messages of one chain.
#[derive(Clone, Copy, Debug)]
pub struct ZkVerifier {
    chain: ChainId,
}

impl ZkVerifier {
    /// A verifier for chain `chain`.
    pub fn new(chain: ChainId) -> ZkVerifier {
        ZkVerifier { chain }
    }
}

fn result(r: Result<(), musig::MusigError>) -> VerificationResult {
    VerificationResult::from_bool(r.is_ok())
}

#[async_trait]
impl Verifier<ZkContext> for ZkVerifier {
    async fn verify_signed_vote(
        &self,
        vote: &Vote,
        signature: &ValidatorSignature,
        public_key: &ValidatorKey,
    ) -> Result<VerificationResult, SigningError> {
        Ok(result(verify_bytes(
            public_key,
            &vote_bytes(&self.chain, vote),
            signature,
        )))
    }

    async fn verify_signed_proposal(
        &self,
        proposal: &Proposal,
        signature: &ValidatorSignature,
        public_key: &ValidatorKey,
    ) -> Result<VerificationResult, SigningError> {
        Ok(result(verify_bytes(
            public_key,
            &proposal_sign_bytes(&self.chain, proposal),
            signature,
        )))
    }

    async fn verify_signed_vote_extension(
        &self,
        scope: &VoteExtensionScope<ZkContext>,
        _extension: &(),
        signature: &ValidatorSignature,
        public_key: &ValidatorKey,
    ) -> Result<VerificationResult, SigningError> {
        Ok(result(verify_bytes(
            public_key,
            &extension_sign_bytes(&self.chain, scope),
            signature,
        )))
    }

    async fn verify_validator_proof(
        &self,
        proof: &ValidatorProof<ZkContext>,
    ) -> Result<VerificationResult, SigningError> {
        let Ok(key) = SchnorrScheme::decode_public_key(&proof.public_key) else {
            return Ok(VerificationResult::Invalid);
        };
        Ok(result(verify_bytes(
            &key,
            &proof_sign_bytes(&self.chain, &proof.public_key, &proof.peer_id),
            &proof.signature,
        )))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn key(i: u64) -> SecretKey {
        SecretKey::from_scalar(curve25519_dalek::Scalar::from(i + 3))
    }

    fn public(k: &SecretKey) -> ValidatorKey {
        ValidatorKey::new(k.verification_key()).unwrap()
    }

    #[test]
    fn a_batch_accepts_good_signatures_and_names_the_first_bad_one() {
        let msg = b"the precommit bytes";
        let keys: Vec<SecretKey> = (0..6).map(key).collect();
        let publics: Vec<ValidatorKey> = keys.iter().map(public).collect();
        let mut sigs: Vec<ValidatorSignature> = keys.iter().map(|k| sign_bytes(k, msg)).collect();
        let pairs = |sigs: &[ValidatorSignature]| -> Vec<(&ValidatorKey, ValidatorSignature)> {
            publics.iter().zip(sigs.iter().copied()).collect()
        };
        let check = |sigs: &[ValidatorSignature], n: usize| {
            let owned = pairs(sigs);
            let refs: Vec<(&ValidatorKey, &ValidatorSignature)> =
                owned[..n].iter().map(|(k, s)| (*k, s)).collect();
            verify_many(msg, &refs).map_err(|(i, _)| i)
        };
        assert_eq!(check(&sigs, 6), Ok(()));
        assert_eq!(check(&sigs, 1), Ok(()));
        assert_eq!(check(&sigs, 0), Ok(()));
        // Signatures 4 and 2 swapped: each valid, under the wrong keys.
        sigs.swap(2, 4);
        assert_eq!(check(&sigs, 6), Err(2));
        sigs.swap(2, 4);
        // Another message signed by validator 5.
        sigs[5] = sign_bytes(&keys[5], b"something else");
        assert_eq!(check(&sigs, 6), Err(5));
        assert_eq!(check(&sigs, 5), Ok(()));
        // Alone, a bad one is named too.
        let refs = [(&publics[0], &sigs[5])];
        assert_eq!(verify_many(msg, &refs).map_err(|(i, _)| i), Err(0));
    }
}
