//! Running one action of a driver on one input document: the core that the CLI, the
//! service and `testing` share. The action is a sequence of the driver's calls (build
//! the driver, then query, switch, confirm); a [`Runner`] runs each call where it
//! belongs.

mod power;
pub(crate) mod runner;

use std::sync::Arc;

use serde_json::Value;

use crate::form_values::setting_types_of;
use crate::input::Input;
use crate::response::{Data, Response};
use crate::{Action, Context, Error, PowerDriver, Result};
use power::Power;
use runner::{Inline, Runner};

/// Runs `context`'s action on the driver, on this thread (futures on the CLI's
/// runtime); `load` supplies the input document and is called only once the driver is
/// known to offer the action.
pub(crate) fn execute<D: PowerDriver>(
    context: Context,
    load: impl FnOnce() -> Result<Value>,
) -> Response {
    pollster::block_on(execute_on::<D, _>(&Inline, context, load))
}

/// Runs `context`'s action on the driver with `runner`. The context learns the machine
/// from the input, and is the one the driver's methods receive.
pub(crate) async fn execute_on<D: PowerDriver, R: Runner>(
    runner: &R,
    context: Context,
    load: impl FnOnce() -> Result<Value>,
) -> Response {
    let action = context.action();
    let mut warnings = Vec::new();
    let outcome = if D::supports(action) {
        match load() {
            Ok(document) => perform::<D, R>(runner, context, document, &mut warnings).await,
            Err(error) => Err(error),
        }
    } else {
        Err(unsupported(action))
    };
    Response::new(action, outcome, warnings)
}

/// The seed wrapper's message, word for word.
fn unsupported(action: Action) -> Error {
    Error::unsupported_action(format!(
        "\"{action}\" action is not supported for this power driver"
    ))
}

