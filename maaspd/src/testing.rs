//! Run a driver in-process, for tests that spawn no process: its actions ([`run`],
//! [`run_with_deadline`]), its command line ([`cli`]), its service (`Service`, feature
//! `service`), and its parameters' schema ([`schema`]).
//!
//! ```
//! use maaspd::{Action, ErrorCode, PowerState, testing};
//! use maaspd::serde_json::json;
//!
//! /// A switch that is always off.
//! #[maaspd::parameters]
//! struct Switch {
//!     /// The switch's address.
//!     address: String,
//! }
//!
//! #[maaspd::power_driver(description = "A switch", main = false)]
//! impl Switch {
//!     fn power_on(&self) -> maaspd::Result<()> { Err(maaspd::Error::action("stuck")) }
//!     fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
//!     fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::Off) }
//! }
//!
//! let input = json!({"driverParameters": {"address": "10.0.0.1"}});
//! let response = testing::run::<Switch>(Action::PowerOn, input);
//! assert_eq!(response.error().unwrap().code(), ErrorCode::Action);
//!
//! let response = testing::run::<Switch>(Action::PowerOn, json!({"driverParameters": {}}));
//! assert_eq!(
//!     response.error().unwrap().message(),
//!     "driverParameters: missing field `address`"
//! );
//! ```

mod command_line;
#[cfg(feature = "service")]
mod service;

use std::time::Duration;

use serde_json::Value;

use crate::{Action, Context, PowerDriver, Response};

pub use command_line::{CliOutput, cli};
#[cfg(feature = "service")]
pub use service::{Service, ServiceReply};

/// Runs `action` of driver `D` on `input`, the whole input document, exactly as the
/// CLI would after reading it.
///
/// ```
/// # use maaspd::{Action, PowerState, testing};
/// # use maaspd::serde_json::json;
/// # #[maaspd::parameters] struct Lamp {}
/// # #[maaspd::power_driver(description = "A lamp", main = false)]
/// # impl Lamp {
/// #   fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::On) }
/// # }
/// let response = testing::run::<Lamp>(Action::PowerQuery, json!({"driverParameters": {}}));
/// assert_eq!(response.power_state(), Some(PowerState::On));
/// ```
///
/// The input is read as MAAS sends it: parameters as MAAS stores them (see
/// [`Parameters`](crate::Parameters)), and `devices` in any form
/// [`BootDevice`](crate::BootDevice) reads, such as the JSON-encoded database rows of
/// MAAS's agent:
///
/// ```
/// # use maaspd::{Action, BootDevice, PowerState, testing};
/// # use maaspd::serde_json::json;
/// # #[maaspd::parameters] struct Vm {}
/// #[maaspd::power_driver(description = "A VM", boot_order = true, main = false)]
/// impl Vm {
/// #   fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::On) }
///     fn set_boot_order(&self, devices: &[BootDevice]) -> maaspd::Result<()> {
///         match devices.first() {
///             Some(BootDevice::Network { mac }) if mac == "52:54:00:12:34:56" => Ok(()),
///             other => Err(maaspd::Error::fatal(format!("first: {other:?}"))),
///         }
///     }
/// }
///
/// let nic = r#"{"id": 2, "name": "eth0", "type": "physical", "mac_address": "52:54:00:12:34:56"}"#;
/// let input = json!({"driverParameters": {"system_id": "abc123"}, "devices": [nic, "disk"]});
/// let response = testing::run::<Vm>(Action::SetBootOrder, input);
/// assert!(response.error().is_none());
/// ```
pub fn run<D: PowerDriver>(action: Action, input: Value) -> Response {
    crate::execute::execute::<D>(Context::new(action), || Ok(input))
}

/// Runs `action` like [`run`], with a deadline `limit` from now, as `--timeout` gives
/// it: the action's [`Context`] has the deadline, and past it the answer is
/// `connError` "timed out after N s" without waiting for the action, whose context is
/// then cancelled (it runs on a thread of its own, left to finish).
///
/// ```
/// use std::time::Duration;
/// use maaspd::{Action, Context, ErrorCode, PowerState, testing};
/// use maaspd::serde_json::json;
///
/// /// A BMC that reports how long it was given.
/// #[maaspd::parameters]
/// struct Bmc {}
///
/// #[maaspd::power_driver(description = "A BMC", main = false)]
/// impl Bmc {
///     fn power_on(&self, ctx: &Context) -> maaspd::Result<()> {
///         match ctx.time_left() {
///             Some(left) if left <= Duration::from_secs(5) => Ok(()),
///             other => Err(maaspd::Error::fatal(format!("given {other:?}"))),
///         }
///     }
///     fn power_off(&self, ctx: &Context) -> maaspd::Result<()> {
///         ctx.sleep(Duration::from_secs(60)) // cut at the deadline
///     }
///     fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::On) }
/// }
///
/// let input = json!({"driverParameters": {}});
/// let response = testing::run_with_deadline::<Bmc>(Action::PowerOn, input.clone(), Duration::from_secs(5));
/// assert!(response.error().is_none());
///
/// let response = testing::run_with_deadline::<Bmc>(Action::PowerOff, input, Duration::from_millis(100));
/// let error = response.error().unwrap();
/// assert_eq!((error.code(), error.message()), (ErrorCode::Conn, "timed out after 0.1 s"));
/// ```
pub fn run_with_deadline<D: PowerDriver>(
    action: Action,
    input: Value,
    limit: Duration,
) -> Response {
    crate::cli::deadline::execute::<D>(action, || Ok(input), limit)
}

/// The JSON Schema of `D`'s parameters, as `DRIVER schema` prints it.
///
/// ```
/// # use maaspd::PowerState;
/// /// Lamp settings.
/// #[maaspd::parameters]
/// struct Lamp {
///     /// Brightness in percent.
///     #[serde(default)]
///     brightness: u8,
/// }
/// # #[maaspd::power_driver(description = "A lamp", main = false)]
/// # impl Lamp {
/// #   fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::On) }
/// # }
/// let schema = maaspd::testing::schema::<Lamp>();
/// assert_eq!(schema["properties"]["brightness"]["default"], 0);
/// ```
pub fn schema<D: PowerDriver>() -> Value {
    crate::schema::parameters_schema::<D>()
}
