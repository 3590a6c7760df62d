//! Connection deadlines, as upstream's HTTPS server keeps them (Go's `http.Server` with
//! `ReadHeaderTimeout: 32s`, `IdleTimeout: 90s`): a connection has the header timeout to
//! finish its TLS handshake and then to send each request's headers; a keep-alive
//! connection with no request in flight is closed after the idle timeout (HTTP/2: a
//! GOAWAY). A request in flight — a watch, a long list, an exec stream — holds its
//! connection open for as long as it lasts: deadlines only apply between requests.
//!
//! [`Activity`] is shared by a connection's reader ([`Tracked`], under hyper), its
//! requests ([`Activity::begin`], a guard that lives as long as the response body) and the
//! watchdog in the accept loop that asks [`Activity::verdict`] what to do.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// The deadlines of client connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// For the TLS handshake, and for each request's headers once its first byte arrived
    /// (the first request's from the handshake on). Upstream: 32 s.
    pub header: Duration,
    /// For a connection with no request in flight. Upstream: 90 s.
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            header: Duration::from_secs(32),
            idle: Duration::from_secs(90),
        }
    }
}

/// What the watchdog should do with a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Leave it; look again at this instant.
    KeepUntil(Instant),
    /// Close it gracefully (HTTP/2: GOAWAY; HTTP/1.1: close once idle).
    Shutdown,
    /// Drop it now: a client that stopped sending half a request.
    Close,
}

#[derive(Debug)]
struct State {
    /// Requests whose response (body included) is not finished.
    in_flight: usize,
    /// When the connection last had no request in flight.
    idle_since: Instant,
    /// The first byte read since then (the start of the next request's headers).
    first_byte: Option<Instant>,
    /// Whether any request was served: the first request has no idle phase.
    served: bool,
}

/// The activity of one connection.
#[derive(Debug)]
pub struct Activity {
    state: Mutex<State>,
    http2: bool,
}

impl Activity {
    /// A connection whose handshake just finished.
    pub fn new(http2: bool) -> Arc<Self> {
        Arc::new(Activity {
            state: Mutex::new(State {
                in_flight: 0,
                idle_since: Instant::now(),
                first_byte: None,
                served: false,
            }),
            http2,
        })
    }

    fn on_read(&self) {
        let mut s = self.state.lock();
        if s.in_flight == 0 && s.first_byte.is_none() {
            s.first_byte = Some(Instant::now());
        }
    }

    /// A request starts; the guard ends it when dropped (with its response body).
    pub fn begin(self: &Arc<Self>) -> InFlight {
        let mut s = self.state.lock();
        s.in_flight += 1;
        s.served = true;
        InFlight(self.clone())
    }

    fn end(&self) {
        let mut s = self.state.lock();
        s.in_flight -= 1;
        if s.in_flight == 0 {
            s.idle_since = Instant::now();
            s.first_byte = None;
        }
    }

    /// What to do with the connection at `now`.
    pub fn verdict(&self, now: Instant, t: Timeouts) -> Verdict {
        let s = self.state.lock();
        if s.in_flight > 0 {
            // a request is being served: look again when it could have ended
            return Verdict::KeepUntil(now + t.header.min(t.idle));
        }
        if self.http2 {
            // HTTP/2 clients ping idle connections: only open streams count
            let deadline = s.idle_since
                + if s.served {
                    t.idle
                } else {
                    t.header.min(t.idle)
                };
            return if now >= deadline {
                Verdict::Shutdown
            } else {
                Verdict::KeepUntil(deadline)
            };
        }
        let (deadline, verdict) = match s.first_byte {
            // headers under way
            Some(first) => (first + t.header, Verdict::Close),
            None if !s.served => (s.idle_since + t.header, Verdict::Close),
            None => (s.idle_since + t.idle, Verdict::Shutdown),
        };
        if now >= deadline {
            verdict
        } else {
            Verdict::KeepUntil(deadline)
        }
    }
}

/// A request in flight on a connection.
pub struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.end();
    }
}

/// A response body that keeps its request in flight until it is finished or dropped.
pub struct GuardedBody<B> {
    body: B,
    _guard: InFlight,
}

impl<B> GuardedBody<B> {
    /// `body`, counted in flight until done.
    pub fn new(body: B, guard: InFlight) -> Self {
        GuardedBody {
            body,
            _guard: guard,
        }
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for GuardedBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A stream whose reads are reported to the connection's [`Activity`].
pub struct Tracked<IO> {
    io: IO,
    activity: Arc<Activity>,
}

impl<IO> Tracked<IO> {
    /// Wraps `io`.
    pub fn new(io: IO, activity: Arc<Activity>) -> Self {
        Tracked { io, activity }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Tracked<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.on_read();
        }
        r
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Tracked<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timeouts = Timeouts {
        header: Duration::from_secs(32),
        idle: Duration::from_secs(90),
    };

    #[tokio::test(start_paused = true)]
    async fn http1_deadlines() {
        let a = Activity::new(false);
        let t0 = Instant::now();
        // the first request's headers are due within the header timeout
        assert_eq!(a.verdict(t0, T), Verdict::KeepUntil(t0 + T.header));
        assert_eq!(a.verdict(t0 + T.header, T), Verdict::Close);
        // a request in flight holds the connection however long it takes
        let g = a.begin();
        assert!(matches!(
            a.verdict(t0 + Duration::from_secs(3600), T),
            Verdict::KeepUntil(_)
        ));
        tokio::time::advance(Duration::from_secs(10)).await;
        drop(g);
        let idle = Instant::now();
        // then it may idle for the idle timeout
        assert_eq!(a.verdict(idle, T), Verdict::KeepUntil(idle + T.idle));
        assert_eq!(a.verdict(idle + T.idle, T), Verdict::Shutdown);
        // once a request's first byte came, its headers are due within the header timeout
        tokio::time::advance(Duration::from_secs(5)).await;
        a.on_read();
        let first = Instant::now();
        assert_eq!(a.verdict(first, T), Verdict::KeepUntil(first + T.header));
        assert_eq!(a.verdict(first + T.header, T), Verdict::Close);
    }

    #[tokio::test(start_paused = true)]
    async fn http2_deadlines() {
        let a = Activity::new(true);
        let t0 = Instant::now();
        a.on_read();
        assert_eq!(a.verdict(t0 + T.header, T), Verdict::Shutdown);
        let g = a.begin();
        assert!(matches!(
            a.verdict(t0 + T.idle * 10, T),
            Verdict::KeepUntil(_)
        ));
        drop(g);
        let idle = Instant::now();
        // pings and window updates do not count: only streams
        a.on_read();
        assert_eq!(
            a.verdict(idle + T.header, T),
            Verdict::KeepUntil(idle + T.idle)
        );
        assert_eq!(a.verdict(idle + T.idle, T), Verdict::Shutdown);
    }
}
