//! Write coalescing for HTTP/2 connections.
//!
//! One write to the store wakes every watcher of the resource; each
//! watcher's stream hands its event to the connection, and tokio runs the
//! woken connection task straight away (its LIFO slot). Unwrapped, an HTTP/2
//! connection carrying 100 watchers would then encrypt and `writev` one TLS
//! record per event frame, and at 10k watchers those syscalls are most of
//! the server's time.
//!
//! [`Corked`] buffers what the connection writes and, asked to flush, yields
//! (wakes itself and returns `Pending`) so the other streams woken by the
//! same write can queue their frames first. It yields again while the
//! buffer keeps growing between turns (at most [`MAX_YIELDS`] times), then
//! writes everything in one run of TLS records and one syscall. A full
//! buffer (64 KiB) is written at once. The cost for a lone response is one
//! scheduler turn.
//!
//! Used for HTTP/2 only (ALPN `h2`): its codec calls `poll_flush` again
//! whenever it is polled, so buffered bytes always go out.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Bytes buffered before they are written without waiting for a flush.
const LIMIT: usize = 64 * 1024;
/// Turns a flush may wait for more frames.
pub const MAX_YIELDS: u8 = 8;

/// An IO stream whose writes are coalesced until a flush (see the module docs).
#[derive(Debug)]
pub struct Corked<T> {
    inner: T,
    buf: Vec<u8>,
    /// Bytes of `buf` already written to `inner`.
    written: usize,
    /// Buffer length when the pending flush last yielded.
    yielded_at: Option<usize>,
    /// Turns the pending flush has yielded.
    yields: u8,
}

impl<T> Corked<T> {
    /// Wraps a stream.
    pub fn new(inner: T) -> Corked<T> {
        Corked {
            inner,
            buf: Vec::new(),
            written: 0,
            yielded_at: None,
            yields: 0,
        }
    }
}

impl<T: AsyncWrite + Unpin> Corked<T> {
    /// Writes the whole buffer to the inner stream.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.buf.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.buf[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.buf.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Corked<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Corked<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.buf.len() + data.len() > LIMIT {
            ready!(this.poll_drain(cx))?;
            if data.len() >= LIMIT {
                return Pin::new(&mut this.inner).poll_write(cx, data);
            }
        }
        this.buf.extend_from_slice(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if this.buf.len() + total > LIMIT {
            ready!(this.poll_drain(cx))?;
            if total >= LIMIT {
                return Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
            }
        }
        for b in bufs {
            this.buf.extend_from_slice(b);
        }
        Poll::Ready(Ok(total))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let pending = this.buf.len() > this.written;
        if pending && this.yielded_at != Some(this.buf.len()) && this.yields < MAX_YIELDS {
            // Let the other tasks woken with this one queue their frames.
            this.yielded_at = Some(this.buf.len());
            this.yields += 1;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        ready!(this.poll_drain(cx))?;
        this.yielded_at = None;
        this.yields = 0;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn bytes_reach_the_peer_only_on_flush_and_in_order() {
        let (a, mut b) = tokio::io::duplex(1 << 20);
        let mut w = Corked::new(a);
        w.write_all(b"one ").await.unwrap();
        w.write_all(b"two").await.unwrap();
        let mut probe = [0u8; 16];
        // Nothing is readable before the flush.
        let early = tokio::time::timeout(std::time::Duration::ZERO, b.read(&mut probe)).await;
        assert!(early.is_err(), "data went out before flush");
        w.flush().await.unwrap();
        let mut got = vec![0u8; 7];
        b.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"one two");
    }

    #[tokio::test]
    async fn large_writes_pass_through_and_shutdown_drains() {
        let (a, mut b) = tokio::io::duplex(1 << 20);
        let mut w = Corked::new(a);
        let big = vec![7u8; LIMIT + 10];
        w.write_all(b"head").await.unwrap();
        w.write_all(&big).await.unwrap();
        w.write_all(b"tail").await.unwrap();
        w.shutdown().await.unwrap();
        let mut got = Vec::new();
        b.read_to_end(&mut got).await.unwrap();
        assert_eq!(got.len(), 4 + big.len() + 4);
        assert_eq!(&got[..4], b"head");
        assert_eq!(&got[got.len() - 4..], b"tail");
    }
}
