// `set_boot_order` taking a slice of the wrong element type: rustc reports it at the argument type.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Driver {}

#[maaspd::power_driver(description = "Test power driver", boot_order = true)]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
    fn set_boot_order(&self, devices: &[String]) -> Result<()> { let _ = devices; Ok(()) }
}
