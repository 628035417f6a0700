//! `--timeout` (and `testing::run_with_deadline`): an action that overruns is answered
//! `connError` and the process goes on without it, abandoning the thread that runs it;
//! the action's [`Context`] says when that comes, and is cancelled then.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde_json::Value;

use crate::context::{CancelOnDrop, timed_out};
use crate::execute;
use crate::response::Response;
use crate::{Action, Context, Error, PowerDriver, Result};

/// Runs `action` like [`crate::execute::execute`], but gives up after `limit`. The input
/// is read before the clock starts: the deadline is the BMC's.
pub(crate) fn execute<D: PowerDriver>(
    action: Action,
    load: impl FnOnce() -> Result<Value>,
    limit: Duration,
) -> Response {
    if !D::supports(action) {
        return execute::execute::<D>(Context::new(action), load);
    }
    let document = load();
    let context = Context::new(action).with_timeout(limit);
    // However this returns, the action is told nobody waits for it any more.
    let _cancel = CancelOnDrop(context.signal());
    let (sender, receiver) = mpsc::channel();
    // The driver is built and run on its own thread; at the deadline the process
    // returns without it.
    let spawned = thread::Builder::new()
        .name(action.name().into())
        .spawn(move || {
            let _ = sender.send(execute::execute::<D>(context, || document));
        });
    if let Err(error) = spawned {
        return Response::new(
            action,
            Err(Error::fatal(format!("cannot start the action: {error}"))),
            Vec::new(),
        );
    }
    receiver
        .recv_timeout(limit)
        .unwrap_or_else(|_| Response::new(action, Err(timed_out(limit)), Vec::new()))
}
