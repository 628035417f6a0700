// A driver offering the optional `probe` and `set_boot_order` actions.
use maaspd::{BootDevice, PowerState, ProbedSystem, Result};

#[maaspd::parameters]
struct Chassis {}

#[maaspd::power_driver(description = "Chassis power driver", probe = true, boot_order = true)]
impl Chassis {
    fn power_on(&self) -> Result<()> {
        Ok(())
    }

    fn power_off(&self) -> Result<()> {
        Ok(())
    }

    fn power_query(&self) -> Result<PowerState> {
        Ok(PowerState::Off)
    }

    fn probe(&self) -> Result<Vec<ProbedSystem>> {
        Ok(Vec::new())
    }

    fn set_boot_order(&self, devices: &[BootDevice]) -> Result<()> {
        let _first = devices.first();
        Ok(())
    }
}

const _: () = {
    use maaspd::PowerDriver;
    assert!(Chassis::PROBE.is_some() && Chassis::SET_BOOT_ORDER.is_some());
};
