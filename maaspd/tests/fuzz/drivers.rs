//! The drivers under test: Lamp offers neither probe nor boot order, Chassis offers all
//! and panics in `power_on`, Vault takes a password.

use maaspd::{Action, BootDevice, Error, PowerDriver, PowerState, ProbedSystem, Result, Secret};

/// A lamp: on or off as its parameters say, whatever it is told (so its changes are
/// not confirmed).
#[maaspd::parameters]
pub struct Lamp {
    /// Whether the lamp is lit.
    #[serde(default)]
    on: bool,
}

#[maaspd::power_driver(description = "A lamp for fuzz tests", confirm = false, main = false)]
impl Lamp {
    fn power_on(&self) -> Result<()> {
        Ok(())
    }

    fn power_off(&self) -> Result<()> {
        Err(Error::action("the switch is stuck"))
    }

    fn power_query(&self) -> Result<PowerState> {
        Ok(self.on.into())
    }
}

/// The settings of [`Chassis`].
#[maaspd::parameters]
pub struct ChassisSettings {
    /// How many machines the chassis holds.
    machines: u8,
}

/// A chassis that probes and orders boot devices, panics when told to power on, and
/// reports its machines' state unknown, so its changes are not confirmed.
pub struct Chassis {
    machines: u8,
}

#[maaspd::power_driver(
    description = "A chassis for fuzz tests",
    probe = true,
    boot_order = true,
    confirm = false,
    main = false
)]
impl Chassis {
    fn new(settings: ChassisSettings) -> Result<Self> {
        if settings.machines == 0 {
            return Err(Error::settings(
                "driverParameters.machines: must be at least 1",
            ));
        }
        Ok(Chassis {
            machines: settings.machines,
        })
    }

    fn power_on(&self) -> Result<()> {
        panic!("power_on is not wired")
    }

    fn power_off(&self) -> Result<()> {
        Ok(())
    }

    fn power_query(&self) -> Result<PowerState> {
        Ok(PowerState::Unknown)
    }

    /// A reset of its own, told apart from a cycle by its error.
    fn power_reset(&self) -> Result<()> {
        Err(Error::action("reset button pressed"))
    }

    fn probe(&self) -> Result<Vec<ProbedSystem>> {
        Ok((1..=self.machines)
            .map(|n| {
                ProbedSystem::new(
                    format!("node-{n}"),
                    format!("52:54:00:00:00:{n:02x}"),
                    "amd64/generic",
                    "chassis",
                    maaspd::serde_json::json!({"slot": n})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                )
            })
            .collect())
    }

    fn set_boot_order(&self, _devices: &[BootDevice]) -> Result<()> {
        Ok(())
    }
}

/// A BMC behind a password: `power_pass` is a [`Secret`] the driver reads, so the
/// sentinel reaches a driver and its errors instead of being ignored as an unknown key.
#[maaspd::parameters]
pub struct Vault {
    /// The BMC's address.
    power_address: String,
    /// The BMC's password.
    power_pass: Secret,
}

#[maaspd::power_driver(description = "A vault for fuzz tests", main = false)]
impl Vault {
    fn power_on(&self) -> Result<()> {
        Err(Error::auth(format!(
            "{} refused the password",
            self.power_address
        )))
    }

    fn power_off(&self) -> Result<()> {
        Err(Error::conn(format!(
            "{} did not answer",
            self.power_address
        )))
    }

    fn power_query(&self) -> Result<PowerState> {
        if self.power_pass.is_empty() {
            return Err(Error::settings(
                "driverParameters.power_pass: must not be empty",
            ));
        }
        Ok(PowerState::Off)
    }
}

/// One of the drivers under test, for the properties that run each.
#[derive(Debug, Clone, Copy)]
pub enum Driver {
    Lamp,
    Chassis,
    Vault,
}

pub const DRIVERS: [Driver; 3] = [Driver::Lamp, Driver::Chassis, Driver::Vault];

impl Driver {
    pub fn supports(self, action: Action) -> bool {
        match self {
            Driver::Lamp => Lamp::supports(action),
            Driver::Chassis => Chassis::supports(action),
            Driver::Vault => Vault::supports(action),
        }
    }
}
