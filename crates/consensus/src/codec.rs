//! The codec of Malachite's messages (network, sync, WAL): borsh, with
//! our types' encodings written by hand so that every decode is strict
//! (docs/spec/consensus.md §Wire encoding).
//!
//! Borsh is canonical (one encoding per value; tags and flags outside
//! their range are errors), and [`borsh::from_slice`] refuses trailing
//! bytes. Lengths are capped before allocation: borsh grows vectors as
//! bytes actually arrive, and our data parts are capped at
//! [`MAX_PART_SIZE`]. Keys are checked points, signature scalars
//! canonical.

use borsh::io::{Error as IoError, ErrorKind, Read, Result as IoResult, Write};
use borsh::{BorshDeserialize, BorshSerialize};
use bytes::Bytes;
use malachitebft_app_channel::app::types::codec::{Codec, HasEncodedLen};
use malachitebft_app_channel::app::types::streaming::StreamMessage;
use malachitebft_app_channel::app::types::sync::{RawDecidedValue, Request, Response, Status};
use malachitebft_core_consensus::{LivenessMsg, ProposedValue, SignedConsensusMsg};
use malachitebft_core_types::{NilOrVal, PolkaCertificate, Round, ValidatorProof, VoteType};
use malachitebft_sync::ValueResponse;

use blockchain::BlockID;

use crate::certificate::CommitCertificate;
use crate::context::{BlockValue, Height, Proposal, ProposalPart, Vote, ZkContext, MAX_PART_SIZE};
use crate::encoding::{Reader, Writer};
use crate::signing::ValidatorSignature;
use crate::validators::Address;
use crate::ConsensusError;

fn invalid(msg: &'static str) -> IoError {
    IoError::new(ErrorKind::InvalidData, msg)
}

impl BorshSerialize for Height {
    fn serialize<W: Write>(&self, w: &mut W) -> IoResult<()> {
        self.0.serialize(w)
    }
}

impl BorshDeserialize for Height {
    fn deserialize_reader<R: Read>(r: &mut R) -> IoResult<Self> {
        Ok(Height(u64::deserialize_reader(r)?))
    }
}

impl BorshSerialize for BlockValue {
    fn serialize<W: Write>(&self, w: &mut W) -> IoResult<()> {
        self.0.to_bytes().serialize(w)
    }
}

impl BorshDeserialize for BlockValue {
    fn deserialize_reader<R: Read>(r: &mut R) -> IoResult<Self> {
        Ok(BlockValue(BlockID::from_bytes(
            <[u8; 32]>::deserialize_reader(r)?,
        )))
    }
}

impl BorshSerialize for Address {
    fn serialize<W: Write>(&self, w: &mut W) -> IoResult<()> {
        self.to_bytes().serialize(w)
    }
}

impl BorshDeserialize for Address {
    fn deserialize_reader<R: Read>(r: &mut R) -> IoResult<Self> {
        Ok(Address::from_bytes(<[u8; 32]>::deserialize_reader(r)?))
    }
}

impl BorshSerialize for ValidatorSignature {
    fn serialize<W: Write>(&self, w: &mut W) -> IoResult<()> {
        w.write_all(&self.to_bytes())
    }
}

impl BorshDeserialize for ValidatorSignature {
    fn deserialize_reader<R: Read>(r: &mut R) -> IoResult<Self> {
        let mut b = [0u8; 64];
        r.read_exact(&mut b)?;
        ValidatorSignature::from_bytes(&b).map_err(|_| invalid("non-canonical signature"))
    }
}

impl BorshSerialize for Proposal {
    fn serialize<W: Write>(&self, w: &mut W) -> IoResult<()> {
        self.height.serialize(w)?;
        self.round.serialize(w)?;
        self.value.serialize(w)?;
        self.pol_round.serialize(w)?;
        self.proposer.serialize(w)
    }
}

impl BorshDeserialize for Proposal {
    fn deserialize_reader<R: Read>(r: &mut R) -> IoResult<Self> {
        Ok(Proposal {
            height: Height::deserialize_reader(r)?,
            round: Round::deserialize_reader(r)?,
            value: BlockValue::deserialize_reader(r)?,
            pol_round: Round::deserialize_reader(r)?,
            proposer: Address::deserialize_reader(r)?,
        })
    }
}

impl BorshSerialize for Vote {
    fn serialize<W: Write>(&self, w: &mut W) -> IoResult<()> {
        let kind: u8 = match self.kind {
            VoteType::Prevote => 0,
            VoteType::Precommit => 1,
        };
        kind.serialize(w)?;
        self.height.serialize(w)?;
        self.round.serialize(w)?;
        self.value.serialize(w)?;
        self.validator.serialize(w)
    }
}

