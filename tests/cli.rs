//! The one-shot CLI protocol, run as MAAS runs it: the built example binaries, their
//! exact stdout, stderr and exit status for every action and every bad input.

mod support;

use std::os::unix::net::UnixListener;
use std::path::PathBuf;

use support::{Run, example, run};

fn abstract_driver() -> PathBuf {
    example("abstract")
}

fn chassis() -> PathBuf {
    example("fixture-chassis")
}

/// The document of a failed action, as the protocol prints it; `message` is JSON-escaped.
fn error_document(action: &str, code: &str, message: &str) -> String {
    format!(
        "{{\n    \"action_type\": \"{action}\",\n    \"error\": {{\n        \"code\": \"{code}\",\n        \"message\": \"{message}\"\n    }}\n}}\n"
    )
}

fn assert_run(run: Run, status: i32, stdout: &str, stderr: &str) {
    assert_eq!(run.stdout, stdout, "stdout; stderr was {:?}", run.stderr);
    assert_eq!(run.stderr, stderr, "stderr");
    assert_eq!(run.status, status, "exit status");
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("maaspd-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const EMPTY_PARAMETERS: &[u8] = br#"{"driverParameters": {}}"#;

#[test]
fn actions_without_data_succeed() {
    for action in ["power_on", "power_off", "power_cycle", "power_reset"] {
        assert_run(
            run(&abstract_driver(), &[action], EMPTY_PARAMETERS),
            0,
            &format!("{{\n    \"action_type\": \"{action}\",\n    \"error\": null\n}}\n"),
            "",
        );
    }
}

#[test]
fn power_query_reports_the_state() {
    assert_run(
        run(&abstract_driver(), &["power_query", "-"], EMPTY_PARAMETERS),
        0,
        "{\n    \"action_type\": \"power_query\",\n    \"data\": {\n        \"status\": \"off\"\n    },\n    \"error\": null\n}\n",
        "",
    );
}

#[test]
fn input_can_be_a_file() {
    let dir = temp_dir("file");
    let input = dir.join("input.json");
    std::fs::write(&input, EMPTY_PARAMETERS).unwrap();
    let out = run(
        &abstract_driver(),
        &["power_query", input.to_str().unwrap()],
        b"",
    );
    assert_eq!(out.status, 0, "{out:?}");
    assert!(out.stdout.contains("\"status\": \"off\""), "{out:?}");
}

#[test]
fn undeclared_actions_are_refused_before_reading_input() {
    for action in ["probe", "set_boot_order"] {
        let message = format!("\\\"{action}\\\" action is not supported for this power driver");
        let expected = error_document(action, "unsupportedActionError", &message);
        // No input at all, and an input path that does not exist: neither is read.
        assert_run(run(&abstract_driver(), &[action], b""), 1, &expected, "");
        assert_run(
            run(
                &abstract_driver(),
                &[action, "/nonexistent/input.json"],
                b"",
            ),
            1,
            &expected,
            "",
        );
    }
}

#[test]
fn unknown_parameters_are_named_in_warnings() {
    let input = br#"{"driverParameters": {"system_id": "xyz123", "power_address": "10.0.0.1"}}"#;
    assert_run(
        run(&abstract_driver(), &["power_on"], input),
        0,
        "{\n    \"action_type\": \"power_on\",\n    \"error\": null\n}\n",
        // Not system_id, which MAAS adds to every driver's parameters.
        "warning: ignoring unknown driver parameter `driverParameters.power_address`\n",
    );
}

#[test]
fn bad_documents_are_settings_errors() {
    let cases: [(&[u8], &str); 7] = [
        (
            b"",
            "input is empty: expected a JSON object with `driverParameters`",
        ),
        (
            b" \n\t",
            "input is empty: expected a JSON object with `driverParameters`",
        ),
        (
            b"{\"driverParameters\": \xff}",
            "input is not valid UTF-8: invalid utf-8 sequence of 1 bytes from index 21",
        ),
        (
            b"{\"driverParameters\": ",
            "input is not valid JSON: EOF while parsing a value at line 1 column 21",
        ),
        (
            b"[1, 2]",
            "input must be a JSON object with `driverParameters`, found an array",
        ),
        (
            b"{\"devices\": []}",
            "input has no `driverParameters` object",
        ),
        (
            b"{\"driverParameters\": [\"power_address\"]}",
            "`driverParameters` must be an object, found an array",
        ),
    ];
    for (input, message) in cases {
        assert_run(
            run(&abstract_driver(), &["power_on"], input),
            1,
            &error_document("power_on", "settingsError", message),
            "",
        );
    }
}

#[test]
fn unreadable_input_paths_are_settings_errors() {
    let dir = temp_dir("paths");
    let file = dir.join("file.json");
    std::fs::write(&file, EMPTY_PARAMETERS).unwrap();
    // A socket exists but cannot be opened for reading, even by root.
    let socket = dir.join("socket");
    let _listener = UnixListener::bind(&socket).unwrap();
    let cases = [
        (
            dir.join("missing.json"),
            "No such file or directory (os error 2)",
        ),
        (dir.clone(), "Is a directory (os error 21)"),
        (file.join("below-a-file"), "Not a directory (os error 20)"),
        (socket, "No such device or address (os error 6)"),
    ];
    for (path, reason) in cases {
        let path = path.to_str().unwrap();
        let message = format!("cannot read input file {path}: {reason}");
        assert_run(
            run(&abstract_driver(), &["power_query", path], b""),
            1,
            &error_document("power_query", "settingsError", &message),
            "",
        );
    }
}

#[test]
fn parameter_errors_name_the_field() {
    let cases: [(&[u8], &str); 4] = [
        (
            br#"{"driverParameters": {}}"#,
            "driverParameters: missing field `machines`",
        ),
        (
            br#"{"driverParameters": {"machines": "two"}}"#,
            "driverParameters.machines: invalid type: string \\\"two\\\", expected u8",
        ),
        (
            br#"{"driverParameters": {"machines": 2, "fail": 5}}"#,
            "driverParameters.fail: invalid type: integer `5`, expected a string",
        ),
        // The fixture opts into strictness with #[serde(deny_unknown_fields)].
        (
            br#"{"driverParameters": {"machines": 2, "power_address": "x"}}"#,
            "driverParameters.power_address: unknown field `power_address`, expected one of `machines`, `fail`, `fail_code`, `panic`, `delay_ms`, `until_cancelled`, `hang`, `power_pass`, `system_id`",
        ),
    ];
    for (input, message) in cases {
        assert_run(
            run(&chassis(), &["power_query"], input),
            1,
            &error_document("power_query", "settingsError", message),
            "",
        );
    }
}

/// Parameters as MAAS stores them: numbers and booleans as strings, `""` for unset.
#[test]
fn parameters_are_read_as_maas_stores_them() {
    let input = br#"{"driverParameters": {"machines": "2", "delay_ms": "", "panic": "False",
                     "power_pass": "", "system_id": "node-1"}}"#;
    assert_run(
        run(&chassis(), &["power_query"], input),
        0,
        "{\n    \"action_type\": \"power_query\",\n    \"data\": {\n        \"status\": \"unknown\"\n    },\n    \"error\": null\n}\n",
        "",
    );
    for (input, message) in [
        (
            &br#"{"driverParameters": {"machines": ""}}"#[..],
            "driverParameters.machines: is empty, and this setting is required",
        ),
        (
            br#"{"driverParameters": {"machines": "2", "delay_ms": "soon"}}"#,
            "driverParameters.delay_ms: invalid type: string \\\"soon\\\", expected u64",
        ),
    ] {
        assert_run(
            run(&chassis(), &["power_query"], input),
            1,
            &error_document("power_query", "settingsError", message),
            "",
        );
    }
}

