// On a generic impl: a driver executable has one concrete type.
use std::marker::PhantomData;

use maaspd::{PowerState, Result};

struct Driver<T>(PhantomData<T>);

#[maaspd::power_driver(description = "Test power driver")]
impl<T> Driver<T> {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::Off) }
}
