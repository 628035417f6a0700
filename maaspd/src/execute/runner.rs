//! Where a driver's calls run. The action's steps (build the driver, query, switch,
//! confirm) are one `async` sequence, shared by the CLI and `serve`; a [`Runner`] runs
//! each [`Call`] of it where that kind of call belongs, and makes its pauses.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use crate::context::current;
use crate::{Call, Context, Error, Result, panic_guard};

/// Runs a driver's calls, and the runtime's pauses between them.
pub(crate) trait Runner: Sync {
    /// Runs `call`, made for `ctx`, to its end.
    fn run<T: Send + 'static>(
        &self,
        ctx: &Arc<Context>,
        call: Call<T>,
    ) -> impl Future<Output = Result<T>> + Send;

    /// Waits `duration`; `ctx`'s error when the deadline or a cancellation comes first.
    fn pause(&self, ctx: &Context, duration: Duration) -> impl Future<Output = Result<()>> + Send;
}

/// The CLI's and `testing`'s runner: blocking calls run on the calling thread, and
/// futures on a current-thread tokio runtime, built the first time a driver's future
/// needs it and kept for the process, so that what one call sets up on it (an HTTP
/// client's connections) serves the next. Its futures never wait: each returns at its
/// first poll, so the sequence needs no more than `pollster`'s `block_on` around it.
pub(crate) struct Inline;

impl Runner for Inline {
    async fn run<T: Send + 'static>(&self, ctx: &Arc<Context>, call: Call<T>) -> Result<T> {
        match call {
            Call::Ready(result) => result,
            Call::Blocking(code) => {
                let _tagged = current::enter(ctx);
                panic_guard::catching(code)
            }
            Call::Async(future) => {
                let runtime = runtime()?;
                let future = Guarded::new(ctx.clone(), future);
                // Dropped at the deadline, as in `serve`: its sockets close then.
                let Some(deadline) = ctx.deadline() else {
                    return runtime.block_on(future);
                };
                runtime.block_on(async {
                    let deadline = tokio::time::Instant::from_std(deadline);
                    match tokio::time::timeout_at(deadline, future).await {
                        Ok(result) => result,
                        Err(_) => Err(ctx.expired("")),
                    }
                })
            }
        }
    }

    async fn pause(&self, ctx: &Context, duration: Duration) -> Result<()> {
        ctx.sleep(duration)
    }
}

/// The CLI's runtime for drivers' futures, with every driver tokio was built with (time,
/// and the sockets when a driver's own dependencies enable them).
fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> =
        OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| error.to_string())
        })
        .as_ref()
        .map_err(|error| Error::fatal(format!("cannot start the async runtime: {error}")))
}

/// A driver's future, polled with its machine's tag entered (its log lines name the
/// machine, on whichever thread polls it) and its panics caught as `fatalError`.
pub(crate) struct Guarded<T> {
    ctx: Arc<Context>,
    future: Option<Pin<Box<dyn Future<Output = Result<T>> + Send>>>,
}

impl<T> Guarded<T> {
    pub(crate) fn new(
        ctx: Arc<Context>,
        future: Pin<Box<dyn Future<Output = Result<T>> + Send>>,
    ) -> Guarded<T> {
        Guarded {
            ctx,
            future: Some(future),
        }
    }
}

impl<T> Future for Guarded<T> {
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, task: &mut TaskContext<'_>) -> Poll<Result<T>> {
        let this = &mut *self;
        let Some(future) = this.future.as_mut() else {
            return Poll::Ready(Err(Error::fatal(
                "the driver's future was polled after its end",
            )));
        };
        let _tagged = current::enter(&this.ctx);
        let polled = panic_guard::catching(|| Ok(future.as_mut().poll(task)));
        match polled {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(result)) => {
                this.future = None;
                Poll::Ready(result)
            }
            // A future that panicked is dropped, never polled again.
            Err(error) => {
                this.future = None;
                Poll::Ready(Err(error))
            }
        }
    }
}
