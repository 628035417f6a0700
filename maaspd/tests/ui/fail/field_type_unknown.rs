// `#[maaspd(field_type = ...)]` with a type MAAS does not know.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Driver {
    #[maaspd(field_type = "url")]
    power_address: String,
}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
