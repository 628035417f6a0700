// `#[maaspd(...)]` on a field with a key it does not take.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Driver {
    #[maaspd(label = "Address")]
    power_address: String,
}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
