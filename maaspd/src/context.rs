//! What an action knows of the call it serves: its deadline, whether the runtime still
//! waits for it, and the machine it acts on.

pub(crate) mod current;
pub(crate) mod signal;
mod wait;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{Action, Error, Result};
use signal::{Reason, Signal};

/// The call an action serves, given to any action method that asks for it with a
/// `ctx: &maaspd::Context` right after `&self`.
///
/// A driver that waits on its BMC, polls it or runs a tool should stop when the
/// runtime no longer waits for it: past the deadline (`--timeout` in the CLI, the
/// request's deadline in `serve`), or when `serve` answered the request without it (its
/// client went away). A service shutting down lets its actions run to their end or
/// deadline. [`sleep`](Context::sleep) and
/// [`wait_until`](Context::wait_until) stop by themselves; a loop of its own checks
/// [`is_cancelled`](Context::is_cancelled) or [`check`](Context::check).
///
/// While the action runs, the driver's `maaspd::log` lines name the action and the
/// machine: `mydriver: info: power_on system_id=abc123: ...`.
///
/// ```
/// use std::time::Duration;
/// use maaspd::{Action, Context, PowerState, testing};
/// use maaspd::serde_json::json;
///
/// /// A BMC that takes a while to switch.
/// #[maaspd::parameters]
/// struct Slow {}
///
/// #[maaspd::power_driver(description = "A slow BMC", main = false)]
/// impl Slow {
///     fn power_on(&self, ctx: &Context) -> maaspd::Result<()> {
///         maaspd::log::info!("switching on, {:?} left", ctx.time_left());
///         ctx.wait_until("reached on", || Ok(self.power_query()? == PowerState::On))
///     }
///     fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
///     fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::Off) }
/// }
///
/// // The first check comes after 1 s, past the deadline: MAAS would retry later.
/// let input = json!({"driverParameters": {"system_id": "abc123"}});
/// let response = testing::run_with_deadline::<Slow>(Action::PowerOn, input, Duration::from_millis(300));
/// assert_eq!(response.error().unwrap().message(), "timed out after 0.3 s");
/// ```
#[derive(Debug)]
pub struct Context {
    action: Action,
    system_id: Option<String>,
    deadline: Option<Deadline>,
    signal: Arc<Signal>,
    /// `serve`'s turn at the machine's BMC: released with the context, so only once
    /// every part of the call is over, a blocking call abandoned past its request
    /// included.
    #[cfg(feature = "service")]
    bmc_turn: Option<crate::service::Turn>,
}

/// When the call ends, and the limit it was given, for the message.
#[derive(Debug, Clone, Copy)]
struct Deadline {
    at: Instant,
    limit: Duration,
}

impl Context {
    /// The context of a call of `action` with no deadline, no machine, never
    /// cancelled: what the CLI gives without `--timeout`, and a start for calling a
    /// driver's method directly in a test.
    ///
    /// ```
    /// use maaspd::{Action, Context};
    ///
    /// let ctx = Context::new(Action::PowerOn);
    /// assert_eq!(ctx.action(), Action::PowerOn);
    /// assert_eq!((ctx.deadline(), ctx.time_left(), ctx.system_id()), (None, None, None));
    /// assert!(!ctx.is_cancelled());
    /// ```
    pub fn new(action: Action) -> Context {
        Context {
            action,
            system_id: None,
            deadline: None,
            signal: Arc::default(),
            #[cfg(feature = "service")]
            bmc_turn: None,
        }
    }

    /// This context with a deadline `limit` from now.
    ///
    /// ```
    /// use std::time::Duration;
    /// use maaspd::{Action, Context};
    ///
    /// let ctx = Context::new(Action::PowerQuery).with_timeout(Duration::from_secs(8));
    /// assert!(ctx.time_left().unwrap() <= Duration::from_secs(8));
    /// ```
    pub fn with_timeout(self, limit: Duration) -> Context {
        self.with_deadline(Instant::now(), limit)
    }

