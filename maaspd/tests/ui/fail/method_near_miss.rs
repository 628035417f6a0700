// `power_onn` suggests `power_on`, and `power_on` is not also reported missing.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Driver {}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {
    fn power_onn(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
