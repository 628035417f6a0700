//! The Redfish example driver (`examples/redfish.rs`), run as MAAS runs it, against
//! sushy-tools' fake Redfish BMC (`tests/support/sushy.rs`) and, for what sushy cannot
//! show (processors, odd power states, settings objects, ETags), a canned BMC below.
//!
//! Three emulators at most, each shared by the tests that need it: `PLAIN` (HTTP, no
//! auth), `AUTH` (the fixture htpasswd), `GUARDED` (HTTPS with a certificate made here,
//! power-off refused). A reset lands 1 to 11 s later; the driver waits for it, as MAAS's
//! does, so the slow power scenarios run side by side in one test.

#[path = "../../../tests/support/outcome.rs"]
mod outcome;
#[path = "../../../tests/support/peers.rs"]
mod peers;
#[path = "../../../tests/support/scratch.rs"]
mod scratch;
#[path = "../../../tests/support/mod.rs"]
mod support;
#[path = "../../../tests/support/sushy.rs"]
mod sushy;

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread;
use std::time::{Duration, Instant};

use maaspd::serde_json::{self, Value, json};
use outcome::Outcome;
use peers::Peer;
use sushy::{Options, SYSTEMS, Sushy};

static PLAIN: Mutex<Weak<Sushy>> = Mutex::new(Weak::new());
static AUTH: Mutex<Weak<Sushy>> = Mutex::new(Weak::new());
static GUARDED: Mutex<Weak<Sushy>> = Mutex::new(Weak::new());

const SENTINEL: &str = "Sentinel-Pa55-9f31c7";

fn plain() -> Arc<Sushy> {
    Sushy::shared(&PLAIN, Options::default)
}

fn auth() -> Arc<Sushy> {
    Sushy::shared(&AUTH, || Options {
        auth: true,
        ..Options::default()
    })
}

/// HTTPS with a self-signed certificate for 127.0.0.1 only (written to
/// `dir()/cert.pem`), and `ForceOff` refused with 400.
fn guarded() -> Arc<Sushy> {
    Sushy::shared(&GUARDED, || {
        let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
            .expect("a self-signed certificate");
        Options {
            tls: Some((certified.cert.pem(), certified.signing_key.serialize_pem())),
            extra_config: "SUSHY_EMULATOR_DISABLE_POWER_OFF = True".into(),
            ..Options::default()
        }
    })
}

fn uuid(node: usize) -> &'static str {
    SYSTEMS[node - 1].0
}

fn driver() -> PathBuf {
    support::example("redfish")
}

fn run_with(action: &str, parameters: Value, env: &[(&str, &str)]) -> Outcome {
    let input = json!({"driverParameters": parameters}).to_string();
    // Verification is against the system's CA certificates unless a test names a file.
    let mut variables: Vec<(&str, Option<&OsStr>)> = vec![("SSL_CERT_FILE", None)];
    variables.extend(
        env.iter()
            .map(|(name, value)| (*name, Some(OsStr::new(value)))),
    );
    let run = support::run_with_env(&driver(), &[action], input.as_bytes(), &variables);
    Outcome::read(run)
}

fn run(action: &str, parameters: Value) -> Outcome {
    run_with(action, parameters, &[])
}

fn params(address: &str, node_id: &str) -> Value {
    json!({"power_address": address, "power_user": "admin", "power_pass": "secret",
           "node_id": node_id})
}

fn resets_logged(sushy: &Sushy, node: usize) -> usize {
    let line = format!(
        "POST /redfish/v1/Systems/{}/Actions/ComputerSystem.Reset",
        uuid(node)
    );
    sushy.log().matches(&line).count()
}

fn boot_target(sushy: &Sushy, node: usize) -> Value {
    sushy.get_json(&format!("/redfish/v1/Systems/{}", uuid(node)))["Boot"]
        ["BootSourceOverrideTarget"]
        .clone()
}

