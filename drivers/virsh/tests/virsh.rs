//! The virsh example driver end to end: the built binary, the real `virsh`, libvirt's
//! test driver (`test:///ABS/PATH/node.xml`, a private copy per test).
//!
//! The test driver keeps its state for one connection, i.e. one virsh process: a
//! `power_on` cannot be checked by a later `power_query`. The driver therefore reads the
//! result back in the same connection as the change (`start; domstate`,
//! `define; dumpxml --inactive`), decides success on that, and reports it on stderr;
//! these tests check the exit status, the document and that report.

#[path = "../../../tests/support/cmdline.rs"]
mod cmdline;
#[path = "../../../tests/support/libvirt.rs"]
mod libvirt;
#[path = "../../../tests/support/peers.rs"]
mod peers;
#[path = "../../../tests/support/scratch.rs"]
mod scratch;
#[path = "../../../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use libvirt::{FakeSsh, Host, TempDir, dead_port, run_driver, silent_port};
use peers::Peer;
use serde_json::{Value, json};
use support::Run;

const SENTINEL: &str = "S3ntinel-p4ss'word";

/// Three more domains: a paused one whose name needs quoting and whose devices already
/// have boot orders, one in shutdown (mips64), one with no interface, one ppc64.
const EXTRA: &str = r#"
  <domain type="test" xmlns:test="http://libvirt.org/schemas/domain/test/1.0">
    <name>vm it's "odd"; x\y</name>
    <uuid>7d3b1d3e-0000-4000-8000-000000000011</uuid>
    <memory unit="MiB">512</memory>
    <os><type arch="i686">hvm</type></os>
    <devices>
      <disk type="file" device="disk"><source file="/odd-0.img"/><target dev="vda" bus="virtio"/><serial>SER-ODD-0</serial><boot order="2"/></disk>
      <disk type="file" device="disk"><source file="/odd-1.img"/><target dev="vdb" bus="virtio"/><serial>SER-ODD-1</serial><boot order="3"/></disk>
      <interface type="bridge"><mac address="52:54:00:00:05:01"/><source bridge="br0"/><boot order="1"/></interface>
    </devices>
    <test:runstate>3</test:runstate>
  </domain>
  <domain type="test" xmlns:test="http://libvirt.org/schemas/domain/test/1.0">
    <name>vm-mips64</name>
    <uuid>7d3b1d3e-0000-4000-8000-000000000012</uuid>
    <memory unit="MiB">512</memory>
    <os><type arch="mips64">hvm</type></os>
    <devices>
      <interface type="bridge"><mac address="52:54:00:00:06:01"/><source bridge="br0"/></interface>
    </devices>
    <test:runstate>4</test:runstate>
  </domain>
  <domain type="test" xmlns:test="http://libvirt.org/schemas/domain/test/1.0">
    <name>vm-ppc64</name>
    <uuid>7d3b1d3e-0000-4000-8000-000000000013</uuid>
    <memory unit="MiB">512</memory>
    <os><type arch="ppc64">hvm</type></os>
    <devices>
      <interface type="bridge"><mac address="52:54:00:00:07:01"/><source bridge="br0"/></interface>
    </devices>
    <test:runstate>5</test:runstate>
  </domain>
  <domain type="test" xmlns:test="http://libvirt.org/schemas/domain/test/1.0">
    <name>vm-no-nic</name>
    <uuid>7d3b1d3e-0000-4000-8000-000000000014</uuid>
    <memory unit="MiB">512</memory>
    <os><type arch="x86_64">hvm</type></os>
    <devices/>
    <test:runstate>5</test:runstate>
  </domain>
"#;

const ODD: &str = r#"vm it's "odd"; x\y"#;

fn params(uri: &str, id: &str) -> Value {
    json!({"power_address": uri, "power_id": id})
}

fn input(parameters: Value) -> Value {
    json!({"driverParameters": parameters})
}

