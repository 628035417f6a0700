//! Unsetting the variables systemd meant for this process alone (`LISTEN_*`,
//! `WATCHDOG_*`), so that the tools a driver runs do not inherit them.

use std::fs;

/// Removes `names` from the environment, if that can be done soundly: while this is the
/// process's only thread, none can be reading the environment at the same time (which
/// glibc does not survive). Returns whether they were removed.
///
/// Left in place otherwise, they do no harm: the sockets they describe are close-on-exec,
/// and `LISTEN_PID` and `WATCHDOG_PID` name this process, so a child ignores them.
pub(super) fn unset(names: &[&str]) -> bool {
    if !names.iter().any(|name| std::env::var_os(name).is_some()) {
        return true;
    }
    if !single_threaded() {
        return false;
    }
    for name in names {
        // SAFETY: no other thread exists to read or write the environment meanwhile, and
        // only this thread could start one.
        unsafe { std::env::remove_var(name) };
    }
    true
}

/// Whether this process has one thread, as Linux counts them.
fn single_threaded() -> bool {
    fs::read_dir("/proc/self/task").is_ok_and(|threads| threads.count() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn another_thread_is_seen() {
        let (stop, stopped) = mpsc::channel::<()>();
        let other = std::thread::spawn(move || stopped.recv());
        assert!(!single_threaded());
        stop.send(()).unwrap();
        let _ = other.join();
    }

    #[test]
    fn a_variable_that_is_not_set_is_nothing_to_remove() {
        assert!(unset(&["MAASPD_TEST_VARIABLE_THAT_IS_NOT_SET"]));
    }
}