async fn perform<D: PowerDriver, R: Runner>(
    runner: &R,
    mut context: Context,
    document: Value,
    warnings: &mut Vec<String>,
) -> Result<Option<Data>> {
    let action = context.action();
    // All input is checked before the driver is built, so a bad document never reaches
    // the BMC.
    let input = Input::from_document(document)?;
    context.set_system_id(input.system_id());
    let parameters = input
        .parameters::<D::Parameters>(setting_types_of::<D>, |warning| warnings.push(warning))?;
    let devices = match action {
        Action::SetBootOrder => input.boot_devices()?,
        _ => Vec::new(),
    };
    drop(input);
    let ctx = Arc::new(context);
    let driver = Arc::new(runner.run(&ctx, D::from_parameters(parameters)).await?);
    let power = Power {
        runner,
        driver,
        ctx,
    };
    // A power change and its confirmation make a future several times a query's: boxed,
    // it costs only the requests that make one (`serve` holds thousands of queries).
    Ok(match action {
        Action::PowerOn => Box::pin(power.on()).await.map(|()| None)?,
        Action::PowerOff => Box::pin(power.off()).await.map(|()| None)?,
        Action::PowerQuery => Some(Data::PowerState(power.query().await?)),
        Action::PowerCycle => Box::pin(power.cycle()).await.map(|()| None)?,
        Action::PowerReset => Box::pin(power.reset()).await.map(|()| None)?,
        Action::Probe => {
            let probe = D::PROBE.ok_or_else(|| unsupported(action))?;
            let call = probe(power.driver.clone(), power.ctx.clone());
            Some(Data::Systems(runner.run(&power.ctx, call).await?))
        }
        Action::SetBootOrder => {
            let set_boot_order = D::SET_BOOT_ORDER.ok_or_else(|| unsupported(action))?;
            let call = set_boot_order(power.driver.clone(), power.ctx.clone(), devices);
            runner.run(&power.ctx, call).await.map(|()| None)?
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::test_drivers::{Chassis, Lamp};
    use crate::{Action, BootDevice, Disk, ErrorCode, PowerState, testing};

    fn error_of(response: &crate::Response) -> (ErrorCode, String) {
        let error = response.error().expect("an error");
        (error.code(), error.message().to_owned())
    }

    #[test]
    fn undeclared_actions_are_refused_before_the_input_is_read() {
        let response = super::execute::<Lamp>(crate::Context::new(Action::Probe), || {
            panic!("the input must not be read for an unsupported action")
        });
        assert_eq!(
            error_of(&response),
            (
                ErrorCode::UnsupportedAction,
                "\"probe\" action is not supported for this power driver".into()
            )
        );
        let response = testing::run::<Lamp>(Action::SetBootOrder, json!(null));
        assert_eq!(
            response.to_json(),
            json!({"action_type": "set_boot_order", "error": {
                "code": "unsupportedActionError",
                "message": "\"set_boot_order\" action is not supported for this power driver"}})
        );
    }

    #[test]
    fn actions_return_their_data() {
        let input = json!({"driverParameters": {"on": true}});
        let response = testing::run::<Lamp>(Action::PowerQuery, input.clone());
        assert_eq!(response.power_state(), Some(PowerState::On));
        let response = testing::run::<Lamp>(Action::PowerOn, input.clone());
        assert_eq!(
            response.to_json(),
            json!({"action_type": "power_on", "error": null})
        );
        let response = testing::run::<Lamp>(Action::PowerOff, input);
        assert_eq!(
            error_of(&response),
            (ErrorCode::Action, "the switch is stuck".into())
        );
    }

    #[test]
    fn cycle_switches_off_only_what_is_not_off() {
        // The lamp's power_off fails: reaching it shows the cycle switched off first.
        let lit = testing::run::<Lamp>(
            Action::PowerCycle,
            json!({"driverParameters": {"on": true}}),
        );
        assert_eq!(
            error_of(&lit),
            (ErrorCode::Action, "the switch is stuck".into())
        );
        let dark = testing::run::<Lamp>(
            Action::PowerCycle,
            json!({"driverParameters": {"on": false}}),
        );
        assert_eq!(
            dark.to_json(),
            json!({"action_type": "power_cycle", "error": null})
        );
        // Without a reset of its own, a reset is a cycle.
        let reset = testing::run::<Lamp>(
            Action::PowerReset,
            json!({"driverParameters": {"on": true}}),
        );
        assert_eq!(
            error_of(&reset),
            (ErrorCode::Action, "the switch is stuck".into())
        );
    }

    #[test]
    fn reset_uses_the_drivers_own_reset() {
        let input = json!({"driverParameters": {"machines": 1}});
        let response = testing::run::<Chassis>(Action::PowerReset, input.clone());
        assert_eq!(
            error_of(&response),
            (ErrorCode::Action, "reset button pressed".into())
        );
        // Its cycle queries (unknown), switches off, then on, which panics.
        let response = testing::run::<Chassis>(Action::PowerCycle, input);
        assert_eq!(error_of(&response).0, ErrorCode::Fatal);
    }

    #[test]
    fn probe_lists_hosts() {
        let input = json!({"driverParameters": {"machines": 2}});
        let response = testing::run::<Chassis>(Action::Probe, input);
        assert_eq!(
            response.to_json(),
            json!({"action_type": "probe", "error": null, "data": {"hosts": [
                {"hostname": "node-1", "mac": "52:54:00:00:00:01", "arch": "amd64/generic",
                 "driver_name": "chassis", "driver_parameters": {"slot": 1}},
                {"hostname": "node-2", "mac": "52:54:00:00:00:02", "arch": "amd64/generic",
                 "driver_name": "chassis", "driver_parameters": {"slot": 2}},
            ]}})
        );
        assert_eq!(response.probed_systems().map(<[_]>::len), Some(2));
    }

    #[test]
    fn set_boot_order_hands_typed_devices_in_order() {
        let driver = crate::test_drivers::ChassisSettings::with_machines(1);
        let devices = json!([
            {"deviceType": "StorageDevice", "properties": {"serial": "S3Z9NB0K"}},
            {"deviceType": "NetworkInterface", "properties": {"mac": "52:54:00:12:34:56"}},
        ]);
        let input = json!({"driverParameters": driver, "devices": devices});
        let response = testing::run::<Chassis>(Action::SetBootOrder, input);
        assert_eq!(
            response.to_json(),
            json!({"action_type": "set_boot_order", "error": null})
        );
        assert_eq!(
            crate::test_drivers::last_boot_order(),
            [
                BootDevice::Storage(Disk::by_serial("S3Z9NB0K")),
                BootDevice::Network {
                    mac: "52:54:00:12:34:56".into()
                },
            ]
        );
    }

    #[test]
    fn set_boot_order_reads_the_agents_rows_and_the_specs_classes() {
        // What MAAS's agent sends as `order`, in the one-shot protocol's `devices`.
        let devices = json!([
            r#"{"id": 5, "name": "enp1s0", "type": "physical", "mac_address": "52:54:00:AA:00:01", "enabled": true, "params": {}, "links": []}"#,
            r#"{"id": 9, "name": "sda", "id_path": "/dev/disk/by-id/wwn-0x5000c500", "size": 1000204886016, "block_size": 4096, "tags": ["ssd"], "node_config_id": 1}"#,
            "network",
            "disk",
        ]);
        let input = json!({"driverParameters": {"machines": "1"}, "devices": devices});
        let response = testing::run::<Chassis>(Action::SetBootOrder, input);
        assert!(response.error().is_none(), "{:?}", response.error());
        let mut disk = Disk::by_id_path("/dev/disk/by-id/wwn-0x5000c500");
        disk.name = Some("sda".into());
        assert_eq!(
            crate::test_drivers::last_boot_order(),
            [
                BootDevice::Network {
                    mac: "52:54:00:aa:00:01".into()
                },
                BootDevice::Storage(disk),
                BootDevice::AnyNetwork,
                BootDevice::AnyStorage,
            ]
        );
    }

    #[test]
    fn malformed_devices_are_fatal() {
        for (devices, message) in [
            (
                None,
                "input has no `devices`: set_boot_order needs the boot order as a list",
            ),
            (
                Some(json!({"mac": "x"})),
                "devices: expected the boot order as a list, found an object",
            ),
            (
                Some(json!([{"deviceType": "NetworkInterface", "properties": {}}])),
                "devices[0]: a `NetworkInterface` needs `properties.mac`",
            ),
            (
                Some(json!(["network", r#"{"name": "eth0", "mac_address": ""}"#])),
                "devices[1]: a network interface row with no MAC address",
            ),
        ] {
            let mut input = json!({"driverParameters": {"machines": 1}});
            if let Some(devices) = devices {
                input["devices"] = devices;
            }
            let response = testing::run::<Chassis>(Action::SetBootOrder, input);
            assert_eq!(error_of(&response), (ErrorCode::Fatal, message.into()));
        }
    }

    #[test]
    fn constructor_can_reject_settings() {
        let input = json!({"driverParameters": {"machines": 0}});
        let response = testing::run::<Chassis>(Action::PowerQuery, input);
        assert_eq!(
            error_of(&response),
            (
                ErrorCode::Settings,
                "driverParameters.machines: must be at least 1".into()
            )
        );
    }

    #[test]
    fn panicking_driver_gives_fatal_error() {
        let input = json!({"driverParameters": {"machines": 1}});
        let response = testing::run::<Chassis>(Action::PowerOn, input);
        let (code, message) = error_of(&response);
        assert_eq!(code, ErrorCode::Fatal);
        assert!(message.ends_with("power_on is not wired"), "{message}");
        assert_eq!(response.exit_code(), 1);
    }

    #[test]
    fn the_context_names_the_action_and_the_machine() {
        use crate::test_drivers::Watch;
        let input = json!({"driverParameters": {"system_id": "node-1"}});
        let response = testing::run::<Watch>(Action::PowerOn, input.clone());
        assert_eq!(
            error_of(&response).1,
            r#"power_on Some("node-1") false Some("power_on system_id=node-1")"#
        );
        // A cycle's off and on are the cycle's.
        let response = testing::run::<Watch>(Action::PowerCycle, json!({"driverParameters": {}}));
        assert_eq!(
            error_of(&response).1,
            r#"power_cycle None false Some("power_cycle")"#
        );
        // MAAS's "" for unset is no machine.
        let input = json!({"driverParameters": {"system_id": ""}});
        let response = testing::run::<Watch>(Action::PowerOn, input);
        assert!(error_of(&response).1.starts_with("power_on None"));
        // Out of the action, nothing is tagged.
        assert_eq!(crate::context::current::tag(), None);
    }

    #[test]
    fn run_with_deadline_gives_the_context_its_deadline() {
        use crate::test_drivers::Watch;
        use std::time::{Duration, Instant};
        let input = json!({"driverParameters": {"system_id": "node-2"}});
        let response = testing::run_with_deadline::<Watch>(
            Action::PowerOn,
            input.clone(),
            Duration::from_secs(30),
        );
        assert_eq!(
            error_of(&response).1,
            r#"power_on Some("node-2") true Some("power_on system_id=node-2")"#
        );
        let started = Instant::now();
        let response = testing::run_with_deadline::<Watch>(
            Action::PowerOff,
            input,
            Duration::from_millis(200),
        );
        assert_eq!(
            error_of(&response),
            (ErrorCode::Conn, "timed out after 0.2 s".into())
        );
        assert!(started.elapsed() < Duration::from_secs(30));
    }

    #[test]
    fn parameters_are_checked_before_devices() {
        let input = json!({"driverParameters": {"machines": "many"}, "devices": 3});
        let response = testing::run::<Chassis>(Action::SetBootOrder, input);
        assert_eq!(error_of(&response).0, ErrorCode::Settings);
    }

    fn relay_input(name: &str, transition_ms: u64, stuck: bool) -> serde_json::Value {
        json!({"driverParameters": {
            "name": name, "transition_ms": transition_ms.to_string(), "stuck": stuck.to_string()
        }})
    }

    #[test]
    fn a_slow_change_is_confirmed_by_querying_and_sent_again() {
        use crate::test_drivers::{AsyncRelay, SlowRelay, relay};
        use std::time::{Duration, Instant};
        let started = Instant::now();
        let input = relay_input("confirm-blocking", 1200, false);
        let response = testing::run::<SlowRelay>(Action::PowerOn, input);
        assert!(response.error().is_none(), "{:?}", response.error());
        // Off at once and after 1 s (then sent again), on after 3 s.
        let took = started.elapsed();
        assert!(
            took >= Duration::from_secs(3) && took < Duration::from_secs(6),
            "{took:?}"
        );
        assert_eq!(relay("confirm-blocking"), (2, PowerState::On));

        // The same through async calls, on the CLI's runtime.
        let input = relay_input("confirm-async", 500, false);
        let response = testing::run::<AsyncRelay>(Action::PowerOn, input);
        assert!(response.error().is_none(), "{:?}", response.error());
        assert_eq!(relay("confirm-async"), (1, PowerState::On));
        // A change that shows at once is confirmed at once.
        let started = Instant::now();
        let input = relay_input("confirm-async", 0, false);
        let response = testing::run::<AsyncRelay>(Action::PowerOff, input);
        assert!(response.error().is_none(), "{:?}", response.error());
        assert!(started.elapsed() < Duration::from_millis(900));
        assert_eq!(relay("confirm-async"), (2, PowerState::Off));
    }

    #[test]
    fn a_change_that_never_shows_is_an_action_error_before_the_deadline() {
        use crate::test_drivers::{SlowRelay, relay};
        use std::time::{Duration, Instant};
        let started = Instant::now();
        let input = relay_input("confirm-stuck", 0, true);
        let limit = Duration::from_millis(2500);
        let response = testing::run_with_deadline::<SlowRelay>(Action::PowerOn, input, limit);
        let (code, message) = error_of(&response);
        assert_eq!(code, ErrorCode::Action, "{message}");
        assert!(
            message.starts_with("never transitioned to on: the BMC still reports off after 2."),
            "{message}"
        );
        assert!(started.elapsed() < limit);
        // Sent, then sent again before each pause but the first.
        assert_eq!(relay("confirm-stuck").0, 2);
    }

    #[test]
    fn a_cycle_against_a_slow_bmc_ends_on() {
        use crate::test_drivers::{AsyncRelay, SlowRelay, relay};
        let on = relay_input("cycle-slow", 0, false);
        assert!(
            testing::run::<SlowRelay>(Action::PowerOn, on)
                .error()
                .is_none()
        );
        let slow = relay_input("cycle-slow", 600, false);
        let response = testing::run::<SlowRelay>(Action::PowerCycle, slow.clone());
        assert!(response.error().is_none(), "{:?}", response.error());
        // Switched off and, once off, on: each once.
        assert_eq!(relay("cycle-slow"), (3, PowerState::On));
        // The async driver's blocking off and async on, mixed in one cycle.
        let response = testing::run::<AsyncRelay>(Action::PowerCycle, slow);
        assert!(response.error().is_none(), "{:?}", response.error());
        assert_eq!(relay("cycle-slow"), (5, PowerState::On));
    }

    #[test]
    fn a_future_past_its_deadline_is_dropped_in_the_cli_too() {
        use crate::test_drivers::{Sleeper, sleeping};
        use std::time::{Duration, Instant};
        let started = Instant::now();
        let limit = Duration::from_millis(300);
        let input = json!({"driverParameters": {"name": "cli"}});
        let response = testing::run_with_deadline::<Sleeper>(Action::PowerQuery, input, limit);
        assert_eq!(
            error_of(&response),
            (ErrorCode::Conn, "timed out after 0.3 s".into())
        );
        // Its thread drops the future at the deadline, as the answer is given.
        while sleeping("cli") {
            assert!(started.elapsed() < Duration::from_secs(5), "never dropped");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
