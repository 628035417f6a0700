//! Procedural macros of [maaspd](https://docs.rs/maaspd): `#[power_driver]` and
//! `#[parameters]`. Use them through `maaspd`, which re-exports both; this crate only
//! parses, checks and describes, and the generated code calls into the maaspd runtime.

#![warn(missing_docs)]

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
/// Arguments: `description = "..."` (required), `probe = true` (the impl has `fn probe`),
/// `boot_order = true` (the impl has `fn set_boot_order`), `confirm = false` (the
/// driver confirms its power changes itself: the runtime does not query after them),
/// `max_per_bmc = N` (how many actions `serve` runs at once against one BMC, 4 by
/// default; a BMC is known by the value of the `ip_extractor` setting, or of the setting
/// `bmc_key = "..."` names), `main = false` (emit no `fn main`; call
/// [`maaspd::cli::main`](https://docs.rs/maaspd) yourself).
///
/// Methods: `power_on`, `power_off`, `power_query`, and `probe` / `set_boot_order` when
/// declared, all taking `&self` (then optionally `ctx: &maaspd::Context`) and returning
/// `maaspd::Result`. Each may be a plain `fn`, run where it may block, or an `async fn`
/// whose future is `Send`, awaited and dropped at the deadline; both kinds mix in one
/// driver. The parameters are `Self`, or the argument of an optional
/// `fn new(params: P) -> maaspd::Result<Self>` (or `async fn new`). Every mistake is
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
/// Doc comments become the schema's title and descriptions; `#[serde(...)]` and
/// `#[schemars(...)]` attributes work as usual.
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
