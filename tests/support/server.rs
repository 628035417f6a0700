//! A driver's service (`DRIVER serve --socket PATH ...`) run as a child process, as
//! systemd runs it: started in a fresh directory, waited for until it listens, its
//! stderr collected line by line, stopped with SIGTERM, killed if still running at the
//! end of the test. Optionally under a lower open-file limit, as `ulimit -n` would set.

#![allow(dead_code)] // each test file uses its own part of this module

use std::io;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::process::{Process, Unready};
use crate::scratch::fresh_dir;
use crate::unix_http::Response;

/// How long a server may take to start listening, or to exit when told to.
pub const DEADLINE: Duration = Duration::from_secs(15);

/// A `DRIVER serve --socket PATH ...` child process, with its stderr collected line by
/// line; killed (if still running) and its directory removed on drop.
pub struct Server {
    /// The driver's name, which starts each of its log lines.
    name: String,
    process: Process,
    dir: PathBuf,
    socket: PathBuf,
}

impl Server {
    /// Starts `binary serve` on `x.sock` in a fresh directory, and waits until it listens.
    pub fn start(binary: &Path, args: &[&str]) -> Server {
        let dir = fresh_dir("service");
        let mut server = Server::spawn(binary, dir.join("x.sock"), dir, args);
        server.wait_ready();
        server
    }

    /// [`Server::start`] with the server's open-file limit (soft and hard) set to
    /// `open_files`, as `ulimit -n` would.
    pub fn start_limited(binary: &Path, args: &[&str], open_files: u64) -> Server {
        let dir = fresh_dir("service");
        let mut server =
            Server::spawn_with(binary, dir.join("x.sock"), dir, args, Some(open_files));
        server.wait_ready();
        server
    }

    /// Starts `binary serve --socket socket ...` without waiting for anything; `dir` is
    /// removed on drop.
    pub fn spawn(binary: &Path, socket: PathBuf, dir: PathBuf, args: &[&str]) -> Server {
        Server::spawn_with(binary, socket, dir, args, None)
    }

    fn spawn_with(
        binary: &Path,
        socket: PathBuf,
        dir: PathBuf,
        args: &[&str],
        open_files: Option<u64>,
    ) -> Server {
        let mut command = Command::new(binary);
        command.arg("serve").arg("--socket").arg(&socket).args(args);
        if let Some(open_files) = open_files {
            let limit = libc::rlimit {
                rlim_cur: open_files as libc::rlim_t,
                rlim_max: open_files as libc::rlim_t,
            };
            // SAFETY: between fork and exec the closure only calls `setrlimit`, which is
            // async-signal-safe, and allocates nothing.
            unsafe {
                command.pre_exec(move || {
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                        Ok(())
                    } else {
                        Err(io::Error::last_os_error())
                    }
                });
            }
        }
        let process = Process::spawn(&mut command)
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
        Server {
            name: binary.file_name().unwrap().to_string_lossy().into_owned(),
            process,
            dir,
            socket,
        }
    }

    /// Waits until the server says it serves (after its socket has its mode) and a
    /// connection goes through; a server that exits first fails the test with its stderr.
    pub fn wait_ready(&mut self) {
        let socket = &self.socket;
        let ready = self.process.wait_until(DEADLINE, |process| {
            process.stderr().contains(": serving on ") && UnixStream::connect(socket).is_ok()
        });
        match ready {
            Ok(()) => {}
            Err(Unready::Exited(status)) => panic!(
                "the server exited with {status} before listening:\n{}",
                self.stderr()
            ),
            Err(Unready::TimedOut) => panic!(
                "the server did not listen on {} within {DEADLINE:?}:\n{}",
                self.socket.display(),
                self.stderr()
            ),
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    /// The server's threads now (`Threads:` in `/proc/PID/status`).
    pub fn threads(&self) -> usize {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("the service's /proc/PID/status");
        status
            .lines()
            .find_map(|line| line.strip_prefix("Threads:"))
            .and_then(|count| count.trim().parse().ok())
            .expect("a Threads: line")
    }

    /// How many file descriptors the server has open now (`/proc/PID/fd`).
    pub fn open_descriptors(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.process.id()))
            .expect("the server's /proc/PID/fd")
            .count()
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Everything the server printed on stderr so far.
    pub fn stderr(&self) -> String {
        self.process.stderr()
    }

    /// The request log so far: the lines `NAME: METHOD PATH ... -> STATUS ...`.
    pub fn request_log(&self) -> Vec<String> {
        let prefix = format!("{}: ", self.name);
        self.stderr()
            .lines()
            .filter(|line| line.starts_with(&prefix) && line.contains(" -> "))
            .map(str::to_owned)
            .collect()
    }

    /// Polls the request log until it has `count` lines (the line is written before the
    /// response, but read here by another thread); fails after the deadline.
    pub fn wait_for_log(&self, count: usize) -> Vec<String> {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let log = self.request_log();
            if log.len() >= count || Instant::now() >= deadline {
                return log;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends SIGTERM, as systemd does.
    pub fn terminate(&self) {
        self.process.terminate();
    }

    /// Waits for the process to exit, within the deadline, and for its stderr to end.
    pub fn wait_exit(&mut self) -> ExitStatus {
        self.process.wait_exit(DEADLINE).unwrap_or_else(|| {
            panic!(
                "the server did not exit within {DEADLINE:?}:\n{}",
                self.stderr()
            )
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Stopped before its directory goes: the field's own drop would come after.
        self.process.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The rack controller whose agent sends the requests.
pub const RACK: &str = "rack01";

/// A request body as MAAS's agent sends it for machine `system_id` with `context` as
/// its driver parameters: the rack's system_id at the top, the machine's in `context`
/// (MAAS adds it to every machine's power parameters).
pub fn request(system_id: &str, context: Value) -> Value {
    let mut context = context;
    context["system_id"] = json!(system_id);
    json!({"system_id": RACK, "context": context})
}

/// The body of an error answer, as the service protocol documents it.
pub fn error_body(error_type: &str, message: &str, code: Option<&str>) -> Value {
    let mut body = json!({"status": "error", "error_type": error_type, "error_message": message});
    if let Some(code) = code {
        body["error_code"] = json!(code);
    }
    body
}

/// Asserts the status and the whole JSON body, served as JSON.
pub fn assert_reply(response: &Response, status: u16, body: &Value) {
    assert_eq!(
        (response.status, &response.json()),
        (status, body),
        "{response:?}"
    );
    assert_eq!(
        response.header("content-type"),
        Some("application/json"),
        "{response:?}"
    );
}
