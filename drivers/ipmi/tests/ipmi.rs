//! The IPMI example driver (examples/ipmi.rs) run as MAAS runs it, against OpenIPMI's
//! `ipmi_sim` through the real FreeIPMI tools, and against fake FreeIPMI tools (shell
//! scripts first in PATH) for the exact command lines and every line of MAAS's error
//! table. The tests of the real tools ask for them first (`support/peers.rs`).

#[path = "../../../tests/support/mod.rs"]
mod support;

#[path = "../../../tests/support/cmdline.rs"]
mod cmdline;
#[path = "../../../tests/support/ipmi_sim.rs"]
mod ipmi_sim;
#[path = "../../../tests/support/peers.rs"]
mod peers;
#[path = "../../../tests/support/scratch.rs"]
mod scratch;
#[path = "../../../tests/support/unix_http.rs"]
mod unix_http;

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ipmi_sim::{FREEIPMI, IpmiSim, PASSWORD, PEERS, USER, free_udp_port, tool_path};
use maaspd::serde_json::{self, Value, json};
use scratch::fresh_dir;
use support::{Run, example};

/// Runs the ipmi driver with `parameters` as `driverParameters` and `path` as its PATH.
fn run_with_path(path: &OsStr, action: &str, parameters: &Value) -> Run {
    let input = json!({ "driverParameters": parameters }).to_string();
    support::run_with_env(
        &example("ipmi"),
        &[action],
        input.as_bytes(),
        &[("PATH", Some(path))],
    )
}

/// Runs the driver with the real FreeIPMI tools in PATH.
fn run(action: &str, parameters: &Value) -> Run {
    run_with_path(&tool_path(), action, parameters)
}

fn document(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {run:?}"))
}

fn assert_ok(run: &Run) {
    assert_eq!(document(run)["error"], Value::Null, "{run:?}");
    assert_eq!(run.status, 0, "{run:?}");
}

/// The state a successful power_query reported.
fn state(run: &Run) -> String {
    assert_ok(run);
    document(run)["data"]["status"]
        .as_str()
        .expect("a status")
        .to_owned()
}

/// Asserts that `run` failed with `code`; returns the message.
fn assert_error(run: &Run, code: &str) -> String {
    let doc = document(run);
    assert_eq!(doc["error"]["code"], code, "{run:?}");
    assert_eq!(run.status, 1, "{run:?}");
    doc["error"]["message"]
        .as_str()
        .expect("a message")
        .to_owned()
}

/// `base` with the keys of `extra` added or replaced.
fn with(base: &Value, extra: Value) -> Value {
    let mut merged = base.clone();
    for (key, value) in extra.as_object().unwrap() {
        merged[key] = value.clone();
    }
    merged
}

/// The parameters of the simulated BMC, as MAAS would send them for a machine whose
/// BMC was set up by hand: only address and credentials, the rest MAAS's defaults.
fn sim_parameters(sim: &IpmiSim) -> Value {
    json!({
        "power_address": sim.address(),
        "power_user": USER,
        "power_pass": PASSWORD,
        "system_id": "xyz123",
    })
}

/// A BMC address where nothing answers, and a session timeout of 2 s (the shortest
/// allowed) instead of FreeIPMI's 20 s.
fn dead_bmc_parameters() -> Value {
    json!({
        "power_address": format!("127.0.0.1:{}", free_udp_port()),
        "power_user": USER,
        "power_pass": PASSWORD,
        "session_timeout": 2000,
    })
}

#[test]
fn power_on_off_and_query_switch_the_simulated_machine() {
    if !peers::available(PEERS) {
        return;
    }
    let sim = IpmiSim::start();
    let parameters = sim_parameters(&sim);
    assert_eq!(state(&run("power_query", &parameters)), "off");

    let on = run("power_on", &parameters);
    assert_ok(&on);
    // Nothing on stderr: not even about system_id, which MAAS adds to every driver's
    // parameters.
    assert_eq!(on.stderr, "");
    sim.wait_until_on(true);
    assert_eq!(state(&run("power_query", &parameters)), "on");
    // Before the power-on, ipmi-chassis-config set the next boot to PXE, as MAAS does.
    let calls = sim.calls();
    let pxe = calls.iter().position(|c| c == "set boot pxe");
    let power_on = calls.iter().position(|c| c == "set power 1");
    assert!(
        pxe.is_some() && pxe < power_on,
        "PXE boot set before power on: {calls:?}"
    );

    assert_ok(&run("power_off", &parameters));
    sim.wait_until_on(false);
    assert!(sim.calls().contains(&"set power 0".to_owned()));
    assert_eq!(state(&run("power_query", &parameters)), "off");
}

/// A machine's power parameters as MAAS stores and sends them, for a BMC set up in its
/// form: strings, `""` for unset, a list for the workaround flags; MAAS adds
/// `power_off_mode: ""` to every ipmi machine's and `system_id` to every machine's
/// (`get_effective_power_parameters`). `session_timeout`, maaspd's addition, as MAAS
/// would keep it unset.
fn maas_stored_parameters(sim: &IpmiSim) -> Value {
    json!({
        "power_driver": "LAN_2_0", "power_boot_type": "auto", "power_address": sim.address(),
        "power_user": USER, "power_pass": PASSWORD, "k_g": "", "cipher_suite_id": "3",
        "privilege_level": "OPERATOR", "workaround_flags": ["opensesspriv"],
        "mac_address": "", "power_off_mode": "", "session_timeout": "",
        "system_id": "xyz123",
    })
}

