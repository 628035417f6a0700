// A choice whose label is its value: MAAS's choice schema wants two different strings.
use maaspd::{PowerState, Result};

/// The IPMI version.
#[maaspd::parameters]
enum IpmiVersion {
    /// LAN
    #[serde(rename = "LAN")]
    Lan,
    /// LAN_2_0 [IPMI 2.0]
    #[serde(rename = "LAN_2_0")]
    Lan20,
}

#[maaspd::parameters]
struct Driver {
    /// Power driver
    power_driver: IpmiVersion,
}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
