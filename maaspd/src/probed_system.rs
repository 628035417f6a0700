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
    /// The architecture in MAAS's form, e.g. `amd64/generic` or `arm64/generic`
    /// ([`ProbedSystem::arch_from_kernel`] gives it from a kernel's name, `x86_64`).
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
    /// `driver_parameters` is a JSON object, or any pairs of a name and a value that
    /// converts into JSON (`[("power_id", "vm-1")]`).
    ///
    /// ```
    /// use maaspd::ProbedSystem;
    ///
    /// let system = ProbedSystem::new("vm-1", "52:54:00:00:00:01", "arm64/generic", "virsh", [("power_id", "vm-1")]);
    /// assert_eq!((system.mac.as_str(), system.arch.as_str()), ("52:54:00:00:00:01", "arm64/generic"));
    /// assert_eq!(system.driver_parameters["power_id"], "vm-1");
    /// ```
    pub fn new<K: Into<String>, V: Into<Value>>(
        hostname: impl Into<String>,
        mac: impl Into<String>,
        arch: impl Into<String>,
        driver_name: impl Into<String>,
        driver_parameters: impl IntoIterator<Item = (K, V)>,
    ) -> ProbedSystem {
        ProbedSystem {
            hostname: hostname.into(),
            mac: mac.into(),
            arch: arch.into(),
            driver_name: driver_name.into(),
            driver_parameters: driver_parameters
                .into_iter()
                .map(|(key, value)| (key.into(), value.into()))
                .collect(),
        }
    }

    /// A kernel's name for an architecture (`uname -m`, and libvirt's and QEMU's
    /// `arch`) in MAAS's form: `x86_64` is `amd64/generic`, `aarch64` `arm64/generic`,
    /// `i686` `i386/generic`, `ppc64le` and `ppc64` `ppc64el/generic`, `mips64`
    /// `mips64el/generic`, as MAAS's `kernel_to_debian_architecture` maps them (and its
    /// virsh enlistment `ppc64`); any other name (`s390x`, `riscv64`) is already the
    /// Debian one.
    ///
    /// ```
    /// use maaspd::ProbedSystem;
    ///
    /// assert_eq!(ProbedSystem::arch_from_kernel("x86_64"), "amd64/generic");
    /// assert_eq!(ProbedSystem::arch_from_kernel("aarch64"), "arm64/generic");
    /// assert_eq!(ProbedSystem::arch_from_kernel("s390x"), "s390x/generic");
    /// ```
    pub fn arch_from_kernel(name: &str) -> String {
        let debian = match name {
            "i686" => "i386",
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "ppc64le" | "ppc64" => "ppc64el",
            "mips64" => "mips64el",
            other => other,
        };
        format!("{debian}/generic")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use super::ProbedSystem;

    #[test]
    fn kernel_architectures_in_maas_form() {
        for (kernel, maas) in [
            ("i686", "i386/generic"),
            ("x86_64", "amd64/generic"),
            ("aarch64", "arm64/generic"),
            ("ppc64le", "ppc64el/generic"),
            ("ppc64", "ppc64el/generic"),
            ("mips64", "mips64el/generic"),
            ("s390x", "s390x/generic"),
            ("riscv64", "riscv64/generic"),
            ("mips", "mips/generic"),
        ] {
            assert_eq!(ProbedSystem::arch_from_kernel(kernel), maas, "{kernel}");
        }
    }

    #[test]
    fn parameters_from_an_object_or_pairs() {
        let object = json!({"power_id": "vm-1", "slot": 3});
        let object: Map<String, Value> = object.as_object().cloned().unwrap();
        let from_object = ProbedSystem::new("vm-1", "m", "amd64/generic", "d", object.clone());
        assert_eq!(from_object.driver_parameters, object);
        let pairs = [("power_id", json!("vm-1")), ("slot", json!(3))];
        let from_pairs = ProbedSystem::new("vm-1", "m", "amd64/generic", "d", pairs);
        assert_eq!(from_pairs, from_object);
        let none = ProbedSystem::new("vm-1", "m", "amd64/generic", "d", Map::new());
        assert!(none.driver_parameters.is_empty());
    }
}
