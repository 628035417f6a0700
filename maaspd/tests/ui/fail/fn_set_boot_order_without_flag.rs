// `fn set_boot_order` but no `boot_order = true`.
use maaspd::{BootDevice, PowerState, Result};

#[maaspd::parameters]
struct Driver {}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
    fn set_boot_order(&self, _devices: &[BootDevice]) -> Result<()> { Ok(()) }
}
