//! One connection: hyper's HTTP/1.1 server around the router, closed when it idles too
//! long, when a request or an answer is stuck half-way, when the connection loop needs its
//! descriptor, and at shutdown once its request in flight is answered.

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::Poll;

use axum::Router;
use axum::body::Body as AxumBody;
use axum::http::{Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::UnixStream;
use tokio::sync::{oneshot, watch};

use super::activity::{Activity, Phase, Stream, Timeouts, WatchedBody};

/// Why a connection ended.
#[derive(Debug)]
pub(super) enum Ending {
    /// The client hung up, or asked to close after its answer; or the HTTP exchange
    /// failed (a malformed request is answered 400 by hyper first).
    Finished(hyper::Result<()>),
    /// It stayed idle, or half-way through a request or an answer, past its timeout.
    TimedOut(Phase),
    /// The connection loop closed it to make room, in this phase.
    Evicted(Phase),
    /// The service is stopping and the connection had no request under way.
    Stopped,
}

/// What closes a connection from outside.
pub(super) struct Closers {
    /// Fires when the connection loop wants this connection's room.
    pub(super) evict: oneshot::Receiver<()>,
    /// Turns true when the service stops.
    pub(super) stopping: watch::Receiver<bool>,
}

/// Serves `stream` until it ends, and says why.
pub(super) async fn serve(
    stream: UnixStream,
    router: Router,
    activity: Arc<Activity>,
    timeouts: Timeouts,
    closers: Closers,
) -> Ending {
    let Closers {
        evict,
        stopping: mut stop_signal,
    } = closers;
    let io = TokioIo::new(Stream::new(stream, activity.clone()));
    let handler = Handler {
        router,
        activity: activity.clone(),
    };
    let mut connection = pin!(
        http1::Builder::new()
            // The timeouts are this module's, on every phase, not on the head alone.
            .header_read_timeout(None)
            .serve_connection(io, handler)
    );
    let mut evict = Some(evict);
    let mut stop = pin!(stop_signal.wait_for(|stopping| *stopping));
    let mut draining = false;
    let mut timer = pin!(tokio::time::sleep(timeouts.idle));
    // Polled by hand: the deadline moves whenever the connection changes phase, which
    // happens while hyper polls it, so the timer is set again after every poll.
    poll_fn(|cx| {
        if !draining && stop.as_mut().poll(cx).is_ready() {
            draining = true;
            // Answers the request under way, then closes.
            connection.as_mut().graceful_shutdown();
        }
        if let Poll::Ready(result) = connection.as_mut().poll(cx) {
            return Poll::Ready(Ending::Finished(result));
        }
        // hyper keeps waiting on a connection that never sent a request: no answer is
        // owed on an idle connection, so it is closed here. A new one is served first:
        // it was accepted before the service began to stop.
        if draining && matches!(activity.phase(), Phase::Silent { .. } | Phase::Idle { .. }) {
            return Poll::Ready(Ending::Stopped);
        }
        if let Some(receiver) = evict.as_mut()
            && let Poll::Ready(result) = Pin::new(receiver).poll(cx)
        {
            evict = None;
            // An error is the table dropping its end: no eviction.
            if result.is_ok() {
                return Poll::Ready(Ending::Evicted(activity.phase()));
            }
        }
        if let Some(deadline) = activity.deadline(timeouts) {
            if timer.deadline() != deadline {
                timer.as_mut().reset(deadline);
            }
            if timer.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Ending::TimedOut(activity.phase()));
            }
        }
        Poll::Pending
    })
    .await
}

/// The router, with the request's and the answer's bodies watched.
struct Handler {
    router: Router,
    activity: Arc<Activity>,
}

impl hyper::service::Service<Request<Incoming>> for Handler {
    type Response = Response<WatchedBody<AxumBody>>;
    type Error = Infallible;
    type Future =
        Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send + 'static>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let activity = self.activity.clone();
        let request = request.map(|body| WatchedBody::request(body, activity.clone()));
        // A `Router` is always ready: no `poll_ready` is owed before `call`.
        let answer = tower_service::Service::call(&mut self.router.clone(), request);
        Box::pin(async move {
            let response = answer.await?;
            Ok(response.map(|body| WatchedBody::answer(body, activity)))
        })
    }
}
