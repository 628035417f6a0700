//! `Switch`: the three actions every driver has, offered by a toolkit type, so that a
//! driver whose machine is one such thing (a PDU's outlet) hands them over with
//! `#[power_driver(switch = field)]` instead of writing three methods that only forward.

use crate::{Context, PowerState, Result};

/// Something that switches one machine on and off and tells its state: what a driver
/// hands its actions to with `#[power_driver(switch = field)]`. Each method may block on
/// the BMC, within `ctx`'s deadline.
///
/// [`snmp::Outlet`](crate::snmp::Outlet) (feature `snmp`) is one. The driver's own
/// `power_on`, `power_off` or `power_query`, when its impl block has one, is called
/// instead of the switch's.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use maaspd::serde_json::json;
/// use maaspd::{Action, Context, PowerState, Result, Switch, testing};
///
/// /// A relay the machine's power runs through.
/// struct Relay(AtomicBool);
///
/// impl Switch for Relay {
///     fn power_on(&self, _: &Context) -> Result<()> {
///         self.0.store(true, Ordering::SeqCst);
///         Ok(())
///     }
///     fn power_off(&self, _: &Context) -> Result<()> {
///         self.0.store(false, Ordering::SeqCst);
///         Ok(())
///     }
///     fn power_query(&self, _: &Context) -> Result<PowerState> {
///         Ok(if self.0.load(Ordering::SeqCst) { PowerState::On } else { PowerState::Off })
///     }
/// }
///
/// #[maaspd::parameters]
/// struct Settings {}
///
/// /// The machine behind its relay.
/// struct Rack {
///     relay: Relay,
/// }
///
/// #[maaspd::power_driver(description = "A relay", switch = relay, main = false)]
/// impl Rack {
///     fn new(_: Settings) -> Result<Self> {
///         Ok(Rack { relay: Relay(AtomicBool::new(false)) })
///     }
/// }
///
/// // The relay starts off; power_on switches it, and the runtime's query confirms it.
/// let response = testing::run::<Rack>(Action::PowerQuery, json!({"driverParameters": {}}));
/// assert_eq!(response.power_state(), Some(PowerState::Off));
/// let response = testing::run::<Rack>(Action::PowerOn, json!({"driverParameters": {}}));
/// assert!(response.error().is_none());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `maaspd::Switch`, so `#[power_driver(switch = ...)]` cannot hand it the actions",
    label = "not a `maaspd::Switch`",
    note = "name a field whose type implements `maaspd::Switch` (such as `maaspd::snmp::Outlet`), or define `power_on`, `power_off` and `power_query` in the impl"
)]
pub trait Switch: Send + Sync + 'static {
    /// Switches the machine on.
    fn power_on(&self, ctx: &Context) -> Result<()>;

    /// Switches the machine off.
    fn power_off(&self, ctx: &Context) -> Result<()>;

    /// Tells whether the machine is on or off.
    fn power_query(&self, ctx: &Context) -> Result<PowerState>;
}