#[test]
fn constructor_rejects_settings() {
    assert_run(
        run(
            &chassis(),
            &["power_on"],
            br#"{"driverParameters": {"machines": 0}}"#,
        ),
        1,
        &error_document(
            "power_on",
            "settingsError",
            "driverParameters.machines: a chassis holds at least one machine",
        ),
        "",
    );
}

#[test]
fn driver_errors_reach_the_document() {
    let input = br#"{"driverParameters": {"machines": 1, "fail": "BMC said no"}}"#;
    for action in [
        "power_on",
        "power_off",
        "power_query",
        "power_cycle",
        "power_reset",
        "probe",
    ] {
        assert_run(
            run(&chassis(), &[action], input),
            1,
            &error_document(action, "actionError", "BMC said no"),
            "",
        );
    }
}

#[test]
fn panics_become_fatal_errors_without_backtrace() {
    let input = br#"{"driverParameters": {"machines": 1, "panic": true}}"#;
    let out = run(&chassis(), &["power_query"], input);
    assert_eq!(out.status, 1);
    assert_eq!(out.stderr, "", "no panic message or backtrace on stderr");
    assert!(
        out.stdout.starts_with(
            "{\n    \"action_type\": \"power_query\",\n    \"error\": {\n        \"code\": \"fatalError\",\n        \"message\": \"the driver panicked at tests/fixtures/chassis.rs:"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.ends_with(": asked to panic\"\n    }\n}\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn probe_lists_hosts() {
    assert_run(
        run(
            &chassis(),
            &["probe"],
            br#"{"driverParameters": {"machines": 2}}"#,
        ),
        0,
        r#"{
    "action_type": "probe",
    "data": {
        "hosts": [
            {
                "arch": "arm64/generic",
                "driver_name": "chassis",
                "driver_parameters": {
                    "slot": 1
                },
                "hostname": "node-1",
                "mac": "52:54:00:00:00:01"
            },
            {
                "arch": "arm64/generic",
                "driver_name": "chassis",
                "driver_parameters": {
                    "slot": 2
                },
                "hostname": "node-2",
                "mac": "52:54:00:00:00:02"
            }
        ]
    },
    "error": null
}
"#,
        "",
    );
}

#[test]
fn set_boot_order_receives_the_devices_in_order() {
    let input = br#"{"driverParameters": {"machines": 1}, "devices": [
        {"deviceType": "StorageDevice", "properties": {"serial": "S3Z9NB0K"}},
        {"deviceType": "NetworkInterface", "properties": {"mac": "52:54:00:12:34:56"}}
    ]}"#;
    assert_run(
        run(&chassis(), &["set_boot_order"], input),
        0,
        "{\n    \"action_type\": \"set_boot_order\",\n    \"error\": null\n}\n",
        "boot order: storage serial=S3Z9NB0K, network 52:54:00:12:34:56\n",
    );
}

