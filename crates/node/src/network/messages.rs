//! The sync protocol's requests and responses (docs/spec/network.md §Sync):
//! little-endian integers, a tag byte first, strict decoders that reject
//! unknown tags, oversize counts and trailing bytes.

use blockchain::{BlockHeader, BlockID};
use libp2p::{Multiaddr, PeerId};
use musig::Signature;
use zkvm::{Encodable, Reader, TxID, VMError, Writer};

use super::protocol::MAX_TX_MESSAGE;

/// Most headers asked for or sent in one response.
pub const MAX_HEADERS: u32 = 2_000;
/// Most blocks asked for in one request.
pub const MAX_BLOCKS: u32 = 64;
/// A node stops adding blocks to a response past this many bytes (it
/// always sends at least one block).
pub const BLOCKS_RESPONSE_SOFT_LIMIT: usize = 8 << 20;
/// Most transaction IDs a pool listing carries (the highest fee rates).
pub const MAX_POOL_IDS: u32 = 50_000;
/// Most transactions asked for in one request.
pub const MAX_TXS: u32 = 256;
/// A node stops adding transactions to a response past this many bytes (it
/// always sends at least one).
pub const TXS_RESPONSE_SOFT_LIMIT: usize = 4 << 20;
/// Most peers a peer list carries.
pub const MAX_PEER_ADDRS: u32 = 64;
/// Longest encoded peer ID in a peer list (an Ed25519 key's ID is 38).
pub const MAX_PEER_ID_BYTES: usize = 64;
/// Longest encoded address in a peer list.
pub const MAX_ADDR_BYTES: usize = 256;
/// Largest request on the wire: a request for [`MAX_TXS`] transactions.
pub const MAX_REQUEST_BYTES: usize = 1 + 4 + 32 * MAX_TXS as usize;
/// Largest response on the wire: the soft limit plus one largest block.
pub const MAX_RESPONSE_BYTES: usize = BLOCKS_RESPONSE_SOFT_LIMIT + blockchain::MAX_BLOCK_SIZE + 64;
/// Longest error reason sent.
pub const MAX_REASON_BYTES: usize = 256;

/// A question to a peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Its network, tip and first stored block.
    Status,
    /// Up to `count` headers with their signatures from height `from`.
    Headers {
        /// First height (at least 2: height 1 is the genesis's header).
        from: u64,
        /// How many, at most [`MAX_HEADERS`].
        count: u32,
    },
    /// Up to `count` blocks from height `from`.
    Blocks {
        /// First height.
        from: u64,
        /// How many, at most [`MAX_BLOCKS`].
        count: u32,
    },
    /// Its chain state's snapshot (docs/spec/blockchain.md §Snapshot).
    Snapshot,
    /// The IDs of its mempool's transactions.
    Pool,
    /// The mempool transactions with these IDs (at most [`MAX_TXS`]).
    Txs(Vec<TxID>),
    /// The peers it is connected to, with an address each listens on.
    Peers,
}

/// What a peer says of its chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerStatus {
    /// The ID of the initial header: the network.
    pub network: BlockID,
    /// The tip's height.
    pub height: u64,
    /// The tip's ID.
    pub tip: BlockID,
    /// The lowest height of a block it can send (2 on a full node; above
    /// its snapshot on a node that started from one).
    pub first_block: u64,
}

/// A header and its block signature.
#[derive(Clone, Debug)]
pub struct SignedHeader {
    /// The header.
    pub header: BlockHeader,
    /// The block signers' signature over its ID.
    pub signature: Signature,
}

