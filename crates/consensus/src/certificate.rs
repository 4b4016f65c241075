//! Commit certificates: what proves a block decided to anyone holding the
//! validator set (docs/spec/consensus.md §Commit certificate).

use blockchain::{BlockHeader, BlockID};
use malachitebft_core_types::{
    self as mtypes, ExtendedCommitCertificate, ExtendedCommitSignature, Round,
};

use crate::context::{BlockValue, ChainId, Height, ZkContext};
use crate::encoding::{Reader, Writer};
use crate::signing::{precommit_sign_bytes, verify_many, ValidatorSignature};
use crate::validators::{Address, ValidatorSet, MAX_VALIDATORS};
use crate::ConsensusError;

/// The precommit signatures of validators holding more than two thirds of
/// the voting power, for one block at one height and round.
///
/// Each signature signs [`precommit_sign_bytes`]`(chain, height, round,
/// block_id)` — the very bytes of the precommit votes Malachite collected,
/// so a certificate is Malachite's decision, re-checkable offline.
///
/// # Layout
/// ```text
/// height      LE64
/// round       LE32
/// block_id    32 bytes
/// n           LE32          1 ..= 256
/// n × address 32 bytes      strictly increasing
///     sig     64 bytes      Schnorr R || s (s canonical)
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitCertificate {
    height: u64,
    round: u32,
    block_id: BlockID,
    signatures: Vec<(Address, ValidatorSignature)>,
}

impl CommitCertificate {
    /// A certificate from its parts; the signatures are sorted by address.
    /// Nothing is checked here: see [`CommitCertificate::verify`].
    pub fn new(
        height: u64,
        round: u32,
        block_id: BlockID,
        mut signatures: Vec<(Address, ValidatorSignature)>,
    ) -> CommitCertificate {
        signatures.sort_by_key(|a| a.0);
        CommitCertificate {
            height,
            round,
            block_id,
            signatures,
        }
    }

    /// The height of the decided block.
    pub fn height(&self) -> u64 {
        self.height
    }

    /// The round in which it was decided.
    pub fn round(&self) -> u32 {
        self.round
    }

    /// The decided block's ID.
    pub fn block_id(&self) -> BlockID {
        self.block_id
    }

    /// The signers and their signatures, in address order.
    pub fn signatures(&self) -> &[(Address, ValidatorSignature)] {
        &self.signatures
    }

    /// Checks the certificate against `set` on chain `chain`, cheapest
    /// first: signers in strictly increasing address order (no
    /// duplicates), each one in the set, their power a quorum (more than
    /// two thirds), then every signature over
    /// [`precommit_sign_bytes`], batched ([`verify_many`]). Any bad
    /// signature refuses the whole certificate.
    pub fn verify(&self, chain: &ChainId, set: &ValidatorSet) -> Result<(), ConsensusError> {
        let mut power: u64 = 0;
        let mut keys = Vec::with_capacity(self.signatures.len());
        for (i, (address, _)) in self.signatures.iter().enumerate() {
            if i > 0 {
                let prev = &self.signatures[i - 1].0;
                if prev == address {
                    return Err(ConsensusError::DuplicateSigner {
                        address: address.to_string(),
                    });
                }
                if prev > address {
                    return Err(ConsensusError::UnorderedSignatures);
                }
            }
            let v = set
                .get(address)
                .ok_or_else(|| ConsensusError::UnknownSigner {
                    address: address.to_string(),
                })?;
            // Cannot overflow: the set's total is at most 2^60.
            power += v.power();
            keys.push(*v.key());
        }
        if !set.is_quorum(power) {
            return Err(ConsensusError::InsufficientPower {
                signed: power,
                total: set.total_power(),
            });
        }
        let msg = precommit_sign_bytes(chain, self.height, self.round, &self.block_id);
        // One batch for all signatures; a failure names the bad signer.
        let signed: Vec<_> = keys
            .iter()
            .zip(&self.signatures)
            .map(|(key, (_, sig))| (key, sig))
            .collect();
        verify_many(&msg, &signed).map_err(|(i, source)| ConsensusError::BadSignature {
            address: self.signatures[i].0.to_string(),
            source,
        })
    }

