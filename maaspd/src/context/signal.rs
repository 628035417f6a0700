//! The cancellation flag the runtime raises and a blocking action sees: a condition
//! variable, so a [`Context::sleep`](super::Context::sleep) wakes at once.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// Why the runtime stopped waiting for an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// Nobody awaits the answer any more: its request was answered (503 at the
    /// deadline) or its client went away, or the CLI gave up at `--timeout`. A service
    /// that is shutting down does not cancel: it finishes the requests in flight, so a
    /// power cycle is never cut between its off and its on.
    Abandoned,
}

/// Raised once, by the runtime; read and waited on by the action's thread.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    reason: Mutex<Option<Reason>>,
    raised: Condvar,
    /// Set while the call waits for a worker of `serve`, so that a request answered at
    /// its deadline then says what it was waiting for.
    #[cfg(feature = "service")]
    waiting_for_worker: std::sync::atomic::AtomicBool,
}

impl Signal {
    /// Raises the flag; the first reason stays.
    pub(crate) fn cancel(&self, reason: Reason) {
        self.lock().get_or_insert(reason);
        self.raised.notify_all();
    }

    /// Notes whether the call is waiting for a worker.
    #[cfg(feature = "service")]
    pub(crate) fn set_waiting_for_worker(&self, waiting: bool) {
        self.waiting_for_worker
            .store(waiting, std::sync::atomic::Ordering::Release);
    }

    /// Whether the call is waiting for a worker.
    #[cfg(feature = "service")]
    pub(crate) fn is_waiting_for_worker(&self) -> bool {
        self.waiting_for_worker
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// The reason, once raised.
    pub(crate) fn reason(&self) -> Option<Reason> {
        *self.lock()
    }

    /// Blocks until `until` or until the flag is raised, whichever comes first; the
    /// reason when it was raised.
    pub(crate) fn wait_until(&self, until: Instant) -> Option<Reason> {
        let mut reason = self.lock();
        loop {
            let now = Instant::now();
            if reason.is_some() || now >= until {
                return *reason;
            }
            reason = self
                .raised
                .wait_timeout(reason, until - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    // A panic elsewhere cannot leave an `Option` half-written: the value is still good.
    fn lock(&self) -> MutexGuard<'_, Option<Reason>> {
        self.reason.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
