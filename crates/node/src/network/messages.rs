//! The messages of the three request-response protocols
//! (docs/spec/network.md §Sync, §Pool exchange, §Peer discovery): sync
//! (status, headers, blocks, snapshot), pool exchange (listing,
//! transactions) and peers (a peer list). Each protocol is its own libp2p
//! behaviour, so an answer is known by the protocol it arrives on, not by
//! the request it answers. Little-endian integers, a tag byte first where
//! a protocol has more than one message; strict decoders reject unknown
//! tags, oversize counts and trailing bytes.

use blockchain::{BlockHeader, BlockID};
use encoding::{DecodeError, Reader, Writer};
use libp2p::{Multiaddr, PeerId};
use musig::Signature;
use zkvm::{Encodable, TxID};

use super::protocol::MAX_TX_MESSAGE;

/// Most headers asked for or sent in one response.
pub const MAX_HEADERS: u32 = 2_000;
/// Most blocks asked for in one request.
pub const MAX_BLOCKS: u32 = 64;
/// A node stops adding blocks to a response past this many bytes (it
/// always sends at least one block).
pub const BLOCKS_RESPONSE_SOFT_LIMIT: usize = 8 << 20;
/// Most validator-set changes one response carries (each at most
/// [`consensus::MAX_SET_CHANGE_BYTES`]: 2.2 MB in all, far below a
/// blocks response).
pub const MAX_SET_CHANGES: u32 = 64;
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
/// Longest error reason sent.
pub const MAX_REASON_BYTES: usize = 256;

/// Largest sync request: a Headers or Blocks request.
pub const MAX_SYNC_REQUEST_BYTES: usize = 1 + 8 + 4;
/// Largest sync response: the blocks' soft limit plus one largest block.
pub const MAX_SYNC_RESPONSE_BYTES: usize =
    BLOCKS_RESPONSE_SOFT_LIMIT + blockchain::MAX_BLOCK_SIZE + 64;
/// Largest pool request: a request for [`MAX_TXS`] transactions.
pub const MAX_POOL_REQUEST_BYTES: usize = 1 + 4 + 32 * MAX_TXS as usize;
/// Largest pool response: the transactions' soft limit plus one largest
/// transaction and the counts (a full listing, 1,600,005 bytes, is less).
pub const MAX_POOL_RESPONSE_BYTES: usize =
    TXS_RESPONSE_SOFT_LIMIT + MAX_TX_MESSAGE + 1 + 4 + 4 * MAX_TXS as usize;
/// Largest peers request: it has no body.
pub const MAX_PEERS_REQUEST_BYTES: usize = 0;
/// Largest peer list: [`MAX_PEER_ADDRS`] entries of the longest ID and
/// address.
pub const MAX_PEERS_RESPONSE_BYTES: usize =
    4 + MAX_PEER_ADDRS as usize * (4 + MAX_PEER_ID_BYTES + 4 + MAX_ADDR_BYTES);

/// A message of one of the protocols: its encoding, its strict decoding
/// and the most bytes it may take on the wire (the codec stops reading
/// past it).
pub trait Wire: Sized + Send + 'static {
    /// The largest encoding.
    const MAX_BYTES: usize;
    /// The encoding.
    fn to_bytes(&self) -> Vec<u8>;
    /// Decodes a message spanning all of `bytes`.
    fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError>;
}

/// A question of the sync protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncRequest {
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
    /// The validator-set changes its chain applied, included at height
    /// `from` or above, oldest first, at most [`MAX_SET_CHANGES`]
    /// (docs/spec/consensus.md §Validator-set changes, Snapshots).
    SetChanges {
        /// Lowest inclusion height.
        from: u64,
    },
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

