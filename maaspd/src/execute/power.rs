//! The power actions as MAAS's base class performs them: a power change confirmed by
//! querying until the machine reports it, sent again while it reports otherwise; a cycle
//! as off (unless off) then on; a reset as the driver's own, else a cycle.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::runner::Runner;
use crate::{Context, Error, PowerDriver, PowerState, Result};

/// Time kept, past a confirmation's longest round (the action sent again and a query),
/// for its last check to be answered before the deadline.
const LAST_CHECK_MARGIN: Duration = Duration::from_millis(250);

/// One action's driver, context and runner.
pub(super) struct Power<'a, D, R> {
    pub(super) runner: &'a R,
    pub(super) driver: Arc<D>,
    pub(super) ctx: Arc<Context>,
}

impl<D: PowerDriver, R: Runner> Power<'_, D, R> {
    pub(super) async fn query(&self) -> Result<PowerState> {
        let call = self.driver.clone().power_query(self.ctx.clone());
        self.runner.run(&self.ctx, call).await
    }

    pub(super) async fn on(&self) -> Result<()> {
        self.switch(PowerState::On).await
    }

    pub(super) async fn off(&self) -> Result<()> {
        self.switch(PowerState::Off).await
    }

    /// Off unless known to be off (a driver MAAS may not query is switched off blindly),
    /// then on, each confirmed: the machine is on at the end even when the BMC takes
    /// seconds to switch it off first.
    pub(super) async fn cycle(&self) -> Result<()> {
        if !D::QUERYABLE || self.query().await? != PowerState::Off {
            self.off().await?;
        }
        self.on().await
    }

    /// The driver's own reset, confirmed on as MAAS confirms it; else a cycle.
    pub(super) async fn reset(&self) -> Result<()> {
        let Some(reset) = D::POWER_RESET else {
            return self.cycle().await;
        };
        let send = || {
            let call = reset(self.driver.clone(), self.ctx.clone());
            self.runner.run(&self.ctx, call)
        };
        send().await?;
        if self.confirms() {
            self.confirm(PowerState::On, send).await?;
        }
        Ok(())
    }

    /// Sends the change, then confirms it.
    async fn switch(&self, desired: PowerState) -> Result<()> {
        let send = || {
            let call = match desired {
                PowerState::On => self.driver.clone().power_on(self.ctx.clone()),
                _ => self.driver.clone().power_off(self.ctx.clone()),
            };
            self.runner.run(&self.ctx, call)
        };
        send().await?;
        if self.confirms() {
            self.confirm(desired, send).await?;
        }
        Ok(())
    }

    fn confirms(&self) -> bool {
        D::CONFIRM && D::QUERYABLE
    }

    /// Queries until the machine reports `desired`, as MAAS's `perform_power` does: a
    /// check after each pause of MAAS's waiting policy (1, 2, 2, 4, 6, 8, 12 s), the
    /// change sent again before each pause but the first while the machine reports
    /// otherwise. One check comes at once, so a BMC that switched already answers
    /// without a pause. Within a deadline, the last check is made early enough to be
    /// answered before it. At the end, the last check's error, or `actionError` "never
    /// transitioned to on".
    ///
    /// An error MAAS retries (`connError`, `actionError`) is tried again, in a check or
    /// in sending the change again; any other ends the wait at once.
    async fn confirm<F>(&self, desired: PowerState, send: impl Fn() -> F) -> Result<()>
    where
        F: Future<Output = Result<()>>,
    {
        let started = Instant::now();
        let mut last = self.check(desired).await?;
        // The longest round so far: the change sent again, then a check.
        let mut slowest = started.elapsed();
        for (index, pause) in Context::DEFAULT_WAITING.into_iter().enumerate() {
            if last.is_none() {
                return Ok(());
            }
            let Some(pause) = self.fitted(pause, slowest) else {
                break;
            };
            let round = Instant::now();
            if index > 0 {
                match send().await {
                    Ok(()) => {}
                    // The check after the pause tells whether it mattered.
                    Err(error) if error.code().is_retried() => {
                        log::debug!("sending {} again: {error}", desired.as_str());
                    }
                    Err(error) => return Err(error),
                }
            }
            log::debug!(
                "confirming {}: checking in {} s",
                desired.as_str(),
                pause.as_secs_f64()
            );
            let sent = round.elapsed();
            self.runner.pause(&self.ctx, pause).await?;
            let checking = Instant::now();
            last = self.check(desired).await?;
            slowest = slowest.max(sent + checking.elapsed());
        }
        Err(match last {
            None => return Ok(()),
            Some(Seen::Failed(error)) => error,
            Some(Seen::State(state)) => Error::action(format!(
                "never transitioned to {}: the BMC still reports {} after {:.1} s",
                desired.as_str(),
                state.as_str(),
                started.elapsed().as_secs_f64()
            )),
        })
    }

    /// One check: `None` when the machine is in `desired`, else what was seen.
    async fn check(&self, desired: PowerState) -> Result<Option<Seen>> {
        match self.query().await {
            Ok(state) if state == desired => Ok(None),
            Ok(state) => {
                log::info!(
                    "the machine is {}, not yet {}",
                    state.as_str(),
                    desired.as_str()
                );
                Ok(Some(Seen::State(state)))
            }
            Err(error) if error.code().is_retried() => {
                log::debug!("checking for {}: {error}", desired.as_str());
                Ok(Some(Seen::Failed(error)))
            }
            Err(error) => Err(error),
        }
    }

    /// The pause before the next check, shortened so that the check (a round as slow as
    /// the slowest so far, and a margin) still ends before the deadline; `None` when no
    /// check fits any more.
    fn fitted(&self, pause: Duration, slowest: Duration) -> Option<Duration> {
        let Some(left) = self.ctx.time_left() else {
            return Some(pause);
        };
        let reserve = slowest * 2 + LAST_CHECK_MARGIN;
        left.checked_sub(reserve)
            .filter(|room| !room.is_zero())
            .map(|room| room.min(pause))
    }
}

/// What a confirmation's last check saw, when not the state it waits for.
enum Seen {
    State(PowerState),
    Failed(Error),
}
