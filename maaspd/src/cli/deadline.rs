//! `--timeout`: an action that overruns is answered `connError` and the process exits,
//! abandoning the thread that runs it.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde_json::Value;

use crate::execute::execute as run;
use crate::response::Response;
use crate::{Action, Error, PowerDriver, Result};

/// Runs `action` like [`crate::execute::execute`], but gives up after `limit`. The input
/// is read before the clock starts: the deadline is the BMC's.
pub(super) fn execute<D: PowerDriver>(
    action: Action,
    load: impl FnOnce() -> Result<Value>,
    limit: Duration,
) -> Response {
    if !D::supports(action) {
        return run::<D>(action, load);
    }
    let document = load();
    let (sender, receiver) = mpsc::channel();
    // The driver is built and run on its own thread; at the deadline the process
    // returns without it, and exits.
    let spawned = thread::Builder::new()
        .name(action.name().into())
        .spawn(move || {
            let _ = sender.send(run::<D>(action, || document));
        });
    if let Err(error) = spawned {
        return Response::new(
            action,
            Err(Error::fatal(format!("cannot start the action: {error}"))),
            Vec::new(),
        );
    }
    receiver.recv_timeout(limit).unwrap_or_else(|_| {
        Response::new(
            action,
            Err(Error::conn(format!(
                "timed out after {} s",
                limit.as_secs_f64()
            ))),
            Vec::new(),
        )
    })
}
