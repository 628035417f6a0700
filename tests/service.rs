//! The long-running service (`DRIVER serve`), run as MAAS's agent runs it: the built
//! example binaries serving HTTP/1.1 on a real UNIX socket in a fresh directory, driven
//! by a small client (`support/unix_http.rs`): every endpoint, every error class, bad
//! requests, the deadline, the bound on workers, shutdown, the socket file, the request
//! log. (The drivers of `drivers/` are tested as services in their own tests.)

#[path = "support/process.rs"]
mod process;
#[path = "support/scratch.rs"]
mod scratch;
#[path = "support/server.rs"]
mod server;
mod support;
#[path = "support/unix_http.rs"]
mod unix_http;

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use scratch::fresh_dir;
use serde_json::{Value, json};
use server::{RACK, Server, assert_reply, error_body, request};
use unix_http::{Response, get, post, post_bytes};

/// The body limit the service announces (64 KiB).
const MAX_BODY: usize = 64 * 1024;

fn chassis() -> PathBuf {
    support::example("fixture-chassis")
}

fn abstract_driver() -> PathBuf {
    support::example("abstract")
}

/// The fixture chassis' parameters: two machines, plus `extra`.
fn chassis_context(extra: Value) -> Value {
    let mut context = json!({"machines": 2});
    for (key, value) in extra.as_object().expect("extra parameters are an object") {
        context[key] = value.clone();
    }
    context
}

/// `POST /query` for a machine of the chassis with `extra` parameters.
fn query(server: &Server, system_id: &str, extra: Value) -> Response {
    post(
        server.socket(),
        "/query",
        &request(system_id, chassis_context(extra)),
    )
}

/// Asserts the server still answers a good request, at once.
fn assert_serves(server: &Server) {
    let started = Instant::now();
    assert_reply(
        &query(server, "still-here", json!({})),
        200,
        &json!({"status": "ok", "state": "unknown"}),
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a plain query took {:?}",
        started.elapsed()
    );
}

// 1. Every endpoint.

#[test]
fn metadata_is_the_metadata_subcommand() {
    for binary in [chassis(), abstract_driver()] {
        let server = Server::start(&binary, &[]);
        let expected = support::run(&binary, &["metadata"], b"");
        assert_eq!(expected.status, 0, "{expected:?}");
        let expected: Value = serde_json::from_str(&expected.stdout).unwrap();
        assert_reply(&get(server.socket(), "/metadata"), 200, &expected);
    }
}

#[test]
fn every_action_answers_ok() {
    let server = Server::start(&chassis(), &[]);
    let socket = server.socket();
    // The context's system_id reaches the driver's parameters: the strict fixture
    // accepts it, and would refuse any other key it does not know.
    assert_reply(
        &post(socket, "/query", &request("abc123", json!({"machines": 2}))),
        200,
        &json!({"status": "ok", "state": "unknown"}),
    );
    for path in ["/on", "/off", "/cycle", "/reset"] {
        assert_reply(
            &post(socket, path, &request("abc123", json!({"machines": 2}))),
            200,
            &json!({"status": "ok"}),
        );
    }
    // The order as MAAS's agent sends it (`SetBootOrder` in maasagent's
    // power/service.go): each row of MAAS's database JSON-encoded, first = first tried,
    // and the machine's own system_id at the top.
    let disk = json!({"id": 7, "created": "2026-01-05 10:11:12.123456+00:00",
                      "updated": "2026-01-05 10:11:12.123456+00:00", "name": "sda",
                      "id_path": null, "size": 8589934592_u64, "block_size": 512,
                      "tags": [], "node_config_id": 3, "serial": "S3Z9NB0K"});
    let nic = json!({"id": 2, "name": "eth0", "type": "physical",
                     "mac_address": "52:54:00:12:34:56", "params": {}, "enabled": true,
                     "vendor": "Red Hat, Inc.", "links": []});
    let order = json!([disk.to_string(), nic.to_string(), "network"]);
    assert_reply(
        &post(
            socket,
            "/set-boot-order",
            &json!({"system_id": "abc123", "context": {"machines": 2, "system_id": "abc123"},
                    "order": order}),
        ),
        200,
        &json!({"status": "ok"}),
    );
    assert_reply(
        &post(socket, "/probe", &request("abc123", json!({"machines": 2}))),
        200,
        &json!({"status": "ok", "hosts": [
            {"hostname": "node-1", "mac": "52:54:00:00:00:01", "arch": "arm64/generic",
             "driver_name": "chassis", "driver_parameters": {"slot": 1}},
            {"hostname": "node-2", "mac": "52:54:00:00:00:02", "arch": "arm64/generic",
             "driver_name": "chassis", "driver_parameters": {"slot": 2}},
        ]}),
    );
    server.wait_for_log(7);
    // The fixture prints the order it received.
    assert!(
        server.stderr().contains(
            "boot order: storage serial=S3Z9NB0K name=sda, network 52:54:00:12:34:56, \
                 any network\n"
        ),
        "{}",
        server.stderr()
    );
}