/// `devices` as MAAS's agent sends `order`: JSON-encoded database rows (a block device
/// without `serial`, an interface), then the spec's classes.
#[test]
fn set_boot_order_reads_maas_rows_and_classes() {
    let disk = r#"{"id": 12, "created": "2026-01-05 10:11:12.123456+00:00", "name": "sda", "id_path": "/dev/disk/by-id/ata-QEMU_HARDDISK_QM00001", "size": 8589934592, "block_size": 512, "tags": ["rotary"], "node_config_id": 3}"#;
    let nic = r#"{"id": 5, "name": "eth0", "type": "physical", "mac_address": "52:54:00:12:34:56", "params": {}, "enabled": true, "links": [{"ip": "10.0.0.5"}]}"#;
    let input = serde_json::json!({
        "driverParameters": {"machines": "1", "system_id": "node-1"},
        "devices": [nic, disk, "network", "disk"],
    });
    assert_run(
        run(
            &chassis(),
            &["set_boot_order"],
            input.to_string().as_bytes(),
        ),
        0,
        "{\n    \"action_type\": \"set_boot_order\",\n    \"error\": null\n}\n",
        "boot order: network 52:54:00:12:34:56, storage \
         id_path=/dev/disk/by-id/ata-QEMU_HARDDISK_QM00001 name=sda, any network, any storage\n",
    );
}