#[test]
fn schema_keeps_maas_settings_and_names_the_addition() {
    let out = support::run(&driver(), &["schema"], b"");
    assert_eq!(out.status, 0, "{out:?}");
    let schema: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        schema["required"],
        json!(["power_address", "power_user", "power_pass"])
    );
    let properties = &schema["properties"];
    assert_eq!(properties["power_address"]["title"], "Redfish address");
    assert_eq!(properties["power_user"]["title"], "Redfish user");
    assert_eq!(properties["power_pass"]["title"], "Redfish password");
    assert_eq!(properties["power_pass"]["writeOnly"], true);
    assert_eq!(properties["node_id"]["title"], "Node ID");
    assert_eq!(properties["node_id"]["default"], "");
    let verify = &properties["power_verify_ssl"];
    assert_eq!(verify["default"], "n");
    assert!(
        verify["description"]
            .as_str()
            .unwrap()
            .starts_with("maaspd's addition")
    );
    let choices: Vec<&Value> = schema["$defs"]["YesNo"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|choice| &choice["const"])
        .collect();
    assert_eq!(choices, [&json!("n"), &json!("y")]);
}

#[test]
fn metadata_is_maas_redfish_driver_plus_probe() {
    let out = support::run(&driver(), &["metadata"], b"");
    assert_eq!(out.status, 0, "{out:?}");
    let metadata: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(metadata["name"], "redfish");
    assert_eq!(metadata["description"], "Redfish");
    assert_eq!(
        metadata["capabilities"],
        json!({"can_probe": true, "can_set_boot_order": false, "chassis": true,
               "queryable": true})
    );
    assert_eq!(metadata["ip_extractor"]["field_name"], "power_address");
    let settings: Vec<(&str, &str, &str, bool, bool)> = metadata["settings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap(),
                s["field_type"].as_str().unwrap(),
                s["scope"].as_str().unwrap(),
                s["required"].as_bool().unwrap(),
                s["secret"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        settings,
        [
            ("power_address", "string", "bmc", true, false),
            ("power_user", "string", "bmc", true, false),
            ("power_pass", "password", "bmc", true, true),
            ("node_id", "string", "node", false, false),
            ("power_verify_ssl", "choice", "bmc", false, false),
        ]
    );
}

/// On, off and query on sushy's three systems at once: node-3 plainly, node-2 (on) with
/// MAAS's off-PXE-on sequence, node-1 found from an empty `node_id` and by its name
/// (which sushy answers with a 307 redirect, GET, PATCH and POST alike).
#[test]
fn power_on_off_and_query() {
    if !peers::available(&[Peer::Sushy]) {
        return;
    }
    let sushy = plain();
    let address = sushy.address();
    thread::scope(|scope| {
        scope.spawn(|| {
            let node = params(&address, uuid(3));
            assert_eq!(run("power_query", node.clone()).state(), "off");
            assert_eq!(boot_target(&sushy, 3), "Hdd");
            run("power_on", node.clone()).ok();
            // The driver returns once the BMC shows the new state, as MAAS's does.
            assert_eq!(run("power_query", node.clone()).state(), "on");
            assert_eq!(boot_target(&sushy, 3), "Pxe");
            assert_eq!(resets_logged(&sushy, 3), 1);
            run("power_off", node.clone()).ok();
            assert_eq!(run("power_query", node.clone()).state(), "off");
            assert_eq!(resets_logged(&sushy, 3), 2);
            // Already off: no reset, only the PXE override again.
            run("power_off", node.clone()).ok();
            assert_eq!(resets_logged(&sushy, 3), 2);
        });
        scope.spawn(|| {
            let node = params(&address, uuid(2));
            assert_eq!(run("power_query", node.clone()).state(), "on");
            run("power_on", node.clone()).ok();
            assert_eq!(run("power_query", node.clone()).state(), "on");
            // ForceOff, then On once it was off.
            assert_eq!(resets_logged(&sushy, 2), 2);
            assert_eq!(boot_target(&sushy, 2), "Pxe");
        });
        scope.spawn(|| {
            let first = params(&address, "");
            let by_name = params(&address, "node-1");
            let by_uuid = params(&address, uuid(1));
            assert_eq!(run("power_query", first.clone()).state(), "off");
            assert_eq!(run("power_query", by_name.clone()).state(), "off");
            run("power_on", first.clone()).ok();
            assert_eq!(run("power_query", by_uuid.clone()).state(), "on");
            run("power_off", by_name.clone()).ok();
            assert_eq!(run("power_query", first).state(), "off");
            assert_eq!(resets_logged(&sushy, 1), 2);
            assert!(
                sushy
                    .log()
                    .contains("POST /redfish/v1/Systems/node-1/Actions")
            );
        });
    });
}

/// On `GUARDED`, not `PLAIN`: sushy applies a due power change on any GET and writes
/// back its whole copy of the system, so a GET racing a reset of that system on `PLAIN`
/// could undo the reset. (A probe beside `reset_sets_pxe_boot_and_restarts` is safe:
/// no change is due there before its reset.)
#[test]
fn probe_lists_every_system_of_the_bmc() {
    if !peers::available(&[Peer::Sushy]) {
        return;
    }
    let sushy = guarded();
    let mut parameters = params(&sushy.address(), "");
    parameters["system_id"] = json!("abc123"); // MAAS adds it; ignored
    let out = run("probe", parameters);
    assert_eq!(out.ok()["data"]["hosts"], sushy.probed_hosts());
    // sushy's fake systems say nothing of their processors: the fallback is named.
    for (uuid, name, _, _) in SYSTEMS {
        assert!(
            out.stderr.contains(&format!(
                "warning: Redfish system '{uuid}' ({name}) does not report an architecture"
            )),
            "{}",
            out.stderr
        );
    }
    assert!(out.stderr.contains("assuming amd64/generic"));
}

#[test]
fn unknown_node_is_an_action_error() {
    if !peers::available(&[Peer::Sushy]) {
        return;
    }
    let sushy = plain();
    run("power_query", params(&sushy.address(), "nosuch")).error(
        "actionError",
        &[
            "/redfish/v1/Systems/nosuch",
            "status code: 404",
            "Fake system nosuch was not found",
        ],
    );
    // Tried again with a trailing slash, as MAAS does.
    assert!(sushy.log().contains("GET /redfish/v1/Systems/nosuch/ "));
}

#[test]
fn wrong_credentials_are_an_auth_error() {
    if !peers::available(&[Peer::Sushy]) {
        return;
    }
    let sushy = auth();
    let node = uuid(2);
    let mut wrong = params(&sushy.address(), node);
    wrong["power_pass"] = json!("wrong");
    for action in ["power_query", "power_on", "power_off", "probe"] {
        run(action, wrong.clone()).error(
            "authError",
            &[
                "status code: 401",
                "Incorrect username or password",
                "check power_user and power_pass",
            ],
        );
    }
    let mut nobody = params(&sushy.address(), "");
    nobody["power_user"] = json!("nobody");
    run("power_query", nobody).error("authError", &["401"]);
    assert_eq!(
        run("power_query", params(&sushy.address(), node)).state(),
        "on"
    );
}

#[test]
fn dead_port_is_a_conn_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("http://127.0.0.1:{port}");
    for action in ["power_query", "power_on", "probe"] {
        run(action, params(&address, "")).error(
            "connError",
            &[
                &format!("GET {address}/redfish/v1/Systems"),
                "cannot reach the BMC",
                "refused",
            ],
        );
    }
}

