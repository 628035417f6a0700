//! fakepve (PyPI, with its `crypto` extra): a fake Proxmox VE API over HTTPS with a
//! self-signed certificate of its own, run by `tests/e2e/fixtures/pve/serve.py` on
//! 127.0.0.1, a free port and a fresh directory, with the VMs, user and API token below;
//! stopped on drop. The secrets reach it in a file, never on its command line.

#![allow(dead_code)] // each test file uses its own part of this module

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::peers::Peer;

/// The user that logs in with a password, and owns the API token.
pub const USER: &str = "root@pam";
/// Its password, distinctive enough for a scan of command lines.
pub const PASSWORD: &str = "Pve-Pa55-0c41e2";
/// The API token's name (without the user) and secret.
pub const TOKEN_NAME: &str = "maas";
pub const TOKEN_SECRET: &str = "4f7d2c9e-1b3a-4c5d-8e6f-0a1b2c3d4e5f";

/// A PVE second in real seconds: a VM's 2 s start task takes 0.5 s.
const TIME_SCALE: f64 = 0.25;
const STARTUP_DEADLINE: Duration = Duration::from_secs(20);

/// One VM of the fixture: (vmid, name, status at start, MAC of net0 as PVE writes it,
/// architecture as `probe` reports it).
pub struct Vm {
    pub vmid: u32,
    pub name: &'static str,
    pub status: &'static str,
    pub mac: Option<&'static str>,
    pub arch: &'static str,
}

/// The cluster's VMs, on node `pve1`. `slow` takes 8 PVE seconds (2 s) to start;
/// `broken` fails to start, as a VM whose disk is gone; `nonet` has no interface.
pub const VMS: [Vm; 6] = [
    Vm {
        vmid: 100,
        name: "web one",
        status: "running",
        mac: Some("BC:24:11:00:01:00"),
        arch: "amd64/generic",
    },
    Vm {
        vmid: 101,
        name: "db",
        status: "stopped",
        mac: Some("BC:24:11:00:01:01"),
        arch: "arm64/generic",
    },
    Vm {
        vmid: 102,
        name: "slow",
        status: "stopped",
        mac: Some("BC:24:11:00:01:02"),
        arch: "amd64/generic",
    },
    Vm {
        vmid: 103,
        name: "broken",
        status: "stopped",
        mac: Some("BC:24:11:00:01:03"),
        arch: "amd64/generic",
    },
    Vm {
        vmid: 104,
        name: "nonet",
        status: "stopped",
        mac: None,
        arch: "amd64/generic",
    },
    Vm {
        vmid: 105,
        name: "spare",
        status: "running",
        mac: Some("BC:24:11:00:01:05"),
        arch: "amd64/generic",
    },
];

/// What `broken`'s start task ends with.
pub const START_ERROR: &str = "start failed: QEMU exited with code 1";

/// A running fakepve; killed and its directory removed on drop.
pub struct FakePve {
    child: Child,
    dir: PathBuf,
    url: String,
}

impl FakePve {
    /// Starts fakepve with the fixture's VMs and waits until it listens.
    pub fn start() -> FakePve {
        let python = Peer::FakePve.path();
        let dir = crate::scratch::fresh_dir("fakepve");
        let guests: Vec<Value> = VMS
            .iter()
            .map(|vm| {
                let mut config = json!({"memory": "2048", "cores": 2,
                    "scsi0": format!("local-lvm:vm-{}-disk-0,size=8G", vm.vmid)});
                if let Some(mac) = vm.mac {
                    config["net0"] = json!(format!("virtio={mac},bridge=vmbr0"));
                    // A second interface, listed after the first by number.
                    config["net1"] = json!("e1000=BC:24:11:FF:FF:FF,bridge=vmbr1");
                }
                if vm.arch == "arm64/generic" {
                    config["arch"] = json!("aarch64");
                }
                let mut guest = json!({"vmid": vm.vmid, "name": vm.name, "status": vm.status,
                                       "config": config});
                match vm.name {
                    "slow" => guest["start_secs"] = json!(8),
                    "broken" => guest["start_error"] = json!(START_ERROR),
                    _ => {}
                }
                guest
            })
            .collect();
        let config = json!({
            "user": USER,
            "password": PASSWORD,
            "time_scale": TIME_SCALE,
            "tokens": {format!("{USER}!{TOKEN_NAME}"): TOKEN_SECRET},
            "guests": guests,
            "certdir": dir,
        });
        let config_path = dir.join("config.json");
        std::fs::write(&config_path, config.to_string()).expect("fakepve's config");
        let log = std::fs::File::create(dir.join("fakepve.log")).expect("fakepve's log");
        let child = Command::new(&python)
            .arg(crate::support::repo_root().join("tests/e2e/fixtures/pve/serve.py"))
            .arg(&config_path)
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
        let mut pve = FakePve {
            child,
            dir,
            url: String::new(),
        };
        pve.url = pve.wait_ready();
        pve
    }

