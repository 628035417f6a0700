// `new` with a second argument besides the parameters.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Settings {}

struct Driver {}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {
    fn new(settings: Settings, retries: u32) -> Result<Self> { let _ = (settings, retries); Ok(Driver {}) }
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