/// An answer.
#[derive(Clone, Debug)]
pub enum Response {
    /// To [`Request::Status`].
    Status(PeerStatus),
    /// To [`Request::Headers`]: consecutive heights from the one asked,
    /// fewer if the chain is shorter (none if it ends before `from`).
    Headers(Vec<SignedHeader>),
    /// To [`Request::Blocks`]: encoded blocks of consecutive heights from
    /// the one asked, decoded (and validated) by the caller.
    Blocks(Vec<Vec<u8>>),
    /// To [`Request::Snapshot`].
    Snapshot(Vec<u8>),
    /// To [`Request::Pool`]: IDs in block production order (highest fee
    /// rate first, parents before children), at most [`MAX_POOL_IDS`].
    Pool(Vec<TxID>),
    /// To [`Request::Txs`]: the encoded transactions it still has, in the
    /// order asked, decoded (and verified) by the caller.
    Txs(Vec<Vec<u8>>),
    /// To [`Request::Peers`]: at most [`MAX_PEER_ADDRS`].
    Peers(Vec<(PeerId, Multiaddr)>),
    /// The request cannot be answered, and why (UTF-8).
    Error(String),
}

const STATUS: u8 = 0;
const HEADERS: u8 = 1;
const BLOCKS: u8 = 2;
const SNAPSHOT: u8 = 3;
const POOL: u8 = 4;
const TXS: u8 = 5;
const PEERS: u8 = 6;
const ERROR: u8 = 0xff;

/// The smallest encoded header: version, height, time (8 each), previd,
/// txroot, utxoroot (32 each) and the ext's length (4).
const MIN_HEADER_BYTES: usize = 3 * 8 + 3 * 32 + 4;

impl Request {
    /// `tag || [LE64 from || LE32 count | LE32 n || n × txid]`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        match self {
            Request::Status => v.write_u8(b"tag", STATUS),
            Request::Headers { from, count } | Request::Blocks { from, count } => {
                let tag = if matches!(self, Request::Headers { .. }) {
                    HEADERS
                } else {
                    BLOCKS
                };
                v.write_u8(b"tag", tag);
                v.write_u64(b"from", *from);
                v.write_u32(b"count", *count);
            }
            Request::Snapshot => v.write_u8(b"tag", SNAPSHOT),
            Request::Pool => v.write_u8(b"tag", POOL),
            Request::Txs(ids) => {
                v.write_u8(b"tag", TXS);
                write_ids(&mut v, ids);
            }
            Request::Peers => v.write_u8(b"tag", PEERS),
        }
        v
    }

    /// Decodes a request spanning all of `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Request, VMError> {
        Reader::read_all(bytes, |r| match r.read_u8()? {
            STATUS => Ok(Request::Status),
            tag @ (HEADERS | BLOCKS) => {
                let from = r.read_u64()?;
                let count = r.read_u32()?;
                Ok(if tag == HEADERS {
                    Request::Headers { from, count }
                } else {
                    Request::Blocks { from, count }
                })
            }
            SNAPSHOT => Ok(Request::Snapshot),
            POOL => Ok(Request::Pool),
            TXS => Ok(Request::Txs(read_ids(r, MAX_TXS, "too many transactions")?)),
            PEERS => Ok(Request::Peers),
            _ => Err(VMError::InvalidFormat("unknown request")),
        })
    }
}

