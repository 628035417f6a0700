//! Taking the socket: a stale file from a dead server is replaced, a live server is never
//! robbed of its socket, and anything that is not a socket is left alone.

use std::fs;
use std::io::{self, ErrorKind};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// The socket's mode: the service's user and group (MAAS's agent) may connect.
const MODE: u32 = 0o660;

/// A bound socket. Its listener is handed to the server once; its file is removed when
/// the service stops taking connections, and at the latest when this is dropped.
pub(super) struct Bound {
    listener: Option<UnixListener>,
    file: SocketFile,
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

impl Bound {
    pub(super) fn bind(path: &Path) -> io::Result<Bound> {
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
        Ok(Bound {
            listener: Some(listener),
            file: SocketFile {
                path: path.to_owned(),
                identity: identity(&created),
            },
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

    /// The socket file, to remove when the service stops taking connections.
    pub(super) fn file(&self) -> SocketFile {
        self.file.clone()
    }
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

impl Drop for Bound {
    fn drop(&mut self) {
        drop(self.listener.take());
        self.file.remove();
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
        let bound = Bound::bind(&path).unwrap();
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
        let live = Bound::bind(&path).expect("a stale socket is replaced");
        let error = Bound::bind(&path)
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
        let error = Bound::bind(&path)
            .err()
            .expect("a regular file is not replaced");
        assert!(error.to_string().contains("is not a socket"), "{error}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "not a socket");
    }

    #[test]
    fn removes_only_its_own_file() {
        let path = temp("successor");
        let first = Bound::bind(&path).unwrap();
        let file = first.file();
        // The first stops listening; a successor binds the same path.
        drop(first);
        let successor = Bound::bind(&path).unwrap();
        file.remove();
        assert!(path.exists(), "the successor's socket stays");
        drop(successor);
    }
}
