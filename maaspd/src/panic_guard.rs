//! Turns a panic in driver code into a `fatalError` instead of a crash and a backtrace.

use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};

use crate::{Error, Result};

thread_local! {
    /// Where the last panic on this thread happened, recorded by the quiet hook.
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs driver code; a panic becomes `fatalError` naming its message and, when the
/// quiet hook is installed, its location.
pub(crate) fn catching<T>(driver_code: impl FnOnce() -> Result<T>) -> Result<T> {
    // The driver is dropped with the closure: nothing observes a broken invariant.
    panic::catch_unwind(AssertUnwindSafe(driver_code)).unwrap_or_else(|payload| {
        let location = LOCATION.with(|l| l.borrow_mut().take());
        let at = location.map(|l| format!(" at {l}")).unwrap_or_default();
        Err(Error::fatal(format!(
            "the driver panicked{at}: {}",
            message(payload.as_ref())
        )))
    })
}

/// Replaces the default hook, which prints to stderr (and a backtrace with
/// RUST_BACKTRACE), with one that only records where the panic happened.
pub(crate) fn install_quiet_hook() {
    panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()));
        LOCATION.with(|l| *l.borrow_mut() = location);
    }));
}

fn message(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "(no message)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_becomes_fatal_error() {
        let error = catching::<()>(|| panic!("boom {}", 7)).unwrap_err();
        assert_eq!(error.code(), crate::ErrorCode::Fatal);
        assert!(
            error.message().starts_with("the driver panicked"),
            "{error}"
        );
        assert!(error.message().ends_with(": boom 7"), "{error}");
    }

    #[test]
    fn results_pass_through() {
        assert_eq!(catching(|| Ok(3)).unwrap(), 3);
        assert_eq!(
            catching::<()>(|| Err(Error::auth("no"))).unwrap_err(),
            Error::auth("no")
        );
    }
}
