//! File descriptors: the process's limit, from which the default cap on connections
//! follows, and a spare one for when `accept` finds none left.

use std::fs::File;
use std::future::poll_fn;
use std::io;
use std::task::Poll;

use tokio::net::UnixListener;

/// The cap on connections when the open-file limit is unlimited or unreadable.
const UNLIMITED_CONNECTIONS: usize = 65_536;

/// The limit assumed when it cannot be read: Linux's usual soft limit.
const USUAL_LIMIT: u64 = 1024;

/// The process's soft limit on open files (`RLIMIT_NOFILE`); `None` when unlimited, the
/// usual 1,024 when it cannot be read.
pub(super) fn open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `getrlimit` writes one `rlimit` into the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Some(USUAL_LIMIT);
    }
    (limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
}

/// Half of the open-file limit: the other half stays for what the driver opens to reach
/// its BMCs (sockets, pipes to tools such as ipmitool, files) and for the runtime's own.
pub(super) fn default_max_connections() -> usize {
    max_connections_within(open_file_limit())
}

fn max_connections_within(limit: Option<u64>) -> usize {
    match limit {
        Some(limit) => usize::try_from(limit / 2)
            .unwrap_or(UNLIMITED_CONNECTIONS)
            .clamp(1, UNLIMITED_CONNECTIONS),
        None => UNLIMITED_CONNECTIONS,
    }
}

/// Whether `accept` failed for want of a descriptor or of memory for one: the process's
/// limit (EMFILE), the system's (ENFILE), or the kernel's buffers.
pub(super) fn exhausted(error: &io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// A descriptor held in reserve, given up to accept a connection and close it at once
/// when the process has no descriptor left and no connection it may close: the client
/// is told at once (MAAS's agent retries), and the listener's backlog moves on.
#[derive(Debug)]
pub(super) struct Spare(Option<File>);

impl Spare {
    pub(super) fn new() -> Spare {
        Spare(reserve())
    }

    /// Accepts one waiting connection with the spare descriptor and closes it; `false`
    /// when there was no spare descriptor to give up, or no connection waiting.
    pub(super) async fn refuse_one(&mut self, listener: &UnixListener) -> bool {
        let Some(spare) = self.0.take() else {
            self.0 = reserve();
            return false;
        };
        drop(spare);
        // Whatever waits now, without waiting for more.
        let accepted = poll_fn(|cx| Poll::Ready(listener.poll_accept(cx))).await;
        self.0 = reserve();
        matches!(accepted, Poll::Ready(Ok(_)))
    }
}

fn reserve() -> Option<File> {
    File::open("/dev/null").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_the_limit_goes_to_connections() {
        assert_eq!(max_connections_within(Some(1024)), 512);
        assert_eq!(max_connections_within(Some(64)), 32);
        assert_eq!(max_connections_within(Some(1)), 1);
        assert_eq!(
            max_connections_within(Some(u64::MAX - 1)),
            UNLIMITED_CONNECTIONS
        );
        assert_eq!(max_connections_within(None), UNLIMITED_CONNECTIONS);
        assert!(default_max_connections() >= 1);
    }

    #[test]
    fn out_of_descriptors_is_told_apart() {
        assert!(exhausted(&io::Error::from_raw_os_error(libc::EMFILE)));
        assert!(exhausted(&io::Error::from_raw_os_error(libc::ENFILE)));
        assert!(!exhausted(&io::Error::from_raw_os_error(
            libc::ECONNABORTED
        )));
        assert!(!exhausted(&io::Error::other("no errno")));
    }

    #[tokio::test]
    async fn the_spare_refuses_a_waiting_connection_and_is_taken_back() {
        let dir = std::env::temp_dir().join(format!("maaspd-spare-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let listener = UnixListener::bind(dir.join("s.sock")).unwrap();
        let mut spare = Spare::new();
        assert!(!spare.refuse_one(&listener).await, "nobody waits");
        assert!(spare.0.is_some());
        let connect = || std::os::unix::net::UnixStream::connect(dir.join("s.sock")).unwrap();
        let (_served, mut refused) = (connect(), connect());
        // As after an accept that failed for want of a descriptor: the listener is known
        // to be ready.
        let _accepted = listener.accept().await.unwrap();
        assert!(spare.refuse_one(&listener).await);
        assert!(spare.0.is_some());
        let mut received = Vec::new();
        std::io::Read::read_to_end(&mut refused, &mut received).unwrap();
        assert!(received.is_empty(), "closed without a word");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
