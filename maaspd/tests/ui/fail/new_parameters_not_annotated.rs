// The argument of `new` is not annotated `#[maaspd::parameters]`.
use maaspd::{PowerState, Result};

struct Settings {}

struct Driver {}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {
    fn new(settings: Settings) -> Result<Self> { let Settings {} = settings; Ok(Driver {}) }
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
