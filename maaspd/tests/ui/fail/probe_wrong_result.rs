// `probe` returning `Result<Vec<String>>`: rustc's mismatch points at the return type.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Driver {}

#[maaspd::power_driver(description = "Test power driver", probe = true)]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
    fn probe(&self) -> Result<Vec<String>> { Ok(vec![]) }
}