/// A set_boot_order input whose devices are as MAAS's agent sends `order`: each a row
/// of MAAS's database, JSON-encoded (`get_boot_order` in MAAS's
/// `maastemporalworker/workflow/deploy.py`, datetimes as strings). `(kind, id)`:
/// `net` an interface row with MAC `id`; `disk` a disk row with serial `id` (as
/// `PhysicalBlockDevice.serialize()` gives it); `id_path` and `name` a block device row
/// with only that identity (the worker's rows carry no serial; a RAID or LVM device has
/// no id_path either); `class` the spec's `"network"` or `"disk"` as it is.
fn boot_input(parameters: Value, devices: &[(&str, &str)]) -> Value {
    const CREATED: &str = "2026-01-05 10:11:12.123456+00:00";
    let devices: Vec<Value> = devices
        .iter()
        .enumerate()
        .map(|(index, (kind, id))| {
            let row = match *kind {
                "net" => json!({
                    "id": index, "created": CREATED, "updated": CREATED,
                    "name": format!("enp{index}s0"), "type": "physical", "mac_address": id,
                    "params": {}, "tags": null, "enabled": true, "vlan_id": 5001,
                    "vendor": "Red Hat, Inc.", "product": "Virtio network device",
                    "link_connected": true, "node_config_id": 1,
                    "links": [{"id": 3, "ip": "10.0.0.5", "alloc_type": 1, "created": CREATED}],
                }),
                "disk" => json!({
                    "id": index, "name": "vda", "id_path": null, "model": "", "serial": id,
                }),
                "id_path" | "name" => {
                    let mut row = json!({
                        "id": index, "created": CREATED, "updated": CREATED, "name": "md0",
                        "id_path": null, "size": 8589934592_u64, "block_size": 512,
                        "tags": ["rotary"], "node_config_id": 1,
                    });
                    row[*kind] = json!(id);
                    row
                }
                "class" => return json!(id),
                other => panic!("no boot device kind {other}"),
            };
            json!(row.to_string())
        })
        .collect();
    json!({"driverParameters": parameters, "devices": devices})
}

