// `set_boot_order` taking `Vec<BootDevice>` instead of `&[BootDevice]`.
use maaspd::{BootDevice, PowerState, Result};

#[maaspd::parameters]
struct Driver {}

#[maaspd::power_driver(description = "Test power driver", boot_order = true)]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
    fn set_boot_order(&self, devices: Vec<BootDevice>) -> Result<()> { drop(devices); Ok(()) }
}
