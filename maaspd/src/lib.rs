//! Write a MAAS power driver as a parameters struct and one annotated `impl` block.
//!
//! [MAAS](https://maas.io) switches bare-metal machines on and off through power
//! drivers, one per kind of BMC or PDU. `#[power_driver]` turns an `impl` block into a
//! complete driver executable: its command line (`schema`, `power_on`, `power_off`,
//! `power_query`, `probe`, `set_boot_order`), the JSON Schema of its parameters, the
//! checks of what it offers, and `main`. MAAS runs the binary and reads back one JSON
//! document.
//!
//! ```no_run
//! use maaspd::PowerState;
//!
//! /// The seed wrapper's do-nothing driver: it has no settings.
//! #[maaspd::parameters]
//! struct Abstract {}
//!
//! #[maaspd::power_driver(description = "Concrete Abstract power driver")]
//! impl Abstract {
//!     fn power_on(&self) -> maaspd::Result<()> {
//!         Ok(())
//!     }
//!
//!     fn power_off(&self) -> maaspd::Result<()> {
//!         Ok(())
//!     }
//!
//!     fn power_query(&self) -> maaspd::Result<PowerState> {
//!         Ok(PowerState::Off)
//!     }
//! }
//! ```
//!
//! ```text
//! $ echo '{"driverParameters": {}}' | abstract power_query
//! {
//!     "action_type": "power_query",
//!     "data": {
//!         "status": "off"
//!     },
//!     "error": null
//! }
//! ```
//!
//! Each action may be a plain `fn`, which may block on its BMC, or an `async fn`, which
//! is awaited and, at its deadline, dropped (see [`Call`]); any may take the call's
//! [`Context`]. After a power change the runtime queries until the machine reports it,
//! as MAAS's own drivers do. `DRIVER serve` runs the same driver as the long-running
//! service of MAAS's power-driver extraction ([`service`]).
//!
//! Unit-test a driver in-process with [`testing`].
//!
//! # The toolkit
//!
//! What drivers would otherwise each write, the runtime owns:
//!
//! - `maaspd::http` (feature `http`): a BMC's HTTP API within the call's deadline, the
//!   system's CA certificates, credentials as [`Secret`]s, failures as MAAS's codes;
//! - [`tool`]: a BMC's command-line tool within the deadline, its process group killed
//!   at expiry, secrets on its standard input or environment, never its command line
//!   (`tool::askpass`, feature `askpass`, hands ssh a password);
//! - `maaspd::snmp` (feature `snmp`): a PDU's SNMP objects, read and set within the
//!   deadline, failures as MAAS's codes; MAAS's PDU settings and outlets;
//! - [`Switch`]: the three actions of a toolkit type (a PDU's outlet), handed over with
//!   `#[power_driver(switch = field)]`;
//! - [`state`]: what a driver keeps across calls (clients, sessions), once per process;
//! - [`types`]: setting types MAAS's forms know (`YesNo`, MAC and IP addresses, a BMC's
//!   http(s) address);
//! - [`ErrorContext`], [`bail!`] and [`err!`]: another library's error as a MAAS error
//!   in one step.
//!
//! # Cargo features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `service` | yes | `DRIVER serve`, the long-running UNIX-socket service ([`service`]) |
//! | `http` | no | `maaspd::http`, on ureq and rustls |
//! | `snmp` | no | `maaspd::snmp`, on snmp2 |
//! | `askpass` | no | `maaspd::tool::askpass` |
//!
//! The README's "Writing a driver" walks through the attributes, and `examples/` is a
//! graded tour: settings and errors, probe and boot order, async with a context.

#![warn(missing_docs)]

mod action;
mod boot_device;
mod call;
pub mod cli;
mod context;
mod document;
mod driver;
mod error;
mod error_context;
mod execute;
mod form_values;
mod forward;
#[cfg(feature = "http")]
pub mod http;
mod input;
pub mod ip_extractor;
mod logger;
pub mod metadata;
mod panic_guard;
mod power_state;
mod probed_system;
mod response;
mod schema;
mod secret;
#[cfg(feature = "service")]
pub mod service;
#[cfg(feature = "snmp")]
pub mod snmp;
pub mod state;
mod switch;
pub mod testing;
pub mod tool;
pub mod types;

#[cfg(test)]
mod test_drivers;

pub use action::{Action, UnknownAction};
pub use boot_device::{BootDevice, Disk, DiskIdentity};
pub use call::Call;
pub use context::Context;
pub use driver::{Parameters, PowerDriver};
pub use error::{Error, ErrorCode, Result};
pub use error_context::ErrorContext;
pub use ip_extractor::IpExtractor;
pub use power_state::PowerState;
pub use probed_system::ProbedSystem;
pub use response::Response;
pub use secret::Secret;
pub use switch::Switch;

pub use maaspd_macros::{parameters, power_driver};

/// The `log` facade: a driver's `maaspd::log::info!(...)` shows with `-v`, `debug!` with
/// `-vv`, on stderr, tagged with the action and the machine it runs for
/// (`power_on system_id=abc123`). Never log a secret.
pub use log;

/// serde_json, re-exported so a driver crate builds JSON values (for
/// [`ProbedSystem::driver_parameters`]) without a dependency of its own.
pub use serde_json;

/// What generated code names; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::driver::{PowerResetFn, ProbeFn, SetBootOrderFn};
    pub use schemars;
    pub use serde;

    pub use crate::forward::*;

    /// The parameters of the placeholder impl `#[power_driver]` emits beside a compile
    /// error; it has no values, so that impl can never run.
    #[derive(serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
    pub enum Unreachable {}

    impl crate::Parameters for Unreachable {}
}
