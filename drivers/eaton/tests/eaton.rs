//! The Eaton driver run as MAAS runs it (`maaspd-eaton ACTION`, JSON on stdin), against
//! snmpsim as an Eaton PDU speaking SNMP v1 (`tests/support/snmpsim.rs`): each outlet a
//! state object and an on and an off command that switch it (accepting only 0, as MAAS
//! sends it), an outlet whose commands the PDU refuses, and each failure the PDU can
//! give.

#[path = "../../../tests/support/outcome.rs"]
mod outcome;
#[path = "../../../tests/support/peers.rs"]
mod peers;
#[path = "../../../tests/support/scratch.rs"]
mod scratch;
#[path = "../../../tests/support/snmpsim.rs"]
mod snmpsim;
#[path = "../../../tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use outcome::Outcome;
use peers::Peer;
use serde_json::{Value, json};
use snmpsim::{Record, Snmpsim};

const CONTROL: &str = "1.3.6.1.4.1.534.6.6.7.6.6.1";
/// The community MAAS's Eaton driver sends, which the driver must never print.
const COMMUNITY: &str = "private";

static PDU: Mutex<Weak<Snmpsim>> = Mutex::new(Weak::new());

/// Outlet `n`'s objects: its state, and its off and on commands, which write it.
fn outlet(n: u32, key: &str) -> Vec<Record> {
    vec![
        Record::outlet(&format!("{CONTROL}.2.0.{n}"), key),
        Record::outlet(&format!("{CONTROL}.3.0.{n}"), key)
            .writing(0)
            .accepting(0),
        Record::outlet(&format!("{CONTROL}.4.0.{n}"), key)
            .writing(1)
            .accepting(0),
    ]
}

/// The PDU the tests share: outlets 1 to 6 (each test its own), outlet 7 locked (its
/// commands refused with genErr), outlet 8 a read-only state holding 3, outlet 9 an
/// off command that takes only 5.
fn pdu() -> Arc<Snmpsim> {
    Snmpsim::shared(&PDU, || {
        let mut records: Vec<Record> = (1..=6)
            .flat_map(|n| outlet(n, &format!("outlet-{n}")))
            .collect();
        records.extend([
            Record::outlet(&format!("{CONTROL}.2.0.7"), "outlet-7"),
            Record::outlet(&format!("{CONTROL}.3.0.7"), "outlet-7").refusing("genError"),
            Record::outlet(&format!("{CONTROL}.4.0.7"), "outlet-7").refusing("genError"),
            Record::fixed(&format!("{CONTROL}.2.0.8"), 3),
            Record::outlet(&format!("{CONTROL}.2.0.9"), "outlet-9"),
            Record::outlet(&format!("{CONTROL}.3.0.9"), "outlet-9")
                .writing(0)
                .accepting(5),
        ]);
        let states: Vec<(String, i64)> = (1..=9)
            .map(|n| (format!("outlet-{n}"), i64::from(n == 9)))
            .collect();
        let states: Vec<(&str, i64)> = states.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        Snmpsim::start(COMMUNITY, &records, &states)
    })
}

fn driver() -> PathBuf {
    support::example("eaton")
}

fn run_args(action: &str, parameters: Value, args: &[&str]) -> Outcome {
    Outcome::of(&driver(), action, parameters, args, COMMUNITY)
}

/// Each action with `-vv`, so that whatever the driver logs is checked too.
fn run(action: &str, parameters: Value) -> Outcome {
    run_args(action, parameters, &["-vv"])
}

fn params(address: &str, outlet: &str) -> Value {
    json!({"power_address": address, "node_outlet": outlet, "power_on_delay": "0",
           "system_id": "abc123"})
}

