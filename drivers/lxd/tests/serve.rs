//! The LXD driver as a service (`maaspd-lxd serve`), as MAAS's agent runs it, against a
//! real LXD (`support/lxd.rs`): every action, the trust password, and each failure with
//! the status and error code the agent reads, secrets kept out of the answers, the
//! service's log and every command line.

#[path = "../../../tests/support/cmdline.rs"]
mod cmdline;
#[path = "../../../tests/support/lxd.rs"]
mod lxd;
#[path = "../../../tests/support/peers.rs"]
mod peers;
#[path = "../../../tests/support/process.rs"]
mod process;
#[path = "../../../tests/support/scratch.rs"]
mod scratch;
#[path = "../../../tests/support/server.rs"]
mod server;
#[path = "../../../tests/support/mod.rs"]
mod support;
#[path = "../../../tests/support/unix_http.rs"]
mod unix_http;

use lxd::{Identity, Lxd, TRUST_PASSWORD};
use serde_json::{Value, json};
use server::{Server, assert_reply, request};
use unix_http::{get, post};

const SENTINEL: &str = "Sentinel-Pa55-lxd-71b0";

/// A loopback port nothing listens on.
fn dead_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The body of a PEM key, without its armour lines.
fn key_body(key: &str) -> String {
    key.lines()
        .filter(|line| !line.starts_with("-----"))
        .collect()
}

#[test]
fn lxd_serves_a_real_lxd() {
    if !peers::available(lxd::PEERS) {
        return;
    }
    let mut lxd = Lxd::start();
    let address = lxd.address();
    let trusted = lxd.identity();
    lxd.trust(&trusted);
    let stranger = lxd.identity();
    let joiner = lxd.identity();
    let web = lxd.container("default", "web", true);
    let db = lxd.container("default", "db", false);
    let server = Server::start(&support::example("lxd"), &[]);
    let socket = server.socket();
    let context = |instance: &str, identity: &Identity, password: &str| {
        json!({"power_address": address, "instance_name": instance, "project": "default",
               "password": password, "certificate": identity.cert, "key": identity.key})
    };
    let ok = |state: &str| json!({"status": "ok", "state": state});
    let done = json!({"status": "ok"});

    let metadata = get(socket, "/metadata");
    assert_eq!(metadata.status, 200, "{metadata:?}");
    assert_eq!(metadata.json()["name"], "lxd");
    assert_eq!(metadata.json()["capabilities"]["can_probe"], false);

    let secrets = [
        SENTINEL,
        TRUST_PASSWORD,
        &key_body(&trusted.key),
        &key_body(&stranger.key),
        &key_body(&joiner.key),
    ];
    let (scanned, _) = cmdline::scan_while(&secrets, || {
        assert_reply(
            &post(
                socket,
                "/query",
                &request("web", context(&web, &trusted, "")),
            ),
            200,
            &ok("on"),
        );
        assert_reply(
            &post(socket, "/query", &request("db", context(&db, &trusted, ""))),
            200,
            &ok("off"),
        );
        // On and off, each confirmed by the runtime's query.
        assert_reply(
            &post(socket, "/on", &request("db", context(&db, &trusted, ""))),
            200,
            &done,
        );
        assert_eq!(lxd.status("default", &db), "Running");
        assert_reply(
            &post(socket, "/off", &request("db", context(&db, &trusted, ""))),
            200,
            &done,
        );
        assert_eq!(lxd.status("default", &db), "Stopped");
        // A cycle of a running instance: off, then on, each confirmed.
        assert_reply(
            &post(
                socket,
                "/cycle",
                &request("web", context(&web, &trusted, "")),
            ),
            200,
            &done,
        );
        assert_eq!(lxd.status("default", &web), "Running");
        // The trust password adds a new certificate, once. In this one process, after the
        // trusted certificate's calls: connections pooled across certificates would carry
        // the trusted one here, and LXD would add nothing.
        let before = lxd.trusted();
        assert_reply(
            &post(
                socket,
                "/query",
                &request("db", context(&db, &joiner, TRUST_PASSWORD)),
            ),
            200,
            &ok("off"),
        );
        assert_eq!(lxd.trusted(), before + 1);
        assert_reply(
            &post(socket, "/on", &request("db", context(&db, &joiner, ""))),
            200,
            &done,
        );
        assert_eq!(lxd.status("default", &db), "Running");

        // Each failure as the agent reads it.
        let failure = |path: &str, context: Value, status: u16, code: &str| {
            let response = post(socket, path, &request("node-1", context));
            assert_eq!(response.status, status, "{response:?}");
            assert_eq!(response.json()["error_code"], code, "{response:?}");
            let text = response.text();
            for secret in secrets {
                assert!(!text.contains(secret), "{text}");
            }
        };
        failure("/query", context(&db, &stranger, ""), 500, "authError");
        failure("/off", context(&db, &stranger, SENTINEL), 500, "authError");
        failure(
            "/on",
            context("nosuch", &trusted, SENTINEL),
            500,
            "actionError",
        );
        failure(
            "/query",
            context("nosuch", &trusted, ""),
            500,
            "actionError",
        );
        let mut dead = context(&db, &stranger, SENTINEL);
        dead["power_address"] = json!(format!("127.0.0.1:{}", dead_port()));
        failure("/query", dead.clone(), 503, "connError");
        failure("/off", dead, 503, "connError");
        let mut mismatched = context(&db, &trusted, SENTINEL);
        mismatched["key"] = json!(stranger.key);
        failure("/query", mismatched, 400, "settingsError");
        failure("/on", context("", &trusted, SENTINEL), 400, "settingsError");
        assert_eq!(lxd.trusted(), before + 1);
        assert_eq!(lxd.status("default", &db), "Running");
    });
    assert_eq!(
        scanned,
        Vec::<Vec<String>>::new(),
        "secrets on command lines"
    );
    let log = server.stderr() + &lxd.log();
    for secret in secrets {
        assert!(!log.contains(secret), "a secret in the logs");
    }
}
