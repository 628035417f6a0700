//! Waiting for a BMC to reach a state, as MAAS waits after a power change: a check
//! after each pause of a schedule, until the check says done, the schedule runs out,
//! or the deadline passes.

use std::time::Duration;

use super::Context;
use crate::{Error, Result};

impl Context {
    /// The pauses [`wait_until`](Context::wait_until) makes, MAAS's own waiting
    /// policy for a power change: 1, 2, 2, 4, 6, 8 and 12 s, 35 s in all.
    ///
    /// ```
    /// let total: std::time::Duration = maaspd::Context::DEFAULT_WAITING.iter().sum();
    /// assert_eq!(total.as_secs(), 35);
    /// ```
    pub const DEFAULT_WAITING: [Duration; 7] = [
        Duration::from_secs(1),
        Duration::from_secs(2),
        Duration::from_secs(2),
        Duration::from_secs(4),
        Duration::from_secs(6),
        Duration::from_secs(8),
        Duration::from_secs(12),
    ];

    /// Waits until `done` says so, checking after each pause of
    /// [`DEFAULT_WAITING`](Context::DEFAULT_WAITING); see
    /// [`wait_until_with`](Context::wait_until_with).
    ///
    /// ```no_run
    /// # use maaspd::{Action, Context, PowerState};
    /// # let ctx = Context::new(Action::PowerOn);
    /// # let query = || Ok(PowerState::On);
    /// ctx.wait_until("reached on", || Ok(query()? == PowerState::On))?;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn wait_until(&self, what: &str, done: impl FnMut() -> Result<bool>) -> Result<()> {
        self.wait_until_with(Self::DEFAULT_WAITING, what, done)
    }

    /// Waits until `done` returns `Ok(true)`, calling it after each pause of `schedule`
    /// (never before the first: a BMC that just accepted a change rarely shows it at
    /// once).
    ///
    /// - A check that fails with an error MAAS retries (`connError`, `actionError`) is
    ///   tried again after the next pause; any other error ends the wait at once.
    /// - When the schedule runs out: the last check's error, else `actionError`
    ///   "never WHAT" (`what` is, say, `"reached on"`).
    /// - When the deadline passes or the call is cancelled first, the wait ends then,
    ///   with `connError` "timed out after N s" (see [`check`](Context::check)).
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::time::Duration;
    /// use maaspd::{Action, Context, ErrorCode};
    ///
    /// let ctx = Context::new(Action::PowerOn);
    /// let checks = Cell::new(0);
    /// let every_10_ms = [Duration::from_millis(10); 5];
    /// ctx.wait_until_with(every_10_ms, "reached on", || {
    ///     checks.set(checks.get() + 1);
    ///     Ok(checks.get() == 3)
    /// })?;
    /// assert_eq!(checks.get(), 3);
    ///
    /// let error = ctx.wait_until_with(every_10_ms, "reached on", || Ok(false)).unwrap_err();
    /// assert_eq!((error.code(), error.message()), (ErrorCode::Action, "never reached on"));
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn wait_until_with(
        &self,
        schedule: impl IntoIterator<Item = Duration>,
        what: &str,
        mut done: impl FnMut() -> Result<bool>,
    ) -> Result<()> {
        let mut last_error = None;
        for pause in schedule {
            log::debug!("checking in {} s whether {what}", pause.as_secs_f64());
            self.sleep(pause)?;
            match done() {
                Ok(true) => return Ok(()),
                Ok(false) => last_error = None,
                Err(error) if error.code().is_retried() => {
                    log::debug!("not yet {what}: {error}");
                    last_error = Some(error);
                }
                Err(error) => return Err(error),
            }
        }
        Err(last_error.unwrap_or_else(|| Error::action(format!("never {what}"))))
    }
}