fn document(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

fn assert_ok(run: &Run) {
    assert_eq!(run.status, 0, "{run:?}");
    assert_eq!(document(run)["error"], Value::Null, "{run:?}");
}

/// Exit 1 with `code`; returns the message.
fn assert_error(run: &Run, code: &str) -> String {
    let doc = document(run);
    assert_eq!(doc["error"]["code"], code, "{run:?}");
    assert_eq!(run.status, 1, "{run:?}");
    doc["error"]["message"].as_str().unwrap().to_owned()
}

fn query(host: &Host, id: &str) -> String {
    let run = run_driver("power_query", &input(params(&host.uri, id)), &[]);
    assert_ok(&run);
    document(&run)["data"]["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn schema_and_metadata_are_maas_settings() {
    let run = run_driver("schema", &json!({}), &[]);
    assert_eq!(run.status, 0, "{run:?}");
    let schema = document(&run);
    assert_eq!(schema["title"], "Virsh (virtual systems)");
    assert_eq!(schema["required"], json!(["power_address"]));
    let properties = &schema["properties"];
    assert_eq!(properties["power_address"]["title"], "Address");
    assert_eq!(properties["power_pass"]["title"], "Password (optional)");
    assert_eq!(properties["power_pass"]["writeOnly"], true);
    assert_eq!(properties["power_id"]["title"], "Virsh VM ID");

    let run = run_driver("metadata", &json!({}), &[]);
    assert_eq!(run.status, 0, "{run:?}");
    let metadata = document(&run);
    assert_eq!(metadata["name"], "virsh");
    assert_eq!(
        metadata["capabilities"],
        json!({"can_probe": true, "can_set_boot_order": true, "chassis": true, "queryable": true})
    );
    assert_eq!(metadata["ip_extractor"]["field_name"], "power_address");
    let scopes: Vec<(&str, &str, bool)> = metadata["settings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let name = s["name"].as_str().unwrap();
            (
                name,
                s["scope"].as_str().unwrap(),
                s["secret"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        scopes,
        [
            ("power_address", "bmc", false),
            ("power_pass", "bmc", true),
            ("power_id", "node", false)
        ]
    );
}

#[test]
fn query_maps_states_as_maas() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let host = Host::with_domains("query", EXTRA);
    // What virsh itself says of the fixture, so the test stands on the real state.
    let listing = host.virsh("list --all");
    let state_of = |name: &str| {
        let line = listing.lines().find(|l| l.contains(&format!(" {name} ")));
        line.map(|l| l.split(name).nth(1).unwrap().trim().to_owned())
    };
    assert_eq!(
        state_of("vm-amd64").as_deref(),
        Some("running"),
        "{listing}"
    );
    assert_eq!(
        state_of("vm-arm64").as_deref(),
        Some("shut off"),
        "{listing}"
    );
    assert_eq!(
        state_of("vm-mips64").as_deref(),
        Some("in shutdown"),
        "{listing}"
    );
    for (id, status) in [
        ("vm-amd64", "on"),
        ("vm-arm64", "off"),
        ("vm-ppc64el", "off"),
        ("vm-s390x", "on"),
        (ODD, "off"),         // paused: off for MAAS
        ("vm-mips64", "on"),  // in shutdown: on for MAAS
        ("vm-no-nic", "off"), // shut off
    ] {
        assert_eq!(query(&host, id), status, "{id}");
    }
}

#[test]
fn power_on_starts_only_a_shut_off_domain() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let host = Host::with_domains("on", EXTRA);
    let on = |id: &str| run_driver("power_on", &input(params(&host.uri, id)), &[]);

    let run = on("vm-arm64");
    assert_ok(&run);
    // `start` and `domstate` in one connection: libvirt says it is running now.
    assert_eq!(run.stderr, "vm-arm64: was shut off; started; now running\n");

    let run = on("vm-amd64");
    assert_ok(&run);
    assert_eq!(run.stderr, "vm-amd64: running, already on: nothing to do\n");

    let run = on("vm-mips64");
    assert_ok(&run);
    assert_eq!(
        run.stderr,
        "vm-mips64: in shutdown, already on: nothing to do\n"
    );

    // MAAS starts only a shut-off domain: a paused one would never come on.
    let message = assert_error(&on(ODD), "actionError");
    assert_eq!(
        message,
        format!("{ODD} is paused: not started, as MAAS starts only a shut-off domain")
    );
}

#[test]
fn power_off_destroys_only_a_running_domain() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let host = Host::with_domains("off", EXTRA);
    let off = |id: &str| run_driver("power_off", &input(params(&host.uri, id)), &[]);

    let run = off("vm-s390x");
    assert_ok(&run);
    assert_eq!(
        run.stderr,
        "vm-s390x: was running; destroyed; now shut off\n"
    );

    let run = off("vm-ppc64el");
    assert_ok(&run);
    assert_eq!(
        run.stderr,
        "vm-ppc64el: shut off, already off: nothing to do\n"
    );

    let run = off(ODD);
    assert_ok(&run);
    assert_eq!(
        run.stderr,
        format!("{ODD}: paused, already off: nothing to do\n")
    );

    let run = off("vm-mips64");
    assert_ok(&run);
    assert_eq!(
        run.stderr,
        "vm-mips64: in shutdown: left to finish, as MAAS destroys only a running domain\n"
    );
}

fn hosts(run: &Run) -> Vec<Value> {
    let mut hosts = document(run)["data"]["hosts"].as_array().unwrap().clone();
    hosts.sort_by_key(|h| h["hostname"].as_str().unwrap().to_owned());
    hosts
}

fn probed(uri: &str, name: &str, mac: &str, arch: &str, pass: &str) -> Value {
    json!({
        "hostname": name,
        "mac": mac,
        "arch": arch,
        "driver_name": "virsh",
        "driver_parameters": {"power_address": uri, "power_id": name, "power_pass": pass},
    })
}

#[test]
fn probe_lists_every_domain_with_first_mac_and_maas_arch() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let host = Host::new("probe");
    let run = run_driver("probe", &input(json!({"power_address": host.uri})), &[]);
    assert_ok(&run);
    assert_eq!(run.stderr, "");
    let uri = host.uri.as_str();
    assert_eq!(
        hosts(&run),
        vec![
            probed(uri, "vm-amd64", "52:54:00:00:01:01", "amd64/generic", ""),
            probed(uri, "vm-arm64", "52:54:00:00:02:01", "arm64/generic", ""),
            probed(
                uri,
                "vm-ppc64el",
                "52:54:00:00:03:01",
                "ppc64el/generic",
                ""
            ),
            probed(uri, "vm-s390x", "52:54:00:00:04:01", "s390x/generic", ""),
        ]
    );
}

