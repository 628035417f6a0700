// `switch` on a driver that defines all three actions: nothing is left to hand over.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Rack {}

#[maaspd::power_driver(description = "A rack", switch = relay)]
impl Rack {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
