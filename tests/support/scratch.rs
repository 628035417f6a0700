//! Fresh directories for what a test puts on disk: a service's socket, an emulator's
//! state, fake tools.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A new, empty directory `maaspd-PURPOSE-PID-N` under the system's temp dir, which the
/// caller removes. The process id and a counter keep it apart from every other test's,
/// in this binary and in those running beside it; `PURPOSE` says whose it is when a
/// failed test leaves it behind. One left by an earlier process with the same id is
/// emptied first.
pub fn fresh_dir(purpose: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "maaspd-{purpose}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|error| panic!("cannot create {}: {error}", dir.display()));
    dir
}