#[test]
fn malformed_devices_are_fatal_errors() {
    let cases: [(&[u8], &str); 6] = [
        (
            br#"{"driverParameters": {"machines": 1}}"#,
            "input has no `devices`: set_boot_order needs the boot order as a list",
        ),
        (
            br#"{"driverParameters": {"machines": 1}, "devices": "pxe"}"#,
            "devices: expected the boot order as a list, found a string",
        ),
        (
            br#"{"driverParameters": {"machines": 1}, "devices": [{"deviceType": "Floppy", "properties": {}}]}"#,
            "devices[0]: unknown `deviceType` \\\"Floppy\\\": expected `NetworkInterface` or `StorageDevice`",
        ),
        (
            br#"{"driverParameters": {"machines": 1}, "devices": [{"deviceType": "StorageDevice", "properties": {"mac": "x"}}]}"#,
            "devices[0]: a `StorageDevice` needs `properties.serial`, `properties.id_path` or `properties.name`",
        ),
        (
            br#"{"driverParameters": {"machines": 1}, "devices": ["network", "pxe"]}"#,
            "devices[1]: a string that is neither \\\"network\\\", \\\"disk\\\" nor a JSON-encoded device row",
        ),
        (
            br#"{"driverParameters": {"machines": 1}, "devices": ["disk", "disk", "{\"id\": 3, \"size\": 1"]}"#,
            "devices[2]: the JSON-encoded row is not valid JSON: EOF while parsing an object at line 1 column 19",
        ),
    ];
    for (input, message) in cases {
        assert_run(
            run(&chassis(), &["set_boot_order"], input),
            1,
            &error_document("set_boot_order", "fatalError", message),
            "",
        );
    }
}