// 2. Every error class.

#[test]
fn driver_errors_have_the_spec_status() {
    let server = Server::start(&chassis(), &[]);
    let failing = |code: &str| json!({"fail": "BMC said no", "fail_code": code});
    let cases = [
        // Settings problems: the caller's (400).
        (
            json!({"machines": 0}),
            400,
            error_body(
                "invalid_parameters",
                "driverParameters.machines: a chassis holds at least one machine",
                Some("settingsError"),
            ),
        ),
        (
            json!({}),
            400,
            error_body(
                "invalid_parameters",
                "driverParameters: missing field `machines`",
                Some("settingsError"),
            ),
        ),
        (
            json!({"machines": "two"}),
            400,
            error_body(
                "invalid_parameters",
                "driverParameters.machines: invalid type: string \"two\", expected u8",
                Some("settingsError"),
            ),
        ),
        (
            json!({"machines": 1, "power_address": "10.0.0.1"}),
            400,
            error_body(
                "invalid_parameters",
                "driverParameters.power_address: unknown field `power_address`, expected one \
                 of `machines`, `fail`, `fail_code`, `panic`, `delay_ms`, `until_cancelled`, \
                 `hang`, `power_pass`, `system_id`",
                Some("settingsError"),
            ),
        ),
        // An unreachable BMC: worth retrying (503).
        (
            chassis_context(failing("connError")),
            503,
            error_body("unavailable", "BMC said no", Some("connError")),
        ),
        // The rest failed the power action (500).
        (
            chassis_context(json!({"fail": "BMC said no"})),
            500,
            error_body("power_action", "BMC said no", Some("actionError")),
        ),
        (
            chassis_context(failing("authError")),
            500,
            error_body("power_action", "BMC said no", Some("authError")),
        ),
        (
            chassis_context(failing("toolError")),
            500,
            error_body("power_action", "BMC said no", Some("toolError")),
        ),
        (
            chassis_context(failing("fatalError")),
            500,
            error_body("power_action", "BMC said no", Some("fatalError")),
        ),
    ];
    for (context, status, body) in cases {
        for path in ["/query", "/on", "/cycle", "/probe"] {
            let response = post(server.socket(), path, &request("abc123", context.clone()));
            assert_reply(&response, status, &body);
        }
    }

    // A panic is a fatalError, and costs the service nothing.
    let response = query(&server, "abc123", json!({"panic": true}));
    assert_eq!(response.status, 500, "{response:?}");
    let body = response.json();
    assert_eq!(body["status"], "error");
    assert_eq!(body["error_type"], "power_action");
    assert_eq!(body["error_code"], "fatalError");
    assert_eq!(body.as_object().unwrap().len(), 4, "{body}");
    let message = body["error_message"].as_str().unwrap();
    assert!(
        message.starts_with("the driver panicked at tests/fixtures/chassis.rs:")
            && message.ends_with(": asked to panic"),
        "{message}"
    );
    assert_serves(&server);
    // No panic message or backtrace beside the request's log line.
    let stderr = server.stderr();
    assert!(!stderr.contains("thread '"), "{stderr}");
    assert!(!stderr.contains("backtrace"), "{stderr}");
}

/// A missing or malformed `order` is a bad request, as a missing `context` is: 400
/// `invalid_parameters`, named as the request names it (`order`, not the one-shot
/// protocol's `devices`).
#[test]
fn a_bad_boot_order_is_the_callers_mistake() {
    let server = Server::start(&chassis(), &[]);
    for (order, expected) in [
        (None, "missing `order`, the boot order as a list"),
        (
            Some(json!("pxe")),
            "order: expected the boot order as a list, found a string",
        ),
        (
            Some(json!([{"deviceType": "Floppy", "properties": {}}])),
            "order[0]: unknown `deviceType` \"Floppy\": expected `NetworkInterface` or \
             `StorageDevice`",
        ),
        (
            Some(json!([
                "network",
                "{\"name\": \"eth0\", \"mac_address\": null}"
            ])),
            "order[1]: a network interface row with no MAC address",
        ),
    ] {
        let mut body = request("abc123", json!({"machines": 1}));
        if let Some(order) = &order {
            body["order"] = order.clone();
        }
        let response = post(server.socket(), "/set-boot-order", &body);
        let answer = response.json();
        assert_eq!(
            (
                response.status,
                &answer["error_type"],
                &answer["error_code"]
            ),
            (400, &json!("invalid_parameters"), &json!("settingsError")),
            "order {order:?}: {answer}"
        );
        assert_eq!(
            answer["error_message"],
            format!("invalid request: {expected}"),
            "order {order:?}"
        );
    }
    assert_serves(&server);
}