#[test]
fn probe_maps_more_arches_and_skips_a_domain_without_interface() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let host = Host::with_domains("probe-more", EXTRA);
    let parameters = json!({"power_address": host.uri, "power_pass": "secret"});
    let run = run_driver("probe", &input(parameters), &[]);
    assert_ok(&run);
    assert_eq!(
        run.stderr,
        "warning: vm-no-nic has no network interface: skipped\n"
    );
    let hosts = hosts(&run);
    let uri = host.uri.as_str();
    assert_eq!(hosts.len(), 7, "{hosts:#?}");
    assert!(hosts.contains(&probed(
        uri,
        ODD,
        "52:54:00:00:05:01",
        "i386/generic",
        "secret"
    )));
    assert!(hosts.contains(&probed(
        uri,
        "vm-mips64",
        "52:54:00:00:06:01",
        "mips64el/generic",
        "secret"
    )));
    assert!(hosts.contains(&probed(
        uri,
        "vm-ppc64",
        "52:54:00:00:07:01",
        "ppc64el/generic",
        "secret"
    )));
}

fn set_boot_order(host: &Host, id: &str, devices: &[(&str, &str)]) -> Run {
    run_driver(
        "set_boot_order",
        &boot_input(params(&host.uri, id), devices),
        &[],
    )
}

#[test]
fn boot_order_network_then_disk() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let host = Host::new("boot-net-disk");
    // vm-amd64 boots by <os><boot dev="network"/><boot dev="hd"/>: those go.
    assert!(
        host.virsh("dumpxml vm-amd64")
            .contains("<boot dev='network'/>")
    );
    let run = set_boot_order(
        &host,
        "vm-amd64",
        &[("net", "52:54:00:00:01:02"), ("disk", "SER-AMD64-0")],
    );
    assert_ok(&run);
    // Read back with `dumpxml --inactive` in the connection that defined it; an <os>
    // boot entry left over would be listed as `os dev ...`.
    assert_eq!(
        run.stderr,
        "vm-amd64: boot order now 1 network 52:54:00:00:01:02, 2 storage SER-AMD64-0\n"
    );
}

#[test]
fn boot_order_disk_then_network() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let host = Host::new("boot-disk-net");
    let run = set_boot_order(
        &host,
        "vm-s390x",
        &[
            ("disk", "SER-S390X-1"),
            ("net", "52:54:00:00:04:02"),
            ("disk", "SER-S390X-0"),
        ],
    );
    assert_ok(&run);
    assert_eq!(
        run.stderr,
        "vm-s390x: boot order now 1 storage SER-S390X-1, 2 network 52:54:00:00:04:02, 3 storage SER-S390X-0\n"
    );
}

