//! The seed wrapper's "Concrete Abstract power driver", written with maaspd: it has no
//! settings, switches nothing and reports the machine off.
//!
//! ```text
//! cargo run --example abstract -- schema
//! echo '{"driverParameters": {}}' | cargo run --example abstract -- power_query
//! ```

use maaspd::{PowerState, Result};

/// A power driver that drives nothing.
#[maaspd::parameters]
struct Abstract {}

// It switches nothing, so the machine it reports never comes on: a change it cannot
// confirm is taken as done, as the seed wrapper takes it.
#[maaspd::power_driver(description = "Concrete Abstract power driver", confirm = false)]
impl Abstract {
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