#[test]
fn undeclared_actions_are_not_found() {
    let server = Server::start(&abstract_driver(), &[]);
    let socket = server.socket();
    assert_reply(
        &post(socket, "/query", &request("abc123", json!({}))),
        200,
        &json!({"status": "ok", "state": "off"}),
    );
    for (path, action) in [("/probe", "probe"), ("/set-boot-order", "set_boot_order")] {
        let body = json!({"system_id": "abc123", "context": {}, "order": []});
        assert_reply(
            &post(socket, path, &body),
            404,
            &error_body(
                "unsupported_action",
                &format!("\"{action}\" action is not supported for this power driver"),
                Some("unsupportedActionError"),
            ),
        );
    }
    assert_reply(
        &post(socket, "/on", &request("abc123", json!({}))),
        200,
        &json!({"status": "ok"}),
    );
}

#[test]
fn the_deadline_answers_503_and_frees_the_worker() {
    // One worker: the next request can only run if the late one gave its worker back.
    let server = Server::start(&chassis(), &["--timeout", "0.5", "--workers", "1"]);
    let started = Instant::now();
    let response = query(&server, "slow", json!({"delay_ms": 2000}));
    let took = started.elapsed();
    assert_reply(
        &response,
        503,
        &error_body("unavailable", "timed out after 0.5 s", Some("connError")),
    );
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_millis(1800),
        "answered after {took:?}"
    );
    // The late action still sleeps; the next request does not wait for it.
    assert_serves(&server);
    assert!(
        started.elapsed() < Duration::from_millis(1900),
        "{:?}",
        started.elapsed()
    );
}

/// The blocking action's context is cancelled when its request is answered 503: a
/// driver that polls it stops then, not when it would have finished.
#[test]
fn an_answered_requests_action_is_cancelled() {
    let server = Server::start(&chassis(), &["--timeout", "0.5", "-v"]);
    let started = Instant::now();
    let response = query(&server, "blocked", json!({"until_cancelled": true}));
    assert_reply(
        &response,
        503,
        &error_body("unavailable", "timed out after 0.5 s", Some("connError")),
    );
    let answered = started.elapsed();
    let line = "fixture-chassis: info: power_query system_id=blocked: cancelled after ";
    let cancelled_ms = wait_for_line(&server, line, Duration::from_secs(10));
    // Cancelled at the answer, give or take the fixture's 10 ms polls; the bound only
    // says it did not run on.
    assert!(
        (400..1500).contains(&cancelled_ms),
        "cancelled after {cancelled_ms} ms, answered after {answered:?}"
    );
    // And its log line named the machine, as the deadline it was given did.
    assert!(
        server
            .stderr()
            .contains("fixture-chassis: info: power_query system_id=blocked: time left: "),
        "{}",
        server.stderr()
    );
}

/// Waits until the server logs a line starting with `start` followed by a number of
/// milliseconds (`... 512 ms`), and returns it.
fn wait_for_line(server: &Server, start: &str, within: Duration) -> u64 {
    let deadline = Instant::now() + within;
    loop {
        let stderr = server.stderr();
        let found = stderr
            .lines()
            .find_map(|line| line.strip_prefix(start)?.strip_suffix(" ms")?.parse().ok());
        match found {
            Some(ms) => return ms,
            None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            None => panic!("no line {start:?}... in {within:?}:\n{stderr}"),
        }
    }
}

