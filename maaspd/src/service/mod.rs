//! `DRIVER serve`: the driver as a long-running service speaking HTTP/1.1 on a UNIX
//! socket, as MAAS's power-driver extraction spec describes (`GET /metadata`,
//! `POST /query`, `/on`, `/off`, `/cycle`, `/reset`, `/set-boot-order`, and `/probe`).
//!
//! Each request builds the driver from its `context` and runs the action on tokio's
//! blocking pool, bounded by a number of workers and a deadline, so one slow BMC never
//! holds up another machine; an action still running past its request is abandoned to a
//! thread of its own, up to a limit, so that not even BMCs that never answer do. The
//! service owns its connections: idle ones and stalled ones are closed, and their number
//! is capped, so a client that never closes its connections (MAAS's agent) cannot exhaust
//! the service's file descriptors.

mod abandonment;
mod activation;
mod activity;
mod bmc_turns;
mod connection;
mod connections;
mod descriptors;
mod environment;
mod notify;
mod open_connections;
mod pool;
mod reply;
mod request;
mod routes;
mod shutdown;
mod socket;

pub(crate) use bmc_turns::Turn;

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::{PowerDriver, panic_guard};

/// How the service runs.
///
/// ```
/// # use maaspd::PowerState;
/// # #[maaspd::parameters] struct Lamp {}
/// # #[maaspd::power_driver(description = "A lamp", name = "lamp", main = false)]
/// # impl Lamp {
/// #   fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::On) }
/// # }
/// let mut options = maaspd::service::Options::for_driver::<Lamp>();
/// // Outside a snap:
/// assert_eq!(options.socket.to_str(), Some("/run/maas/power-driver/lamp.sock"));
/// // What `--socket` does:
/// options.socket = "/tmp/lamp.sock".into();
/// options.socket_given = true;
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// The UNIX socket to listen on, unless systemd passes one (socket activation).
    pub socket: PathBuf,
    /// Whether `socket` was asked for (`--socket`) rather than defaulted. A socket
    /// systemd passes is served either way, but then it must be this one, or `serve`
    /// fails: the unit and the command line would disagree on where MAAS finds the driver.
    pub socket_given: bool,
    /// How many actions may run at once; further requests wait their turn.
    pub workers: usize,
    /// How many actions may run on, abandoned, after their request stopped waiting
    /// (deadline passed or client gone) without holding a worker. Beyond it an
    /// overrunning action keeps its worker until it returns. The service's threads stay
    /// under `workers + max_abandoned` (and a few of its own) however many BMCs hang.
    pub max_abandoned: usize,
    /// How many actions may run at once against one BMC (the machines whose driver's
    /// BMC key setting has one value); the driver's `max_per_bmc`, by default. Only for a
    /// driver with a BMC key (`bmc_key`, or `ip_extractor`'s setting).
    pub max_per_bmc: usize,
    /// How long a request may take, its wait for a worker included, before it is
    /// answered 503; keep it under [`MAAS_CLIENT_TIMEOUT`] (see [`DEFAULT_TIMEOUT`]).
    pub timeout: Duration,
    /// How long a connection may stay idle between requests before the service closes
    /// it.
    pub idle_timeout: Duration,
    /// How long a client may take to send a whole request, from its first byte, and to
    /// take its answer, before the service closes the connection.
    pub read_timeout: Duration,
    /// How many connections may be open at once. A new connection beyond it closes the
    /// one idle longest; when every one is in the middle of a request, the new one waits
    /// for the first to finish.
    pub max_connections: usize,
}

/// Where MAAS's agent looks for driver sockets when MAAS is installed from its deb
/// package: the agent scans this directory (and those below it) for `*.sock`.
///
/// ```
/// assert_eq!(maaspd::service::SOCKET_DIRECTORY, "/run/maas/power-driver");
/// ```
pub const SOCKET_DIRECTORY: &str = "/run/maas/power-driver";

/// Where MAAS's agent looks for driver sockets, given the value of `SNAP_INSTANCE_NAME`:
/// inside snap `NAME`, `/run/snap.NAME/power-driver`; elsewhere (unset or empty)
/// [`SOCKET_DIRECTORY`]. This is the agent's own rule, for a driver that runs where the
/// agent does; a driver in a snap of its own is best socket-activated at a path the
/// two snaps share.
///
/// ```
/// use std::path::Path;
/// use maaspd::service::socket_directory;
///
/// assert_eq!(socket_directory(None), Path::new("/run/maas/power-driver"));
/// assert_eq!(socket_directory(Some("".as_ref())), Path::new("/run/maas/power-driver"));
/// assert_eq!(socket_directory(Some("maas".as_ref())), Path::new("/run/snap.maas/power-driver"));
/// ```
pub fn socket_directory(snap_instance_name: Option<&OsStr>) -> PathBuf {
    match snap_instance_name.filter(|name| !name.is_empty()) {
        Some(name) => {
            let mut run = OsString::from("/run/snap.");
            run.push(name);
            PathBuf::from(run).join("power-driver")
        }
        None => PathBuf::from(SOCKET_DIRECTORY),
    }
}

