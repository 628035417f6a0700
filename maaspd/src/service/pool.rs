//! The service's runner of drivers' calls: a future is awaited in-process, so that the
//! deadline, which drops it, cancels the BMC call it was making; blocking code runs on
//! the blocking pool, one worker per call, and is abandoned to its thread when its
//! request stops waiting for it (see [`abandonment`]).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use super::abandonment::{self, Abandoned};
use crate::context::current;
use crate::execute::runner::{Guarded, Runner};
use crate::{Call, Context, Error, Result, panic_guard};

/// What a call past its deadline was waiting for, when it had no worker yet.
pub(super) const WAITING_FOR_A_WORKER: &str = " waiting for a free worker: every worker is busy";

/// The workers blocking calls take, and the room for abandoned ones.
#[derive(Debug)]
pub(super) struct Pool {
    workers: Arc<Semaphore>,
    abandoned: Arc<Abandoned>,
}

impl Pool {
    pub(super) fn new(workers: usize, max_abandoned: usize) -> Pool {
        Pool {
            workers: Arc::new(Semaphore::new(workers.max(1))),
            abandoned: Arc::new(Abandoned::new(max_abandoned)),
        }
    }

    /// Runs blocking `code` on a worker, waiting for one until `ctx`'s deadline. However
    /// the request ends (answered, past its deadline, or its client gone), the code is
    /// abandoned if it runs on, its worker freed for the next call.
    async fn blocking<T: Send + 'static>(
        &self,
        ctx: &Arc<Context>,
        code: Box<dyn FnOnce() -> Result<T> + Send>,
    ) -> Result<T> {
        let acquire = self.workers.clone().acquire_owned();
        // The request's own deadline may end the wait first: it reads this note.
        ctx.signal().set_waiting_for_worker(true);
        let acquired = match ctx.deadline() {
            Some(deadline) => {
                let deadline = tokio::time::Instant::from_std(deadline);
                tokio::time::timeout_at(deadline, acquire)
                    .await
                    .map_err(|_| ctx.expired(WAITING_FOR_A_WORKER))?
            }
            None => acquire.await,
        };
        ctx.signal().set_waiting_for_worker(false);
        let worker = acquired.map_err(|_| Error::conn("the service is stopping"))?;
        let (_waiting, running) = abandonment::start(
            worker,
            self.abandoned.clone(),
            ctx.action(),
            ctx.system_id(),
        );
        let ctx = ctx.clone();
        let task = tokio::task::spawn_blocking(move || {
            let _running = running;
            let _tagged = current::enter(&ctx);
            panic_guard::catching(code)
        });
        // Panics are caught inside: a failed join is the runtime shutting down.
        task.await
            .unwrap_or_else(|error| Err(Error::fatal(format!("the action was lost: {error}"))))
    }
}

impl Runner for Pool {
    async fn run<T: Send + 'static>(&self, ctx: &Arc<Context>, call: Call<T>) -> Result<T> {
        match call {
            Call::Ready(result) => result,
            Call::Blocking(code) => self.blocking(ctx, code).await,
            Call::Async(future) => Guarded::new(ctx.clone(), future).await,
        }
    }

    async fn pause(&self, ctx: &Context, duration: Duration) -> Result<()> {
        tokio::time::sleep(duration).await;
        ctx.check()
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use serde_json::json;

    use super::Pool;
    use crate::execute::execute_on;
    use crate::test_drivers::{AsyncRelay, Sleeper, relay, sleeping};
    use crate::{Action, Context, PowerState};

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime")
    }

    #[test]
    fn a_future_past_its_deadline_is_dropped_not_abandoned() {
        let pool = Pool::new(1, 1);
        let started = Instant::now();
        let outcome = runtime().block_on(async {
            let context = Context::new(Action::PowerQuery).with_timeout(Duration::from_millis(200));
            let input = json!({"driverParameters": {"name": "pool"}});
            let run = execute_on::<Sleeper, _>(&pool, context, || Ok(input));
            let outcome = tokio::time::timeout(Duration::from_millis(200), run).await;
            (outcome.is_err(), sleeping("pool"))
        });
        // Given up at the deadline, and nothing of the query left running.
        assert_eq!(outcome, (true, false));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn futures_and_blocking_calls_mix_in_one_action() {
        let pool = Pool::new(1, 1);
        let response = runtime().block_on(async {
            let input = json!({"driverParameters": {"name": "pool-mixed", "transition_ms": "300"}});
            let context = Context::new(Action::PowerCycle).with_timeout(Duration::from_secs(8));
            execute_on::<AsyncRelay, _>(&pool, context, || Ok(input)).await
        });
        assert!(response.error().is_none(), "{:?}", response.error());
        assert_eq!(relay("pool-mixed").1, PowerState::On);
    }
}
