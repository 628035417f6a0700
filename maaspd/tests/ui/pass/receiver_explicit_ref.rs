// `self: &Self`, the long form of `&self`, is accepted.
use maaspd::{Action, PowerState, Result, testing};
use maaspd::serde_json::json;

#[maaspd::parameters]
struct Driver {}

#[maaspd::power_driver(description = "Test power driver", main = false)]
impl Driver {
    #[allow(clippy::needless_arbitrary_self_type)]
    fn power_on(self: &Self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    fn power_query(&self) -> Result<PowerState> { Ok(PowerState::On) }
}

fn main() {
    let response = testing::run::<Driver>(Action::PowerOn, json!({"driverParameters": {}}));
    assert!(response.error().is_none());
}
