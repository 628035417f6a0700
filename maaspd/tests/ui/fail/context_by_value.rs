// The context taken by value.
use maaspd::{BootDevice, Context, PowerState, Result};

#[maaspd::parameters]
struct Driver {}

#[maaspd::power_driver(description = "Test power driver", boot_order = true)]
impl Driver {
    fn power_on(&self, ctx: Context) -> Result<()> { drop(ctx); Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
    fn set_boot_order(&self, devices: &[BootDevice]) -> Result<()> { drop(devices); Ok(()) }
}
