// `main = "no"` is rejected; the author's own `main` must not clash with a placeholder.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Driver {}

#[maaspd::power_driver(description = "Test power driver", main = "no")]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}

fn main() -> std::process::ExitCode {
    maaspd::cli::main::<Driver>()
}
