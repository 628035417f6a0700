// `#[maaspd::parameters]` takes no arguments.
use maaspd::{PowerState, Result};

#[maaspd::parameters(deny_unknown_fields)]
struct Driver {}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
