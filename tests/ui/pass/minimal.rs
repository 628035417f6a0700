// The smallest driver: the struct is its own (empty) parameters, `main` is generated.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Minimal {}

#[maaspd::power_driver(description = "Minimal power driver")]
impl Minimal {
    fn power_on(&self) -> Result<()> {
        Ok(())
    }

    fn power_off(&self) -> Result<()> {
        Ok(())
    }

    fn power_query(&self) -> Result<PowerState> {
        Ok(PowerState::Off)
    }
}
