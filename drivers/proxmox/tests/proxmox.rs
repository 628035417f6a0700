//! The Proxmox driver (`maaspd-proxmox`), run as MAAS runs it, against fakepve, a fake
//! of PVE's REST API from PyPI, over HTTPS with its own self-signed certificate
//! (`tests/support/fakepve.rs`). Each test has a fakepve of its own, so that the VMs it
//! switches are its alone.

#[path = "../../../tests/support/cmdline.rs"]
mod cmdline;
#[path = "../../../tests/support/fakepve.rs"]
mod fakepve;
#[path = "../../../tests/support/outcome.rs"]
mod outcome;
#[path = "../../../tests/support/peers.rs"]
mod peers;
#[path = "../../../tests/support/scratch.rs"]
mod scratch;
#[path = "../../../tests/support/mod.rs"]
mod support;

use std::ffi::OsStr;
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use fakepve::{FakePve, PASSWORD, TOKEN_NAME, TOKEN_SECRET, USER};
use outcome::Outcome;
use peers::Peer;
use serde_json::{Value, json};

const SENTINEL: &str = "Sentinel-Pa55-7d1e04";

fn driver() -> PathBuf {
    support::example("proxmox")
}

fn run_with(action: &str, parameters: &Value, env: &[(&str, &str)]) -> Outcome {
    let input = json!({"driverParameters": parameters}).to_string();
    // Verification is against the system's CA certificates unless a test names a file.
    let mut variables: Vec<(&str, Option<&OsStr>)> =
        vec![("SSL_CERT_FILE", None), ("SSL_CERT_DIR", None)];
    variables.extend(
        env.iter()
            .map(|(name, value)| (*name, Some(OsStr::new(value)))),
    );
    let run = support::run_with_env(&driver(), &[action], input.as_bytes(), &variables);
    Outcome::read(run)
}

fn run(action: &str, parameters: &Value) -> Outcome {
    run_with(action, parameters, &[])
}

/// A ticket login with the password.
fn with_password(pve: &FakePve, vm: &str) -> Value {
    json!({"power_address": pve.address(), "power_user": USER, "power_pass": PASSWORD,
           "power_vm_name": vm})
}

/// The API token, its name without the user as operators often give it.
fn with_token(pve: &FakePve, vm: &str) -> Value {
    json!({"power_address": pve.address(), "power_user": USER,
           "power_token_name": TOKEN_NAME, "power_token_secret": TOKEN_SECRET,
           "power_vm_name": vm})
}

fn dead_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn metadata_and_schema_are_maas_proxmox_driver() {
    let out = support::run(&driver(), &["metadata"], b"");
    assert_eq!(out.status, 0, "{out:?}");
    let metadata: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(metadata["name"], "proxmox");
    assert_eq!(metadata["description"], "Proxmox");
    assert_eq!(
        metadata["capabilities"],
        json!({"can_probe": true, "can_set_boot_order": false, "chassis": true,
               "queryable": true})
    );
    assert_eq!(metadata["ip_extractor"]["field_name"], "power_address");
    let settings: Vec<(&str, &str, &str, &str, bool, bool)> = metadata["settings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap(),
                s["label"].as_str().unwrap(),
                s["field_type"].as_str().unwrap(),
                s["scope"].as_str().unwrap(),
                s["required"].as_bool().unwrap(),
                s["secret"].as_bool().unwrap(),
            )
        })
        .collect();
    // MAAS's settings, in MAAS's order, with its labels, types, scopes and flags.
    assert_eq!(
        settings,
        [
            (
                "power_address",
                "Proxmox host name or IP",
                "string",
                "bmc",
                true,
                false
            ),
            (
                "power_user",
                "Proxmox username, including realm",
                "string",
                "bmc",
                true,
                false
            ),
            (
                "power_pass",
                "Proxmox password, required if a token name and secret aren't given",
                "password",
                "bmc",
                false,
                true
            ),
            (
                "power_token_name",
                "Proxmox API token name",
                "string",
                "bmc",
                false,
                false
            ),
            (
                "power_token_secret",
                "Proxmox API token secret",
                "password",
                "bmc",
                false,
                true
            ),
            ("power_vm_name", "Node ID", "string", "node", true, false),
            (
                "power_verify_ssl",
                "Verify SSL connections with system CA certificates",
                "choice",
                "bmc",
                true,
                false
            ),
        ]
    );
    let verify = &metadata["settings"][6];
    assert_eq!(verify["default"], "n");
    assert_eq!(verify["choices"], json!([["n", "No"], ["y", "Yes"]]));

    let out = support::run(&driver(), &["schema"], b"");
    let schema: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(schema["properties"]["power_pass"]["writeOnly"], true);
    assert_eq!(
        schema["properties"]["power_token_secret"]["writeOnly"],
        true
    );
}