#[test]
fn boot_order_replaces_every_other_boot_order() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let host = Host::with_domains("boot-replace", EXTRA);
    // Before: 1 network, 2 SER-ODD-0, 3 SER-ODD-1. The MAC may come in capitals.
    let run = set_boot_order(
        &host,
        ODD,
        &[("disk", "SER-ODD-1"), ("net", "52:54:00:00:05:01")],
    );
    assert_ok(&run);
    assert_eq!(
        run.stderr,
        format!("{ODD}: boot order now 1 storage SER-ODD-1, 2 network 52:54:00:00:05:01\n")
    );
    let run = set_boot_order(
        &host,
        ODD,
        &[("net", "52:54:00:00:05:01".to_uppercase().as_str())],
    );
    assert_ok(&run);
    assert_eq!(
        run.stderr,
        format!("{ODD}: boot order now 1 network 52:54:00:00:05:01\n")
    );
}

#[test]
fn boot_order_unknown_device_is_an_error_naming_it() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let host = Host::new("boot-unknown");
    let run = set_boot_order(
        &host,
        "vm-arm64",
        &[("net", "52:54:00:00:02:01"), ("net", "52:54:00:00:99:99")],
    );
    assert_eq!(
        assert_error(&run, "fatalError"),
        "vm-arm64: no network interface with MAC 52:54:00:00:99:99 (it has: 52:54:00:00:02:01)"
    );
    let run = set_boot_order(&host, "vm-arm64", &[("disk", "NO-SUCH-SERIAL")]);
    assert_eq!(
        assert_error(&run, "fatalError"),
        "vm-arm64: no disk with serial NO-SUCH-SERIAL (it has: SER-ARM64-0 on vda)"
    );
    let run = set_boot_order(
        &host,
        "vm-arm64",
        &[("id_path", "/dev/disk/by-id/virtio-SER-ARM64-9")],
    );
    assert_eq!(
        assert_error(&run, "fatalError"),
        "vm-arm64: no disk with id_path /dev/disk/by-id/virtio-SER-ARM64-9 (it has: \
         SER-ARM64-0 on vda)"
    );
    // Nothing MAAS listed is on the domain.
    let run = set_boot_order(&host, "vm-arm64", &[("name", "md0")]);
    assert_eq!(
        assert_error(&run, "fatalError"),
        "vm-arm64: none of the boot devices given is on the domain"
    );
}

#[test]
fn boot_order_a_device_listed_again_keeps_its_first_place() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let host = Host::new("boot-twice");
    let run = set_boot_order(
        &host,
        "vm-arm64",
        &[
            ("disk", "SER-ARM64-0"),
            ("net", "52:54:00:00:02:01"),
            ("disk", "SER-ARM64-0"),
            // A bridge on the interface: its own row, the same MAC.
            ("net", "52:54:00:00:02:01"),
        ],
    );
    assert_ok(&run);
    assert_eq!(
        run.stderr,
        "vm-arm64: boot order now 1 storage SER-ARM64-0, 2 network 52:54:00:00:02:01\n"
    );
}

/// The whole machine, as MAAS sends it to netboot vm-amd64: its boot interface first,
/// the other interface and a bridge on it, then its disk by the id_path a Linux guest
/// sees (the worker's rows have no serial) and an LVM volume, which has only a name.
#[test]
fn boot_order_of_a_whole_machine_as_maas_lists_it() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let host = Host::new("boot-maas");
    let run = set_boot_order(
        &host,
        "vm-amd64",
        &[
            ("net", "52:54:00:00:01:02"),
            ("net", "52:54:00:00:01:01"),
            ("net", "52:54:00:00:01:01"),
            ("id_path", "/dev/disk/by-id/virtio-SER-AMD64-0"),
            ("name", "vgroot-lvroot"),
        ],
    );
    assert_ok(&run);
    assert_eq!(
        run.stderr,
        "vm-amd64: no disk with name vgroot-lvroot: left out of the boot order\n\
         vm-amd64: boot order now 1 network 52:54:00:00:01:02, 2 network 52:54:00:00:01:01, \
         3 storage SER-AMD64-0\n"
    );
}

