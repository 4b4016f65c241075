//! The framing shared by the request-response protocols
//! (docs/spec/network.md §Sync): one request or response per stream, read
//! to the end of the stream with the message's size limit checked as
//! bytes arrive.

use std::io;
use std::marker::PhantomData;

use async_trait::async_trait;
use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::request_response::Codec;
use libp2p::StreamProtocol;

use super::messages::Wire;

/// Encodes and decodes requests `Req` and responses `Resp` on a stream.
pub struct Framed<Req, Resp>(PhantomData<fn() -> (Req, Resp)>);

// Not derived: the derives would ask the messages to be `Clone` and
// `Default` too.
impl<Req, Resp> Clone for Framed<Req, Resp> {
    fn clone(&self) -> Self {
        Framed(PhantomData)
    }
}

impl<Req, Resp> Default for Framed<Req, Resp> {
    fn default() -> Self {
        Framed(PhantomData)
    }
}

async fn read_limited<T: AsyncRead + Unpin + Send>(
    io: &mut T,
    limit: usize,
) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    io.take(limit as u64 + 1).read_to_end(&mut buf).await?;
    if buf.len() > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "message over the limit",
        ));
    }
    Ok(buf)
}

fn invalid(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.to_string())
}

#[async_trait]
impl<Req: Wire, Resp: Wire> Codec for Framed<Req, Resp> {
    type Protocol = StreamProtocol;
    type Request = Req;
    type Response = Resp;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Req>
    where
        T: AsyncRead + Unpin + Send,
    {
        let bytes = read_limited(io, Req::MAX_BYTES).await?;
        Req::from_bytes(&bytes).map_err(invalid)
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Resp>
    where
        T: AsyncRead + Unpin + Send,
    {
        let bytes = read_limited(io, Resp::MAX_BYTES).await?;
        if bytes.is_empty() {
            // The peer closed the stream without answering: a missing
            // answer, not a malformed one (no response encodes to nothing).
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "no response"));
        }
        Resp::from_bytes(&bytes).map_err(invalid)
    }

    async fn write_request<T>(&mut self, _: &StreamProtocol, io: &mut T, req: Req) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        io.write_all(&req.to_bytes()).await?;
        io.close().await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Resp,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        io.write_all(&res.to_bytes()).await?;
        io.close().await
    }
}
