// Several different mistakes in one block are all reported at once.
use maaspd::Result;

#[maaspd::parameters]
struct Driver {}

#[maaspd::power_driver(descripton = "Test power driver", boot_order = true, colour = 1)]
impl Driver {
    fn power_onn(&self) -> Result<()> { Ok(()) }
    async fn power_off(&mut self) -> Result<()> { Ok(()) }
    fn power_query(&self, verbose: bool) -> bool { verbose }
    fn new(&self) -> Self { Driver {} }
}
