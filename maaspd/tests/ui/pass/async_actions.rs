// Async and blocking actions mixed, an async `new`, the context in either: run in-process.
use std::time::Duration;

use maaspd::serde_json::json;
use maaspd::{Action, Context, PowerState, Result, testing};

#[maaspd::parameters]
struct Settings {
    /// The BMC's address.
    address: String,
}

struct Driver {
    address: String,
}

#[maaspd::power_driver(description = "Test power driver", probe = true, main = false)]
impl Driver {
    async fn new(settings: Settings) -> Result<Self> {
        Ok(Driver { address: settings.address })
    }

    async fn power_on(&self, ctx: &Context) -> Result<()> {
        ctx.check()
    }

    fn power_off(&self) -> Result<()> {
        Ok(())
    }

    async fn power_query(&self) -> Result<PowerState> {
        Ok(if self.address.is_empty() { PowerState::Off } else { PowerState::On })
    }

    async fn probe(&self, ctx: &Context) -> Result<Vec<maaspd::ProbedSystem>> {
        ctx.check()?;
        Ok(Vec::new())
    }
}

fn main() {
    let input = json!({"driverParameters": {"address": "10.0.0.1"}});
    let response = testing::run::<Driver>(Action::PowerQuery, input.clone());
    assert_eq!(response.power_state(), Some(PowerState::On));
    let response = testing::run_with_deadline::<Driver>(Action::PowerOn, input.clone(), Duration::from_secs(5));
    assert!(response.error().is_none());
    let response = testing::run::<Driver>(Action::Probe, input);
    assert!(response.error().is_none());
}
