//! MAAS's Eaton power driver (`eaton`, canonical/maas
//! `src/provisioningserver/drivers/power/eaton.py`), written with maaspd: one outlet of
//! an Eaton PDU, switched over SNMP v1.
//!
//! ```text
//! cargo run -p maaspd-eaton -- schema
//! echo '{"driverParameters": {"power_address": "10.0.0.5", "node_outlet": "3",
//!        "power_on_delay": "5"}}' | cargo run -p maaspd-eaton -- power_query
//! ```
//!
//! What it does, as MAAS does it:
//!
//! - An outlet has three objects under EATON-EPDU-MIB's outlet control table,
//!   `1.3.6.1.4.1.534.6.6.7.6.6.1.F.0.` + `node_outlet` (of PDU 0): F = 2, its state
//!   (outletControlStatus); 3, the command to switch it off (outletControlOffCmd); 4,
//!   the command to switch it on (outletControlOnCmd). They are asked with SNMP v1 and
//!   the community `private`, as MAAS's `snmpget`/`snmpset -c private -v1` ask them.
//! - `power_query`: a GET of the state; 1 is on, 0 is off, anything else an
//!   `actionError`.
//! - `power_off`: a SET of the off command to the INTEGER 0 (the command's delay: now).
//!   `power_on`: query; when on, off first; then wait `power_on_delay` seconds (5 by
//!   default) and SET the on command to 0. The runtime then queries the state until it
//!   reports the change, as MAAS's base class does.
//! - net-snmp's tries: 1 s each, 6 in all.
//!
//! Where it differs from MAAS, and why:
//!
//! - Failures have MAAS's codes by cause rather than all being `actionError` "external
//!   process error": no answer (the PDU down, or refusing the community, which SNMP
//!   agents answer with silence) and a dead port are `connError` naming the address; an
//!   outlet the PDU does not have (`noSuchName`) is a `settingsError` naming
//!   `node_outlet`, not retried; another error-status is `actionError` naming it. No
//!   `snmp` tools are needed (MAAS needs Debian's `snmp`).
//! - Waits end at the call's deadline: the tries, and `power_on_delay`.
//! - `node_outlet` must be a whole number and `power_on_delay` a number of seconds from 0
//!   up (MAAS puts any text in the OID, and fails on a delay that is not a number only
//!   when switching on); an empty `power_on_delay` is the default, 5.
//! - `power_reset` is the runtime's power cycle (off, then on, each confirmed): MAAS's
//!   driver has none (`NotImplementedError`).
//! - The community is MAAS's, `private`, which MAAS offers no setting to change; it is
//!   handled as a secret all the same: it goes in each SNMP message and nowhere else,
//!   never printed or logged, and no process is started (MAAS puts it on `snmpget`'s
//!   and `snmpset`'s command lines, `-c private`, for any process list to show).
//!
//! The SNMP plumbing (messages, tries, deadline, failures as MAAS's codes) is
//! `maaspd::snmp`'s: what is left here is Eaton's own.

use maaspd::Result;
use maaspd::snmp::{Agent, Object, Outlet, Version};

/// EATON-EPDU-MIB's outletControlEntry: a column (`F`), then PDU 0 and the outlet.
const OUTLET_CONTROL: &str = "1.3.6.1.4.1.534.6.6.7.6.6.1";
/// The columns: the outlet's state, and its off and on commands.
const STATUS: u64 = 2;
const OFF_COMMAND: u64 = 3;
const ON_COMMAND: u64 = 4;
/// A command's value: its delay in seconds, none.
const NOW: i64 = 0;
/// The outlet's state as the MIB has it.
const ON: i64 = 1;
const OFF: i64 = 0;

maaspd::snmp::outlet_settings! {
    /// What MAAS stores for an Eaton PDU.
    struct Settings {
        power_address: "IP for Eaton PDU",
        node_outlet: "Eaton PDU node outlet number (1-24)",
    }
}

/// The machine's outlet, switched as MAAS switches it.
struct Eaton(Outlet);

#[maaspd::power_driver(
    name = "eaton",
    description = "Eaton PDU",
    chassis = true,
    ip_extractor(field_name = "power_address", pattern = maaspd::ip_extractor::IDENTITY),
    switch = 0
)]
impl Eaton {
    fn new(settings: Settings) -> Result<Self> {
        let pdu = Agent::maas_pdu(&settings.power_address, Version::V1)?.peer("the Eaton PDU");
        let object = |column: u64| -> Result<Object> {
            Ok(Object::new(OUTLET_CONTROL)?
                .index(column)
                .index(0)
                .index(settings.node_outlet)
                .setting("node_outlet"))
        };
        // The state is read from one object; each command is a 0 written to its own.
        let outlet = Outlet::new(pdu, settings.node_outlet, object(STATUS)?, ON, OFF)
            .commands((object(ON_COMMAND)?, NOW), (object(OFF_COMMAND)?, NOW))
            .power_on_delay(settings.power_on_delay.duration());
        Ok(Eaton(outlet))
    }
}