/// The context as MAAS stores a machine's power parameters (`"2"` for a number, `""`
/// for unset); the machine is `context.system_id`, the top-level one the rack's.
#[test]
fn the_context_is_read_as_maas_stores_it() {
    let server = Server::start(&chassis(), &[]);
    let socket = server.socket();
    let stored = json!({"machines": "2", "delay_ms": "", "panic": "False", "power_pass": "",
                        "system_id": "node-7"});
    assert_reply(
        &post(
            socket,
            "/query",
            &json!({"system_id": RACK, "context": stored}),
        ),
        200,
        &json!({"status": "ok", "state": "unknown"}),
    );
    assert_reply(
        &post(
            socket,
            "/on",
            &json!({"system_id": RACK, "context": {"machines": ""}}),
        ),
        400,
        &error_body(
            "invalid_parameters",
            "driverParameters.machines: is empty, and this setting is required",
            Some("settingsError"),
        ),
    );
    // The agent sends the machine's own system_id with the boot order.
    let body = json!({"system_id": "node-7", "context": {"machines": "1", "system_id": "node-7"},
                      "order": ["disk", "network"]});
    assert_reply(
        &post(socket, "/set-boot-order", &body),
        200,
        &json!({"status": "ok"}),
    );
    let log: Vec<String> = server
        .wait_for_log(3)
        .iter()
        .map(|line| line.split(" (").next().unwrap().to_owned())
        .collect();
    assert_eq!(
        log,
        [
            format!("fixture-chassis: POST /query system_id=node-7 rack={RACK} -> 200 ok"),
            format!(
                "fixture-chassis: POST /on rack={RACK} -> 400 settingsError: \
                 driverParameters.machines: is empty, and this setting is required"
            ),
            "fixture-chassis: POST /set-boot-order system_id=node-7 -> 200 ok".to_owned(),
        ]
    );
}

#[test]
fn the_deadline_counts_the_wait_for_a_worker() {
    // MAAS's clock runs from the request, not from when a worker takes it up: a request
    // that waited for a worker has that much less time to run.
    let server = Server::start(&chassis(), &["--timeout", "2", "--workers", "1"]);
    let socket = server.socket().to_owned();
    let first = std::thread::spawn(move || {
        let body = request("first", chassis_context(json!({"delay_ms": 3000})));
        post(&socket, "/query", &body)
    });
    // The first request holds the only worker until its deadline, 1.8 s from now.
    std::thread::sleep(Duration::from_millis(200));
    let second = query(&server, "second", json!({"delay_ms": 3000}));
    assert_reply(
        &second,
        503,
        &error_body("unavailable", "timed out after 2 s", Some("connError")),
    );
    assert_eq!(first.join().expect("the client thread").status, 503);
    // Answered 2 s after it arrived, of which 1.8 s waiting for the worker: not 3.8 s,
    // as when the deadline started with the worker (room left for a loaded machine).
    let log = server.wait_for_log(2);
    let line = log
        .iter()
        .find(|line| line.contains("system_id=second"))
        .unwrap_or_else(|| panic!("{log:?}"));
    let took_ms: u64 = line
        .rsplit_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(" ms)"))
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("no time in {line:?}"));
    assert!((2000..3000).contains(&took_ms), "{line}");
}

