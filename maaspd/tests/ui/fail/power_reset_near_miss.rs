// `power_rest` suggests `power_reset`.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Driver {
    
}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
    fn power_rest(&self) -> Result<()> { Ok(()) }
}
