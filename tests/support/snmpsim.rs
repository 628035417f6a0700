//! snmpsim's SNMP agent (`snmpsim-command-responder`, from PyPI, in `target/snmpsim-venv`)
//! as a PDU: on 127.0.0.1, a free UDP port and a fresh directory holding its data file
//! (`COMMUNITY.snmprec`), its index cache and the state of each outlet, a file that the
//! test reads and writes. Stopped on drop.
//!
//! Outlets are records of the variation module `outlet` (`snmpsim_outlet.py`, written
//! beside the data): a GET answers the integer in the outlet's state file, a SET writes
//! it (or a fixed value, for Eaton's on and off objects) and is logged; a record may
//! refuse every SET with an SNMP error. Run as root, snmpsim drops to nobody/nogroup
//! (`--process-user`, `--process-group`), so the directory is made writable for it.

#![allow(dead_code)] // each test file uses its own part of this module

use std::net::UdpSocket;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use crate::peers::Peer;

const STARTUP_DEADLINE: Duration = Duration::from_secs(60);
const MODULE: &str = include_str!("snmpsim_outlet.py");

/// One object of the simulated agent.
#[derive(Clone, Debug)]
pub struct Record {
    oid: String,
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    /// Read-write, backed by the state file `key`.
    Outlet {
        key: String,
        write: Option<i64>,
        accept: Option<i64>,
        status: Option<String>,
    },
    /// A plain read-only INTEGER.
    Fixed(i64),
    /// A plain read-only OCTET STRING.
    Text(String),
}

impl Record {
    /// A read-write INTEGER whose value is the outlet state `key` (see
    /// [`Snmpsim::set_state`]).
    pub fn outlet(oid: &str, key: &str) -> Record {
        Record {
            oid: oid.to_owned(),
            kind: Kind::Outlet {
                key: key.to_owned(),
                write: None,
                accept: None,
                status: None,
            },
        }
    }

    /// A SET of this object writes `value` to its state, whatever was sent.
    pub fn writing(mut self, value: i64) -> Record {
        if let Kind::Outlet { write, .. } = &mut self.kind {
            *write = Some(value);
        }
        self
    }

    /// A SET of any other value than `value` is refused with wrongValue.
    pub fn accepting(mut self, value: i64) -> Record {
        if let Kind::Outlet { accept, .. } = &mut self.kind {
            *accept = Some(value);
        }
        self
    }

    /// Every SET of this object fails with the SNMP error `status` (`genError`,
    /// `notWritable`, ...).
    pub fn refusing(mut self, error: &str) -> Record {
        if let Kind::Outlet { status, .. } = &mut self.kind {
            *status = Some(error.to_owned());
        }
        self
    }

    /// A read-only INTEGER.
    pub fn fixed(oid: &str, value: i64) -> Record {
        Record {
            oid: oid.to_owned(),
            kind: Kind::Fixed(value),
        }
    }

    /// A read-only OCTET STRING.
    pub fn text(oid: &str, value: &str) -> Record {
        Record {
            oid: oid.to_owned(),
            kind: Kind::Text(value.to_owned()),
        }
    }

    fn line(&self, dir: &Path) -> String {
        match &self.kind {
            Kind::Outlet {
                key,
                write,
                accept,
                status,
            } => {
                let mut options = format!("file={}", dir.join("state").join(key).display());
                if let Some(write) = write {
                    options.push_str(&format!(",write={write}"));
                }
                if let Some(accept) = accept {
                    options.push_str(&format!(",accept={accept}"));
                }
                if let Some(status) = status {
                    options.push_str(&format!(",status={status}"));
                }
                format!("{}|2:outlet|{options}", self.oid)
            }
            Kind::Fixed(value) => format!("{}|2|{value}", self.oid),
            Kind::Text(value) => format!("{}|4|{value}", self.oid),
        }
    }
}