impl BorshDeserialize for Vote {
    fn deserialize_reader<R: Read>(r: &mut R) -> IoResult<Self> {
        let kind = match u8::deserialize_reader(r)? {
            0 => VoteType::Prevote,
            1 => VoteType::Precommit,
            _ => return Err(invalid("vote type")),
        };
        Ok(Vote {
            kind,
            height: Height::deserialize_reader(r)?,
            round: Round::deserialize_reader(r)?,
            value: NilOrVal::<BlockValue>::deserialize_reader(r)?,
            validator: Address::deserialize_reader(r)?,
        })
    }
}

impl BorshSerialize for ProposalPart {
    fn serialize<W: Write>(&self, w: &mut W) -> IoResult<()> {
        match self {
            ProposalPart::Init {
                height,
                round,
                pol_round,
                proposer,
            } => {
                0u8.serialize(w)?;
                height.serialize(w)?;
                round.serialize(w)?;
                pol_round.serialize(w)?;
                proposer.serialize(w)
            }
            ProposalPart::Data(bytes) => {
                1u8.serialize(w)?;
                let len = u32::try_from(bytes.len()).map_err(|_| invalid("data part too long"))?;
                len.serialize(w)?;
                w.write_all(bytes)
            }
            ProposalPart::Fin(sig) => {
                2u8.serialize(w)?;
                sig.serialize(w)
            }
        }
    }
}

impl BorshDeserialize for ProposalPart {
    fn deserialize_reader<R: Read>(r: &mut R) -> IoResult<Self> {
        match u8::deserialize_reader(r)? {
            0 => Ok(ProposalPart::Init {
                height: Height::deserialize_reader(r)?,
                round: Round::deserialize_reader(r)?,
                pol_round: Round::deserialize_reader(r)?,
                proposer: Address::deserialize_reader(r)?,
            }),
            1 => {
                let len = u32::deserialize_reader(r)? as usize;
                if len > MAX_PART_SIZE {
                    return Err(invalid("data part too long"));
                }
                let mut data = vec![0u8; len];
                r.read_exact(&mut data)?;
                Ok(ProposalPart::Data(Bytes::from(data)))
            }
            2 => Ok(ProposalPart::Fin(ValidatorSignature::deserialize_reader(
                r,
            )?)),
            _ => Err(invalid("proposal part tag")),
        }
    }
}

/// The codec of every Malachite message for [`ZkContext`].
#[derive(Clone, Copy, Debug, Default)]
pub struct ZkCodec;

fn decode<T: BorshDeserialize>(bytes: &[u8]) -> Result<T, ConsensusError> {
    borsh::from_slice(bytes).map_err(ConsensusError::Codec)
}

fn encode<T: BorshSerialize>(msg: &T) -> Result<Bytes, ConsensusError> {
    borsh::to_vec(msg)
        .map(Bytes::from)
        .map_err(ConsensusError::Codec)
}

macro_rules! borsh_codec {
    ($($t:ty),* $(,)?) => {
        $(
            impl Codec<$t> for ZkCodec {
                type Error = ConsensusError;

                fn decode(&self, bytes: Bytes) -> Result<$t, ConsensusError> {
                    decode(&bytes)
                }

                fn encode(&self, msg: &$t) -> Result<Bytes, ConsensusError> {
                    encode(msg)
                }
            }
        )*
    };
}

borsh_codec!(
    ProposalPart,
    SignedConsensusMsg<ZkContext>,
    LivenessMsg<ZkContext>,
    StreamMessage<ProposalPart>,
    ProposedValue<ZkContext>,
    PolkaCertificate<ZkContext>,
    Status<ZkContext>,
    Request<ZkContext>,
);

/// Most decided values in one sync response.
const MAX_SYNC_VALUES: usize = 256;

fn encode_response(msg: &Response<ZkContext>) -> Result<Vec<u8>, ConsensusError> {
    let Response::ValueResponse(resp) = msg;
    let mut w = Writer::new();
    w.u64(resp.start_height.0);
    w.u32(resp.values.len() as u32);
    for v in &resp.values {
        let c = &v.certificate;
        let round = c
            .round
            .as_u32()
            .ok_or_else(|| ConsensusError::ForeignCertificate("nil round".into()))?;
        let mut sigs = Vec::with_capacity(c.commit_signatures.len());
        for s in &c.commit_signatures {
            if s.extension.is_some() {
                return Err(ConsensusError::ForeignCertificate("vote extension".into()));
            }
            sigs.push((s.address, s.signature));
        }
        let cert = CommitCertificate::new(c.height.0, round, c.value_id.0, sigs).to_bytes();
        w.u32(v.value_bytes.len() as u32);
        w.bytes(&v.value_bytes);
        w.u32(cert.len() as u32);
        w.bytes(&cert);
    }
    Ok(w.into_bytes())
}

