// An async action whose future is not `Send` (an `Rc` held across an `.await`): `serve`
// moves it between threads; the compiler's error points at the author's method.
use std::rc::Rc;

use maaspd::{PowerState, Result};

#[maaspd::parameters]
struct Driver {}

async fn bmc_call() {}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    async fn power_query(&self) -> Result<PowerState> {
        let state = Rc::new(PowerState::Off);
        bmc_call().await;
        Ok(*state)
    }
}