/// Actions running at once, by default: 1,000 queries of 200 ms each take a second.
///
/// ```
/// assert!(maaspd::service::DEFAULT_WORKERS >= 64);
/// ```
pub const DEFAULT_WORKERS: usize = 256;

/// Actions that may run on past their request, by default (see
/// [`Options::max_abandoned`]): room for a few racks of BMCs that never answer, at the
/// cost of a parked thread each (its stack's touched pages: about 18 KiB resident).
///
/// ```
/// assert!(maaspd::service::DEFAULT_MAX_ABANDONED >= maaspd::service::DEFAULT_WORKERS);
/// ```
pub const DEFAULT_MAX_ABANDONED: usize = 1024;

/// How long MAAS's agent waits for an answer (its socket client's timeout) before it
/// gives up on a request with its own bare timeout error.
///
/// ```
/// assert_eq!(maaspd::service::MAAS_CLIENT_TIMEOUT.as_secs(), 10);
/// ```
pub const MAAS_CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// A request's deadline, by default: 2 s under [`MAAS_CLIENT_TIMEOUT`], so that MAAS
/// reads the service's 503 and its reason ("timed out after 8 s") rather than giving up
/// first. The agent's clock starts before the service's (it connects and sends first) and
/// runs until the answer is read, on a rack controller that may be busy. A longer
/// `--timeout` is allowed, with a warning at start.
///
/// ```
/// use maaspd::service::{DEFAULT_TIMEOUT, MAAS_CLIENT_TIMEOUT};
/// assert_eq!(DEFAULT_TIMEOUT.as_secs(), 8);
/// assert!(DEFAULT_TIMEOUT < MAAS_CLIENT_TIMEOUT);
/// ```
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(8);

/// How long an idle connection stays open, by default. MAAS's agent never sends a second
/// request on a connection, nor closes one: its connections are closed by the service.
///
/// ```
/// assert_eq!(maaspd::service::DEFAULT_IDLE_TIMEOUT.as_secs(), 5);
/// ```
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a client may take to send a request or to take an answer, by default.
/// MAAS's agent sends its request, a few KiB, at once.
///
/// ```
/// assert_eq!(maaspd::service::DEFAULT_READ_TIMEOUT.as_secs(), 5);
/// ```
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(5);

impl Options {
    /// The defaults for driver `D`: the socket `NAME.sock` where MAAS's agent looks for it
    /// ([`socket_directory`] of this process's `SNAP_INSTANCE_NAME`:
    /// `/run/maas/power-driver/NAME.sock` outside a snap), 256 workers, up to 1,024
    /// abandoned actions, an 8 s deadline, idle connections closed after 5 s, requests to
    /// be sent within 5 s, and up to half the process's open-file limit (`ulimit -n`) in
    /// connections: the other half is left for what the driver opens to reach its BMCs.
    ///
    /// ```
    /// # use maaspd::PowerState;
    /// # #[maaspd::parameters] struct Lamp {}
    /// # #[maaspd::power_driver(description = "A lamp", name = "lamp", main = false)]
    /// # impl Lamp {
    /// #   fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
    /// #   fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
    /// #   fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::On) }
    /// # }
    /// let options = maaspd::service::Options::for_driver::<Lamp>();
    /// assert_eq!(options.workers, maaspd::service::DEFAULT_WORKERS);
    /// assert_eq!(options.max_abandoned, maaspd::service::DEFAULT_MAX_ABANDONED);
    /// ```
    pub fn for_driver<D: PowerDriver>() -> Options {
        let directory = socket_directory(std::env::var_os("SNAP_INSTANCE_NAME").as_deref());
        Options {
            socket: directory.join(format!("{}.sock", D::NAME)),
            socket_given: false,
            workers: DEFAULT_WORKERS,
            max_abandoned: DEFAULT_MAX_ABANDONED,
            max_per_bmc: D::MAX_PER_BMC,
            timeout: DEFAULT_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            max_connections: descriptors::default_max_connections(),
        }
    }
}

/// What every request handler shares.
struct Shared {
    pool: pool::Pool,
    bmc_turns: bmc_turns::BmcTurns,
    timeout: Duration,
}

impl Shared {
    fn new(workers: usize, max_abandoned: usize, max_per_bmc: usize, timeout: Duration) -> Shared {
        Shared {
            pool: pool::Pool::new(workers, max_abandoned),
            bmc_turns: bmc_turns::BmcTurns::new(max_per_bmc),
            timeout,
        }
    }
}

/// The routes of driver `D`, bounded as `options` say (workers, abandoned actions, turns
/// per BMC, deadline): what `serve` answers on its socket, and `testing::Service`
/// in-process.
pub(crate) fn router<D: PowerDriver>(options: &Options) -> axum::Router {
    routes::router::<D>(Arc::new(Shared::new(
        options.workers,
        options.max_abandoned,
        options.max_per_bmc,
        options.timeout,
    )))
}

