//! The peers of the end-to-end tests: the emulators and tools `scripts/setup-e2e`
//! installs, where each is found, and what a test that needs a missing one does. A test
//! asks first, `if !peers::available(&[Peer::Sushy]) { return; }`: under `scripts/test`
//! and CI, which set `MAASPD_PEERS=required`, a missing peer fails it with the command
//! that installs the peer; under a plain `cargo test` the test passes without running,
//! and stderr says so once per missing peer and test binary.

#![allow(dead_code)] // each test file uses its own part of this module

use std::ffi::OsStr;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

/// The variable `scripts/test` sets to [`REQUIRED`], making a missing peer a failure.
const VARIABLE: &str = "MAASPD_PEERS";
const REQUIRED: &str = "required";

/// An emulator or tool that a test runs as its peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// sushy-tools' Redfish emulator.
    Sushy,
    /// The Python that has fakepve, a fake Proxmox VE API.
    FakePve,
    /// snmpsim's responder, as the PDUs.
    Snmpsim,
    /// OpenIPMI's simulated BMC.
    IpmiSim,
    Ipmipower,
    IpmiChassisConfig,
    Virsh,
    Lxd,
    Lxc,
    /// The static busybox the LXD tests build their container image from.
    Busybox,
    Openssl,
    SystemdSocketActivate,
    SystemdAnalyze,
    Python3,
}