/// A disk is found by the id_path of its bus (SCSI here), or by its target name.
#[test]
fn boot_order_finds_disks_by_id_path_and_name() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let host = Host::new("boot-id-path");
    let run = set_boot_order(
        &host,
        "vm-ppc64el",
        &[
            (
                "id_path",
                "/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_SER-PPC64EL-0",
            ),
            ("net", "52:54:00:00:03:01"),
        ],
    );
    assert_ok(&run);
    assert_eq!(
        run.stderr,
        "vm-ppc64el: boot order now 1 storage SER-PPC64EL-0, 2 network 52:54:00:00:03:01\n"
    );
    let run = set_boot_order(&host, "vm-s390x", &[("name", "vdb"), ("name", "vda")]);
    assert_ok(&run);
    assert_eq!(
        run.stderr,
        "vm-s390x: boot order now 1 storage SER-S390X-1, 2 storage SER-S390X-0\n"
    );
}

/// The spec's `["network", "disk"]`: the first interface and the first disk not
/// otherwise listed.
#[test]
fn boot_order_by_class() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let host = Host::with_domains("boot-class", EXTRA);
    let run = set_boot_order(
        &host,
        "vm-s390x",
        &[("class", "disk"), ("class", "network")],
    );
    assert_ok(&run);
    assert_eq!(
        run.stderr,
        "vm-s390x: boot order now 1 storage SER-S390X-0, 2 network 52:54:00:00:04:01\n"
    );
    let run = set_boot_order(
        &host,
        "vm-s390x",
        &[
            ("disk", "SER-S390X-0"),
            ("class", "disk"),
            ("class", "disk"),
            ("class", "network"),
        ],
    );
    assert_ok(&run);
    assert_eq!(
        run.stderr,
        "vm-s390x: boot order now 1 storage SER-S390X-0, 2 storage SER-S390X-1, 3 network \
         52:54:00:00:04:01\n"
    );
    let run = set_boot_order(&host, "vm-no-nic", &[("class", "network")]);
    assert_eq!(
        assert_error(&run, "fatalError"),
        "vm-no-nic: no network interface to boot from"
    );
}

#[test]
fn missing_domain_is_a_settings_error() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let host = Host::new("missing-domain");
    let expected = format!(
        "driverParameters.power_id: {} has no domain named \"nosuch\"",
        host.uri
    );
    for action in ["power_query", "power_on", "power_off"] {
        let run = run_driver(action, &input(params(&host.uri, "nosuch")), &[]);
        assert_eq!(assert_error(&run, "settingsError"), expected, "{action}");
    }
    let run = set_boot_order(&host, "nosuch", &[("net", "52:54:00:00:01:01")]);
    assert_eq!(assert_error(&run, "settingsError"), expected);
}

#[test]
fn bad_settings_are_settings_errors() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let host = Host::new("settings");
    let run = run_driver(
        "power_query",
        &input(json!({"power_address": host.uri})),
        &[],
    );
    assert_eq!(
        assert_error(&run, "settingsError"),
        "driverParameters.power_id: the domain's name is required"
    );
    let with_query = format!("{}?command=/bin/sh", host.uri);
    let run = run_driver("power_on", &input(params(&with_query, "vm-arm64")), &[]);
    assert_eq!(
        assert_error(&run, "settingsError"),
        "driverParameters.power_address: Supplying extra parameters to the Virsh address is not supported."
    );
    let run = run_driver("power_query", &input(params("garbage", "vm-arm64")), &[]);
    let message = assert_error(&run, "settingsError");
    assert!(
        message.contains("no connection driver available"),
        "{message}"
    );
}

