//! BMCs that never answer, behind actions that ignore their context: the service keeps
//! answering other machines, and its threads stay bounded by `--workers` plus
//! `--max-abandoned`. On the built fixture binary over a real UNIX socket; the service's
//! thread count is read from `/proc/PID/status`.

#[path = "support/process.rs"]
mod process;
#[path = "support/scratch.rs"]
mod scratch;
#[path = "support/server.rs"]
mod server;
mod support;
#[path = "support/unix_http.rs"]
mod unix_http;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use server::Server;
use unix_http::Response;

/// Threads the service has besides its blocking pool: the main thread, tokio's two
/// workers, its signal and timer machinery, with room to spare.
const OWN_THREADS: usize = 8;

fn chassis() -> PathBuf {
    support::example("fixture-chassis")
}

/// A query for `machine` of the fixture chassis with `extra` parameters, as MAAS's agent
/// sends it.
fn query_body(machine: &str, extra: Value) -> Vec<u8> {
    let mut context = json!({"machines": 1, "system_id": machine});
    for (key, value) in extra.as_object().expect("extra parameters are an object") {
        context[key] = value.clone();
    }
    json!({"system_id": "rack01", "context": context})
        .to_string()
        .into_bytes()
}

/// One query on a connection of its own.
fn query(socket: &Path, machine: &str, extra: Value) -> Response {
    unix_http::post_bytes(socket, "/query", &query_body(machine, extra))
}

/// `calls` queries of machines whose BMC hangs, each on a connection of its own, from
/// `clients` threads at once; returns every answer.
fn hung_calls(server: &Server, calls: usize, clients: usize) -> Vec<Response> {
    let socket = server.socket();
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..clients)
            .map(|client| {
                scope.spawn(move || {
                    (client..calls)
                        .step_by(clients)
                        .map(|call| query(socket, &format!("hung-{call}"), json!({"hang": true})))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|thread| thread.join().expect("a client thread"))
            .collect()
    })
}

/// How many lines of the service's stderr contain `text`.
fn lines_with(server: &Server, text: &str) -> usize {
    server
        .stderr()
        .lines()
        .filter(|line| line.contains(text))
        .count()
}

const ABANDONED: &str = "abandoned, its worker freed";
const RETURNED: &str = "the abandoned action returned";

/// How many actions are abandoned and still running: those abandoned, less those that
/// returned since (a request whose deadline passed while its driver was being built
/// abandons the constructor, which returns at once; `-v` shows their return).
fn still_abandoned(server: &Server) -> usize {
    lines_with(server, ABANDONED) - lines_with(server, RETURNED)
}
const KEEPS_ITS_WORKER: &str = "it keeps its worker until it returns";

fn assert_timed_out(response: &Response) {
    assert_eq!(response.status, 503, "{response:?}");
    let message = response.json()["error_message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.starts_with("timed out after 1 s"), "{message}");
}

/// A healthy machine's query is answered 200 promptly: within its 1 s deadline, or it
/// would be a 503.
fn assert_healthy_query_answered(server: &Server) {
    let started = Instant::now();
    let response = query(server.socket(), "healthy", json!({}));
    assert_eq!(
        response.status,
        200,
        "{response:?} after {:?}:\n{}",
        started.elapsed(),
        server.stderr()
    );
}

/// A thousand hung calls from 200 clients at once: each is answered 503 at its deadline,
/// many of their actions are abandoned (every worker's, each second), and a healthy
/// machine is still served. Before abandoned actions had threads of their own, the
/// blocking pool filled with hung ones and every later action waited for a thread.
#[test]
fn a_thousand_hung_bmcs_leave_the_service_answering_other_machines() {
    let (workers, max_abandoned) = (4, 1024);
    let server = Server::start(&chassis(), &["--timeout", "1", "--workers", "4", "-v"]);
    assert!(
        server
            .stderr()
            .contains(&format!("up to {max_abandoned} actions abandoned")),
        "{}",
        server.stderr()
    );
    let answers = hung_calls(&server, 1000, 200);
    assert_eq!(answers.len(), 1000);
    answers.iter().for_each(assert_timed_out);
    let abandoned = still_abandoned(&server);
    assert!(
        abandoned > 2 * workers,
        "only {abandoned} actions abandoned: the test did not fill the blocking pool"
    );
    assert_eq!(lines_with(&server, KEEPS_ITS_WORKER), 0);
    assert_healthy_query_answered(&server);
    let threads = server.threads();
    assert!(
        threads <= workers + max_abandoned + OWN_THREADS && threads >= abandoned,
        "{threads} threads for {abandoned} abandoned actions"
    );
}

/// Past `--max-abandoned`, an overrunning action keeps its worker: once every worker is
/// held by a hung action, every request (a healthy machine's too) waits for a worker
/// and is answered 503 "every worker is busy" at its deadline, and no thread is added.
#[test]
fn beyond_max_abandoned_hung_actions_hold_their_workers_and_threads_stay_bounded() {
    let (workers, max_abandoned) = (4, 8);
    let server = Server::start(
        &chassis(),
        &[
            "--timeout",
            "1",
            "--workers",
            "4",
            "--max-abandoned",
            "8",
            "-v",
        ],
    );
    // Rounds of hung calls until every worker is held; a few are enough.
    for _ in 0..10 {
        hung_calls(&server, 20, 20)
            .iter()
            .for_each(assert_timed_out);
        if lines_with(&server, KEEPS_ITS_WORKER) >= workers {
            break;
        }
    }
    assert_eq!(still_abandoned(&server), max_abandoned);
    assert_eq!(lines_with(&server, KEEPS_ITS_WORKER), workers);
    let busy = "timed out after 1 s waiting for a free worker: every worker is busy";
    for (machine, extra) in [("hung-more", json!({"hang": true})), ("healthy", json!({}))] {
        let response = query(server.socket(), machine, extra);
        assert_eq!(response.status, 503, "{response:?}");
        assert_eq!(response.json()["error_message"], busy);
    }
    let threads = server.threads();
    assert!(
        threads <= workers + max_abandoned + OWN_THREADS,
        "{threads} threads"
    );
}

/// An action that minds its context returns when its request is answered, and its
/// thread is gone within a second of the deadline.
#[test]
fn an_action_that_honours_its_context_leaves_no_thread_behind() {
    let server = Server::start(&chassis(), &["--timeout", "1"]);
    let before = server.threads();
    let response = query(server.socket(), "blocked", json!({"until_cancelled": true}));
    assert_timed_out(&response);
    let answered = Instant::now();
    let mut now = server.threads();
    while now > before && answered.elapsed() < Duration::from_secs(1) {
        std::thread::sleep(Duration::from_millis(20));
        now = server.threads();
    }
    assert!(
        now <= before,
        "{now} threads 1 s after the deadline, {before} before the call"
    );
}
