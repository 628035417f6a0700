// With `main = false` and the author's own `main`, a mistake is reported alone.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Driver {}

#[maaspd::power_driver(description = "Test power driver", main = false)]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}

fn main() -> std::process::ExitCode {
    maaspd::cli::main::<Driver>()
}
