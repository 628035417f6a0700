// An empty impl block: the three required actions are named in one error.
#[maaspd::parameters]
struct Driver {}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {}
