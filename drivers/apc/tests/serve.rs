//! The APC driver as a service (`maaspd-apc serve`), as MAAS's agent calls it, against
//! snmpsim as an APC PDU (`tests/support/snmpsim.rs`).

#[path = "../../../tests/support/peers.rs"]
mod peers;
#[path = "../../../tests/support/process.rs"]
mod process;
#[path = "../../../tests/support/scratch.rs"]
mod scratch;
#[path = "../../../tests/support/server.rs"]
mod server;
#[path = "../../../tests/support/snmpsim.rs"]
mod snmpsim;
#[path = "../../../tests/support/mod.rs"]
mod support;
#[path = "../../../tests/support/unix_http.rs"]
mod unix_http;

use peers::Peer;
use serde_json::json;
use server::{Server, assert_reply, request};
use snmpsim::{Record, Snmpsim};
use unix_http::{get, post};

const RPDU: &str = "1.3.6.1.4.1.318.1.1.12.3.3.1.1.4";

#[test]
fn apc_serves_every_action_against_the_pdu() {
    if !peers::available(&[Peer::Snmpsim]) {
        return;
    }
    let records = [
        Record::outlet(&format!("{RPDU}.1"), "outlet-1"),
        Record::outlet(&format!("{RPDU}.2"), "outlet-2").refusing("genError"),
    ];
    let pdu = Snmpsim::start("private", &records, &[("outlet-1", 2), ("outlet-2", 2)]);
    let public = Snmpsim::start("public", &records[..1], &[("outlet-1", 2)]);
    let server = Server::start(&support::example("apc"), &[]);
    let socket = server.socket();
    let context = |address: &str, outlet: &str| {
        json!({"power_address": address, "node_outlet": outlet, "power_on_delay": "0",
               "pdu_type": "RPDU"})
    };
    let act =
        |path: &str, context: serde_json::Value| post(socket, path, &request("node-1", context));

    let metadata = get(socket, "/metadata");
    assert_eq!(metadata.status, 200, "{metadata:?}");
    assert_eq!(metadata.json()["name"], "apc");

    let outlet = context(&pdu.address(), "1");
    let ok = json!({"status": "ok"});
    assert_reply(
        &act("/query", outlet.clone()),
        200,
        &json!({"status": "ok", "state": "off"}),
    );
    assert_reply(&act("/on", outlet.clone()), 200, &ok);
    assert_eq!(pdu.state("outlet-1"), 1);
    assert_reply(
        &act("/query", outlet.clone()),
        200,
        &json!({"status": "ok", "state": "on"}),
    );
    assert_reply(&act("/off", outlet.clone()), 200, &ok);
    assert_eq!(pdu.state("outlet-1"), 2);
    assert_reply(&act("/cycle", outlet.clone()), 200, &ok);
    assert_eq!(pdu.state("outlet-1"), 1);
    assert_reply(&act("/reset", outlet.clone()), 200, &ok);
    assert_eq!(pdu.state("outlet-1"), 1);
    assert_eq!(pdu.sets("outlet-1"), [1, 2, 1, 2, 1]);

    // Each failure the PDU can give, with its code.
    let failures = [
        (
            context(&pdu.address(), "2"),
            "/off",
            "actionError",
            "genErr (5)",
        ),
        (
            context(&pdu.address(), "9"),
            "/query",
            "settingsError",
            "driverParameters.node_outlet",
        ),
        (
            context(&public.address(), "1"),
            "/query",
            "connError",
            "no answer from the APC PDU",
        ),
    ];
    for (context, path, code, part) in failures {
        let response = act(path, context);
        assert_eq!(response.json()["error_code"], code, "{response:?}");
        let message = response.json()["error_message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(part), "{message}");
        assert!(!response.text().contains("private"), "{response:?}");
    }
    let dead = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let response = act("/query", context(&format!("127.0.0.1:{dead}"), "1"));
    assert_eq!(response.status, 503, "{response:?}");
    assert_eq!(response.json()["error_code"], "connError");
    assert!(!server.stderr().contains("private"), "{}", server.stderr());
}
