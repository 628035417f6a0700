// On `fn main` (as with `#[tokio::main]`) instead of the driver's impl block.
#[maaspd::power_driver(description = "Test power driver")]
fn main() {}
