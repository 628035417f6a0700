//! One outlet of a PDU switched over SNMP, as MAAS's PDU drivers (APC, Raritan, Eaton)
//! all switch one: its state read from an object, each change a value written to an
//! object, and `power_on` as MAAS does it (off first when on, a pause, then on).

use std::time::Duration;

use super::{Agent, Object};
use crate::types::Seconds;
use crate::{Context, Error, PowerState, Result, Switch};

/// MAAS's default `power_on_delay` for its PDUs, 5 s: a setting's default, as in
/// `#[serde(default = "maaspd::snmp::default_power_on_delay")]`.
///
/// ```
/// # use std::time::Duration;
/// assert_eq!(maaspd::snmp::default_power_on_delay().duration(), Duration::from_secs(5));
/// ```
pub fn default_power_on_delay() -> Seconds {
    Seconds::from_secs(5)
}

/// A PDU outlet: the agent, the object holding the outlet's state and the values that
/// mean on and off, and where and what to write to switch it.
///
/// ```no_run
/// use std::time::Duration;
/// use maaspd::snmp::{Agent, Object, Outlet, Version};
/// use maaspd::{Action, Context, Secret, Switch};
///
/// # fn main() -> maaspd::Result<()> {
/// let ctx = Context::new(Action::PowerOn);
/// let pdu = Agent::new("10.0.0.5", "power_address", Version::V2c, Secret::new("private"))?
///     .peer("the Raritan PDU");
/// let state = Object::new("1.3.6.1.4.1.13742.6.4.1.2.1.2.1")?.index(3).setting("node_outlet");
/// // The state object is switched by writing to it: 1 is on, 0 off.
/// let outlet = Outlet::new(pdu, 3, state, 1, 0).power_on_delay(Duration::from_secs(5));
/// outlet.power_on(&ctx)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Outlet {
    agent: Agent,
    number: u64,
    state: Object,
    on_value: i64,
    off_value: i64,
    switch_on: (Object, i64),
    switch_off: (Object, i64),
    power_on_delay: Duration,
}

impl Outlet {
    /// Outlet `number` of `agent`, whose `state` object reads `on_value` or `off_value`,
    /// and is switched by writing those values to it.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use maaspd::snmp::{Agent, Object, Outlet, Version};
    /// # use maaspd::{Action, Context, PowerState, Secret};
    /// # let ctx = Context::new(Action::PowerOn);
    /// let pdu = Agent::new("10.0.0.5", "power_address", Version::V1, Secret::new("private"))?;
    /// let state = Object::new("1.3.6.1.4.1.318.1.1.12.3.3.1.1.4")?.index(3).setting("node_outlet");
    /// let outlet = Outlet::new(pdu, 3, state, 1, 2);
    /// # let _ = outlet;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn new(agent: Agent, number: u64, state: Object, on_value: i64, off_value: i64) -> Outlet {
        Outlet {
            agent,
            number,
            switch_on: (state.clone(), on_value),
            switch_off: (state.clone(), off_value),
            state,
            on_value,
            off_value,
            power_on_delay: Duration::ZERO,
        }
    }

    /// Pauses for `delay` (MAAS's `power_on_delay`) between switching the outlet off
    /// and on again in [`power_on`](Outlet::power_on); none unless given.
    ///
    /// ```
    /// use std::time::Duration;
    /// use maaspd::snmp::{Agent, Object, Outlet, Version};
    /// use maaspd::Secret;
    ///
    /// let pdu = Agent::new("10.0.0.5", "power_address", Version::V1, Secret::new("private"))?;
    /// let state = Object::new("1.3.6.1.4.1.318.1.1.12.3.3.1.1.4")?.index(3);
    /// let outlet = Outlet::new(pdu, 3, state, 1, 2).power_on_delay(Duration::from_secs(5));
    /// # let _ = outlet;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn power_on_delay(mut self, delay: Duration) -> Outlet {
        self.power_on_delay = delay;
        self
    }

    /// Switched by writing `on.1` to `on.0` and `off.1` to `off.0` instead (a PDU whose
    /// commands are objects of their own, as Eaton's).
    ///
    /// ```
    /// use maaspd::snmp::{Agent, Object, Outlet, Version};
    /// use maaspd::Secret;
    ///
    /// let pdu = Agent::new("10.0.0.5", "power_address", Version::V1, Secret::new("private"))?;
    /// let object = |column: u64| Object::new("1.3.6.1.4.1.534.6.6.7.6.6.1").map(|o| o.index(column).index(0).index(3));
    /// let outlet = Outlet::new(pdu, 3, object(2)?, 1, 0).commands((object(4)?, 0), (object(3)?, 0));
    /// # let _ = outlet;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn commands(mut self, on: (Object, i64), off: (Object, i64)) -> Outlet {
        self.switch_on = on;
        self.switch_off = off;
        self
    }
}

/// The outlet as the machine's [`Switch`]: what a PDU driver hands its actions to with
/// `#[power_driver(switch = outlet)]`.
///
/// - `power_query` reads the state object; a value that is neither on nor off is an
///   `actionError`.
/// - `power_on` switches the outlet on as MAAS's PDU drivers do: off first when it is
///   on, then the [`power_on_delay`](Outlet::power_on_delay), then on; the pause ends at
///   the deadline.
/// - `power_off` switches the outlet off.
///
/// ```no_run
/// use std::time::Duration;
/// use maaspd::snmp::{Agent, Object, Outlet, Version};
/// use maaspd::{Action, Context, PowerState, Switch};
///
/// let ctx = Context::new(Action::PowerOn);
/// let pdu = Agent::maas_pdu("10.0.0.5", Version::V1)?;
/// let state = Object::new("1.3.6.1.4.1.318.1.1.12.3.3.1.1.4")?.index(3).setting("node_outlet");
/// let outlet = Outlet::new(pdu, 3, state, 1, 2).power_on_delay(Duration::from_secs(5));
/// if outlet.power_query(&ctx)? == PowerState::Off {
///     outlet.power_on(&ctx)?;
/// }
/// # Ok::<(), maaspd::Error>(())
/// ```
// Not listed in "`Switch` is implemented for" hints: they would vary with the features.
#[diagnostic::do_not_recommend]
impl Switch for Outlet {
    fn power_query(&self, ctx: &Context) -> Result<PowerState> {
        match self.agent.get_integer(ctx, &self.state)? {
            value if value == self.on_value => Ok(PowerState::On),
            value if value == self.off_value => Ok(PowerState::Off),
            other => Err(Error::action(format!(
                "{} reports {other} for outlet {} ({}), neither on ({}) nor off ({})",
                self.agent.peer, self.number, self.state, self.on_value, self.off_value
            ))),
        }
    }

    fn power_on(&self, ctx: &Context) -> Result<()> {
        if self.power_query(ctx)? == PowerState::On {
            self.power_off(ctx)?;
        }
        ctx.sleep(self.power_on_delay)?;
        let (object, value) = &self.switch_on;
        self.agent.set_integer(ctx, object, *value)
    }

    fn power_off(&self, ctx: &Context) -> Result<()> {
        let (object, value) = &self.switch_off;
        self.agent.set_integer(ctx, object, *value)
    }
}
