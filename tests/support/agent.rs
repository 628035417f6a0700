//! MAAS's Go agent as a test client, written anew in Rust from how
//! `src/maasagent/internal/power/` (branch `mega-power-demo` of canonical/maas) finds
//! power drivers and talks to them:
//!
//! - **Discovery** (`discovery.go`): every `*.sock` under a directory, walked down, asked
//!   `GET /metadata` all at once with a 5 s timeout; a driver is known by its metadata's
//!   `name` (else its file name without `.sock`); a socket that fails is skipped.
//! - **Requests** (`socketclient.go`): a new connection for every request, which the
//!   client never closes: it stays open until the server closes it, as it does under Go's
//!   transport, which the agent makes anew for each request and never closes. A 10 s
//!   timeout per attempt; an attempt that fails to connect or to get an answer is tried
//!   again with exponential backoff (0.5 s, × 1.5, at most 1 s apart, ± 50 %) until 5 s
//!   have passed; any status but 200 is an error carrying the body. The bytes are those
//!   Go's net/http writes, the body Go's `json.Marshal` of a `map[string]any`.
//! - **Results** (`service.go`): the rack's `system_id` goes with query, on, off, cycle and
//!   reset, the machine's with set-boot-order, whose rows go as JSON strings; only
//!   `state` is read, and on, off, cycle and reset fail when it is not the state the
//!   action leads to (no `state` counts as that one).

#![allow(dead_code)] // each test uses its own part of this module

use std::collections::BTreeMap;
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::io::{self, ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::go_json;
use crate::unix_http::{self, Response};

/// How long discovery waits for a driver's metadata.
pub const METADATA_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one attempt of a power request may take, from connecting to the last byte.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long failed attempts are tried again (the backoff's maximum elapsed time).
pub const RETRY_FOR: Duration = Duration::from_secs(5);
/// The backoff: its first interval, its growth, its cap and its jitter (cenkalti/backoff's
/// defaults, with the agent's cap).
const FIRST_INTERVAL: Duration = Duration::from_millis(500);
const MULTIPLIER: f64 = 1.5;
const MAX_INTERVAL: Duration = Duration::from_secs(1);
const RANDOMIZATION: f64 = 0.5;

/// A driver as discovery found it.
#[derive(Debug, Clone)]
pub struct Driver {
    pub name: String,
    pub socket: PathBuf,
    pub metadata: Value,
}

/// Why a request failed, as the agent tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentError {
    /// `PowerConnError`: no answer, after the retries (a timeout is one too).
    Connection { op: String, reason: String },
    /// `PowerActionError`: an answer whose status is not 200.
    Action {
        op: String,
        status: u16,
        body: String,
    },
    /// The 200 answer is not a JSON object.
    Decode { op: String, reason: String },
    /// `ErrWrongPowerState`: the answer's `state` is not the one the action leads to.
    WrongPowerState { expected: String, state: String },
}

impl fmt::Display for AgentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentError::Connection { op, reason } => {
                write!(f, "power driver connection error ({op}): {reason}")
            }
            AgentError::Action { op, status, body } => {
                write!(
                    f,
                    "power driver action error ({op}): status {status}: {body}"
                )
            }
            AgentError::Decode { op, reason } => write!(f, "{op}: decode response: {reason}"),
            AgentError::WrongPowerState { expected, state } => write!(
                f,
                "BMC is in the wrong power state: {state:?} after an action leading to {expected:?}"
            ),
        }
    }
}

/// Where the agent looks for driver sockets (`DefaultSocketDir()`): `RunDir()` is
/// `/run/snap.INSTANCE` inside snap `INSTANCE` (`SNAP_INSTANCE_NAME` set and not
/// empty), else `/run/maas`, and the drivers are in its `power-driver` directory.
pub fn default_socket_dir(snap_instance_name: Option<&str>) -> PathBuf {
    let run_dir = match snap_instance_name {
        Some(name) if !name.is_empty() => PathBuf::from(format!("/run/snap.{name}")),
        _ => PathBuf::from("/run/maas"),
    };
    run_dir.join("power-driver")
}

/// The agent of one rack controller.
pub struct Agent {
    rack_id: String,
    /// Every connection a request opened that the server has not closed yet.
    connections: Mutex<Vec<UnixStream>>,
}

