// `switch` given a string or an expression instead of a field.
use maaspd::{Result, Switch};

#[maaspd::parameters]
struct Settings {}

struct Rack(Box<dyn Switch>);

#[maaspd::power_driver(description = "A rack", switch = "0")]
impl Rack {
    fn new(_: Settings) -> Result<Self> {
        unimplemented!()
    }
}
