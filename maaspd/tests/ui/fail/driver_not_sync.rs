// A driver holding a `Cell`: `serve` shares a driver between threads, so it must be `Sync`.
use std::cell::Cell;

use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Settings {}

struct Driver {
    calls: Cell<u32>,
}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {
    fn new(settings: Settings) -> Result<Self> { let _ = settings; Ok(Driver { calls: Cell::new(0) }) }
    fn power_on(&self) -> Result<()> { self.calls.set(self.calls.get() + 1); Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
