// `main = false`: no `main` is generated, the author's own `main` drives the command line.
use std::process::ExitCode;

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

fn main() -> ExitCode {
    // What a real driver writes; not called, as trybuild gives the binary no subcommand.
    let _real_main: fn() -> ExitCode = || maaspd::cli::main::<Quiet>();
    let mut stdin = br#"{"driverParameters": {}}"#.as_slice();
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let args = ["quiet", "power_query"];
    ExitCode::from(maaspd::cli::run::<Quiet>(args, &mut stdin, &mut stdout, &mut stderr))
}
