//! OpenIPMI's `ipmi_sim` as a real BMC for the IPMI tests: one simulated BMC on
//! 127.0.0.1 at a free UDP port, with a fresh state directory, the fixtures of
//! tests/e2e/fixtures/ipmi templated into it, and its chassis power state in a file
//! (see tests/e2e/FINDINGS.md).

#![allow(dead_code)] // each test file uses its own part of this module

use std::ffi::OsString;
use std::net::UdpSocket;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::peers::Peer;

/// FreeIPMI's tools, which the ipmi driver runs.
pub const FREEIPMI: &[Peer] = &[Peer::Ipmipower, Peer::IpmiChassisConfig];

/// The simulated BMC and the tools the driver reaches it with.
pub const PEERS: &[Peer] = &[Peer::IpmiSim, Peer::Ipmipower, Peer::IpmiChassisConfig];

/// The credentials of the fixture's admin user.
pub const USER: &str = "admin";
pub const PASSWORD: &str = "Ipmi-sim-pw-3k9";

/// How long the simulator may take to answer its first ping, and a power change to
/// land in the state file.
const DEADLINE: Duration = Duration::from_secs(10);

/// A running `ipmi_sim`, stopped and its directory removed on drop.
pub struct IpmiSim {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl IpmiSim {
    /// Starts a simulated BMC, its machine powered off, and waits until it answers.
    pub fn start() -> IpmiSim {
        let ipmi_sim = Peer::IpmiSim.path();
        let dir = crate::scratch::fresh_dir("ipmi-sim");
        let fixtures = crate::support::repo_root().join("tests/e2e/fixtures/ipmi");
        let fixture = |name: &str| {
            std::fs::read_to_string(fixtures.join(name))
                .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
        };
        let port = free_udp_port();
        let dir_text = dir.to_str().expect("a UTF-8 temp dir");

        let script = dir.join("chassis-control.sh");
        std::fs::write(
            &script,
            fixture("chassis-control.sh").replace("@STATEDIR@", dir_text),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let lan_conf = dir.join("lan.conf");
        std::fs::write(
            &lan_conf,
            fixture("lan.conf")
                .replace("@PORT@", &port.to_string())
                .replace("@SCRIPT@", script.to_str().unwrap()),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("ipmi_sim.log")).unwrap();

        let child = Command::new(&ipmi_sim)
            .arg("-n")
            .arg("-c")
            .arg(&lan_conf)
            .arg("-f")
            .arg(fixtures.join("cmd.emu"))
            .arg("-s")
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", ipmi_sim.display()));
        let mut sim = IpmiSim { child, dir, port };
        sim.wait_until_ready();
        sim
    }

    /// `127.0.0.1:PORT`, the `power_address` of this BMC.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The state directory (chassis state files, `calls.log`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the simulated machine is on, from the chassis script's state file.
    pub fn is_on(&self) -> bool {
        match std::fs::read_to_string(self.dir.join("power")) {
            Ok(state) => state.trim() == "1",
            Err(_) => false, // no file yet: off
        }
    }

    /// Switches the simulated machine behind the BMC's back.
    pub fn set_on(&self, on: bool) {
        std::fs::write(self.dir.join("power"), if on { "1\n" } else { "0\n" }).unwrap();
    }

    /// Makes the chassis script answer garbage to `get power`.
    pub fn break_power_state(&self) {
        std::fs::write(self.dir.join("power"), "garbage\n").unwrap();
    }

    /// Waits until the machine is `on` (or off), failing after a deadline.
    pub fn wait_until_on(&self, on: bool) {
        let start = Instant::now();
        while self.is_on() != on {
            assert!(
                start.elapsed() < DEADLINE,
                "the simulated machine is still {} after {DEADLINE:?}; calls: {:?}",
                if on { "off" } else { "on" },
                self.calls()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// What ipmi_sim asked the chassis script, oldest first, without the MC address:
    /// `get power`, `set power 1`, `set boot pxe`, `set shutdown 1`...
    pub fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("calls.log"))
            .unwrap_or_default()
            .lines()
            .map(|line| line.strip_prefix("0x20 ").unwrap_or(line).to_owned())
            .collect()
    }

    /// Waits until the chassis script has been asked `call`, failing after a deadline.
    pub fn wait_for_call(&self, call: &str) {
        let start = Instant::now();
        while !self.calls().iter().any(|c| c == call) {
            assert!(
                start.elapsed() < DEADLINE,
                "no `{call}` after {DEADLINE:?}; calls: {:?}",
                self.calls()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// ipmi_sim prints nothing when ready (`-n`): ping it (RMCP/ASF presence ping)
    /// until it answers.
    fn wait_until_ready(&mut self) {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        // RMCP header (version 6, ASF class), ASF IANA 4542, Presence Ping, tag, length 0.
        let ping = [
            0x06, 0x00, 0xff, 0x06, 0x00, 0x00, 0x11, 0xbe, 0x80, 0x01, 0x00, 0x00,
        ];
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "ipmi_sim exited at start ({status}): {}",
                    std::fs::read_to_string(self.dir.join("ipmi_sim.log")).unwrap_or_default()
                );
            }
            let _ = socket.send_to(&ping, ("127.0.0.1", self.port));
            let mut answer = [0u8; 64];
            if let Ok((n, _)) = socket.recv_from(&mut answer)
                && n >= 9
                && answer[8] == 0x40
            {
                return; // Presence Pong
            }
            assert!(
                start.elapsed() < DEADLINE,
                "ipmi_sim on port {} did not answer a ping within {DEADLINE:?}",
                self.port
            );
        }
    }
}

impl Drop for IpmiSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A UDP port nobody listens on right now. ipmi_sim binds with address reuse, so it
/// would share a port in use without a word: ask the kernel for a free one.
pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// PATH for the driver: the test's own, plus /usr/sbin and /sbin where Debian puts
/// ipmipower and ipmi-chassis-config (a non-root PATH may lack them).
pub fn tool_path() -> OsString {
    let mut path = std::env::var_os("PATH").unwrap_or_default();
    path.push(":/usr/sbin:/sbin");
    path
}