impl Response {
    /// `tag || body`: a status is `network || LE64 height || tip || LE64
    /// first_block`; headers and blocks are `LE32 n || n × item`, a header
    /// item being `header || signature(64)` and a block item `LE32 len ||
    /// block`; a pool listing is `LE32 n || n × txid`; transactions are
    /// `LE32 n || n × (LE32 len || tx)`; peers are `LE32 n || n × (LE32 len
    /// || peer ID || LE32 len || multiaddr)`; a snapshot or an error is
    /// `LE32 len || bytes`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        match self {
            Response::Status(s) => {
                v.write_u8(b"tag", STATUS);
                v.write(b"network", &s.network.0);
                v.write_u64(b"height", s.height);
                v.write(b"tip", &s.tip.0);
                v.write_u64(b"first_block", s.first_block);
            }
            Response::Headers(headers) => {
                v.write_u8(b"tag", HEADERS);
                v.write_size(b"n", headers.len());
                for h in headers {
                    h.header.encode(&mut v);
                    v.write(b"signature", &h.signature.to_bytes());
                }
            }
            Response::Blocks(blocks) => {
                v.write_u8(b"tag", BLOCKS);
                write_blobs(&mut v, blocks);
            }
            Response::Snapshot(bytes) => {
                v.write_u8(b"tag", SNAPSHOT);
                v.write_size(b"len", bytes.len());
                v.write(b"snapshot", bytes);
            }
            Response::Pool(ids) => {
                v.write_u8(b"tag", POOL);
                write_ids(&mut v, ids);
            }
            Response::Txs(txs) => {
                v.write_u8(b"tag", TXS);
                write_blobs(&mut v, txs);
            }
            Response::Peers(peers) => {
                v.write_u8(b"tag", PEERS);
                v.write_size(b"n", peers.len());
                for (id, addr) in peers {
                    let id = id.to_bytes();
                    v.write_size(b"len", id.len());
                    v.write(b"peer", &id);
                    v.write_size(b"len", addr.as_ref().len());
                    v.write(b"addr", addr.as_ref());
                }
            }
            Response::Error(reason) => {
                let mut end = reason.len().min(MAX_REASON_BYTES);
                while !reason.is_char_boundary(end) {
                    end -= 1;
                }
                v.write_u8(b"tag", ERROR);
                v.write_size(b"len", end);
                v.write(b"reason", &reason.as_bytes()[..end]);
            }
        }
        v
    }

    /// Decodes a response spanning all of `bytes`; counts are checked
    /// against the protocol's limits before anything is allocated.
    pub fn from_bytes(bytes: &[u8]) -> Result<Response, VMError> {
        if bytes.len() > MAX_RESPONSE_BYTES {
            return Err(VMError::InvalidFormat("response too large"));
        }
        Reader::read_all(bytes, |r| match r.read_u8()? {
            STATUS => Ok(Response::Status(PeerStatus {
                network: BlockID(r.read_array()?),
                height: r.read_u64()?,
                tip: BlockID(r.read_array()?),
                first_block: r.read_u64()?,
            })),
            HEADERS => {
                let n = r.read_size()?;
                if n > MAX_HEADERS as usize {
                    return Err(VMError::InvalidFormat("too many headers"));
                }
                let headers = r.read_vec(n, MIN_HEADER_BYTES + 64, |r| {
                    let header = BlockHeader::decode(r)?;
                    let signature = Signature::from_bytes(r.read_slice(64)?)
                        .map_err(VMError::InvalidSignature)?;
                    Ok(SignedHeader { header, signature })
                })?;
                Ok(Response::Headers(headers))
            }
            BLOCKS => Ok(Response::Blocks(read_blobs(
                r,
                (MAX_BLOCKS, "too many blocks"),
                MIN_HEADER_BYTES,
                (usize::MAX, "block too large"),
            )?)),
            SNAPSHOT => Ok(Response::Snapshot(r.read_sized_bytes()?.to_vec())),
            POOL => Ok(Response::Pool(read_ids(r, MAX_POOL_IDS, "too many IDs")?)),
            TXS => Ok(Response::Txs(read_blobs(
                r,
                (MAX_TXS, "too many transactions"),
                0,
                (MAX_TX_MESSAGE, "transaction too large"),
            )?)),
            PEERS => {
                let n = r.read_size()?;
                if n > MAX_PEER_ADDRS as usize {
                    return Err(VMError::InvalidFormat("too many peers"));
                }
                let peers = r.read_vec(n, 8, |r| {
                    let id = read_bounded(r, MAX_PEER_ID_BYTES, "peer ID too long")?;
                    let id = PeerId::from_bytes(id)
                        .ok()
                        .filter(|p| p.to_bytes() == id)
                        .ok_or(VMError::InvalidFormat("bad peer ID"))?;
                    let addr = read_bounded(r, MAX_ADDR_BYTES, "address too long")?;
                    let addr = Multiaddr::try_from(addr.to_vec())
                        .ok()
                        .filter(|a| a.as_ref() == addr)
                        .ok_or(VMError::InvalidFormat("bad address"))?;
                    Ok((id, addr))
                })?;
                Ok(Response::Peers(peers))
            }
            ERROR => {
                let reason = r.read_sized_bytes()?;
                if reason.len() > MAX_REASON_BYTES {
                    return Err(VMError::InvalidFormat("error reason too long"));
                }
                let reason = std::str::from_utf8(reason)
                    .map_err(|_| VMError::InvalidFormat("error reason is not UTF-8"))?;
                Ok(Response::Error(reason.to_string()))
            }
            _ => Err(VMError::InvalidFormat("unknown response")),
        })
    }
}

