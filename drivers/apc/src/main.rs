//! MAAS's APC power driver (`apc`, canonical/maas
//! `src/provisioningserver/drivers/power/apc.py`), written with maaspd: one outlet of an
//! American Power Conversion PDU, switched over SNMP v1.
//!
//! ```text
//! cargo run -p maaspd-apc -- schema
//! echo '{"driverParameters": {"power_address": "10.0.0.5", "node_outlet": "3",
//!        "power_on_delay": "5", "pdu_type": "RPDU"}}' | cargo run -p maaspd-apc -- power_query
//! ```
//!
//! What it does, as MAAS does it:
//!
//! - The outlet's object is `1.3.6.1.4.1.318.1.1.` + `12.3.3.1.1.4` (`pdu_type` `RPDU`,
//!   rPDUOutletControlOutletCommand) or `4.4.2.1.3` (`MASTERSWITCH`,
//!   sPDUOutletCtl) + `.` + `node_outlet`, asked with SNMP v1 and the community
//!   `private`, as MAAS's `snmpget`/`snmpset -c private -v1` ask it.
//! - `power_query`: a GET; 1 is on, 2 is off, anything else an `actionError`.
//! - `power_off`: a SET of the INTEGER 2. `power_on`: query; when on, off first; then
//!   wait `power_on_delay` seconds (5 by default) and SET the INTEGER 1. The runtime
//!   then queries until the outlet reports the change, as MAAS's base class does.
//! - net-snmp's tries: 1 s each, 6 in all.
//!
//! Where it differs from MAAS, and why:
//!
//! - Failures have MAAS's codes by cause rather than all being `actionError` "external
//!   process error": no answer (the PDU down, or refusing the community, which SNMP
//!   agents answer with silence) and a dead port are `connError` naming the address; an
//!   outlet the PDU does not have (`noSuchName`, `noSuchObject`, `noSuchInstance`) is a
//!   `settingsError` naming `node_outlet`, not retried; an error-status is
//!   `actionError` naming it. No `snmp` tools are needed (MAAS needs Debian's `snmp`).
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
//! `maaspd::snmp`'s: what is left here is APC's own.

use maaspd::Result;
use maaspd::snmp::{Agent, Object, Outlet, Version};

/// APC's hardware subtree, under which each PDU type has its outlet table.
const APC_HARDWARE: &str = "1.3.6.1.4.1.318.1.1";
/// The outlet's state as APC's MIB has it.
const ON: i64 = 1;
const OFF: i64 = 2;

/// Which of APC's outlet tables the PDU has.
#[maaspd::parameters]
#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum PduType {
    /// rPDU
    #[default]
    #[serde(rename = "RPDU")]
    Rpdu,
    /// masterswitch
    #[serde(rename = "MASTERSWITCH")]
    Masterswitch,
}

impl PduType {
    /// The outlet table's column, under [`APC_HARDWARE`].
    fn outlet_column(self) -> &'static str {
        match self {
            PduType::Rpdu => "12.3.3.1.1.4",
            PduType::Masterswitch => "4.4.2.1.3",
        }
    }
}

maaspd::snmp::outlet_settings! {
    /// What MAAS stores for an APC PDU.
    struct Settings {
        power_address: "IP for APC PDU",
        node_outlet: "APC PDU node outlet number (1-16)",
        /// PDU type
        ///
        /// rPDU (rPDUOutletControlOutletCommand) or the older MasterSwitch (sPDUOutletCtl).
        #[serde(default)]
        pdu_type: PduType,
    }
}

/// The machine's outlet, switched as MAAS switches it.
struct Apc(Outlet);

#[maaspd::power_driver(
    name = "apc",
    description = "American Power Conversion (APC) PDU",
    chassis = true,
    ip_extractor(field_name = "power_address", pattern = maaspd::ip_extractor::IDENTITY),
    switch = 0
)]
impl Apc {
    fn new(settings: Settings) -> Result<Self> {
        let pdu = Agent::maas_pdu(&settings.power_address, Version::V1)?.peer("the APC PDU");
        let column = format!("{APC_HARDWARE}.{}", settings.pdu_type.outlet_column());
        let state = Object::new(&column)?
            .index(settings.node_outlet)
            .setting("node_outlet");
        let outlet = Outlet::new(pdu, settings.node_outlet, state, ON, OFF);
        Ok(Apc(
            outlet.power_on_delay(settings.power_on_delay.duration())
        ))
    }
}
