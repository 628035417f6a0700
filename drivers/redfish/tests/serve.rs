//! The Redfish driver as a service (`maaspd-redfish serve`), as MAAS's agent runs it:
//! against sushy-tools' emulator (`support/sushy.rs`), and against a keep-alive HTTPS
//! BMC of the test's own that counts its connections.

#[path = "../../../tests/support/http_server.rs"]
mod http_server;
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
#[path = "../../../tests/support/sushy.rs"]
mod sushy;
#[path = "../../../tests/support/unix_http.rs"]
mod unix_http;

use peers::Peer;
use serde_json::json;
use server::{Server, assert_reply, request};
use unix_http::{get, post};

#[test]
fn redfish_serves_the_emulator() {
    if !peers::available(&[Peer::Sushy]) {
        return;
    }
    let sushy = sushy::Sushy::start(&sushy::Options::default());
    let server = Server::start(&support::example("redfish"), &[]);
    let socket = server.socket();
    let context = |node_id: &str| {
        json!({"power_address": sushy.address(), "power_user": "admin",
               "power_pass": "secret", "node_id": node_id})
    };

    let metadata = get(socket, "/metadata");
    assert_eq!(metadata.status, 200, "{metadata:?}");
    assert_eq!(metadata.json()["name"], "redfish");
    assert_eq!(metadata.json()["capabilities"]["can_probe"], true);

    for (uuid, name, state, _) in sushy::SYSTEMS {
        assert_reply(
            &post(socket, "/query", &request(name, context(uuid))),
            200,
            &json!({"status": "ok", "state": state.to_lowercase()}),
        );
    }
    assert_reply(
        &post(socket, "/probe", &request("chassis-1", context(""))),
        200,
        &json!({"status": "ok", "hosts": sushy.probed_hosts()}),
    );
    // A BMC that is not there is worth retrying.
    let dead = format!("http://127.0.0.1:{}", http_server::dead_port());
    let mut unreachable = context(sushy::SYSTEMS[0].0);
    unreachable["power_address"] = json!(dead);
    let response = post(socket, "/query", &request("node-1", unreachable));
    assert_eq!(response.status, 503, "{response:?}");
    assert_eq!(response.json()["error_code"], "connError");
}

/// State kept across calls: `redfish serve` keeps one HTTP agent per BMC for the
/// process, so a hundred queries, one after another, to one HTTPS BMC that keeps its
/// connections open reuse one connection (and its TLS session) instead of a hundred.
/// Counted at the peer, a Redfish BMC of the test's own.
#[test]
fn redfish_serve_reuses_its_connection_to_a_bmc() {
    let bmc =
        http_server::HttpServer::start_tls_keep_alive(&["127.0.0.1"], |request| {
            match request.path() {
                "/redfish/v1/Systems/1" => http_server::Reply::ok(r#"{"PowerState": "On"}"#),
                _ => http_server::Reply::status(404),
            }
        });
    let server = Server::start(&support::example("redfish"), &[]);
    let context = json!({"power_address": bmc.url(""), "power_user": "admin",
                         "power_pass": "secret", "node_id": "1"});
    for _ in 0..100 {
        assert_reply(
            &post(
                server.socket(),
                "/query",
                &request("node-1", context.clone()),
            ),
            200,
            &json!({"status": "ok", "state": "on"}),
        );
    }
    assert_eq!(bmc.requests().len(), 100);
    assert!(
        bmc.connections() <= 2,
        "{} TLS connections for 100 queries",
        bmc.connections()
    );
    // The service goes first: its idle connection closed, the BMC's thread ends.
    drop(server);
}
