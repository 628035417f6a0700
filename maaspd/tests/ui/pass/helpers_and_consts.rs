// Helper methods, associated functions and consts in the block are left alone.
use std::sync::atomic::{AtomicU32, Ordering};

use maaspd::{Action, PowerState, Result};

#[maaspd::parameters]
struct Helped {
    #[serde(skip)]
    calls: AtomicU32,
}

#[maaspd::power_driver(description = "Helped power driver", main = false)]
impl Helped {
    const PORT: u16 = 623;

    fn client(&self) -> String {
        self.calls.fetch_add(1, Ordering::Relaxed);
        format!("bmc:{}", Self::PORT)
    }

    fn run(&mut self, command: &str) -> bool {
        !command.is_empty()
    }

    fn power_state_of(reply: &str) -> PowerState {
        if reply == "on" { PowerState::On } else { PowerState::Off }
    }

    fn power_on(&self) -> Result<()> {
        let _ = self.client();
        Ok(())
    }

    fn power_off(&self) -> Result<()> {
        Ok(())
    }

    fn power_query(&self) -> Result<PowerState> {
        Ok(Self::power_state_of(&self.client()))
    }
}

fn main() {
    let mut helped = Helped { calls: AtomicU32::new(0) };
    assert!(helped.run("status"));
    let input = maaspd::serde_json::json!({"driverParameters": {}});
    let response = maaspd::testing::run::<Helped>(Action::PowerQuery, input);
    assert_eq!(response.power_state(), Some(PowerState::Off));
}
