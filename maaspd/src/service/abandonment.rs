//! Actions the service stopped waiting for while they still run: their deadline passed, or
//! their client hung up. A blocking action cannot be stopped, only told (its context is
//! cancelled); one that ignores it, against a BMC that never answers, may hold its thread
//! forever. Up to a limit such actions are abandoned: their worker goes to the next
//! request and their thread runs on outside the workers' count. Beyond the limit an
//! overrunning action keeps its worker until it returns, so that the service's threads
//! stay bounded by `workers + max_abandoned` however many BMCs hang.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::sync::OwnedSemaphorePermit;

use crate::Action;

/// How many actions are abandoned now, and how many may be.
#[derive(Debug)]
pub(super) struct Abandoned {
    count: AtomicUsize,
    max: usize,
}

impl Abandoned {
    pub(super) fn new(max: usize) -> Abandoned {
        Abandoned {
            count: AtomicUsize::new(0),
            max,
        }
    }

    /// Takes one of the places, and returns how many are taken then; `None` when all are.
    fn take(&self) -> Option<usize> {
        self.count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |count| {
                (count < self.max).then_some(count + 1)
            })
            .ok()
            .map(|before| before + 1)
    }

    /// Gives a place back, and returns how many are still taken.
    fn give_back(&self) -> usize {
        self.count.fetch_sub(1, Ordering::AcqRel) - 1
    }
}

/// Where a running action stands, shared by the request waiting for it and the thread
/// running it.
enum Standing {
    /// Running with its worker (held only to be dropped); the request still waits for
    /// it, or it overran when no place was left and keeps its worker.
    Working { _worker: OwnedSemaphorePermit },
    /// Abandoned: its worker went to the next request.
    Abandoned,
    /// Returned.
    Returned,
}

/// The action: what it is, for whom, and where it stands.
struct Run {
    action: Action,
    /// The machine, escaped for a log line, or empty.
    machine: String,
    started: Instant,
    standing: Mutex<Standing>,
    abandoned: Arc<Abandoned>,
}

/// Held by the request while it waits for its action; dropped when it stops waiting
/// (answered, deadline passed, or client gone), it abandons the action if it still runs.
pub(super) struct Waiting(Arc<Run>);

/// Held by the thread running the action; dropped when the action returns, it frees the
/// action's worker, or its place among the abandoned.
pub(super) struct Running(Arc<Run>);

/// The two ends of an action about to run with `worker`.
pub(super) fn start(
    worker: OwnedSemaphorePermit,
    abandoned: Arc<Abandoned>,
    action: Action,
    machine: Option<&str>,
) -> (Waiting, Running) {
    let run = Arc::new(Run {
        action,
        // Escaped: the id is the caller's text, and a newline in one would forge a line.
        machine: machine
            .map(|machine| format!(" system_id={}", machine.escape_debug()))
            .unwrap_or_default(),
        started: Instant::now(),
        standing: Mutex::new(Standing::Working { _worker: worker }),
        abandoned,
    });
    (Waiting(run.clone()), Running(run))
}

impl Run {
    fn standing(&self) -> std::sync::MutexGuard<'_, Standing> {
        self.standing.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let run = &self.0;
        let mut standing = run.standing();
        if !matches!(*standing, Standing::Working { .. }) {
            return;
        }
        let (action, machine) = (run.action, &run.machine);
        match run.abandoned.take() {
            Some(count) => {
                // Dropping the worker here hands it to the next request.
                *standing = Standing::Abandoned;
                log::warn!(
                    "{action}{machine}: still running after {} ms, when its request was \
                     answered or gone: abandoned, its worker freed ({count} abandoned, at \
                     most {})",
                    run.started.elapsed().as_millis(),
                    run.abandoned.max
                );
            }
            None => log::warn!(
                "{action}{machine}: still running after {} ms, when its request was \
                 answered or gone, and {} actions are abandoned already: it keeps its \
                 worker until it returns",
                run.started.elapsed().as_millis(),
                run.abandoned.max
            ),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let run = &self.0;
        let mut standing = run.standing();
        // A worker still held is freed as `standing` is replaced.
        if let Standing::Abandoned = std::mem::replace(&mut *standing, Standing::Returned) {
            let left = run.abandoned.give_back();
            log::info!(
                "{}{}: the abandoned action returned after {} ms ({left} still abandoned)",
                run.action,
                run.machine,
                run.started.elapsed().as_millis()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::Semaphore;

    fn worker(workers: &Arc<Semaphore>) -> OwnedSemaphorePermit {
        workers.clone().try_acquire_owned().expect("a free worker")
    }

    #[test]
    fn an_action_that_returns_in_time_frees_its_worker_and_abandons_nothing() {
        let workers = Arc::new(Semaphore::new(1));
        let abandoned = Arc::new(Abandoned::new(1));
        let (waiting, running) = start(worker(&workers), abandoned.clone(), Action::PowerOn, None);
        drop(running);
        assert_eq!(workers.available_permits(), 1);
        drop(waiting);
        assert_eq!(abandoned.count.load(Ordering::Acquire), 0);
    }

    #[test]
    fn an_abandoned_action_frees_its_worker_at_once_and_its_place_when_it_returns() {
        let workers = Arc::new(Semaphore::new(1));
        let abandoned = Arc::new(Abandoned::new(1));
        let (waiting, running) = start(
            worker(&workers),
            abandoned.clone(),
            Action::PowerQuery,
            Some("abc"),
        );
        drop(waiting);
        assert_eq!(workers.available_permits(), 1);
        assert_eq!(abandoned.count.load(Ordering::Acquire), 1);
        drop(running);
        assert_eq!(abandoned.count.load(Ordering::Acquire), 0);
        assert_eq!(workers.available_permits(), 1);
    }

    #[test]
    fn beyond_the_limit_an_overrunning_action_keeps_its_worker_until_it_returns() {
        let workers = Arc::new(Semaphore::new(2));
        let abandoned = Arc::new(Abandoned::new(1));
        let (first, _first_runs) =
            start(worker(&workers), abandoned.clone(), Action::PowerOn, None);
        drop(first);
        let (second, second_runs) =
            start(worker(&workers), abandoned.clone(), Action::PowerOn, None);
        drop(second);
        assert_eq!(abandoned.count.load(Ordering::Acquire), 1);
        assert_eq!(
            workers.available_permits(),
            1,
            "the second keeps its worker"
        );
        drop(second_runs);
        assert_eq!(workers.available_permits(), 2);
        assert_eq!(abandoned.count.load(Ordering::Acquire), 1);
    }
}