/// `LE32 n || n × (LE32 len || bytes)`.
fn write_blobs(v: &mut Vec<u8>, blobs: &[Vec<u8>]) {
    v.write_size(b"n", blobs.len());
    for b in blobs {
        v.write_size(b"len", b.len());
        v.write(b"item", b);
    }
}

/// Reads [`write_blobs`]' encoding: at most `count.0` items (else
/// `count.1`), each at most `len.0` bytes (else `len.1`). `min_len` is the
/// smallest sensible item, for the allocation check only.
fn read_blobs(
    r: &mut Reader<'_>,
    count: (u32, &'static str),
    min_len: usize,
    len: (usize, &'static str),
) -> Result<Vec<Vec<u8>>, VMError> {
    let n = r.read_size()?;
    if n > count.0 as usize {
        return Err(VMError::InvalidFormat(count.1));
    }
    r.read_vec(n, 4 + min_len, |r| {
        let item = r.read_sized_bytes()?;
        if item.len() > len.0 {
            return Err(VMError::InvalidFormat(len.1));
        }
        Ok(item.to_vec())
    })
}

fn write_ids(v: &mut Vec<u8>, ids: &[TxID]) {
    v.write_size(b"n", ids.len());
    for id in ids {
        v.write(b"txid", &id.0);
    }
}

fn read_bounded<'a>(
    r: &mut Reader<'a>,
    max: usize,
    what: &'static str,
) -> Result<&'a [u8], VMError> {
    let n = r.read_size()?;
    if n > max {
        return Err(VMError::InvalidFormat(what));
    }
    r.read_slice(n)
}

