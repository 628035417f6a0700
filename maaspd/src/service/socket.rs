//! The service's listening socket: the one systemd passed (socket activation), served as
//! it is, or one bound here. A stale file from a dead server is replaced, a live server is
//! never robbed of its socket, anything that is not a socket is left alone, and only a
//! file this service created is removed when it stops.

use std::fmt;
use std::fs;
use std::io::{self, ErrorKind};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use super::{Options, activation};

/// The socket's mode: the service's user and group (MAAS's agent) may connect.
const MODE: u32 = 0o660;

/// A listening socket. Its listener is handed to the server once; a file this service
/// bound is removed when the service stops taking connections, and at the latest when
/// this is dropped; systemd's is never removed.
pub(super) struct Listening {
    listener: Option<UnixListener>,
    /// Where clients connect, for the log.
    address: String,
    /// The file to remove: the one bound here; none for systemd's socket.
    file: Option<SocketFile>,
}

/// The socket file this service created, told apart from a successor's by its inode
/// and change time (a file system may give a new file the inode of a removed one).
#[derive(Debug, Clone)]
pub(super) struct SocketFile {
    path: PathBuf,
    identity: Identity,
}

type Identity = (u64, u64, i64, i64);

fn identity(metadata: &fs::Metadata) -> Identity {
    (
        metadata.dev(),
        metadata.ino(),
        metadata.ctime(),
        metadata.ctime_nsec(),
    )
}

impl Listening {
    /// The socket systemd passed for driver `driver`, if any, else `options.socket`
    /// bound here. Call it before the runtime starts its threads: systemd's variables are
    /// unset from the environment.
    pub(super) fn open(options: &Options, driver: &str) -> io::Result<Listening> {
        match activation::take(driver)? {
            Some(listener) => {
                let given = options.socket_given.then_some(options.socket.as_path());
                Listening::inherited(listener, given)
            }
            None => Listening::bind(&options.socket),
        }
    }

    /// systemd's socket, as it is (its mode, owner and file are systemd's). A socket
    /// path given as well must name the same socket: else the unit and the command line
    /// disagree on where MAAS finds this driver, and neither is guessed right.
    fn inherited(listener: UnixListener, given: Option<&Path>) -> io::Result<Listening> {
        let address = listener.local_addr()?;
        let path = address.as_pathname();
        if let Some(given) = given
            && !path.is_some_and(|path| same_socket(path, given))
        {
            let passed = path.map_or("no path".into(), |path| path.display().to_string());
            return Err(io::Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "systemd passed a socket at {passed}, but --socket asks for {}: drop \
                     --socket, or give the socket unit's ListenStream= path",
                    given.display()
                ),
            ));
        }
        listener.set_nonblocking(true)?;
        let address = match path {
            Some(path) => format!("systemd's socket {}", path.display()),
            None => "systemd's abstract socket".into(),
        };
        Ok(Listening {
            listener: Some(listener),
            address,
            file: None,
        })
    }

    /// A socket bound at `path`, mode 0660, its directory created if need be.
    fn bind(path: &Path) -> io::Result<Listening> {
        if let Ok(existing) = fs::symlink_metadata(path) {
            if !existing.file_type().is_socket() {
                return Err(io::Error::new(
                    ErrorKind::AlreadyExists,
                    format!(
                        "{} exists and is not a socket: not replacing it",
                        path.display()
                    ),
                ));
            }
            match UnixStream::connect(path) {
                Ok(_) => {
                    return Err(io::Error::new(
                        ErrorKind::AddrInUse,
                        format!("a server is already listening on {}", path.display()),
                    ));
                }
                // Nobody listens: a server died without removing it.
                Err(error) if error.kind() == ErrorKind::ConnectionRefused => {
                    fs::remove_file(path)?;
                }
                Err(error) => return Err(error),
            }
        }
        if let Some(directory) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(directory)?;
        }
        let listener = UnixListener::bind(path).map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("cannot listen on {}: {error}", path.display()),
            )
        })?;
        fs::set_permissions(path, fs::Permissions::from_mode(MODE))?;
        listener.set_nonblocking(true)?;
        let created = fs::symlink_metadata(path)?;
        Ok(Listening {
            listener: Some(listener),
            address: path.display().to_string(),
            file: Some(SocketFile {
                path: path.to_owned(),
                identity: identity(&created),
            }),
        })
    }

    /// The listener, for tokio (inside the runtime). Handed over, not shared: when the
    /// server drops it at shutdown, new connections are refused at once.
    pub(super) fn take_listener(&mut self) -> io::Result<tokio::net::UnixListener> {
        let listener = self
            .listener
            .take()
            .ok_or_else(|| io::Error::other("the listener was already taken"))?;
        tokio::net::UnixListener::from_std(listener)
    }

    /// The socket file to remove when the service stops taking connections: none when
    /// systemd owns it.
    pub(super) fn file(&self) -> Option<SocketFile> {
        self.file.clone()
    }
}

