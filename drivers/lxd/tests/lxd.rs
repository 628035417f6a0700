//! The LXD driver (`maaspd-lxd`), run as MAAS runs it, against a real LXD: Debian's
//! `lxd`, started by the test with a state directory of its own, busybox containers as
//! the instances (`tests/support/lxd.rs`). Every action, the trust password, a project,
//! and each error code from a real failure of LXD (an untrusted certificate, a refused
//! password, an unknown instance or project, a dead port, a failed start), with a
//! sentinel secret kept out of every output and command line.

#[path = "../../../tests/support/cmdline.rs"]
mod cmdline;
#[path = "../../../tests/support/lxd.rs"]
mod lxd;
#[path = "../../../tests/support/outcome.rs"]
mod outcome;
#[path = "../../../tests/support/peers.rs"]
mod peers;
#[path = "../../../tests/support/process.rs"]
mod process;
#[path = "../../../tests/support/scratch.rs"]
mod scratch;
#[path = "../../../tests/support/mod.rs"]
mod support;
#[path = "../../../tests/support/unix_http.rs"]
mod unix_http;

use std::net::TcpListener;
use std::path::PathBuf;

use lxd::{Identity, Lxd, TRUST_PASSWORD};
use outcome::Outcome;
use peers::Peer;
use serde_json::{Value, json};

const SENTINEL: &str = "Sentinel-Pa55-lxd-9c2e";

fn driver() -> PathBuf {
    support::example("lxd")
}

fn run(action: &str, parameters: &Value) -> Outcome {
    let input = json!({"driverParameters": parameters}).to_string();
    let run = support::run(&driver(), &[action], input.as_bytes());
    Outcome::read(run)
}

/// The parameters as MAAS stores them: strings, `""` for unset.
fn context(address: &str, instance: &str, identity: &Identity, password: &str) -> Value {
    json!({"power_address": address, "instance_name": instance, "project": "",
           "password": password, "certificate": identity.cert, "key": identity.key,
           "system_id": "abc123"})
}

/// The body of a PEM key, without its armour lines.
fn key_body(key: &str) -> String {
    key.lines()
        .filter(|line| !line.starts_with("-----"))
        .collect()
}

