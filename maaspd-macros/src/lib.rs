//! Procedural macros of [maaspd](https://docs.rs/maaspd): `#[power_driver]` and
//! `#[parameters]`. Use them through `maaspd`, which re-exports both; this crate only
//! parses, checks and describes, and the generated code calls into the maaspd runtime.

#![warn(missing_docs)]

mod crate_path;
mod errors;
mod parameters;
mod power_driver;
mod suggest;

use proc_macro::TokenStream;

/// Turns an inherent `impl` block into a complete MAAS power driver executable.
///
/// ```
/// use maaspd::{PowerState, Result};
///
/// /// The seed wrapper's do-nothing driver.
/// #[maaspd::parameters]
/// struct Abstract {}
///
/// #[maaspd::power_driver(description = "Concrete Abstract power driver", main = false)]
/// impl Abstract {
///     fn power_on(&self) -> Result<()> { Ok(()) }
///     fn power_off(&self) -> Result<()> { Ok(()) }
///     fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
/// }
/// # fn main() {}
/// ```
///
/// # Arguments
///
/// | argument | default | meaning |
/// |---|---|---|
/// | `description = "..."` | required | MAAS's label of the driver (its metadata's `description`) |
/// | `name = "..."` | the binary's name | MAAS's name of the driver: its metadata's `name`, which the agent finds it by |
/// | `probe = true` | `false` | the impl has `fn probe`: MAAS can enlist the machines behind the BMC |
/// | `boot_order = true` | `false` | the impl has `fn set_boot_order` |
/// | `chassis = true` | `false` | one address serves many machines (MAAS's `chassis`) |
/// | `queryable = false` | `true` | the BMC cannot tell the power state; implies `confirm = false` |
/// | `confirm = false` | `true` | the driver confirms its power changes itself: the runtime does not query after them |
/// | `ip_extractor(field_name = "...", pattern = maaspd::ip_extractor::URL)` | none | the setting holding the BMC's address, and how MAAS finds the IP in it (`URL` or `IDENTITY`) |
/// | `max_per_bmc = N` | 4 | how many actions `serve` runs at once against one BMC |
/// | `bmc_key = "..."` | the `ip_extractor` setting | the setting whose value tells BMCs apart for `max_per_bmc` |
/// | `switch = field` | none | the actions the impl does not define are done by the driver's `field` (a name, or `0` in a tuple struct), a `maaspd::Switch` such as `maaspd::snmp::Outlet` |
/// | `crate = "path"` | `::maaspd` | where the generated code finds maaspd, for a crate that renames it or reaches it through a re-export |
/// | `main = false` | `true` | emit no `fn main`: call [`maaspd::cli::main`](https://docs.rs/maaspd) yourself, or write `maaspd::main!(module::Driver);` at the crate's root for a driver whose `impl` is in a module |
///
/// # Methods
///
/// `power_on`, `power_off`, `power_query`, and `probe` / `set_boot_order` when declared,
/// optionally `power_reset` (else a reset is a power cycle), all taking `&self` (then
/// optionally `ctx: &maaspd::Context`: the call's deadline, cancellation, machine and
/// logging) and returning `maaspd::Result`. Each may be a plain `fn`, run where it may
/// block, or an `async fn` whose future is `Send`, awaited and dropped at the deadline;
/// both kinds mix in one driver. The parameters are `Self`, or the argument of an
/// optional `fn new(params: P) -> maaspd::Result<Self>` (or `async fn new`). State kept
/// across calls (HTTP clients, sessions) lives in `maaspd::state`. Every mistake is
/// reported at once, at the tokens that are wrong.
///
/// ```
/// use std::time::Duration;
/// use maaspd::{Context, PowerState, Result};
///
/// /// A BMC with an async API.
/// #[maaspd::parameters]
/// struct Bmc {}
///
/// #[maaspd::power_driver(description = "An async BMC", main = false)]
/// impl Bmc {
///     async fn power_on(&self, ctx: &Context) -> Result<()> { ctx.check() }
///     fn power_off(&self) -> Result<()> { Ok(()) }
///     async fn power_query(&self) -> Result<PowerState> { Ok(PowerState::On) }
/// }
/// # fn main() {}
/// ```
#[proc_macro_attribute]
pub fn power_driver(args: TokenStream, item: TokenStream) -> TokenStream {
    power_driver::expand(args.into(), item.into()).into()
}

/// Makes a struct usable as power driver parameters: derives serde's `Deserialize` and
/// `Serialize` and schemars' `JsonSchema` through maaspd (no serde or schemars dependency needed) and
/// implements `maaspd::Parameters`.
///
/// Doc comments become the schema's title and descriptions (a first paragraph of one
/// line is the setting's label in MAAS's form); `#[serde(...)]` and `#[schemars(...)]`
/// attributes work as usual: `#[serde(default)]` makes a setting optional. A unit enum is
/// a choice, each variant labelled by its doc comment. Values arrive as MAAS stores them
/// (strings, `""` for unset) and are read into the field's type.
///
/// `#[parameters(crate = "path")]` takes the same `crate` argument as `#[power_driver]`.
///
/// # Field attributes
///
/// `#[maaspd(...)]` on a field tells MAAS what neither the type nor the doc comment does:
///
/// | attribute | meaning |
/// |---|---|
/// | `scope = "node"` / `"bmc"` | the setting is the machine's own (`node`) or the BMC's, shared by its machines (`bmc`, the default) |
/// | `field_type = "..."` | MAAS's form field (`string`, `choice`, `multiple_choice`, `password`, `ip_address`, `mac_address`) when the type does not give it; `Secret` is a `password`, `maaspd::types::MacAddress` a `mac_address` |
/// | `required` | MAAS asks for a value even though the field has a default |
///
/// ```
/// use maaspd::Secret;
///
/// /// PDU
/// #[maaspd::parameters]
/// struct Pdu {
///     /// Address
///     power_address: String,
///     /// Outlet
///     ///
///     /// The machine's outlet on the PDU.
///     #[maaspd(scope = "node")]
///     node_outlet: u16,
///     /// Password
///     #[serde(default)]
///     power_pass: Secret,
/// }
/// # fn is_parameters<P: maaspd::Parameters>() {}
/// # is_parameters::<Pdu>();
/// ```
///
/// ```
/// /// How to reach the BMC.
/// #[maaspd::parameters]
/// struct Settings {
///     /// Address of the BMC.
///     power_address: String,
///     /// Seconds to wait for an answer.
///     #[serde(default)]
///     timeout: u32,
/// }
///
/// fn is_parameters<P: maaspd::Parameters>() {}
/// is_parameters::<Settings>();
/// ```
#[proc_macro_attribute]
pub fn parameters(args: TokenStream, item: TokenStream) -> TokenStream {
    parameters::expand(args.into(), item.into()).into()
}