fn sized<'a>(r: &mut Reader<'a>, limit: usize) -> Result<&'a [u8], ConsensusError> {
    let len = r.u32()? as usize;
    if len > limit {
        return Err(ConsensusError::TooLong {
            what: "sync response",
            len: len as u64,
            limit: limit as u64,
        });
    }
    r.take(len)
}

/// A sync response: `LE64 start_height || LE32 n (<= 256) || n × (LE32 len
/// || block bytes || LE32 len || commit certificate)`, the certificate in
/// [`CommitCertificate`]'s strict encoding (Malachite's extended
/// certificate without extensions).
impl Codec<Response<ZkContext>> for ZkCodec {
    type Error = ConsensusError;

    fn decode(&self, bytes: Bytes) -> Result<Response<ZkContext>, ConsensusError> {
        let mut r = Reader::new(&bytes, "sync response");
        let start_height = Height(r.u64()?);
        let n = r.count(MAX_SYNC_VALUES, 8)?;
        let mut values = Vec::with_capacity(n);
        for _ in 0..n {
            let block = sized(&mut r, blockchain::MAX_BLOCK_SIZE)?;
            let cert = CommitCertificate::from_bytes(sized(&mut r, 1 << 16)?)?;
            values.push(RawDecidedValue {
                value_bytes: Bytes::copy_from_slice(block),
                certificate: cert.to_malachite(),
            });
        }
        r.finish()?;
        Ok(Response::ValueResponse(ValueResponse::new(
            start_height,
            values,
        )))
    }

    fn encode(&self, msg: &Response<ZkContext>) -> Result<Bytes, ConsensusError> {
        encode_response(msg).map(Bytes::from)
    }
}

impl HasEncodedLen<Response<ZkContext>> for ZkCodec {
    fn encoded_len(&self, msg: &Response<ZkContext>) -> Result<usize, ConsensusError> {
        encode_response(msg).map(|v| v.len())
    }
}

/// A validator proof: `LE32 len || public key || LE32 len || peer ID ||
/// signature (64)` (borsh), the key at most 32 bytes and the peer ID at
/// most 128.
impl Codec<ValidatorProof<ZkContext>> for ZkCodec {
    type Error = ConsensusError;

    fn decode(&self, bytes: Bytes) -> Result<ValidatorProof<ZkContext>, ConsensusError> {
        let (public_key, peer_id, signature): (Vec<u8>, Vec<u8>, ValidatorSignature) =
            decode(&bytes)?;
        if public_key.len() != 32 || peer_id.len() > 128 {
            return Err(ConsensusError::Codec(invalid(
                "validator proof field length",
            )));
        }
        Ok(ValidatorProof::new(public_key, peer_id, signature))
    }

    fn encode(&self, msg: &ValidatorProof<ZkContext>) -> Result<Bytes, ConsensusError> {
        encode(&(&msg.public_key, &msg.peer_id, &msg.signature))
    }
}

