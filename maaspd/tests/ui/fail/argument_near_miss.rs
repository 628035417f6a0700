// A misspelt key: `descripton` suggests `description`.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Driver {}

#[maaspd::power_driver(descripton = "Test power driver")]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
