// `switch` naming a field the driver does not have: reported at the name.
use maaspd::{Result, Switch};

#[maaspd::parameters]
struct Settings {}

struct Rack {
    outlet: Box<dyn Switch>,
}

#[maaspd::power_driver(description = "A rack", switch = outlt)]
impl Rack {
    fn new(_: Settings) -> Result<Self> {
        unimplemented!()
    }
}
