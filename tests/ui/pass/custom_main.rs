// `main = false`: no `main` is generated, the author calls `maaspd::cli::main` itself.
use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Quiet {}

#[maaspd::power_driver(description = "Quiet power driver", main = false)]
impl Quiet {
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

fn main() -> std::process::ExitCode {
    maaspd::cli::main::<Quiet>()
}
