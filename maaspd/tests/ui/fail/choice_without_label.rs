// A choice enum variant without a doc comment: MAAS would show the value as its label.
use maaspd::{PowerState, Result};

/// How the machine is switched off.
#[maaspd::parameters]
#[serde(rename_all = "lowercase")]
enum OffMode {
    /// Soft power off
    Soft,
    Hard,
}

#[maaspd::parameters]
struct Driver {
    /// Power off mode
    power_off_mode: OffMode,
}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
