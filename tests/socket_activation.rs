//! `DRIVER serve` under systemd, as the shipped units (`contrib/systemd/`) run it: socket
//! activation through Debian's `systemd-socket-activate` with the units' own command
//! line and socket path (the driver serves the socket it is passed and leaves its file),
//! supervision through a `NOTIFY_SOCKET` the test binds (READY=1, WATCHDOG=1,
//! STOPPING=1), and the default socket where MAAS's agent looks. The tests that run
//! systemd's tools ask for them first (`support/peers.rs`; Debian's `systemd`, installed
//! by `scripts/setup-e2e`; systemd need not be running).

#[path = "support/peers.rs"]
mod peers;
#[path = "support/process.rs"]
mod process;
#[path = "support/scratch.rs"]
mod scratch;
mod support;
#[path = "support/unix_http.rs"]
mod unix_http;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use peers::Peer;
use process::Process;
use scratch::fresh_dir;
use serde_json::json;

/// How long a server may take to start, answer or exit.
const DEADLINE: Duration = Duration::from_secs(15);

/// The shipped units, and the instance the tests run (the `abstract` example driver).
const UNITS: &str = "contrib/systemd";
const SOCKET_UNIT: &str = "maas-power-driver@.socket";
const SERVICE_UNIT: &str = "maas-power-driver@.service";

// ---- The shipped units, read as systemd reads them (the parts the tests use). ----

/// The shipped unit `file`.
fn unit_path(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(UNITS).join(file)
}

/// The values of `key` in `[section]` of unit `file`, with `%i` expanded to `instance`.
fn unit_values(file: &str, section: &str, key: &str, instance: &str) -> Vec<String> {
    let path = unit_path(file);
    let text = fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let mut current = String::new();
    let mut values = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            current = line.to_owned();
        } else if current == format!("[{section}]")
            && let Some((name, value)) = line.split_once('=')
            && name.trim() == key
        {
            values.push(value.trim().replace("%i", instance));
        }
    }
    values
}

/// The one value of `key` in `[section]`.
fn unit_value(file: &str, section: &str, key: &str, instance: &str) -> String {
    match &unit_values(file, section, key, instance)[..] {
        [value] => value.clone(),
        values => panic!("{file}: expected one {key}= in [{section}], found {values:?}"),
    }
}

/// What the units say for driver `instance`: the service's command line with the
/// installed binary's path replaced by the example's, the socket path moved into `dir`,
/// and the name systemd gives the socket.
struct Activation {
    command: Vec<String>,
    socket: PathBuf,
    fd_name: String,
}

impl Activation {
    fn of(instance: &str, dir: &Path) -> Activation {
        let exec = unit_value(SERVICE_UNIT, "Service", "ExecStart", instance);
        let mut command: Vec<String> = exec.split_whitespace().map(str::to_owned).collect();
        let installed = PathBuf::from(&command[0]);
        assert_eq!(installed.file_name(), Some(OsStr::new(instance)), "{exec}");
        command[0] = support::example(instance).display().to_string();
        let listen = PathBuf::from(unit_value(SOCKET_UNIT, "Socket", "ListenStream", instance));
        assert_eq!(
            listen.parent(),
            Some(Path::new(maaspd::service::SOCKET_DIRECTORY)),
            "the socket unit listens where MAAS's agent looks"
        );
        Activation {
            command,
            socket: dir.join(listen.file_name().expect("a socket file name")),
            fd_name: unit_value(SOCKET_UNIT, "Socket", "FileDescriptorName", instance),
        }
    }
}

// ---- Processes. ----

/// A server of these tests (the driver, or `systemd-socket-activate` that starts it),
/// with the waits and failures they expect of it; killed (if still running) on drop.
struct Server {
    process: Process,
}

impl Server {
    fn spawn(command: &mut Command) -> Server {
        let process =
            Process::spawn(command).unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
        Server { process }
    }

    /// `systemd-socket-activate` listening on `sockets` (named `fd_names`, when given),
    /// passing the variables `env` (`NAME=VALUE`), to exec `command` on the first
    /// connection; `options` go before the sockets (`--datagram`, `--accept`).
    fn activated(
        options: &[&str],
        sockets: &[&Path],
        fd_names: Option<&str>,
        env: &[String],
        command: &[String],
    ) -> Server {
        let mut activate = Command::new(Peer::SystemdSocketActivate.path());
        activate.args(options);
        for socket in sockets {
            activate.arg("--listen").arg(socket);
        }
        if let Some(names) = fd_names {
            activate.arg(format!("--fdname={names}"));
        }
        for variable in env {
            activate.arg(format!("--setenv={variable}"));
        }
        activate.arg("--").args(command);
        let server = Server::spawn(&mut activate);
        // It listens on every socket, and says so, before it waits for a connection.
        for socket in sockets {
            server.wait_for_line(&format!("Listening on {} as ", socket.display()));
        }
        server
    }

