//! One BMC's session limit in `serve`: the machines behind one BMC (one value of the
//! driver's BMC key setting, here the fixture BMC's `power_address`) get at most N
//! actions at once, the driver's `max_per_bmc` or `--max-per-bmc`, while machines behind
//! different BMCs run together. Counted at the peer: each query of the fixture holds a
//! TCP connection to a server of the test's while it waits for its BMC.

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
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use server::Server;

/// A peer that counts the sessions open at once, and the most seen.
struct Peer {
    address: String,
    open: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
}

impl Peer {
    fn start() -> Peer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a TCP port");
        let address = listener.local_addr().expect("its address").to_string();
        let (open, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (counting, highest) = (open.clone(), most.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let now = counting.fetch_add(1, Ordering::SeqCst) + 1;
                highest.fetch_max(now, Ordering::SeqCst);
                let counting = counting.clone();
                std::thread::spawn(move || {
                    let _ = stream.read_to_end(&mut Vec::new());
                    counting.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Peer {
            address,
            open,
            most,
        }
    }
}

/// Fifty queries at once, machine `n` behind the BMC `bmc(n)`, each taking `latency_ms`
/// to build the driver and as long again at its BMC; every answer's status.
fn fifty_queries(
    server: &Server,
    peer: &Peer,
    latency_ms: u64,
    bmc: impl Fn(usize) -> String,
) -> Vec<u16> {
    let calls: Vec<_> = (0..50)
        .map(|machine| {
            let socket = server.socket().to_owned();
            let context = json!({
                "power_address": bmc(machine),
                "session_peer": peer.address,
                "latency_ms": latency_ms.to_string(),
                "system_id": format!("node-{machine}"),
            });
            std::thread::spawn(move || {
                let body = json!({"system_id": "rack01", "context": context});
                unix_http::post(&socket, "/query", &body).status
            })
        })
        .collect();
    calls
        .into_iter()
        .map(|call| call.join().expect("a client"))
        .collect()
}

#[test]
fn machines_behind_one_bmc_get_its_turns_and_other_bmcs_run_together() {
    let server = Server::start(&support::example("fixture-bmc"), &[]);
    assert!(
        server
            .stderr()
            .contains("up to 2 actions at once per power_address"),
        "{}",
        server.stderr()
    );
    // One chassis: two at a time, 25 rounds of 0.2 s, within the 8 s deadline.
    let peer = Peer::start();
    let answers = fifty_queries(&server, &peer, 100, |_| "chassis-1".into());
    assert!(answers.iter().all(|&status| status == 200), "{answers:?}");
    assert_eq!(peer.most.load(Ordering::SeqCst), 2);
    assert_eq!(peer.open.load(Ordering::SeqCst), 0);

    // Fifty BMCs: all at once.
    let peer = Peer::start();
    let answers = fifty_queries(&server, &peer, 500, |machine| format!("10.0.0.{machine}"));
    assert!(answers.iter().all(|&status| status == 200), "{answers:?}");
    assert_eq!(peer.most.load(Ordering::SeqCst), 50);
}

#[test]
fn the_service_option_overrides_the_drivers_limit() {
    let server = Server::start(&support::example("fixture-bmc"), &["--max-per-bmc", "5"]);
    let peer = Peer::start();
    let answers = fifty_queries(&server, &peer, 100, |_| "chassis-1".into());
    assert!(answers.iter().all(|&status| status == 200), "{answers:?}");
    assert_eq!(peer.most.load(Ordering::SeqCst), 5);
}

#[test]
fn a_request_that_cannot_get_a_turn_in_time_says_so() {
    let server = Server::start(
        &support::example("fixture-bmc"),
        &["--max-per-bmc", "1", "--timeout", "1"],
    );
    let peer = Peer::start();
    let statuses = fifty_queries(&server, &peer, 300, |_| "chassis-1".into());
    // 0.6 s each (0.3 s in `new`, 0.3 s at the BMC), one at a time, 1 s each: one or two
    // answered, the others past their deadline while waiting their turn.
    let answered = statuses.iter().filter(|&&status| status == 200).count();
    assert!((1..=2).contains(&answered), "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|&status| status == 200 || status == 503)
    );
    let log = server.stderr();
    assert!(
        log.contains(
            "timed out after 1 s waiting for its BMC: 1 actions at once already run against it"
        ),
        "{log}"
    );
    assert_eq!(peer.most.load(Ordering::SeqCst), 1);
}
