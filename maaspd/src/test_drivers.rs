//! Small drivers for the unit tests of the runtime.

use std::cell::RefCell;

use crate::{BootDevice, Error, PowerState, ProbedSystem, Result};

/// A lamp: on or off as its parameters say.
#[crate::parameters]
pub(crate) struct Lamp {
    /// Whether the lamp is lit.
    #[serde(default)]
    on: bool,
}

#[crate::power_driver(description = "A lamp for tests", main = false)]
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
#[crate::parameters]
pub(crate) struct ChassisSettings {
    /// How many machines the chassis holds.
    machines: u8,
}

impl ChassisSettings {
    /// Settings as a JSON value, for input documents.
    pub(crate) fn with_machines(machines: u8) -> serde_json::Value {
        serde_json::json!({ "machines": machines })
    }
}

thread_local! {
    /// The boot order the last `set_boot_order` on this thread received: per thread,
    /// so tests running at once do not overwrite each other's.
    static LAST_BOOT_ORDER: RefCell<Vec<BootDevice>> = const { RefCell::new(Vec::new()) };
}

pub(crate) fn last_boot_order() -> Vec<BootDevice> {
    LAST_BOOT_ORDER.with(|order| order.borrow().clone())
}

/// A chassis that probes and orders boot devices.
pub(crate) struct Chassis {
    machines: u8,
}

#[crate::power_driver(
    description = "A chassis for tests",
    probe = true,
    boot_order = true,
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
            .map(|n| ProbedSystem {
                hostname: format!("node-{n}"),
                mac: format!("52:54:00:00:00:{n:02x}"),
                arch: "amd64/generic".into(),
                driver_name: "chassis".into(),
                driver_parameters: serde_json::json!({"slot": n})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            })
            .collect())
    }

    fn set_boot_order(&self, devices: &[BootDevice]) -> Result<()> {
        LAST_BOOT_ORDER.with(|order| *order.borrow_mut() = devices.to_vec());
        Ok(())
    }
}

/// A watch: reports what its context says, through its errors.
#[crate::parameters]
pub(crate) struct Watch {
    /// The machine, as MAAS adds it.
    #[serde(default)]
    system_id: Option<String>,
}

#[crate::power_driver(description = "A watch for tests", main = false)]
impl Watch {
    /// The action, the machine, whether there is a deadline, and the log tag.
    fn power_on(&self, ctx: &crate::Context) -> Result<()> {
        let tag = crate::context::current::tag();
        Err(Error::action(format!(
            "{} {:?} {} {tag:?}",
            ctx.action(),
            ctx.system_id(),
            ctx.deadline().is_some()
        )))
    }

    fn power_off(&self, ctx: &crate::Context) -> Result<()> {
        ctx.sleep(std::time::Duration::from_secs(60))
    }

    fn power_query(&self) -> Result<PowerState> {
        Ok(PowerState::Off)
    }
}