/// An answer of the sync protocol.
#[derive(Clone, Debug)]
pub enum SyncResponse {
    /// To [`SyncRequest::Status`].
    Status(PeerStatus),
    /// To [`SyncRequest::Headers`]: consecutive heights from the one
    /// asked, fewer if the chain is shorter (none if it ends before
    /// `from`).
    Headers(Vec<SignedHeader>),
    /// To [`SyncRequest::Blocks`]: encoded blocks of consecutive heights
    /// from the one asked, decoded (and validated) by the caller.
    Blocks(Vec<Vec<u8>>),
    /// To [`SyncRequest::Snapshot`].
    Snapshot(Vec<u8>),
    /// To [`SyncRequest::SetChanges`]: each change's inclusion height and
    /// its encoding (`consensus::ApprovedSetChange`), decoded and checked
    /// by the caller; fewer than [`MAX_SET_CHANGES`] when no more follow.
    SetChanges(Vec<(u64, Vec<u8>)>),
    /// The request cannot be answered, and why (UTF-8).
    Error(String),
}

/// A question of the pool exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PoolRequest {
    /// The IDs of its mempool's transactions.
    Listing,
    /// The mempool transactions with these IDs (at most [`MAX_TXS`]).
    Txs(Vec<TxID>),
}

/// An answer of the pool exchange.
#[derive(Clone, Debug)]
pub enum PoolResponse {
    /// To [`PoolRequest::Listing`]: IDs in block production order
    /// (highest fee rate first, parents before children), at most
    /// [`MAX_POOL_IDS`].
    Listing(Vec<TxID>),
    /// To [`PoolRequest::Txs`]: the encoded transactions it still has, in
    /// the order asked, decoded (and verified) by the caller.
    Txs(Vec<Vec<u8>>),
    /// The request cannot be answered, and why (UTF-8).
    Error(String),
}

/// The question of the peers protocol: the peers the responder is
/// connected to, with an address each listens on. It has no body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeersRequest;

/// The answer of the peers protocol: at most [`MAX_PEER_ADDRS`] peers,
/// each with one address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerList(pub Vec<(PeerId, Multiaddr)>);

const STATUS: u8 = 0;
const HEADERS: u8 = 1;
const BLOCKS: u8 = 2;
const SNAPSHOT: u8 = 3;
const SET_CHANGES: u8 = 4;
const LISTING: u8 = 0;
const TXS: u8 = 1;
const ERROR: u8 = 0xff;

/// The smallest encoded header: version, height, time (8 each), previd,
/// txroot, utxoroot (32 each) and the ext's length (4).
const MIN_HEADER_BYTES: usize = 3 * 8 + 3 * 32 + 4;

/// Rejects an encoding over `max` bytes before reading it.
fn within(bytes: &[u8], max: usize) -> Result<(), DecodeError> {
    if bytes.len() > max {
        return Err(DecodeError::Invalid("message too large"));
    }
    Ok(())
}

impl Wire for SyncRequest {
    const MAX_BYTES: usize = MAX_SYNC_REQUEST_BYTES;

    /// `tag || [LE64 from || LE32 count]`; a set-changes request is `tag ||
    /// LE64 from`.
    fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        match self {
            SyncRequest::Status => v.write_u8(b"tag", STATUS),
            SyncRequest::Headers { from, count } | SyncRequest::Blocks { from, count } => {
                let tag = if matches!(self, SyncRequest::Headers { .. }) {
                    HEADERS
                } else {
                    BLOCKS
                };
                v.write_u8(b"tag", tag);
                v.write_u64(b"from", *from);
                v.write_u32(b"count", *count);
            }
            SyncRequest::Snapshot => v.write_u8(b"tag", SNAPSHOT),
            SyncRequest::SetChanges { from } => {
                v.write_u8(b"tag", SET_CHANGES);
                v.write_u64(b"from", *from);
            }
        }
        v
    }

    fn from_bytes(bytes: &[u8]) -> Result<SyncRequest, DecodeError> {
        within(bytes, Self::MAX_BYTES)?;
        Reader::read_all(bytes, |r| match r.read_u8()? {
            STATUS => Ok(SyncRequest::Status),
            tag @ (HEADERS | BLOCKS) => {
                let from = r.read_u64()?;
                let count = r.read_u32()?;
                Ok(if tag == HEADERS {
                    SyncRequest::Headers { from, count }
                } else {
                    SyncRequest::Blocks { from, count }
                })
            }
            SNAPSHOT => Ok(SyncRequest::Snapshot),
            SET_CHANGES => Ok(SyncRequest::SetChanges {
                from: r.read_u64()?,
            }),
            _ => Err(DecodeError::Invalid("unknown sync request")),
        })
    }
}