/// The runtime the routes run on: tokio's multi-threaded one, whose blocking pool has a
/// thread for each worker and each abandoned action.
pub(crate) fn runtime(options: &Options) -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // No action ever waits for a thread, however many hang, and there are never more.
        .max_blocking_threads(blocking_threads(options))
        // An action that returns gives its thread back soon, not after tokio's 10 s.
        .thread_keep_alive(BLOCKING_THREAD_KEEP_ALIVE)
        .enable_all()
        .build()
}

/// Serves driver `D` until SIGTERM or SIGINT; then stops taking connections, removes the
/// socket, closes the idle connections and finishes the requests in flight.
///
/// Under systemd, socket activation and supervision (`Type=notify`) are understood:
/// - A socket systemd passed for this process (`LISTEN_FDS`, `LISTEN_PID`) is served as
///   it is instead of `options.socket`: the only one passed, or among several the one
///   named after the driver (`FileDescriptorName=NAME`). Its file is systemd's and stays
///   when the service stops. The `LISTEN_*` variables are unset, so that the tools a
///   driver runs do not inherit them.
/// - `READY=1` once the service accepts requests, `WATCHDOG=1` every half of
///   `WATCHDOG_USEC` when systemd asks for it (`WatchdogSec=`), `STOPPING=1` on SIGTERM,
///   through `NOTIFY_SOCKET`.
///
/// `contrib/systemd/` in maaspd's repository has a unit pair to start from.
///
/// Fails when the socket cannot be taken: another server listens on it, the path
/// is not a socket, or systemd passed one that is not a listening UNIX stream socket
/// (or not at `options.socket` when [`Options::socket_given`]).
///
/// ```no_run
/// # use maaspd::PowerState;
/// # #[maaspd::parameters] struct Lamp {}
/// # #[maaspd::power_driver(description = "A lamp", name = "lamp", main = false)]
/// # impl Lamp {
/// #   fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::On) }
/// # }
/// let mut options = maaspd::service::Options::for_driver::<Lamp>();
/// options.timeout = std::time::Duration::from_secs(30);
/// maaspd::service::serve::<Lamp>(options)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn serve<D: PowerDriver>(options: Options) -> io::Result<()> {
    panic_guard::install_quiet_hook();
    // The driver's own log lines, when `serve` is called without the command line.
    crate::logger::install(D::NAME, D::CRATE);
    // systemd's variables are read, and unset, before the runtime starts its threads.
    let socket = socket::Listening::open(&options, D::NAME)?;
    let supervisor = notify::Supervisor::from_environment(D::NAME);
    let runtime = runtime(&options)?;
    let served = runtime.block_on(serve_until_stopped::<D>(options, socket, supervisor));
    // Actions that overran their deadline may still run: they are abandoned, not awaited.
    runtime.shutdown_background();
    served
}

/// How long an idle blocking thread waits for another action before it exits.
const BLOCKING_THREAD_KEEP_ALIVE: Duration = Duration::from_millis(500);

/// The blocking pool's cap: every worker's action, and every abandoned one, has a thread.
fn blocking_threads(options: &Options) -> usize {
    options.workers.max(1).saturating_add(options.max_abandoned)
}

async fn serve_until_stopped<D: PowerDriver>(
    options: Options,
    mut socket: socket::Listening,
    supervisor: notify::Supervisor,
) -> io::Result<()> {
    if options.timeout > DEFAULT_TIMEOUT {
        crate::logger::line(
            D::NAME,
            format_args!(
                "warning: a {} s deadline leaves MAAS too little time: its agent gives up \
             on a request after {} s, and then reports its own timeout instead of the \
             driver's answer; {} s or less leaves room for the answer",
                options.timeout.as_secs_f64(),
                MAAS_CLIENT_TIMEOUT.as_secs(),
                DEFAULT_TIMEOUT.as_secs()
            ),
        );
    }
    let settings = connections::Settings {
        driver: D::NAME,
        timeouts: activity::Timeouts {
            idle: options.idle_timeout,
            read: options.read_timeout,
        },
        max_connections: options.max_connections.max(1),
    };
    let per_bmc = match D::BMC_KEY {
        Some(key) => format!(
            ", up to {} actions at once per {key}",
            options.max_per_bmc.max(1)
        ),
        None => String::new(),
    };
    crate::logger::line(
        D::NAME,
        format_args!(
            "serving on {} ({} workers, {} s deadline, up to {} actions abandoned past \
         it, up to {} connections{per_bmc})",
            socket,
            options.workers,
            options.timeout.as_secs_f64(),
            options.max_abandoned,
            settings.max_connections
        ),
    );
    let file = socket.file();
    let stopping = async move {
        shutdown::signal(D::NAME).await;
        supervisor.stopping();
        // From now on MAAS's agent neither finds nor reaches this service (unless systemd
        // holds the socket, to start it again); the requests in flight are finished.
        if let Some(file) = file {
            file.remove();
        }
        crate::logger::line(
            D::NAME,
            format_args!("stopping; finishing the requests in flight"),
        );
    };
    let listener = socket.take_listener()?;
    supervisor.ready(&format!("serving on {socket}"));
    connections::serve(listener, router::<D>(&options), settings, stopping).await?;
    crate::logger::line(D::NAME, format_args!("stopped"));
    Ok(())
}