#[test]
fn a_ticket_login_switches_a_vm_found_by_name() {
    if !peers::available(&[Peer::FakePve]) {
        return;
    }
    let pve = FakePve::start();
    let db = with_password(&pve, "db");
    assert_eq!(run("power_query", &db).state(), "off");
    run("power_on", &db).ok();
    assert_eq!(pve.status(101), "running");
    assert_eq!(run("power_query", &db).state(), "on");
    // Already on: nothing started again.
    run("power_on", &db).ok();
    assert_eq!(
        pve.requests("POST /api2/json/nodes/pve1/qemu/101/status/start"),
        1
    );
    run("power_off", &db).ok();
    assert_eq!(pve.status(101), "stopped");
    assert_eq!(run("power_query", &db).state(), "off");
    run("power_off", &db).ok();
    assert_eq!(
        pve.requests("POST /api2/json/nodes/pve1/qemu/101/status/stop"),
        1
    );
    // Each call logs in: a ticket, then its cookie and CSRF token, which fakepve checks
    // on every POST (a missing or wrong one is its 401).
    assert!(pve.requests("POST /api2/json/access/ticket HTTP/1.1\" 200") >= 6);
    assert_eq!(pve.requests("\" 401 "), 0, "{}", pve.log());
}

#[test]
fn an_api_token_switches_a_vm_found_by_id() {
    if !peers::available(&[Peer::FakePve]) {
        return;
    }
    let pve = FakePve::start();
    let web = with_token(&pve, "100");
    assert_eq!(run("power_query", &web).state(), "on");
    run("power_off", &web).ok();
    assert_eq!(pve.status(100), "stopped");
    // The token's full id (user!name) works as well as its name alone.
    let mut full_id = web.clone();
    full_id["power_token_name"] = json!(format!("{USER}!{TOKEN_NAME}"));
    run("power_on", &full_id).ok();
    assert_eq!(pve.status(100), "running");
    assert_eq!(run("power_query", &full_id).state(), "on");
    // No login: the token goes with every request.
    assert_eq!(pve.requests("/access/ticket"), 0, "{}", pve.log());
}

/// A cycle and a reset (maaspd's cycle: MAAS's driver has no reset) of a running VM:
/// off, then on, each confirmed.
#[test]
fn cycle_and_reset_switch_off_then_on() {
    if !peers::available(&[Peer::FakePve]) {
        return;
    }
    let pve = FakePve::start();
    let spare = with_password(&pve, "spare");
    let switches = |verb: &str| pve.requests(&format!("qemu/105/status/{verb} HTTP/1.1\" 200"));
    run("power_cycle", &spare).ok();
    assert_eq!(pve.status(105), "running");
    assert_eq!((switches("stop"), switches("start")), (1, 1));
    run("power_reset", &with_token(&pve, "105")).ok();
    assert_eq!(pve.status(105), "running");
    assert_eq!((switches("stop"), switches("start")), (2, 2));
    // A cycle of a VM that is off only starts it.
    run("power_cycle", &with_token(&pve, "db")).ok();
    assert_eq!(pve.status(101), "running");
    assert_eq!(pve.requests("qemu/101/status/stop"), 0);
}

