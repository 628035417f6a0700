//! A password for `ssh` run by a [`Tool`] (`virsh` over `qemu+ssh://`, `rsync`, `scp`,
//! ...), through `SSH_ASKPASS`: never in an argument, an environment variable or a file.

use std::fs::Permissions;
use std::io::{self, Read, Write};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::Tool;
use crate::{Error, Result, Secret};

/// The name the driver's binary is linked under to be the askpass program.
const PROGRAM: &str = "maaspd-askpass";
/// The UNIX socket beside it that serves the password.
const SOCKET: &str = "socket";

/// A password served once to `ssh`'s askpass program, for as long as this lives.
///
/// The askpass program is the driver's own binary, linked as `maaspd-askpass` into a
/// private (0700) temporary directory; run under that name, it fetches the password from
/// a UNIX socket in the same directory, which only this user can reach and which answers
/// the first connection only, and prints it to `ssh`. A second question, or one that is
/// not for a password (a host key's `yes/no`), gets no answer. The driver's generated
/// `main` (`maaspd::cli::main`) answers it first, with [`answer_if_invoked`]; a driver
/// with `main = false` calls `maaspd::cli::main` too, or begins its own `main` with it.
///
/// [`Tool::ssh_askpass`] gives a tool the helper; [`Tool::run`] already runs it without a
/// terminal, so `ssh` asks the askpass program rather than prompting.
///
/// ```
/// use maaspd::tool::{Tool, askpass::Askpass};
/// use maaspd::{Action, Context, Secret};
///
/// let password = Secret::new("s3cret");
/// let askpass = Askpass::serve(&password)?;
/// let output = Tool::new("sh", "dash")
///     .args(["-c", "test -x \"$SSH_ASKPASS\" && test -n \"$DISPLAY\" && echo ready"])
///     .ssh_askpass(&askpass)
///     .run(&Context::new(Action::PowerQuery))?;
/// assert_eq!(output.stdout, "ready\n");
/// # Ok::<(), maaspd::Error>(())
/// ```
#[derive(Debug)]
pub struct Askpass {
    dir: tempfile::TempDir,
    secret: Secret,
    done: Arc<AtomicBool>,
}

impl Askpass {
    /// Sets up the askpass program and starts serving `secret`, once.
    ///
    /// ```
    /// use maaspd::{Secret, tool::askpass::Askpass};
    ///
    /// let askpass = Askpass::serve(&Secret::new("s3cret"))?;
    /// assert!(askpass.program().ends_with("maaspd-askpass"));
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn serve(secret: &Secret) -> Result<Askpass> {
        Askpass::start(secret)
            .map_err(|e| Error::fatal(format!("cannot set up the askpass helper for ssh: {e}")))
    }

    fn start(secret: &Secret) -> io::Result<Askpass> {
        // Only this user can reach the socket.
        let dir = tempfile::Builder::new()
            .prefix("maaspd-askpass-")
            .permissions(Permissions::from_mode(0o700))
            .tempdir()?;
        symlink(std::env::current_exe()?, dir.path().join(PROGRAM))?;
        let listener = UnixListener::bind(dir.path().join(SOCKET))?;
        let done = Arc::new(AtomicBool::new(false));
        let finished = Arc::clone(&done);
        let password = secret.clone();
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept()
                && !finished.load(Ordering::SeqCst)
            {
                let _ = stream.write_all(password.expose().as_bytes());
            }
        });
        Ok(Askpass {
            dir,
            secret: secret.clone(),
            done,
        })
    }

    /// The askpass program, for `SSH_ASKPASS`.
    ///
    /// ```
    /// # use maaspd::{Secret, tool::askpass::Askpass};
    /// let askpass = Askpass::serve(&Secret::new("s3cret"))?;
    /// // A link to this very binary, in a directory only this user can enter.
    /// assert!(askpass.program().exists());
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn program(&self) -> PathBuf {
        self.dir.path().join(PROGRAM)
    }
}