impl ZkCodec {
    /// Decodes `bytes` as every message kind the engine takes from its
    /// peers (consensus messages, liveness messages, proposal streams and
    /// parts, sync status, requests and responses, validator proofs) and
    /// says how many kinds accepted them; an accepted message is encoded
    /// again. What a hostile peer's bytes can do to the codec, in one
    /// call: the fuzz target `consensus_decode` drives it, and it must
    /// never panic.
    pub fn decode_every_kind(&self, bytes: &[u8]) -> usize {
        fn accepts<T>(codec: &ZkCodec, bytes: &[u8]) -> bool
        where
            ZkCodec: Codec<T, Error = ConsensusError>,
        {
            codec
                .decode(Bytes::copy_from_slice(bytes))
                .is_ok_and(|m| codec.encode(&m).is_ok())
        }
        [
            accepts::<ProposalPart>(self, bytes),
            accepts::<SignedConsensusMsg<ZkContext>>(self, bytes),
            accepts::<LivenessMsg<ZkContext>>(self, bytes),
            accepts::<StreamMessage<ProposalPart>>(self, bytes),
            accepts::<ProposedValue<ZkContext>>(self, bytes),
            accepts::<PolkaCertificate<ZkContext>>(self, bytes),
            accepts::<Status<ZkContext>>(self, bytes),
            accepts::<Request<ZkContext>>(self, bytes),
            accepts::<Response<ZkContext>>(self, bytes),
            accepts::<ValidatorProof<ZkContext>>(self, bytes),
        ]
        .into_iter()
        .filter(|ok| *ok)
        .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T>(v: &T)
    where
        ZkCodec: Codec<T>,
        T: PartialEq + core::fmt::Debug,
    {
        let bytes = ZkCodec.encode(v).unwrap();
        let back: T = ZkCodec.decode(bytes.clone()).unwrap();
        assert_eq!(&back, v);
        let mut long = bytes.to_vec();
        long.push(0);
        assert!(<ZkCodec as Codec<T>>::decode(&ZkCodec, long.into()).is_err());
        for n in 0..bytes.len() {
            assert!(<ZkCodec as Codec<T>>::decode(&ZkCodec, bytes.slice(..n)).is_err());
        }
    }

    #[test]
    fn parts_round_trip_strictly() {
        let a = Address::from_bytes([3; 32]);
        round_trip(&ProposalPart::Init {
            height: Height(7),
            round: Round::new(1),
            pol_round: Round::Nil,
            proposer: a,
        });
        round_trip(&ProposalPart::Data(Bytes::from_static(b"block bytes")));
        let key = musig::SecretKey::from_scalar(curve25519_dalek::Scalar::from(3u64));
        let sig = crate::signing::sign_bytes(&key, b"m");
        round_trip(&ProposalPart::Fin(sig));
        // Unknown tag; a data length over the cap.
        assert!(
            <ZkCodec as Codec<ProposalPart>>::decode(&ZkCodec, Bytes::from_static(&[3])).is_err()
        );
        let mut big = vec![1u8];
        big.extend_from_slice(&(MAX_PART_SIZE as u32 + 1).to_le_bytes());
        assert!(<ZkCodec as Codec<ProposalPart>>::decode(&ZkCodec, big.into()).is_err());
    }

    #[test]
    fn sync_responses_round_trip_strictly() {
        let key = musig::SecretKey::from_scalar(curve25519_dalek::Scalar::from(5u64));
        let address = crate::ValidatorKey::new(key.verification_key())
            .unwrap()
            .address();
        let chain = crate::ChainId([1; 32]);
        let block = BlockID::from_bytes([2; 32]);
        let msg = crate::signing::precommit_sign_bytes(&chain, 7, 0, &block);
        let cert = CommitCertificate::new(
            7,
            0,
            block,
            vec![(address, crate::signing::sign_bytes(&key, &msg))],
        );
        let resp = Response::ValueResponse(ValueResponse::new(
            Height(7),
            vec![RawDecidedValue {
                value_bytes: Bytes::from_static(b"block"),
                certificate: cert.to_malachite(),
            }],
        ));
        round_trip(&resp);
        let len = ZkCodec.encoded_len(&resp).unwrap();
        assert_eq!(len, ZkCodec.encode(&resp).unwrap().len());
        // A hostile value count.
        let mut huge = 7u64.to_le_bytes().to_vec();
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(<ZkCodec as Codec<Response<ZkContext>>>::decode(&ZkCodec, huge.into()).is_err());
    }

    #[test]
    fn votes_round_trip_strictly() {
        let v = Vote {
            kind: VoteType::Precommit,
            height: Height(9),
            round: Round::new(0),
            value: NilOrVal::Val(BlockValue(BlockID::from_bytes([4; 32]))),
            validator: Address::from_bytes([1; 32]),
        };
        let bytes = borsh::to_vec(&v).unwrap();
        assert_eq!(decode::<Vote>(&bytes).unwrap(), v);
        let mut bad = bytes.clone();
        bad[0] = 2;
        assert!(decode::<Vote>(&bad).is_err());
    }

    #[test]
    fn every_kind_decodes_what_it_encoded_and_noise_never_panics() {
        let part = ProposalPart::Data(Bytes::from_static(b"block bytes"));
        let bytes = ZkCodec.encode(&part).unwrap();
        assert!(ZkCodec.decode_every_kind(&bytes) >= 1);
        // Noise of every small length and random bytes: decoded or refused,
        // never a panic.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in 0..600 {
            let noise: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect();
            let _ = ZkCodec.decode_every_kind(&noise);
        }
    }
}
