// `crate = "..."`: maaspd reached through a re-export, as a crate that wraps it would.
// Nothing in the generated code names `::maaspd` then.
mod sdk {
    pub use maaspd as inner;
}

use sdk::inner::{PowerState, Result};

#[sdk::inner::parameters(crate = "crate::sdk::inner")]
struct Settings {
    /// Address
    address: String,
}

struct Wrapped {
    address: String,
}

#[sdk::inner::power_driver(crate = "crate::sdk::inner", description = "Wrapped", main = false)]
impl Wrapped {
    fn new(settings: Settings) -> Result<Self> {
        Ok(Wrapped { address: settings.address })
    }

    fn power_on(&self) -> Result<()> {
        Ok(())
    }

    fn power_off(&self) -> Result<()> {
        Ok(())
    }

    fn power_query(&self) -> Result<PowerState> {
        Ok(if self.address.is_empty() { PowerState::Off } else { PowerState::On })
    }
}

fn main() {
    let response = sdk::inner::testing::run::<Wrapped>(
        sdk::inner::Action::PowerQuery,
        sdk::inner::serde_json::json!({"driverParameters": {"address": "10.0.0.5"}}),
    );
    assert!(response.error().is_none());
}
