// `max_per_bmc = 0`: no action could ever run.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Driver {
    /// The BMC's address.
    power_address: String,
}

#[maaspd::power_driver(description = "Test power driver", bmc_key = "power_address", max_per_bmc = 0)]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
