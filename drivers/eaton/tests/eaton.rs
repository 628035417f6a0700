//! The Eaton driver run as MAAS runs it (`maaspd-eaton ACTION`, JSON on stdin) and as a
//! service (`maaspd-eaton serve`), against snmpsim as an Eaton PDU speaking SNMP v1
//! (`tests/support/snmpsim.rs`): each outlet a state object and an on and an off command
//! that switch it (accepting only 0, as MAAS sends it). The checks every PDU driver
//! passes are `tests/support/pdu.rs`'s; Eaton's commands are checked here.

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
use snmpsim::Record;

/// EATON-EPDU-MIB's outlet control table: column 2 the state, 3 the off command, 4 the on
/// command, then PDU 0 and the outlet.
const CONTROL: &str = "1.3.6.1.4.1.534.6.6.7.6.6.1";

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

const EATON: PduDriver = PduDriver {
    name: "eaton",
    description: "Eaton PDU",
    peer: "the Eaton PDU",
    labels: ["IP for Eaton PDU", "Eaton PDU node outlet number (1-24)"],
    version: "v1",
    on: 1,
    off: 0,
    extra_parameters: &[],
    outlet,
    state_oid: |n| format!("{CONTROL}.2.0.{n}"),
    refusal: ("genError", "genErr (5)"),
    // Outlet 9, on, has an off command that takes only 5.
    more: || {
        let records = vec![
            Record::outlet(&format!("{CONTROL}.2.0.9"), "outlet-9"),
            Record::outlet(&format!("{CONTROL}.3.0.9"), "outlet-9")
                .writing(0)
                .accepting(5),
        ];
        (records, vec![("outlet-9", 1)])
    },
};

#[test]
fn metadata_is_maas_eaton_driver() {
    EATON.check_metadata(&[]);
}

#[test]
fn power_on_off_and_query_switch_the_outlet() {
    EATON.check_switching();
}

#[test]
fn power_on_waits_power_on_delay_within_the_deadline() {
    EATON.check_power_on_delay();
}

#[test]
fn an_outlet_the_pdu_does_not_have_names_node_outlet() {
    EATON.check_missing_outlet(&[&format!("{CONTROL}."), ".0.42 (noSuchName)"]);
}

#[test]
fn a_refused_set_is_an_action_error() {
    EATON.check_refused_set();
}

/// The commands take the delay before switching: MAAS sends 0, which a command that
/// takes only 5 refuses (SNMP v1's badValue for the peer's wrongValue).
#[test]
fn the_commands_carry_maas_zero() {
    if !peers::available(&[Peer::Snmpsim]) {
        return;
    }
    let pdu = EATON.pdu();
    let p = EATON.params(&pdu.address(), "9");
    EATON.run("power_off", p).error(
        "actionError",
        &["refused the SET", ".3.0.9", "badValue (3)"],
    );
    assert_eq!((pdu.state("outlet-9"), pdu.sets("outlet-9")), (1, vec![]));
}

#[test]
fn a_state_neither_on_nor_off_is_an_action_error() {
    EATON.check_neither_on_nor_off();
}

#[test]
fn a_wrong_community_is_a_conn_error() {
    EATON.check_wrong_community();
}

#[test]
fn a_dead_port_is_a_conn_error() {
    EATON.check_dead_port();
}

#[test]
fn bad_settings_are_settings_errors() {
    EATON.check_bad_settings(&[]);
}

#[test]
fn eaton_serves_every_action_against_the_pdu() {
    EATON.check_service();
}
