// A generic `new`: the plain-fn checks apply to the constructor too.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Settings {}

struct Driver {}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {
    fn new<P: Into<Settings>>(settings: P) -> Result<Self> { let _ = settings.into(); Ok(Driver {}) }
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
