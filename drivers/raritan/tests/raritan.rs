//! The Raritan driver run as MAAS runs it (`maaspd-raritan ACTION`, JSON on stdin) and as
//! a service (`maaspd-raritan serve`), against snmpsim as a Raritan PDU speaking SNMP v2c
//! (`tests/support/snmpsim.rs`), through the checks every PDU driver passes
//! (`tests/support/pdu.rs`).

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
use snmpsim::Record;

/// PDU2-MIB's outlet switching operation, of PDU 1, by outlet: its state, switched by
/// writing it.
const OUTLETS: &str = "1.3.6.1.4.1.13742.6.4.1.2.1.2.1";

const RARITAN: PduDriver = PduDriver {
    name: "raritan",
    description: "Raritan PDU",
    peer: "the Raritan PDU",
    labels: ["IP for Raritan PDU", "Raritan PDU node outlet number"],
    version: "v2c",
    on: 1,
    off: 0,
    extra_parameters: &[],
    outlet: |n, key| vec![Record::outlet(&format!("{OUTLETS}.{n}"), key)],
    state_oid: |n| format!("{OUTLETS}.{n}"),
    refusal: ("notWritable", "notWritable (17)"),
    more: || (Vec::new(), Vec::new()),
};

#[test]
fn metadata_is_maas_raritan_driver() {
    RARITAN.check_metadata(&[]);
}

#[test]
fn power_on_off_and_query_switch_the_outlet() {
    RARITAN.check_switching();
}

#[test]
fn power_on_waits_power_on_delay_within_the_deadline() {
    RARITAN.check_power_on_delay();
}

#[test]
fn an_outlet_the_pdu_does_not_have_names_node_outlet() {
    RARITAN.check_missing_outlet(&[&format!("{OUTLETS}.42")]);
}

#[test]
fn a_refused_set_is_an_action_error() {
    RARITAN.check_refused_set();
}

#[test]
fn a_state_neither_on_nor_off_is_an_action_error() {
    RARITAN.check_neither_on_nor_off();
}

#[test]
fn a_wrong_community_is_a_conn_error() {
    RARITAN.check_wrong_community();
}

#[test]
fn a_dead_port_is_a_conn_error() {
    RARITAN.check_dead_port();
}

#[test]
fn bad_settings_are_settings_errors() {
    RARITAN.check_bad_settings(&[]);
}

#[test]
fn raritan_serves_every_action_against_the_pdu() {
    RARITAN.check_service();
}