impl fmt::Display for Listening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.address)
    }
}

/// Whether two paths name one socket file (one may be relative, or go through a link).
fn same_socket(a: &Path, b: &Path) -> bool {
    let file = |path: &Path| fs::metadata(path).map(|m| (m.dev(), m.ino())).ok();
    a == b || file(a).is_some_and(|a| Some(a) == file(b))
}

impl SocketFile {
    /// Removes the file if it is still this service's: a server started since may
    /// already have replaced it with its own.
    pub(super) fn remove(&self) {
        let ours =
            fs::symlink_metadata(&self.path).is_ok_and(|now| identity(&now) == self.identity);
        if ours {
            let _ = fs::remove_file(&self.path);
        }
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        drop(self.listener.take());
        if let Some(file) = &self.file {
            file.remove();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("maaspd-socket-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir.join("driver.sock")
    }

    #[test]
    fn binds_with_mode_0660_and_removes_on_drop() {
        let path = temp("mode");
        let bound = Listening::bind(&path).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o660);
        drop(bound);
        assert!(!path.exists());
    }

    #[test]
    fn replaces_a_stale_socket_but_not_a_live_one() {
        let path = temp("stale");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        // A socket file nobody listens on any more.
        drop(UnixListener::bind(&path).unwrap());
        assert!(path.exists());
        let live = Listening::bind(&path).expect("a stale socket is replaced");
        let error = Listening::bind(&path)
            .err()
            .expect("a live socket is not taken");
        assert_eq!(error.kind(), ErrorKind::AddrInUse);
        assert!(error.to_string().contains("already listening"), "{error}");
        drop(live);
    }

    #[test]
    fn leaves_other_files_alone() {
        let path = temp("file");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, "not a socket").unwrap();
        let error = Listening::bind(&path)
            .err()
            .expect("a regular file is not replaced");
        assert!(error.to_string().contains("is not a socket"), "{error}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "not a socket");
    }

    #[test]
    fn removes_only_its_own_file() {
        let path = temp("successor");
        let first = Listening::bind(&path).unwrap();
        let file = first.file().unwrap();
        // The first stops listening; a successor binds the same path.
        drop(first);
        let successor = Listening::bind(&path).unwrap();
        file.remove();
        assert!(path.exists(), "the successor's socket stays");
        drop(successor);
    }

    #[test]
    fn systemds_socket_is_served_as_it_is_and_never_removed() {
        let path = temp("inherited");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let listener = UnixListener::bind(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let socket = Listening::inherited(listener, None).unwrap();
        assert_eq!(
            socket.to_string(),
            format!("systemd's socket {}", path.display())
        );
        assert!(socket.file().is_none());
        drop(socket);
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the mode is systemd's");
    }

    #[test]
    fn a_socket_path_given_as_well_must_be_systemds() {
        let path = temp("given");
        let dir = path.parent().unwrap();
        fs::create_dir_all(dir).unwrap();
        // The same socket, by its path or through a link, is fine.
        let _ = fs::remove_file(dir.with_extension("link"));
        std::os::unix::fs::symlink(dir, dir.with_extension("link")).unwrap();
        let through_link = dir.with_extension("link").join("driver.sock");
        for given in [&path, &through_link] {
            let listener = UnixListener::bind(&path).unwrap();
            assert!(Listening::inherited(listener, Some(given)).is_ok());
            fs::remove_file(&path).unwrap();
        }
        let _ = fs::remove_file(dir.with_extension("link"));
        let listener = UnixListener::bind(&path).unwrap();
        let other = dir.join("other.sock");
        let error = Listening::inherited(listener, Some(&other))
            .err()
            .expect("another path is refused");
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        assert_eq!(
            error.to_string(),
            format!(
                "systemd passed a socket at {}, but --socket asks for {}: drop --socket, or \
                 give the socket unit's ListenStream= path",
                path.display(),
                other.display()
            )
        );
    }
}
