//! The context of the action running on this thread, so that a driver's log lines name
//! the machine without the driver passing it along.

use std::cell::RefCell;

use super::Context;

thread_local! {
    /// `power_on system_id=abc` while an action runs on this thread.
    static TAG: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Marks `context` as this thread's until the guard is dropped.
pub(crate) fn enter(context: &Context) -> Entered {
    let mut tag = context.action().name().to_owned();
    if let Some(system_id) = context.system_id() {
        // Escaped: the id is the caller's text, and a newline in it would forge a line.
        tag.push_str(&format!(" system_id={}", system_id.escape_debug()));
    }
    Entered {
        previous: TAG.with(|current| current.replace(Some(tag))),
    }
}

/// What the logger puts before a driver's message: the action and the machine.
pub(crate) fn tag() -> Option<String> {
    TAG.with(|current| current.borrow().clone())
}

/// Restores the tag that was current before [`enter`].
pub(crate) struct Entered {
    previous: Option<String>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        TAG.with(|current| *current.borrow_mut() = self.previous.take());
    }
}