#[test]
fn missing_virsh_is_a_tool_error() {
    let empty = TempDir::new("no-virsh");
    let host = Host::new("no-virsh");
    let path = empty.path.display().to_string();
    let run = run_driver(
        "power_query",
        &input(params(&host.uri, "vm-amd64")),
        &[("PATH", &path)],
    );
    assert_eq!(
        assert_error(&run, "toolError"),
        "virsh was not found in PATH: install the Debian package libvirt-clients"
    );
}

#[test]
fn unreachable_hosts_are_conn_errors() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let dir = TempDir::new("unreachable");
    // The test driver's file is not there: virsh cannot connect.
    let missing = format!("test://{}/node.xml", dir.path.display());
    let run = run_driver("power_query", &input(params(&missing, "vm-amd64")), &[]);
    let message = assert_error(&run, "connError");
    assert!(
        message.starts_with(&format!("could not connect to {missing}: ")),
        "{message}"
    );

    // libvirt's own TCP transport to a port nobody listens on.
    let refused = format!("qemu+tcp://127.0.0.1:{}/system", dead_port());
    let run = run_driver("power_on", &input(params(&refused, "vm-amd64")), &[]);
    let message = assert_error(&run, "connError");
    assert!(message.contains("Connection refused"), "{message}");

    let run = run_driver("probe", &input(json!({"power_address": refused})), &[]);
    assert_error(&run, "connError");
}

#[test]
fn a_host_that_never_answers_is_a_conn_error_within_the_bound() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let (_listener, port) = silent_port();
    let uri = format!("qemu+tcp://127.0.0.1:{port}/system");
    support::example("virsh"); // built before the clock starts
    let started = Instant::now();
    let run = run_driver(
        "power_query",
        &input(params(&uri, "vm-amd64")),
        &[("MAASPD_VIRSH_TIMEOUT", "1")],
    );
    let message = assert_error(&run, "connError");
    assert_eq!(message, format!("virsh did not finish within 1 s at {uri}"));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn password_reaches_ssh_once_through_askpass() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let ssh = FakeSsh::new(SENTINEL, false);
    let parameters = json!({
        "power_address": "qemu+ssh://maas@127.0.0.1/system",
        "power_id": "vm-amd64",
        "power_pass": SENTINEL,
    });
    let run = run_driver("power_query", &input(parameters), &[("PATH", &ssh.path())]);
    let message = assert_error(&run, "authError");
    assert!(message.starts_with("could not log in to qemu+ssh://maas@127.0.0.1/system: "));
    assert!(message.contains("Permission denied"), "{message}");
    let log = ssh.log();
    assert!(log.contains("-o StrictHostKeyChecking=no"), "{log}");
    assert!(!log.contains("BatchMode"), "{log}");
    assert!(log.contains("tty: no\n"), "{log}");
    assert!(log.contains("display: set\n"), "{log}");
    assert!(log.contains("askpass: the expected password\n"), "{log}");
    assert!(log.contains("askpass again: refused\n"), "{log}");
    assert!(!log.contains(SENTINEL), "{log}");
}

#[test]
fn without_password_ssh_never_prompts() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let ssh = FakeSsh::new("", false);
    let parameters = json!({
        "power_address": "qemu+ssh://maas@127.0.0.1/system",
        "power_id": "vm-amd64",
    });
    let run = run_driver("power_off", &input(parameters), &[("PATH", &ssh.path())]);
    assert_error(&run, "authError");
    let log = ssh.log();
    assert!(log.contains("-o BatchMode=yes"), "{log}");
    assert!(log.contains("-o StrictHostKeyChecking=no"), "{log}");
    assert!(log.contains("askpass: none\n"), "{log}");
}

