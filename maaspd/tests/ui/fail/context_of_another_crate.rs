// A `Context` that is not maaspd's: the compiler's mismatch, at the author's type.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Driver {}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {
    fn power_on(&self, ctx: &std::task::Context<'_>) -> Result<()> { let _ = ctx; Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
