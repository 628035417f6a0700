// `async fn new` returning `Result<Self, String>`: rustc's mismatch points at the return type.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Settings {}

struct Driver {}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {
    async fn new(settings: Settings) -> std::result::Result<Self, String> { let _ = settings; Ok(Driver {}) }
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
