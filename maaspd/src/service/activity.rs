//! What a connection is doing, as the bytes and bodies passing through it tell: waiting for
//! a request, receiving one, making an answer, or handing the answer to the socket. The
//! connection loop closes a connection by it (idle too long, stuck half-way through a
//! request or an answer), and picks by it which connection to close when it needs room.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

/// Where a connection is in the cycle of request and answer, and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Accepted at `since`, and not yet read from: its request may be waiting in the
    /// socket, so it is not idle yet.
    Opened { since: Instant },
    /// Opened at `since`, read from, and nothing came yet: its client may be about to
    /// send (see [`EVICTION_GRACE`]).
    Silent { since: Instant },
    /// No request under way since the last answer was handed to the socket, at `since`.
    Idle { since: Instant },
    /// The first bytes of a request arrived at `since`; the request is not whole yet.
    Receiving { since: Instant },
    /// The request is whole and its answer is being made (the action's deadline bounds it).
    Handling,
    /// The answer was made at `since` and is not all handed to the socket yet.
    Answering { since: Instant },
}

impl Phase {
    /// The phase in a word or two, for the log.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Phase::Opened { .. } => "new",
            Phase::Silent { .. } => "silent",
            Phase::Idle { .. } => "idle",
            Phase::Receiving { .. } => "receiving a request",
            Phase::Handling => "handling a request",
            Phase::Answering { .. } => "answering",
        }
    }
}

/// How long a connection that has sent nothing yet, or is in the middle of sending a
/// request, is spared when the connection loop needs room: its client may be about to
/// send, or sending, and closing it would lose a request. Past it, the connection is
/// taken as stalled.
pub(super) const EVICTION_GRACE: Duration = Duration::from_secs(1);

/// How long a connection may stay in a phase where the service waits for its client.
#[derive(Debug, Clone, Copy)]
pub(super) struct Timeouts {
    /// Between requests.
    pub(super) idle: Duration,
    /// From the first byte of a request to its last, and from an answer to its last byte
    /// taken by the socket.
    pub(super) read: Duration,
}

/// One connection's phase, shared by its stream, its bodies, its task and the table of
/// open connections.
#[derive(Debug)]
pub(super) struct Activity {
    phase: Mutex<Phase>,
    /// Told when this connection goes idle, or is first read from: the connection loop,
    /// waiting for room while no connection could be closed, may now close this one.
    changed: Arc<Notify>,
}

impl Activity {
    pub(super) fn new(changed: Arc<Notify>) -> Activity {
        Activity {
            phase: Mutex::new(Phase::Opened {
                since: Instant::now(),
            }),
            changed,
        }
    }

    pub(super) fn phase(&self) -> Phase {
        *self.lock()
    }

    /// When the connection is to be closed for keeping the service waiting, if it is in a
    /// phase where the client has the next move.
    pub(super) fn deadline(&self, timeouts: Timeouts) -> Option<Instant> {
        match self.phase() {
            Phase::Opened { since } | Phase::Silent { since } | Phase::Idle { since } => {
                Some(since + timeouts.idle)
            }
            Phase::Receiving { since } | Phase::Answering { since } => Some(since + timeouts.read),
            Phase::Handling => None,
        }
    }

    /// A read on the socket brought `bytes` (none: nothing waiting, or the end).
    fn read(&self, bytes: usize) {
        let mut phase = self.lock();
        let first = matches!(*phase, Phase::Opened { .. });
        match *phase {
            Phase::Opened { .. } | Phase::Silent { .. } | Phase::Idle { .. } if bytes > 0 => {
                *phase = Phase::Receiving {
                    since: Instant::now(),
                };
            }
            Phase::Opened { since } => *phase = Phase::Silent { since },
            _ => {}
        }
        drop(phase);
        if first {
            self.changed.notify_one();
        }
    }

    fn request_received(&self) {
        *self.lock() = Phase::Handling;
    }

    fn answer_made(&self) {
        *self.lock() = Phase::Answering {
            since: Instant::now(),
        };
    }

    fn answer_flushed(&self) {
        let mut phase = self.lock();
        if let Phase::Answering { .. } = *phase {
            *phase = Phase::Idle {
                since: Instant::now(),
            };
            drop(phase);
            self.changed.notify_one();
        }
    }

    fn lock(&self) -> MutexGuard<'_, Phase> {
        // A phase is a plain value, whole after any panic.
        self.phase
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A connection's socket, telling its [`Activity`] when it is first read from, when a
/// request begins to arrive, and when an answer has been handed over.
pub(super) struct Stream<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Stream<S> {
    pub(super) fn new(inner: S, activity: Arc<Activity>) -> Stream<S> {
        Stream { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Stream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if !matches!(polled, Poll::Ready(Err(_))) {
            self.activity.read(buf.filled().len() - before);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Stream<S> {
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

    /// hyper flushes once everything it buffered is written: an answer made before is
    /// now all in the socket.
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        if matches!(polled, Poll::Ready(Ok(()))) {
            self.activity.answer_flushed();
        }
        polled
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Which body a [`WatchedBody`] is, and so what it tells its [`Activity`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    /// A request's: when the request is whole.
    Request,
    /// An answer's: when hyper is done with it. hyper drops a body once its last bytes
    /// are in its write buffer, before flushing them.
    Answer,
}

/// A request's or an answer's body, telling its [`Activity`] how the exchange goes.
pub(super) struct WatchedBody<B> {
    inner: B,
    activity: Arc<Activity>,
    side: Side,
}

impl<B: Body> WatchedBody<B> {
    /// Wraps the body of a request whose head has arrived; a request without a body is
    /// whole at once.
    pub(super) fn request(inner: B, activity: Arc<Activity>) -> WatchedBody<B> {
        if inner.is_end_stream() {
            activity.request_received();
        }
        let side = Side::Request;
        WatchedBody {
            inner,
            activity,
            side,
        }
    }

    /// Wraps an answer's body.
    pub(super) fn answer(inner: B, activity: Arc<Activity>) -> WatchedBody<B> {
        let side = Side::Answer;
        WatchedBody {
            inner,
            activity,
            side,
        }
    }
}

impl<B: Body + Unpin> Body for WatchedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        let whole = match &polled {
            Poll::Ready(Some(Ok(_))) => self.inner.is_end_stream(),
            // The end, or a client that hung up half-way: nothing more will come.
            Poll::Ready(None | Some(Err(_))) => true,
            Poll::Pending => false,
        };
        if whole && self.side == Side::Request {
            self.activity.request_received();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    // Forwarded so that hyper sends an answer's `Content-Length`.
    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B> Drop for WatchedBody<B> {
    fn drop(&mut self) {
        if self.side == Side::Answer {
            self.activity.answer_made();
        }
    }
}

#[cfg(test)]
pub(super) mod tests;
