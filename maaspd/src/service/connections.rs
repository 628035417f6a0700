//! The connection loop: accepts connections and serves each in its own task, closes the
//! longest-idle one whenever it needs room (at the cap on connections, or out of file
//! descriptors), and at shutdown stops accepting at once, closes the idle connections and
//! lets the requests in flight finish.
//!
//! MAAS's agent opens a connection per request and never closes one: without this, every
//! request would leave a descriptor behind until the service could accept no more.

use std::future::Future;
use std::io::{self, ErrorKind};
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::watch;

use super::activity::Timeouts;
use super::connection::{self, Closers, Ending};
use super::descriptors::{self, Spare};
use super::open_connections::{Eviction, OpenConnections};

/// How the loop treats connections.
#[derive(Debug, Clone, Copy)]
pub(super) struct Settings {
    /// The driver's name, which starts the service's log lines.
    pub(super) driver: &'static str,
    pub(super) timeouts: Timeouts,
    pub(super) max_connections: usize,
}

/// Serves `router` on the connections `listener` accepts until `stop` completes, then
/// drops the listener (new clients are refused at once) and returns once every open
/// connection has closed: idle ones at once, the others after their answer.
///
/// Fails when `accept` fails for a reason other than a client giving up or the process
/// running out of descriptors: the listener is unusable, and the service is better
/// restarted by its supervisor.
pub(super) async fn serve(
    listener: UnixListener,
    router: Router,
    settings: Settings,
    stop: impl Future<Output = ()>,
) -> io::Result<()> {
    let open = Arc::new(OpenConnections::default());
    let (stopping, stop_signal) = watch::channel(false);
    let mut spare = Spare::new();
    let mut stop = pin!(stop);
    let served = loop {
        let accepted = tokio::select! {
            biased;
            () = &mut stop => break Ok(()),
            accepted = next_connection(&listener, &open, &mut spare, &settings) => accepted,
        };
        match accepted {
            Ok(stream) => spawn(stream, &router, &open, settings, &stop_signal),
            Err(error) => break Err(error),
        }
    };
    drop(listener);
    let _ = stopping.send(true);
    open.all_closed().await;
    served
}

/// Serves `stream` in its own task, counted in `open` until its socket is closed.
fn spawn(
    stream: UnixStream,
    router: &Router,
    open: &Arc<OpenConnections>,
    settings: Settings,
    stop_signal: &watch::Receiver<bool>,
) {
    let (admission, activity, evict) = open.admit();
    let closers = Closers {
        evict,
        stopping: stop_signal.clone(),
    };
    let router = router.clone();
    tokio::spawn(async move {
        let ending = connection::serve(stream, router, activity, settings.timeouts, closers).await;
        // The socket is closed by now: the place can be given back.
        drop(admission);
        log::debug!(
            "connection closed: {}",
            describe(&ending, settings.timeouts)
        );
    });
}

/// The next connection to serve, once there is room for it.
async fn next_connection(
    listener: &UnixListener,
    open: &OpenConnections,
    spare: &mut Spare,
    settings: &Settings,
) -> io::Result<UnixStream> {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                // Room is made for a client that came, never ahead of one.
                while open.len() >= settings.max_connections {
                    make_room(open).await;
                }
                return Ok(stream);
            }
            Err(error) if descriptors::exhausted(&error) => {
                if open.len() > 0 {
                    make_room(open).await;
                } else if spare.refuse_one(listener).await {
                    crate::logger::line(
                        settings.driver,
                        format_args!(
                            "refused a connection: no file descriptor left ({error}), and \
                         no connection to close: the driver's actions hold them all"
                        ),
                    );
                } else {
                    // The driver's actions hold every descriptor, even the spare one:
                    // no connection to close, and the listener stays ready. Nothing
                    // tells when an action lets go of one: look again shortly.
                    tokio::select! {
                        () = open.changed() => {}
                        () = tokio::time::sleep(OUT_OF_DESCRIPTORS_PAUSE) => {}
                    }
                }
            }
            // The client gave up before it was accepted.
            Err(error)
                if matches!(
                    error.kind(),
                    ErrorKind::ConnectionAborted
                        | ErrorKind::ConnectionReset
                        | ErrorKind::Interrupted
                ) => {}
            Err(error) => return Err(error),
        }
    }
}

/// Closes the connection idle longest and waits until it is closed. When none can be
/// closed (each is new, or making or handing over an answer, which ends within its
/// deadline), waits for the first to change instead. Meanwhile new clients wait in the
/// listener's backlog, as requests wait for a worker.
async fn make_room(open: &OpenConnections) {
    match open.evict_longest_idle() {
        Eviction::Closing(evicted) => open.closed(evicted).await,
        Eviction::NotBefore(spared_until) => tokio::select! {
            () = open.changed() => {}
            () = tokio::time::sleep_until(spared_until) => {}
        },
        Eviction::Nothing => open.changed().await,
    }
}

/// How long the loop waits for a descriptor when the driver's actions hold all of them.
const OUT_OF_DESCRIPTORS_PAUSE: Duration = Duration::from_millis(100);

fn describe(ending: &Ending, timeouts: Timeouts) -> String {
    use super::activity::Phase;
    match ending {
        Ending::Finished(Ok(())) => "done".into(),
        Ending::Finished(Err(error)) => error.to_string(),
        Ending::TimedOut(Phase::Opened { .. } | Phase::Silent { .. } | Phase::Idle { .. }) => {
            format!("idle for {} s", timeouts.idle.as_secs_f64())
        }
        Ending::TimedOut(Phase::Receiving { .. }) => format!(
            "the request was not whole after {} s",
            timeouts.read.as_secs_f64()
        ),
        Ending::TimedOut(_) => format!(
            "the answer was not taken within {} s",
            timeouts.read.as_secs_f64()
        ),
        Ending::Evicted(phase) => format!(
            "closed to make room for a new connection ({})",
            phase.name()
        ),
        Ending::Stopped => "the service is stopping".into(),
    }
}
