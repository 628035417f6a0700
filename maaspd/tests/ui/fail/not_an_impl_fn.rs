// On a function instead of the driver's impl block.
use maaspd::Result;

#[maaspd::power_driver(description = "Test power driver")]
fn power_on() -> Result<()> {
    Ok(())
}