#[test]
fn metadata_is_maas_eaton_driver() {
    let run = support::run(&driver(), &["metadata"], b"");
    assert_eq!(run.status, 0, "{}", run.stderr);
    let metadata: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(metadata["name"], "eaton");
    assert_eq!(metadata["description"], "Eaton PDU");
    assert_eq!(metadata["capabilities"]["chassis"], true);
    assert_eq!(metadata["capabilities"]["can_probe"], false);
    assert_eq!(metadata["ip_extractor"]["field_name"], "power_address");
    let settings: Vec<Value> = metadata["settings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            json!([
                s["name"],
                s["label"],
                s["field_type"],
                s["required"],
                s["scope"],
                s["default"],
                s["choices"],
                s["secret"]
            ])
        })
        .collect();
    assert_eq!(
        settings,
        [
            json!([
                "power_address",
                "IP for Eaton PDU",
                "string",
                true,
                "bmc",
                "",
                [],
                false
            ]),
            json!([
                "node_outlet",
                "Eaton PDU node outlet number (1-24)",
                "string",
                true,
                "node",
                "",
                [],
                false
            ]),
            json!([
                "power_on_delay",
                "Power ON outlet delay (seconds)",
                "string",
                false,
                "bmc",
                "5",
                [],
                false
            ]),
        ]
    );
}

/// MAAS's sequence: off is SET 0 of the off command; on is a query, off when on, the
/// delay, SET 0 of the on command; the runtime confirms each by querying the state.
#[test]
fn power_on_off_and_query_switch_the_outlet() {
    if !peers::available(&[Peer::Snmpsim]) {
        return;
    }
    let pdu = pdu();
    let p = params(&pdu.address(), "1");
    assert_eq!(run("power_query", p.clone()).state(), "off");
    run("power_on", p.clone()).ok();
    assert_eq!((pdu.state("outlet-1"), pdu.sets("outlet-1")), (1, vec![1]));
    assert_eq!(run("power_query", p.clone()).state(), "on");
    // On when on: off first, then on.
    run("power_on", p.clone()).ok();
    assert_eq!(
        (pdu.state("outlet-1"), pdu.sets("outlet-1")),
        (1, vec![1, 0, 1])
    );
    run("power_off", p.clone()).ok();
    assert_eq!(
        (pdu.state("outlet-1"), pdu.sets("outlet-1")),
        (0, vec![1, 0, 1, 0])
    );
    assert_eq!(run("power_query", p.clone()).state(), "off");
    // A cycle from on: off, then on.
    pdu.set_state("outlet-1", 1);
    run("power_cycle", p.clone()).ok();
    assert_eq!(pdu.state("outlet-1"), 1);
    assert_eq!(pdu.sets("outlet-1")[4..], [0, 1]);
}

#[test]
fn power_on_waits_power_on_delay_within_the_deadline() {
    if !peers::available(&[Peer::Snmpsim]) {
        return;
    }
    let pdu = pdu();
    let mut p = params(&pdu.address(), "2");
    p["power_on_delay"] = json!("1.5");
    let started = Instant::now();
    run("power_on", p.clone()).ok();
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert_eq!(pdu.state("outlet-2"), 1);
    // A delay longer than the call may take ends at its deadline, nothing switched on.
    pdu.set_state("outlet-2", 0);
    p["power_on_delay"] = json!("30");
    let started = Instant::now();
    run_args("power_on", p, &["--timeout", "1"]).error("connError", &["timed out after 1 s"]);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!((pdu.state("outlet-2"), pdu.sets("outlet-2")), (0, vec![1]));
}

#[test]
fn an_outlet_the_pdu_does_not_have_names_node_outlet() {
    if !peers::available(&[Peer::Snmpsim]) {
        return;
    }
    let pdu = pdu();
    let p = params(&pdu.address(), "42");
    for action in ["power_query", "power_off", "power_on"] {
        let message = run(action, p.clone()).error(
            "settingsError",
            &["driverParameters.node_outlet: ", &pdu.address(), "noSuch"],
        );
        assert!(message.contains(&format!("{CONTROL}.")), "{message}");
        assert!(message.contains(".0.42 (noSuchName)"), "{message}");
    }
}

