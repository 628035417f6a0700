//! The traits `#[power_driver]` and `#[parameters]` implement.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use std::sync::Arc;

use crate::{Action, BootDevice, Call, Context, IpExtractor, PowerState, ProbedSystem};

/// A type MAAS's `driverParameters` object deserialises into, with a JSON Schema.
///
/// Implemented by [`#[maaspd::parameters]`](crate::parameters), which also derives serde's
/// `Deserialize` and `Serialize` and schemars' `JsonSchema` through maaspd, so a driver crate needs no
/// serde or schemars dependency of its own. A type that derives both itself can
/// implement this marker by hand.
///
/// ```
/// /// Where the BMC is.
/// #[maaspd::parameters]
/// struct Settings {
///     /// Address of the BMC.
///     power_address: String,
///     /// Seconds to wait for it.
///     #[serde(default)]
///     timeout: u32,
/// }
///
/// fn assert_parameters<P: maaspd::Parameters>() {}
/// assert_parameters::<Settings>();
/// ```
///
/// # Settings as MAAS stores them
///
/// MAAS keeps a machine's power parameters as its forms give them: `"5"` for a number,
/// `""` for a setting left unset, a list for a multiple choice. Before deserialising
/// `driverParameters` (or a service request's `context`), the runtime reads each
/// top-level string as the type's JSON Schema says the setting is typed, so fields keep
/// their Rust types:
///
/// - a string the setting takes as it is stays: a `String` or [`Secret`](crate::Secret)
///   (empty or not), a choice renamed `""` or `"17"`;
/// - otherwise `""` means unset: the key is dropped, so the serde default applies, or,
///   for a required setting, it is a `settingsError` naming it;
/// - otherwise an integer setting reads a decimal integer (`"623"`), a floating-point
///   one a decimal number (`"2.5"`), a `bool` `"true"` or `"false"` in any letter case
///   (Python writes `True`); no other spelling (`"yes"`, `"1"`) is a boolean;
/// - anything else, numbers, booleans, lists, and keys the type does not have, pass
///   through: a malformed value is serde's `settingsError`, naming the setting.
///
/// ```
/// use maaspd::{Action, PowerState, testing};
/// use maaspd::serde_json::json;
///
/// /// An IPMI-like BMC.
/// #[maaspd::parameters]
/// struct Bmc {
///     /// Address.
///     power_address: String,
///     /// UDP port.
///     #[serde(default = "default_port")]
///     port: u16,
///     /// Whether to check the certificate.
///     #[serde(default)]
///     verify: bool,
/// }
///
/// fn default_port() -> u16 { 623 }
///
/// #[maaspd::power_driver(description = "A BMC", main = false)]
/// impl Bmc {
///     fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
///     fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
///     fn power_query(&self) -> maaspd::Result<PowerState> {
///         assert_eq!((self.port, self.verify), (623, true));
///         Ok(PowerState::On)
///     }
/// }
///
/// let stored = json!({"power_address": "10.0.0.5", "port": "", "verify": "True"});
/// let response = testing::run::<Bmc>(Action::PowerQuery, json!({"driverParameters": stored}));
/// assert_eq!(response.power_state(), Some(PowerState::On));
///
/// let response = testing::run::<Bmc>(
///     Action::PowerQuery,
///     json!({"driverParameters": {"power_address": "10.0.0.5", "port": "abc"}}),
/// );
/// assert!(response.error().unwrap().message().starts_with("driverParameters.port: "));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used as power driver parameters",
    label = "not a parameters type",
    note = "annotate the struct with `#[maaspd::parameters]`"
)]
pub trait Parameters: DeserializeOwned + JsonSchema {}

/// The `probe` action of a driver that offers it, called with the driver and the
/// [`Context`] the runtime gives every action (the author's method may leave it out).
///
/// ```
/// use std::sync::Arc;
/// use maaspd::{Action, Call, Context, PowerDriver, PowerState, ProbedSystem};
/// # #[maaspd::parameters] struct Chassis {}
/// #[maaspd::power_driver(description = "A chassis", probe = true, main = false)]
/// impl Chassis {
/// #   fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::On) }
///     fn probe(&self) -> maaspd::Result<Vec<ProbedSystem>> { Ok(Vec::new()) }
/// }
///
/// let probe = Chassis::PROBE.unwrap();
/// let call = probe(Arc::new(Chassis {}), Arc::new(Context::new(Action::Probe)));
/// let Call::Blocking(code) = call else { unreachable!() };
/// assert!(code().unwrap().is_empty());
/// ```
pub type ProbeFn<D> = fn(Arc<D>, Arc<Context>) -> Call<Vec<ProbedSystem>>;

/// The `set_boot_order` action of a driver that offers it, called with the driver, the
/// [`Context`] and the devices in boot order.
///
/// ```
/// use std::sync::Arc;
/// use maaspd::{Action, BootDevice, Call, Context, PowerDriver, PowerState};
/// # #[maaspd::parameters] struct Vm {}
/// #[maaspd::power_driver(description = "A VM", boot_order = true, main = false)]
/// impl Vm {
/// #   fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::On) }
///     async fn set_boot_order(&self, ctx: &Context, devices: &[BootDevice]) -> maaspd::Result<()> {
///         ctx.check()
///     }
/// }
///
/// let set = Vm::SET_BOOT_ORDER.unwrap();
/// let call = set(Arc::new(Vm {}), Arc::new(Context::new(Action::SetBootOrder)), Vec::new());
/// assert!(matches!(call, Call::Async(_)));
/// ```
pub type SetBootOrderFn<D> = fn(Arc<D>, Arc<Context>, Vec<BootDevice>) -> Call<()>;