/// A sentinel password through every error path: it shows nowhere in the output.
#[test]
fn sentinel_password_never_printed() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let host = Host::with_domains("sentinel", EXTRA);
    let with = |address: &str, id: &str| json!({"power_address": address, "power_id": id, "power_pass": SENTINEL});
    let echoing_ssh = FakeSsh::new(SENTINEL, true);
    let empty = TempDir::new("sentinel-no-virsh");
    let no_virsh = empty.path.display().to_string();
    let (_listener, silent) = silent_port();
    let ssh_uri = "qemu+ssh://maas@127.0.0.1/system";
    let ssh_path = echoing_ssh.path();
    let missing_file = format!("test://{}/missing.xml", empty.path.display());
    let refused = format!("qemu+tcp://127.0.0.1:{}/system", dead_port());
    let silent_tcp = format!("qemu+tcp://127.0.0.1:{silent}/system");
    let query_string = format!("{}?x=1", host.uri);
    let in_user = format!("qemu+ssh://maas:{SENTINEL}@127.0.0.1/system");

    /// Expected code, action, input, environment.
    type Case<'a> = (&'a str, &'a str, Value, Vec<(&'a str, &'a str)>);
    let cases: Vec<Case> = vec![
        (
            "settingsError",
            "power_query",
            input(with(&query_string, "vm-amd64")),
            vec![],
        ),
        (
            "settingsError",
            "power_on",
            input(with(&host.uri, "")),
            vec![],
        ),
        (
            "settingsError",
            "power_off",
            input(with(&host.uri, "nosuch")),
            vec![],
        ),
        (
            "settingsError",
            "power_query",
            input(with("garbage", "x")),
            vec![],
        ),
        (
            "toolError",
            "power_query",
            input(with(&host.uri, "vm-amd64")),
            vec![("PATH", &no_virsh)],
        ),
        (
            "connError",
            "power_query",
            input(with(&missing_file, "vm-amd64")),
            vec![],
        ),
        (
            "connError",
            "power_on",
            input(with(&refused, "vm-amd64")),
            vec![],
        ),
        ("connError", "probe", input(with(&refused, "")), vec![]),
        (
            "connError",
            "power_query",
            input(with(&silent_tcp, "x")),
            vec![("MAASPD_VIRSH_TIMEOUT", "0.5")],
        ),
        // The fake ssh gets the password through askpass and echoes it in its error.
        (
            "authError",
            "power_query",
            input(with(ssh_uri, "vm-amd64")),
            vec![("PATH", &ssh_path)],
        ),
        (
            "authError",
            "probe",
            input(with(ssh_uri, "")),
            vec![("PATH", &ssh_path)],
        ),
        // A password written into the address itself is hidden in messages too.
        (
            "authError",
            "power_on",
            input(with(&in_user, "vm-amd64")),
            vec![("PATH", &ssh_path)],
        ),
        (
            "actionError",
            "power_on",
            input(with(&host.uri, ODD)),
            vec![],
        ),
        (
            "fatalError",
            "set_boot_order",
            boot_input(with(&host.uri, "vm-amd64"), &[("net", "52:54:00:00:99:99")]),
            vec![],
        ),
        (
            "settingsError",
            "set_boot_order",
            boot_input(with(&host.uri, "nosuch"), &[("net", "52:54:00:00:01:01")]),
            vec![],
        ),
    ];
    // Nor on any process's command line, virsh's and ssh's included, while they run.
    let (seen, passes) = cmdline::scan_while(&[SENTINEL], || {
        for (code, action, input, env) in cases {
            let run = run_driver(action, &input, &env);
            assert_error(&run, code);
            assert!(
                !run.stdout.contains(SENTINEL) && !run.stderr.contains(SENTINEL),
                "{action} {input}: the password was printed: {run:?}"
            );
        }
    });
    assert!(passes > 10, "only {passes} scans");
    assert!(
        seen.is_empty(),
        "the password on command lines: {:?}",
        &seen[..seen.len().min(5)]
    );
    // The password did travel: the fake ssh received it and printed it in its error.
    assert!(echoing_ssh.log().contains("askpass: the expected password"));
}
