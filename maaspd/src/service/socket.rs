//! Taking the socket: a stale file from a dead server is replaced, a live server is never
//! robbed of its socket, and anything that is not a socket is left alone.

use std::fs;
use std::io::{self, ErrorKind};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

/// The socket's mode: the service's user and group (MAAS's agent) may connect.
const MODE: u32 = 0o660;

/// A bound socket; dropping it removes the socket file.
pub(super) struct Bound {
    listener: Option<std::os::unix::net::UnixListener>,
    path: PathBuf,
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
        let listener = std::os::unix::net::UnixListener::bind(path).map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("cannot listen on {}: {error}", path.display()),
            )
        })?;
        fs::set_permissions(path, fs::Permissions::from_mode(MODE))?;
        listener.set_nonblocking(true)?;
        Ok(Bound {
            listener: Some(listener),
            path: path.to_owned(),
        })
    }

    /// The listener, for tokio; must be called inside the runtime.
    pub(super) fn listener(&self) -> io::Result<tokio::net::UnixListener> {
        let listener = self
            .listener
            .as_ref()
            .ok_or_else(|| io::Error::other("the listener was already taken"))?
            .try_clone()?;
        tokio::net::UnixListener::from_std(listener)
    }
}

impl Drop for Bound {
    fn drop(&mut self) {
        drop(self.listener.take());
        let _ = fs::remove_file(&self.path);
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
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
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
}
