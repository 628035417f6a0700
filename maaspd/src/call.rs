//! One call into a driver, as the runtime receives it from [`PowerDriver`]: either
//! blocking code for a thread, or a future to await. The runtime decides where each
//! runs (see [`Runner`](crate::execute::runner)); the driver only says which it is.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

#[cfg(doc)]
use crate::PowerDriver;
use crate::Result;

/// A driver's method, called and ready to run: what every [`PowerDriver`] action
/// returns. `#[power_driver]` makes a plain `fn` a [`Blocking`](Call::Blocking) call
/// and an `async fn` an [`Async`](Call::Async) one.
///
/// - The CLI runs a blocking call on its own thread, and a future on a current-thread
///   tokio runtime, built the first time one is needed.
/// - `serve` runs a blocking call on its pool of workers (an action still running at
///   its deadline is abandoned to its thread, told through its context), and awaits a
///   future in-process: at the deadline the future is dropped, so the BMC call it was
///   making is cancelled, its sockets closed.
///
/// ```
/// use maaspd::{Call, PowerState};
///
/// let blocking = Call::blocking(|| Ok(PowerState::On));
/// assert!(matches!(blocking, Call::Blocking(_)));
/// let future = Call::future(async { Ok(PowerState::Off) });
/// assert!(matches!(future, Call::Async(_)));
/// assert!(matches!(Call::ready(Ok(PowerState::On)), Call::Ready(Ok(PowerState::On))));
/// ```
pub enum Call<T> {
    /// Nothing to run: the answer is known (a driver built by moving its parameters).
    Ready(Result<T>),
    /// Blocking code: it may wait on its BMC, so the runtime gives it a thread.
    Blocking(Box<dyn FnOnce() -> Result<T> + Send>),
    /// An `async fn`'s future; `Send`, as `serve` moves it between its threads.
    Async(Pin<Box<dyn Future<Output = Result<T>> + Send>>),
}

impl<T> Call<T> {
    /// A call whose answer is known.
    ///
    /// ```
    /// let call: maaspd::Call<()> = maaspd::Call::ready(Ok(()));
    /// # let _ = call;
    /// ```
    pub fn ready(result: Result<T>) -> Call<T> {
        Call::Ready(result)
    }

    /// A call of blocking code.
    ///
    /// ```
    /// let call = maaspd::Call::blocking(|| Ok(2 + 2));
    /// # let _ = call;
    /// ```
    pub fn blocking(code: impl FnOnce() -> Result<T> + Send + 'static) -> Call<T> {
        Call::Blocking(Box::new(code))
    }

    /// A call of an `async fn`.
    ///
    /// ```
    /// let call = maaspd::Call::future(async { Ok(2 + 2) });
    /// # let _ = call;
    /// ```
    pub fn future(future: impl Future<Output = Result<T>> + Send + 'static) -> Call<T> {
        Call::Async(Box::pin(future))
    }
}

impl<T> fmt::Debug for Call<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Call::Ready(_) => "Call::Ready",
            Call::Blocking(_) => "Call::Blocking",
            Call::Async(_) => "Call::Async",
        })
    }
}
