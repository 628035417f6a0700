//! Async drivers and confirmed power changes, through the real binaries: the fixture BMC
//! (`tests/fixtures/bmc.rs`), async but for its blocking `power_off`, whose machine takes
//! a while to show a change, run as the one-shot CLI and as `serve` over its socket.
//! A query that hangs on a real TCP connection shows that a deadline drops the future:
//! the connection is closed, and no thread is left behind.

#[path = "support/process.rs"]
mod process;
#[path = "support/scratch.rs"]
mod scratch;
#[path = "support/server.rs"]
mod server;
mod support;
#[path = "support/unix_http.rs"]
mod unix_http;

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use server::Server;

fn bmc() -> PathBuf {
    support::example("fixture-bmc")
}

/// A machine's state file, in a fresh directory, holding `state`.
fn machine(state: &str) -> PathBuf {
    let file = scratch::fresh_dir("machine").join("state");
    std::fs::write(&file, state).expect("the state file");
    file
}

/// What the machine shows once every change has come through.
fn settled(file: &Path) -> String {
    let text = std::fs::read_to_string(file).expect("the state file");
    text.split_whitespace().nth(1).unwrap_or(&text).to_owned()
}

/// The settings MAAS would store for the fixture: every value a string.
fn settings(file: &Path, transition_ms: u64) -> Value {
    json!({
        "state_file": file.to_str().expect("a UTF-8 path"),
        "transition_ms": transition_ms.to_string(),
        "latency_ms": "20",
        "system_id": "node-1",
    })
}

/// Runs the CLI's `action`, returning its document and how long it took.
fn cli(action: &str, parameters: &Value, args: &[&str]) -> (Value, Duration, support::Run) {
    let input = json!({"driverParameters": parameters}).to_string();
    let mut all = vec![action];
    all.extend_from_slice(args);
    let started = Instant::now();
    let run = support::run(&bmc(), &all, input.as_bytes());
    let took = started.elapsed();
    let document = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|error| panic!("one JSON document ({error}): {run:?}"));
    (document, took, run)
}

/// One request as MAAS's agent sends it.
fn request(server: &Server, path: &str, context: &Value) -> unix_http::Response {
    let body = json!({"system_id": "rack01", "context": context});
    unix_http::post(server.socket(), path, &body)
}

#[test]
fn the_cli_runs_async_actions_and_confirms_a_slow_change() {
    let file = machine("off");
    let (document, _, run) = cli("power_query", &settings(&file, 0), &[]);
    assert_eq!(document["data"]["status"], "off", "{run:?}");

    // The machine shows it 1.5 s later: checked at once, after 1 s (then sent again),
    // and after 3 s.
    let (document, took, run) = cli("power_on", &settings(&file, 1500), &["--timeout", "8"]);
    assert_eq!(document["error"], Value::Null, "{run:?}");
    assert!(took >= Duration::from_millis(1500), "{took:?}");
    assert_eq!(settled(&file), "on");

    // A cycle switches off (blocking), waits until off, then on (async), waits until on.
    let (document, took, run) = cli("power_cycle", &settings(&file, 800), &[]);
    assert_eq!(document["error"], Value::Null, "{run:?}");
    assert!(took >= Duration::from_millis(1600), "{took:?}");
    assert_eq!(settled(&file), "on");
    let (document, _, _) = cli("power_query", &settings(&file, 0), &[]);
    assert_eq!(document["data"]["status"], "on");
}

#[test]
fn a_change_that_never_shows_in_time_is_an_action_error_before_the_cli_deadline() {
    let file = machine("off");
    // 60 s to switch: not within the 3 s given.
    let (document, took, run) = cli("power_on", &settings(&file, 60_000), &["--timeout", "3"]);
    assert_eq!(document["error"]["code"], "actionError", "{run:?}");
    let message = document["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("never transitioned to on: the BMC still reports off after 2."),
        "{message}"
    );
    // An actionError, not the deadline's connError, shows it was answered before the
    // deadline. The time seen from here adds the process's own start and exit, which a
    // loaded machine stretches: this only checks that nothing waited out the 60 s.
    assert!(took < Duration::from_secs(15), "{took:?}");
}

