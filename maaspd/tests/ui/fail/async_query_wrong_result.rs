// An async `power_query` returning `maaspd::Result<bool>`: the mismatch points at the return type.
use maaspd::Result;

#[maaspd::parameters]
struct Driver {}

#[maaspd::power_driver(description = "Test power driver")]
impl Driver {
    fn power_on(&self) -> Result<()> { Ok(()) }
    fn power_off(&self) -> Result<()> { Ok(()) }
    async fn power_query(&self) -> maaspd::Result<bool> { Ok(false) }
}
