//! Running a BMC's command-line tool (FreeIPMI's `ipmipower`, `virsh`, ...) within the
//! call's deadline, with secrets kept off its command line and out of its output.

#[cfg(feature = "askpass")]
pub mod askpass;

use std::ffi::{OsStr, OsString};
use std::io::{self, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::{Context, Error, Result, Secret};

pub mod arp;
pub mod known;
pub mod message;
pub mod option;

/// Output kept of each stream: a tool's answer fits; anything longer is cut, not held.
const MAX_OUTPUT: usize = 64 * 1024;

/// How often a running tool is looked at, for its end, the deadline or a cancellation.
const POLL: Duration = Duration::from_millis(5);

/// How long what a tool left running may keep its output open after the tool exits.
const LEFT_RUNNING_GRACE: Duration = Duration::from_secs(1);

/// A tool to run for one call: its program and the Debian package that has it, its
/// arguments and environment, and the secrets it needs, which go through its
/// environment or its standard input, never its command line (which any local user
/// reads in `/proc`), and are blotted out of its output.
///
/// [`run`](Tool::run) starts it in a session and process group of its own (with no
/// terminal, so a prompt for a secret reads standard input), in the C locale, and
/// ends the whole group (the tool and anything it started, such as an `ssh`) when the
/// call's deadline passes or the call is cancelled (`connError` "TOOL did not finish:
/// timed out after N s"), or its own [`timeout`](Tool::timeout) ("TOOL did not finish
/// within N s"). A tool that is not installed is `toolError` naming its package.
///
/// ```
/// use maaspd::tool::Tool;
/// use maaspd::{Action, Context, Secret};
///
/// let ctx = Context::new(Action::PowerQuery);
/// let password = Secret::new("hunter2");
/// let output = Tool::new("sh", "dash")
///     .args(["-c", "echo \"password is $BMC_PASSWORD\""])
///     .secret_env("BMC_PASSWORD", &password)
///     .run(&ctx)?;
/// assert!(output.success());
/// assert_eq!(output.stdout, "password is [redacted]\n");
///
/// let missing = Tool::new("no-such-ipmitool", "freeipmi-tools").run(&ctx).unwrap_err();
/// assert_eq!(missing.code(), maaspd::ErrorCode::Tool);
/// assert!(missing.message().contains("install the Debian package freeipmi-tools"));
/// # Ok::<(), maaspd::Error>(())
/// ```
#[derive(Debug)]
pub struct Tool {
    program: OsString,
    package: String,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    secret_env: Vec<(OsString, Secret)>,
    stdin: Vec<Secret>,
    redacted: Vec<Secret>,
    limit: Option<Duration>,
}

/// What a tool printed, cut at 64 KiB per stream and with its secrets blotted out, and
/// how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
///
/// ```
/// use maaspd::tool::Tool;
/// use maaspd::{Action, Context};
///
/// let output = Tool::new("sh", "dash").args(["-c", "echo on; exit 3"]).run(&Context::new(Action::PowerQuery))?;
/// assert_eq!((output.status, output.stdout.as_str(), output.success()), (Some(3), "on\n", false));
/// # Ok::<(), maaspd::Error>(())
/// ```
pub struct ToolOutput {
    /// The exit code; `None` when a signal ended it.
    pub status: Option<i32>,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

impl ToolOutput {
    /// Whether it exited with 0.
    ///
    /// ```
    /// let output = maaspd::tool::ToolOutput { status: Some(0), stdout: String::new(), stderr: String::new() };
    /// assert!(output.success());
    /// ```
    pub fn success(&self) -> bool {
        self.status == Some(0)
    }
}

impl Tool {
    /// `program` (looked up in `PATH`), from the Debian package `package`.
    ///
    /// ```
    /// let tool = maaspd::tool::Tool::new("ipmipower", "freeipmi-tools");
    /// # let _ = tool;
    /// ```
    pub fn new(program: impl AsRef<OsStr>, package: impl Into<String>) -> Tool {
        Tool {
            program: program.as_ref().to_owned(),
            package: package.into(),
            args: Vec::new(),
            env: Vec::new(),
            secret_env: Vec::new(),
            stdin: Vec::new(),
            redacted: Vec::new(),
            limit: None,
        }
    }

    /// Adds an argument: never a secret (see [`secret_env`](Tool::secret_env) and
    /// [`secret_stdin`](Tool::secret_stdin)).
    ///
    /// ```
    /// let tool = maaspd::tool::Tool::new("virsh", "libvirt-clients").arg("--connect").arg("qemu:///system");
    /// # let _ = tool;
    /// ```
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Tool {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Adds arguments.
    ///
    /// ```
    /// let tool = maaspd::tool::Tool::new("ipmipower", "freeipmi-tools").args(["--stat", "-h", "10.0.0.5"]);
    /// # let _ = tool;
    /// ```
    pub fn args(mut self, args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> Tool {
        self.args
            .extend(args.into_iter().map(|arg| arg.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable.
    ///
    /// ```
    /// let tool = maaspd::tool::Tool::new("virsh", "libvirt-clients").env("LIBVIRT_DEFAULT_URI", "qemu:///system");
    /// # let _ = tool;
    /// ```
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Tool {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Passes `secret` in the environment variable `key` (readable only by the same
    /// user, unlike the command line), and blots it out of the output.
    ///
    /// ```
    /// let password = maaspd::Secret::new("s3cret");
    /// let tool = maaspd::tool::Tool::new("sshpass", "sshpass").secret_env("SSHPASS", &password);
    /// # let _ = tool;
    /// ```
    pub fn secret_env(mut self, key: impl AsRef<OsStr>, secret: &Secret) -> Tool {
        self.secret_env
            .push((key.as_ref().to_owned(), secret.clone()));
        self.redact(secret)
    }

    /// Writes `secret` and a newline to the tool's standard input (which is otherwise
    /// empty), after the lines of earlier calls, and blots it out of the output. A tool
    /// that prompts for a password (FreeIPMI's `-P`, `ssh`'s askpass-less prompts) reads
    /// it there: the tool has no terminal to prompt on.
    ///
    /// ```
    /// let password = maaspd::Secret::new("s3cret");
    /// let tool = maaspd::tool::Tool::new("ipmitool", "ipmitool").arg("-I").arg("lanplus").secret_stdin(&password);
    /// # let _ = tool;
    /// ```
    pub fn secret_stdin(mut self, secret: &Secret) -> Tool {
        self.stdin.push(secret.clone());
        self.redact(secret)
    }

    /// Blots `secret` out of the output, wherever the tool got it (a file of its own).
    ///
    /// ```
    /// let key = maaspd::Secret::new("0x0102");
    /// let tool = maaspd::tool::Tool::new("ipmipower", "freeipmi-tools").redact(&key);
    /// # let _ = tool;
    /// ```
    pub fn redact(mut self, secret: &Secret) -> Tool {
        if !secret.is_empty() {
            self.redacted.push(secret.clone());
        }
        self
    }

    /// Gives the tool at most `limit`, even when the call's deadline is later (or there
    /// is none, as in the CLI without `--timeout`); [`timeout_from_env`] reads a limit
    /// an operator sets.
    ///
    /// ```
    /// let tool = maaspd::tool::Tool::new("virsh", "libvirt-clients").timeout(std::time::Duration::from_secs(30));
    /// # let _ = tool;
    /// ```
    pub fn timeout(mut self, limit: Duration) -> Tool {
        self.limit = Some(limit);
        self
    }

    /// Runs the tool to its end, its deadline, or the call's cancellation.
    ///
    /// ```
    /// use maaspd::tool::Tool;
    /// use maaspd::{Action, Context};
    ///
    /// let output = Tool::new("echo", "coreutils").arg("on").run(&Context::new(Action::PowerQuery))?;
    /// assert!(output.success());
    /// assert_eq!(output.stdout.trim(), "on");
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn run(&self, ctx: &Context) -> Result<ToolOutput> {
        let name = self.program.to_string_lossy().into_owned();
        let started = Instant::now();
        let mut child = self.spawn(&name)?;
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        if let Some(mut stdin) = child.stdin.take() {
            let lines: String = self
                .stdin
                .iter()
                .map(|secret| format!("{}\n", secret.expose()))
                .collect();
            // A tool that exits without reading it closes the pipe: not an error here.
            let _ = stdin.write_all(lines.as_bytes());
        }
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) => {}
                Err(error) => {
                    end_group(&mut child);
                    return Err(Error::fatal(format!("cannot wait for {name}: {error}")));
                }
            }
            if let Err(stopped) = ctx.check() {
                end_group(&mut child);
                return Err(Error::conn(format!(
                    "{name} did not finish: {}",
                    stopped.message()
                )));
            }
            if let Some(limit) = self.limit
                && started.elapsed() >= limit
            {
                end_group(&mut child);
                return Err(Error::conn(format!(
                    "{name} did not finish within {} s",
                    limit.as_secs_f64()
                )));
            }
            thread::sleep(POLL);
        };
        // Something the tool left running in its group may hold the pipes open: it gets a
        // moment, then the group ends (it still exists, so its id is still the tool's).
        let collect = |stream: mpsc::Receiver<String>| {
            stream.recv_timeout(LEFT_RUNNING_GRACE).or_else(|_| {
                kill_group(child.id());
                stream.recv()
            })
        };
        let (stdout, stderr) = (collect(stdout), collect(stderr));
        Ok(ToolOutput {
            status: status.code(),
            stdout: self.scrub(stdout.unwrap_or_default()),
            stderr: self.scrub(stderr.unwrap_or_default()),
        })
    }

    fn spawn(&self, name: &str) -> Result<Child> {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .env("LC_ALL", "C.UTF-8")
            .envs(self.env.iter().map(|(key, value)| (key, value)))
            .envs(
                self.secret_env
                    .iter()
                    .map(|(key, secret)| (key.as_os_str(), OsStr::new(secret.expose()))),
            )
            .stdin(if self.stdin.is_empty() {
                Stdio::null()
            } else {
                Stdio::piped()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // A session of its own: no terminal, so a tool that prompts for a secret reads it
        // from its standard input, never from the operator's terminal; and a process group
        // of its own (the session's), so that the deadline ends what it started, too.
        // SAFETY: between fork and exec only `setsid`, which is async-signal-safe.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut command, || {
                if libc::setsid() == -1 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        command.spawn().map_err(|error| match error.kind() {
            io::ErrorKind::NotFound => Error::tool(format!(
                "{name} was not found in PATH: install the Debian package {}",
                self.package
            )),
            _ => Error::tool(format!("could not run {name} ({}): {error}", self.package)),
        })
    }

    fn scrub(&self, mut text: String) -> String {
        for secret in &self.redacted {
            text = secret.redact(&text);
        }
        text
    }
}

/// The bound of a tool's calls ([`Tool::timeout`]) an operator may set in the
/// environment variable `variable`: a positive number of seconds (`30`, `0.5`), or
/// `default` when it is unset. Any other value is a `settingsError` naming the variable.
///
/// ```
/// use std::time::Duration;
///
/// let bound = maaspd::tool::timeout_from_env("MAASPD_EXAMPLE_TIMEOUT", Duration::from_secs(30))?;
/// assert_eq!(bound, Duration::from_secs(30));
/// # Ok::<(), maaspd::Error>(())
/// ```
pub fn timeout_from_env(variable: &str, default: Duration) -> Result<Duration> {
    timeout_from(variable, std::env::var(variable).ok(), default)
}

/// [`timeout_from_env`] of the variable's value, `None` when unset.
fn timeout_from(variable: &str, value: Option<String>, default: Duration) -> Result<Duration> {
    let Some(text) = value else {
        return Ok(default);
    };
    // Not a number is NaN, which no duration is.
    match Duration::try_from_secs_f64(text.trim().parse().unwrap_or(f64::NAN)) {
        Ok(limit) if !limit.is_zero() => Ok(limit),
        _ => Err(Error::settings(format!(
            "{variable}={text:?} is not a positive number of seconds"
        ))),
    }
}

/// Reads a stream to its end on a thread of its own, keeping its first 64 KiB.
fn drain(stream: Option<impl Read + Send + 'static>) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    if let Some(mut stream) = stream {
        thread::spawn(move || {
            let mut kept = Vec::new();
            let mut chunk = [0; 8192];
            loop {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(read) => {
                        let room = MAX_OUTPUT.saturating_sub(kept.len());
                        kept.extend_from_slice(&chunk[..read.min(room)]);
                    }
                }
            }
            let _ = sender.send(String::from_utf8_lossy(&kept).into_owned());
        });
    } else {
        let _ = sender.send(String::new());
    }
    receiver
}

/// Kills the process group the child leads, then reaps the child (not reaped before, so
/// the group's id is still its own).
fn end_group(child: &mut Child) {
    kill_group(child.id());
    let _ = child.wait();
}

/// Kills the process group `leader` leads.
fn kill_group(leader: u32) {
    if let Ok(group) = i32::try_from(leader)
        && group > 1
    {
        // SAFETY: `kill` takes plain integers and touches no memory of this process.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{Tool, timeout_from, timeout_from_env};
    use crate::{Action, Context, ErrorCode, Secret};

    fn ctx() -> Context {
        Context::new(Action::PowerQuery)
    }

    #[test]
    fn the_deadline_ends_the_tool_and_what_it_started() {
        let dir = std::env::temp_dir().join(format!("maaspd-tool-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pid_file = dir.join("grandchild");
        let script = format!("sleep 30 & echo $! > {}; wait", pid_file.display());
        let ctx = Context::new(Action::PowerOn).with_timeout(Duration::from_millis(300));
        let started = Instant::now();
        let error = Tool::new("sh", "dash")
            .args(["-c", &script])
            .run(&ctx)
            .unwrap_err();
        assert_eq!(error.code(), ErrorCode::Conn);
        assert_eq!(error.message(), "sh did not finish: timed out after 0.3 s");
        assert!(started.elapsed() < Duration::from_secs(5));
        let grandchild: i32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // Gone, or a zombie (killed, and not yet reaped by whoever inherited it), once
        // the kill is delivered.
        let running = || {
            std::fs::read_to_string(format!("/proc/{grandchild}/stat"))
                .is_ok_and(|stat| !stat.rsplit(") ").next().unwrap_or("").starts_with('Z'))
        };
        let killed = Instant::now();
        while running() && killed.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            !running(),
            "the tool's own child {grandchild} outlived the deadline"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn its_own_limit_applies_without_a_deadline() {
        let error = Tool::new("sleep", "coreutils")
            .arg("30")
            .timeout(Duration::from_millis(100))
            .run(&ctx())
            .unwrap_err();
        assert_eq!(error.message(), "sleep did not finish within 0.1 s");
    }

    #[test]
    fn secrets_go_through_stdin_or_the_environment_and_never_come_back() {
        let password = Secret::new("pa ss'word");
        let output = Tool::new("sh", "dash")
            .args([
                "-c",
                "read line; read key; echo \"got $line\"; echo \"$KEY $key\" >&2",
            ])
            .secret_stdin(&password)
            .secret_stdin(&Secret::new("0x0102"))
            .secret_env("KEY", &Secret::new("0xabc"))
            .run(&ctx())
            .unwrap();
        assert!(output.success());
        assert_eq!(output.stdout, "got [redacted]\n");
        assert_eq!(output.stderr, "[redacted] [redacted]\n");
    }

    #[test]
    fn output_is_kept_to_64_kib_and_the_exit_code_is_reported() {
        let output = Tool::new("sh", "dash")
            .args(["-c", "head -c 200000 /dev/zero | tr '\\0' x; exit 3"])
            .run(&ctx())
            .unwrap();
        assert_eq!(output.status, Some(3));
        assert!(!output.success());
        assert_eq!(output.stdout.len(), 64 * 1024);
    }

    #[test]
    fn a_bound_from_the_environment_is_a_positive_number_of_seconds() {
        let default = Duration::from_secs(30);
        let read =
            |value: Option<&str>| timeout_from("TOOL_TIMEOUT", value.map(Into::into), default);
        assert_eq!(read(None).unwrap(), default);
        assert_eq!(read(Some("5")).unwrap(), Duration::from_secs(5));
        assert_eq!(read(Some(" 0.5 ")).unwrap(), Duration::from_millis(500));
        for bad in ["0", "-1", "soon", "", "inf", "NaN", "1e400"] {
            let error = read(Some(bad)).unwrap_err();
            assert_eq!(error.code(), ErrorCode::Settings, "{bad:?}");
            assert_eq!(
                error.message(),
                format!("TOOL_TIMEOUT={bad:?} is not a positive number of seconds")
            );
        }
        let unset = "MAASPD_TOOL_TEST_TIMEOUT_NEVER_SET";
        assert_eq!(timeout_from_env(unset, default).unwrap(), default);
    }

    #[test]
    fn a_missing_tool_names_its_package() {
        let error = Tool::new("maaspd-no-such-tool", "freeipmi-tools")
            .run(&ctx())
            .unwrap_err();
        assert_eq!(
            (error.code(), error.message()),
            (
                ErrorCode::Tool,
                "maaspd-no-such-tool was not found in PATH: install the Debian package freeipmi-tools"
            )
        );
    }
}
