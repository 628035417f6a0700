//! One machine found by `probe`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A machine a chassis driver found behind its BMC, for MAAS to enlist.
///
/// ```
/// use maaspd::ProbedSystem;
/// use maaspd::serde_json::json;
///
/// let parameters = json!({"power_id": "node-1"}).as_object().cloned().unwrap();
/// let system = ProbedSystem::new("node-1", "52:54:00:12:34:56", "amd64/generic", "virsh", parameters);
/// assert_eq!(system.hostname, "node-1");
/// ```
///
/// Non-exhaustive: MAAS may come to want more of a machine; build one with
/// [`ProbedSystem::new`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProbedSystem {
    /// The machine's name as the BMC knows it.
    pub hostname: String,
    /// The MAC address MAAS boots the machine from.
    pub mac: String,
    /// The architecture in MAAS's form, e.g. `amd64/generic` or `arm64/generic`.
    pub arch: String,
    /// The power driver MAAS should use for the machine.
    pub driver_name: String,
    /// The power parameters that driver needs for this machine.
    pub driver_parameters: Map<String, Value>,
}

impl ProbedSystem {
    /// A machine named `hostname`, booting from `mac`, of architecture `arch` (MAAS's
    /// form, `amd64/generic`), for MAAS to drive with `driver_name` and
    /// `driver_parameters`.
    ///
    /// ```
    /// let system = maaspd::ProbedSystem::new("vm-1", "52:54:00:00:00:01", "arm64/generic", "virsh", Default::default());
    /// assert_eq!((system.mac.as_str(), system.arch.as_str()), ("52:54:00:00:00:01", "arm64/generic"));
    /// ```
    pub fn new(
        hostname: impl Into<String>,
        mac: impl Into<String>,
        arch: impl Into<String>,
        driver_name: impl Into<String>,
        driver_parameters: Map<String, Value>,
    ) -> ProbedSystem {
        ProbedSystem {
            hostname: hostname.into(),
            mac: mac.into(),
            arch: arch.into(),
            driver_name: driver_name.into(),
            driver_parameters,
        }
    }
}
