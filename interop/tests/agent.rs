//! Every example driver served as MAAS deploys it, `DRIVER serve --socket DIR/NAME.sock`
//! in the rack's power-driver directory, against its real peer, then found and driven as
//! MAAS's Go agent finds and drives it (`support/agent.rs`): discovery by metadata name,
//! the agent's exact requests and connections, power parameters and boot-order rows in
//! MAAS's shapes (`support/maas_data.rs`), answers read as the agent reads them and,
//! where the peer allows, the peer's state checked. A test whose peer is missing asks
//! `scripts/setup-e2e` for it (`support/peers.rs`).

#[path = "../../tests/support/agent.rs"]
mod agent;
#[path = "../../tests/support/fakepve.rs"]
mod fakepve;
#[path = "../../tests/support/go_json.rs"]
mod go_json;
#[path = "../../tests/support/http_server.rs"]
mod http_server;
#[path = "../../tests/support/ipmi_sim.rs"]
mod ipmi_sim;
#[path = "../../tests/support/libvirt.rs"]
mod libvirt;
#[path = "../../tests/support/lxd.rs"]
mod lxd;
#[path = "../../tests/support/maas_data.rs"]
mod maas_data;
#[path = "../../tests/support/peers.rs"]
mod peers;
#[path = "../../tests/support/process.rs"]
mod process;
#[path = "../../tests/support/region.rs"]
mod region;
#[path = "../../tests/support/scratch.rs"]
mod scratch;
#[path = "../../tests/support/snmpsim.rs"]
mod snmpsim;
#[path = "../../tests/support/mod.rs"]
mod support;
#[path = "../../tests/support/sushy.rs"]
mod sushy;
#[path = "../../tests/support/unix_http.rs"]
mod unix_http;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agent::{Agent, AgentError, Driver, METADATA_TIMEOUT};
use http_server::{HttpServer, Reply, Request};
use ipmi_sim::IpmiSim;
use libvirt::Host;
use maas_data::{Disk, Nic, PowerParameters, boot_order_rows};
use peers::Peer;
use process::{Process, Unready};
use serde_json::{Value, json};
use sushy::{SYSTEMS, Sushy};

/// The rack controller whose agent talks to the drivers.
const RACK_ID: &str = "8kq4pe";
/// The machine whose power the tests switch.
const MACHINE_ID: &str = "c7w3hf";
/// The password of every BMC that takes any: it must never reach a service's stderr.
const SENTINEL: &str = "Sentinel-Pa55-agent-7d2e";

/// Every example driver, by the name its metadata gives.
const DRIVERS: [&str; 10] = [
    "abstract", "apc", "eaton", "ipmi", "lxd", "proxmox", "raritan", "redfish", "virsh", "webhook",
];

/// How long a service may take to listen.
const STARTUP: Duration = Duration::from_secs(15);

/// A rack controller's power-driver directory (`/run/maas/power-driver` on a deb):
/// drivers serving on `DIR/NAME.sock`, killed, and the directory removed, on drop.
struct Rack {
    dir: PathBuf,
    services: Vec<Service>,
}

/// One `DRIVER serve` process, by the driver's name.
struct Service {
    name: String,
    process: Process,
}

impl Rack {
    fn new() -> Rack {
        Rack {
            dir: scratch::fresh_dir("agent"),
            services: Vec::new(),
        }
    }

    /// Starts the example driver `name` serving on `DIR/NAME.sock` with `env` set, and
    /// waits until it takes connections.
    fn serve(&mut self, name: &str, env: &[(&str, OsString)]) {
        let socket = self.dir.join(format!("{name}.sock"));
        let mut command = Command::new(support::example(name));
        command.arg("serve").arg("--socket").arg(&socket);
        self.start(name, command, &socket, env);
    }

    /// Starts the example driver `name` as installed, `serve` without `--socket`, with
    /// `env` set, and waits until it takes connections on `socket`, where it should be.
    fn serve_by_default(&mut self, name: &str, socket: &Path, env: &[(&str, OsString)]) {
        let mut command = Command::new(support::example(name));
        command.arg("serve");
        self.start(name, command, socket, env);
    }