    /// This context for machine `system_id`.
    ///
    /// ```
    /// use maaspd::{Action, Context};
    ///
    /// let ctx = Context::new(Action::PowerOff).with_system_id("abc123");
    /// assert_eq!(ctx.system_id(), Some("abc123"));
    /// ```
    pub fn with_system_id(mut self, system_id: impl Into<String>) -> Context {
        self.system_id = Some(system_id.into());
        self
    }

    /// A deadline `limit` after `started` (a request's arrival, in `serve`).
    pub(crate) fn with_deadline(mut self, started: Instant, limit: Duration) -> Context {
        self.deadline = Some(Deadline {
            at: started + limit,
            limit,
        });
        self
    }

    /// The action being run (for `power_cycle`, also while it calls `power_off` and
    /// `power_on`).
    ///
    /// ```
    /// # use maaspd::{Action, Context};
    /// assert_eq!(Context::new(Action::PowerCycle).action(), Action::PowerCycle);
    /// ```
    pub fn action(&self) -> Action {
        self.action
    }

    /// The machine acted on: `system_id` in the driver parameters, as MAAS adds it to
    /// every machine's; `None` when absent.
    ///
    /// ```
    /// # use maaspd::{Action, Context};
    /// assert_eq!(Context::new(Action::PowerOn).system_id(), None);
    /// ```
    pub fn system_id(&self) -> Option<&str> {
        self.system_id.as_deref()
    }

    /// When the runtime stops waiting for the action: `None` when it waits for as long
    /// as the action takes (the CLI without `--timeout`).
    ///
    /// ```
    /// # use std::time::{Duration, Instant};
    /// # use maaspd::{Action, Context};
    /// let ctx = Context::new(Action::PowerOn).with_timeout(Duration::from_secs(5));
    /// assert!(ctx.deadline().unwrap() > Instant::now());
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline.map(|deadline| deadline.at)
    }

    /// How long until the deadline: zero once it passed; `None` without a deadline,
    /// meaning as long as the action takes (give a BMC call a timeout of its own then).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use maaspd::{Action, Context};
    /// let ctx = Context::new(Action::PowerOn).with_timeout(Duration::ZERO);
    /// assert_eq!(ctx.time_left(), Some(Duration::ZERO));
    /// assert_eq!(Context::new(Action::PowerOn).time_left(), None);
    /// ```
    pub fn time_left(&self) -> Option<Duration> {
        self.deadline
            .map(|deadline| deadline.at.saturating_duration_since(Instant::now()))
    }

    /// Whether the runtime no longer waits for the action: the deadline passed, or the
    /// request was answered without it. Whatever the action returns then is not read; it
    /// should stop.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use maaspd::{Action, Context};
    /// let ctx = Context::new(Action::PowerOn).with_timeout(Duration::ZERO);
    /// assert!(ctx.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.check().is_err()
    }

    /// `Ok` while the action may go on; else the error to give up with: `connError`
    /// "timed out after N s" past the deadline, or saying why the runtime stopped
    /// waiting. For a loop of the driver's own: `ctx.check()?`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use maaspd::{Action, Context, ErrorCode};
    /// assert!(Context::new(Action::PowerOn).check().is_ok());
    /// let late = Context::new(Action::PowerOn).with_timeout(Duration::from_millis(1500));
    /// std::thread::sleep(Duration::from_millis(1500));
    /// let error = late.check().unwrap_err();
    /// assert_eq!((error.code(), error.message()), (ErrorCode::Conn, "timed out after 1.5 s"));
    /// ```
    pub fn check(&self) -> Result<()> {
        if let Some(deadline) = self.deadline
            && Instant::now() >= deadline.at
        {
            return Err(timed_out(deadline.limit));
        }
        match self.signal.reason() {
            None => Ok(()),
            Some(reason) => Err(interrupted(reason)),
        }
    }

    /// Sleeps for `duration`, unless the deadline or a cancellation comes first: then
    /// returns then, with [`check`](Context::check)'s error.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use maaspd::{Action, Context};
    ///
    /// let ctx = Context::new(Action::PowerOn).with_timeout(Duration::from_millis(50));
    /// let started = Instant::now();
    /// let error = ctx.sleep(Duration::from_secs(60)).unwrap_err();
    /// assert_eq!(error.message(), "timed out after 0.05 s");
    /// assert!(started.elapsed() < Duration::from_secs(60));
    /// ```
    pub fn sleep(&self, duration: Duration) -> Result<()> {
        let wake = Instant::now() + duration;
        let until = match self.deadline {
            Some(deadline) => wake.min(deadline.at),
            None => wake,
        };
        self.signal.wait_until(until);
        self.check()
    }

    /// `connError` "timed out after N s", then `waiting` (what the call was waiting
    /// for), for a runtime that gives up on the call at its deadline.
    pub(crate) fn expired(&self, waiting: &str) -> Error {
        let limit = self
            .deadline
            .map_or(Duration::ZERO, |deadline| deadline.limit);
        Error::conn(format!("{}{waiting}", timed_out(limit).message()))
    }

    /// Keeps `turn` at the machine's BMC for as long as the call lasts.
    #[cfg(feature = "service")]
    pub(crate) fn hold_bmc_turn(&mut self, turn: crate::service::Turn) {
        self.bmc_turn = Some(turn);
    }

    /// The runtime's handle on this context's cancellation.
    pub(crate) fn signal(&self) -> Arc<Signal> {
        self.signal.clone()
    }

    /// Sets the machine once the input is read.
    pub(crate) fn set_system_id(&mut self, system_id: Option<String>) {
        self.system_id = system_id;
    }
}