#[test]
fn https_certificate_is_verified_only_when_asked() {
    if !peers::available(&[Peer::Sushy]) {
        return;
    }
    let sushy = guarded();
    let node = uuid(1);
    // MAAS's default: https:// added, the self-signed certificate accepted.
    let bare = format!("127.0.0.1:{}", sushy.port());
    assert_eq!(run("power_query", params(&bare, node)).state(), "off");

    let mut verify = params(&sushy.address(), node);
    verify["power_verify_ssl"] = json!("y");
    run("power_query", verify.clone()).error(
        "connError",
        &[
            "TLS certificate was refused",
            "UnknownIssuer",
            "power_verify_ssl",
        ],
    );
    // Trusted through SSL_CERT_FILE, as OpenSSL (and so MAAS's webhook driver) does.
    let cert = sushy.dir().join("cert.pem");
    let env = [("SSL_CERT_FILE", cert.to_str().unwrap())];
    assert_eq!(run_with("power_query", verify, &env).state(), "off");
    // ... but not for another name: the certificate holds 127.0.0.1 only.
    let mut other_name = params(&format!("https://localhost:{}", sushy.port()), node);
    other_name["power_verify_ssl"] = json!("y");
    run_with("power_query", other_name, &env).error("connError", &["NotValidForName"]);
    // Plain HTTP to the TLS port.
    let http = format!("http://127.0.0.1:{}", sushy.port());
    run("power_query", params(&http, node)).error("connError", &["cannot"]);
}

