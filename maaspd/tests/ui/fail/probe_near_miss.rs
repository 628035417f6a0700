// `fn probes` with `probe = true` suggests `probe`, and `fn probe` is not also reported missing.
use maaspd::{PowerState, ProbedSystem, Result};

#[maaspd::parameters]
struct Driver {}

#[maaspd::power_driver(description = "Test power driver", probe = true)]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
    fn probes(&self) -> Result<Vec<ProbedSystem>> { Ok(vec![]) }
}