#[test]
fn parameters_as_maas_stores_them_drive_the_bmc() {
    if !peers::available(PEERS) {
        return;
    }
    let sim = IpmiSim::start();
    let parameters = maas_stored_parameters(&sim);
    assert_ok(&run("power_on", &parameters));
    sim.wait_until_on(true);
    // `power_off_mode: ""` is unset: the default, a hard power off.
    assert_ok(&run("power_off", &parameters));
    sim.wait_until_on(false);
    let calls = sim.calls();
    assert!(calls.contains(&"set power 0".to_owned()), "{calls:?}");
    assert!(!calls.contains(&"set shutdown 1".to_owned()), "{calls:?}");
    // A number in its string form.
    let parameters = with(&parameters, json!({"session_timeout": "5000"}));
    assert_eq!(state(&run("power_query", &parameters)), "off");
    let message = assert_error(
        &run(
            "power_query",
            &with(&parameters, json!({"session_timeout": "soon"})),
        ),
        "settingsError",
    );
    assert!(
        message.starts_with("driverParameters.session_timeout: "),
        "{message}"
    );
}

/// `ipmi serve` on a socket of its own, killed on drop.
struct Service {
    child: std::process::Child,
    socket: PathBuf,
}

impl Service {
    fn start() -> Service {
        let dir = fresh_dir("ipmi-serve");
        let socket = dir.join("ipmi.sock");
        let child = Command::new(example("ipmi"))
            .args(["serve", "--socket"])
            .arg(&socket)
            .env("PATH", tool_path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ipmi serve starts");
        let started = Instant::now();
        while !socket.exists() {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "ipmi serve did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Service { child, socket }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = self.socket.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The same through `serve`, the context as MAAS's agent sends it: the rack's
/// system_id at the top, the machine's parameters as stored.
#[test]
fn the_service_takes_the_context_as_maas_stores_it() {
    if !peers::available(PEERS) {
        return;
    }
    let sim = IpmiSim::start();
    sim.set_on(true);
    let service = Service::start();
    let body = json!({"system_id": "rack01", "context": maas_stored_parameters(&sim)});
    let answer = |path: &str| {
        let response = unix_http::post(&service.socket, path, &body);
        (response.status, response.json())
    };
    assert_eq!(
        answer("/query"),
        (200, json!({"status": "ok", "state": "on"}))
    );
    assert_eq!(answer("/off"), (200, json!({"status": "ok"})));
    sim.wait_until_on(false);
    assert!(!sim.calls().contains(&"set shutdown 1".to_owned()));
    assert_eq!(
        answer("/query"),
        (200, json!({"status": "ok", "state": "off"}))
    );
}

#[test]
fn power_on_of_a_machine_that_is_on_power_cycles_it() {
    if !peers::available(PEERS) {
        return;
    }
    // MAAS runs `ipmipower --cycle --on-if-off`: a machine already on is cycled, so it
    // reboots into the PXE boot just set.
    let sim = IpmiSim::start();
    sim.set_on(true);
    assert_ok(&run("power_on", &sim_parameters(&sim)));
    sim.wait_for_call("set power 0");
    sim.wait_for_call("set power 1"); // after ipmi_sim's 1 s cycle timer
    sim.wait_until_on(true);
}

#[test]
fn power_cycle_switches_off_then_on() {
    if !peers::available(PEERS) {
        return;
    }
    // maaspd's power_cycle: power_off (the machine is on), then power_on.
    let sim = IpmiSim::start();
    sim.set_on(true);
    assert_ok(&run("power_cycle", &sim_parameters(&sim)));
    let calls = sim.calls();
    let off = calls.iter().position(|c| c == "set power 0");
    let pxe = calls.iter().position(|c| c == "set boot pxe");
    let on = calls.iter().position(|c| c == "set power 1");
    assert!(off.is_some() && off < pxe && pxe < on, "{calls:?}");
    sim.wait_until_on(true);
}

#[test]
fn soft_power_off_asks_the_machine_to_shut_down() {
    if !peers::available(PEERS) {
        return;
    }
    let sim = IpmiSim::start();
    sim.set_on(true);
    let parameters = with(&sim_parameters(&sim), json!({"power_off_mode": "soft"}));
    assert_ok(&run("power_off", &parameters));
    sim.wait_until_on(false);
    let calls = sim.calls();
    assert!(calls.contains(&"set shutdown 1".to_owned()), "{calls:?}");
    assert!(!calls.contains(&"set power 0".to_owned()), "{calls:?}");
    assert_eq!(state(&run("power_query", &parameters)), "off");
}

#[test]
fn ipmi_1_5_and_other_settings_reach_the_bmc() {
    if !peers::available(PEERS) {
        return;
    }
    let sim = IpmiSim::start();
    sim.set_on(true);
    let cases = [
        json!({"power_driver": "LAN"}),
        json!({"privilege_level": "ADMIN", "cipher_suite_id": ""}),
        json!({"workaround_flags": ["opensesspriv", "authcap"], "power_boot_type": "efi"}),
    ];
    for extra in cases {
        let parameters = with(&sim_parameters(&sim), extra);
        assert_eq!(
            state(&run("power_query", &parameters)),
            "on",
            "{parameters}"
        );
    }
}

#[test]
fn a_wrong_password_or_user_is_an_auth_error() {
    if !peers::available(PEERS) {
        return;
    }
    let sim = IpmiSim::start();
    let wrong_password = with(&sim_parameters(&sim), json!({"power_pass": "not-it"}));
    let message = assert_error(&run("power_query", &wrong_password), "authError");
    assert!(message.contains("password invalid"), "{message}");
    assert!(message.contains(&sim.address()), "{message}");
    // power_on stops at ipmi-chassis-config, as MAAS does on an auth error there.
    let message = assert_error(&run("power_on", &wrong_password), "authError");
    assert!(message.starts_with("ipmi-chassis-config"), "{message}");
    assert_error(&run("power_off", &wrong_password), "authError");

    let wrong_user = with(&sim_parameters(&sim), json!({"power_user": "nobody"}));
    let message = assert_error(&run("power_query", &wrong_user), "authError");
    assert!(message.contains("username invalid"), "{message}");
    assert!(!sim.is_on());
}

#[test]
fn a_rejected_k_g_key_is_dropped_and_the_action_tried_again() {
    if !peers::available(PEERS) {
        return;
    }
    // The simulated BMC has no K_g key: FreeIPMI says "k_g invalid" for any.
    let sim = IpmiSim::start();
    let parameters = with(&sim_parameters(&sim), json!({"k_g": "some-key"}));
    let on = run("power_on", &parameters);
    assert_ok(&on);
    assert!(
        on.stderr.contains(&format!(
            "warning: the BMC at {} rejected the K_g key; trying again without it",
            sim.address()
        )),
        "{on:?}"
    );
    sim.wait_until_on(true);
    assert_eq!(state(&run("power_query", &parameters)), "on");
}

#[test]
fn a_dead_port_is_a_conn_error() {
    if !peers::available(FREEIPMI) {
        return;
    }
    let parameters = dead_bmc_parameters();
    example("ipmi"); // built on first use: not part of the timing
    let start = Instant::now();
    let message = assert_error(&run("power_query", &parameters), "connError");
    assert!(message.contains("connection timeout"), "{message}");
    assert!(message.contains(parameters["power_address"].as_str().unwrap()));
    // power_on: ipmi-chassis-config times out (a warning, as in MAAS), then ipmipower.
    let on = run("power_on", &parameters);
    let message = assert_error(&on, "connError");
    assert!(
        message.starts_with("ipmipower --cycle --on-if-off"),
        "{message}"
    );
    assert!(
        on.stderr
            .contains("could not set the next boot to PXE (exit status 1): `")
            && on
                .stderr
                .contains("ipmi-config: connection timeout`; powering on anyway"),
        "{on:?}"
    );
    assert_error(&run("power_off", &parameters), "connError");
    // Four 2 s session timeouts, not FreeIPMI's 20 s.
    assert!(start.elapsed().as_secs() < 15, "{:?}", start.elapsed());
}

#[test]
fn a_bmc_that_answers_neither_on_nor_off_is_an_action_error() {
    if !peers::available(PEERS) {
        return;
    }
    let sim = IpmiSim::start();
    // ipmi_sim has no cipher suite 17: ipmipower exits 0 with "BMC error".
    let suite_17 = with(&sim_parameters(&sim), json!({"cipher_suite_id": "17"}));
    let message = assert_error(&run("power_query", &suite_17), "actionError");
    assert!(message.contains("`BMC error`"), "{message}");
    let message = assert_error(&run("power_on", &suite_17), "actionError");
    assert!(message.contains("`BMC error`"), "{message}");
    assert!(!sim.is_on());

    // A chassis that answers garbage: ipmipower exits 0 and prints nothing.
    sim.break_power_state();
    let message = assert_error(&run("power_query", &sim_parameters(&sim)), "actionError");
    assert!(message.contains("no answer"), "{message}");
}

#[test]
fn missing_freeipmi_tools_are_a_tool_error() {
    let empty = fresh_dir("ipmi-no-tools");
    let parameters = json!({"power_address": "10.0.0.5", "power_pass": "pw"});
    for action in ["power_query", "power_off", "power_on"] {
        let out = run_with_path(empty.as_os_str(), action, &parameters);
        let message = assert_error(&out, "toolError");
        assert!(message.contains("freeipmi-tools"), "{message}");
        let tool = if action == "power_on" {
            "ipmi-chassis-config"
        } else {
            "ipmipower"
        };
        assert!(
            message.starts_with(&format!("{tool} was not found")),
            "{message}"
        );
    }
    let _ = std::fs::remove_dir_all(empty);
}

#[test]
fn bad_settings_are_settings_errors() {
    if !peers::available(FREEIPMI) {
        return;
    }
    let base = json!({"power_address": "10.0.0.5", "power_user": "maas", "power_pass": "pw"});
    let cases = [
        (
            json!({"power_driver": "LAN_3_0"}),
            "driverParameters.power_driver",
        ),
        (
            json!({"privilege_level": "ROOT"}),
            "driverParameters.privilege_level",
        ),
        (
            json!({"cipher_suite_id": "4"}),
            "driverParameters.cipher_suite_id",
        ),
        (
            json!({"cipher_suite_id": 3}),
            "driverParameters.cipher_suite_id",
        ),
        (
            json!({"workaround_flags": ["bogus"]}),
            "driverParameters.workaround_flags",
        ),
        (
            json!({"workaround_flags": "opensesspriv"}),
            "driverParameters.workaround_flags",
        ),
        (
            json!({"power_off_mode": "gentle"}),
            "driverParameters.power_off_mode",
        ),
        (
            json!({"power_boot_type": "uefi"}),
            "driverParameters.power_boot_type",
        ),
        (
            json!({"session_timeout": 10}),
            "driverParameters.session_timeout",
        ),
        (
            json!({"power_address": ""}),
            "driverParameters.power_address",
        ),
        (
            json!({"power_address": " ", "mac_address": ""}),
            "driverParameters.power_address",
        ),
        (
            json!({"power_address": "", "mac_address": "52:54:00"}),
            "driverParameters.mac_address",
        ),
    ];
    for (extra, path) in cases {
        for action in ["power_query", "power_on"] {
            // No FreeIPMI in PATH: the settings are refused before any tool runs.
            let out = run_with_path(OsStr::new(""), action, &with(&base, extra.clone()));
            let message = assert_error(&out, "settingsError");
            assert!(message.starts_with(path), "{extra}: {message}");
        }
    }
    let missing_address = json!({"power_user": "maas"});
    let message = assert_error(&run("power_query", &missing_address), "settingsError");
    assert!(message.contains("power_address"), "{message}");

    // What ipmipower itself refuses before sending anything.
    let long_password = with(&base, json!({"power_pass": "p".repeat(21)}));
    let message = assert_error(&run("power_query", &long_password), "settingsError");
    assert!(message.contains("power_pass is too long"), "{message}");
    let bad_k_g = with(&base, json!({"k_g": "0xZZ"}));
    let message = assert_error(&run("power_query", &bad_k_g), "settingsError");
    assert!(message.contains("k_g is not a valid K_g key"), "{message}");
    let user_level = with(&base, json!({"privilege_level": "USER"}));
    let message = assert_error(&run("power_off", &user_level), "settingsError");
    assert!(message.contains("privilege_level USER"), "{message}");
}

#[test]
fn a_power_mac_missing_from_the_arp_table_is_a_conn_error() {
    // MAAS finds the BMC by its MAC in the ARP table when power_address is empty.
    let parameters = json!({"power_address": "", "mac_address": "02:00:5E:00:53:FE"});
    let message = assert_error(&run("power_query", &parameters), "connError");
    assert!(
        message.contains("02:00:5e:00:53:fe is not in the ARP table"),
        "{message}"
    );
}

#[test]
fn schema_lists_maas_settings_with_their_choices_and_defaults() {
    let out = support::run(&example("ipmi"), &["schema"], b"");
    assert_eq!(out.status, 0, "{out:?}");
    let schema: Value = serde_json::from_str(&out.stdout).unwrap();
    jsonschema::draft202012::meta::validate(&schema).expect("a valid 2020-12 schema");
    assert_eq!(schema["title"], "IPMI");
    assert_eq!(schema["required"], json!(["power_address"]));

    let properties = schema["properties"].as_object().unwrap();
    let names: Vec<&str> = properties.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "cipher_suite_id",
            "k_g",
            "mac_address",
            "power_address",
            "power_boot_type",
            "power_driver",
            "power_off_mode",
            "power_pass",
            "power_user",
            "privilege_level",
            "session_timeout",
            "workaround_flags",
        ]
    );
    // MAAS's labels are the titles.
    for (name, label) in [
        ("power_driver", "Power driver"),
        ("power_boot_type", "Power boot type"),
        ("power_address", "IP address"),
        ("power_user", "Power user"),
        ("power_pass", "Power password"),
        ("k_g", "K_g BMC key"),
        ("cipher_suite_id", "Cipher Suite ID"),
        ("privilege_level", "Privilege Level"),
        ("workaround_flags", "Workaround Flags"),
        ("mac_address", "Power MAC"),
        ("power_off_mode", "Power off mode"),
    ] {
        assert_eq!(properties[name]["title"], label, "{name}");
    }
    for secret in ["power_pass", "k_g"] {
        assert_eq!(properties[secret]["writeOnly"], true, "{secret}");
    }
    for (name, default) in [
        ("power_driver", json!("LAN_2_0")),
        ("power_boot_type", json!("auto")),
        ("cipher_suite_id", json!("3")),
        ("privilege_level", json!("OPERATOR")),
        ("workaround_flags", json!(["opensesspriv"])),
        ("power_off_mode", json!("hard")),
        ("session_timeout", Value::Null),
    ] {
        assert_eq!(properties[name]["default"], default, "{name}");
    }
    let choices = |definition: &str| -> Vec<Value> {
        schema["$defs"][definition]["oneOf"]
            .as_array()
            .unwrap_or_else(|| panic!("choices of {definition}"))
            .iter()
            .map(|choice| choice["const"].clone())
            .collect()
    };
    assert_eq!(choices("IpmiVersion"), [json!("LAN"), json!("LAN_2_0")]);
    assert_eq!(
        choices("BootType"),
        [json!("auto"), json!("legacy"), json!("efi")]
    );
    assert_eq!(
        choices("CipherSuiteId"),
        [json!("17"), json!("3"), json!(""), json!("8"), json!("12")]
    );
    assert_eq!(
        choices("PrivilegeLevel"),
        [json!("USER"), json!("OPERATOR"), json!("ADMIN")]
    );
    assert_eq!(choices("PowerOffMode"), [json!("soft"), json!("hard")]);
    assert_eq!(choices("WorkaroundFlag").len(), 13);
}

#[test]
fn metadata_is_maas_s_description_of_the_driver() {
    let out = support::run(&example("ipmi"), &["metadata"], b"");
    assert_eq!(out.status, 0, "{out:?}");
    let metadata: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(metadata["name"], "ipmi");
    assert_eq!(metadata["description"], "IPMI");
    assert_eq!(
        metadata["ip_extractor"],
        json!({"field_name": "power_address", "pattern": "^(?P<address>.+?)$"})
    );
    assert_eq!(
        metadata["capabilities"],
        json!({"can_probe": false, "can_set_boot_order": false, "chassis": false, "queryable": true})
    );
    let settings = metadata["settings"].as_array().unwrap();
    let setting = |name: &str| {
        settings
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("setting {name}"))
    };
    assert_eq!(setting("mac_address")["scope"], "node");
    assert_eq!(setting("power_address")["required"], true);
    for secret in ["power_pass", "k_g"] {
        assert_eq!(setting(secret)["field_type"], "password");
        assert_eq!(setting(secret)["secret"], true);
    }
    assert_eq!(setting("workaround_flags")["field_type"], "multiple_choice");
    assert_eq!(setting("cipher_suite_id")["field_type"], "choice");
}

// ---- Fake FreeIPMI tools: the exact command lines and MAAS's error table. ----

/// `ipmipower` and `ipmi-chassis-config` as shell scripts (shell builtins only, so the
/// driver can run with PATH set to their directory alone). Each records its arguments
/// and ipmi-chassis-config's input file, then runs the body it was given, in which
/// `$state` names a file for the machine's power state (see `IPMIPOWER_OK`).
struct FakeTools {
    dir: PathBuf,
}

/// A fake ipmipower that answers like the real one and follows the state it is told, so
/// that the runtime's confirmation of a power change (an `ipmipower --stat` after it, as
/// MAAS's `perform_power` runs) sees the change at once: `--on-if-off` and `--on` switch
/// the machine on, `--off` and `--soft` off; `--stat` answers the state, on until told
/// otherwise; anything else answers ok.
const IPMIPOWER_OK: &str = "case \" $* \" in\n\
     *' --stat '*) s=on; if [ -f \"$state\" ]; then read -r s <\"$state\"; fi; echo \"10.0.0.5: $s\" ;;\n\
     *' --on-if-off '* | *' --on '*) echo on >\"$state\"; echo '10.0.0.5: ok' ;;\n\
     *' --off '* | *' --soft '*) echo off >\"$state\"; echo '10.0.0.5: ok' ;;\n\
     *) echo '10.0.0.5: ok' ;;\n\
     esac";

impl FakeTools {
    fn new(ipmipower: &str, ipmi_chassis_config: &str) -> FakeTools {
        let dir = fresh_dir("ipmi-fake-tools");
        for (tool, body) in [
            ("ipmipower", ipmipower),
            ("ipmi-chassis-config", ipmi_chassis_config),
        ] {
            let log = dir.join(format!("{tool}.calls"));
            let script = format!(
                "#!/bin/sh\n\
                 state='{state}'\n\
                 for arg in \"$@\"; do printf '%s\\n' \"$arg\"; done >>'{log}'\n\
                 printf '%s\\n' '--end--' >>'{log}'\n\
                 while IFS= read -r line; do printf '%s\\n' \"$line\"; done >>'{answers}'\n\
                 prev=\n\
                 for arg in \"$@\"; do\n\
                 \x20 if [ \"$prev\" = --filename ]; then\n\
                 \x20   while IFS= read -r line; do printf '%s\\n' \"$line\"; done <\"$arg\" >'{boot}'\n\
                 \x20 fi\n\
                 \x20 prev=$arg\n\
                 done\n\
                 {body}\n",
                log = log.display(),
                answers = dir.join(format!("{tool}.answers")).display(),
                boot = dir.join("boot.conf").display(),
                state = dir.join("power.state").display(),
            );
            let path = dir.join(tool);
            std::fs::write(&path, script).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        FakeTools { dir }
    }

    fn run(&self, action: &str, parameters: &Value) -> Run {
        run_with_path(self.dir.as_os_str(), action, parameters)
    }

    /// The argument lists `tool` was called with, in order.
    /// What `tool` read on its standard input, a line each, over all its calls.
    fn answers(&self, tool: &str) -> Vec<String> {
        std::fs::read_to_string(self.dir.join(format!("{tool}.answers")))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn calls(&self, tool: &str) -> Vec<Vec<String>> {
        let log =
            std::fs::read_to_string(self.dir.join(format!("{tool}.calls"))).unwrap_or_default();
        let lines: Vec<String> = log.lines().map(str::to_owned).collect();
        lines
            .split(|line| line == "--end--")
            .filter(|call| !call.is_empty())
            .map(<[String]>::to_vec)
            .collect()
    }

    /// The input file ipmi-chassis-config was given, as it read it.
    fn boot_conf(&self) -> String {
        std::fs::read_to_string(self.dir.join("boot.conf")).unwrap_or_default()
    }
}

impl Drop for FakeTools {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn args(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

const PXE_BOOT: &str = "Section Chassis_Boot_Flags
        Boot_Flags_Persistent                         No
        Boot_Device                                   PXE
EndSection
";

#[test]
fn command_lines_are_those_maas_runs() {
    // As MAAS runs them, but for the password (and the K_g key): MAAS gives them on the
    // command line (`-p pw`), where any local user reads them; maaspd answers the tools'
    // prompts (`-P`, `-K`) on their standard input.
    let common = "-W opensesspriv --driver-type LAN_2_0 -h 10.0.0.5 -u maas -P -I 3 -l OPERATOR";
    let parameters = json!({"power_address": "10.0.0.5", "power_user": "maas", "power_pass": "pw"});
    // A power change is confirmed by a query right after it, as MAAS's `perform_power`
    // confirms it: the fake machine switches at once, so one `--stat` each.
    let stat = args(&format!("{common} --stat"));
    for (action, extra, ipmipower) in [
        ("power_query", json!({}), vec!["--stat"]),
        ("power_off", json!({}), vec!["--off", "--stat"]),
        (
            "power_off",
            json!({"power_off_mode": "soft"}),
            vec!["--soft", "--stat"],
        ),
        (
            "power_off",
            json!({"power_off_mode": "hard"}),
            vec!["--off", "--stat"],
        ),
    ] {
        let tools = FakeTools::new(IPMIPOWER_OK, "exit 0");
        assert_ok(&tools.run(action, &with(&parameters, extra)));
        let expected: Vec<Vec<String>> = ipmipower
            .iter()
            .map(|options| args(&format!("{common} {options}")))
            .collect();
        assert_eq!(tools.calls("ipmipower"), expected);
        assert_eq!(tools.answers("ipmipower"), vec!["pw"; expected.len()]);
        assert!(tools.calls("ipmi-chassis-config").is_empty());
    }

    // power_on: the next boot to PXE, then the power.
    let tools = FakeTools::new(IPMIPOWER_OK, "exit 0");
    assert_ok(&tools.run("power_on", &parameters));
    let chassis = tools.calls("ipmi-chassis-config");
    assert_eq!(chassis.len(), 1);
    let (file, head) = chassis[0].split_last().unwrap();
    assert_eq!(head, args(&format!("{common} --commit --filename")));
    assert!(!Path::new(file).exists(), "{file} is removed");
    assert_eq!(tools.boot_conf(), PXE_BOOT);
    assert_eq!(
        tools.calls("ipmipower"),
        [args(&format!("{common} --cycle --on-if-off")), stat.clone()]
    );

    // Every setting that changes the command line.
    let tools = FakeTools::new(IPMIPOWER_OK, "exit 0");
    let everything = json!({
        "power_address": "bmc.example:6230", "power_user": "", "power_pass": "", "k_g": "key",
        "power_driver": "LAN", "cipher_suite_id": "", "privilege_level": "ADMIN",
        "workaround_flags": ["authcap", "", "intel20"], "power_boot_type": "efi",
        "session_timeout": 3000, "mac_address": "52:54:00:12:34:56",
    });
    assert_ok(&tools.run("power_on", &everything));
    let everything_common = vec![
        "-W",
        "authcap,intel20",
        "--driver-type",
        "LAN",
        "-h",
        "bmc.example:6230",
        "-P",
        "-K",
        "-l",
        "ADMIN",
        "--session-timeout",
        "3000",
    ];
    let on = [everything_common.as_slice(), &["--cycle", "--on-if-off"]].concat();
    let confirm = [everything_common.as_slice(), &["--stat"]].concat();
    assert_eq!(tools.calls("ipmipower"), [on, confirm]);
    // The empty password, then the key, at each call's prompts.
    assert_eq!(tools.answers("ipmipower"), ["", "key", "", "key"]);
    assert_eq!(
        tools.boot_conf(),
        PXE_BOOT.replace(
            "No\n",
            "No\n        BIOS_Boot_Type                                EFI\n"
        )
    );
    let tools = FakeTools::new(IPMIPOWER_OK, "exit 0");
    assert_ok(&tools.run(
        "power_on",
        &with(&parameters, json!({"power_boot_type": "legacy"})),
    ));
    assert!(
        tools
            .boot_conf()
            .contains("BIOS_Boot_Type                                PC-COMPATIBLE\n")
    );

    // No flags, or only MAAS's "None" choice: no -W at all.
    for flags in [json!([]), json!([""])] {
        let tools = FakeTools::new(IPMIPOWER_OK, "exit 0");
        let out = tools.run(
            "power_query",
            &with(&parameters, json!({"workaround_flags": flags})),
        );
        assert_eq!(state(&out), "on");
        assert_eq!(tools.calls("ipmipower")[0][0], "--driver-type");
    }
}

#[test]
fn freeipmi_answers_map_as_in_maas() {
    let parameters = json!({"power_address": "10.0.0.5", "power_pass": "pw"});
    // (stdout, stderr, exit status, the code MAAS's table gives)
    let cases = [
        ("username invalid", "", 1, "authError"),
        ("password invalid", "", 1, "authError"),
        ("password verification timeout", "", 1, "authError"),
        ("k_g invalid", "", 1, "authError"),
        ("privilege level insufficient", "", 1, "authError"),
        (
            "privilege level cannot be obtained for this user",
            "",
            1,
            "authError",
        ),
        (
            "authentication type unavailable for attempted privilege level",
            "",
            1,
            "settingsError",
        ),
        ("cipher suite id unavailable", "", 1, "settingsError"),
        ("ipmi 2.0 unavailable", "", 1, "settingsError"),
        ("connection timeout", "", 1, "connError"),
        ("session timeout", "", 1, "connError"),
        ("internal IPMI error", "", 1, "fatalError"),
        ("device not found", "", 1, "settingsError"),
        ("driver timeout", "", 1, "connError"),
        ("message timeout", "", 1, "connError"),
        ("BMC busy", "", 1, "connError"),
        ("could not find inband device", "", 1, "settingsError"),
        // Not in MAAS's table: a failure (MAAS's PowerError, retried).
        ("invalid hostname", "", 1, "actionError"),
        ("", "ipmipower: something broke", 1, "actionError"),
        // maaspd's additions: exit 0 without an answer is no state.
        ("BMC error", "", 0, "actionError"),
        ("", "", 0, "actionError"),
        // ipmipower refusing a setting before sending anything.
        ("", "password too long", 1, "settingsError"),
    ];
    for (stdout, stderr, status, code) in cases {
        let stdout_line = if stdout.is_empty() {
            String::new()
        } else {
            format!("10.0.0.5: {stdout}")
        };
        let body =
            format!("printf '%s' '{stdout_line}'; printf '%s' '{stderr}' >&2; exit {status}");
        let tools = FakeTools::new(&body, "exit 0");
        for action in ["power_query", "power_off"] {
            let out = tools.run(action, &parameters);
            let message = assert_error(&out, code);
            assert!(message.contains("10.0.0.5"), "{message}");
            if !stdout.is_empty() {
                assert!(message.contains(stdout), "{stdout}: {message}");
            }
        }
    }
    for answer in ["on", "off"] {
        let body = format!("echo '10.0.0.5: {answer}'");
        let tools = FakeTools::new(&body, "exit 0");
        assert_eq!(state(&tools.run("power_query", &parameters)), answer);
    }
}

#[test]
fn a_k_g_key_rejected_by_ipmi_chassis_config_is_dropped_for_the_whole_power_on() {
    let k_g_invalid =
        "case \" $* \" in *' -K '*) echo 'ipmi-config: k_g invalid' >&2; exit 1 ;; esac";
    let tools = FakeTools::new(IPMIPOWER_OK, k_g_invalid);
    let parameters = json!({"power_address": "10.0.0.5", "power_pass": "pw", "k_g": "key"});
    let out = tools.run("power_on", &parameters);
    assert_ok(&out);
    let chassis = tools.calls("ipmi-chassis-config");
    assert_eq!(chassis.len(), 2, "{chassis:?}");
    assert!(chassis[0].contains(&"-K".to_owned()));
    assert!(!chassis[1].contains(&"-K".to_owned()));
    // The power-on without the key; then the confirmation's query, a power_query of its
    // own as in MAAS (`perform_power` calls `power_query` with the context as stored),
    // so with the key again.
    let ipmipower = tools.calls("ipmipower");
    assert_eq!(ipmipower.len(), 2, "{ipmipower:?}");
    assert!(!ipmipower[0].contains(&"-K".to_owned()));
    assert!(ipmipower[0].ends_with(&args("--cycle --on-if-off")));
    assert!(ipmipower[1].contains(&"-K".to_owned()));
    assert!(ipmipower[1].ends_with(&args("--stat")));

    // Without a K_g key to drop, the refusal is the answer.
    let tools = FakeTools::new(IPMIPOWER_OK, "echo 'ipmi-config: k_g invalid' >&2; exit 1");
    let message = assert_error(&tools.run("power_on", &parameters), "authError");
    assert!(message.contains("k_g invalid"), "{message}");
    assert_eq!(tools.calls("ipmi-chassis-config").len(), 2);
    assert!(tools.calls("ipmipower").is_empty());
}

#[test]
fn other_ipmi_chassis_config_failures_do_not_stop_the_power_on() {
    // MAAS bug 1516065: some BMCs time out on boot flags yet switch the power.
    let tools = FakeTools::new(
        IPMIPOWER_OK,
        "echo 'ERROR: Failed to commit `Chassis_Boot_Flags:Boot_Device'\\' >&2; exit 1",
    );
    let out = tools.run("power_on", &json!({"power_address": "10.0.0.5"}));
    assert_ok(&out);
    assert!(
        out.stderr.contains(
            "warning: ipmi-chassis-config --commit on 10.0.0.5 could not set the next boot to PXE (exit status 1)"
        ),
        "{out:?}"
    );
    // The power-on, then the confirmation's query.
    let ipmipower = tools.calls("ipmipower");
    assert_eq!(ipmipower.len(), 2, "{ipmipower:?}");
    assert!(ipmipower[0].ends_with(&args("--cycle --on-if-off")));
    assert!(ipmipower[1].ends_with(&args("--stat")));
}

// ---- Secrets ----

const SENTINEL_PASSWORD: &str = "Sntnl-pw-4q7z";
const SENTINEL_K_G: &str = "Sntnl-kg-8x2w";

fn assert_no_sentinel(out: &Run, case: &str) {
    for sentinel in [SENTINEL_PASSWORD, SENTINEL_K_G] {
        assert!(
            !out.stdout.contains(sentinel) && !out.stderr.contains(sentinel),
            "{case}: the secret {sentinel} leaked: {out:?}"
        );
    }
}

#[test]
fn the_password_and_k_g_never_appear_in_any_output() {
    if !peers::available(PEERS) {
        return;
    }
    let secrets = json!({"power_pass": SENTINEL_PASSWORD, "k_g": SENTINEL_K_G});
    // Nothing listening: 8 s of session timeouts, run beside the other cases.
    let dead = with(&dead_bmc_parameters(), secrets.clone());
    let dead_port = std::thread::spawn(move || {
        ["power_query", "power_on", "power_off"].map(|action| ("dead port", run(action, &dead)))
    });
    let sim = IpmiSim::start();
    let mut cases: Vec<(&str, Run)> = Vec::new();
    let mut all = |case: &'static str, run: &dyn Fn(&str) -> Run| {
        for action in ["power_query", "power_on", "power_off"] {
            cases.push((case, run(action)));
        }
    };
    let sim_secrets = with(&sim_parameters(&sim), secrets.clone());

    // Bad settings, rejected by the driver and by ipmipower.
    all("bad choice", &|a| {
        run(a, &with(&sim_secrets, json!({"power_driver": "LAN_9"})))
    });
    all("no address", &|a| {
        run(a, &with(&secrets, json!({"power_address": ""})))
    });
    all("password too long", &|a| {
        let long = format!("{SENTINEL_PASSWORD}{SENTINEL_PASSWORD}");
        run(a, &with(&sim_secrets, json!({"power_pass": long})))
    });
    all("k_g too long", &|a| {
        let long = format!("{SENTINEL_K_G}{SENTINEL_K_G}");
        run(
            a,
            &with(&sim_secrets, json!({"k_g": long, "power_pass": PASSWORD})),
        )
    });
    // Wrong credentials: the K_g key is rejected, then the password.
    all("wrong password", &|a| run(a, &sim_secrets));
    // A K_g key dropped, the action then succeeds (a warning on stderr).
    all("k_g dropped", &|a| {
        run(a, &with(&sim_secrets, json!({"power_pass": PASSWORD})))
    });
    // The BMC reached, the action failed.
    all("action failure", &|a| {
        let p = json!({"power_pass": PASSWORD, "cipher_suite_id": "17"});
        run(a, &with(&sim_secrets, p))
    });
    // No BMC address in the ARP table.
    all("unknown MAC", &|a| {
        let p = json!({"power_address": "", "mac_address": "02:00:5e:00:53:fe"});
        run(a, &with(&secrets, p))
    });
    // No FreeIPMI.
    all("tool missing", &|a| {
        run_with_path(
            OsStr::new("/nonexistent"),
            a,
            &with(&sim_secrets, json!({})),
        )
    });
    // Tools that print their whole command line, password and key included, in every
    // failure: the driver must blot them out of what it quotes.
    let echo = "echo \"10.0.0.5: $*\"; echo \"$*\" >&2";
    for (case, ipmipower, chassis) in [
        (
            "echoing failure",
            format!("{echo}; exit 1"),
            format!("{echo}; exit 1"),
        ),
        (
            "echoing answer",
            format!("{echo}; exit 0"),
            format!("{echo}; exit 0"),
        ),
        (
            "echoing stderr",
            "echo \"$*\" >&2; exit 1".to_owned(),
            "exit 0".to_owned(),
        ),
    ] {
        let tools = FakeTools::new(&ipmipower, &chassis);
        let parameters = with(&json!({"power_address": "10.0.0.5"}), secrets.clone());
        all(case, &|a| tools.run(a, &parameters));
    }

    cases.extend(dead_port.join().expect("the dead-port runs"));
    for (case, out) in &cases {
        assert_no_sentinel(out, case);
        assert!(out.status == 0 || out.status == 1, "{case}: {out:?}");
        if *case != "k_g dropped" {
            assert_eq!(out.status, 1, "{case}: {out:?}");
        }
    }
}

/// No secret on any process's command line: the FreeIPMI tools get the password and the
/// K_g key at their prompts, on their standard input, in every action against a real
/// BMC (the simulator) and against one that refuses them.
#[test]
fn no_secret_is_ever_on_a_command_line() {
    if !peers::available(PEERS) {
        return;
    }
    // The scanner sees a short-lived process's arguments: a check that the test can fail.
    let (seen, _) = cmdline::scan_while(&["maaspd-scan-self-check"], || {
        let _ = Command::new("sh")
            .args(["-c", "sleep 0.2", "maaspd-scan-self-check"])
            .status();
    });
    assert!(!seen.is_empty(), "the scanner missed a process's arguments");

    let sim = IpmiSim::start();
    let good = sim_parameters(&sim);
    let refused = with(
        &good,
        json!({"power_pass": SENTINEL_PASSWORD, "k_g": SENTINEL_K_G}),
    );
    let (seen, passes) = cmdline::scan_while(&[PASSWORD, SENTINEL_PASSWORD, SENTINEL_K_G], || {
        for action in [
            "power_on",
            "power_query",
            "power_off",
            "power_cycle",
            "power_reset",
        ] {
            assert_ok(&run(action, &good));
            let _ = run(action, &refused);
        }
    });
    assert!(passes > 10, "only {passes} scans");
    // The simulator's own configuration holds the password in a file, not its command
    // line; any process with a secret in its arguments is a leak.
    assert!(
        seen.is_empty(),
        "secrets on command lines: {:?}",
        &seen[..seen.len().min(5)]
    );
}