impl Wire for SyncResponse {
    const MAX_BYTES: usize = MAX_SYNC_RESPONSE_BYTES;

    /// `tag || body`: a status is `network || LE64 height || tip || LE64
    /// first_block`; headers and blocks are `LE32 n || n × item`, a header
    /// item being `header || signature(64)` and a block item `LE32 len ||
    /// block`; a snapshot or an error is `LE32 len || bytes`; set changes
    /// are `LE32 n || n × (LE64 height || LE32 len || change)`.
    fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        match self {
            SyncResponse::Status(s) => {
                v.write_u8(b"tag", STATUS);
                v.write(b"network", &s.network.to_bytes());
                v.write_u64(b"height", s.height);
                v.write(b"tip", &s.tip.to_bytes());
                v.write_u64(b"first_block", s.first_block);
            }
            SyncResponse::Headers(headers) => {
                v.write_u8(b"tag", HEADERS);
                v.write_size(b"n", headers.len());
                for h in headers {
                    h.header.encode(&mut v);
                    v.write(b"signature", &h.signature.to_bytes());
                }
            }
            SyncResponse::Blocks(blocks) => {
                v.write_u8(b"tag", BLOCKS);
                write_blobs(&mut v, blocks);
            }
            SyncResponse::Snapshot(bytes) => {
                v.write_u8(b"tag", SNAPSHOT);
                v.write_size(b"len", bytes.len());
                v.write(b"snapshot", bytes);
            }
            SyncResponse::SetChanges(changes) => {
                v.write_u8(b"tag", SET_CHANGES);
                v.write_size(b"n", changes.len());
                for (height, change) in changes {
                    v.write_u64(b"height", *height);
                    v.write_size(b"len", change.len());
                    v.write(b"change", change);
                }
            }
            SyncResponse::Error(reason) => write_error(&mut v, reason),
        }
        v
    }

    /// Counts are checked against the protocol's limits before anything
    /// is allocated.
    fn from_bytes(bytes: &[u8]) -> Result<SyncResponse, DecodeError> {
        within(bytes, Self::MAX_BYTES)?;
        Reader::read_all(bytes, |r| match r.read_u8()? {
            STATUS => Ok(SyncResponse::Status(PeerStatus {
                network: BlockID::from_bytes(r.read_array()?),
                height: r.read_u64()?,
                tip: BlockID::from_bytes(r.read_array()?),
                first_block: r.read_u64()?,
            })),
            HEADERS => {
                let n = r.read_count()?;
                if n > MAX_HEADERS as usize {
                    return Err(DecodeError::Invalid("too many headers"));
                }
                let headers = r.read_vec(n, MIN_HEADER_BYTES + 64, |r| {
                    let header = BlockHeader::decode(r)?;
                    let signature = Signature::from_bytes(r.read_bytes(64)?)
                        .map_err(|_| DecodeError::Invalid("header signature is not canonical"))?;
                    Ok(SignedHeader { header, signature })
                })?;
                Ok(SyncResponse::Headers(headers))
            }
            BLOCKS => Ok(SyncResponse::Blocks(read_blobs(
                r,
                (MAX_BLOCKS, "too many blocks"),
                MIN_HEADER_BYTES,
                (usize::MAX, "block too large"),
            )?)),
            SNAPSHOT => Ok(SyncResponse::Snapshot(r.read_sized_bytes()?.to_vec())),
            SET_CHANGES => {
                let n = r.read_count()?;
                if n > MAX_SET_CHANGES as usize {
                    return Err(DecodeError::Invalid("too many validator-set changes"));
                }
                let changes = r.read_vec(n, 8 + 4, |r| {
                    let height = r.read_u64()?;
                    let change = r.read_sized_bytes()?;
                    if change.len() > consensus::MAX_SET_CHANGE_BYTES {
                        return Err(DecodeError::Invalid("validator-set change too large"));
                    }
                    Ok((height, change.to_vec()))
                })?;
                Ok(SyncResponse::SetChanges(changes))
            }
            ERROR => Ok(SyncResponse::Error(read_error(r)?)),
            _ => Err(DecodeError::Invalid("unknown sync response")),
        })
    }
}