    /// Polls `done` until it holds; fails with stderr after the deadline.
    fn wait_for(&self, done: impl Fn() -> bool, what: &str) {
        let deadline = Instant::now() + DEADLINE;
        while !done() {
            assert!(
                Instant::now() < deadline,
                "{what}: not within {DEADLINE:?}:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits until stderr has `text` (it is read by another thread).
    fn wait_for_line(&self, text: &str) {
        self.wait_for(
            || self.stderr().contains(text),
            &format!("{text:?} on stderr"),
        );
    }

    fn stderr(&self) -> String {
        self.process.stderr()
    }

    /// Sends SIGTERM, as systemd does.
    fn terminate(&self) {
        self.process.terminate();
    }

    /// Waits for the process to exit, and for its stderr to end.
    fn wait_exit(&mut self) -> ExitStatus {
        self.process.wait_exit(DEADLINE).unwrap_or_else(|| {
            panic!(
                "the process did not exit within {DEADLINE:?}:\n{}",
                self.stderr()
            )
        })
    }

    /// Waits for the driver to fail at start-up; returns what it said.
    fn failure(&mut self) -> String {
        let status = self.wait_exit();
        assert_eq!(status.code(), Some(1), "{}", self.stderr());
        self.stderr()
    }
}

// ---- systemd's notification socket, played by the test. ----

/// A datagram socket standing in for systemd's `NOTIFY_SOCKET`, collecting each message.
struct NotifySocket {
    path: PathBuf,
    messages: Arc<Mutex<Vec<String>>>,
}

impl NotifySocket {
    fn bind(dir: &Path) -> NotifySocket {
        let path = dir.join("notify");
        let socket = UnixDatagram::bind(&path).expect("a notification socket");
        let messages = Arc::new(Mutex::new(Vec::new()));
        let collected = messages.clone();
        // Ends with the process: the socket is read for as long as the test runs.
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = socket.recv(&mut buffer) {
                let message = String::from_utf8_lossy(&buffer[..n]).into_owned();
                collected.lock().unwrap().push(message);
            }
        });
        NotifySocket { path, messages }
    }

    fn variable(&self) -> String {
        format!("NOTIFY_SOCKET={}", self.path.display())
    }

    /// The lines received so far (`READY=1`, `STATUS=...`), in order.
    fn lines(&self) -> Vec<String> {
        let messages = self.messages.lock().unwrap();
        messages
            .iter()
            .flat_map(|message| message.lines().map(str::to_owned))
            .collect()
    }

    fn count(&self, line: &str) -> usize {
        self.lines().iter().filter(|seen| *seen == line).count()
    }

    /// Waits until `line` has come `times` times.
    fn wait_for(&self, line: &str, times: usize, server: &Server) {
        server.wait_for(
            || self.count(line) >= times,
            &format!("{line} {times} times (got {:?})", self.lines()),
        );
    }
}

fn query_body() -> serde_json::Value {
    json!({"system_id": "rack", "context": {"system_id": "machine"}})
}

fn assert_socket_file(path: &Path) {
    let metadata =
        fs::symlink_metadata(path).unwrap_or_else(|e| panic!("{} is gone: {e}", path.display()));
    assert!(metadata.file_type().is_socket(), "{}", path.display());
}

// ---- The tests. ----

#[test]
fn the_shipped_units_are_valid_and_as_documented() {
    if !peers::available(&[Peer::SystemdAnalyze]) {
        return;
    }
    let dir = fresh_dir("activation");
    // systemd-analyze reads the pair as systemd would, with the binary that exists here.
    let exec = unit_value(SERVICE_UNIT, "Service", "ExecStart", "%i");
    let installed = exec.split_whitespace().next().unwrap().replace("%i", "");
    let examples = support::example("abstract").parent().unwrap().to_owned();
    let service = fs::read_to_string(unit_path(SERVICE_UNIT)).unwrap();
    fs::write(
        dir.join(SERVICE_UNIT),
        service.replace(&installed, &format!("{}/", examples.display())),
    )
    .unwrap();
    fs::copy(unit_path(SOCKET_UNIT), dir.join(SOCKET_UNIT)).unwrap();
    let output = Command::new(Peer::SystemdAnalyze.path())
        .args(["verify", "--man=no"])
        .arg(dir.join("maas-power-driver@abstract.socket"))
        .arg(dir.join("maas-power-driver@abstract.service"))
        .output()
        .expect("systemd-analyze runs");
    let said = String::from_utf8_lossy(&output.stderr).into_owned()
        + &String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success() && said.is_empty(), "{said}");

