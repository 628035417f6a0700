// An action without a return type.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Driver {}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) {}
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
