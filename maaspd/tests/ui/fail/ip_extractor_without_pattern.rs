// `ip_extractor` needs both its field and its pattern.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Driver {
    power_address: String,
}

#[maaspd::power_driver(description = "Test power driver", ip_extractor(field_name = "power_address"))]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
