// `new` borrows its parameters: the runtime gives them by value, once.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Settings {}

struct Driver {}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {
    fn new(settings: &Settings) -> Result<Self> { let Settings {} = settings; Ok(Driver {}) }
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
