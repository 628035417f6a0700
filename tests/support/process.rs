//! A child process whose stderr is collected, for the suites that run a driver's service
//! (or the tool that starts it) beside the test: a failing test prints all the child
//! said, and a test that fails or forgets leaves no child running.

#![allow(dead_code)] // each test file uses its own part of this module

use std::io::{self, BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the waits below look again.
const POLL: Duration = Duration::from_millis(10);

/// A running (or exited) child, its stderr read into a string by a thread of its own;
/// killed, if still running, on drop.
pub struct Process {
    child: Child,
    stderr: Arc<Mutex<String>>,
    /// The thread reading stderr, until it has been joined: then stderr is complete.
    reader: Option<JoinHandle<()>>,
    /// The exit status once seen: the child has been reaped, and is not to be killed.
    exited: Option<ExitStatus>,
}

/// Why [`Process::wait_until`] stopped waiting before its condition held.
#[derive(Debug)]
pub enum Unready {
    /// The process exited first, with this status; its stderr is complete.
    Exited(ExitStatus),
    /// The time given has passed.
    TimedOut,
}

impl Process {
    /// Starts `command` with stdin and stdout on /dev/null, stderr collected and
    /// `RUST_BACKTRACE=1`, so that a driver that panics says where.
    pub fn spawn(command: &mut Command) -> io::Result<Process> {
        let mut child = command
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = Arc::new(Mutex::new(String::new()));
        let reader = {
            let stderr = stderr.clone();
            let mut pipe = BufReader::new(child.stderr.take().expect("piped stderr"));
            // Read as it comes, so that the child never blocks on a full pipe; a line at
            // a time, so that a test waiting for a line never sees half of it.
            std::thread::spawn(move || {
                let mut line = Vec::new();
                while pipe.read_until(b'\n', &mut line).is_ok_and(|read| read > 0) {
                    stderr
                        .lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&line));
                    line.clear();
                }
            })
        };
        Ok(Process {
            child,
            stderr,
            reader: Some(reader),
            exited: None,
        })
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Everything the process has printed on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends SIGTERM, as systemd does to stop a service.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM {} failed", self.id());
    }

    /// The exit status if the process has exited, once its stderr has ended.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        if self.exited.is_none() {
            self.exited = self.child.try_wait().expect("the child's status");
            if self.exited.is_some() {
                self.join_reader();
            }
        }
        self.exited
    }

    /// Waits up to `within` for the process to exit: its status, or `None` if it is
    /// still running.
    pub fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(POLL);
        }
    }

    /// Polls `ready` for up to `within`, giving up early if the process exits: what a
    /// test does while a service starts.
    pub fn wait_until(
        &mut self,
        within: Duration,
        ready: impl Fn(&Process) -> bool,
    ) -> Result<(), Unready> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.try_wait() {
                return Err(Unready::Exited(status));
            }
            if ready(self) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Unready::TimedOut);
            }
            std::thread::sleep(POLL);
        }
    }

    /// Kills the process if it is still running, reaps it and waits for its stderr to
    /// end; for an owner that must stop it before cleaning up after it (drop does the
    /// same, but only after the owner's own drop).
    pub fn kill(&mut self) {
        if self.exited.is_none() {
            let _ = self.child.kill();
            self.exited = self.child.wait().ok();
        }
        self.join_reader();
    }

    fn join_reader(&mut self) {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}
