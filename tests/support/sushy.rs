//! sushy-tools' Redfish emulator with its fake backend (`sushy-emulator --config FILE`),
//! on 127.0.0.1, a free port and a fresh state directory; stopped on drop.
//!
//! The systems are those of `tests/e2e/fixtures/sushy/emulator.conf`; see
//! `tests/e2e/FINDINGS.md` for what the emulator answers.

#![allow(dead_code)] // each test file uses its own part of this module

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use crate::peers::Peer;

/// The fixture's systems: (uuid, name, power state at start, first MAC).
pub const SYSTEMS: [(&str, &str, &str, &str); 3] = [
    (
        "6a1e1ab4-1d3a-4a1e-9d7c-000000000001",
        "node-1",
        "Off",
        "52:54:00:aa:00:01",
    ),
    (
        "6a1e1ab4-1d3a-4a1e-9d7c-000000000002",
        "node-2",
        "On",
        "52:54:00:aa:00:02",
    ),
    (
        "6a1e1ab4-1d3a-4a1e-9d7c-000000000003",
        "node-3",
        "Off",
        "52:54:00:aa:00:03",
    ),
];

/// The fixture htpasswd's user and password.
pub const USER: &str = "admin";
pub const PASSWORD: &str = "secret";

const STARTUP_DEADLINE: Duration = Duration::from_secs(20);

/// How to start the emulator.
#[derive(Default, Clone)]
pub struct Options {
    /// Require the fixture htpasswd's credentials (`admin` / `secret`).
    pub auth: bool,
    /// Serve HTTPS with this PEM certificate and key.
    pub tls: Option<(String, String)>,
    /// More lines for the config file (it is Python), e.g.
    /// `SUSHY_EMULATOR_DISABLE_POWER_OFF = True`.
    pub extra_config: String,
}

/// A running emulator; killed and its state directory removed on drop.
pub struct Sushy {
    child: Child,
    dir: PathBuf,
    port: u16,
    tls: bool,
}

impl Sushy {
    /// Starts an emulator and waits until it answers `GET /redfish/v1`.
    pub fn start(options: &Options) -> Sushy {
        let emulator = Peer::Sushy.path();
        // A port picked free may be taken before the emulator binds it: try again.
        for _ in 0..3 {
            let dir = crate::scratch::fresh_dir("sushy");
            let port = free_port();
            write_config(&dir, port, options);
            let log = std::fs::File::create(dir.join("emulator.log")).expect("emulator log");
            let child = Command::new(&emulator)
                .arg("--config")
                .arg(dir.join("emulator.conf"))
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log handle"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", emulator.display()));
            let mut sushy = Sushy {
                child,
                dir,
                port,
                tls: options.tls.is_some(),
            };
            match sushy.wait_ready() {
                Ok(()) => return sushy,
                Err(log) if log.contains("in use") => continue,
                Err(log) => panic!("sushy-emulator did not start:\n{log}"),
            }
        }
        panic!("sushy-emulator: no free port after 3 tries");
    }

    /// The emulator in `slot` if another test holds it now, else a new one started with
    /// `options()`;
    /// it stops when the last holder drops it.
    pub fn shared(slot: &Mutex<Weak<Sushy>>, options: impl FnOnce() -> Options) -> Arc<Sushy> {
        let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sushy) = slot.upgrade() {
            return sushy;
        }
        let sushy = Arc::new(Sushy::start(&options()));
        *slot = Arc::downgrade(&sushy);
        sushy
    }

    /// `http://127.0.0.1:PORT` or `https://...`.
    /// What the redfish driver's `probe` reports for the fixture's systems behind this
    /// emulator, with the fixture's credentials (`admin` / `secret`): sushy's fake
    /// systems name no processor, so the arch is the fallback, `amd64/generic`.
    pub fn probed_hosts(&self) -> serde_json::Value {
        SYSTEMS
            .iter()
            .map(|(uuid, name, _, mac)| {
                serde_json::json!({
                    "hostname": name,
                    "mac": mac,
                    "arch": "amd64/generic",
                    "driver_name": "redfish",
                    "driver_parameters": {
                        "power_address": self.address(),
                        "power_user": "admin",
                        "power_pass": "secret",
                        "node_id": uuid,
                    },
                })
            })
            .collect()
    }

    pub fn address(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the emulator printed so far: its banner and access log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("emulator.log")).unwrap_or_default()
    }

    /// `GET path` as JSON, with the fixture's credentials, certificate not verified.
    pub fn get_json(&self, path: &str) -> serde_json::Value {
        let mut response = agent()
            .get(format!("{}{path}", self.address()))
            // base64("admin:secret")
            .header("Authorization", "Basic YWRtaW46c2VjcmV0")
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let body = response.body_mut().read_to_string().expect("body");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP_DEADLINE;
        let agent = agent();
        let url = format!("{}/redfish/v1", self.address());
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited with {status}:\n{}", self.log()));
            }
            if agent.get(&url).call().is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "no answer on {url} within {} s:\n{}",
                    STARTUP_DEADLINE.as_secs(),
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Sushy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn write_config(dir: &Path, port: u16, options: &Options) {
    let fixtures = crate::support::repo_root().join("tests/e2e/fixtures/sushy");
    let template = std::fs::read_to_string(fixtures.join("emulator.conf")).expect("fixture");
    let auth = if options.auth {
        fixtures.join("htpasswd").display().to_string()
    } else {
        String::new()
    };
    let (cert, key) = match &options.tls {
        Some((cert, key)) => {
            let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
            std::fs::write(&cert_path, cert).expect("cert");
            std::fs::write(&key_path, key).expect("key");
            (
                cert_path.display().to_string(),
                key_path.display().to_string(),
            )
        }
        None => (String::new(), String::new()),
    };
    let config = template
        .replace("@PORT@", &port.to_string())
        .replace("@STATEDIR@", &dir.join("state").display().to_string())
        .replace("@AUTHFILE@", &auth)
        .replace("@CERT@", &cert)
        .replace("@KEY@", &key);
    let config = format!("{config}\n{}\n", options.extra_config);
    std::fs::write(dir.join("emulator.conf"), config).expect("config");
}

/// An HTTP client for the harness itself: certificates not verified, statuses not
/// errors, no proxy.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .disable_verification(true)
                .build(),
        )
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .new_agent()
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}
