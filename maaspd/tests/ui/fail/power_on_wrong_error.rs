// `power_on` returning `Result<(), String>`: rustc's mismatch points at the return type.
use maaspd::PowerState;

#[maaspd::parameters]
struct Driver {}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {
    fn power_on(&self) -> Result<(), String> { Ok(()) }
    fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
    fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::Off) }
}
