//! MAAS's Raritan power driver (`raritan`, canonical/maas
//! `src/provisioningserver/drivers/power/raritan.py`), written with maaspd: one outlet of
//! a Raritan PDU, switched over SNMP v2c.
//!
//! ```text
//! cargo run -p maaspd-raritan -- schema
//! echo '{"driverParameters": {"power_address": "10.0.0.5", "node_outlet": "3",
//!        "power_on_delay": "5"}}' | cargo run -p maaspd-raritan -- power_query
//! ```
//!
//! What it does, as MAAS does it:
//!
//! - The outlet's object is `1.3.6.1.4.1.13742.6.4.1.2.1.2.1.` + `node_outlet`
//!   (PDU2-MIB's switchingOperation of the outlet of PDU 1), asked with SNMP v2c and the
//!   community `private`, as MAAS's `snmpget`/`snmpset -c private -v2c` ask it.
//! - `power_query`: a GET; 1 is on, 0 is off, anything else an `actionError`.
//! - `power_off`: a SET of the INTEGER 0. `power_on`: query; when on, off first; then
//!   wait `power_on_delay` seconds (5 by default) and SET the INTEGER 1. The runtime
//!   then queries until the outlet reports the change, as MAAS's base class does.
//! - net-snmp's tries: 1 s each, 6 in all.
//!
//! Where it differs from MAAS, and why:
//!
//! - Failures have MAAS's codes by cause rather than all being `actionError` "external
//!   process error": no answer (the PDU down, or refusing the community, which SNMP
//!   agents answer with silence) and a dead port are `connError` naming the address; an
//!   outlet the PDU does not have (`noSuchObject`, `noSuchInstance`, a SET's
//!   `noCreation`) is a `settingsError` naming `node_outlet`, not retried; another
//!   error-status is `actionError` naming it. No `snmp` tools are needed (MAAS needs
//!   Debian's `snmp`).
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
//! `maaspd::snmp`'s: what is left here is Raritan's own.

use maaspd::Result;
use maaspd::snmp::{Agent, Object, Outlet, Version};

/// PDU2-MIB's outlet switching operation, of PDU 1, by outlet.
const OUTLET_SWITCHING: &str = "1.3.6.1.4.1.13742.6.4.1.2.1.2.1";
/// The outlet's state as the MIB has it.
const ON: i64 = 1;
const OFF: i64 = 0;

maaspd::snmp::outlet_settings! {
    /// What MAAS stores for a Raritan PDU.
    struct Settings {
        power_address: "IP for Raritan PDU",
        node_outlet: "Raritan PDU node outlet number",
    }
}

/// The machine's outlet, switched as MAAS switches it.
struct Raritan(Outlet);

#[maaspd::power_driver(
    name = "raritan",
    description = "Raritan PDU",
    chassis = true,
    ip_extractor(field_name = "power_address", pattern = maaspd::ip_extractor::IDENTITY),
    switch = 0
)]
impl Raritan {
    fn new(settings: Settings) -> Result<Self> {
        let pdu = Agent::maas_pdu(&settings.power_address, Version::V2c)?.peer("the Raritan PDU");
        let state = Object::new(OUTLET_SWITCHING)?
            .index(settings.node_outlet)
            .setting("node_outlet");
        let outlet = Outlet::new(pdu, settings.node_outlet, state, ON, OFF);
        Ok(Raritan(
            outlet.power_on_delay(settings.power_on_delay.duration()),
        ))
    }
}