/// A running snmpsim; killed and its directory removed on drop.
pub struct Snmpsim {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Snmpsim {
    /// Starts an agent answering `community` with `records`, each outlet's state as
    /// `states` gives it (key, value), and waits until it listens.
    pub fn start(community: &str, records: &[Record], states: &[(&str, i64)]) -> Snmpsim {
        let responder = Peer::Snmpsim.path();
        // A port picked free may be taken before snmpsim binds it: try again.
        for _ in 0..3 {
            let dir = crate::scratch::fresh_dir("snmpsim");
            for sub in ["data", "cache", "variation", "state"] {
                std::fs::create_dir(dir.join(sub)).expect("snmpsim directory");
            }
            std::fs::write(dir.join("variation/outlet.py"), MODULE).expect("module");
            let mut records: Vec<Record> = records.to_vec();
            // A data file lists its records in OID order, arc by arc.
            records.sort_by_key(|record| {
                record
                    .oid
                    .split('.')
                    .map(|arc| arc.parse::<u64>().expect("a numeric OID"))
                    .collect::<Vec<_>>()
            });
            let lines: Vec<String> = records.iter().map(|record| record.line(&dir)).collect();
            std::fs::write(
                dir.join("data").join(format!("{community}.snmprec")),
                lines.join("\n") + "\n",
            )
            .expect("data file");
            for (key, value) in states {
                write_state(&dir, key, *value);
            }
            open_to_all(&dir);
            let port = free_port();
            let log = std::fs::File::create(dir.join("snmpsim.log")).expect("log");
            let mut command = Command::new(&responder);
            command
                .arg(format!("--data-dir={}", dir.join("data").display()))
                .arg(format!("--cache-dir={}", dir.join("cache").display()))
                .arg(format!(
                    "--variation-modules-dir={}",
                    dir.join("variation").display()
                ))
                .arg(format!("--agent-udpv4-endpoint=127.0.0.1:{port}"))
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log handle"))
                .stderr(log);
            if is_root() {
                command.args(["--process-user=nobody", "--process-group=nogroup"]);
            }
            let child = command
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", responder.display()));
            let mut sim = Snmpsim { child, dir, port };
            match sim.wait_ready() {
                Ok(()) => return sim,
                Err(log) if log.contains("in use") => continue,
                Err(log) => panic!("snmpsim did not start:\n{log}"),
            }
        }
        panic!("snmpsim: no free port after 3 tries");
    }

    /// The agent in `slot` if another test holds it now, else a new one from `start`;
    /// it stops when the last holder drops it.
    pub fn shared(slot: &Mutex<Weak<Snmpsim>>, start: impl FnOnce() -> Snmpsim) -> Arc<Snmpsim> {
        let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sim) = slot.upgrade() {
            return sim;
        }
        let sim = Arc::new(start());
        *slot = Arc::downgrade(&sim);
        sim
    }

    /// `127.0.0.1:PORT`, as `power_address`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Sets the state of outlet `key`, as the PDU would have it.
    pub fn set_state(&self, key: &str, value: i64) {
        write_state(&self.dir, key, value);
    }

    /// The state of outlet `key` now.
    pub fn state(&self, key: &str) -> i64 {
        let path = self.dir.join("state").join(key);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        text.trim().parse().expect("an integer state")
    }

    /// The states SETs of outlet `key`'s objects wrote so far, in order.
    pub fn sets(&self, key: &str) -> Vec<i64> {
        let path = self.dir.join("state").join(format!("{key}.sets"));
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(|line| line.parse().expect("an integer set"))
            .collect()
    }

    /// What snmpsim printed so far: its configuration and each request.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("snmpsim.log")).unwrap_or_default()
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP_DEADLINE;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited with {status}:\n{}", self.log()));
            }
            if self.log().contains("Listening at UDP/IPv4 endpoint") && self.bound() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "not listening within {} s:\n{}",
                    STARTUP_DEADLINE.as_secs(),
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Snmpsim {
    /// Whether the port is bound: a datagram that is not SNMP is dropped in silence by a
    /// listening agent, and refused by the host (ICMP port unreachable) before that.
    fn bound(&self) -> bool {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("a probe socket");
        socket.connect(("127.0.0.1", self.port)).expect("connect");
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        if socket.send(b"are you there").is_err() {
            return false;
        }
        let mut buffer = [0u8; 64];
        match socket.recv(&mut buffer) {
            Ok(_) => true,
            Err(error) => error.kind() != std::io::ErrorKind::ConnectionRefused,
        }
    }
}

impl Drop for Snmpsim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Writes outlet `key`'s state file (and leaves it writable by snmpsim's user).
fn write_state(dir: &Path, key: &str, value: i64) {
    let path = dir.join("state").join(key);
    std::fs::write(&path, format!("{value}\n")).expect("state file");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).expect("chmod");
}

/// Whether this process runs as root (snmpsim then refuses to run without a user to
/// drop to).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("Uid:"))
                .map(|line| line.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

fn open_to_all(dir: &Path) {
    for entry in std::fs::read_dir(dir).expect("snmpsim directory") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            open_to_all(&path);
        } else {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).expect("chmod");
        }
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
}

fn free_port() -> u16 {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("a free port");
    socket.local_addr().expect("its address").port()
}