    /// `https://127.0.0.1:PORT`.
    pub fn address(&self) -> &str {
        &self.url
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.url.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// Its self-signed certificate (PEM), valid for 127.0.0.1 and localhost.
    pub fn cert_path(&self) -> PathBuf {
        self.dir.join("fakepve.crt")
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What it printed: its banner and one access-log line per request
    /// (`"GET /api2/json/cluster/resources?type=vm HTTP/1.1" 200 ...`).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("fakepve.log")).unwrap_or_default()
    }

    /// How many requests the log shows whose request line holds `needle`.
    pub fn requests(&self, needle: &str) -> usize {
        self.log()
            .lines()
            .filter(|line| line.contains(needle))
            .count()
    }

    /// A VM's status as PVE lists it, asked with the API token.
    pub fn status(&self, vmid: u32) -> String {
        let url = format!("{}/api2/json/cluster/resources?type=vm", self.url);
        let mut answer = agent()
            .get(&url)
            .header(
                "Authorization",
                format!("PVEAPIToken={USER}!{TOKEN_NAME}={TOKEN_SECRET}"),
            )
            .call()
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        let body: Value =
            serde_json::from_str(&answer.body_mut().read_to_string().expect("body")).unwrap();
        body["data"]
            .as_array()
            .expect("a list")
            .iter()
            .find(|vm| vm["vmid"] == vmid)
            .unwrap_or_else(|| panic!("no VM {vmid}"))["status"]
            .as_str()
            .expect("a status")
            .to_owned()
    }

    /// What `probe` reports of the fixture's VMs (those with an interface), with these
    /// settings of the chassis.
    pub fn probed_hosts(&self, settings: &Value) -> Value {
        VMS.iter()
            .filter_map(|vm| {
                let mut parameters = json!({
                    "power_address": "", "power_user": "", "power_pass": "",
                    "power_token_name": "", "power_token_secret": "",
                    "power_verify_ssl": "n",
                });
                for (key, value) in settings.as_object().unwrap() {
                    parameters[key] = value.clone();
                }
                parameters["power_vm_name"] = json!(vm.vmid.to_string());
                Some(json!({
                    "hostname": vm.name.replace(' ', "-"),
                    "mac": vm.mac?.to_lowercase(),
                    "arch": vm.arch,
                    "driver_name": "proxmox",
                    "driver_parameters": parameters,
                }))
            })
            .collect()
    }

    fn wait_ready(&mut self) -> String {
        let deadline = Instant::now() + STARTUP_DEADLINE;
        loop {
            if let Some(url) = self
                .log()
                .lines()
                .find_map(|line| line.strip_prefix("fakepve listening on "))
            {
                return url.trim().to_owned();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("fakepve exited with {status}:\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "fakepve did not listen within {} s:\n{}",
                STARTUP_DEADLINE.as_secs(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for FakePve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An HTTP client for the harness itself: certificates not verified, no proxy.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .disable_verification(true)
                .build(),
        )
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .new_agent()
}