fn read_ids(r: &mut Reader<'_>, max: u32, what: &'static str) -> Result<Vec<TxID>, VMError> {
    let n = r.read_size()?;
    if n > max as usize {
        return Err(VMError::InvalidFormat(what));
    }
    r.read_vec(n, 32, |r| Ok(TxID(r.read_array()?)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn requests_round_trip(
            from in any::<u64>(),
            count in any::<u32>(),
            tag in 0u8..7,
            ids in proptest::collection::vec(any::<[u8; 32]>(), 0..=MAX_TXS as usize),
        ) {
            let req = match tag {
                0 => Request::Status,
                1 => Request::Headers { from, count },
                2 => Request::Blocks { from, count },
                3 => Request::Snapshot,
                4 => Request::Pool,
                5 => Request::Txs(ids.into_iter().map(TxID).collect()),
                _ => Request::Peers,
            };
            prop_assert!(req.to_bytes().len() <= MAX_REQUEST_BYTES);
            prop_assert_eq!(Request::from_bytes(&req.to_bytes()).unwrap(), req);
        }

        #[test]
        fn decoders_are_total(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(req) = Request::from_bytes(&bytes) {
                prop_assert_eq!(req.to_bytes(), bytes.clone());
            }
            if let Ok(resp) = Response::from_bytes(&bytes) {
                prop_assert_eq!(resp.to_bytes(), bytes);
            }
        }

        #[test]
        fn responses_round_trip(
            blocks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 124..300), 0..5),
            snapshot in proptest::collection::vec(any::<u8>(), 0..300),
            height in any::<u64>(),
        ) {
            let r = Response::Blocks(blocks.clone());
            let back = Response::from_bytes(&r.to_bytes()).unwrap();
            prop_assert!(matches!(back, Response::Blocks(b) if b == blocks));
            let s = Response::Snapshot(snapshot.clone());
            let back = Response::from_bytes(&s.to_bytes()).unwrap();
            prop_assert!(matches!(back, Response::Snapshot(b) if b == snapshot));
            let ids: Vec<TxID> = blocks.iter().map(|b| TxID([b[0]; 32])).collect();
            let back = Response::from_bytes(&Response::Pool(ids.clone()).to_bytes()).unwrap();
            prop_assert!(matches!(back, Response::Pool(b) if b == ids));
            let back = Response::from_bytes(&Response::Txs(blocks.clone()).to_bytes()).unwrap();
            prop_assert!(matches!(back, Response::Txs(b) if b == blocks));
            let peers: Vec<(PeerId, Multiaddr)> = blocks
                .iter()
                .map(|b| {
                    let addr = format!("/ip4/10.0.{}.{}/tcp/{}", b[0], b[1], height % 65_536);
                    (PeerId::random(), addr.parse().unwrap())
                })
                .collect();
            let back = Response::from_bytes(&Response::Peers(peers.clone()).to_bytes()).unwrap();
            prop_assert!(matches!(back, Response::Peers(b) if b == peers));
            let st = PeerStatus { network: BlockID([1; 32]), height, tip: BlockID([2; 32]), first_block: 2 };
            let back = Response::from_bytes(&Response::Status(st.clone()).to_bytes()).unwrap();
            prop_assert!(matches!(back, Response::Status(b) if b == st));
        }
    }

    #[test]
    fn strict_on_trailing_bytes_tags_and_counts() {
        let mut req = Request::Status.to_bytes();
        req.push(0);
        assert!(Request::from_bytes(&req).is_err());
        assert!(Request::from_bytes(&[9]).is_err());
        assert!(Request::from_bytes(&[]).is_err());
        // A count of 2^32 - 1 headers is refused before any allocation.
        assert!(Response::from_bytes(&[HEADERS, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(Response::from_bytes(&[BLOCKS, 65, 0, 0, 0]).is_err());
        // Pool listings and transaction lists are bounded the same way.
        let too_many = (MAX_POOL_IDS + 1).to_le_bytes();
        assert!(Response::from_bytes(&[&[POOL][..], &too_many].concat()).is_err());
        assert!(Response::from_bytes(&[TXS, 1, 1, 0, 0]).is_err());
        assert!(Request::from_bytes(&[TXS, 1, 1, 0, 0]).is_err());
        let big = (MAX_TX_MESSAGE as u32 + 1).to_le_bytes();
        assert!(Response::from_bytes(&[&[TXS, 1, 0, 0, 0][..], &big].concat()).is_err());
        // Peer lists: bounded, and IDs and addresses must parse.
        let too_many = (MAX_PEER_ADDRS + 1).to_le_bytes();
        assert!(Response::from_bytes(&[&[PEERS][..], &too_many].concat()).is_err());
        let garbage = [PEERS, 1, 0, 0, 0, 2, 0, 0, 0, 0xff, 0xff, 1, 0, 0, 0, 4];
        assert!(Response::from_bytes(&garbage).is_err());
        // A listing that claims more IDs than it carries.
        assert!(Response::from_bytes(&[POOL, 2, 0, 0, 0]).is_err());
        // Found by the fuzzer: a reason that is not UTF-8.
        assert!(Response::from_bytes(&[ERROR, 1, 0, 0, 0, 0xff]).is_err());
        let long = Response::Error("é".repeat(300)).to_bytes();
        match Response::from_bytes(&long).unwrap() {
            Response::Error(r) => assert!(r.len() <= MAX_REASON_BYTES),
            other => panic!("{other:?}"),
        }
    }
}
