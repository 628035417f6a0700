// `switch` naming a field that is not a `maaspd::Switch`: reported at the name.
use maaspd::Result;

#[maaspd::parameters]
struct Settings {}

struct Rack {
    outlet: u8,
}

#[maaspd::power_driver(description = "A rack", switch = outlet)]
impl Rack {
    fn new(_: Settings) -> Result<Self> {
        Ok(Rack { outlet: 3 })
    }
}