fn dead_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn metadata_and_schema_are_maas_lxd_driver() {
    let out = support::run(&driver(), &["metadata"], b"");
    assert_eq!(out.status, 0, "{out:?}");
    let metadata: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(metadata["name"], "lxd");
    assert_eq!(metadata["description"], "LXD (virtual systems)");
    assert_eq!(
        metadata["capabilities"],
        json!({"can_probe": false, "can_set_boot_order": false, "chassis": false,
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
    // MAAS's settings: names, labels, types, scopes, required and secret as its driver.
    assert_eq!(
        settings,
        [
            ("power_address", "LXD address", "string", "bmc", true, false),
            (
                "instance_name",
                "Instance name",
                "string",
                "node",
                true,
                false
            ),
            ("project", "LXD project", "string", "bmc", true, false),
            (
                "password",
                "LXD password (optional)",
                "password",
                "bmc",
                false,
                true
            ),
            (
                "certificate",
                "LXD certificate (optional)",
                "string",
                "bmc",
                false,
                false
            ),
            (
                "key",
                "LXD private key (optional)",
                "password",
                "bmc",
                false,
                true
            ),
        ]
    );
    let project = &metadata["settings"][2];
    assert_eq!(project["default"], "default", "{project}");
}

#[test]
fn settings_that_cannot_work_are_settings_errors_before_anything_is_sent() {
    if !peers::available(&[Peer::Openssl]) {
        return;
    }
    // Nothing listens there: a settings error must come before any connection.
    let address = format!("127.0.0.1:{}", dead_port());
    let dir = scratch::fresh_dir("lxd-cert");
    let status = std::process::Command::new(Peer::Openssl.path())
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .arg("ec_paramgen_curve:prime256v1")
        .args(["-nodes", "-days", "1", "-subj", "/CN=t", "-keyout"])
        .arg(dir.join("c.key"))
        .arg("-out")
        .arg(dir.join("c.crt"))
        .output()
        .expect("openssl runs");
    assert!(status.status.success(), "{status:?}");
    let identity = Identity {
        cert: std::fs::read_to_string(dir.join("c.crt")).unwrap(),
        key: std::fs::read_to_string(dir.join("c.key")).unwrap(),
        cert_path: dir.join("c.crt"),
    };
    let base = context(&address, "vm1", &identity, SENTINEL);
    let armoured = format!("-----BEGIN PRIVATE KEY-----\n{SENTINEL}\n-----END PRIVATE KEY-----\n");
    let cases: [(&str, Value, &str); 8] = [
        (
            "power_address",
            json!(""),
            "driverParameters.power_address: empty",
        ),
        (
            "power_address",
            json!("ftp://lxd"),
            "driverParameters.power_address",
        ),
        (
            "instance_name",
            json!(""),
            "driverParameters.instance_name: empty",
        ),
        (
            "certificate",
            json!(""),
            "driverParameters.certificate: empty",
        ),
        (
            "certificate",
            json!("not a certificate"),
            "driverParameters.certificate: holds no PEM certificate",
        ),
        ("key", json!(""), "driverParameters.key: empty"),
        ("key", json!(SENTINEL), "driverParameters.key: "),
        ("key", json!(armoured), "driverParameters.key: "),
    ];
    for (setting, value, message) in cases {
        let mut parameters = base.clone();
        parameters[setting] = value;
        for action in ["power_query", "power_on", "power_off", "power_cycle"] {
            run(action, &parameters)
                .keeps(SENTINEL)
                .keeps(&key_body(&identity.key))
                .error("settingsError", &[message]);
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn lxd_instances_are_switched_and_every_failure_is_a_real_one() {
    if !peers::available(lxd::PEERS) {
        return;
    }
    let mut lxd = Lxd::start();
    let address = lxd.address();
    let trusted = lxd.identity();
    lxd.trust(&trusted);
    let stranger = lxd.identity();
    let joiner = lxd.identity();
    let running = lxd.container("default", "running", true);
    let stopped = lxd.container("default", "stopped", false);
    lxd.project("maas");
    let other = lxd.container("maas", "other", false);
    let secrets = [
        SENTINEL,
        TRUST_PASSWORD,
        &key_body(&trusted.key),
        &key_body(&stranger.key),
        &key_body(&joiner.key),
    ];

    let (scanned, _) = cmdline::scan_while(&secrets, || {
        // The state of each, as LXD has it.
        let ctx = |instance: &str| context(&address, instance, &trusted, "");
        assert_eq!(run("power_query", &ctx(&running)).state(), "on");
        assert_eq!(run("power_query", &ctx(&stopped)).state(), "off");

        // On, confirmed by the runtime's query; on again is a no-op.
        run("power_on", &ctx(&stopped)).ok();
        assert_eq!(lxd.status("default", &stopped), "Running");
        run("power_on", &ctx(&stopped)).ok();
        assert_eq!(run("power_query", &ctx(&stopped)).state(), "on");
        // Off: a forced stop, confirmed.
        run("power_off", &ctx(&stopped)).ok();
        assert_eq!(lxd.status("default", &stopped), "Stopped");
        run("power_off", &ctx(&stopped)).ok();
        // A cycle of a running instance ends running; off, then on.
        run("power_cycle", &ctx(&running)).ok();
        assert_eq!(lxd.status("default", &running), "Running");
        // Frozen (paused) is off, as MAAS has it; on unfreezes it, where LXD would refuse
        // the start MAAS asks for.
        lxd.lxc(&["pause", &running]);
        assert_eq!(lxd.status("default", &running), "Frozen");
        assert_eq!(run("power_query", &ctx(&running)).state(), "off");
        run("power_off", &ctx(&running)).ok();
        assert_eq!(lxd.status("default", &running), "Frozen");
        run("power_on", &ctx(&running)).ok();
        assert_eq!(lxd.status("default", &running), "Running");
        // A change behind the driver's back is seen.
        lxd.set("default", &running, false);
        assert_eq!(run("power_query", &ctx(&running)).state(), "off");

        // The project: the instance is found there only.
        let mut in_project = ctx(&other);
        in_project["project"] = json!("maas");
        assert_eq!(run("power_query", &in_project).state(), "off");
        run("power_on", &in_project).ok();
        assert_eq!(lxd.status("maas", &other), "Running");
        run("power_off", &in_project).ok();
        assert_eq!(lxd.status("maas", &other), "Stopped");
        run("power_query", &ctx(&other)).error(
            "actionError",
            &[&other, "instance_name", "\"default\"", "404"],
        );
        let mut nowhere = ctx(&other);
        nowhere["project"] = json!("nosuch");
        run("power_query", &nowhere).error("actionError", &["\"nosuch\"", "404"]);

        // An unknown instance.
        for action in ["power_query", "power_on", "power_off"] {
            run(action, &ctx("nosuch"))
                .keeps(&key_body(&trusted.key))
                .error(
                    "actionError",
                    &["\"nosuch\" (instance_name)", "404", "Instance not found"],
                );
        }

        // An untrusted certificate without a password, and with a wrong one: LXD's 403.
        let before = lxd.trusted();
        for action in ["power_query", "power_on", "power_off"] {
            run(action, &context(&address, &stopped, &stranger, ""))
                .keeps(&key_body(&stranger.key))
                .error("authError", &["does not trust the certificate", "password"]);
            run(action, &context(&address, &stopped, &stranger, SENTINEL))
                .keeps(SENTINEL)
                .keeps(&key_body(&stranger.key))
                .error("authError", &["403", "password"]);
        }
        assert_eq!(lxd.trusted(), before);

        // The trust password adds the certificate; from then on it is trusted as it is.
        let joined = context(&address, &stopped, &joiner, TRUST_PASSWORD);
        assert_eq!(
            run("power_query", &joined).keeps(TRUST_PASSWORD).state(),
            "off"
        );
        assert_eq!(lxd.trusted(), before + 1);
        let mut plain = joined.clone();
        plain["password"] = json!("");
        run("power_on", &plain).ok();
        assert_eq!(lxd.status("default", &stopped), "Running");
        run("power_off", &plain).ok();

        // LXD refusing the start itself: an actionError with LXD's reason.
        lxd.lxc(&[
            "config",
            "set",
            &stopped,
            "raw.lxc",
            "lxc.init.cmd=/nonexistent",
        ]);
        run("power_on", &ctx(&stopped)).error("actionError", &["could not start", &stopped]);
        lxd.lxc_when_idle(&["config", "unset", &stopped, "raw.lxc"]);
        assert_eq!(lxd.status("default", &stopped), "Stopped");

        // Nothing listening: a connError, the password and key kept out of it.
        let dead = format!("127.0.0.1:{}", dead_port());
        for action in ["power_query", "power_on", "power_off"] {
            run(action, &context(&dead, &stopped, &stranger, SENTINEL))
                .keeps(SENTINEL)
                .error("connError", &["LXD"]);
        }
        // A key that is not the certificate's.
        let mut mismatched = context(&address, &stopped, &trusted, SENTINEL);
        mismatched["key"] = json!(stranger.key);
        run("power_query", &mismatched)
            .keeps(&key_body(&stranger.key))
            .error(
                "settingsError",
                &["driverParameters.key: not the private key of the certificate"],
            );
    });
    assert_eq!(
        scanned,
        Vec::<Vec<String>>::new(),
        "secrets on command lines"
    );
    let log = lxd.log();
    for secret in secrets {
        assert!(!log.contains(secret), "a secret in LXD's log");
    }
}
