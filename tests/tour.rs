//! The tour of the API (`examples/`): each step's driver run as MAAS runs it, through
//! the one-shot CLI, against the lab hardware it simulates in a fresh directory.

#[path = "support/scratch.rs"]
mod scratch;
mod support;

use std::path::Path;

use serde_json::{Value, json};
use support::{example, run};

/// Runs `action` of the tour step `name` with `parameters` (and `devices`), and returns
/// its document.
fn act(name: &str, action: &str, parameters: Value, extra: &[&str]) -> Value {
    act_with(name, action, json!({"driverParameters": parameters}), extra)
}

fn act_with(name: &str, action: &str, input: Value, extra: &[&str]) -> Value {
    let mut args = vec![action];
    args.extend_from_slice(extra);
    let out = run(&example(name), &args, input.to_string().as_bytes());
    let document: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|_| panic!("{out:?}"));
    let expected = if document["error"].is_null() { 0 } else { 1 };
    assert_eq!(out.status, expected, "{out:?}");
    document
}

fn error(document: &Value) -> (&str, &str) {
    (
        document["error"]["code"].as_str().unwrap_or_default(),
        document["error"]["message"].as_str().unwrap_or_default(),
    )
}

fn state(document: &Value) -> &str {
    assert!(document["error"].is_null(), "{document}");
    document["data"]["status"].as_str().unwrap()
}

#[test]
fn step_1_settings_and_errors() {
    let dir = scratch::fresh_dir("tour-relays");
    let board = |extra: Value| {
        let mut parameters = json!({"board": dir, "relay": "3", "power_pass": "pw"});
        for (key, value) in extra.as_object().unwrap() {
            parameters[key] = value.clone();
        }
        parameters
    };
    let step = "settings_and_errors";
    assert_eq!(
        state(&act(step, "power_query", board(json!({})), &[])),
        "off"
    );
    assert!(act(step, "power_on", board(json!({})), &[])["error"].is_null());
    assert_eq!(std::fs::read_to_string(dir.join("relay-3")).unwrap(), "on");
    assert_eq!(
        state(&act(step, "power_query", board(json!({})), &[])),
        "on"
    );
    let soft = board(json!({"off_mode": "soft"}));
    assert!(act(step, "power_off", soft.clone(), &[])["error"].is_null());
    assert_eq!(state(&act(step, "power_query", soft, &[])), "off");

    let cases = [
        (
            json!({"relay": "30"}),
            "settingsError",
            "driverParameters.relay: 30 is not a relay",
        ),
        (
            json!({"relay": ""}),
            "settingsError",
            "driverParameters.relay",
        ),
        (
            json!({"off_mode": "gentle"}),
            "settingsError",
            "driverParameters.off_mode",
        ),
        (
            json!({"lock": "y", "power_pass": ""}),
            "settingsError",
            "a locked board needs power_pass",
        ),
        (json!({"board": dir.join("gone")}), "connError", "switching"),
    ];
    for (extra, code, part) in cases {
        let document = act(step, "power_on", board(extra.clone()), &[]);
        let (got, message) = error(&document);
        assert_eq!(got, code, "{extra}: {message}");
        assert!(message.contains(part), "{extra}: {message}");
    }
    std::fs::write(dir.join("relay-3"), "smoke").unwrap();
    let document = act(step, "power_query", board(json!({})), &[]);
    assert_eq!(error(&document).0, "actionError");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn step_2_probe_and_boot_order() {
    let dir = scratch::fresh_dir("tour-chassis");
    let inventory = dir.join("chassis.json");
    let machines = json!([
        {"slot": 1, "hostname": "n1", "mac": "52:54:00:00:00:01", "arch": "arm64"},
        {"slot": 2, "hostname": "n2", "mac": "52-54-00-00-00-02", "arch": "amd64"},
    ]);
    std::fs::write(&inventory, machines.to_string()).unwrap();
    let step = "probe_and_boot_order";

    let probed = act(
        step,
        "probe",
        json!({"inventory": inventory, "slot": ""}),
        &[],
    );
    let hosts = probed["data"]["hosts"].as_array().expect("hosts");
    assert_eq!(hosts.len(), 2, "{probed}");
    assert_eq!(hosts[1]["mac"], "52:54:00:00:00:02");
    assert_eq!(hosts[1]["arch"], "amd64/generic");
    assert_eq!(hosts[1]["driver_name"], step);
    let parameters = hosts[1]["driver_parameters"].clone();
    assert_eq!(parameters["slot"], "2");

    let devices = json!([
        {"deviceType": "NetworkInterface", "properties": {"mac": "52:54:00:00:00:02"}},
        {"deviceType": "StorageDevice", "properties": {"serial": "S3Z9NB0K"}},
    ]);
    let input = json!({"driverParameters": parameters, "devices": devices});
    assert!(act_with(step, "set_boot_order", input, &[])["error"].is_null());
    let order = std::fs::read_to_string(dir.join("slot-2.boot-order")).unwrap();
    assert!(
        order.starts_with("network 52:54:00:00:00:02\ndisk "),
        "{order}"
    );
    assert!(order.contains("S3Z9NB0K"), "{order}");
    assert!(act(step, "power_on", parameters.clone(), &[])["error"].is_null());
    assert_eq!(state(&act(step, "power_query", parameters, &[])), "on");

    let no_slot = act(step, "power_on", json!({"inventory": inventory}), &[]);
    assert_eq!(error(&no_slot).0, "settingsError");
    let unknown = act(
        step,
        "power_on",
        json!({"inventory": inventory, "slot": "9"}),
        &[],
    );
    assert_eq!(
        error(&unknown),
        (
            "actionError",
            &*format!("slot 9 is not in {}", inventory.display())
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn step_3_async_with_a_context() {
    let dir = scratch::fresh_dir("tour-pdu");
    let outlet = |extra: Value| {
        let mut parameters = json!({"state_file": dir.join("outlet-4"), "latency_ms": "50"});
        for (key, value) in extra.as_object().unwrap() {
            parameters[key] = value.clone();
        }
        parameters
    };
    let step = "async_context";
    // A machine that shows "on" a second after the command: confirmed by the runtime's
    // queries, within the deadline.
    let on = act(
        step,
        "power_on",
        outlet(json!({"boot_s": "1"})),
        &["--timeout", "20"],
    );
    assert!(on["error"].is_null(), "{on}");
    assert_eq!(
        state(&act(step, "power_query", outlet(json!({})), &[])),
        "on"
    );
    assert!(act(step, "power_off", outlet(json!({})), &[])["error"].is_null());
    assert!(Path::new(&dir.join("outlet-4")).exists());
    // A command slower than the whole deadline is not started: a connError at once.
    let slow = act(
        step,
        "power_query",
        outlet(json!({"latency_ms": "5000"})),
        &["--timeout", "1"],
    );
    assert_eq!(error(&slow).0, "connError", "{slow}");
    let _ = std::fs::remove_dir_all(&dir);
}