impl Wire for PoolRequest {
    const MAX_BYTES: usize = MAX_POOL_REQUEST_BYTES;

    /// `tag || [LE32 n || n × txid]`.
    fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        match self {
            PoolRequest::Listing => v.write_u8(b"tag", LISTING),
            PoolRequest::Txs(ids) => {
                v.write_u8(b"tag", TXS);
                write_ids(&mut v, ids);
            }
        }
        v
    }

    fn from_bytes(bytes: &[u8]) -> Result<PoolRequest, DecodeError> {
        within(bytes, Self::MAX_BYTES)?;
        Reader::read_all(bytes, |r| match r.read_u8()? {
            LISTING => Ok(PoolRequest::Listing),
            TXS => Ok(PoolRequest::Txs(read_ids(
                r,
                MAX_TXS,
                "too many transactions",
            )?)),
            _ => Err(DecodeError::Invalid("unknown pool request")),
        })
    }
}

impl Wire for PoolResponse {
    const MAX_BYTES: usize = MAX_POOL_RESPONSE_BYTES;

    /// `tag || body`: a listing is `LE32 n || n × txid`; transactions are
    /// `LE32 n || n × (LE32 len || tx)`; an error is `LE32 len || reason`.
    fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        match self {
            PoolResponse::Listing(ids) => {
                v.write_u8(b"tag", LISTING);
                write_ids(&mut v, ids);
            }
            PoolResponse::Txs(txs) => {
                v.write_u8(b"tag", TXS);
                write_blobs(&mut v, txs);
            }
            PoolResponse::Error(reason) => write_error(&mut v, reason),
        }
        v
    }

    fn from_bytes(bytes: &[u8]) -> Result<PoolResponse, DecodeError> {
        within(bytes, Self::MAX_BYTES)?;
        Reader::read_all(bytes, |r| match r.read_u8()? {
            LISTING => Ok(PoolResponse::Listing(read_ids(
                r,
                MAX_POOL_IDS,
                "too many IDs",
            )?)),
            TXS => Ok(PoolResponse::Txs(read_blobs(
                r,
                (MAX_TXS, "too many transactions"),
                0,
                (MAX_TX_MESSAGE, "transaction too large"),
            )?)),
            ERROR => Ok(PoolResponse::Error(read_error(r)?)),
            _ => Err(DecodeError::Invalid("unknown pool response")),
        })
    }
}

impl Wire for PeersRequest {
    const MAX_BYTES: usize = MAX_PEERS_REQUEST_BYTES;

    /// Nothing: the protocol says what is asked.
    fn to_bytes(&self) -> Vec<u8> {
        Vec::new()
    }

    fn from_bytes(bytes: &[u8]) -> Result<PeersRequest, DecodeError> {
        if !bytes.is_empty() {
            return Err(DecodeError::Invalid("a peers request has no body"));
        }
        Ok(PeersRequest)
    }
}

impl Wire for PeerList {
    const MAX_BYTES: usize = MAX_PEERS_RESPONSE_BYTES;

