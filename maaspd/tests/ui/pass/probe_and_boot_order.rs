// A driver offering the optional `probe` and `set_boot_order` actions.
use maaspd::{Action, BootDevice, PowerDriver, PowerState, ProbedSystem, Result};

#[maaspd::parameters]
struct Chassis {}

#[maaspd::power_driver(
    description = "Chassis power driver",
    probe = true,
    boot_order = true,
    main = false
)]
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

fn main() {
    assert!(Chassis::supports(Action::Probe));
    assert!(Chassis::supports(Action::SetBootOrder));
    let input = maaspd::serde_json::json!({"driverParameters": {}});
    let response = maaspd::testing::run::<Chassis>(Action::Probe, input);
    assert_eq!(response.probed_systems(), Some(&[][..]));
}
