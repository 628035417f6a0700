//! The Proxmox driver as a service (`maaspd-proxmox serve`), as MAAS's agent runs it,
//! against fakepve (`support/fakepve.rs`): every action, with a ticket login and with an
//! API token, and each failure with the status and error code the agent reads.

#[path = "../../../tests/support/cmdline.rs"]
mod cmdline;
#[path = "../../../tests/support/fakepve.rs"]
mod fakepve;
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

use fakepve::{FakePve, PASSWORD, TOKEN_NAME, TOKEN_SECRET, USER};
use peers::Peer;
use serde_json::{Value, json};
use server::{Server, assert_reply, request};
use unix_http::{get, post};

const SENTINEL: &str = "Sentinel-Pa55-52be9a";

/// A loopback port nothing listens on.
fn dead_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn proxmox_serves_fakepve() {
    if !peers::available(&[Peer::FakePve]) {
        return;
    }
    let pve = FakePve::start();
    let server = Server::start(&support::example("proxmox"), &[]);
    let socket = server.socket();
    let password = |vm: &str| {
        json!({"power_address": pve.address(), "power_user": USER, "power_pass": PASSWORD,
               "power_token_name": "", "power_token_secret": "", "power_vm_name": vm,
               "power_verify_ssl": "n"})
    };
    let token = |vm: &str| {
        let mut context = password(vm);
        context["power_pass"] = json!("");
        context["power_token_name"] = json!(TOKEN_NAME);
        context["power_token_secret"] = json!(TOKEN_SECRET);
        context
    };
    let ok = |state: &str| json!({"status": "ok", "state": state});
    let done = json!({"status": "ok"});

    let metadata = get(socket, "/metadata");
    assert_eq!(metadata.status, 200, "{metadata:?}");
    assert_eq!(metadata.json()["name"], "proxmox");
    assert_eq!(metadata.json()["capabilities"]["can_probe"], true);

    let (scanned, _) = cmdline::scan_while(&[SENTINEL, PASSWORD, TOKEN_SECRET], || {
        for vm in fakepve::VMS {
            let state = if vm.status == "running" { "on" } else { "off" };
            for context in [password(vm.name), token(&vm.vmid.to_string())] {
                assert_reply(
                    &post(socket, "/query", &request(vm.name, context)),
                    200,
                    &ok(state),
                );
            }
        }
        // On and off with a ticket, each confirmed by the runtime's query.
        assert_reply(
            &post(socket, "/on", &request("db", password("db"))),
            200,
            &done,
        );
        assert_eq!(pve.status(101), "running");
        assert_reply(
            &post(socket, "/off", &request("db", token("db"))),
            200,
            &done,
        );
        assert_eq!(pve.status(101), "stopped");
        // A cycle of a running VM: off, then on, each confirmed.
        assert_reply(
            &post(socket, "/cycle", &request("web", token("web one"))),
            200,
            &done,
        );
        assert_eq!(
            pve.requests("POST /api2/json/nodes/pve1/qemu/100/status/stop"),
            1
        );
        assert_eq!(
            pve.requests("POST /api2/json/nodes/pve1/qemu/100/status/start"),
            1
        );
        assert_reply(
            &post(socket, "/on", &request("slow", token("slow"))),
            200,
            &done,
        );

        let mut chassis = password("");
        chassis.as_object_mut().unwrap().remove("power_vm_name");
        let expected = pve.probed_hosts(&chassis);
        assert_reply(
            &post(socket, "/probe", &request("chassis-1", chassis)),
            200,
            &json!({"status": "ok", "hosts": expected}),
        );

        // Each failure as the agent reads it.
        let failure = |path: &str, context: Value, status: u16, code: &str| {
            let response = post(socket, path, &request("node-1", context));
            assert_eq!(response.status, status, "{response:?}");
            assert_eq!(response.json()["error_code"], code, "{response:?}");
            let text = response.text();
            assert!(
                !text.contains(SENTINEL) && !text.contains(PASSWORD),
                "{text}"
            );
        };
        let mut wrong = password("db");
        wrong["power_pass"] = json!(SENTINEL);
        failure("/query", wrong.clone(), 500, "authError");
        failure("/on", wrong, 500, "authError");
        let mut wrong = token("db");
        wrong["power_token_secret"] = json!(SENTINEL);
        failure("/off", wrong.clone(), 500, "authError");
        failure("/probe", wrong, 500, "authError");
        let mut dead = password("db");
        dead["power_pass"] = json!(SENTINEL);
        dead["power_address"] = json!(format!("127.0.0.1:{}", dead_port()));
        failure("/query", dead, 503, "connError");
        let mut verify = password("db");
        verify["power_verify_ssl"] = json!("y");
        failure("/query", verify, 503, "connError");
        failure("/query", token("nosuch"), 500, "actionError");
        failure("/on", password("broken"), 500, "actionError");
        let mut unset = password("");
        unset["power_pass"] = json!("");
        failure("/query", unset, 400, "settingsError");
    });
    assert_eq!(
        scanned,
        Vec::<Vec<String>>::new(),
        "secrets on command lines"
    );
    let log = server.stderr();
    for secret in [SENTINEL, PASSWORD, TOKEN_SECRET] {
        assert!(!log.contains(secret), "{log}");
    }
}
