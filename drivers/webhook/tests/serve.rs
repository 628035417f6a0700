//! The webhook driver as a service (`maaspd-webhook serve`), as MAAS's agent runs it,
//! against a webhook of the test's own (`support/http_server.rs`).

#[path = "../../../tests/support/http_server.rs"]
mod http_server;
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

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;
use server::{Server, assert_reply, error_body, request};
use unix_http::post;

#[test]
fn webhook_serves_its_peer() {
    let on = Arc::new(AtomicBool::new(true));
    let http = {
        let on = on.clone();
        http_server::HttpServer::start(move |request| {
            match (request.method.as_str(), request.path()) {
                ("GET", "/machine/status") => {
                    let state = if on.load(Ordering::SeqCst) {
                        "running"
                    } else {
                        "stopped"
                    };
                    http_server::Reply::ok(format!(r#"{{"name": "vm-1", "status": "{state}"}}"#))
                }
                ("POST", "/machine/on") => {
                    on.store(true, Ordering::SeqCst);
                    http_server::Reply::ok("{}")
                }
                ("POST", "/machine/off") => {
                    on.store(false, Ordering::SeqCst);
                    http_server::Reply::ok("{}")
                }
                _ => http_server::Reply::status(404),
            }
        })
    };
    let context = json!({
        "power_on_uri": http.url("/machine/on"),
        "power_off_uri": http.url("/machine/off"),
        "power_query_uri": http.url("/machine/status"),
        "power_token": "tok-123",
    });
    let server = Server::start(&support::example("webhook"), &[]);
    let socket = server.socket();
    let act = |path: &str| post(socket, path, &request("xyz123", context.clone()));

    assert_reply(&act("/query"), 200, &json!({"status": "ok", "state": "on"}));
    assert_reply(&act("/off"), 200, &json!({"status": "ok"}));
    assert_reply(
        &act("/query"),
        200,
        &json!({"status": "ok", "state": "off"}),
    );
    assert_reply(&act("/on"), 200, &json!({"status": "ok"}));
    assert_reply(&act("/query"), 200, &json!({"status": "ok", "state": "on"}));
    assert_reply(
        &post(socket, "/probe", &request("xyz123", context.clone())),
        404,
        &error_body(
            "unsupported_action",
            "\"probe\" action is not supported for this power driver",
            Some("unsupportedActionError"),
        ),
    );

    let requests = http.requests();
    let seen: Vec<(&str, &str)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.path()))
        .collect();
    // After each POST, the runtime confirms the change by querying the peer, as MAAS's
    // `perform_power` does; the peer switched at once, so one check each.
    assert_eq!(
        seen,
        [
            ("GET", "/machine/status"),
            ("POST", "/machine/off"),
            ("GET", "/machine/status"),
            ("GET", "/machine/status"),
            ("POST", "/machine/on"),
            ("GET", "/machine/status"),
            ("GET", "/machine/status"),
        ]
    );
    for request in &requests {
        assert_eq!(request.header("authorization"), Some("Bearer tok-123"));
        // The machine's system_id reached the driver's parameters.
        assert_eq!(request.header("system_id"), Some("xyz123"), "{request:?}");
    }
    assert!(!server.stderr().contains("tok-123"), "{}", server.stderr());
}