    /// `LE32 n || n × (LE32 len || peer ID || LE32 len || multiaddr)`.
    fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.write_size(b"n", self.0.len());
        for (id, addr) in &self.0 {
            let id = id.to_bytes();
            v.write_size(b"len", id.len());
            v.write(b"peer", &id);
            v.write_size(b"len", addr.as_ref().len());
            v.write(b"addr", addr.as_ref());
        }
        v
    }

    /// IDs and addresses must be in their canonical encodings (each is
    /// re-encoded and compared).
    fn from_bytes(bytes: &[u8]) -> Result<PeerList, DecodeError> {
        within(bytes, Self::MAX_BYTES)?;
        Reader::read_all(bytes, |r| {
            let n = r.read_count()?;
            if n > MAX_PEER_ADDRS as usize {
                return Err(DecodeError::Invalid("too many peers"));
            }
            let peers = r.read_vec(n, 8, |r| {
                let id = read_bounded(r, MAX_PEER_ID_BYTES, "peer ID too long")?;
                let id = PeerId::from_bytes(id)
                    .ok()
                    .filter(|p| p.to_bytes() == id)
                    .ok_or(DecodeError::Invalid("bad peer ID"))?;
                let addr = read_bounded(r, MAX_ADDR_BYTES, "address too long")?;
                let addr = Multiaddr::try_from(addr.to_vec())
                    .ok()
                    .filter(|a| a.as_ref() == addr)
                    .ok_or(DecodeError::Invalid("bad address"))?;
                Ok((id, addr))
            })?;
            Ok(PeerList(peers))
        })
    }
}

/// `0xff || LE32 len || reason`, the reason cut to [`MAX_REASON_BYTES`] on
/// a character boundary.
fn write_error(v: &mut Vec<u8>, reason: &str) {
    let mut end = reason.len().min(MAX_REASON_BYTES);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    v.write_u8(b"tag", ERROR);
    v.write_size(b"len", end);
    v.write(b"reason", &reason.as_bytes()[..end]);
}

/// Reads [`write_error`]'s body (after the tag).
fn read_error(r: &mut Reader<'_>) -> Result<String, DecodeError> {
    let reason = r.read_sized_bytes()?;
    if reason.len() > MAX_REASON_BYTES {
        return Err(DecodeError::Invalid("error reason too long"));
    }
    let reason = std::str::from_utf8(reason)
        .map_err(|_| DecodeError::Invalid("error reason is not UTF-8"))?;
    Ok(reason.to_string())
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
) -> Result<Vec<Vec<u8>>, DecodeError> {
    let n = r.read_count()?;
    if n > count.0 as usize {
        return Err(DecodeError::Invalid(count.1));
    }
    r.read_vec(n, 4 + min_len, |r| {
        let item = r.read_sized_bytes()?;
        if item.len() > len.0 {
            return Err(DecodeError::Invalid(len.1));
        }
        Ok(item.to_vec())
    })
}

fn write_ids(v: &mut Vec<u8>, ids: &[TxID]) {
    v.write_size(b"n", ids.len());
    for id in ids {
        v.write(b"txid", &id.to_bytes());
    }
}

fn read_bounded<'a>(
    r: &mut Reader<'a>,
    max: usize,
    what: &'static str,
) -> Result<&'a [u8], DecodeError> {
    let n = r.read_count()?;
    if n > max {
        return Err(DecodeError::Invalid(what));
    }
    r.read_bytes(n)
}