#[test]
fn a_deadline_maas_would_not_wait_for_is_warned_of() {
    let default = Server::start(&chassis(), &[]);
    let stderr = default.stderr();
    assert!(stderr.contains("workers, 8 s deadline, up to "), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");

    let long = Server::start(&chassis(), &["--timeout", "9"]);
    let expected = "fixture-chassis: warning: a 9 s deadline leaves MAAS too little time: its \
                    agent gives up on a request after 10 s, and then reports its own timeout \
                    instead of the driver's answer; 8 s or less leaves room for the answer\n";
    assert!(long.stderr().starts_with(expected), "{}", long.stderr());
    assert_serves(&long);
}

// 3. Bad requests, after each of which the service goes on.

#[test]
fn bad_requests_are_refused_and_the_service_goes_on() {
    let server = Server::start(&chassis(), &[]);
    let socket = server.socket();
    let invalid = |message: &str| {
        error_body(
            "invalid_parameters",
            &format!("invalid request: {message}"),
            Some("settingsError"),
        )
    };
    let cases: Vec<(&str, &[u8], u16, Value)> = vec![
        (
            "/query",
            b"{\"system_id\": ",
            400,
            invalid("the body is not valid JSON (line 1 column 14)"),
        ),
        (
            "/on",
            b"",
            400,
            invalid("the body is not valid JSON (line 1 column 0)"),
        ),
        (
            "/query",
            b"[1, 2]",
            400,
            invalid("the body must be a JSON object with `system_id` and `context`"),
        ),
        (
            "/query",
            br#"{"context": {"machines": 1}}"#,
            400,
            invalid("missing `system_id`"),
        ),
        (
            "/off",
            br#"{"system_id": "", "context": {"machines": 1}}"#,
            400,
            invalid("`system_id` must be a non-empty string"),
        ),
        (
            "/query",
            br#"{"system_id": "abc123"}"#,
            400,
            invalid("missing `context`, the machine's driver parameters"),
        ),
        (
            "/on",
            br#"{"system_id": "abc123", "context": null}"#,
            400,
            invalid("`context` is null: it must be the machine's driver parameters, an object"),
        ),
        (
            "/query",
            br#"{"system_id": "abc123", "context": "s3cret-in-context"}"#,
            400,
            invalid("`context` must be an object of driver parameters"),
        ),
    ];
    for (path, body, status, expected) in cases {
        let response = post_bytes(socket, path, body);
        assert_reply(&response, status, &expected);
        assert_serves(&server);
    }

    // Unknown paths and wrong methods.
    let endpoints = "expected GET /metadata or POST /query, /on, /off, /cycle, /reset, \
                     /set-boot-order, /probe";
    let body = br#"{"system_id": "abc123", "context": {"machines": 1}}"#;
    // (method, path, body, status, answer)
    type Case<'a> = (&'a str, &'a str, Option<&'a [u8]>, u16, Value);
    let cases: [Case; 5] = [
        (
            "POST",
            "/power-on",
            Some(body),
            404,
            error_body(
                "not_found",
                &format!("no endpoint /power-on: {endpoints}"),
                None,
            ),
        ),
        (
            "GET",
            "/",
            None,
            404,
            error_body("not_found", &format!("no endpoint /: {endpoints}"), None),
        ),
        (
            "GET",
            "/query",
            None,
            405,
            error_body("method_not_allowed", "/query takes POST, not GET", None),
        ),
        (
            "PUT",
            "/on",
            Some(body),
            405,
            error_body("method_not_allowed", "/on takes POST, not PUT", None),
        ),
        (
            "POST",
            "/metadata",
            Some(body),
            405,
            error_body("method_not_allowed", "/metadata takes GET, not POST", None),
        ),
    ];
    for (method, path, body, status, expected) in cases {
        let response = unix_http::request(socket, method, path, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        assert_reply(&response, status, &expected);
        assert_serves(&server);
    }

    // The body limit: 64 KiB passes, one byte more is refused.
    let padded = |length: usize| {
        let mut body = br#"{"system_id": "big", "context": {"machines": 1}}"#.to_vec();
        body.resize(length, b' ');
        body
    };
    assert_reply(
        &post_bytes(socket, "/query", &padded(MAX_BODY)),
        200,
        &json!({"status": "ok", "state": "unknown"}),
    );
    assert_reply(
        &post_bytes(socket, "/query", &padded(MAX_BODY + 1)),
        413,
        &error_body(
            "invalid_request",
            "Failed to buffer the request body: length limit exceeded",
            None,
        ),
    );
    assert_serves(&server);

    // Not HTTP at all: the HTTP layer's 400, and nothing else breaks.
    let response = unix_http::raw(socket, b"HELLO THERE\r\n\r\n").expect("an answer");
    assert_eq!(response.status, 400, "{response:?}");
    assert_serves(&server);

    // Clients that hang up: half a head, half a body, nothing at all.
    let full = unix_http::request_bytes("POST", "/query", Some(body));
    for cut in [10, full.len() - body.len() - 2, full.len() - 5, 0] {
        unix_http::hang_up(socket, &full[..cut]).expect("connects and writes");
        assert_serves(&server);
    }
    // And one that connects, sends nothing and stays while others are served.
    let idle = UnixStream::connect(socket).expect("connects");
    assert_serves(&server);
    drop(idle);
    assert_serves(&server);

    // The context's value is never repeated, in the answer or the log.
    assert!(!server.stderr().contains("s3cret-in-context"));
}

// 4. Shutdown.

#[test]
fn sigterm_finishes_the_request_in_flight() {
    let mut server = Server::start(&chassis(), &[]);
    let socket = server.socket().to_owned();
    let in_flight = {
        let socket = socket.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            let body = request("in-flight", chassis_context(json!({"delay_ms": 1500})));
            (post(&socket, "/query", &body), started.elapsed())
        })
    };
    // Let the request reach the driver (it takes 1.5 s there).
    std::thread::sleep(Duration::from_millis(300));
    let signalled = Instant::now();
    server.terminate();

    let (response, took) = in_flight.join().expect("the client thread");
    assert_reply(&response, 200, &json!({"status": "ok", "state": "unknown"}));
    assert!(took >= Duration::from_millis(1500), "{took:?}");

    let status = server.wait_exit();
    assert_eq!(status.code(), Some(0), "{status}: {}", server.stderr());
    assert!(
        signalled.elapsed() >= Duration::from_millis(1000),
        "exited {:?} after SIGTERM, before the request in flight ended",
        signalled.elapsed()
    );
    assert!(!socket.exists(), "the socket file is left behind");
    let error = UnixStream::connect(&socket).expect_err("nobody listens any more");
    assert!(
        matches!(
            error.kind(),
            std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
        ),
        "{error}"
    );
    let stderr = server.stderr();
    assert!(
        stderr.contains(&format!(
            "POST /query system_id=in-flight rack={RACK} -> 200 ok"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("fixture-chassis: stopping; finishing the requests in flight\n"),
        "{stderr}"
    );
    assert!(stderr.ends_with("fixture-chassis: stopped\n"), "{stderr}");
}

/// Shutting down cancels nothing: an action in flight runs on (a power cycle is never cut
/// between its off and its on) until it ends or its deadline passes, when its request is
/// answered 503 as any other, and the service exits.
#[test]
fn sigterm_lets_the_actions_in_flight_run_to_their_deadline() {
    let mut server = Server::start(&chassis(), &["-v", "--timeout", "2"]);
    let socket = server.socket().to_owned();
    let in_flight = std::thread::spawn(move || {
        let body = request(
            "in-flight",
            chassis_context(json!({"until_cancelled": true})),
        );
        post(&socket, "/query", &body)
    });
    // Let the request reach the driver, which blocks until its context is cancelled.
    wait_for_line_containing(&server, "system_id=in-flight: time left: ");
    server.terminate();
    let response = in_flight.join().expect("the client thread");
    assert_reply(
        &response,
        503,
        &error_body("unavailable", "timed out after 2 s", Some("connError")),
    );
    let status = server.wait_exit();
    assert_eq!(status.code(), Some(0), "{status}: {}", server.stderr());
    let stderr = server.stderr();
    let stopping = stderr
        .find("fixture-chassis: stopping; finishing the requests in flight")
        .unwrap_or_else(|| panic!("{stderr}"));
    let answered = stderr
        .find("fixture-chassis: POST /query system_id=in-flight rack=rack01 -> 503")
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        stopping < answered,
        "answered at its deadline, after SIGTERM:\n{stderr}"
    );
}

