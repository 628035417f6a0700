// On the driver struct instead of its impl block.
#[maaspd::power_driver(description = "Test power driver")]
struct Driver {}
