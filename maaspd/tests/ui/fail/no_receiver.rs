// An action without a receiver.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Driver {}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query() -> Result<PowerState> { Ok(PowerState::Off) }
}
