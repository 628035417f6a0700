// The smallest driver: the struct is its own (empty) parameters.
// (trybuild runs pass cases without arguments, so `main` is hand-written: see own_main_without_main_false.rs.)
use maaspd::{Action, PowerState, Result, testing};

#[maaspd::parameters]
struct Minimal {}

#[maaspd::power_driver(description = "Minimal power driver", main = false)]
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

fn main() {
    let input = maaspd::serde_json::json!({"driverParameters": {}});
    let response = testing::run::<Minimal>(Action::PowerQuery, input);
    assert_eq!(response.power_state(), Some(PowerState::Off));
}