/// The `power_reset` of a driver that has its own (others reset by a power cycle),
/// called with the driver and the [`Context`].
///
/// ```
/// use std::sync::Arc;
/// use maaspd::{Action, Call, Context, PowerDriver, PowerState};
/// # #[maaspd::parameters] struct Bmc {}
/// #[maaspd::power_driver(description = "A BMC", main = false)]
/// impl Bmc {
/// #   fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::On) }
///     fn power_reset(&self) -> maaspd::Result<()> { Ok(()) }
/// }
///
/// let reset = Bmc::POWER_RESET.unwrap();
/// let call = reset(Arc::new(Bmc {}), Arc::new(Context::new(Action::PowerReset)));
/// assert!(matches!(call, Call::Blocking(_)));
/// ```
pub type PowerResetFn<D> = fn(Arc<D>, Arc<Context>) -> Call<()>;

/// A MAAS power driver: what the runtime needs to know of it and call on it.
///
/// `#[power_driver]` implements it from an inherent `impl` block; writing it by hand is
/// possible but leaves the checks to you. The optional actions are values, not
/// methods with a default, so a driver cannot claim an action it does not implement.
/// Every action receives the driver and the call's [`Context`], shared, and returns a
/// [`Call`]: blocking code or a future, for the runtime to run where it belongs;
/// `#[power_driver]` makes one of each author's method, `fn` or `async fn`, and passes
/// the context on to the methods that take it.
///
/// A driver is `Send + Sync`: `serve` runs its calls on any of its threads, and shares
/// the driver between the calls of one request (a power cycle's query, off and on).
///
/// ```
/// use maaspd::{PowerDriver, PowerState};
///
/// /// The seed's do-nothing driver.
/// #[maaspd::parameters]
/// struct Abstract {}
///
/// #[maaspd::power_driver(description = "Concrete Abstract power driver", main = false)]
/// impl Abstract {
///     fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
///     fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
///     fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::Off) }
/// }
///
/// assert_eq!(Abstract::DESCRIPTION, "Concrete Abstract power driver");
/// assert!(!Abstract::supports(maaspd::Action::Probe));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a power driver",
    note = "annotate its `impl` block with `#[maaspd::power_driver(description = \"...\")]`"
)]
pub trait PowerDriver: Sized + Send + Sync + 'static {
    /// What `driverParameters` deserialises into: `Self`, or the argument of `new`.
    type Parameters: Parameters + Send + 'static;

    /// MAAS's name of the driver (`name = "..."`, else the binary's name); also the
    /// command's name in `--help` and `--version`.
    const NAME: &'static str;
    /// One line saying what the driver drives.
    const DESCRIPTION: &'static str;
    /// The driver crate's version, for `--version`.
    const VERSION: &'static str;
    /// The driver crate's name (`CARGO_CRATE_NAME`): its log records show from `-v`,
    /// those of the libraries it uses (HTTP, TLS, ...) only from `-vvv`. Empty: every
    /// record shows from `-v`.
    const CRATE: &'static str = "";
    /// Whether one BMC drives several machines (`chassis = true`).
    const CHASSIS: bool = false;
    /// Whether MAAS may query the power state (`queryable = false` turns it off).
    const QUERYABLE: bool = true;
    /// Which setting holds the BMC's address, for MAAS to find the BMC's IP.
    const IP_EXTRACTOR: Option<IpExtractor> = None;
    /// `probe`, for a driver that offers it.
    const PROBE: Option<ProbeFn<Self>> = None;
    /// `set_boot_order`, for a driver that offers it.
    const SET_BOOT_ORDER: Option<SetBootOrderFn<Self>> = None;
    /// `power_reset`, for a driver with a reset of its own.
    const POWER_RESET: Option<PowerResetFn<Self>> = None;
    /// The setting that tells one BMC from another (`bmc_key = "..."`, else the
    /// `ip_extractor` field): `serve` runs at most [`MAX_PER_BMC`](Self::MAX_PER_BMC)
    /// actions at once for the machines whose setting has the same value. `None`: no
    /// limit.
    const BMC_KEY: Option<&'static str> = None;
    /// How many actions `serve` runs at once against one BMC (`max_per_bmc = N`; its
    /// `--max-per-bmc` overrides it): BMCs accept few sessions, IPMI BMCs typically four.
    const MAX_PER_BMC: usize = 4;
    /// Whether the runtime confirms a power change by querying until the machine
    /// reports it, as MAAS's base class does (`confirm = false` turns it off for a
    /// driver that confirms by itself; a driver that is not queryable never confirms).
    const CONFIRM: bool = true;

    /// Builds the driver from its parameters; may reject them with `settingsError`.
    fn from_parameters(parameters: Self::Parameters) -> Call<Self>;

    /// Switches the machine on.
    fn power_on(self: Arc<Self>, ctx: Arc<Context>) -> Call<()>;

    /// Switches the machine off.
    fn power_off(self: Arc<Self>, ctx: Arc<Context>) -> Call<()>;

    /// Reports the machine's power state.
    fn power_query(self: Arc<Self>, ctx: Arc<Context>) -> Call<PowerState>;

    /// Whether the driver offers `action`.
    fn supports(action: Action) -> bool {
        match action {
            Action::PowerOn
            | Action::PowerOff
            | Action::PowerQuery
            | Action::PowerCycle
            | Action::PowerReset => true,
            Action::Probe => Self::PROBE.is_some(),
            Action::SetBootOrder => Self::SET_BOOT_ORDER.is_some(),
        }
    }
}
