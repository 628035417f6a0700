//! The service's connections under MAAS's habits, on the built example binaries over a
//! real UNIX socket. MAAS's agent opens a connection per request and never closes one
//! (Go's transport only drops a connection once the server has closed it): the service
//! must close them, or run out of file descriptors. Here: ten thousand such requests
//! under a 64-descriptor limit, two thousand idle connections and a new client, requests
//! sent half-way, idle connections, the cap on connections, and shutdown.

#[path = "support/process.rs"]
mod process;
#[path = "support/scratch.rs"]
mod scratch;
#[path = "support/server.rs"]
mod server;
mod support;
#[path = "support/unix_http.rs"]
mod unix_http;

use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;
use server::Server;
use unix_http::{Response, exchange, keep_alive_request_bytes};

/// A query MAAS's agent could send the abstract driver.
const QUERY: &[u8] = br#"{"system_id": "rack-1", "context": {}}"#;

/// How long a test waits for something the service does on its own (closing
/// connections, answering) before it fails.
const PATIENCE: Duration = Duration::from_secs(10);

/// How long a client here waits on a read or a write: a service that stopped answering
/// fails the test quickly.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

fn abstract_driver() -> PathBuf {
    support::example("abstract")
}

fn chassis() -> PathBuf {
    support::example("fixture-chassis")
}

fn connect(socket: &Path) -> UnixStream {
    let stream = UnixStream::connect(socket)
        .unwrap_or_else(|error| panic!("connect to {}: {error}", socket.display()));
    stream.set_read_timeout(Some(CLIENT_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(CLIENT_TIMEOUT)).unwrap();
    stream
}

/// A query on `stream`, which stays open.
fn query(stream: &mut UnixStream) -> std::io::Result<Response> {
    exchange(stream, &keep_alive_request_bytes("POST", "/query", QUERY))
}

fn assert_off(response: &Response) {
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.json(), json!({"status": "ok", "state": "off"}));
}

/// Reads until the server closes `stream`; returns what it sent before, and how long it
/// took. Fails when the server keeps it open past the client's timeout.
fn wait_for_close(stream: &mut UnixStream) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return (received, started.elapsed()),
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(error) if error.kind() == ErrorKind::ConnectionReset => {
                return (received, started.elapsed());
            }
            Err(error) => panic!(
                "the server did not close the connection ({error}, after {:?})",
                started.elapsed()
            ),
        }
    }
}

