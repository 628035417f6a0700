// A driver name MAAS could not use as a name (or a socket file name).
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Driver {
    
}

#[maaspd::power_driver(description = "Test power driver", name = "Red Fish")]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