    fn start(&mut self, name: &str, mut command: Command, socket: &Path, env: &[(&str, OsString)]) {
        let process = Process::spawn(command.envs(env.iter().map(|(key, value)| (key, value))))
            .unwrap_or_else(|error| panic!("{name} serve does not start: {error}"));
        let mut service = Service {
            name: name.to_owned(),
            process,
        };
        let listening = service
            .process
            .wait_until(STARTUP, |_| UnixStream::connect(socket).is_ok());
        match listening {
            Ok(()) => self.services.push(service),
            Err(Unready::Exited(status)) => panic!(
                "{name} serve exited with {status}:\n{}",
                service.process.stderr()
            ),
            Err(Unready::TimedOut) => panic!(
                "{name} serve did not listen on {} within {STARTUP:?}:\n{}",
                socket.display(),
                service.process.stderr()
            ),
        }
    }

    /// The driver `name` as `agent` discovers it: under its name, on `DIR/NAME.sock`.
    fn find(&self, agent: &Agent, name: &str) -> Driver {
        let mut drivers = agent.discover(&self.dir);
        let driver = drivers.remove(name).unwrap_or_else(|| {
            panic!(
                "discovery found no driver named {name:?} in {} (found {:?}):\n{}",
                self.dir.display(),
                drivers.keys().collect::<Vec<_>>(),
                self.stderr(name)
            )
        });
        assert_eq!(driver.socket, self.dir.join(format!("{name}.sock")));
        driver
    }

    /// What the service `name` has printed on stderr so far.
    fn stderr(&self, name: &str) -> String {
        self.services
            .iter()
            .find(|service| service.name == name)
            .map(|service| service.process.stderr())
            .unwrap_or_default()
    }