impl Agent {
    /// The agent of the rack controller whose system_id is `rack_id`.
    pub fn new(rack_id: &str) -> Agent {
        Agent {
            rack_id: rack_id.to_owned(),
            connections: Mutex::new(Vec::new()),
        }
    }

    /// The drivers serving under `dir`, by name. A missing directory has none.
    pub fn discover(&self, dir: &Path) -> BTreeMap<String, Driver> {
        let mut sockets = Vec::new();
        walk_for_sockets(dir, &mut sockets);
        let found: Vec<Option<Driver>> = std::thread::scope(|scope| {
            let asks: Vec<_> = sockets
                .iter()
                .map(|socket| scope.spawn(|| self.ask_metadata(socket)))
                .collect();
            asks.into_iter()
                .map(|ask| ask.join().expect("a metadata request does not panic"))
                .collect()
        });
        found
            .into_iter()
            .flatten()
            .map(|driver| (driver.name.clone(), driver))
            .collect()
    }

    /// `POST /query`: the state the driver reports (`""` when it reports none).
    pub fn query(&self, driver: &Driver, context: &Value) -> Result<String, AgentError> {
        let result = self.power_request(driver, "/query", context)?;
        Ok(state(&result).to_owned())
    }

    /// `POST /on`.
    pub fn on(&self, driver: &Driver, context: &Value) -> Result<(), AgentError> {
        let result = self.power_request(driver, "/on", context)?;
        expect_state(&result, "on")
    }

    /// `POST /off`.
    pub fn off(&self, driver: &Driver, context: &Value) -> Result<(), AgentError> {
        let result = self.power_request(driver, "/off", context)?;
        expect_state(&result, "off")
    }

    /// `POST /cycle`.
    pub fn cycle(&self, driver: &Driver, context: &Value) -> Result<(), AgentError> {
        let result = self.power_request(driver, "/cycle", context)?;
        expect_state(&result, "on")
    }

    /// `POST /reset`.
    pub fn reset(&self, driver: &Driver, context: &Value) -> Result<(), AgentError> {
        let result = self.power_request(driver, "/reset", context)?;
        expect_state(&result, "on")
    }

    /// The set-boot-order activity: each of the workflow's `rows` (database rows, as
    /// maps) becomes a JSON string, and the machine's system_id goes with them.
    pub fn set_boot_order_rows(
        &self,
        driver: &Driver,
        machine_id: &str,
        context: &Value,
        rows: &[Value],
    ) -> Result<(), AgentError> {
        let order: Vec<String> = rows.iter().map(go_json::marshal).collect();
        self.set_boot_order(driver, machine_id, context, &order)
    }

    /// `POST /set-boot-order` with `order` as it is.
    pub fn set_boot_order(
        &self,
        driver: &Driver,
        machine_id: &str,
        context: &Value,
        order: &[String],
    ) -> Result<(), AgentError> {
        let body = json!({"system_id": machine_id, "context": context, "order": order});
        self.request(&driver.socket, "POST", "/set-boot-order", Some(&body))
            .map(drop)
    }

    /// How many of the connections this agent opened the servers have not closed yet.
    pub fn open_connections(&self) -> usize {
        let mut connections = self.connections.lock().unwrap();
        connections.retain(still_open);
        connections.len()
    }

    fn power_request(
        &self,
        driver: &Driver,
        path: &str,
        context: &Value,
    ) -> Result<Map<String, Value>, AgentError> {
        let body = json!({"system_id": self.rack_id, "context": context});
        self.request(&driver.socket, "POST", path, Some(&body))
    }

    /// One metadata request, without retries; `None` when it fails, as discovery skips
    /// such a socket.
    fn ask_metadata(&self, socket: &Path) -> Option<Driver> {
        let request = go_request("GET", "/metadata", None);
        let response = self.round_trip(socket, &request, METADATA_TIMEOUT).ok()?;
        let metadata = interpret("GET /metadata", response).ok()?;
        let name = match metadata.get("name") {
            Some(Value::String(name)) if !name.is_empty() => name.clone(),
            _ => file_name(socket).trim_end_matches(".sock").to_owned(),
        };
        Some(Driver {
            name,
            socket: socket.to_owned(),
            metadata: Value::Object(metadata),
        })
    }

