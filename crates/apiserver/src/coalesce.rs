//! Write coalescing for client connections: many responses, one TLS record and one syscall.
//!
//! hyper's HTTP/2 connection task writes and flushes as soon as one stream has a response.
//! Responses come in bursts (a group commit answers every create in it at once), but each
//! handler that finishes wakes the connection task, which tokio runs next on the same worker,
//! so without help every response became its own TLS record and its own `writev` on the
//! socket: the kernel's loopback send path then cost more than the response itself.
//!
//! [`Coalesce`] sits between hyper and the TLS stream. Writes only fill a buffer; a flush
//! first yields to the scheduler once (to the back of the run queue, so the other handlers
//! of the burst run and queue their responses on the connection), and only then writes
//! the buffer — everything queued meanwhile included — to TLS in one go. The cost is one
//! extra pass through the scheduler per flush; an idle connection sees no difference.
//! tokio's `BufWriter` does not fit: it writes out at once on every flush.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Buffered bytes above which a write first drains the buffer.
const MAX_BUFFERED: usize = 256 << 10;
/// Buffer capacity kept once drained: a connection that once sent a large burst (a big
/// LIST, a watch's initial state) gives the rest back, so thousands of idle or unread
/// connections do not each hold `MAX_BUFFERED`.
const KEPT_CAPACITY: usize = 8 << 10;

type Yield = Pin<Box<dyn Future<Output = ()> + Send>>;

/// An I/O stream whose writes are collected and written out once per (deferred) flush.
pub struct Coalesce<IO> {
    io: IO,
    buf: Vec<u8>,
    /// Bytes of `buf` already written to `io`.
    written: usize,
    /// The yield of the flush in progress, once started.
    yielding: Option<Yield>,
    /// The flush in progress has yielded already.
    yielded: bool,
}

impl<IO> Coalesce<IO> {
    /// Wraps `io`.
    pub fn new(io: IO) -> Self {
        Coalesce {
            io,
            buf: Vec::new(),
            written: 0,
            yielding: None,
            yielded: false,
        }
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &IO {
        &self.io
    }
}

impl<IO: AsyncWrite + Unpin> Coalesce<IO> {
    /// Writes the whole buffer to `io`.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.buf.len() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.buf[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.buf.clear();
        self.buf.shrink_to(KEPT_CAPACITY);
        self.written = 0;
        Poll::Ready(Ok(()))
    }

    fn make_room(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.buf.len() >= MAX_BUFFERED {
            ready!(self.poll_drain(cx))?;
        }
        Poll::Ready(Ok(()))
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Coalesce<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Coalesce<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.make_room(cx))?;
        self.buf.extend_from_slice(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(self.make_room(cx))?;
        let mut n = 0;
        for b in bufs {
            self.buf.extend_from_slice(b);
            n += b.len();
        }
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.written < this.buf.len() && !this.yielded {
            let yielding = this
                .yielding
                .get_or_insert_with(|| Box::pin(tokio::task::yield_now()));
            ready!(yielding.as_mut().poll(cx));
            this.yielding = None;
            this.yielded = true;
        }
        ready!(this.poll_drain(cx))?;
        this.yielded = false;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn writes_reach_the_peer_only_on_flush_and_all_in_order() {
        let (a, mut b) = tokio::io::duplex(1 << 20);
        let mut w = Coalesce::new(a);
        w.write_all(b"one ").await.unwrap();
        w.write_all(b"two").await.unwrap();
        let mut got = [0u8; 7];
        let early = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            b.read_exact(&mut got[..1]),
        )
        .await;
        assert!(early.is_err(), "nothing written before the flush");
        w.flush().await.unwrap();
        b.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"one two");
    }

    #[tokio::test]
    async fn a_full_buffer_is_written_out_without_a_flush() {
        let (a, mut b) = tokio::io::duplex(4 << 20);
        let mut w = Coalesce::new(a);
        let chunk = vec![7u8; 64 << 10];
        for _ in 0..5 {
            w.write_all(&chunk).await.unwrap();
        }
        let mut got = vec![0u8; MAX_BUFFERED];
        b.read_exact(&mut got).await.unwrap();
        assert!(got.iter().all(|&x| x == 7));
        w.shutdown().await.unwrap();
        let mut rest = Vec::new();
        b.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest.len(), 5 * (64 << 10) - MAX_BUFFERED);
    }
}
