// `new` without the parameters argument.
use maaspd::{PowerState, Result};

struct Driver {}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {
    fn new() -> Result<Self> { Ok(Driver {}) }
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