/// How a peer is found.
enum Location {
    /// A file under the repository's root: the venvs `scripts/setup-e2e` makes in
    /// `target/`.
    InRepo(&'static str),
    /// A program on PATH, or in /usr/sbin or /sbin, where Debian puts FreeIPMI's tools
    /// and which a non-root PATH may lack.
    Program(&'static str),
    /// `/bin/busybox`, linked statically: Debian's busybox-static, not its busybox,
    /// whose dynamic binary cannot run alone in a container.
    StaticBusybox,
}

/// What the messages call a peer, where `scripts/setup-e2e` puts it (its venv or its
/// Debian package), and how it is found.
struct Facts {
    name: &'static str,
    origin: &'static str,
    location: Location,
}

impl Peer {
    fn facts(self) -> Facts {
        use Location::{InRepo, Program, StaticBusybox};
        let (name, origin, location) = match self {
            Peer::Sushy => (
                "sushy-emulator",
                "target/e2e-venv",
                InRepo("target/e2e-venv/bin/sushy-emulator"),
            ),
            Peer::FakePve => (
                "fakepve",
                "target/pve-venv",
                InRepo("target/pve-venv/bin/python"),
            ),
            Peer::Snmpsim => (
                "snmpsim",
                "target/snmpsim-venv",
                InRepo("target/snmpsim-venv/bin/snmpsim-command-responder"),
            ),
            Peer::IpmiSim => ("ipmi_sim", "Debian's openipmi", Program("ipmi_sim")),
            Peer::Ipmipower => ("ipmipower", "Debian's freeipmi-tools", Program("ipmipower")),
            Peer::IpmiChassisConfig => (
                "ipmi-chassis-config",
                "Debian's freeipmi-tools",
                Program("ipmi-chassis-config"),
            ),
            Peer::Virsh => ("virsh", "Debian's libvirt-clients", Program("virsh")),
            Peer::Lxd => ("lxd", "Debian's lxd", Program("lxd")),
            Peer::Lxc => ("lxc", "Debian's lxd", Program("lxc")),
            Peer::Busybox => (
                "a static /bin/busybox",
                "Debian's busybox-static",
                StaticBusybox,
            ),
            Peer::Openssl => ("openssl", "Debian's openssl", Program("openssl")),
            Peer::SystemdSocketActivate => (
                "systemd-socket-activate",
                "Debian's systemd",
                Program("systemd-socket-activate"),
            ),
            Peer::SystemdAnalyze => (
                "systemd-analyze",
                "Debian's systemd",
                Program("systemd-analyze"),
            ),
            Peer::Python3 => ("python3", "Debian's python3", Program("python3")),
        };
        Facts {
            name,
            origin,
            location,
        }
    }

    /// Where it is, if installed.
    pub fn find(self) -> Option<PathBuf> {
        match self.facts().location {
            Location::InRepo(path) => {
                Some(crate::support::repo_root().join(path)).filter(|path| path.exists())
            }
            Location::Program(program) => {
                find_program(program, &std::env::var_os("PATH").unwrap_or_default())
            }
            Location::StaticBusybox => {
                let path = PathBuf::from("/bin/busybox");
                std::fs::read(&path)
                    .is_ok_and(|elf| is_static(&elf))
                    .then_some(path)
            }
        }
    }

    /// Where it is, for the helpers that start a peer once the test has asked
    /// [`available`] for it; a test that did not ask fails here as under `scripts/test`.
    pub fn path(self) -> PathBuf {
        self.find()
            .unwrap_or_else(|| panic!("{}", failure_line(self)))
    }
}

/// Whether every one of `peers` is installed. A test returns at once when not: under
/// `MAASPD_PEERS=required` a missing peer fails it here instead, naming the peer and
/// `scripts/setup-e2e`.
pub fn available(peers: &[Peer]) -> bool {
    let missing = peers
        .iter()
        .copied()
        .filter(|peer| peer.find().is_none())
        .collect();
    let setting = std::env::var_os(VARIABLE);
    let required = required(setting.as_deref()).unwrap_or_else(|error| panic!("{error}"));
    match decide(required, missing) {
        Decision::Run => true,
        Decision::Fail(message) => panic!("{message}"),
        Decision::Skip(missing) => {
            missing.into_iter().for_each(report_once);
            false
        }
    }
}

/// What a test does about its peers.
#[derive(Debug, PartialEq)]
enum Decision {
    Run,
    /// Return at once, saying which peers are missing.
    Skip(Vec<Peer>),
    /// Fail with this message.
    Fail(String),
}

fn decide(required: bool, missing: Vec<Peer>) -> Decision {
    if missing.is_empty() {
        Decision::Run
    } else if required {
        let lines: Vec<String> = missing.into_iter().map(failure_line).collect();
        Decision::Fail(lines.join("\n"))
    } else {
        Decision::Skip(missing)
    }
}

/// Whether the variable's value makes a missing peer a failure; any value but unset,
/// empty or [`REQUIRED`] is refused, so that a typo in CI cannot skip tests silently.
fn required(value: Option<&OsStr>) -> Result<bool, String> {
    match value.map(OsStr::to_string_lossy).as_deref() {
        None | Some("") => Ok(false),
        Some(REQUIRED) => Ok(true),
        Some(other) => Err(format!(
            "{VARIABLE}={other}: set it to {REQUIRED} (as scripts/test does) or unset it"
        )),
    }
}

fn failure_line(peer: Peer) -> String {
    format!(
        "{} is not installed ({}): run scripts/setup-e2e, which installs it (with \
         {VARIABLE}={REQUIRED}, as scripts/test and CI set it, a missing peer fails the test)",
        peer.facts().name,
        peer.facts().origin
    )
}

fn skip_line(peer: Peer) -> String {
    format!(
        "skipped: {} is not installed ({}); scripts/setup-e2e installs it, scripts/test \
         runs every test with it",
        peer.facts().name,
        peer.facts().origin
    )
}

/// Prints `peer`'s skip line, once per test binary however many tests skip for it.
fn report_once(peer: Peer) {
    static REPORTED: Mutex<Vec<Peer>> = Mutex::new(Vec::new());
    let mut reported = REPORTED.lock().unwrap_or_else(|e| e.into_inner());
    if !reported.contains(&peer) {
        reported.push(peer);
        // To the stream itself: libtest keeps what a passing test prints with eprintln!.
        let _ = writeln!(std::io::stderr(), "{}", skip_line(peer));
    }
}

/// `program` in the directories of `path`, then in /usr/sbin and /sbin.
fn find_program(program: &str, path: &OsStr) -> Option<PathBuf> {
    std::env::split_paths(path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Whether a 64-bit little-endian ELF file has no program interpreter (`PT_INTERP`),
/// that is, runs without a dynamic loader.
fn is_static(elf: &[u8]) -> bool {
    let read = |at: usize, len: usize| -> Option<u64> {
        let bytes = elf.get(at..at + len)?;
        Some(bytes.iter().rev().fold(0, |n, &b| (n << 8) | u64::from(b)))
    };
    if elf.get(..5) != Some(b"\x7fELF\x02".as_slice()) {
        return false;
    }
    let (Some(offset), Some(size), Some(count)) = (read(0x20, 8), read(0x36, 2), read(0x38, 2))
    else {
        return false;
    };
    (0..count).all(|i| {
        let at = (offset + i * size) as usize;
        read(at, 4).is_some_and(|kind| kind != 3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_peers_run_the_test_required_or_not() {
        assert_eq!(decide(false, vec![]), Decision::Run);
        assert_eq!(decide(true, vec![]), Decision::Run);
    }

    #[test]
    fn a_missing_peer_skips_the_test_unless_required() {
        assert_eq!(
            decide(false, vec![Peer::Sushy, Peer::Virsh]),
            Decision::Skip(vec![Peer::Sushy, Peer::Virsh])
        );
        assert_eq!(
            skip_line(Peer::Sushy),
            "skipped: sushy-emulator is not installed (target/e2e-venv); scripts/setup-e2e \
             installs it, scripts/test runs every test with it"
        );
    }

    #[test]
    fn a_missing_peer_fails_the_test_when_required_naming_each_and_the_fix() {
        let Decision::Fail(message) = decide(true, vec![Peer::Ipmipower, Peer::Busybox]) else {
            panic!("not a failure");
        };
        let lines: Vec<&str> = message.lines().collect();
        assert_eq!(lines.len(), 2, "{message}");
        assert!(
            lines[0].starts_with(
                "ipmipower is not installed (Debian's freeipmi-tools): run scripts/setup-e2e"
            ),
            "{message}"
        );
        assert!(
            lines[1].starts_with(
                "a static /bin/busybox is not installed (Debian's busybox-static): run \
                 scripts/setup-e2e"
            ),
            "{message}"
        );
    }

    #[test]
    fn only_required_requires_and_a_typo_is_refused() {
        assert_eq!(required(None), Ok(false));
        assert_eq!(required(Some(OsStr::new(""))), Ok(false));
        assert_eq!(required(Some(OsStr::new("required"))), Ok(true));
        let error = required(Some(OsStr::new("requierd"))).unwrap_err();
        assert!(
            error.starts_with("MAASPD_PEERS=requierd: set it to required"),
            "{error}"
        );
    }

    #[test]
    fn a_program_is_found_on_path_and_only_there() {
        let exe = std::env::current_exe().unwrap();
        let (dir, name) = (exe.parent().unwrap(), exe.file_name().unwrap());
        let name = name.to_str().unwrap();
        assert_eq!(find_program(name, dir.as_os_str()), Some(exe.clone()));
        let elsewhere = std::env::temp_dir();
        assert_eq!(find_program(name, elsewhere.as_os_str()), None);
    }

    /// An ELF header whose one program header is of `kind` (1 PT_LOAD, 3 PT_INTERP).
    fn elf_with_segment(kind: u8) -> Vec<u8> {
        let mut elf = vec![0u8; 64 + 56];
        elf[..5].copy_from_slice(b"\x7fELF\x02");
        elf[0x20] = 64; // program headers at 64
        elf[0x36] = 56; // of 56 bytes
        elf[0x38] = 1; // one of them
        elf[64] = kind;
        elf
    }

    #[test]
    fn only_an_elf_without_interpreter_is_static() {
        assert!(is_static(&elf_with_segment(1)));
        assert!(!is_static(&elf_with_segment(3)));
        assert!(!is_static(b"#!/bin/sh\n"));
    }
}
