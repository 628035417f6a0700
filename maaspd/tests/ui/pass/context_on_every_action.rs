// Every action taking the call's context, by its full path or imported; the runtime
// passes it, and checks what it says.
use std::time::Duration;

use maaspd::serde_json::json;
use maaspd::{Action, BootDevice, Context, PowerState, ProbedSystem, Result, testing};

#[maaspd::parameters]
struct Chassis {}

fn seen(ctx: &Context) -> Result<()> {
    match (ctx.system_id(), ctx.time_left()) {
        (Some("node-1"), Some(left)) if left <= Duration::from_secs(30) => Ok(()),
        other => Err(maaspd::Error::fatal(format!("{} saw {other:?}", ctx.action()))),
    }
}

#[maaspd::power_driver(
    description = "Chassis power driver",
    probe = true,
    boot_order = true,
    confirm = false,
    main = false
)]
impl Chassis {
    fn power_on(&self, ctx: &maaspd::Context) -> Result<()> {
        seen(ctx)
    }

    fn power_off(&self, ctx: &Context) -> Result<()> {
        seen(ctx)
    }

    fn power_query(&self, ctx: &Context) -> Result<PowerState> {
        seen(ctx).map(|()| PowerState::Off)
    }

    fn probe(&self, ctx: &Context) -> Result<Vec<ProbedSystem>> {
        seen(ctx).map(|()| Vec::new())
    }

    fn set_boot_order(&self, ctx: &Context, devices: &[BootDevice]) -> Result<()> {
        assert_eq!(devices, [BootDevice::AnyStorage]);
        seen(ctx)
    }

    fn power_reset(&self, ctx: &Context) -> Result<()> {
        seen(ctx)
    }
}

fn main() {
    let input = json!({"driverParameters": {"system_id": "node-1"}, "devices": ["disk"]});
    for action in Action::ALL {
        let response = testing::run_with_deadline::<Chassis>(action, input.clone(), Duration::from_secs(30));
        assert!(response.error().is_none(), "{action}: {:?}", response.error());
    }
}