    /// Checks that the block of `header`, on a validators chain, is sealed
    /// by `certificate` (its encoding, as the block carries it), a
    /// certificate of `set` on `chain` deciding exactly that block
    /// (docs/spec/blockchain.md §Block signature): present, decoding
    /// strictly, naming the header's height and ID, then
    /// [`CommitCertificate::verify`]. Cheap next to the block's own
    /// verification (one signature check per signer), so a node runs it
    /// before any other work on a received block.
    pub fn check_seal(
        header: &BlockHeader,
        certificate: Option<&[u8]>,
        chain: &ChainId,
        set: &ValidatorSet,
    ) -> Result<CommitCertificate, ConsensusError> {
        let height = header.height;
        let bytes = certificate.ok_or(ConsensusError::MissingCertificate { height })?;
        let certificate = CommitCertificate::from_bytes(bytes)?;
        let id = header.id();
        if certificate.height != height || certificate.block_id != id {
            return Err(ConsensusError::CertificateMismatch {
                height,
                block: id.to_string(),
                certified_height: certificate.height,
                certified: certificate.block_id.to_string(),
            });
        }
        certificate.verify(chain, set)?;
        Ok(certificate)
    }

    /// The encoding described in the type's `# Layout`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u64(self.height);
        w.u32(self.round);
        w.bytes(self.block_id.as_bytes());
        w.u32(self.signatures.len() as u32);
        for (address, sig) in &self.signatures {
            w.bytes(&address.to_bytes());
            w.bytes(&sig.to_bytes());
        }
        w.into_bytes()
    }

    /// Strict decoding: a bounded count, canonical signature scalars,
    /// strictly increasing addresses, no trailing bytes. Signatures are not
    /// verified here.
    pub fn from_bytes(bytes: &[u8]) -> Result<CommitCertificate, ConsensusError> {
        let mut r = Reader::new(bytes, "commit certificate");
        let height = r.u64()?;
        let round = r.u32()?;
        let block_id = BlockID::from_bytes(r.array::<32>()?);
        let n = r.count(MAX_VALIDATORS, 96)?;
        if n == 0 {
            return Err(ConsensusError::InsufficientPower {
                signed: 0,
                total: 0,
            });
        }
        let mut signatures: Vec<(Address, ValidatorSignature)> = Vec::with_capacity(n);
        for _ in 0..n {
            let address = Address::from_bytes(r.array::<32>()?);
            let sig = ValidatorSignature::from_bytes(r.take(64)?)?;
            if let Some((prev, _)) = signatures.last() {
                if *prev == address {
                    return Err(ConsensusError::DuplicateSigner {
                        address: address.to_string(),
                    });
                }
                if *prev > address {
                    return Err(ConsensusError::UnorderedSignatures);
                }
            }
            signatures.push((address, sig));
        }
        r.finish()?;
        Ok(CommitCertificate {
            height,
            round,
            block_id,
            signatures,
        })
    }

    /// Our certificate from Malachite's decided certificate. Malachite
    /// has verified each precommit with [`crate::ZkVerifier`], over the
    /// same bytes [`CommitCertificate::verify`] checks.
    pub fn from_malachite(
        cert: &mtypes::CommitCertificate<ZkContext>,
    ) -> Result<CommitCertificate, ConsensusError> {
        let round = cert
            .round
            .as_u32()
            .ok_or_else(|| ConsensusError::ForeignCertificate("nil round".into()))?;
        let signatures = cert
            .commit_signatures
            .iter()
            .map(|s| (s.address, s.signature))
            .collect();
        Ok(CommitCertificate::new(
            cert.height.0,
            round,
            cert.value_id.0,
            signatures,
        ))
    }

    /// Malachite's form of this certificate, as value sync sends it
    /// (no vote extensions).
    pub fn to_malachite(&self) -> ExtendedCommitCertificate<ZkContext> {
        ExtendedCommitCertificate {
            height: Height(self.height),
            round: Round::new(self.round),
            value_id: BlockValue(self.block_id),
            commit_signatures: self
                .signatures
                .iter()
                .map(|(a, s)| ExtendedCommitSignature::new(*a, *s, None))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::sign_bytes;
    use crate::validators::{Validator, ValidatorKey};
    use musig::SecretKey;

    struct Fixture {
        chain: ChainId,
        keys: Vec<SecretKey>,
        set: ValidatorSet,
        block: BlockID,
    }

    fn fixture(powers: &[u64]) -> Fixture {
        let keys: Vec<SecretKey> = (0..powers.len())
            .map(|i| SecretKey::from_scalar(curve25519_dalek::Scalar::from(i as u64 + 7)))
            .collect();
        let set = ValidatorSet::new(
            keys.iter()
                .zip(powers)
                .map(|(k, p)| {
                    Validator::new(ValidatorKey::new(k.verification_key()).unwrap(), *p).unwrap()
                })
                .collect(),
        )
        .unwrap();
        Fixture {
            chain: ChainId([9; 32]),
            keys,
            set,
            block: BlockID::from_bytes([5; 32]),
        }
    }

    impl Fixture {
        fn address(&self, i: usize) -> Address {
            ValidatorKey::new(self.keys[i].verification_key())
                .unwrap()
                .address()
        }

        fn sign(
            &self,
            i: usize,
            height: u64,
            round: u32,
            block: &BlockID,
        ) -> (Address, ValidatorSignature) {
            let msg = precommit_sign_bytes(&self.chain, height, round, block);
            (self.address(i), sign_bytes(&self.keys[i], &msg))
        }

        fn cert(&self, signers: &[usize]) -> CommitCertificate {
            let sigs = signers
                .iter()
                .map(|i| self.sign(*i, 10, 2, &self.block))
                .collect();
            CommitCertificate::new(10, 2, self.block, sigs)
        }
    }

    #[test]
    fn a_block_is_sealed_only_by_a_certificate_deciding_it() {
        let mut f = fixture(&[1, 1, 1, 1]);
        let header = BlockHeader {
            version: 1,
            height: 10,
            previd: BlockID::from_bytes([1; 32]),
            timestamp_ms: 5,
            txroot: [2; 32],
            utxoroot: [3; 32],
            ext: Vec::new(),
        };
        f.block = header.id();
        let check = |h: &BlockHeader, c: Option<&[u8]>| {
            CommitCertificate::check_seal(h, c, &f.chain, &f.set)
        };
        assert!(matches!(
            check(&header, None),
            Err(ConsensusError::MissingCertificate { height: 10 })
        ));
        let good = f.cert(&[0, 1, 2]).to_bytes();
        let c = check(&header, Some(&good)).unwrap();
        assert_eq!(c.block_id(), header.id());
        // Two of four: not a quorum.
        assert!(matches!(
            check(&header, Some(&f.cert(&[0, 1]).to_bytes())),
            Err(ConsensusError::InsufficientPower { .. })
        ));
        // A good certificate of another block.
        let mut other = header.clone();
        other.timestamp_ms += 1;
        assert!(matches!(
            check(&other, Some(&good)),
            Err(ConsensusError::CertificateMismatch { .. })
        ));
        // A forged signature.
        let mut forged = good.clone();
        let last = forged.len() - 40;
        forged[last] ^= 1;
        assert!(check(&header, Some(&forged)).is_err());
    }

    #[test]
    fn a_quorum_of_good_signatures_verifies_and_round_trips() {
        let f = fixture(&[1, 1, 1, 1]);
        let c = f.cert(&[0, 1, 2]);
        c.verify(&f.chain, &f.set).unwrap();
        let bytes = c.to_bytes();
        assert_eq!(bytes.len(), 8 + 4 + 32 + 4 + 3 * 96);
        let back = CommitCertificate::from_bytes(&bytes).unwrap();
        assert_eq!(back, c);
        back.verify(&f.chain, &f.set).unwrap();
        // Malachite's form and back.
        let m = c.to_malachite();
        let plain = mtypes::CommitCertificate::<ZkContext> {
            height: m.height,
            round: m.round,
            value_id: m.value_id,
            commit_signatures: m
                .commit_signatures
                .iter()
                .map(|s| mtypes::CommitSignature::new(s.address, s.signature))
                .collect(),
        };
        assert_eq!(CommitCertificate::from_malachite(&plain).unwrap(), c);
    }

    #[test]
    fn two_thirds_exactly_is_not_enough() {
        let f = fixture(&[1, 1, 1]);
        assert!(matches!(
            f.cert(&[0, 1]).verify(&f.chain, &f.set),
            Err(ConsensusError::InsufficientPower {
                signed: 2,
                total: 3
            })
        ));
        // Power, not head count: one heavy validator alone is a quorum.
        let f = fixture(&[10, 1, 1, 1]);
        let heavy = (0..4)
            .find(|i| f.set.get(&f.address(*i)).unwrap().power() == 10)
            .unwrap();
        f.cert(&[heavy]).verify(&f.chain, &f.set).unwrap();
        let light: Vec<usize> = (0..4).filter(|i| *i != heavy).collect();
        assert!(matches!(
            f.cert(&light).verify(&f.chain, &f.set),
            Err(ConsensusError::InsufficientPower { .. })
        ));
    }

    #[test]
    fn a_missing_signature_leaves_too_little_power() {
        let f = fixture(&[1, 1, 1, 1]);
        let mut c = f.cert(&[0, 1, 2]);
        c.signatures.pop();
        assert!(matches!(
            c.verify(&f.chain, &f.set),
            Err(ConsensusError::InsufficientPower { .. })
        ));
    }

    #[test]
    fn forged_signatures_are_refused() {
        let f = fixture(&[1, 1, 1, 1]);
        // A signature over another block, height, round or chain.
        let other = BlockID::from_bytes([6; 32]);
        for (h, r, b) in [(10, 2, other), (11, 2, f.block), (10, 3, f.block)] {
            let mut sigs: Vec<_> = [0, 1].iter().map(|i| f.sign(*i, 10, 2, &f.block)).collect();
            sigs.push(f.sign(2, h, r, &b));
            let c = CommitCertificate::new(10, 2, f.block, sigs);
            assert!(matches!(
                c.verify(&f.chain, &f.set),
                Err(ConsensusError::BadSignature { .. })
            ));
        }
        let c = f.cert(&[0, 1, 2]);
        assert!(matches!(
            c.verify(&ChainId([8; 32]), &f.set),
            Err(ConsensusError::BadSignature { .. })
        ));
        // A signature by a key outside the set, claiming a member's address.
        let outsider = SecretKey::from_scalar(curve25519_dalek::Scalar::from(1000u64));
        let msg = precommit_sign_bytes(&f.chain, 10, 2, &f.block);
        let mut sigs: Vec<_> = [0, 1].iter().map(|i| f.sign(*i, 10, 2, &f.block)).collect();
        sigs.push((f.address(2), sign_bytes(&outsider, &msg)));
        assert!(matches!(
            CommitCertificate::new(10, 2, f.block, sigs).verify(&f.chain, &f.set),
            Err(ConsensusError::BadSignature { .. })
        ));
        // The outsider under its own address.
        let mut sigs: Vec<_> = [0, 1].iter().map(|i| f.sign(*i, 10, 2, &f.block)).collect();
        let out_addr = ValidatorKey::new(outsider.verification_key())
            .unwrap()
            .address();
        sigs.push((out_addr, sign_bytes(&outsider, &msg)));
        assert!(matches!(
            CommitCertificate::new(10, 2, f.block, sigs).verify(&f.chain, &f.set),
            Err(ConsensusError::UnknownSigner { .. })
        ));
    }

    #[test]
    fn duplicate_signers_are_refused() {
        let f = fixture(&[1, 1, 1, 1]);
        let mut c = f.cert(&[0, 1]);
        let dup = c.signatures[0];
        c.signatures.push(dup);
        c.signatures.sort_by_key(|a| a.0);
        assert!(matches!(
            c.verify(&f.chain, &f.set),
            Err(ConsensusError::DuplicateSigner { .. })
        ));
        assert!(matches!(
            CommitCertificate::from_bytes(&c.to_bytes()),
            Err(ConsensusError::DuplicateSigner { .. })
        ));
    }

    #[test]
    fn decoding_is_strict() {
        let f = fixture(&[1, 1, 1, 1]);
        let bytes = f.cert(&[0, 1, 2]).to_bytes();
        for n in 0..bytes.len() {
            assert!(
                CommitCertificate::from_bytes(&bytes[..n]).is_err(),
                "prefix {n}"
            );
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(matches!(
            CommitCertificate::from_bytes(&long),
            Err(ConsensusError::TrailingBytes { .. })
        ));
        // A non-canonical s (all 0xff) in the first signature.
        let mut bad = bytes.clone();
        bad[48 + 32 + 32..48 + 32 + 64].copy_from_slice(&[0xff; 32]);
        assert!(matches!(
            CommitCertificate::from_bytes(&bad),
            Err(ConsensusError::MalformedSignature(_))
        ));
        // A hostile count.
        let mut huge = bytes[..44].to_vec();
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            CommitCertificate::from_bytes(&huge),
            Err(ConsensusError::TooLong { .. })
        ));
    }
}