/// Raises the signal with [`Reason::Abandoned`] when dropped: when the runtime stops
/// waiting for the action, however it stops.
pub(crate) struct CancelOnDrop(pub(crate) Arc<Signal>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel(Reason::Abandoned);
    }
}

/// The runtime's answer past a deadline, and the context's: `connError`, which MAAS
/// retries.
pub(crate) fn timed_out(limit: Duration) -> Error {
    Error::conn(format!("timed out after {} s", limit.as_secs_f64()))
}

fn interrupted(reason: Reason) -> Error {
    Error::conn(match reason {
        Reason::Abandoned => "the runtime no longer waits for this action",
    })
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::thread;
    use std::time::{Duration, Instant};

    use super::{Context, Reason};
    use crate::{Action, Error, ErrorCode};

    const MS: Duration = Duration::from_millis(1);

    fn failure(result: crate::Result<()>) -> (ErrorCode, String) {
        let error = result.expect_err("an error");
        (error.code(), error.message().to_owned())
    }

    #[test]
    fn time_left_counts_down_to_zero_and_is_none_without_a_deadline() {
        let ctx = Context::new(Action::PowerOn).with_timeout(200 * MS);
        let left = ctx.time_left().unwrap();
        assert!(left <= 200 * MS && left > 100 * MS, "{left:?}");
        assert!(!ctx.is_cancelled());
        thread::sleep(200 * MS);
        assert_eq!(ctx.time_left(), Some(Duration::ZERO));
        assert!(ctx.is_cancelled());
        let endless = Context::new(Action::PowerOn);
        assert_eq!((endless.time_left(), endless.deadline()), (None, None));
    }

    #[test]
    fn sleep_runs_its_course_within_the_deadline() {
        let ctx = Context::new(Action::PowerOn).with_timeout(Duration::from_secs(30));
        let started = Instant::now();
        ctx.sleep(50 * MS).unwrap();
        assert!(started.elapsed() >= 50 * MS);
    }

    #[test]
    fn sleep_is_cut_by_the_deadline() {
        let ctx = Context::new(Action::PowerOn).with_timeout(100 * MS);
        let started = Instant::now();
        assert_eq!(
            failure(ctx.sleep(Duration::from_secs(30))),
            (ErrorCode::Conn, "timed out after 0.1 s".into())
        );
        let took = started.elapsed();
        assert!(
            took >= 100 * MS && took < Duration::from_secs(10),
            "{took:?}"
        );
    }

    #[test]
    fn sleep_is_cut_by_a_cancellation() {
        let ctx = Context::new(Action::PowerQuery);
        let signal = ctx.signal();
        let canceller = thread::spawn(move || {
            thread::sleep(50 * MS);
            signal.cancel(Reason::Abandoned);
        });
        let started = Instant::now();
        assert_eq!(
            failure(ctx.sleep(Duration::from_secs(30))),
            (
                ErrorCode::Conn,
                "the runtime no longer waits for this action".into()
            )
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(ctx.is_cancelled());
        canceller.join().unwrap();
    }

    #[test]
    fn a_passed_deadline_is_reported_before_a_cancellation() {
        let ctx = Context::new(Action::PowerOn).with_timeout(Duration::ZERO);
        ctx.signal().cancel(Reason::Abandoned);
        assert_eq!(
            failure(ctx.check()),
            (ErrorCode::Conn, "timed out after 0 s".into())
        );
    }

    #[test]
    fn wait_until_checks_after_each_pause_until_done() {
        let ctx = Context::new(Action::PowerOn);
        let checks = Cell::new(Vec::new());
        let started = Instant::now();
        let schedule = [10 * MS, 20 * MS, 30 * MS, 40 * MS];
        ctx.wait_until_with(schedule, "reached on", || {
            let mut seen = checks.take();
            seen.push(started.elapsed());
            let done = seen.len() == 3;
            checks.set(seen);
            Ok(done)
        })
        .unwrap();
        let checks = checks.take();
        assert_eq!(checks.len(), 3);
        // Each check after its pause, the pauses adding up.
        for (check, at_least) in checks.iter().zip([10 * MS, 30 * MS, 60 * MS]) {
            assert!(*check >= at_least, "{checks:?}");
        }
    }

    #[test]
    fn wait_until_gives_up_when_the_schedule_runs_out() {
        let ctx = Context::new(Action::PowerOn);
        let checks = Cell::new(0);
        let never = ctx.wait_until_with([MS; 4], "reached on", || {
            checks.set(checks.get() + 1);
            Ok(false)
        });
        assert_eq!(
            failure(never),
            (ErrorCode::Action, "never reached on".into())
        );
        assert_eq!(checks.get(), 4);
        // A retried error is tried again; the last one is the answer.
        let checks = Cell::new(0);
        let unreachable = ctx.wait_until_with([MS; 3], "reached off", || {
            checks.set(checks.get() + 1);
            Err(Error::conn(format!("no answer {}", checks.get())))
        });
        assert_eq!(
            failure(unreachable),
            (ErrorCode::Conn, "no answer 3".into())
        );
        // Any other ends the wait at once, as MAAS does not retry it.
        let checks = Cell::new(0);
        let refused = ctx.wait_until_with([MS; 3], "reached off", || {
            checks.set(checks.get() + 1);
            Err(Error::auth("bad password"))
        });
        assert_eq!(failure(refused).0, ErrorCode::Auth);
        assert_eq!(checks.get(), 1);
    }

    #[test]
    fn wait_until_stops_at_the_deadline() {
        let ctx = Context::new(Action::PowerOn).with_timeout(150 * MS);
        let checks = Cell::new(0);
        let started = Instant::now();
        let late = ctx.wait_until("reached on", || {
            checks.set(checks.get() + 1);
            Ok(false)
        });
        assert_eq!(
            failure(late),
            (ErrorCode::Conn, "timed out after 0.15 s".into())
        );
        // Cut during the first pause (1 s), before any check.
        assert_eq!(checks.get(), 0);
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn the_default_schedule_is_maas_waiting_policy() {
        let seconds: Vec<u64> = Context::DEFAULT_WAITING
            .iter()
            .map(Duration::as_secs)
            .collect();
        assert_eq!(seconds, [1, 2, 2, 4, 6, 8, 12]);
    }
}
