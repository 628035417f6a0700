// On a trait impl instead of the driver's inherent impl.
use maaspd::{PowerState, Result};

trait Switch {
    fn power_on(&self) -> Result<()>;
    fn power_off(&self) -> Result<()>;
    fn power_query(&self) -> Result<PowerState>;
}

#[maaspd::parameters]
struct Driver {}

#[maaspd::power_driver(description = "Test power driver")]
impl Switch for Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