fn wait_for_line_containing(server: &Server, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.stderr().contains(text) {
        assert!(
            Instant::now() < deadline,
            "no {text:?} in {}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn no_new_connection_is_taken_while_draining() {
    let mut server = Server::start(&chassis(), &[]);
    let socket = server.socket().to_owned();
    let in_flight = {
        let socket = socket.clone();
        std::thread::spawn(move || {
            let body = request("in-flight", chassis_context(json!({"delay_ms": 1500})));
            post(&socket, "/query", &body)
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    server.terminate();
    // Give the server a moment to see the signal (it stops accepting at once).
    std::thread::sleep(Duration::from_millis(100));
    // A client arriving now must be told at once that nobody takes requests here (so
    // that it retries, or reaches the next instance), not be parked in the backlog of a
    // listener no one accepts from until the process ends.
    let started = Instant::now();
    let outcome = unix_http::request(
        &socket,
        "POST",
        "/query",
        Some(
            request("late", chassis_context(json!({})))
                .to_string()
                .as_bytes(),
        ),
    );
    let took = started.elapsed();
    assert_reply(
        &in_flight.join().expect("the client thread"),
        200,
        &json!({"status": "ok", "state": "unknown"}),
    );
    assert_eq!(server.wait_exit().code(), Some(0));
    let error = outcome.expect_err("a request after SIGTERM is not served");
    assert!(
        matches!(
            error.kind(),
            std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
        ) && took < Duration::from_millis(200),
        "after SIGTERM, a new connection was accepted and left waiting {took:?} until the \
         server exited ({error})"
    );
}

// 5. The socket file.

#[test]
fn the_socket_has_mode_0660_in_a_directory_made_for_it() {
    let dir = fresh_dir("service");
    let socket = dir.join("power-drivers/nested/x.sock");
    let mut server = Server::spawn(&chassis(), socket.clone(), dir, &[]);
    server.wait_ready();
    let metadata = std::fs::symlink_metadata(&socket).expect("the socket exists");
    assert!(metadata.file_type().is_socket());
    assert_eq!(metadata.permissions().mode() & 0o7777, 0o660);
    assert_serves(&server);
}

#[test]
fn a_stale_socket_is_replaced() {
    let dir = fresh_dir("service");
    let socket = dir.join("x.sock");
    // A socket file nobody listens on: a server died without removing it.
    drop(UnixListener::bind(&socket).expect("bind"));
    assert!(UnixStream::connect(&socket).is_err());
    let mut server = Server::spawn(&chassis(), socket, dir, &[]);
    server.wait_ready();
    assert_serves(&server);
}

#[test]
fn a_live_socket_is_not_taken() {
    let first = Server::start(&chassis(), &[]);
    let socket = first.socket().to_owned();
    let mut second = Server::spawn(&chassis(), socket.clone(), fresh_dir("service"), &[]);
    let status = second.wait_exit();
    assert_eq!(status.code(), Some(1), "{}", second.stderr());
    assert_eq!(
        second.stderr(),
        format!(
            "error: a server is already listening on {}\n",
            socket.display()
        )
    );
    assert!(socket.exists());
    assert_serves(&first);
}

#[test]
fn a_regular_file_is_not_replaced() {
    let dir = fresh_dir("service");
    let path = dir.join("x.sock");
    std::fs::write(&path, "not a socket").unwrap();
    let mut server = Server::spawn(&chassis(), path.clone(), dir, &[]);
    let status = server.wait_exit();
    assert_eq!(status.code(), Some(1), "{}", server.stderr());
    assert_eq!(
        server.stderr(),
        format!(
            "error: {} exists and is not a socket: not replacing it\n",
            path.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "not a socket");
}

// 6. Overlap, and its bound.

/// Sends `requests` queries at once, each taking `delay` in the driver, and returns how
/// long all took; every one must succeed.
fn query_concurrently(server: &Server, requests: u32, delay: Duration) -> Duration {
    let started = Instant::now();
    std::thread::scope(|scope| {
        let clients: Vec<_> = (0..requests)
            .map(|index| {
                scope.spawn(move || {
                    let response = query(
                        server,
                        &format!("machine-{index}"),
                        json!({"delay_ms": delay.as_millis() as u64}),
                    );
                    assert_reply(&response, 200, &json!({"status": "ok", "state": "unknown"}));
                })
            })
            .collect();
        for client in clients {
            client.join().expect("a client thread");
        }
    });
    started.elapsed()
}

#[test]
fn slow_requests_overlap() {
    const REQUESTS: u32 = 500;
    const DELAY: Duration = Duration::from_millis(200);
    let server = Server::start(&chassis(), &[]);
    let took = query_concurrently(&server, REQUESTS, DELAY);
    let serial = DELAY * REQUESTS;
    assert!(
        took < serial / 10,
        "{REQUESTS} requests of {DELAY:?} took {took:?}: not 10 times faster than one by one"
    );
    assert_eq!(
        server.wait_for_log(REQUESTS as usize).len(),
        REQUESTS as usize
    );
}

#[test]
fn workers_bound_the_overlap() {
    const REQUESTS: u32 = 5;
    const DELAY: Duration = Duration::from_millis(200);
    let server = Server::start(&chassis(), &["--workers", "1"]);
    let took = query_concurrently(&server, REQUESTS, DELAY);
    assert!(took >= DELAY * REQUESTS, "took {took:?} with one worker");
}

// 7. The request log, and secrets.

/// Ignored parameters are routine in service mode (MAAS sends every setting of a
/// machine): logged with `-vv` only, keys never values.
#[test]
fn ignored_parameters_are_logged_only_when_asked() {
    let context = json!({"power_address": "10.0.0.9", "power_pass": "SENTINEL-vv"});
    for (args, logged) in [(&[][..], false), (&["-vv"][..], true)] {
        let server = Server::start(&abstract_driver(), args);
        let response = post(
            server.socket(),
            "/query",
            &request("sys-1", context.clone()),
        );
        assert_reply(&response, 200, &json!({"status": "ok", "state": "off"}));
        server.wait_for_log(1);
        let stderr = server.stderr();
        let warning = "abstract: debug: power_query: ignoring unknown driver parameter \
                       `driverParameters.power_address`";
        assert_eq!(stderr.contains(warning), logged, "{args:?}: {stderr}");
        assert!(!stderr.contains("SENTINEL-vv"), "{stderr}");
    }
}

#[test]
fn every_request_logs_one_line() {
    let server = Server::start(&chassis(), &["--timeout", "1"]);
    let socket = server.socket();
    let requests = [
        ("/query", "sys-ok", json!({}), "200 ok"),
        ("/on", "sys-on", json!({}), "200 ok"),
        (
            "/off",
            "sys-fail",
            json!({"fail": "BMC said no"}),
            "500 actionError: BMC said no",
        ),
        (
            "/cycle",
            "sys-conn",
            json!({"fail": "gone", "fail_code": "connError"}),
            "503 connError: gone",
        ),
        (
            "/reset",
            "sys-settings",
            json!({"machines": 0}),
            "400 settingsError: driverParameters.machines: a chassis holds at least one machine",
        ),
        (
            "/query",
            "sys-late",
            json!({"delay_ms": 1500}),
            "503 connError: timed out after 1 s",
        ),
        ("/probe", "sys-probe", json!({}), "200 ok"),
    ];
    for (path, system_id, extra, _) in &requests {
        post(
            socket,
            path,
            &request(system_id, chassis_context(extra.clone())),
        );
    }
    get(socket, "/metadata");
    post_bytes(socket, "/query", b"{");
    unix_http::request(socket, "GET", "/nope", None).unwrap();
    unix_http::request(socket, "GET", "/on", None).unwrap();

    let expected = requests.len() + 4;
    let log = server.wait_for_log(expected);
    assert_eq!(log.len(), expected, "{log:#?}");
    for (line, (path, system_id, _, outcome)) in log.iter().zip(&requests) {
        let start = format!(
            "fixture-chassis: POST {path} system_id={system_id} rack={RACK} -> {outcome} ("
        );
        assert!(
            line.starts_with(&start) && line.ends_with(" ms)"),
            "{line:?} is not {start:?}...ms)"
        );
    }
    let rest: Vec<&str> = log[requests.len()..]
        .iter()
        .map(|line| line.split(" (").next().unwrap())
        .collect();
    assert_eq!(
        rest,
        [
            "fixture-chassis: GET /metadata -> 200 ok",
            "fixture-chassis: POST /query -> 400 settingsError: invalid request: the body is \
             not valid JSON",
            "fixture-chassis: GET /nope -> 404 not_found: no endpoint /nope: expected GET \
             /metadata or POST /query, /on, /off, /cycle, /reset, /set-boot-order, /probe",
            "fixture-chassis: GET /on -> 405 method_not_allowed: /on takes POST, not GET",
        ]
    );
}

#[test]
fn secrets_never_appear_in_answers_or_logs() {
    const SENTINEL: &str = "SENTINEL-pa55-77c1e0";
    let server = Server::start(&chassis(), &["--timeout", "0.5"]);
    let socket = server.socket();
    let with_secret = |extra: Value| {
        let mut context = chassis_context(extra);
        context["power_pass"] = json!(SENTINEL);
        context
    };
    let mut responses = Vec::new();
    for extra in [
        json!({}),
        json!({"machines": 0}),
        json!({"machines": 1, "power_address": "x"}),
        json!({"fail": "BMC said no"}),
        json!({"fail": "gone", "fail_code": "connError"}),
        json!({"fail": "no", "fail_code": "authError"}),
        json!({"fail": "no", "fail_code": "nosuchError"}),
        json!({"panic": true}),
        json!({"delay_ms": 1000}),
    ] {
        for path in ["/query", "/on", "/probe"] {
            responses.push(post(
                socket,
                path,
                &request("abc123", with_secret(extra.clone())),
            ));
        }
    }
    // The secret in a mistyped password, a broken body and an oversized one.
    responses.push(post(
        socket,
        "/query",
        &request("abc123", json!({"machines": 1, "power_pass": [SENTINEL]})),
    ));
    let body = request("abc123", with_secret(json!({}))).to_string();
    responses.push(post_bytes(
        socket,
        "/query",
        &body.as_bytes()[..body.len() - 2],
    ));
    let mut big = body.clone().into_bytes();
    big.resize(MAX_BODY + 10, b' ');
    responses.push(post_bytes(socket, "/query", &big));
    // Even a context that is not an object.
    responses.push(post(
        socket,
        "/query",
        &json!({"system_id": "abc123", "context": SENTINEL}),
    ));

    let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    assert!(
        statuses.contains(&200) && statuses.contains(&400),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&500) && statuses.contains(&503),
        "{statuses:?}"
    );
    assert!(statuses.contains(&413), "{statuses:?}");
    for response in &responses {
        assert!(!response.text().contains(SENTINEL), "{response:?}");
        for (name, value) in &response.headers {
            assert!(!value.contains(SENTINEL), "{name}: {value}");
        }
    }
    let log = server.wait_for_log(responses.len());
    assert_eq!(log.len(), responses.len(), "{log:#?}");
    assert!(!server.stderr().contains(SENTINEL), "{}", server.stderr());
}