#[test]
fn a_refused_set_is_an_action_error() {
    if !peers::available(&[Peer::Snmpsim]) {
        return;
    }
    let pdu = pdu();
    let p = params(&pdu.address(), "7");
    assert_eq!(run("power_query", p.clone()).state(), "off");
    run("power_off", p.clone()).error("actionError", &["refused the SET", "genErr (5)"]);
    run("power_on", p).error("actionError", &["genErr (5)"]);
    assert_eq!(pdu.state("outlet-7"), 0);
}

/// The commands take the delay before switching: MAAS sends 0, which a command that
/// takes only 5 refuses (SNMP v1's badValue for the peer's wrongValue).
#[test]
fn the_commands_carry_maas_zero() {
    if !peers::available(&[Peer::Snmpsim]) {
        return;
    }
    let pdu = pdu();
    let p = params(&pdu.address(), "9");
    run("power_off", p).error(
        "actionError",
        &["refused the SET", ".3.0.9", "badValue (3)"],
    );
    assert_eq!((pdu.state("outlet-9"), pdu.sets("outlet-9")), (1, vec![]));
}

#[test]
fn a_state_neither_on_nor_off_is_an_action_error() {
    if !peers::available(&[Peer::Snmpsim]) {
        return;
    }
    let pdu = pdu();
    run("power_query", params(&pdu.address(), "8"))
        .error("actionError", &["reports 3", "neither on (1) nor off (0)"]);
}

/// snmpsim, as PDUs do, drops a request with a community it does not serve: no answer,
/// MAAS's 6 tries of 1 s, then a connError naming the address.
#[test]
fn a_wrong_community_is_a_conn_error() {
    if !peers::available(&[Peer::Snmpsim]) {
        return;
    }
    let records = outlet(1, "outlet-1");
    let public = Snmpsim::start("public", &records, &[("outlet-1", 1)]);
    let started = Instant::now();
    let message = run("power_query", params(&public.address(), "1")).error(
        "connError",
        &[
            &format!("no answer from the Eaton PDU at {}", public.address()),
            "SNMP v1, 6 tries",
        ],
    );
    let took = started.elapsed();
    assert!(
        (Duration::from_secs(5)..Duration::from_secs(10)).contains(&took),
        "{took:?}"
    );
    assert!(message.contains("power_address"), "{message}");
    // Within the call's deadline, it ends there.
    run_args(
        "power_query",
        params(&public.address(), "1"),
        &["--timeout", "2"],
    )
    .error("connError", &["timed out after 2 s"]);
    assert!(
        public.log().contains("public"),
        "the peer served another community"
    );
}

#[test]
fn a_dead_port_is_a_conn_error() {
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("127.0.0.1:{port}");
    run("power_query", params(&address, "1")).error(
        "connError",
        &[
            &format!("the Eaton PDU at {address} refused"),
            "nothing listens on UDP port",
        ],
    );
}

#[test]
fn bad_settings_are_settings_errors() {
    if !peers::available(&[Peer::Snmpsim]) {
        return;
    }
    let cases = [
        (
            json!({"power_address": "127.0.0.1", "node_outlet": "one"}),
            "driverParameters.node_outlet",
        ),
        (
            json!({"power_address": "127.0.0.1", "node_outlet": ""}),
            "driverParameters.node_outlet",
        ),
        (json!({"node_outlet": "1"}), "power_address"),
        (
            json!({"power_address": "127.0.0.1:snmp", "node_outlet": "1"}),
            "driverParameters.power_address",
        ),
        (
            json!({"power_address": "127.0.0.1", "node_outlet": "1", "power_on_delay": "soon"}),
            "driverParameters.power_on_delay",
        ),
        (
            json!({"power_address": "127.0.0.1", "node_outlet": "1", "power_on_delay": "-1"}),
            "driverParameters.power_on_delay",
        ),
    ];
    for (parameters, part) in cases {
        run("power_query", parameters).error("settingsError", &[part]);
    }
    // An empty delay is MAAS's default; MAAS's own form never sends one.
    let pdu = pdu();
    let mut p = params(&pdu.address(), "3");
    p["power_on_delay"] = json!("");
    assert_eq!(run("power_query", p).state(), "off");
}
