//! The APC driver run as MAAS runs it (`maaspd-apc ACTION`, JSON on stdin) and as a
//! service (`maaspd-apc serve`), against snmpsim as an APC PDU
//! (`tests/support/snmpsim.rs`). The checks every PDU driver passes run on the rPDU
//! outlet table (`tests/support/pdu.rs`); the MasterSwitch table and `pdu_type` are
//! checked here.

#[path = "../../../tests/support/outcome.rs"]
mod outcome;
#[path = "../../../tests/support/pdu.rs"]
mod pdu;
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

use pdu::PduDriver;
use peers::Peer;
use serde_json::json;
use snmpsim::Record;

/// rPDUOutletControlOutletCommand and sPDUOutletCtl, by outlet: the state, switched by
/// writing it.
const RPDU: &str = "1.3.6.1.4.1.318.1.1.12.3.3.1.1.4";
const MASTERSWITCH: &str = "1.3.6.1.4.1.318.1.1.4.4.2.1.3";

const APC: PduDriver = PduDriver {
    name: "apc",
    description: "American Power Conversion (APC) PDU",
    peer: "the APC PDU",
    labels: ["IP for APC PDU", "APC PDU node outlet number (1-16)"],
    version: "v1",
    on: 1,
    off: 2,
    extra_parameters: &[("pdu_type", "RPDU")],
    outlet: |n, key| vec![Record::outlet(&format!("{RPDU}.{n}"), key)],
    state_oid: |n| format!("{RPDU}.{n}"),
    refusal: ("genError", "genErr (5)"),
    // rPDU outlet 9 holds the text "on"; MasterSwitch outlet 2 is off.
    more: || {
        let records = vec![
            Record::text(&format!("{RPDU}.9"), "on"),
            Record::outlet(&format!("{MASTERSWITCH}.2"), "ms-2"),
        ];
        (records, vec![("ms-2", 2)])
    },
};

#[test]
fn metadata_is_maas_apc_driver() {
    let pdu_type = json!([
        "pdu_type",
        "PDU type",
        "choice",
        false,
        "bmc",
        "RPDU",
        [["RPDU", "rPDU"], ["MASTERSWITCH", "masterswitch"]],
        false
    ]);
    APC.check_metadata(&[pdu_type]);
}

#[test]
fn power_on_off_and_query_switch_the_outlet() {
    APC.check_switching();
}

#[test]
fn power_on_waits_power_on_delay_within_the_deadline() {
    APC.check_power_on_delay();
}

#[test]
fn masterswitch_uses_its_own_table() {
    if !peers::available(&[Peer::Snmpsim]) {
        return;
    }
    let pdu = APC.pdu();
    let mut p = APC.params(&pdu.address(), "2");
    p["pdu_type"] = json!("MASTERSWITCH");
    APC.run("power_on", p.clone()).ok();
    assert_eq!(pdu.state("ms-2"), 1);
    assert_eq!(APC.run("power_query", p.clone()).state(), "on");
    APC.run("power_off", p.clone()).ok();
    assert_eq!(pdu.state("ms-2"), 2);
    // The MasterSwitch table holds no outlet 3.
    p["node_outlet"] = json!("3");
    APC.run("power_query", p).error(
        "settingsError",
        &["driverParameters.node_outlet", "4.4.2.1.3.3"],
    );
}

#[test]
fn an_outlet_the_pdu_does_not_have_names_node_outlet() {
    APC.check_missing_outlet(&["noSuchName", &format!("{RPDU}.42")]);
}

#[test]
fn a_refused_set_is_an_action_error() {
    APC.check_refused_set();
}

#[test]
fn a_state_neither_on_nor_off_is_an_action_error() {
    APC.check_neither_on_nor_off();
}

#[test]
fn a_state_that_is_not_an_integer_is_an_action_error() {
    if !peers::available(&[Peer::Snmpsim]) {
        return;
    }
    let pdu = APC.pdu();
    APC.run("power_query", APC.params(&pdu.address(), "9"))
        .error(
            "actionError",
            &["answered the GET of", "with OCTET STRING, not an INTEGER"],
        );
}

#[test]
fn a_wrong_community_is_a_conn_error() {
    APC.check_wrong_community();
}

#[test]
fn a_dead_port_is_a_conn_error() {
    APC.check_dead_port();
}

#[test]
fn bad_settings_are_settings_errors() {
    let pdu_type = json!({"power_address": "127.0.0.1", "node_outlet": "1", "pdu_type": "rpdu"});
    APC.check_bad_settings(&[(pdu_type, "driverParameters.pdu_type")]);
}

#[test]
fn apc_serves_every_action_against_the_pdu() {
    APC.check_service();
}
