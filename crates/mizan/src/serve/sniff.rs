//! The first-byte deadline: read just enough to tell HTTP/1 from HTTP/2, within a
//! deadline, then hand hyper a stream that replays those bytes.
//!
//! hyper-util's auto builder does this sniff itself but with no timer, so a socket that
//! never sends a byte (or trickles the 24-byte HTTP/2 preface) would keep its connection
//! slot forever. Doing the sniff here, under [`tokio::time::timeout`], bounds it; the
//! builder then sniffs again from the replayed bytes without waiting.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Reads until the protocol is known: the whole HTTP/2 preface, or a byte that differs
/// from it. `Ok(None)` when the client closed or `deadline` passed first.
pub(super) async fn first_bytes(
    mut stream: TcpStream,
    deadline: Option<Duration>,
) -> io::Result<Option<Prefixed>> {
    let mut prefix = [0u8; 24];
    let mut len = 0;
    let sniff = async {
        loop {
            let n = stream.read(&mut prefix[len..]).await?;
            if n == 0 {
                return Ok::<_, io::Error>(false);
            }
            len += n;
            if len == H2_PREFACE.len() || prefix[..len] != H2_PREFACE[..len] {
                return Ok(true);
            }
        }
    };
    let known = match deadline {
        Some(d) => tokio::time::timeout(d, sniff).await.unwrap_or(Ok(false))?,
        None => sniff.await?,
    };
    Ok(known.then_some(Prefixed {
        prefix,
        pos: 0,
        len,
        inner: stream,
    }))
}

/// A stream that first yields the bytes [`first_bytes`] read.
pub(super) struct Prefixed {
    prefix: [u8; 24],
    pos: usize,
    len: usize,
    inner: TcpStream,
}

impl AsyncRead for Prefixed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.pos < this.len {
            let n = (this.len - this.pos).min(buf.remaining());
            buf.put_slice(&this.prefix[this.pos..this.pos + n]);
            this.pos += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Prefixed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
