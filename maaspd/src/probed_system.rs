//! One machine found by `probe`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A machine a chassis driver found behind its BMC, for MAAS to enlist.
///
/// ```
/// use maaspd::ProbedSystem;
/// use maaspd::serde_json::json;
///
/// let system = ProbedSystem {
///     hostname: "node-1".into(),
///     mac: "52:54:00:12:34:56".into(),
///     arch: "amd64/generic".into(),
///     driver_name: "virsh".into(),
///     driver_parameters: json!({"power_id": "node-1"}).as_object().cloned().unwrap(),
/// };
/// assert_eq!(system.hostname, "node-1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