impl Drop for Askpass {
    fn drop(&mut self) {
        // Wakes the serving thread, if still waiting, with nothing to serve.
        self.done.store(true, Ordering::SeqCst);
        let _ = UnixStream::connect(self.dir.path().join(SOCKET));
    }
}

impl Tool {
    /// Lets the `ssh` this tool starts get its password from `askpass`, which must live
    /// until the tool has run: sets `SSH_ASKPASS` to its program, and `DISPLAY` when it
    /// is not set (`ssh` asks an askpass program only then; nothing is displayed), and
    /// blots the password out of the output.
    ///
    /// ```
    /// let askpass = maaspd::tool::askpass::Askpass::serve(&maaspd::Secret::new("s3cret"))?;
    /// let tool = maaspd::tool::Tool::new("virsh", "libvirt-clients").ssh_askpass(&askpass);
    /// # let _ = tool;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn ssh_askpass(mut self, askpass: &Askpass) -> Tool {
        self = self.env("SSH_ASKPASS", askpass.program());
        if std::env::var_os("DISPLAY").is_none() {
            self = self.env("DISPLAY", ":0");
        }
        self.redact(&askpass.secret)
    }
}

/// When this process is `ssh`'s askpass program (see [`Askpass`]): answers it, and
/// returns the exit status to end with; otherwise `None`, at once.
///
/// ```
/// // A test binary is not run as the askpass program.
/// assert!(maaspd::tool::askpass::answer_if_invoked().is_none());
/// ```
pub fn answer_if_invoked() -> Option<ExitCode> {
    let mut args = std::env::args_os();
    let program = PathBuf::from(args.next()?);
    if program.file_name() != Some(PROGRAM.as_ref()) {
        return None;
    }
    if args
        .next()
        .unwrap_or_default()
        .to_string_lossy()
        .contains("yes/no")
    {
        // Not a password question: the password is no answer to it.
        return Some(ExitCode::FAILURE);
    }
    Some(match fetch(&program) {
        Ok(password) if !password.is_empty() => {
            let mut stdout = io::stdout().lock();
            let _ = stdout.write_all(&password);
            let _ = stdout.write_all(b"\n");
            ExitCode::SUCCESS
        }
        _ => ExitCode::FAILURE,
    })
}

/// The password, from the socket beside `program`; empty once it was served.
fn fetch(program: &Path) -> io::Result<Vec<u8>> {
    let mut stream = UnixStream::connect(program.with_file_name(SOCKET))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut password = Vec::new();
    stream.read_to_end(&mut password)?;
    Ok(password)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::{Askpass, fetch};
    use crate::Secret;

    #[test]
    fn the_password_is_served_once_from_a_private_directory() {
        let askpass = Askpass::serve(&Secret::new("pa ss'word")).unwrap();
        let program = askpass.program();
        let dir = program.parent().unwrap();
        let mode = std::fs::metadata(dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        assert_eq!(
            std::fs::canonicalize(&program).unwrap(),
            std::fs::canonicalize(std::env::current_exe().unwrap()).unwrap()
        );
        assert_eq!(fetch(&program).unwrap(), b"pa ss'word");
        assert!(fetch(&program).map_or(true, |again| again.is_empty()));
        drop(askpass);
        assert!(!dir.exists());
    }

    #[test]
    fn an_unused_helper_ends_its_thread_and_directory() {
        let askpass = Askpass::serve(&Secret::new("unused")).unwrap();
        let program = askpass.program();
        drop(askpass);
        assert!(fetch(&program).is_err());
        assert!(!program.parent().unwrap().exists());
    }

    #[test]
    fn the_password_is_blotted_out_of_the_output() {
        let askpass = Askpass::serve(&Secret::new("s3cret")).unwrap();
        let output = crate::tool::Tool::new("sh", "dash")
            .args(["-c", "echo s3cret; echo \"$SSH_ASKPASS\""])
            .ssh_askpass(&askpass)
            .run(&crate::Context::new(crate::Action::PowerQuery))
            .unwrap();
        assert_eq!(
            output.stdout,
            format!("[redacted]\n{}\n", askpass.program().display())
        );
    }
}
