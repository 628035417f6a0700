//! The answer to `power_query`.

use serde::{Deserialize, Serialize};

/// A machine's power state, as `power_query` reports it.
///
/// Serialised as `"on"`, `"off"` or `"unknown"`.
///
/// ```
/// use maaspd::PowerState;
///
/// assert_eq!(PowerState::from(true), PowerState::On);
/// assert_eq!(PowerState::Unknown.as_str(), "unknown");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PowerState {
    /// The machine is powered on.
    On,
    /// The machine is powered off.
    Off,
    /// The BMC answered, but its answer means neither on nor off.
    Unknown,
}

impl PowerState {
    /// The state as it appears in the JSON document.
    ///
    /// ```
    /// assert_eq!(maaspd::PowerState::On.as_str(), "on");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            PowerState::On => "on",
            PowerState::Off => "off",
            PowerState::Unknown => "unknown",
        }
    }
}

/// `true` is on, `false` is off: the seed wrapper's `power_query() -> bool`.
impl From<bool> for PowerState {
    fn from(on: bool) -> Self {
        if on { PowerState::On } else { PowerState::Off }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_lowercase_names() {
        for state in [PowerState::On, PowerState::Off, PowerState::Unknown] {
            assert_eq!(serde_json::to_value(state).unwrap(), state.as_str());
        }
    }
}