#[test]
fn a_start_task_is_waited_for() {
    if !peers::available(&[Peer::FakePve]) {
        return;
    }
    let pve = FakePve::start();
    let slow = with_token(&pve, "slow");
    let started = Instant::now();
    run("power_on", &slow).ok();
    // The task takes 2 s; the driver looked at it until it had stopped.
    assert!(
        started.elapsed() >= Duration::from_millis(1800),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(pve.status(102), "running");
    assert!(
        pve.requests("GET /api2/json/nodes/pve1/tasks/UPID:pve1:") >= 2,
        "{}",
        pve.log()
    );
}

#[test]
fn a_failed_start_task_is_an_action_error() {
    if !peers::available(&[Peer::FakePve]) {
        return;
    }
    let pve = FakePve::start();
    run("power_on", &with_password(&pve, "broken")).error(
        "actionError",
        &[
            "the start task of VM 103 (broken) on pve1 failed",
            fakepve::START_ERROR,
        ],
    );
    assert_eq!(pve.status(103), "stopped");
}

#[test]
fn probe_lists_every_vm_with_its_mac_and_arch() {
    if !peers::available(&[Peer::FakePve]) {
        return;
    }
    let pve = FakePve::start();
    let mut chassis = with_password(&pve, "");
    chassis.as_object_mut().unwrap().remove("power_vm_name");
    let out = run("probe", &chassis);
    assert_eq!(out.ok()["data"]["hosts"], pve.probed_hosts(&chassis));
    assert!(
        out.stderr
            .contains("warning: VM 104 (nonet) on pve1 has no network interface"),
        "{}",
        out.stderr
    );
    // With the token too; probing switches nothing.
    let mut chassis = with_token(&pve, "");
    chassis.as_object_mut().unwrap().remove("power_vm_name");
    assert_eq!(
        run("probe", &chassis).ok()["data"]["hosts"],
        pve.probed_hosts(&chassis)
    );
    assert_eq!(pve.status(100), "running");
    assert_eq!(pve.requests("/status/"), 0);
}

#[test]
fn wrong_password_and_wrong_token_are_auth_errors() {
    if !peers::available(&[Peer::FakePve]) {
        return;
    }
    let pve = FakePve::start();
    let mut wrong = with_password(&pve, "db");
    wrong["power_pass"] = json!("wrong");
    for action in ["power_query", "power_on", "power_off", "probe"] {
        run(action, &wrong).error(
            "authError",
            &[
                "POST",
                "/api2/json/access/ticket",
                "status code: 401",
                "(authentication failure)",
                "check power_user and power_pass",
            ],
        );
    }
    let mut nobody = with_password(&pve, "db");
    nobody["power_user"] = json!("nobody@pve");
    run("power_query", &nobody).error("authError", &["401"]);

    let mut wrong = with_token(&pve, "db");
    wrong["power_token_secret"] = json!("00000000-0000-0000-0000-000000000000");
    for action in ["power_query", "power_on", "probe"] {
        run(action, &wrong).error(
            "authError",
            &[
                "GET",
                "/api2/json/cluster/resources",
                "status code: 401",
                "check power_user, power_token_name and power_token_secret",
            ],
        );
    }
    let mut other_name = with_token(&pve, "db");
    other_name["power_token_name"] = json!("other");
    run("power_query", &other_name).error("authError", &["401"]);
    assert_eq!(pve.status(101), "stopped");
}

#[test]
fn a_dead_port_is_a_conn_error() {
    let address = format!("127.0.0.1:{}", dead_port());
    let parameters = json!({"power_address": address, "power_user": USER,
                            "power_pass": PASSWORD, "power_vm_name": "100"});
    for action in ["power_query", "power_on", "probe"] {
        run(action, &parameters).error(
            "connError",
            &[
                &format!("POST https://{address}/api2/json/access/ticket"),
                "cannot reach the Proxmox host",
                "refused",
            ],
        );
    }
}

#[test]
fn an_unknown_vm_is_an_action_error() {
    if !peers::available(&[Peer::FakePve]) {
        return;
    }
    let pve = FakePve::start();
    for action in ["power_query", "power_on", "power_off"] {
        run(action, &with_password(&pve, "nosuch")).error(
            "actionError",
            &[
                "Unable to find virtual machine \"nosuch\" (power_vm_name)",
                "6 VMs",
            ],
        );
    }
    run("power_query", &with_token(&pve, "999")).error("actionError", &["\"999\""]);
}

#[test]
fn the_certificate_is_verified_only_when_asked() {
    if !peers::available(&[Peer::FakePve]) {
        return;
    }
    let pve = FakePve::start();
    // MAAS's default: the self-signed certificate accepted; https:// added, any path
    // replaced by /api2/json.
    let mut bare = with_token(&pve, "db");
    bare["power_address"] = json!(format!("127.0.0.1:{}", pve.port()));
    assert_eq!(run("power_query", &bare).state(), "off");
    bare["power_address"] = json!(format!("{}/some/path", pve.address()));
    assert_eq!(run("power_query", &bare).state(), "off");

    let mut verify = with_password(&pve, "db");
    verify["power_verify_ssl"] = json!("y");
    run("power_query", &verify).error(
        "connError",
        &[
            "TLS certificate was refused",
            "UnknownIssuer",
            "power_verify_ssl",
        ],
    );
    // Trusted through SSL_CERT_FILE: fakepve's certificate is its own CA.
    let cert = pve.cert_path();
    let env = [("SSL_CERT_FILE", cert.to_str().unwrap())];
    assert_eq!(run_with("power_query", &verify, &env).state(), "off");
    // Plain HTTP to its TLS port.
    let mut http = with_password(&pve, "db");
    http["power_address"] = json!(format!("http://127.0.0.1:{}", pve.port()));
    run("power_query", &http).error("connError", &["cannot"]);
}

#[test]
fn bad_settings_are_settings_errors_naming_the_setting() {
    let base = json!({"power_address": "pve", "power_user": USER, "power_pass": PASSWORD,
                      "power_vm_name": "100"});
    let with = |key: &str, value: Value| {
        let mut parameters = base.clone();
        parameters[key] = value;
        parameters
    };
    let cases = [
        (with("power_address", json!("ftp://pve")), "power_address"),
        (with("power_address", json!("")), "power_address"),
        (with("power_user", json!("")), "power_user"),
        (with("power_vm_name", json!("")), "power_vm_name"),
        (with("power_pass", json!("")), "power_pass"),
        (
            with("power_token_name", json!("maas")),
            "power_token_secret",
        ),
        (with("power_verify_ssl", json!("maybe")), "power_verify_ssl"),
        (
            json!({"power_address": "pve", "power_user": USER, "power_pass": PASSWORD}),
            "power_vm_name",
        ),
    ];
    for (parameters, setting) in cases {
        run("power_query", &parameters).error("settingsError", &[setting]);
    }
}

/// A sentinel password and token secret through every error path: never in stdout or
/// stderr, nor on any process's command line (fakepve's included) while it all runs.
#[test]
fn secrets_never_show() {
    if !peers::available(&[Peer::FakePve]) {
        return;
    }
    let pve = FakePve::start();
    let sentinel_pass = |vm: &str| {
        let mut parameters = with_password(&pve, vm);
        parameters["power_pass"] = json!(SENTINEL);
        parameters
    };
    let sentinel_token = |vm: &str| {
        let mut parameters = with_token(&pve, vm);
        parameters["power_token_secret"] = json!(SENTINEL);
        parameters
    };
    let mut dead = sentinel_pass("100");
    dead["power_address"] = json!(format!("127.0.0.1:{}", dead_port()));
    let mut dead_token = sentinel_token("100");
    dead_token["power_address"] = dead["power_address"].clone();
    let mut verify = sentinel_pass("100");
    verify["power_verify_ssl"] = json!("y");
    let mut bad_choice = sentinel_pass("100");
    bad_choice["power_verify_ssl"] = json!("maybe");
    let mut no_vm = sentinel_pass("");
    no_vm["power_vm_name"] = json!("");
    let mut in_address = sentinel_pass("100");
    in_address["power_address"] = json!(format!("https://root:{SENTINEL}@pve"));
    let mut unsendable = sentinel_token("100");
    unsendable["power_token_secret"] = json!(format!("{SENTINEL}\n"));
    // The right password, and a wrong token secret: the password goes nowhere.
    let mut both = sentinel_token("100");
    both["power_pass"] = json!(PASSWORD);
    let cases = [
        ("power_query", sentinel_pass("100"), "authError"),
        ("power_on", sentinel_pass("db"), "authError"),
        ("probe", sentinel_pass(""), "authError"),
        ("power_cycle", sentinel_pass("db"), "authError"),
        ("power_query", sentinel_token("100"), "authError"),
        ("power_off", sentinel_token("100"), "authError"),
        ("probe", sentinel_token(""), "authError"),
        ("power_reset", sentinel_token("100"), "authError"),
        ("power_query", both, "authError"),
        ("power_off", dead, "connError"),
        ("power_query", dead_token, "connError"),
        ("power_query", verify, "connError"),
        ("power_query", bad_choice, "settingsError"),
        ("power_query", no_vm, "settingsError"),
        ("power_query", in_address, "settingsError"),
        ("power_query", unsendable, "settingsError"),
    ];
    let (seen, scans) = cmdline::scan_while(&[SENTINEL, PASSWORD, TOKEN_SECRET], || {
        for (action, parameters, code) in &cases {
            let out = run(action, parameters);
            assert_eq!(
                out.document["error"]["code"], *code,
                "{parameters}: {out:#?}"
            );
            assert!(
                !out.stdout.contains(SENTINEL) && !out.stderr.contains(SENTINEL),
                "a secret shows for {action} {parameters}: {out:#?}"
            );
        }
        // The real password and token, through a failing start and an unknown VM.
        for parameters in [with_password(&pve, "broken"), with_token(&pve, "nosuch")] {
            let out = run("power_on", &parameters);
            assert_eq!(out.document["error"]["code"], "actionError", "{out:#?}");
            for secret in [PASSWORD, TOKEN_SECRET] {
                assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret));
            }
        }
    });
    assert!(scans > 0);
    assert_eq!(seen, Vec::<Vec<String>>::new(), "secrets on command lines");
    assert!(!pve.log().contains(SENTINEL) && !pve.log().contains(PASSWORD));
}