    /// A request with the agent's retries: an attempt that got no answer is tried again
    /// after a growing, jittered pause while the next pause still ends within
    /// [`RETRY_FOR`]; an answer, whatever its status, ends it.
    fn request(
        &self,
        socket: &Path,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Map<String, Value>, AgentError> {
        let op = format!("{method} {path}");
        let request = go_request(method, path, body.map(go_json::marshal).as_deref());
        let started = Instant::now();
        let mut interval = FIRST_INTERVAL;
        // A timed-out attempt does not replace the last failure to connect (as in Go).
        let mut last_failure = None;
        loop {
            let error = match self.round_trip(socket, &request, REQUEST_TIMEOUT) {
                Ok(response) => return interpret(&op, response),
                Err(error) => error,
            };
            let failure = if is_timeout(&error) {
                AgentError::Connection {
                    op: op.clone(),
                    reason: format!("request timed out: {error}"),
                }
            } else {
                let failure = AgentError::Connection {
                    op: op.clone(),
                    reason: error.to_string(),
                };
                last_failure = Some(failure.clone());
                failure
            };
            let pause = jittered(interval);
            interval = interval.mul_f64(MULTIPLIER).min(MAX_INTERVAL);
            if started.elapsed() + pause > RETRY_FOR {
                return Err(last_failure.unwrap_or(failure));
            }
            std::thread::sleep(pause);
        }
    }

    /// One attempt: a new connection, the request, the response read by its framing.
    /// The connection is then kept, unless the server said it closes it.
    fn round_trip(&self, socket: &Path, request: &[u8], timeout: Duration) -> io::Result<Response> {
        let deadline = Instant::now() + timeout;
        let mut stream = connect(socket, deadline)?;
        stream.set_write_timeout(Some(remaining(deadline)?))?;
        stream.write_all(request)?;
        let (response, reusable) = read_response(&mut stream, deadline)?;
        let closes = response
            .header("connection")
            .is_some_and(|value| value.eq_ignore_ascii_case("close"));
        if reusable && !closes {
            let mut connections = self.connections.lock().unwrap();
            // Go's transport drops a connection once its read sees the server's EOF.
            connections.retain(still_open);
            connections.push(stream);
        }
        Ok(response)
    }
}

/// Connects before `deadline`. `connect` waits while the server's backlog is full, as
/// Go's dialer does until its timeout; a connection made after the deadline is dropped.
fn connect(socket: &Path, deadline: Instant) -> io::Result<UnixStream> {
    let (sender, receiver) = mpsc::channel();
    let path = socket.to_owned();
    std::thread::spawn(move || {
        let _ = sender.send(UnixStream::connect(path));
    });
    let left = remaining(deadline)?;
    receiver.recv_timeout(left).unwrap_or_else(|_| {
        Err(io::Error::new(
            ErrorKind::TimedOut,
            format!("dial unix {}: i/o timeout", socket.display()),
        ))
    })
}

/// The request as Go's net/http writes it for the agent: Host and User-Agent first, then
/// the body's length, the headers set (only Content-Type), and the transport's own
/// Accept-Encoding.
fn go_request(method: &str, path: &str, body: Option<&str>) -> Vec<u8> {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: Go-http-client/1.1\r\n"
    );
    if let Some(body) = body {
        head.push_str(&format!(
            "Content-Length: {}\r\nContent-Type: application/json\r\n",
            body.len()
        ));
    }
    head.push_str("Accept-Encoding: gzip\r\n\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.unwrap_or_default().as_bytes());
    bytes
}

/// Reads one response by its framing (`Content-Length` or chunks), leaving the connection
/// open after it; a response framed by the end of the connection is read to that end.
/// Returns it and whether the connection can carry another.
fn read_response(stream: &mut UnixStream, deadline: Instant) -> io::Result<(Response, bool)> {
    let mut received = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        stream.set_read_timeout(Some(remaining(deadline)?))?;
        let read = match stream.read(&mut chunk) {
            Ok(read) => read,
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        received.extend_from_slice(&chunk[..read]);
        let ended = read == 0;
        if let Some(head) = head_of(&received) {
            if is_framed(head) {
                // Complete once it parses; until then, more is on its way.
                match unix_http::parse(&received) {
                    Ok(response) => return Ok((response, true)),
                    Err(error) if ended => return Err(error),
                    Err(_) => {}
                }
            } else if ended {
                return unix_http::parse(&received).map(|response| (response, false));
            }
        }
        if ended {
            return Err(io::Error::new(
                ErrorKind::UnexpectedEof,
                if received.is_empty() {
                    "EOF".to_owned()
                } else {
                    format!(
                        "the server closed the connection within its response: {:?}",
                        String::from_utf8_lossy(&received)
                    )
                },
            ));
        }
    }
}

/// The head of a response, once all of it has come.
fn head_of(received: &[u8]) -> Option<&str> {
    let end = received
        .windows(4)
        .position(|window| window == b"\r\n\r\n")?;
    std::str::from_utf8(&received[..end]).ok()
}

/// Whether the head says where the body ends.
fn is_framed(head: &str) -> bool {
    head.lines().skip(1).any(|line| {
        let Some((name, value)) = line.split_once(':') else {
            return false;
        };
        let name = name.trim();
        name.eq_ignore_ascii_case("content-length")
            || (name.eq_ignore_ascii_case("transfer-encoding")
                && value.trim().eq_ignore_ascii_case("chunked"))
    })
}

/// The socket client's reading of an answer: the body of any status but 200 is the
/// error; a 200's body is decoded into a map as Go's `json.Decoder` does (its first JSON
/// value; `null` leaves the map empty).
fn interpret(op: &str, response: Response) -> Result<Map<String, Value>, AgentError> {
    if response.status != 200 {
        return Err(AgentError::Action {
            op: op.to_owned(),
            status: response.status,
            body: response.text(),
        });
    }
    let decode_error = |reason: String| AgentError::Decode {
        op: op.to_owned(),
        reason,
    };
    // Go's transport would inflate gzip, which it asked for; this client cannot.
    if let Some(encoding) = response.header("content-encoding") {
        return Err(decode_error(format!(
            "a body with Content-Encoding {encoding}, which this client does not decode"
        )));
    }
    match serde_json::Deserializer::from_slice(&response.body)
        .into_iter::<Value>()
        .next()
    {
        None => Err(decode_error("EOF".into())),
        Some(Err(error)) => Err(decode_error(error.to_string())),
        Some(Ok(Value::Object(result))) => Ok(result),
        Some(Ok(Value::Null)) => Ok(Map::new()),
        Some(Ok(other)) => Err(decode_error(format!("cannot unmarshal {other} into a map"))),
    }
}

/// The `state` of an answer; `""` when it has none, or not as a string.
fn state(result: &Map<String, Value>) -> &str {
    result.get("state").and_then(Value::as_str).unwrap_or("")
}

/// The power service's check after on, off, cycle and reset.
fn expect_state(result: &Map<String, Value>, expected: &str) -> Result<(), AgentError> {
    match state(result) {
        "" => Ok(()),
        state if state == expected => Ok(()),
        state => Err(AgentError::WrongPowerState {
            expected: expected.to_owned(),
            state: state.to_owned(),
        }),
    }
}

/// Every entry under `dir` (not a directory itself) whose name ends in `.sock`, in the
/// lexical order of a walk.
fn walk_for_sockets(dir: &Path, sockets: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let path = entry.path();
        // As Go's WalkDir: a symbolic link is an entry, never followed.
        let is_dir = entry.file_type().is_ok_and(|kind| kind.is_dir());
        if is_dir {
            walk_for_sockets(&path, sockets);
        } else if file_name(&path).ends_with(".sock") {
            sockets.push(path);
        }
    }
}