/// Polls until the server has fewer than `limit` descriptors open; returns how many.
fn wait_for_descriptors_below(server: &Server, limit: usize) -> usize {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let open = server.open_descriptors();
        if open < limit || Instant::now() >= deadline {
            return open;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A client as MAAS's agent is: a new connection per request, never closed by the
/// client; a connection is dropped only once the server has closed it.
struct NeverClosing {
    socket: PathBuf,
    open: Vec<UnixStream>,
}

impl NeverClosing {
    fn new(socket: &Path) -> NeverClosing {
        NeverClosing {
            socket: socket.to_owned(),
            open: Vec::new(),
        }
    }

    fn query(&mut self) -> std::io::Result<Response> {
        let mut stream = UnixStream::connect(&self.socket)?;
        stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
        stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
        let response = query(&mut stream)?;
        stream.set_nonblocking(true)?;
        self.open.push(stream);
        self.drop_closed();
        Ok(response)
    }

    /// Drops the connections the server has closed, as Go's transport does when its
    /// idle connection reads an end of file.
    fn drop_closed(&mut self) {
        self.open
            .retain_mut(|stream| match stream.read(&mut [0u8; 1]) {
                Ok(0) => false,
                Ok(_) => panic!("bytes on an idle connection"),
                Err(error) if error.kind() == ErrorKind::WouldBlock => true,
                Err(_) => false,
            });
    }
}

/// Sends `count` queries, each on a new connection the client never closes, and checks
/// each is answered.
fn never_closing_queries(server: &Server, count: usize) {
    let mut client = NeverClosing::new(server.socket());
    for index in 0..count {
        let response = client.query().unwrap_or_else(|error| {
            panic!(
                "request {index} of {count}: {error}; the service's log ends:\n{}",
                tail(&server.stderr())
            )
        });
        assert_off(&response);
    }
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

// 1. MAAS's agent, at length, under a low descriptor limit.

#[test]
fn ten_thousand_never_closed_connections_under_64_descriptors() {
    let server = Server::start_limited(&abstract_driver(), &["--idle-timeout", "1"], 64);
    let stderr = server.stderr();
    assert!(stderr.contains("up to 32 connections"), "{stderr}");
    never_closing_queries(&server, 10_000);
    assert_eq!(server.wait_for_log(10_000).len(), 10_000);
    let open = wait_for_descriptors_below(&server, 32);
    assert!(
        open < 32,
        "{open} descriptors still open after the idle timeout"
    );
}

#[test]
fn out_of_descriptors_the_longest_idle_connection_makes_room() {
    // A cap above the limit: `accept` itself runs out of descriptors, and must not stall.
    let server = Server::start_limited(
        &abstract_driver(),
        &["--idle-timeout", "1", "--max-connections", "1000"],
        64,
    );
    never_closing_queries(&server, 2_000);
    let open = wait_for_descriptors_below(&server, 32);
    assert!(
        open < 32,
        "{open} descriptors still open after the idle timeout"
    );
}

/// `clients` queries at once, each on its own connection, each action taking 300 ms;
/// every connection is held until all are answered, as MAAS's agent holds them.
fn burst(server: &Server, clients: usize) {
    let answers: Vec<(usize, std::io::Result<Response>, UnixStream)> = std::thread::scope(
        |scope| {
            let threads: Vec<_> = (0..clients)
                .map(|index| {
                    scope.spawn(move || {
                        let mut stream = connect(server.socket());
                        let body = format!(
                            r#"{{"system_id": "burst-{index}", "context": {{"machines": 1, "delay_ms": 300}}}}"#
                        );
                        let request = keep_alive_request_bytes("POST", "/query", body.as_bytes());
                        (index, exchange(&mut stream, &request), stream)
                    })
                })
                .collect();
            threads
                .into_iter()
                .map(|thread| thread.join().unwrap())
                .collect()
        },
    );
    for (index, answer, _held) in &answers {
        match answer {
            Ok(response) => assert_eq!(response.status, 200, "client {index}: {response:?}"),
            Err(error) => panic!(
                "client {index}: {error}; the service's log ends:\n{}",
                tail(&server.stderr())
            ),
        }
    }
}

#[test]
fn a_burst_beyond_the_descriptor_limit_is_answered_in_full() {
    // 20 descriptors leave room for about 8 connections at once, for 40 clients at once:
    // connections whose request is on its way are never the ones closed for room.
    let server = Server::start_limited(&chassis(), &["--max-connections", "1000", "-vv"], 20);
    burst(&server, 40);
}

#[test]
fn a_burst_beyond_the_cap_is_answered_in_full() {
    let server = Server::start(&chassis(), &["--max-connections", "4"]);
    burst(&server, 40);
}

// 2. Many idle connections.

/// Raises this process's soft limit on open files to at least `wanted`, within the hard
/// limit; fails when the hard limit is lower.
fn raise_open_file_limit(wanted: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write one `rlimit`.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        let wanted = wanted as libc::rlim_t;
        if limit.rlim_cur >= wanted {
            return;
        }
        assert!(
            limit.rlim_max >= wanted,
            "this test holds thousands of connections: raise the hard open-file limit \
             ({}) to {wanted}",
            limit.rlim_max
        );
        limit.rlim_cur = wanted;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
    }
}

#[test]
fn two_thousand_idle_connections_leave_room_for_a_new_client() {
    const IDLE: usize = 2_000;
    // For this process's ends, and for the service, which inherits it.
    raise_open_file_limit(8_192);
    let server = Server::start(
        &abstract_driver(),
        &["--idle-timeout", "60", "--max-connections", "4000"],
    );
    // Each left as MAAS's agent leaves it: answered, then kept open.
    let held: Vec<UnixStream> = (0..IDLE)
        .map(|_| {
            let mut stream = connect(server.socket());
            assert_off(&query(&mut stream).expect("an answer"));
            stream
        })
        .collect();
    assert!(
        server.open_descriptors() > IDLE,
        "the service holds the idle connections"
    );
    let mut newcomer = connect(server.socket());
    assert_off(&query(&mut newcomer).expect("the new client is answered"));
    assert!(server.open_descriptors() > IDLE, "none was closed for it");
    drop(held);
}

// 3. Requests sent half-way, and idle connections.

#[test]
fn a_request_sent_half_way_is_cut_off_after_the_read_timeout() {
    let server = Server::start(
        &chassis(),
        &["--read-timeout", "0.5", "--idle-timeout", "60"],
    );
    let body = br#"{"system_id": "half", "context": {"machines": 1}}"#;
    let full = keep_alive_request_bytes("POST", "/query", body);
    let head = full.len() - body.len();
    for (what, sent) in [
        ("half a head", &full[..head / 2]),
        ("the head and half the body", &full[..head + body.len() / 2]),
    ] {
        let mut stream = connect(server.socket());
        stream.write_all(sent).unwrap();
        let (received, took) = wait_for_close(&mut stream);
        assert!(
            received.is_empty(),
            "{what}: {:?}",
            String::from_utf8_lossy(&received)
        );
        assert!(
            took >= Duration::from_millis(400),
            "{what}: cut off after {took:?}"
        );
    }

    // The timeout runs from the first byte, not the last: a client sending a byte every
    // 100 ms is cut off as well.
    let mut stream = connect(server.socket());
    let started = Instant::now();
    let sent = full.iter().position(|byte| {
        std::thread::sleep(Duration::from_millis(100));
        stream.write_all(&[*byte]).is_err()
    });
    let sent = sent.unwrap_or_else(|| panic!("the whole request went through, slowly"));
    assert!(sent < full.len(), "{sent}");
    assert!(started.elapsed() < PATIENCE);

    let mut stream = connect(server.socket());
    let response = exchange(&mut stream, &full).expect("a whole request is answered");
    assert_eq!(response.status, 200, "{response:?}");
}

#[test]
fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let server = Server::start(
        &abstract_driver(),
        &["--idle-timeout", "0.5", "--read-timeout", "60"],
    );
    // Within the timeout, the connection serves another request.
    let mut stream = connect(server.socket());
    assert_off(&query(&mut stream).expect("an answer"));
    assert_off(&query(&mut stream).expect("a second answer on the same connection"));
    let (received, took) = wait_for_close(&mut stream);
    assert!(received.is_empty());
    assert!(took >= Duration::from_millis(400), "closed after {took:?}");

    // A connection that never sends anything is closed as well.
    let mut silent = connect(server.socket());
    let (received, took) = wait_for_close(&mut silent);
    assert!(received.is_empty());
    assert!(took >= Duration::from_millis(400), "closed after {took:?}");
}

// 4. The cap, when every connection is busy.

#[test]
fn at_the_cap_with_every_connection_busy_a_new_client_waits_its_turn() {
    let server = Server::start(&chassis(), &["--max-connections", "1"]);
    let socket = server.socket().to_owned();
    let first = std::thread::spawn(move || {
        let mut stream = connect(&socket);
        let body = br#"{"system_id": "rack-1", "context": {"machines": 1, "delay_ms": 1000, "system_id": "first"}}"#;
        exchange(
            &mut stream,
            &keep_alive_request_bytes("POST", "/query", body),
        )
    });
    std::thread::sleep(Duration::from_millis(300));
    let mut second = connect(server.socket());
    let body = br#"{"system_id": "rack-1", "context": {"machines": 1, "system_id": "second"}}"#;
    let response = exchange(
        &mut second,
        &keep_alive_request_bytes("POST", "/query", body),
    )
    .expect("the second client is answered once the first is");
    assert_eq!(response.status, 200, "{response:?}");
    let first = first.join().unwrap().expect("the first client is answered");
    assert_eq!(first.status, 200, "{first:?}");
    let log = server.wait_for_log(2);
    assert!(log[0].contains("system_id=first"), "{log:?}");
}

// 5. Shutdown.

#[test]
fn shutdown_answers_the_request_in_flight_and_closes_idle_connections_at_once() {
    let mut server = Server::start(&chassis(), &["--idle-timeout", "60"]);
    let socket = server.socket().to_owned();
    let mut idle = connect(&socket);
    let body = br#"{"system_id": "idle", "context": {"machines": 1}}"#;
    let response = exchange(&mut idle, &keep_alive_request_bytes("POST", "/query", body));
    assert_eq!(response.expect("an answer").status, 200);
    let mut silent = connect(&socket);
    let in_flight = std::thread::spawn(move || {
        let mut stream = connect(&socket);
        let body = br#"{"system_id": "in-flight", "context": {"machines": 1, "delay_ms": 1500}}"#;
        exchange(
            &mut stream,
            &keep_alive_request_bytes("POST", "/query", body),
        )
    });
    std::thread::sleep(Duration::from_millis(300));
    server.terminate();

    wait_for_close(&mut idle);
    wait_for_close(&mut silent);
    assert!(
        !in_flight.is_finished(),
        "the idle connections were closed only after the request in flight"
    );
    let response = in_flight
        .join()
        .unwrap()
        .expect("the request in flight is answered");
    assert_eq!(response.status, 200, "{response:?}");
    let status = server.wait_exit();
    assert_eq!(status.code(), Some(0), "{}", server.stderr());
}
