// The return types may be written `maaspd::Result<T>` or `Result<T, maaspd::Error>`.
use maaspd::PowerState;

#[maaspd::parameters]
struct Spelled {}

#[maaspd::power_driver(description = "Spelled-out power driver", probe = true, main = false)]
impl Spelled {
    fn power_on(&self) -> maaspd::Result<()> {
        Ok(())
    }

    fn power_off(&self) -> Result<(), maaspd::Error> {
        Ok(())
    }

    fn power_query(&self) -> std::result::Result<PowerState, maaspd::Error> {
        Ok(PowerState::Unknown)
    }

    fn probe(&self) -> core::result::Result<Vec<maaspd::ProbedSystem>, maaspd::Error> {
        Ok(vec![])
    }
}

fn main() {
    let input = maaspd::serde_json::json!({"driverParameters": {}});
    let response = maaspd::testing::run::<Spelled>(maaspd::Action::PowerQuery, input);
    assert_eq!(response.power_state(), Some(PowerState::Unknown));
}
