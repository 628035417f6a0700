// `switch = field`: the actions the block does not define are the field's `Switch`;
// one the block defines (here `power_query`) is the block's own.
use std::sync::Mutex;

use maaspd::serde_json::json;
use maaspd::{Action, Context, Error, PowerState, Result, Switch, testing};

/// A relay that remembers what it was told, and refuses to be asked.
struct Relay(Mutex<Vec<&'static str>>);

impl Switch for Relay {
    fn power_on(&self, _: &Context) -> Result<()> {
        self.0.lock().unwrap().push("on");
        Ok(())
    }
    fn power_off(&self, _: &Context) -> Result<()> {
        self.0.lock().unwrap().push("off");
        Ok(())
    }
    fn power_query(&self, _: &Context) -> Result<PowerState> {
        Err(Error::fatal("the relay cannot be asked"))
    }
}

#[maaspd::parameters]
struct Settings {}

struct Rack {
    relay: Relay,
}

#[maaspd::power_driver(description = "A relay", switch = relay, main = false)]
impl Rack {
    fn new(_: Settings) -> Result<Self> {
        Ok(Rack { relay: Relay(Mutex::new(Vec::new())) })
    }

    // The block's own query: whatever the relay was last told.
    fn power_query(&self) -> Result<PowerState> {
        match self.relay.0.lock().unwrap().last() {
            Some(&"on") => Ok(PowerState::On),
            _ => Ok(PowerState::Off),
        }
    }
}

/// The same through a tuple struct's field.
struct Bare(Relay);

#[maaspd::power_driver(description = "A bare relay", switch = 0, main = false)]
impl Bare {
    fn new(_: Settings) -> Result<Self> {
        Ok(Bare(Relay(Mutex::new(Vec::new()))))
    }
}

fn main() {
    let input = || json!({"driverParameters": {}});
    let response = testing::run::<Rack>(Action::PowerOn, input());
    assert!(response.error().is_none(), "{:?}", response.error());
    assert_eq!(testing::run::<Rack>(Action::PowerQuery, input()).power_state(), Some(PowerState::Off));
    let response = testing::run::<Rack>(Action::PowerReset, input());
    assert!(response.error().is_none(), "{:?}", response.error());

    let response = testing::run::<Bare>(Action::PowerQuery, input());
    assert_eq!(response.error().unwrap().message(), "the relay cannot be asked");
    let response = testing::run::<Bare>(Action::PowerOff, input());
    assert_eq!(response.error().unwrap().message(), "the relay cannot be asked");
}