fn file_name(path: &Path) -> &str {
    path.file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default()
}

/// Whether the server has neither closed the connection nor sent anything unasked (Go's
/// transport closes a connection on either).
fn still_open(stream: &UnixStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let mut byte = [0u8; 1];
    matches!((&*stream).read(&mut byte), Err(error) if error.kind() == ErrorKind::WouldBlock)
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(error.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock)
}

/// The time left before `deadline`, or a timeout error when none is.
fn remaining(deadline: Instant) -> io::Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(io::Error::new(
            ErrorKind::TimedOut,
            "Client.Timeout exceeded while awaiting the response",
        ))
    } else {
        Ok(left)
    }
}

/// `interval` ± [`RANDOMIZATION`], at random.
fn jittered(interval: Duration) -> Duration {
    let random = RandomState::new().hash_one(Instant::now()) as f64 / u64::MAX as f64;
    interval.mul_f64(1.0 - RANDOMIZATION + 2.0 * RANDOMIZATION * random)
}

/// The client against scripted servers: the bytes it writes, the connections it keeps,
/// its retries, and how it reads answers.
#[cfg(test)]
mod tests {
    use std::os::unix::net::UnixListener;
    use std::thread::JoinHandle;

    use super::*;

    const OK_OFF: &[u8] =
        b"HTTP/1.1 200 OK\r\nContent-Length: 29\r\n\r\n{\"status\":\"ok\",\"state\":\"off\"}";

