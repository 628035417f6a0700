//! Tour, step 2: probe and boot order. A driver for a lab chassis, simulated by a JSON
//! inventory file and a state file per slot beside it, so that it runs anywhere.
//!
//! ```text
//! cargo run --example probe_and_boot_order -- schema
//! echo '[{"slot": 1, "hostname": "n1", "mac": "52:54:00:00:00:01", "arch": "arm64"}]' \
//!   > /tmp/chassis.json
//! echo '{"driverParameters": {"inventory": "/tmp/chassis.json"}}' \
//!   | cargo run --example probe_and_boot_order -- probe
//! echo '{"driverParameters": {"inventory": "/tmp/chassis.json", "slot": "1"},
//!        "devices": [{"deviceType": "NetworkInterface",
//!                     "properties": {"mac": "52:54:00:00:00:01"}}]}' \
//!   | cargo run --example probe_and_boot_order -- set_boot_order
//! ```
//!
//! It shows:
//! - `chassis = true, probe = true`: `probe` lists the machines behind one address, each
//!   with the parameters MAAS then stores for it (here the slot, a `node`-scoped setting
//!   that the chassis-wide probe leaves empty);
//! - `boot_order = true`: `set_boot_order` gets MAAS's boot devices in order, network
//!   interfaces by MAC and disks by whichever identity MAAS has;
//! - actions that take no context: `ctx` is only for those that need it (step 3).

use std::path::{Path, PathBuf};

use maaspd::serde_json::{self, Map, json};
use maaspd::types::MacAddress;
use maaspd::{BootDevice, ErrorContext, PowerState, ProbedSystem, Result, bail};

/// Lab chassis
///
/// Machines in the slots of a chassis, listed in an inventory file.
#[maaspd::parameters]
struct Settings {
    /// Inventory file
    ///
    /// A JSON list of the chassis' machines: slot, hostname, mac and arch.
    inventory: PathBuf,

    /// Slot
    ///
    /// The machine's slot; empty for the chassis itself, which is all `probe` needs.
    #[serde(default)]
    #[maaspd(scope = "node")]
    slot: Option<u8>,
}

/// One machine of the inventory.
#[derive(serde::Deserialize)]
struct Machine {
    slot: u8,
    hostname: String,
    mac: MacAddress,
    arch: String,
}

struct Chassis {
    inventory: PathBuf,
    slot: Option<u8>,
}

#[maaspd::power_driver(
    description = "Lab chassis (tour: probe and boot order)",
    chassis = true,
    probe = true,
    boot_order = true
)]
impl Chassis {
    fn new(settings: Settings) -> Result<Self> {
        Ok(Chassis {
            inventory: settings.inventory,
            slot: settings.slot,
        })
    }

    fn power_on(&self) -> Result<()> {
        self.write("state", "on")
    }

    fn power_off(&self) -> Result<()> {
        self.write("state", "off")
    }

    fn power_query(&self) -> Result<PowerState> {
        let path = self.file("state")?;
        match std::fs::read_to_string(&path).unwrap_or_default().trim() {
            "on" => Ok(PowerState::On),
            _ => Ok(PowerState::Off),
        }
    }

    fn probe(&self) -> Result<Vec<ProbedSystem>> {
        let machines = self.machines()?;
        Ok(machines
            .into_iter()
            .map(|machine| {
                let mut parameters = Map::new();
                parameters.insert("inventory".into(), json!(self.inventory));
                parameters.insert("slot".into(), json!(machine.slot.to_string()));
                ProbedSystem::new(
                    machine.hostname,
                    machine.mac.to_string(),
                    format!("{}/generic", machine.arch),
                    "probe_and_boot_order",
                    parameters,
                )
            })
            .collect())
    }

    fn set_boot_order(&self, devices: &[BootDevice]) -> Result<()> {
        let order: Vec<String> = devices
            .iter()
            .map(|device| match device {
                BootDevice::Network { mac } => format!("network {mac}"),
                BootDevice::Storage(disk) => format!("disk {disk:?}"),
                BootDevice::AnyNetwork => "any network".into(),
                BootDevice::AnyStorage => "any disk".into(),
                // Devices a later MAAS may add.
                other => format!("{other:?}"),
            })
            .collect();
        self.write("boot-order", &order.join("\n"))
    }
}

impl Chassis {
    fn machines(&self) -> Result<Vec<Machine>> {
        let text = std::fs::read_to_string(&self.inventory)
            .or_conn(format_args!("reading {}", self.inventory.display()))?;
        serde_json::from_str(&text).or_action(format_args!(
            "{} is not a list of slot, hostname, mac and arch",
            self.inventory.display()
        ))
    }

    /// The file of `what` for this machine's slot, which must be in the inventory.
    fn file(&self, what: &str) -> Result<PathBuf> {
        let Some(slot) = self.slot else {
            bail!(
                settings,
                "driverParameters.slot: a machine's action needs its slot"
            );
        };
        if !self.machines()?.iter().any(|machine| machine.slot == slot) {
            bail!(action, "slot {slot} is not in {}", self.inventory.display());
        }
        let directory = self.inventory.parent().unwrap_or(Path::new("."));
        Ok(directory.join(format!("slot-{slot}.{what}")))
    }

    fn write(&self, what: &str, text: &str) -> Result<()> {
        let path = self.file(what)?;
        std::fs::write(&path, text).or_conn(format_args!("writing {}", path.display()))
    }
}