fn read_ids(r: &mut Reader<'_>, max: u32, what: &'static str) -> Result<Vec<TxID>, DecodeError> {
    let n = r.read_count()?;
    if n > max as usize {
        return Err(DecodeError::Invalid(what));
    }
    r.read_vec(n, 32, |r| Ok(TxID::from_bytes(r.read_array()?)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    /// `message` survives its encoding, which fits the protocol's limit.
    fn round_trip<T: Wire + std::fmt::Debug + Clone>(message: &T) -> T {
        let bytes = message.to_bytes();
        assert!(bytes.len() <= T::MAX_BYTES, "{message:?}");
        let back = T::from_bytes(&bytes).unwrap();
        assert_eq!(back.to_bytes(), bytes);
        back
    }

    /// Whatever a decoder accepts re-encodes to the same bytes.
    fn canonical<T: Wire>(bytes: &[u8]) -> bool {
        T::from_bytes(bytes).map_or(true, |m| m.to_bytes() == bytes)
    }

    proptest! {
        #[test]
        fn requests_round_trip(
            from in any::<u64>(),
            count in any::<u32>(),
            tag in 0u8..6,
            sync_tag in 0u8..5,
            ids in proptest::collection::vec(any::<[u8; 32]>(), 0..=MAX_TXS as usize),
        ) {
            let sync = match sync_tag {
                0 => SyncRequest::Status,
                1 => SyncRequest::Headers { from, count },
                2 => SyncRequest::Blocks { from, count },
                3 => SyncRequest::Snapshot,
                _ => SyncRequest::SetChanges { from },
            };
            prop_assert_eq!(round_trip(&sync), sync);
            let pool = if tag < 3 {
                PoolRequest::Listing
            } else {
                PoolRequest::Txs(ids.into_iter().map(TxID::from_bytes).collect())
            };
            prop_assert_eq!(round_trip(&pool), pool);
            prop_assert_eq!(round_trip(&PeersRequest), PeersRequest);
        }

        #[test]
        fn decoders_are_total(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assert!(canonical::<SyncRequest>(&bytes));
            prop_assert!(canonical::<SyncResponse>(&bytes));
            prop_assert!(canonical::<PoolRequest>(&bytes));
            prop_assert!(canonical::<PoolResponse>(&bytes));
            prop_assert!(canonical::<PeersRequest>(&bytes));
            prop_assert!(canonical::<PeerList>(&bytes));
        }

        #[test]
        fn responses_round_trip(
            blocks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 124..300), 0..5),
            snapshot in proptest::collection::vec(any::<u8>(), 0..300),
            height in any::<u64>(),
        ) {
            let back = round_trip(&SyncResponse::Blocks(blocks.clone()));
            prop_assert!(matches!(back, SyncResponse::Blocks(b) if b == blocks));
            let back = round_trip(&SyncResponse::Snapshot(snapshot.clone()));
            prop_assert!(matches!(back, SyncResponse::Snapshot(b) if b == snapshot));
            let changes: Vec<(u64, Vec<u8>)> = blocks.iter().map(|b| (height, b.clone())).collect();
            let back = round_trip(&SyncResponse::SetChanges(changes.clone()));
            prop_assert!(matches!(back, SyncResponse::SetChanges(c) if c == changes));
            let ids: Vec<TxID> = blocks.iter().map(|b| TxID::from_bytes([b[0]; 32])).collect();
            let back = round_trip(&PoolResponse::Listing(ids.clone()));
            prop_assert!(matches!(back, PoolResponse::Listing(b) if b == ids));
            let back = round_trip(&PoolResponse::Txs(blocks.clone()));
            prop_assert!(matches!(back, PoolResponse::Txs(b) if b == blocks));
            let peers: Vec<(PeerId, Multiaddr)> = blocks
                .iter()
                .map(|b| {
                    let addr = format!("/ip4/10.0.{}.{}/tcp/{}", b[0], b[1], height % 65_536);
                    (PeerId::random(), addr.parse().unwrap())
                })
                .collect();
            prop_assert_eq!(round_trip(&PeerList(peers.clone())), PeerList(peers));
            let st = PeerStatus { network: BlockID::from_bytes([1; 32]), height, tip: BlockID::from_bytes([2; 32]), first_block: 2 };
            let back = round_trip(&SyncResponse::Status(st.clone()));
            prop_assert!(matches!(back, SyncResponse::Status(b) if b == st));
        }
    }

    #[test]
    fn strict_on_trailing_bytes_tags_and_counts() {
        let mut req = SyncRequest::Status.to_bytes();
        req.push(0);
        assert!(SyncRequest::from_bytes(&req).is_err());
        assert!(SyncRequest::from_bytes(&[9]).is_err());
        assert!(SyncRequest::from_bytes(&[]).is_err());
        // The pool and peers requests moved to their own protocols: their
        // old sync tags are unknown there, or (4, now set changes) need a
        // body they never had.
        assert!(SyncRequest::from_bytes(&[4]).is_err());
        assert!(SyncRequest::from_bytes(&[5]).is_err());
        assert!(SyncRequest::from_bytes(&[6]).is_err());
        // Set changes: bounded in count and in each change's size.
        let too_many = (MAX_SET_CHANGES + 1).to_le_bytes();
        assert!(SyncResponse::from_bytes(&[&[SET_CHANGES][..], &too_many].concat()).is_err());
        let big = (consensus::MAX_SET_CHANGE_BYTES as u32 + 1).to_le_bytes();
        let one = [&[SET_CHANGES, 1, 0, 0, 0][..], &[0; 8], &big].concat();
        assert!(SyncResponse::from_bytes(&one).is_err());
        assert!(PoolRequest::from_bytes(&[2]).is_err());
        assert!(PeersRequest::from_bytes(&[0]).is_err());
        // A count of 2^32 - 1 headers is refused before any allocation.
        assert!(SyncResponse::from_bytes(&[HEADERS, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(SyncResponse::from_bytes(&[BLOCKS, 65, 0, 0, 0]).is_err());
        // Pool listings and transaction lists are bounded the same way.
        let too_many = (MAX_POOL_IDS + 1).to_le_bytes();
        assert!(PoolResponse::from_bytes(&[&[LISTING][..], &too_many].concat()).is_err());
        assert!(PoolResponse::from_bytes(&[TXS, 1, 1, 0, 0]).is_err());
        assert!(PoolRequest::from_bytes(&[TXS, 1, 1, 0, 0]).is_err());
        let big = (MAX_TX_MESSAGE as u32 + 1).to_le_bytes();
        assert!(PoolResponse::from_bytes(&[&[TXS, 1, 0, 0, 0][..], &big].concat()).is_err());
        // Peer lists: bounded, and IDs and addresses must parse.
        let too_many = (MAX_PEER_ADDRS + 1).to_le_bytes();
        assert!(PeerList::from_bytes(&too_many).is_err());
        let garbage = [1, 0, 0, 0, 2, 0, 0, 0, 0xff, 0xff, 1, 0, 0, 0, 4];
        assert!(PeerList::from_bytes(&garbage).is_err());
        // A listing that claims more IDs than it carries.
        assert!(PoolResponse::from_bytes(&[LISTING, 2, 0, 0, 0]).is_err());
        // Found by the fuzzer: a reason that is not UTF-8.
        assert!(SyncResponse::from_bytes(&[ERROR, 1, 0, 0, 0, 0xff]).is_err());
        assert!(PoolResponse::from_bytes(&[ERROR, 1, 0, 0, 0, 0xff]).is_err());
        let long = SyncResponse::Error("é".repeat(300)).to_bytes();
        match SyncResponse::from_bytes(&long).unwrap() {
            SyncResponse::Error(r) => assert!(r.len() <= MAX_REASON_BYTES),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_largest_messages_fit_their_limits() {
        let txs = PoolRequest::Txs(vec![TxID::from_bytes([7; 32]); MAX_TXS as usize]);
        assert_eq!(txs.to_bytes().len(), MAX_POOL_REQUEST_BYTES);
        let listing = PoolResponse::Listing(vec![TxID::from_bytes([7; 32]); MAX_POOL_IDS as usize]);
        assert!(listing.to_bytes().len() <= MAX_POOL_RESPONSE_BYTES);
        // Transactions up to the soft limit, then one more of the largest.
        let n = TXS_RESPONSE_SOFT_LIMIT / MAX_TX_MESSAGE;
        let mut many = vec![vec![1u8; MAX_TX_MESSAGE - 1]; n];
        many.push(vec![2u8; MAX_TX_MESSAGE]);
        assert!(round_trip(&PoolResponse::Txs(many)).to_bytes().len() <= MAX_POOL_RESPONSE_BYTES);
        let blocks = SyncRequest::Blocks {
            from: u64::MAX,
            count: u32::MAX,
        };
        assert_eq!(blocks.to_bytes().len(), MAX_SYNC_REQUEST_BYTES);
        let over = vec![0u8; MAX_POOL_RESPONSE_BYTES + 1];
        assert!(PoolResponse::from_bytes(&over).is_err());
    }
}