    /// A fresh directory for a scripted server's sockets, removed on drop.
    struct ScratchDir {
        path: PathBuf,
    }

    impl ScratchDir {
        fn new() -> ScratchDir {
            ScratchDir {
                path: crate::scratch::fresh_dir("agent-client"),
            }
        }

        fn socket(&self) -> PathBuf {
            self.path.join("driver.sock")
        }
    }

    impl Drop for ScratchDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }

    fn driver(socket: &Path) -> Driver {
        Driver {
            name: "scripted".into(),
            socket: socket.to_owned(),
            metadata: Value::Null,
        }
    }

    /// Accepts one connection on `listener`, reads one request (head and
    /// `Content-Length` body), writes `answer`, and hands back the request and the
    /// connection, still open.
    fn answer_once(
        listener: UnixListener,
        answer: &'static [u8],
    ) -> JoinHandle<(String, UnixStream)> {
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut received = Vec::new();
            let mut byte = [0u8; 1];
            while !received.ends_with(b"\r\n\r\n") {
                stream.read_exact(&mut byte).unwrap();
                received.push(byte[0]);
            }
            let head = String::from_utf8(received.clone()).unwrap();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("Content-Length: "))
                .map_or(0, |length| length.parse().unwrap());
            let mut body = vec![0u8; length];
            stream.read_exact(&mut body).unwrap();
            received.extend_from_slice(&body);
            stream.write_all(answer).unwrap();
            (String::from_utf8(received).unwrap(), stream)
        })
    }

    /// The outcome of `call` against a server that answers `answer`.
    fn against<T>(answer: &'static [u8], call: impl FnOnce(&Agent, &Driver) -> T) -> T {
        let dir = ScratchDir::new();
        let socket = dir.socket();
        let server = answer_once(UnixListener::bind(&socket).unwrap(), answer);
        let outcome = call(&Agent::new("rack01"), &driver(&socket));
        server.join().unwrap();
        outcome
    }

    #[test]
    fn requests_are_the_bytes_go_writes() {
        let dir = ScratchDir::new();
        let socket = dir.socket();
        let server = answer_once(UnixListener::bind(&socket).unwrap(), OK_OFF);
        let context = json!({"system_id": "m1", "power_address": "10.0.0.5:623", "a<b": "x&y"});
        let state = Agent::new("rack01").query(&driver(&socket), &context);
        assert_eq!(state, Ok("off".to_owned()));
        let body = r#"{"context":{"a\u003cb":"x\u0026y","power_address":"10.0.0.5:623","system_id":"m1"},"system_id":"rack01"}"#;
        assert_eq!(
            server.join().unwrap().0,
            format!(
                "POST /query HTTP/1.1\r\nHost: localhost\r\nUser-Agent: Go-http-client/1.1\r\n\
                 Content-Length: {}\r\nContent-Type: application/json\r\n\
                 Accept-Encoding: gzip\r\n\r\n{body}",
                body.len()
            )
        );

        let metadata = b"HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n{\"name\":\"virsh\"}\n";
        let listener = UnixListener::bind(dir.path.join("other.sock")).unwrap();
        let server = answer_once(listener, metadata);
        std::fs::remove_file(&socket).unwrap();
        let drivers = Agent::new("rack01").discover(&dir.path);
        assert_eq!(drivers.keys().collect::<Vec<_>>(), ["virsh"]);
        assert_eq!(
            server.join().unwrap().0,
            "GET /metadata HTTP/1.1\r\nHost: localhost\r\nUser-Agent: Go-http-client/1.1\r\n\
             Accept-Encoding: gzip\r\n\r\n"
        );
    }

    #[test]
    fn the_set_boot_order_activity_sends_rows_as_json_strings() {
        let dir = ScratchDir::new();
        let socket = dir.socket();
        let server = answer_once(
            UnixListener::bind(&socket).unwrap(),
            b"HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}",
        );
        let rows = [
            json!({"serial": "S1", "id": 12}),
            json!({"mac_address": "52:54:00:00:00:01"}),
        ];
        let outcome = Agent::new("rack01").set_boot_order_rows(
            &driver(&socket),
            "m1",
            &json!({"system_id": "m1"}),
            &rows,
        );
        assert_eq!(outcome, Ok(()));
        let (request, _) = server.join().unwrap();
        let body = request.split("\r\n\r\n").nth(1).unwrap();
        assert_eq!(
            body,
            r#"{"context":{"system_id":"m1"},"order":["{\"id\":12,\"serial\":\"S1\"}","{\"mac_address\":\"52:54:00:00:00:01\"}"],"system_id":"m1"}"#
        );
    }

    #[test]
    fn connections_stay_open_until_the_server_closes_them() {
        let dir = ScratchDir::new();
        let socket = dir.socket();
        let server = answer_once(UnixListener::bind(&socket).unwrap(), OK_OFF);
        let agent = Agent::new("rack01");
        assert_eq!(agent.query(&driver(&socket), &json!({})), Ok("off".into()));
        let (_, connection) = server.join().unwrap();
        assert_eq!(agent.open_connections(), 1);
        drop(connection);
        assert_eq!(agent.open_connections(), 0);
    }

    #[test]
    fn a_driver_not_there_yet_is_tried_again() {
        let dir = ScratchDir::new();
        let socket = dir.socket();
        let late = {
            let socket = socket.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(1500));
                answer_once(UnixListener::bind(&socket).unwrap(), OK_OFF)
                    .join()
                    .unwrap()
            })
        };
        let state = Agent::new("rack01").query(&driver(&socket), &json!({}));
        assert_eq!(state, Ok("off".into()));
        late.join().unwrap();
    }

    #[test]
    fn a_driver_never_there_fails_after_five_seconds() {
        let dir = ScratchDir::new();
        let socket = dir.socket();
        let started = Instant::now();
        let outcome = Agent::new("rack01").on(&driver(&socket), &json!({}));
        let took = started.elapsed();
        assert!(
            matches!(&outcome, Err(AgentError::Connection { op, .. }) if op == "POST /on"),
            "{outcome:?}"
        );
        // The last pause still ends within 5 s; the backoff makes at least 3 of them.
        assert!(
            took > Duration::from_secs(2) && took <= RETRY_FOR,
            "{took:?}"
        );
    }

    #[test]
    fn answers_are_read_as_the_power_service_reads_them() {
        let wrong_state = against(OK_OFF, |agent, driver| agent.on(driver, &json!({})));
        assert_eq!(
            wrong_state,
            Err(AgentError::WrongPowerState {
                expected: "on".into(),
                state: "off".into()
            })
        );
        let no_state: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}";
        assert_eq!(against(no_state, |a, d| a.off(d, &json!({}))), Ok(()));
        assert_eq!(
            against(no_state, |a, d| a.query(d, &json!({}))),
            Ok(String::new())
        );
        let chunked: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
            e\r\n{\"state\":\"on\"}\r\n0\r\n\r\n";
        assert_eq!(
            against(chunked, |a, d| a.query(d, &json!({}))),
            Ok("on".into())
        );
        let refused: &[u8] =
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 9\r\n\r\nno answer";
        assert_eq!(
            against(refused, |a, d| a.reset(d, &json!({}))),
            Err(AgentError::Action {
                op: "POST /reset".into(),
                status: 503,
                body: "no answer".into()
            })
        );
        let not_an_object: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]";
        assert!(matches!(
            against(not_an_object, |a, d| a.cycle(d, &json!({}))),
            Err(AgentError::Decode { .. })
        ));
    }
}
