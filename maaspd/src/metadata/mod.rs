//! The driver described in MAAS's own form (what `DRIVER metadata` prints and the
//! service's `GET /metadata` answers), derived from the attribute and from the same
//! parameters schema as `schema`: an author never writes a setting twice.

pub(crate) mod setting;

use serde::Serialize;

use crate::{Action, IpExtractor, PowerDriver, schema};
pub use setting::{FieldType, Scope, Setting};

/// MAAS's description of a driver.
///
/// ```
/// # use maaspd::PowerState;
/// /// Settings of the lamp.
/// #[maaspd::parameters]
/// struct Lamp {
///     /// Lamp address
///     ///
///     /// Where the lamp's controller listens.
///     power_address: String,
/// }
/// #[maaspd::power_driver(
///     description = "A lamp",
///     name = "lamp",
///     ip_extractor(field_name = "power_address", pattern = maaspd::ip_extractor::IDENTITY),
///     main = false,
/// )]
/// impl Lamp {
/// #   fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::On) }
/// }
///
/// let metadata = maaspd::metadata::Metadata::of::<Lamp>();
/// assert_eq!(metadata.name, "lamp");
/// assert_eq!(metadata.settings[0].label, "Lamp address");
/// assert!(metadata.settings[0].required);
/// let actions: Vec<&str> = metadata.actions.iter().map(|action| action.name).collect();
/// assert_eq!(actions, ["query", "on", "off", "cycle", "reset"]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Metadata {
    /// MAAS's name of the driver, e.g. `redfish`.
    pub name: &'static str,
    /// One line saying what the driver drives.
    pub description: &'static str,
    /// The driver crate's version.
    pub version: &'static str,
    /// The service endpoints the driver answers: `query`, `on`, `off`, `cycle`,
    /// `reset`, then `set-boot-order` and `probe` when it offers them; each an object
    /// `{"name": ...}`, as the region's `DriverSchema` reads them.
    pub actions: Vec<DriverAction>,
    /// The settings, in the order the parameters struct declares them.
    pub settings: Vec<Setting>,
    /// What the driver can do.
    pub capabilities: Capabilities,
    /// Which setting holds the BMC's address.
    pub ip_extractor: Option<IpExtractor>,
}

/// One service endpoint a driver answers, as MAAS's region registers it:
/// `{"name": "query"}`.
///
/// ```
/// use maaspd::metadata::DriverAction;
/// let action = DriverAction { name: "set-boot-order" };
/// assert_eq!(maaspd::serde_json::json!(action), maaspd::serde_json::json!({"name": "set-boot-order"}));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DriverAction {
    /// The endpoint's path without its slash: `query`, `on`, `set-boot-order`, ...
    pub name: &'static str,
}

/// What a driver can do, as MAAS asks.
///
/// ```
/// # use maaspd::PowerState;
/// # #[maaspd::parameters] struct Chassis {}
/// # #[maaspd::power_driver(description = "A chassis", chassis = true, main = false)]
/// # impl Chassis {
/// #   fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::On) }
/// # }
/// let capabilities = maaspd::metadata::Metadata::of::<Chassis>().capabilities;
/// assert!(capabilities.chassis && capabilities.queryable && !capabilities.can_probe);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Capabilities {
    /// MAAS may query the power state.
    pub queryable: bool,
    /// One BMC drives several machines.
    pub chassis: bool,
    /// `probe` lists the machines behind the BMC.
    pub can_probe: bool,
    /// `set_boot_order` is offered.
    pub can_set_boot_order: bool,
}

impl Metadata {
    /// The metadata of driver `D`.
    ///
    /// ```
    /// # use maaspd::PowerState;
    /// # #[maaspd::parameters] struct Lamp {}
    /// # #[maaspd::power_driver(description = "A lamp", queryable = false, main = false)]
    /// # impl Lamp {
    /// #   fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
    /// #   fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
    /// #   fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::Unknown) }
    /// # }
    /// let metadata = maaspd::metadata::Metadata::of::<Lamp>();
    /// assert!(!metadata.capabilities.queryable);
    /// let actions: Vec<&str> = metadata.actions.iter().map(|action| action.name).collect();
    /// assert_eq!(actions, ["on", "off", "cycle", "reset"]);
    /// ```
    pub fn of<D: PowerDriver>() -> Metadata {
        let capabilities = Capabilities {
            queryable: D::QUERYABLE,
            chassis: D::CHASSIS,
            can_probe: D::supports(Action::Probe),
            can_set_boot_order: D::supports(Action::SetBootOrder),
        };
        let actions = [
            ("query", capabilities.queryable),
            ("on", true),
            ("off", true),
            ("cycle", true),
            ("reset", true),
            ("set-boot-order", capabilities.can_set_boot_order),
            ("probe", capabilities.can_probe),
        ]
        .into_iter()
        .filter_map(|(name, offered)| offered.then_some(DriverAction { name }))
        .collect();
        Metadata {
            name: D::NAME,
            description: D::DESCRIPTION,
            version: D::VERSION,
            actions,
            settings: setting::from_schema(&schema::parameters_schema::<D>()),
            capabilities,
            ip_extractor: D::IP_EXTRACTOR,
        }
    }
}
