// A flag given a string instead of `true` / `false`.
use maaspd::{PowerState, ProbedSystem, Result};

#[maaspd::parameters]
struct Driver {}

#[maaspd::power_driver(description = "Test power driver", probe = "yes")]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
    fn probe(&self) -> Result<Vec<ProbedSystem>> { Ok(vec![]) }
}