#[test]
fn refused_reset_is_an_action_error() {
    if !peers::available(&[Peer::Sushy]) {
        return;
    }
    let sushy = guarded();
    let out = run("power_off", params(&sushy.address(), uuid(2)));
    out.error(
        "actionError",
        &[
            "POST",
            "/Actions/ComputerSystem.Reset",
            "status code: 400",
            "Can not request power off transition",
        ],
    );
    assert_eq!(
        run("power_query", params(&sushy.address(), uuid(2))).state(),
        "on"
    );
}

/// MAAS's reset: the PXE override, then GracefulRestart, which sushy lands 1 to 11 s
/// later (the driver does not wait for it: poll).
#[test]
fn reset_sets_pxe_boot_and_restarts() {
    if !peers::available(&[Peer::Sushy]) {
        return;
    }
    let sushy = guarded();
    let node = params(&sushy.address(), uuid(3));
    assert_eq!(run("power_query", node.clone()).state(), "off");
    run("power_reset", node.clone()).ok();
    assert_eq!(boot_target(&sushy, 3), "Pxe");
    let deadline = Instant::now() + Duration::from_secs(20);
    while run("power_query", node.clone()).state() != "on" {
        assert!(
            Instant::now() < deadline,
            "node-3 not on 20 s after a reset"
        );
        thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn bad_settings_are_settings_errors() {
    let cases = [
        (
            json!({"power_user": "u", "power_pass": "p"}),
            "power_address",
        ),
        (
            json!({"power_address": "", "power_user": "u", "power_pass": "p"}),
            "power_address",
        ),
        (
            json!({"power_address": "ftp://bmc", "power_user": "u", "power_pass": "p"}),
            "only http:// and https://",
        ),
        (
            json!({"power_address": "https://u:p@bmc", "power_user": "u", "power_pass": "p"}),
            "must not hold a user or password",
        ),
        (
            json!({"power_address": "bmc", "power_pass": "p"}),
            "power_user",
        ),
        (
            json!({"power_address": "bmc", "power_user": "u", "power_pass": "p",
                   "power_verify_ssl": "maybe"}),
            "power_verify_ssl",
        ),
    ];
    for (parameters, part) in cases {
        run("power_query", parameters).error("settingsError", &[part]);
    }
}

// ---------------------------------------------------------------------------------
// A canned BMC, for what sushy's fake systems cannot show.

/// One request the canned BMC received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: String,
}

type Answer = (u16, Vec<(&'static str, String)>, String);

/// An HTTP/1.1 server on 127.0.0.1 answering each request with `answer`, one
/// connection at a time; it records what it received.
struct CannedBmc {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl CannedBmc {
    fn start(answer: impl Fn(&Seen) -> Answer + Send + 'static) -> CannedBmc {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen_by_server, stop_server) = (seen.clone(), stop.clone());
        let thread = thread::spawn(move || {
            for stream in listener.incoming() {
                if stop_server.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                if let Some(request) = read_request(&stream) {
                    seen_by_server.lock().unwrap().push(request.clone());
                    write_answer(stream, answer(&request));
                }
            }
        });
        CannedBmc {
            port,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn address(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for CannedBmc {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn read_request(stream: &TcpStream) -> Option<Seen> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut words = line.split_whitespace();
    let (method, path) = (words.next()?.to_owned(), words.next()?.to_owned());
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.insert(name.to_lowercase(), value.trim().to_owned());
    }
    let length = headers
        .get("content-length")
        .and_then(|length| length.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Seen {
        method,
        path,
        headers,
        body: String::from_utf8(body).ok()?,
    })
}

fn write_answer(mut stream: TcpStream, (status, headers, body): Answer) {
    let mut text = format!(
        "HTTP/1.1 {status} Canned\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(&body);
    let _ = stream.write_all(text.as_bytes());
}

fn json_answer(value: Value) -> Answer {
    (
        200,
        vec![("Content-Type", "application/json".into())],
        value.to_string(),
    )
}

fn members(paths: &[&str]) -> Answer {
    let members: Vec<Value> = paths.iter().map(|p| json!({"@odata.id": p})).collect();
    json_answer(json!({"Members": members}))
}

/// Systems with processors, odd states and settings objects; `mockon` switches on
/// when reset, `flaky` is in `Reset` for its first two queries.
fn canned_bmc() -> CannedBmc {
    let mockon = AtomicBool::new(false);
    let flaky = AtomicUsize::new(0);
    CannedBmc::start(move |request| {
        let s = "/redfish/v1/Systems";
        match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/redfish/v1/Systems") => members(&[
                "/redfish/v1/Systems/arm",
                "/redfish/v1/Systems/xeon",
                "/redfish/v1/Systems/power/",
            ]),
            ("GET", p) if p == format!("{s}/arm") => json_answer(json!({
                "Id": "arm", "Name": "System", "HostName": "arm-host",
                "PowerState": "PoweringOn",
                "Processors": {"@odata.id": "/redfish/v1/Systems/arm/Processors"},
                "EthernetInterfaces": {"@odata.id": "/redfish/v1/Systems/arm/EthernetInterfaces"},
            })),
            ("GET", "/redfish/v1/Systems/arm/Processors") => members(&[
                "/redfish/v1/Systems/arm/Processors/gpu0",
                "/redfish/v1/Systems/arm/Processors/cpu0",
            ]),
            ("GET", "/redfish/v1/Systems/arm/Processors/gpu0") => {
                json_answer(json!({"ProcessorType": "GPU", "InstructionSet": "x86-64"}))
            }
            ("GET", "/redfish/v1/Systems/arm/Processors/cpu0") => {
                json_answer(json!({"ProcessorType": "CPU", "InstructionSet": "ARM-A64"}))
            }
            ("GET", "/redfish/v1/Systems/arm/EthernetInterfaces") => members(&[
                "/redfish/v1/Systems/arm/EthernetInterfaces/0",
                "/redfish/v1/Systems/arm/EthernetInterfaces/1",
            ]),
            ("GET", "/redfish/v1/Systems/arm/EthernetInterfaces/0") => {
                json_answer(json!({"MACAddress": ""}))
            }
            ("GET", "/redfish/v1/Systems/arm/EthernetInterfaces/1") => {
                json_answer(json!({"MACAddress": "AA:BB:CC:DD:EE:01"}))
            }
            ("GET", "/redfish/v1/Systems/xeon") => json_answer(json!({
                "Id": "xeon", "Name": "xeon-1", "PowerState": "Paused",
                "ProcessorSummary": {"Count": 2, "Model": "Intel(R) Xeon(R) Gold 6230 CPU"},
            })),
            ("GET", "/redfish/v1/Systems/power/") => json_answer(json!({
                "Id": "power", "Name": "p9", "PowerState": "PoweringOff",
                "Processors": {"@odata.id": "/redfish/v1/Systems/power/Processors"},
                "EthernetInterfaces": {"@odata.id": "/redfish/v1/Systems/power/Broken"},
            })),
            ("GET", "/redfish/v1/Systems/power/Processors") => {
                members(&["/redfish/v1/Systems/power/Processors/0"])
            }
            ("GET", "/redfish/v1/Systems/power/Processors/0") => {
                json_answer(json!({"ProcessorArchitecture": "Power"}))
            }
            ("GET", "/redfish/v1/Systems/bogus") => {
                json_answer(json!({"Id": "bogus", "PowerState": "Exploded"}))
            }
            ("GET", "/redfish/v1/Systems/flaky") => {
                let state = if flaky.fetch_add(1, Ordering::SeqCst) < 2 {
                    "Reset"
                } else {
                    "On"
                };
                json_answer(json!({"Id": "flaky", "PowerState": state}))
            }
            ("GET", "/redfish/v1/Systems/badjson") => (200, vec![], "{not json".into()),
            ("GET", "/redfish/v1/Systems/moved") => (
                307,
                vec![(
                    "Location",
                    "http://elsewhere.invalid/redfish/v1/Systems/x".into(),
                )],
                String::new(),
            ),
            ("GET", "/redfish/v1/Systems/leaky") => (
                401,
                vec![],
                json!({"error": {"message": format!("password {SENTINEL} is wrong")}}).to_string(),
            ),
            ("GET", "/redfish/v1/Systems/settings") => json_answer(json!({
                "Id": "settings", "PowerState": "Off",
                "@odata.etag": "W/\"system\"",
                "@Redfish.Settings": {"SettingsObject":
                    {"@odata.id": "/redfish/v1/Systems/settings/Settings"}},
            })),
            ("GET", "/redfish/v1/Systems/settings/Settings") => {
                json_answer(json!({"@odata.etag": "W/\"42\""}))
            }
            ("GET", "/redfish/v1/Systems/etag") => {
                let mut answer = json_answer(json!({"Id": "etag", "PowerState": "Off"}));
                answer.1.push(("ETag", "\"abc\"".into()));
                answer
            }
            ("GET", "/redfish/v1/Systems/mockon") => {
                let state = if mockon.load(Ordering::SeqCst) {
                    "On"
                } else {
                    "Off"
                };
                json_answer(json!({"Id": "mockon", "PowerState": state}))
            }
            ("POST", "/redfish/v1/Systems/mockon/Actions/ComputerSystem.Reset") => {
                let body: Value = serde_json::from_str(&request.body).unwrap_or_default();
                mockon.store(body["ResetType"] == "On", Ordering::SeqCst);
                (204, vec![], String::new())
            }
            ("PATCH", _) => (204, vec![], String::new()),
            _ => (
                404,
                vec![],
                json!({"error": {"message": "no such resource"}}).to_string(),
            ),
        }
    })
}

#[test]
fn probe_derives_arch_from_processors_and_model() {
    let bmc = canned_bmc();
    let out = run("probe", params(&bmc.address(), ""));
    let hosts = &out.ok()["data"]["hosts"];
    let summary: Vec<(&str, &str, &str, &str)> = hosts
        .as_array()
        .unwrap()
        .iter()
        .map(|host| {
            (
                host["hostname"].as_str().unwrap(),
                host["mac"].as_str().unwrap(),
                host["arch"].as_str().unwrap(),
                host["driver_parameters"]["node_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            // HostName first; the GPU skipped; the first NIC with a MAC, lower case.
            ("arm-host", "aa:bb:cc:dd:ee:01", "arm64/generic", "arm"),
            // ProcessorSummary.Model; no NICs at all.
            ("xeon-1", "", "amd64/generic", "xeon"),
            // ProcessorArchitecture; the NIC collection fails; Id from ".../power/".
            ("p9", "", "ppc64el/generic", "power"),
        ]
    );
    assert!(
        out.stderr
            .contains("'xeon' (xeon-1) shows no EthernetInterface"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("/redfish/v1/Systems/power/Broken"));
    assert!(!out.stderr.contains("assuming amd64"), "{}", out.stderr);
}

#[test]
fn power_states_map_as_maas_maps_them() {
    let bmc = canned_bmc();
    let query = |node: &str| run("power_query", params(&bmc.address(), node));
    assert_eq!(query("arm").state(), "off"); // PoweringOn
    assert_eq!(query("xeon").state(), "on"); // Paused
    assert_eq!(query("power").state(), "on"); // PoweringOff (after a 404 and a slash)
    assert_eq!(query("flaky").state(), "on"); // Reset twice, asked again
    query("bogus").error("actionError", &["unexpected PowerState \"Exploded\""]);
    query("badjson").error("actionError", &["JSON parse error"]);
    query("moved").error(
        "actionError",
        &["redirected to another host (elsewhere.invalid)"],
    );
}

#[test]
fn requests_carry_maas_headers_and_the_pxe_override_goes_where_maas_sends_it() {
    let bmc = canned_bmc();
    run("power_on", params(&bmc.address(), "mockon")).ok();
    let seen = bmc.seen();
    let calls: Vec<String> = seen
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    let system = "/redfish/v1/Systems/mockon";
    let reset = format!("POST {system}/Actions/ComputerSystem.Reset");
    assert_eq!(
        calls[..4],
        [
            format!("GET {system}"),
            format!("GET {system}"),
            format!("PATCH {system}"),
            reset.clone(),
        ]
    );
    assert!(
        calls[4..]
            .iter()
            .all(|call| *call == format!("GET {system}"))
    );
    for request in &seen {
        assert_eq!(request.headers["authorization"], "Basic YWRtaW46c2VjcmV0");
        assert_eq!(request.headers["user-agent"], "MAAS");
        assert_eq!(request.headers["accept"], "application/json");
        assert_eq!(request.headers["content-type"], "application/json");
    }
    let patch: Value = serde_json::from_str(&seen[2].body).unwrap();
    assert_eq!(
        patch,
        json!({"Boot": {"BootSourceOverrideEnabled": "Once", "BootSourceOverrideTarget": "Pxe"}})
    );
    assert_eq!(
        serde_json::from_str::<Value>(&seen[3].body).unwrap(),
        json!({"ResetType": "On"})
    );

    // The settings object, with its own ETag; and an ETag from the header.
    run("power_off", params(&bmc.address(), "settings")).ok();
    run("power_off", params(&bmc.address(), "etag")).ok();
    let patches: Vec<(String, Option<String>)> = bmc
        .seen()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| (r.path, r.headers.get("if-match").cloned()))
        .collect();
    assert_eq!(
        patches,
        [
            ("/redfish/v1/Systems/mockon".to_owned(), None),
            (
                "/redfish/v1/Systems/settings/Settings".to_owned(),
                Some("W/\"42\"".to_owned())
            ),
            (
                "/redfish/v1/Systems/etag".to_owned(),
                Some("\"abc\"".to_owned())
            ),
        ]
    );
}

/// A sentinel password through every error path: it must show nowhere.
#[test]
fn the_password_never_shows() {
    if !peers::available(&[Peer::Sushy]) {
        return;
    }
    let with_sentinel = |address: &str, node: &str| {
        json!({"power_address": address, "power_user": "admin", "power_pass": SENTINEL,
               "node_id": node})
    };
    let dead_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (auth, guarded, plain, bmc) = (auth(), guarded(), plain(), canned_bmc());
    let mut verify = with_sentinel(&guarded.address(), uuid(1));
    verify["power_verify_ssl"] = json!("y");
    let mut bad_choice = with_sentinel("bmc", "");
    bad_choice["power_verify_ssl"] = json!("maybe");
    let cases = [
        // settings
        ("power_on", with_sentinel("ftp://bmc", ""), "settingsError"),
        (
            "power_on",
            with_sentinel(&format!("https://admin:{SENTINEL}@bmc"), ""),
            "settingsError",
        ),
        ("power_query", bad_choice, "settingsError"),
        (
            "power_query",
            json!({"power_address": "bmc", "power_pass": SENTINEL}),
            "settingsError",
        ),
        // wrong credentials
        (
            "power_query",
            with_sentinel(&auth.address(), ""),
            "authError",
        ),
        (
            "power_on",
            with_sentinel(&auth.address(), uuid(1)),
            "authError",
        ),
        ("probe", with_sentinel(&auth.address(), ""), "authError"),
        (
            "power_reset",
            with_sentinel(&auth.address(), ""),
            "authError",
        ),
        (
            "power_cycle",
            with_sentinel(&auth.address(), uuid(2)),
            "authError",
        ),
        (
            "power_query",
            with_sentinel(&bmc.address(), "leaky"),
            "authError",
        ),
        // unreachable
        (
            "power_off",
            with_sentinel(&format!("127.0.0.1:{dead_port}"), ""),
            "connError",
        ),
        ("power_query", verify, "connError"),
        // the BMC refuses or answers nonsense
        (
            "power_off",
            with_sentinel(&guarded.address(), uuid(2)),
            "actionError",
        ),
        (
            "power_on",
            with_sentinel(&plain.address(), "nosuch"),
            "actionError",
        ),
        (
            "power_query",
            with_sentinel(&bmc.address(), "bogus"),
            "actionError",
        ),
        (
            "power_query",
            with_sentinel(&bmc.address(), "badjson"),
            "actionError",
        ),
    ];
    for (action, parameters, code) in cases {
        let out = run(action, parameters.clone());
        assert_eq!(
            out.document["error"]["code"], code,
            "{parameters}: {out:#?}"
        );
        assert!(
            !out.stdout.contains(SENTINEL) && !out.stderr.contains(SENTINEL),
            "the password shows for {action} {parameters}: {out:#?}"
        );
    }
}
