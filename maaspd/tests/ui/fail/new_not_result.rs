// `new` returning `Self` instead of `maaspd::Result<Self>`.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Settings {}

struct Driver {}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {
    fn new(settings: Settings) -> Self { let _ = settings; Driver {} }
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