#[test]
fn serve_awaits_async_actions_and_confirms_a_slow_change() {
    let server = Server::start(&bmc(), &[]);
    let file = machine("on");
    let response = request(&server, "/query", &settings(&file, 0));
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.json()["state"], "on");

    // A cycle against a BMC that takes 1.2 s to switch off, then on: it ends on.
    let started = Instant::now();
    let response = request(&server, "/cycle", &settings(&file, 1200));
    assert_eq!(response.status, 200, "{response:?}\n{}", server.stderr());
    assert!(started.elapsed() >= Duration::from_millis(2400));
    assert_eq!(settled(&file), "on");
    let response = request(&server, "/query", &settings(&file, 0));
    assert_eq!(response.json()["state"], "on");

    let response = request(&server, "/off", &settings(&file, 1500));
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(settled(&file), "off");
}

/// A BMC that accepts connections and never answers them: each connection accepted is
/// kept, with when it was closed by the driver (its read seeing the end).
struct SilentBmc {
    address: String,
    /// How many connections it accepted.
    accepted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    closed: std::sync::mpsc::Receiver<Instant>,
}

impl SilentBmc {
    fn start() -> SilentBmc {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a TCP port");
        let address = listener.local_addr().expect("its address").to_string();
        let (sender, closed) = std::sync::mpsc::channel();
        let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counting = accepted.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                counting.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let sender = sender.clone();
                std::thread::spawn(move || {
                    let mut rest = Vec::new();
                    let _ = stream.read_to_end(&mut rest);
                    let _ = sender.send(Instant::now());
                });
            }
        });
        SilentBmc {
            address,
            accepted,
            closed,
        }
    }
}

#[test]
fn a_deadline_drops_an_async_call_closing_its_connection_and_leaving_no_thread() {
    let server = Server::start(&bmc(), &["--timeout", "1"]);
    let silent = SilentBmc::start();
    let hung = json!({"hang_address": silent.address, "system_id": "hung"});
    let before = server.threads();

    let started = Instant::now();
    let response = request(&server, "/query", &hung);
    assert_eq!(response.status, 503, "{response:?}");
    let closed = silent
        .closed
        .recv_timeout(Duration::from_secs(5))
        .expect("the BMC connection closed");
    let after_deadline = closed.saturating_duration_since(started + Duration::from_secs(1));
    assert!(
        after_deadline < Duration::from_secs(1),
        "closed {after_deadline:?} after the deadline"
    );

    // A hundred at once (fewer than the BMC's listen backlog, so that each connects):
    // every one dropped at its deadline, no thread added for them, and a healthy machine
    // answered meanwhile.
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let socket = server.socket().to_owned();
            let hung = hung.clone();
            std::thread::spawn(move || {
                let body = json!({"system_id": "rack01", "context": hung});
                unix_http::post(&socket, "/query", &body).status
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let healthy = Instant::now();
    let response = request(&server, "/query", &json!({"system_id": "healthy"}));
    assert_eq!(response.status, 200, "{response:?}");
    assert!(
        healthy.elapsed() < Duration::from_millis(500),
        "{:?}",
        healthy.elapsed()
    );
    for call in calls {
        assert_eq!(call.join().expect("a client"), 503);
    }
    // Every connection the BMC accepted is closed: the first, and those of the hundred.
    let accepted = silent.accepted.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        accepted >= 90,
        "only {accepted} connections reached the BMC"
    );
    for _ in 1..accepted {
        silent
            .closed
            .recv_timeout(Duration::from_secs(5))
            .expect("every BMC connection closed");
    }
    assert!(
        server.threads() <= before + 2,
        "{} threads, {before} before",
        server.threads()
    );
    // Dropped, not abandoned: nothing ran on past its request.
    assert!(
        !server.stderr().contains("abandoned, its worker freed"),
        "{}",
        server.stderr()
    );
}