    /// What the service `name` has printed once `done` says it is all there: lines are
    /// written before the answer but collected by another thread. Fails, with the
    /// stderr, after [`STARTUP`].
    fn stderr_once(&self, name: &str, done: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let stderr = self.stderr(name);
            if done(&stderr) || started.elapsed() >= STARTUP {
                return stderr;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Asserts that no service printed `secret`.
    fn assert_never_printed(&self, secret: &str) {
        for service in &self.services {
            let stderr = service.process.stderr();
            assert!(
                !stderr.contains(secret),
                "{} printed a secret:\n{stderr}",
                service.name
            );
        }
    }
}

impl Drop for Rack {
    fn drop(&mut self) {
        // Stopped before their directory goes: the services' own drops would come after.
        for service in &mut self.services {
            service.process.kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The answer to a request, or a failure naming the request, the agent's error and what
/// the service printed.
#[track_caller]
fn answer<T>(outcome: Result<T, AgentError>, what: &str, rack: &Rack, service: &str) -> T {
    outcome.unwrap_or_else(|error| {
        panic!(
            "{what}: {error}\n{service} stderr:\n{}",
            rack.stderr(service)
        )
    })
}

#[test]
fn discovery_finds_every_driver_under_its_metadata_name() {
    // Every driver of drivers/ is here: a new one needs its place in this suite.
    let listed: Vec<&str> = DRIVERS
        .into_iter()
        .filter(|name| *name != "abstract")
        .collect();
    assert_eq!(listed, support::drivers(), "DRIVERS against drivers/");
    let mut rack = Rack::new();
    for name in DRIVERS {
        rack.serve(name, &[]);
    }
    let agent = Agent::new(RACK_ID);
    let started = Instant::now();
    let drivers = agent.discover(&rack.dir);
    // Discovery skips a socket whose metadata took longer than this.
    assert!(started.elapsed() < METADATA_TIMEOUT);
    assert_eq!(
        drivers.keys().map(String::as_str).collect::<Vec<_>>(),
        DRIVERS
    );
    for (name, driver) in &drivers {
        assert_eq!(driver.metadata["name"], json!(name));
        assert_eq!(driver.socket, rack.dir.join(format!("{name}.sock")));
    }
}

/// The agent forwards each driver's metadata to the region as the schema it registers,
/// which the region validates as its `DriverSchema`: strings for name, description and
/// version, `actions` as `{"name"}` objects, settings with name, label, field type and
/// a boolean `required`, the capabilities as booleans.
/// A driver installed with no `--socket` is found where the agent looks: its default
/// socket is the agent's `DefaultSocketDir()` (`pathutil.RunDir()/power-driver`). Run
/// here as in a snap, `/run/snap.INSTANCE/power-driver`, with an instance of the test's
/// own; the deb directory, `/run/maas/power-driver`, is the same rule without one.
/// Needs write access to `/run` (root, as `scripts/test` runs in CI).
#[test]
fn discovery_finds_a_driver_installed_at_its_default_socket() {
    let instance = format!("maaspd-test-{}", std::process::id());
    let dir = agent::default_socket_dir(Some(&instance));
    let run_dir = dir.parent().expect("/run/snap.INSTANCE").to_owned();
    struct Cleanup(PathBuf);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _cleanup = Cleanup(run_dir);
    let mut rack = Rack::new();
    let socket = dir.join("abstract.sock");
    rack.serve_by_default(
        "abstract",
        &socket,
        &[("SNAP_INSTANCE_NAME", OsString::from(&instance))],
    );
    let agent = Agent::new(RACK_ID);
    let drivers = agent.discover(&dir);
    let driver = drivers
        .get("abstract")
        .unwrap_or_else(|| panic!("nothing found in {}", dir.display()));
    assert_eq!(driver.socket, socket);
    let context = PowerParameters::of_machine(MACHINE_ID).to_value();
    assert_eq!(agent.query(driver, &context).unwrap(), "off");
    assert_eq!(
        agent::default_socket_dir(None),
        PathBuf::from("/run/maas/power-driver")
    );
}

#[test]
fn metadata_is_what_the_region_registers() {
    let expected_actions: BTreeMap<&str, &[&str]> = BTreeMap::from([
        ("abstract", &["query", "on", "off", "cycle", "reset"][..]),
        ("apc", &["query", "on", "off", "cycle", "reset"][..]),
        ("eaton", &["query", "on", "off", "cycle", "reset"][..]),
        ("ipmi", &["query", "on", "off", "cycle", "reset"][..]),
        ("lxd", &["query", "on", "off", "cycle", "reset"][..]),
        ("raritan", &["query", "on", "off", "cycle", "reset"][..]),
        (
            "proxmox",
            &["query", "on", "off", "cycle", "reset", "probe"][..],
        ),
        (
            "redfish",
            &["query", "on", "off", "cycle", "reset", "probe"][..],
        ),
        (
            "virsh",
            &[
                "query",
                "on",
                "off",
                "cycle",
                "reset",
                "set-boot-order",
                "probe",
            ][..],
        ),
        ("webhook", &["query", "on", "off", "cycle", "reset"][..]),
    ]);
    let mut rack = Rack::new();
    for name in DRIVERS {
        rack.serve(name, &[]);
    }
    let drivers = Agent::new(RACK_ID).discover(&rack.dir);
    assert_eq!(drivers.len(), DRIVERS.len(), "{:?}", drivers.keys());
    for (name, driver) in &drivers {
        let metadata = &driver.metadata;
        let actions: Vec<Value> = expected_actions[name.as_str()]
            .iter()
            .map(|action| json!({"name": action}))
            .collect();
        assert_eq!(metadata["actions"], json!(actions), "{name}");
        assert_eq!(
            region::refusals(metadata),
            Vec::<String>::new(),
            "{name}: the region registers it"
        );
    }
}

#[test]
fn abstract_answers_every_action() {
    let mut rack = Rack::new();
    rack.serve("abstract", &[]);
    let agent = Agent::new(RACK_ID);
    let driver = rack.find(&agent, "abstract");
    let context = PowerParameters::of_machine(MACHINE_ID).to_value();

    let state = answer(agent.query(&driver, &context), "query", &rack, "abstract");
    assert_eq!(state, "off");
    answer(agent.on(&driver, &context), "on", &rack, "abstract");
    answer(agent.off(&driver, &context), "off", &rack, "abstract");
    answer(agent.cycle(&driver, &context), "cycle", &rack, "abstract");
    answer(agent.reset(&driver, &context), "reset", &rack, "abstract");
}

/// A webhook peer that keeps its machine's state: `POST /machine/on` and `/machine/off`
/// switch it, `GET /machine/status` tells it in the words of MAAS's default regexes.
fn webhook_peer() -> HttpServer {
    let running = Arc::new(Mutex::new(false));
    HttpServer::start(move |request: &Request| {
        let mut running = running.lock().unwrap();
        match (request.method.as_str(), request.path()) {
            ("POST", "/machine/on") => *running = true,
            ("POST", "/machine/off") => *running = false,
            ("GET", "/machine/status") => {}
            _ => return Reply::status(404),
        }
        let status = if *running { "running" } else { "stopped" };
        Reply::ok(format!(r#"{{"name": "vm-1", "status": "{status}"}}"#))
    })
}

/// The peer's requests, as `METHOD PATH`.
fn requests_seen(peer: &HttpServer) -> Vec<String> {
    peer.requests()
        .iter()
        .map(|request| format!("{} {}", request.method, request.path()))
        .collect()
}

#[test]
fn webhook_switches_its_peer_for_the_agent() {
    let peer = webhook_peer();
    let mut rack = Rack::new();
    rack.serve("webhook", &[]);
    let agent = Agent::new(RACK_ID);
    let driver = rack.find(&agent, "webhook");
    let context = PowerParameters::of_machine(MACHINE_ID)
        .text("power_on_uri", &peer.url("/machine/on"))
        .text("power_off_uri", &peer.url("/machine/off"))
        .text("power_query_uri", &peer.url("/machine/status"))
        .text("power_on_regex", r"status.*\:.*running")
        .text("power_off_regex", r"status.*\:.*stopped")
        .text("power_user", "maas")
        .text("power_pass", SENTINEL)
        .unset("power_token")
        .text("power_verify_ssl", "n")
        .to_value();
    let query = || answer(agent.query(&driver, &context), "query", &rack, "webhook");

    assert_eq!(query(), "off");
    answer(agent.on(&driver, &context), "on", &rack, "webhook");
    assert_eq!(query(), "on");
    answer(agent.off(&driver, &context), "off", &rack, "webhook");
    assert_eq!(query(), "off");
    answer(agent.cycle(&driver, &context), "cycle", &rack, "webhook");
    assert_eq!(query(), "on");
    answer(agent.reset(&driver, &context), "reset", &rack, "webhook");
    assert_eq!(query(), "on");

    let seen = requests_seen(&peer);
    let switches: Vec<&str> = seen
        .iter()
        .map(String::as_str)
        .filter(|request| request.starts_with("POST"))
        .collect();
    // On; off; the cycle of a machine known to be off: on; the reset (a cycle) of one
    // that is on: off, then on.
    assert_eq!(
        switches,
        [
            "POST /machine/on",
            "POST /machine/off",
            "POST /machine/on",
            "POST /machine/off",
            "POST /machine/on",
        ],
        "{seen:?}"
    );
    for request in peer.requests() {
        // The machine's system_id from the context, not the rack's the request carries.
        assert_eq!(request.header("system_id"), Some(MACHINE_ID), "{request:?}");
        // No token (it is ""), so basic auth: base64("maas:" + SENTINEL).
        assert_eq!(
            request.header("authorization"),
            Some("Basic bWFhczpTZW50aW5lbC1QYTU1LWFnZW50LTdkMmU="),
            "{request:?}"
        );
    }
    rack.assert_never_printed(SENTINEL);
}

/// Python for sushy's config file: its fake driver lands a power change 1 to 11 s after
/// the request (`randint(1, 11)`), but the agent gives a whole power action 10 s, and the
/// redfish driver waits for the change. Landing it within a second, as a brisk BMC does,
/// keeps the test about the agent, not about sushy's dice (sushy's own unit tests patch
/// the same function).
const BRISK_POWER_CHANGES: &str =
    "import random as _random\n_random.randint = lambda low, high: low";

/// sushy's `PowerState` of fixture system `node` (1-based).
fn sushy_power_state(sushy: &Sushy, node: usize) -> Value {
    sushy.get_json(&format!("/redfish/v1/Systems/{}", SYSTEMS[node - 1].0))["PowerState"].clone()
}

/// Queries through `agent` until the state is `wanted`, as MAAS polls after a change
/// it does not wait for; fails after `within`.
fn poll_until(
    agent: &Agent,
    driver: &Driver,
    context: &Value,
    wanted: &str,
    within: Duration,
) -> Result<(), String> {
    let started = Instant::now();
    loop {
        let state = agent
            .query(driver, context)
            .map_err(|error| error.to_string())?;
        if state == wanted {
            return Ok(());
        }
        if started.elapsed() > within {
            return Err(format!("still {state:?} after {within:?}"));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn redfish_switches_a_sushy_system_for_the_agent() {
    if !peers::available(&[Peer::Sushy]) {
        return;
    }
    let sushy = Sushy::start(&sushy::Options {
        extra_config: BRISK_POWER_CHANGES.into(),
        ..sushy::Options::default()
    });
    let mut rack = Rack::new();
    rack.serve("redfish", &[]);
    let agent = Agent::new(RACK_ID);
    let driver = rack.find(&agent, "redfish");
    // node-3, off at start. The emulator checks no password: the sentinel goes as one.
    let context = PowerParameters::of_machine(MACHINE_ID)
        .text("power_address", &sushy.address())
        .text("power_user", "admin")
        .text("power_pass", SENTINEL)
        .text("node_id", SYSTEMS[2].0)
        .text("power_verify_ssl", "n")
        .to_value();
    let query = || answer(agent.query(&driver, &context), "query", &rack, "redfish");

    assert_eq!(query(), "off");
    // The driver answers once the BMC shows the new state.
    answer(agent.on(&driver, &context), "on", &rack, "redfish");
    assert_eq!(sushy_power_state(&sushy, 3), "On");
    assert_eq!(query(), "on");
    answer(agent.off(&driver, &context), "off", &rack, "redfish");
    assert_eq!(sushy_power_state(&sushy, 3), "Off");
    assert_eq!(query(), "off");
    answer(agent.cycle(&driver, &context), "cycle", &rack, "redfish");
    assert_eq!(sushy_power_state(&sushy, 3), "On");
    // A reset is a GracefulRestart the driver does not wait for: poll, as MAAS does.
    answer(agent.reset(&driver, &context), "reset", &rack, "redfish");
    poll_until(&agent, &driver, &context, "on", Duration::from_secs(10))
        .unwrap_or_else(|why| panic!("after the reset: {why}\n{}", rack.stderr("redfish")));
    let resets = sushy
        .log()
        .matches(&format!(
            "POST /redfish/v1/Systems/{}/Actions/ComputerSystem.Reset",
            SYSTEMS[2].0
        ))
        .count();
    // On; ForceOff; the cycle's On (the machine was known off); GracefulRestart.
    assert_eq!(resets, 4, "{}", sushy.log());
    rack.assert_never_printed(SENTINEL);
}

/// A VM of fakepve switched for the agent, with a ticket login as MAAS's form stores
/// the settings (no token: its two settings empty); each change lands before the answer,
/// its task waited for and the state confirmed.
#[test]
fn proxmox_switches_a_fakepve_vm_for_the_agent() {
    if !peers::available(&[Peer::FakePve]) {
        return;
    }
    let pve = fakepve::FakePve::start();
    let mut rack = Rack::new();
    rack.serve("proxmox", &[]);
    let agent = Agent::new(RACK_ID);
    let driver = rack.find(&agent, "proxmox");
    // "db" (vmid 101), off at start.
    let context = PowerParameters::of_machine(MACHINE_ID)
        .text("power_address", pve.address())
        .text("power_user", fakepve::USER)
        .text("power_pass", fakepve::PASSWORD)
        .unset("power_token_name")
        .unset("power_token_secret")
        .text("power_vm_name", "db")
        .text("power_verify_ssl", "n")
        .to_value();
    let query = || answer(agent.query(&driver, &context), "query", &rack, "proxmox");

    assert_eq!(query(), "off");
    answer(agent.on(&driver, &context), "on", &rack, "proxmox");
    assert_eq!(pve.status(101), "running");
    assert_eq!(query(), "on");
    answer(agent.off(&driver, &context), "off", &rack, "proxmox");
    assert_eq!(pve.status(101), "stopped");
    assert_eq!(query(), "off");
    answer(agent.cycle(&driver, &context), "cycle", &rack, "proxmox");
    assert_eq!(pve.status(101), "running");
    // A reset is maaspd's cycle: off, then on.
    answer(agent.reset(&driver, &context), "reset", &rack, "proxmox");
    assert_eq!(pve.status(101), "running");
    let switches = |verb: &str| {
        pve.requests(&format!(
            "POST /api2/json/nodes/pve1/qemu/101/status/{verb}"
        ))
    };
    assert_eq!(
        (switches("start"), switches("stop")),
        (3, 2),
        "{}",
        pve.log()
    );
    rack.assert_never_printed(fakepve::PASSWORD);
}

/// A container of a real LXD (`support/lxd.rs`) switched for the agent, with settings as
/// MAAS's form stores them: a certificate LXD does not know yet, which the trust password
/// makes trusted on the first call; each change lands before the answer, LXD's operation
/// waited for and the state confirmed.
#[test]
fn lxd_switches_a_container_for_the_agent() {
    if !peers::available(lxd::PEERS) {
        return;
    }
    let mut lxd = lxd::Lxd::start();
    let identity = lxd.identity();
    let instance = lxd.container("default", "agent", false);
    let mut rack = Rack::new();
    rack.serve("lxd", &[]);
    let agent = Agent::new(RACK_ID);
    let driver = rack.find(&agent, "lxd");
    let context = PowerParameters::of_machine(MACHINE_ID)
        .text("power_address", &lxd.address())
        .text("instance_name", &instance)
        .text("project", "default")
        .text("password", lxd::TRUST_PASSWORD)
        .text("certificate", &identity.cert)
        .text("key", &identity.key)
        .to_value();
    let query = || answer(agent.query(&driver, &context), "query", &rack, "lxd");

    let before = lxd.trusted();
    assert_eq!(query(), "off");
    assert_eq!(lxd.trusted(), before + 1);
    answer(agent.on(&driver, &context), "on", &rack, "lxd");
    assert_eq!(lxd.status("default", &instance), "Running");
    assert_eq!(query(), "on");
    answer(agent.off(&driver, &context), "off", &rack, "lxd");
    assert_eq!(lxd.status("default", &instance), "Stopped");
    assert_eq!(query(), "off");
    answer(agent.cycle(&driver, &context), "cycle", &rack, "lxd");
    assert_eq!(lxd.status("default", &instance), "Running");
    // A reset is maaspd's cycle: off, then on.
    answer(agent.reset(&driver, &context), "reset", &rack, "lxd");
    assert_eq!(lxd.status("default", &instance), "Running");
    assert_eq!(lxd.trusted(), before + 1);
    rack.assert_never_printed(lxd::TRUST_PASSWORD);
    let key: String = identity
        .key
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    rack.assert_never_printed(&key);
}

/// The three SNMP PDUs, one snmpsim serving MAAS's community `private` with an outlet
/// of each (APC rPDU outlet 3, Raritan outlet 3, Eaton outlet 3: its state and its on
/// and off commands), each switched through its driver's service as the agent switches
/// it, the outlet's state checked at the PDU after each action.
#[test]
fn pdus_switch_their_outlets_for_the_agent() {
    use snmpsim::{Record, Snmpsim};
    const APC: &str = "1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.3";
    const RARITAN: &str = "1.3.6.1.4.1.13742.6.4.1.2.1.2.1.3";
    const EATON: &str = "1.3.6.1.4.1.534.6.6.7.6.6.1";
    if !peers::available(&[Peer::Snmpsim]) {
        return;
    }
    let records = [
        Record::outlet(APC, "apc"),
        Record::outlet(RARITAN, "raritan"),
        Record::outlet(&format!("{EATON}.2.0.3"), "eaton"),
        Record::outlet(&format!("{EATON}.3.0.3"), "eaton")
            .writing(0)
            .accepting(0),
        Record::outlet(&format!("{EATON}.4.0.3"), "eaton")
            .writing(1)
            .accepting(0),
    ];
    let pdu = Snmpsim::start(
        "private",
        &records,
        &[("apc", 2), ("raritan", 0), ("eaton", 0)],
    );
    let mut rack = Rack::new();
    let agent = Agent::new(RACK_ID);
    // (driver, the outlet's state when on, when off)
    for (name, on, off) in [("apc", 1, 2), ("raritan", 1, 0), ("eaton", 1, 0)] {
        rack.serve(name, &[]);
        let driver = rack.find(&agent, name);
        // As MAAS's form stores them: the PDU's address, the node's outlet, the delay
        // at its default ("5" is slow for a test: 1 s), APC's type at its default.
        let mut parameters = PowerParameters::of_machine(MACHINE_ID)
            .text("power_address", &pdu.address())
            .text("node_outlet", "3")
            .text("power_on_delay", "1");
        if name == "apc" {
            parameters = parameters.text("pdu_type", "RPDU");
        }
        let context = parameters.to_value();
        let query = || answer(agent.query(&driver, &context), "query", &rack, name);
        assert_eq!(query(), "off", "{name}");
        answer(agent.on(&driver, &context), "on", &rack, name);
        assert_eq!(pdu.state(name), on, "{name}");
        assert_eq!(query(), "on", "{name}");
        answer(agent.off(&driver, &context), "off", &rack, name);
        assert_eq!(pdu.state(name), off, "{name}");
        answer(agent.cycle(&driver, &context), "cycle", &rack, name);
        assert_eq!(pdu.state(name), on, "{name}");
        answer(agent.reset(&driver, &context), "reset", &rack, name);
        assert_eq!(pdu.state(name), on, "{name}");
        // on; off; the cycle's on (the outlet was known off); the reset's off and on.
        assert_eq!(pdu.sets(name), [on, off, on, off, on], "{name}");
    }
    rack.assert_never_printed("private");
}

/// The simulated BMC's settings as MAAS's form stores them for a machine whose BMC was
/// set up by hand: address and credentials given, the choices at their defaults, the
/// rest left empty; `power_off_mode` is `""` as `get_effective_power_parameters` adds it.
fn ipmi_parameters(sim: &IpmiSim) -> PowerParameters {
    PowerParameters::of_machine(MACHINE_ID)
        .text("power_driver", "LAN_2_0")
        .text("power_boot_type", "auto")
        .text("power_address", &sim.address())
        .text("power_user", ipmi_sim::USER)
        .text("power_pass", ipmi_sim::PASSWORD)
        .unset("k_g")
        .text("cipher_suite_id", "3")
        .text("privilege_level", "OPERATOR")
        .choices("workaround_flags", &["opensesspriv"])
        .unset("mac_address")
        .unset("power_off_mode")
        .unset("session_timeout")
}

#[test]
fn ipmi_switches_the_simulated_machine_for_the_agent() {
    if !peers::available(ipmi_sim::PEERS) {
        return;
    }
    let sim = IpmiSim::start();
    let mut rack = Rack::new();
    rack.serve("ipmi", &[("PATH", ipmi_sim::tool_path())]);
    let agent = Agent::new(RACK_ID);
    let driver = rack.find(&agent, "ipmi");
    let context = ipmi_parameters(&sim).to_value();
    let query = || answer(agent.query(&driver, &context), "query", &rack, "ipmi");

    assert_eq!(query(), "off");
    answer(agent.on(&driver, &context), "on", &rack, "ipmi");
    sim.wait_until_on(true);
    assert_eq!(query(), "on");
    answer(agent.off(&driver, &context), "off", &rack, "ipmi");
    sim.wait_until_on(false);
    assert_eq!(query(), "off");
    answer(agent.cycle(&driver, &context), "cycle", &rack, "ipmi");
    sim.wait_until_on(true);
    let before_reset = sim.calls().len();
    answer(agent.reset(&driver, &context), "reset", &rack, "ipmi");
    sim.wait_until_on(true);
    // The reset went to the BMC: it switched the machine, off first.
    assert!(
        sim.calls()[before_reset..].contains(&"set power 0".to_owned()),
        "{:?}",
        sim.calls()
    );
    assert_eq!(query(), "on");
    rack.assert_never_printed(ipmi_sim::PASSWORD);
}

/// A number among the settings comes as MAAS keeps it, a string.
#[test]
fn ipmi_takes_a_number_as_maas_keeps_it() {
    if !peers::available(ipmi_sim::PEERS) {
        return;
    }
    let sim = IpmiSim::start();
    let mut rack = Rack::new();
    rack.serve("ipmi", &[("PATH", ipmi_sim::tool_path())]);
    let agent = Agent::new(RACK_ID);
    let driver = rack.find(&agent, "ipmi");
    let context = ipmi_parameters(&sim)
        .number("session_timeout", 5000)
        .text("power_off_mode", "hard")
        .to_value();
    let state = answer(agent.query(&driver, &context), "query", &rack, "ipmi");
    assert_eq!(state, "off");
    rack.assert_never_printed(ipmi_sim::PASSWORD);
}

/// The virsh settings of domain `domain` on `host` as MAAS stores them; the password
/// goes to ssh only, which a `test://` URI never runs.
fn virsh_parameters(host: &Host, domain: &str) -> Value {
    PowerParameters::of_machine(MACHINE_ID)
        .text("power_address", &host.uri)
        .text("power_id", domain)
        .text("power_pass", SENTINEL)
        .to_value()
}

/// libvirt's test driver keeps a change for one connection, one virsh run: the driver
/// reads its change back in the same run and says on stderr what it found, which is the
/// peer's state these tests check.
#[test]
fn virsh_switches_test_domains_for_the_agent() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let host = Host::new("agent");
    let mut rack = Rack::new();
    rack.serve("virsh", &[]);
    let agent = Agent::new(RACK_ID);
    let driver = rack.find(&agent, "virsh");
    let running = virsh_parameters(&host, "vm-amd64");
    let shut_off = virsh_parameters(&host, "vm-arm64");

    let state = answer(agent.query(&driver, &running), "query", &rack, "virsh");
    assert_eq!(state, "on");
    let state = answer(agent.query(&driver, &shut_off), "query", &rack, "virsh");
    assert_eq!(state, "off");
    answer(agent.on(&driver, &shut_off), "on", &rack, "virsh");
    answer(agent.off(&driver, &running), "off", &rack, "virsh");
    answer(agent.cycle(&driver, &shut_off), "cycle", &rack, "virsh");
    answer(agent.reset(&driver, &shut_off), "reset", &rack, "virsh");

    let started = "vm-arm64: was shut off; started; now running\n";
    let stderr = rack.stderr_once("virsh", |stderr| stderr.matches(started).count() >= 3);
    assert_eq!(
        stderr.matches(started).count(),
        3,
        "on, cycle and reset each start the shut-off domain:\n{stderr}"
    );
    assert!(
        stderr.contains("vm-amd64: was running; destroyed; now shut off\n"),
        "{stderr}"
    );
    rack.assert_never_printed(SENTINEL);
}

/// The last boot order the virsh driver read back, as it reported it on stderr.
fn last_boot_order(rack: &Rack, domain: &str) -> String {
    let prefix = format!("{domain}: boot order now ");
    let order = |stderr: &str| {
        stderr
            .lines()
            .rev()
            .find_map(|line| line.strip_prefix(&prefix))
            .map(str::to_owned)
    };
    let stderr = rack.stderr_once("virsh", |stderr| order(stderr).is_some());
    order(&stderr).unwrap_or_else(|| panic!("no boot order reported for {domain}:\n{stderr}"))
}

#[test]
fn virsh_sets_the_boot_order_from_maas_rows() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let host = Host::new("agent-rows");
    let mut rack = Rack::new();
    rack.serve("virsh", &[]);
    let agent = Agent::new(RACK_ID);
    let driver = rack.find(&agent, "virsh");
    // vm-amd64: one disk, two interfaces, booting from its second interface; a deployed
    // machine boots from its disk first.
    let disks = [Disk {
        id: 12,
        name: "vda",
        serial: "SER-AMD64-0",
        model: "",
        size: 10_737_418_240,
    }];
    let nics = [
        Nic {
            id: 32,
            name: "enp2s0",
            mac: "52:54:00:00:01:02",
            ip: "10.20.1.11",
        },
        Nic {
            id: 31,
            name: "enp1s0",
            mac: "52:54:00:00:01:01",
            ip: "10.20.0.11",
        },
    ];
    let rows = boot_order_rows(&disks, &nics, false);
    let context = virsh_parameters(&host, "vm-amd64");
    answer(
        agent.set_boot_order_rows(&driver, MACHINE_ID, &context, &rows),
        "set-boot-order",
        &rack,
        "virsh",
    );
    assert_eq!(
        last_boot_order(&rack, "vm-amd64"),
        "1 storage SER-AMD64-0, 2 network 52:54:00:00:01:02, 3 network 52:54:00:00:01:01"
    );
    rack.assert_never_printed(SENTINEL);
}

/// The order of the spec's example: classes of device, not devices.
#[test]
fn virsh_sets_the_boot_order_by_class() {
    if !peers::available(&[Peer::Virsh]) {
        return;
    }
    let host = Host::new("agent-classes");
    let mut rack = Rack::new();
    rack.serve("virsh", &[]);
    let agent = Agent::new(RACK_ID);
    let driver = rack.find(&agent, "virsh");
    let context = virsh_parameters(&host, "vm-amd64");
    let order = ["network".to_owned(), "disk".to_owned()];
    answer(
        agent.set_boot_order(&driver, MACHINE_ID, &context, &order),
        "set-boot-order",
        &rack,
        "virsh",
    );
    let now = last_boot_order(&rack, "vm-amd64");
    let network = now.find("network");
    let disk = ["storage", "disk", "hd"]
        .iter()
        .filter_map(|word| now.find(word))
        .min();
    assert!(
        network.is_some() && disk.is_some() && network < disk,
        "network first, then the disk: {now}"
    );
    rack.assert_never_printed(SENTINEL);
}

/// The agent opens a connection for every request and never closes one: the service
/// must go on answering however many it is left holding.
#[test]
fn the_service_answers_connections_the_agent_never_closes() {
    const QUERIES: usize = 300;
    let mut rack = Rack::new();
    rack.serve("abstract", &[]);
    let agent = Agent::new(RACK_ID);
    let driver = rack.find(&agent, "abstract");
    let context = PowerParameters::of_machine(MACHINE_ID).to_value();
    for number in 1..=QUERIES {
        match agent.query(&driver, &context) {
            Ok(state) => assert_eq!(state, "off", "query {number}"),
            Err(error) => panic!(
                "query {number} of {QUERIES}, with {} connections still open: {error}\n{}",
                agent.open_connections(),
                rack.stderr("abstract")
            ),
        }
    }
}