    let socket = |key| unit_value(SOCKET_UNIT, "Socket", key, "webhook");
    let service = |key| unit_value(SERVICE_UNIT, "Service", key, "webhook");
    assert_eq!(
        socket("ListenStream"),
        "/run/maas/power-driver/webhook.sock"
    );
    assert_eq!(socket("SocketMode"), "0660");
    assert_eq!(socket("FileDescriptorName"), "webhook");
    assert_eq!(socket("Accept"), "no");
    assert_eq!(service("Type"), "notify");
    assert!(!service("WatchdogSec").is_empty());
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn serves_the_socket_systemd_passes_and_leaves_it() {
    if !peers::available(&[Peer::SystemdSocketActivate]) {
        return;
    }
    let dir = fresh_dir("activation");
    let unit = Activation::of("abstract", &dir);
    let notify = NotifySocket::bind(&dir);
    let mut server = Server::activated(
        &[],
        &[&unit.socket],
        Some(&unit.fd_name),
        &[notify.variable()],
        &unit.command,
    );
    fs::set_permissions(&unit.socket, fs::Permissions::from_mode(0o666)).unwrap();

    // The first connection starts the driver, which answers it on the passed socket.
    let response = unix_http::post(&unit.socket, "/query", &query_body());
    assert_eq!(response.status, 200, "{}", server.stderr());
    assert_eq!(response.json(), json!({"status": "ok", "state": "off"}));
    let metadata = unix_http::get(&unit.socket, "/metadata");
    assert_eq!(metadata.json()["name"], "abstract");
    let serving = format!("serving on systemd's socket {}", unit.socket.display());
    server.wait_for_line(&format!("abstract: {serving} ("));
    notify.wait_for("READY=1", 1, &server);
    assert!(
        notify.lines().contains(&format!("STATUS={serving}")),
        "{:?}",
        notify.lines()
    );

    server.terminate();
    assert!(server.wait_exit().success(), "{}", server.stderr());
    notify.wait_for("STOPPING=1", 1, &server);
    // The socket file stays as systemd made it: under systemd, the next connection
    // starts the driver again.
    assert_socket_file(&unit.socket);
    let mode = fs::metadata(&unit.socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o666, "the socket's mode is systemd's");
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn among_several_sockets_the_one_named_after_the_driver() {
    if !peers::available(&[Peer::SystemdSocketActivate]) {
        return;
    }
    let dir = fresh_dir("activation");
    let unit = Activation::of("abstract", &dir);
    let other = dir.join("other.sock");
    let names = format!("other:{}", unit.fd_name);
    let server = Server::activated(
        &[],
        &[&other, &unit.socket],
        Some(&names),
        &[],
        &unit.command,
    );
    // A connection to the other socket starts the driver, which serves its own.
    drop(UnixStream::connect(&other).unwrap());
    let response = unix_http::post(&unit.socket, "/query", &query_body());
    assert_eq!(response.status, 200, "{}", server.stderr());
    server.wait_for_line(&format!(
        "serving on systemd's socket {}",
        unit.socket.display()
    ));
    drop(server);

    // None named after the driver: which to serve is not guessed.
    let dir2 = fresh_dir("activation");
    let (one, two) = (dir2.join("one.sock"), dir2.join("two.sock"));
    let mut server = Server::activated(&[], &[&one, &two], Some("one:two"), &[], &unit.command);
    drop(UnixStream::connect(&one).unwrap());
    assert!(
        server.failure().contains(
            "error: systemd passed 2 sockets (one, two) and none is named abstract: give this \
             driver's socket FileDescriptorName=abstract"
        ),
        "{}",
        server.stderr()
    );
    let _ = fs::remove_dir_all(dir);
    let _ = fs::remove_dir_all(dir2);
}

#[test]
fn a_socket_that_is_not_a_listening_stream_socket_is_refused() {
    if !peers::available(&[Peer::SystemdSocketActivate]) {
        return;
    }
    let dir = fresh_dir("activation");
    let unit = Activation::of("abstract", &dir);

    // ListenDatagram=: a datagram starts the driver.
    let mut server = Server::activated(&["--datagram"], &[&unit.socket], None, &[], &unit.command);
    let client = UnixDatagram::unbound().unwrap();
    client.send_to(b"hello", &unit.socket).unwrap();
    assert!(
        server
            .failure()
            .contains("error: the socket systemd passed (fd 3) is not a stream socket"),
        "{}",
        server.stderr()
    );
    drop(server);
    fs::remove_file(&unit.socket).unwrap();

    // Accept=yes: the driver gets a connection, not the listening socket.
    let server = Server::activated(&["--accept"], &[&unit.socket], None, &[], &unit.command);
    let _connection = UnixStream::connect(&unit.socket).unwrap();
    server.wait_for_line(
        "error: the socket systemd passed (fd 3) is not listening (a socket unit with \
         Accept=no passes a listening socket)",
    );
    drop(server);
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn a_socket_path_given_as_well_must_be_systemds() {
    if !peers::available(&[Peer::SystemdSocketActivate]) {
        return;
    }
    let dir = fresh_dir("activation");
    let unit = Activation::of("abstract", &dir);

    let mut same = unit.command.clone();
    same.extend(["--socket".into(), unit.socket.display().to_string()]);
    let server = Server::activated(&[], &[&unit.socket], None, &[], &same);
    let response = unix_http::post(&unit.socket, "/query", &query_body());
    assert_eq!(response.status, 200, "{}", server.stderr());
    drop(server);
    fs::remove_file(&unit.socket).unwrap();

    let elsewhere = dir.join("elsewhere.sock");
    let mut other = unit.command.clone();
    other.extend(["--socket".into(), elsewhere.display().to_string()]);
    let mut server = Server::activated(&[], &[&unit.socket], None, &[], &other);
    drop(UnixStream::connect(&unit.socket).unwrap());
    let expected = format!(
        "error: systemd passed a socket at {}, but --socket asks for {}: drop --socket, or \
         give the socket unit's ListenStream= path",
        unit.socket.display(),
        elsewhere.display()
    );
    assert!(server.failure().contains(&expected), "{}", server.stderr());
    assert!(!elsewhere.exists());
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn the_tools_a_driver_runs_inherit_neither_the_socket_nor_the_variables() {
    if !peers::available(&[Peer::SystemdSocketActivate]) {
        return;
    }
    let dir = fresh_dir("activation");
    let unit = Activation::of("ipmi", &dir);
    // A fake ipmipower (shell builtins only) that records its environment and whether
    // it was handed the passed socket (fd 3), then answers like the real one.
    let tools = dir.join("tools");
    fs::create_dir(&tools).unwrap();
    let record = dir.join("ipmipower.env");
    fs::write(
        tools.join("ipmipower"),
        format!(
            "#!/bin/sh\n\
             {{ export -p; [ -e /proc/self/fd/3 ] && echo 'fd 3 is open'; }} >'{}'\n\
             echo '10.0.0.5: on'\n",
            record.display()
        ),
    )
    .unwrap();
    fs::set_permissions(tools.join("ipmipower"), fs::Permissions::from_mode(0o755)).unwrap();

    let path = format!("PATH={}", tools.display());
    let server = Server::activated(
        &[],
        &[&unit.socket],
        Some(&unit.fd_name),
        &[path, "WATCHDOG_USEC=60000000".into()],
        &unit.command,
    );
    let context = json!({
        "system_id": "machine",
        "power_address": "10.0.0.5",
        "power_user": "maas",
        "power_pass": "pw",
    });
    let response = unix_http::post(
        &unit.socket,
        "/query",
        &json!({"system_id": "rack", "context": context}),
    );
    assert_eq!(
        response.status,
        200,
        "{}: {}",
        response.text(),
        server.stderr()
    );
    assert_eq!(response.json()["state"], "on");
    let environment = fs::read_to_string(&record).expect("ipmipower ran");
    assert!(environment.contains("PATH="), "{environment}");
    for gone in [
        "LISTEN_FDS",
        "LISTEN_PID",
        "LISTEN_FDNAMES",
        "WATCHDOG_USEC",
    ] {
        assert!(
            !environment.contains(gone),
            "{gone} inherited:\n{environment}"
        );
    }
    assert!(!environment.contains("fd 3 is open"), "{environment}");
    drop(server);
    let _ = fs::remove_dir_all(dir);
}

/// `abstract serve --socket DIR/x.sock` with `env` and a notification socket, started
/// through a shell that sets `WATCHDOG_PID` to the driver's own (exec keeps the PID).
fn supervised(dir: &Path, notify: &NotifySocket, env: &[(&str, &str)]) -> Server {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(r#"[ -n "$WATCHDOG_PID" ] || export WATCHDOG_PID=$$; exec "$0" "$@""#)
        .arg(support::example("abstract"))
        .arg("serve")
        .arg("--socket")
        .arg(dir.join("x.sock"))
        .env("NOTIFY_SOCKET", &notify.path)
        .env_remove("WATCHDOG_USEC")
        .env_remove("WATCHDOG_PID")
        .envs(env.iter().copied());
    Server::spawn(&mut command)
}

#[test]
fn tells_systemd_it_is_ready_alive_and_stopping() {
    let dir = fresh_dir("activation");
    let notify = NotifySocket::bind(&dir);
    // A 100 ms watchdog for this process: WATCHDOG=1 every 50 ms.
    let mut server = supervised(&dir, &notify, &[("WATCHDOG_USEC", "100000")]);
    notify.wait_for("READY=1", 1, &server);
    let socket = dir.join("x.sock");
    assert_eq!(
        unix_http::post(&socket, "/query", &query_body()).status,
        200
    );
    notify.wait_for("WATCHDOG=1", 3, &server);
    assert_eq!(notify.lines()[0], "READY=1");
    server.terminate();
    assert!(server.wait_exit().success(), "{}", server.stderr());
    notify.wait_for("STOPPING=1", 1, &server);
    assert!(!socket.exists(), "a socket bound by the driver is removed");
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn the_watchdog_is_fed_only_when_it_is_this_process_s() {
    let dir = fresh_dir("activation");
    let notify = NotifySocket::bind(&dir);
    // WATCHDOG_PID names another process: the watchdog is not this one's.
    let mut server = supervised(
        &dir,
        &notify,
        &[("WATCHDOG_USEC", "20000"), ("WATCHDOG_PID", "1")],
    );
    notify.wait_for("READY=1", 1, &server);
    // Fed, it would have said WATCHDOG=1 some 20 times by now.
    std::thread::sleep(Duration::from_millis(200));
    server.terminate();
    assert!(server.wait_exit().success(), "{}", server.stderr());
    notify.wait_for("STOPPING=1", 1, &server);
    assert_eq!(notify.count("WATCHDOG=1"), 0, "{:?}", notify.lines());
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn without_systemd_nothing_is_sent_and_nothing_is_needed() {
    let dir = fresh_dir("activation");
    let mut command = Command::new(support::example("abstract"));
    command
        .arg("serve")
        .arg("--socket")
        .arg(dir.join("x.sock"))
        .env_remove("NOTIFY_SOCKET")
        .env("WATCHDOG_USEC", "1000")
        .env("LISTEN_FDS", "1")
        // Meant for another process: its socket is not this one's to take.
        .env("LISTEN_PID", "1");
    let mut server = Server::spawn(&mut command);
    let socket = dir.join("x.sock");
    server.wait_for(|| UnixStream::connect(&socket).is_ok(), "the socket");
    assert_eq!(
        unix_http::post(&socket, "/query", &query_body()).status,
        200
    );
    server.terminate();
    assert!(server.wait_exit().success(), "{}", server.stderr());
    assert!(!server.stderr().contains("notify"), "{}", server.stderr());
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn the_default_socket_is_where_maas_agent_looks() {
    let help = |snap: Option<&str>| {
        let run = support::run_with_env(
            &support::example("abstract"),
            &["serve", "--help"],
            b"",
            &[("SNAP_INSTANCE_NAME", snap.map(OsStr::new))],
        );
        assert_eq!(run.status, 0, "{run:?}");
        run.stdout
    };
    let default = |path: &str| format!("unless systemd passes one [default: {path}]");
    assert!(
        help(None).contains(&default("/run/maas/power-driver/abstract.sock")),
        "{}",
        help(None)
    );
    assert!(help(Some("")).contains(&default("/run/maas/power-driver/abstract.sock")));
    assert!(
        help(Some("maas")).contains(&default("/run/snap.maas/power-driver/abstract.sock")),
        "{}",
        help(Some("maas"))
    );
}
