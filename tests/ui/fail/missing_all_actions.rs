// An empty impl block: each of the three required actions is reported.
#[maaspd::parameters]
struct Driver {}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {}
