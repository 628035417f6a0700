//! Socket activation: the listening socket systemd passed (`LISTEN_FDS`, `LISTEN_PID`,
//! `LISTEN_FDNAMES`), from a `.socket` unit, a snap's `sockets:` or
//! `systemd-socket-activate`.

use std::io::{self, ErrorKind};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixListener;
use std::sync::atomic::{AtomicBool, Ordering};

use socket2::{Domain, SockRef, Type};

use super::environment;

const VARIABLES: [&str; 3] = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"];

/// Takes the listening socket systemd passed to this process, if it passed any: the only
/// one, or among several the one named after the driver (`FileDescriptorName=NAME`).
/// The others stay open, close-on-exec, unused.
///
/// The variables are unset whatever they held (see [`environment::unset`]), so the
/// tools a driver runs do not inherit them. Fails when they are malformed, when no
/// socket or several are named after the driver, or when the socket is not a listening
/// UNIX stream socket.
pub(super) fn take(driver: &str) -> io::Result<Option<UnixListener>> {
    // Each descriptor is owned once: a second `serve` in this process binds its own.
    static TAKEN: AtomicBool = AtomicBool::new(false);
    let passed = sd_notify::listen_fds_with_names().map(Iterator::collect::<Vec<_>>);
    environment::unset(&VARIABLES);
    let passed = passed.map_err(|error| {
        io::Error::new(
            ErrorKind::InvalidInput,
            format!("cannot take the sockets systemd passed (LISTEN_FDS): {error}"),
        )
    })?;
    if passed.is_empty() || TAKEN.swap(true, Ordering::SeqCst) {
        return Ok(None);
    }
    let fd = choose(&passed, driver)?;
    // SAFETY: systemd passed `fd`, open (sd-notify has just set its close-on-exec flag),
    // to this process (LISTEN_PID is ours); nothing else here owns it, and `TAKEN` lets
    // it be taken once.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    if let Err(what) = check(&socket) {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            format!("the socket systemd passed (fd {fd}) {what}"),
        ));
    }
    Ok(Some(UnixListener::from(socket)))
}

/// The only descriptor passed, or the only one named `driver`.
fn choose(passed: &[(RawFd, String)], driver: &str) -> io::Result<RawFd> {
    if let [(fd, _)] = passed {
        return Ok(*fd);
    }
    let named: Vec<RawFd> = passed
        .iter()
        .filter(|(_, name)| name == driver)
        .map(|(fd, _)| *fd)
        .collect();
    if let [fd] = named[..] {
        return Ok(fd);
    }
    let names: Vec<&str> = passed.iter().map(|(_, name)| name.as_str()).collect();
    let how_many = if named.is_empty() {
        "none is"
    } else {
        "several are"
    };
    Err(io::Error::new(
        ErrorKind::InvalidInput,
        format!(
            "systemd passed {} sockets ({}) and {how_many} named {driver}: give this \
             driver's socket FileDescriptorName={driver}",
            passed.len(),
            names.join(", ")
        ),
    ))
}

/// What is wrong with `socket` for serving: it must be a listening UNIX stream socket.
fn check(socket: &OwnedFd) -> Result<(), &'static str> {
    let socket = SockRef::from(socket);
    let kind = socket.r#type().map_err(|_| "is not a socket")?;
    if socket.domain().map_err(|_| "is not a socket")? != Domain::UNIX {
        return Err("is not a UNIX socket (ListenStream= takes a path)");
    }
    if kind != Type::STREAM {
        return Err("is not a stream socket (use ListenStream=)");
    }
    if !socket.is_listener().map_err(|_| "is not a socket")? {
        return Err("is not listening (a socket unit with Accept=no passes a listening socket)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::os::unix::net::{UnixDatagram, UnixStream};

    fn passed(names: &[&str]) -> Vec<(RawFd, String)> {
        (3..)
            .zip(names.iter().map(|name| name.to_string()))
            .collect()
    }

    #[test]
    fn the_only_socket_is_taken_whatever_its_name() {
        assert_eq!(choose(&passed(&["unknown"]), "webhook").unwrap(), 3);
        assert_eq!(choose(&passed(&["other"]), "webhook").unwrap(), 3);
    }

    #[test]
    fn among_several_the_one_named_after_the_driver() {
        let fds = passed(&["metrics", "webhook", "other"]);
        assert_eq!(choose(&fds, "webhook").unwrap(), 4);
    }

    #[test]
    fn among_several_none_or_two_named_after_the_driver_is_an_error() {
        let error = choose(&passed(&["a", "b"]), "webhook").unwrap_err();
        assert_eq!(
            error.to_string(),
            "systemd passed 2 sockets (a, b) and none is named webhook: give this driver's \
             socket FileDescriptorName=webhook"
        );
        let error = choose(&passed(&["webhook", "webhook"]), "webhook").unwrap_err();
        assert!(
            error.to_string().contains("several are named webhook"),
            "{error}"
        );
    }

    fn temp(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("maaspd-activation-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_listening_unix_stream_socket_passes() {
        let dir = temp("listening");
        let listener = UnixListener::bind(dir.join("s.sock")).unwrap();
        assert_eq!(check(&OwnedFd::from(listener)), Ok(()));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn anything_else_is_named() {
        let (connected, _peer) = UnixStream::pair().unwrap();
        assert_eq!(
            check(&OwnedFd::from(connected)),
            Err("is not listening (a socket unit with Accept=no passes a listening socket)")
        );
        let datagram = UnixDatagram::unbound().unwrap();
        assert_eq!(
            check(&OwnedFd::from(datagram)),
            Err("is not a stream socket (use ListenStream=)")
        );
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        assert_eq!(
            check(&OwnedFd::from(tcp)),
            Err("is not a UNIX socket (ListenStream= takes a path)")
        );
        let file = std::fs::File::open("/dev/null").unwrap();
        assert_eq!(check(&OwnedFd::from(file)), Err("is not a socket"));
    }
}
