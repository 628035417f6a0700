//! The power actions of the one-shot protocol.

use std::fmt;
use std::str::FromStr;

/// A power action MAAS asks a driver for; its name is the CLI subcommand and the
/// document's `action_type`.
///
/// ```
/// use maaspd::Action;
///
/// let action: Action = "power_query".parse().unwrap();
/// assert_eq!(action, Action::PowerQuery);
/// assert_eq!(action.name(), "power_query");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Switch the machine on.
    PowerOn,
    /// Switch the machine off.
    PowerOff,
    /// Report the machine's power state.
    PowerQuery,
    /// Switch the machine off if it is on, then on.
    PowerCycle,
    /// Reset the machine: the driver's own reset, else a power cycle.
    PowerReset,
    /// List the machines behind a chassis BMC (only drivers declared with `probe = true`).
    Probe,
    /// Set the boot order (only drivers declared with `boot_order = true`).
    SetBootOrder,
}

impl Action {
    /// Every action, in the order the CLI lists them.
    ///
    /// ```
    /// assert_eq!(maaspd::Action::ALL[0], maaspd::Action::PowerOn);
    /// ```
    pub const ALL: [Action; 7] = [
        Action::PowerOn,
        Action::PowerOff,
        Action::PowerQuery,
        Action::PowerCycle,
        Action::PowerReset,
        Action::Probe,
        Action::SetBootOrder,
    ];

    /// The protocol's name of the action.
    ///
    /// ```
    /// assert_eq!(maaspd::Action::SetBootOrder.name(), "set_boot_order");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Action::PowerOn => "power_on",
            Action::PowerOff => "power_off",
            Action::PowerQuery => "power_query",
            Action::PowerCycle => "power_cycle",
            Action::PowerReset => "power_reset",
            Action::Probe => "probe",
            Action::SetBootOrder => "set_boot_order",
        }
    }

    /// One line for `--help`.
    pub(crate) const fn summary(self) -> &'static str {
        match self {
            Action::PowerOn => "Send power on command to the machine",
            Action::PowerOff => "Send power off command to the machine",
            Action::PowerQuery => "Query machine power state",
            Action::PowerCycle => "Switch the machine off if it is on, then on",
            Action::PowerReset => {
                "Reset the machine (a power cycle unless the driver has its own reset)"
            }
            Action::Probe => "Probe chassis for a list of controlled machines",
            Action::SetBootOrder => "Reorder boot sources",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name is not one of the protocol's actions.
///
/// ```
/// assert!("reboot".parse::<maaspd::Action>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownAction(String);

impl UnknownAction {
    /// The name that is not an action.
    ///
    /// ```
    /// let error = "reboot".parse::<maaspd::Action>().unwrap_err();
    /// assert_eq!(error.name(), "reboot");
    /// ```
    pub fn name(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnknownAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown action `{}`", self.0)
    }
}

impl std::error::Error for UnknownAction {}

impl FromStr for Action {
    type Err = UnknownAction;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Action::ALL
            .into_iter()
            .find(|action| action.name() == name)
            .ok_or_else(|| UnknownAction(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for action in Action::ALL {
            assert_eq!(action.name().parse::<Action>().unwrap(), action);
        }
    }
}
