// `bmc_key` naming a setting the parameters do not have: reported at the string.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Driver {
    /// The BMC's address.
    power_address: String,
}

#[maaspd::power_driver(description = "Test power driver", bmc_key = "power_adress")]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