#[test]
fn help_describes_the_driver() {
    let out = run(&abstract_driver(), &["--help"], b"");
    assert_eq!(out.status, 0);
    assert_eq!(
        out.stdout,
        "Concrete Abstract power driver — A power driver used in MAAS

Usage: abstract [OPTIONS] <COMMAND>

Commands:
  schema          Print the JSON Schema of the driver parameters
  metadata        Print the driver's description in MAAS's form
  power_on        Send power on command to the machine
  power_off       Send power off command to the machine
  power_query     Query machine power state
  power_cycle     Switch the machine off if it is on, then on
  power_reset     Reset the machine (a power cycle unless the driver has its own reset)
  probe           Probe chassis for a list of controlled machines (Not supported by this driver)
  set_boot_order  Reorder boot sources (Not supported by this driver)
  serve           Serve MAAS's power-driver protocol over HTTP on a UNIX socket, until SIGTERM

Options:
  -v, --verbose...  Log what happens to stderr (-vv: detail, -vvv: the libraries' too, -vvvv: all); never a parameter's value
  -h, --help        Print help
  -V, --version     Print version
"
    );
    let out = run(&chassis(), &["--help"], b"");
    assert!(!out.stdout.contains("Not supported"), "{}", out.stdout);
}

#[test]
fn version_is_the_driver_crate_version() {
    let out = run(&abstract_driver(), &["--version"], b"");
    assert_eq!(out.status, 0);
    assert_eq!(
        out.stdout,
        format!("abstract {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2_with_no_document() {
    for args in [
        &[][..],
        &["reboot"],
        &["power_on", "a.json", "b.json"],
        &["--bogus"],
    ] {
        let out = run(&abstract_driver(), args, b"");
        assert_eq!(out.status, 2, "{args:?}: {out:?}");
        assert_eq!(out.stdout, "", "{args:?}");
        assert!(
            out.stderr.contains("Usage: abstract"),
            "{args:?}: {}",
            out.stderr
        );
    }
}

#[test]
fn timeout_gives_conn_error_without_waiting_for_the_action() {
    let input = br#"{"driverParameters": {"machines": 1, "delay_ms": 5000}}"#;
    let started = std::time::Instant::now();
    let out = run(&chassis(), &["power_query", "--timeout", "0.5"], input);
    assert_run(
        out,
        1,
        &error_document("power_query", "connError", "timed out after 0.5 s"),
        "",
    );
    // Not a speed test: only that the 5 s action was abandoned, not waited for.
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    // An action within its deadline is unaffected.
    let input = br#"{"driverParameters": {"machines": 1}}"#;
    let out = run(&chassis(), &["power_on", "--timeout", "10"], input);
    assert_eq!(out.status, 0, "{out:?}");
    let out = run(&chassis(), &["power_on", "--timeout", "0"], input);
    assert_eq!(out.status, 2, "a non-positive timeout is a usage error");
}

/// `--timeout` reaches the driver's context, and the driver's log lines name the action
/// and the machine.
#[test]
fn the_context_has_the_deadline_and_tags_the_drivers_log() {
    let input = br#"{"driverParameters": {"machines": 1, "system_id": "node-3"}}"#;
    let tagged = "fixture-chassis: info: power_query system_id=node-3: ";
    let out = run(&chassis(), &["-v", "power_query", "--timeout", "2"], input);
    assert_eq!(out.status, 0, "{out:?}");
    let left_ms: u64 = out
        .stderr
        .lines()
        .find_map(|line| line.strip_prefix(tagged)?.strip_prefix("time left: "))
        .and_then(|left| left.strip_suffix(" ms")?.parse().ok())
        .unwrap_or_else(|| panic!("no tagged time left in {:?}", out.stderr));
    assert!((1..=2000).contains(&left_ms), "{left_ms} ms left of 2 s");
    // The runtime's own lines are not the driver's: untagged.
    assert!(
        out.stderr
            .contains("fixture-chassis: info: power_query: fixture-chassis 0.1.0\n"),
        "{}",
        out.stderr
    );

    let out = run(&chassis(), &["-v", "power_query"], input);
    assert!(
        out.stderr.contains(&format!("{tagged}no deadline\n")),
        "{}",
        out.stderr
    );
    // No machine in the parameters: the action alone.
    let input = br#"{"driverParameters": {"machines": 1}}"#;
    let out = run(&chassis(), &["-v", "power_query"], input);
    assert!(
        out.stderr
            .contains("fixture-chassis: info: power_query: no deadline\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn verbose_logs_to_stderr_never_a_secret() {
    const SENTINEL: &str = "SENTINEL-pw-4711";
    let input = format!(
        r#"{{"driverParameters": {{"machines": 1, "power_pass": "{SENTINEL}", "fail": "no"}}}}"#
    );
    let quiet = run(&chassis(), &["power_on"], input.as_bytes());
    assert_eq!(quiet.stderr, "");
    let out = run(&chassis(), &["-vv", "power_on"], input.as_bytes());
    assert_eq!(out.status, 1);
    assert!(
        out.stderr
            .contains("fixture-chassis: info: power_on: fixture-chassis 0.1.0\n"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("fixture-chassis: debug: read "),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("fixture-chassis: info: power_on: failed in "),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(SENTINEL) && !out.stdout.contains(SENTINEL));
    let out = run(&chassis(), &["power_on", "-v"], input.as_bytes());
    assert!(
        out.stderr.contains("info: power_on"),
        "-v after the action too"
    );
    assert!(!out.stderr.contains("debug:"), "{}", out.stderr);
}

#[test]
fn closed_stdout_is_not_a_crash() {
    let dir = temp_dir("closed-stdout");
    let input = dir.join("input.json");
    std::fs::write(&input, EMPTY_PARAMETERS).unwrap();
    // `>&-` closes stdout; `| true` gives a pipe whose reader is gone (EPIPE).
    for redirect in [">&-", "| true"] {
        let script = format!(
            "{} power_query {} {redirect}; exit ${{PIPESTATUS[0]}}",
            abstract_driver().display(),
            input.display()
        );
        let out = std::process::Command::new("bash")
            .args(["-c", &script])
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{redirect}: {out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{redirect}");
    }
}
