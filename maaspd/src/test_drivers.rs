//! Small drivers for the unit tests of the runtime.

use std::cell::RefCell;

use crate::{BootDevice, Error, PowerState, ProbedSystem, Result};

/// A lamp: on or off as its parameters say, whatever it is told (so its changes are
/// not confirmed).
#[crate::parameters(crate = "crate")]
pub(crate) struct Lamp {
    /// Whether the lamp is lit.
    #[serde(default)]
    on: bool,
}

#[crate::power_driver(
    crate = "crate",
    description = "A lamp for tests",
    confirm = false,
    main = false
)]
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
#[crate::parameters(crate = "crate")]
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

/// A chassis that probes and orders boot devices; it reports its machines' state
/// unknown, so its changes are not confirmed.
pub(crate) struct Chassis {
    machines: u8,
}

#[crate::power_driver(
    crate = "crate",
    description = "A chassis for tests",
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
                    serde_json::json!({"slot": n})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                )
            })
            .collect())
    }

    fn set_boot_order(&self, devices: &[BootDevice]) -> Result<()> {
        LAST_BOOT_ORDER.with(|order| *order.borrow_mut() = devices.to_vec());
        Ok(())
    }
}

/// A watch: reports what its context says, through its errors.
#[crate::parameters(crate = "crate")]
pub(crate) struct Watch {
    /// The machine, as MAAS adds it.
    #[serde(default)]
    system_id: Option<String>,
}

#[crate::power_driver(crate = "crate", description = "A watch for tests", main = false)]
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

/// Relays by name, each switching `transition_ms` after it is told: a BMC with a slow
/// transition, for the confirmation of power changes. Shared by the tests of a process,
/// each test using relays of its own names.
static RELAYS: std::sync::Mutex<Vec<(String, Relay)>> = std::sync::Mutex::new(Vec::new());

/// One relay: its state, and the change under way with when it shows.
#[derive(Clone, Copy)]
struct Relay {
    state: PowerState,
    pending: Option<(PowerState, std::time::Instant)>,
    /// How many times it was told to switch.
    told: u32,
}

/// Settings of [`SlowRelay`] and [`AsyncRelay`].
#[crate::parameters(crate = "crate")]
pub(crate) struct RelaySettings {
    /// The relay's name.
    name: String,
    /// How long a change takes to show, in milliseconds.
    #[serde(default)]
    transition_ms: u64,
    /// A relay that never switches.
    #[serde(default)]
    stuck: bool,
}

impl RelaySettings {
    fn with<T>(&self, f: impl FnOnce(&mut Relay) -> T) -> T {
        let mut relays = RELAYS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = std::time::Instant::now();
        let index = match relays.iter().position(|(name, _)| *name == self.name) {
            Some(index) => index,
            None => {
                let off = Relay {
                    state: PowerState::Off,
                    pending: None,
                    told: 0,
                };
                relays.push((self.name.clone(), off));
                relays.len() - 1
            }
        };
        let relay = &mut relays[index].1;
        if let Some((state, at)) = relay.pending
            && now >= at
        {
            relay.state = state;
            relay.pending = None;
        }
        f(relay)
    }

    fn switch(&self, state: PowerState) {
        let at = std::time::Instant::now() + std::time::Duration::from_millis(self.transition_ms);
        let stuck = self.stuck;
        self.with(|relay| {
            relay.told += 1;
            if !stuck && relay.state != state && relay.pending.is_none() {
                relay.pending = Some((state, at));
            }
        });
    }

    fn state(&self) -> PowerState {
        self.with(|relay| relay.state)
    }
}

/// How many times relay `name` was told to switch, and its state.
pub(crate) fn relay(name: &str) -> (u32, PowerState) {
    let settings = RelaySettings {
        name: name.into(),
        transition_ms: 0,
        stuck: false,
    };
    settings.with(|relay| (relay.told, relay.state))
}

/// A relay behind a blocking driver.
pub(crate) struct SlowRelay(RelaySettings);

#[crate::power_driver(crate = "crate", description = "A slow relay for tests", main = false)]
impl SlowRelay {
    fn new(settings: RelaySettings) -> Result<Self> {
        Ok(SlowRelay(settings))
    }

    fn power_on(&self) -> Result<()> {
        self.0.switch(PowerState::On);
        Ok(())
    }

    fn power_off(&self) -> Result<()> {
        self.0.switch(PowerState::Off);
        Ok(())
    }

    fn power_query(&self) -> Result<PowerState> {
        Ok(self.0.state())
    }
}

/// The same relay behind an async driver, mixed with a blocking `power_off`.
pub(crate) struct AsyncRelay(RelaySettings);

#[crate::power_driver(
    crate = "crate",
    description = "An async relay for tests",
    main = false
)]
impl AsyncRelay {
    async fn new(settings: RelaySettings) -> Result<Self> {
        tokio::task::yield_now().await;
        Ok(AsyncRelay(settings))
    }

    async fn power_on(&self, ctx: &crate::Context) -> Result<()> {
        ctx.check()?;
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        self.0.switch(PowerState::On);
        Ok(())
    }

    fn power_off(&self) -> Result<()> {
        self.0.switch(PowerState::Off);
        Ok(())
    }

    async fn power_query(&self) -> Result<PowerState> {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        Ok(self.0.state())
    }
}

/// The names of [`Sleeper`]'s queries alive: a future dropped takes its name out.
static SLEEPING: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Whether a query of the sleeper `name` is alive.
pub(crate) fn sleeping(name: &str) -> bool {
    let alive = SLEEPING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    alive.iter().any(|alive| alive == name)
}

/// An async BMC that never answers a query: its future is pending for ever, until
/// dropped.
#[crate::parameters(crate = "crate")]
pub(crate) struct Sleeper {
    /// Its name, which tells its queries apart.
    name: String,
}

#[crate::power_driver(
    crate = "crate",
    description = "A BMC that never answers",
    main = false
)]
impl Sleeper {
    fn power_on(&self) -> Result<()> {
        Ok(())
    }

    fn power_off(&self) -> Result<()> {
        Ok(())
    }

    async fn power_query(&self) -> Result<PowerState> {
        struct Alive(String);
        impl Drop for Alive {
            fn drop(&mut self) {
                let mut alive = SLEEPING
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                alive.retain(|name| *name != self.0);
            }
        }
        SLEEPING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(self.name.clone());
        let _alive = Alive(self.name.clone());
        std::future::pending::<()>().await;
        Ok(PowerState::On)
    }
}
