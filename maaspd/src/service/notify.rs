//! Telling systemd how the service is going (`Type=notify`): `READY=1` once it serves,
//! `WATCHDOG=1` while it lives when `WatchdogSec=` asks, `STOPPING=1` when told to stop.
//! Without `NOTIFY_SOCKET`, nothing is sent.
//!
//! `NOTIFY_SOCKET` stays in the environment, where sd-notify reads it for each message;
//! a driver's tools that inherit it are not heard (systemd's `NotifyAccess=main`).

use std::time::Duration;

use sd_notify::NotifyState;
use tokio::time::MissedTickBehavior;

use super::environment;

/// The service's messages to systemd, and its watchdog.
#[derive(Debug, Clone, Copy)]
pub(super) struct Supervisor {
    driver: &'static str,
    /// The watchdog's timeout, when systemd set one for this process.
    watchdog: Option<Duration>,
}

impl Supervisor {
    /// Reads the watchdog's timeout (`WATCHDOG_USEC`, for this process unless
    /// `WATCHDOG_PID` names another), then unsets both variables. Call it before the
    /// runtime starts its threads.
    pub(super) fn from_environment(driver: &'static str) -> Supervisor {
        let watchdog = sd_notify::watchdog_enabled().filter(|timeout| !timeout.is_zero());
        environment::unset(&["WATCHDOG_USEC", "WATCHDOG_PID"]);
        Supervisor { driver, watchdog }
    }

    /// `READY=1`, with `status` for `systemctl status`; from now on `WATCHDOG=1` every
    /// half of the watchdog's timeout, from a task of the runtime: it stops when the
    /// runtime's threads are stuck, which is what the watchdog is there to catch.
    pub(super) fn ready(&self, status: &str) {
        self.send(&[NotifyState::Ready, NotifyState::Status(status)]);
        if let Some(timeout) = self.watchdog {
            tokio::spawn(feed_watchdog(*self, timeout / 2));
        }
    }

    /// `STOPPING=1`: the service takes no new connections and finishes those in flight.
    pub(super) fn stopping(&self) {
        self.send(&[
            NotifyState::Stopping,
            NotifyState::Status("stopping; finishing the requests in flight"),
        ]);
    }

    /// Sends `states`; returns whether they went out (or there is nobody to tell).
    fn send(&self, states: &[NotifyState]) -> bool {
        match sd_notify::notify(states) {
            Ok(()) => true,
            Err(error) => {
                crate::logger::line(
                    self.driver,
                    format_args!("cannot notify systemd (NOTIFY_SOCKET): {error}"),
                );
                false
            }
        }
    }
}

/// `WATCHDOG=1` every `period`, for as long as the runtime runs; a failure is told once.
async fn feed_watchdog(supervisor: Supervisor, period: Duration) {
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut told = false;
    loop {
        ticks.tick().await;
        if told {
            let _ = sd_notify::notify(&[NotifyState::Watchdog]);
        } else {
            told = !supervisor.send(&[NotifyState::Watchdog]);
        }
    }
}
