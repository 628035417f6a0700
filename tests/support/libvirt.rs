//! libvirt's test driver as the virsh driver's peer: a private copy of
//! `tests/e2e/fixtures/libvirt/node.xml` (plus any extra domains a test needs), reached as
//! `test:///ABS/PATH/node.xml`. No daemon runs: every `virsh` process loads the file
//! afresh and keeps its changes for its one connection only (tests/e2e/FINDINGS.md).
//!
//! Also: a runner with environment overrides, a fake `ssh` for the password path (no
//! sshd here), and TCP ports that refuse or never answer.

#![allow(dead_code)] // each test uses its own part

use std::ffi::OsStr;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::peers::Peer;
use crate::support::{Run, example};

/// The fixture: vm-amd64 (x86_64, running), vm-arm64 (aarch64, shut off), vm-ppc64el
/// (ppc64le, shut off), vm-s390x (s390x, running).
pub fn fixture() -> PathBuf {
    crate::support::repo_root().join("tests/e2e/fixtures/libvirt/node.xml")
}

/// A fresh directory under the system's temp dir, removed on drop.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        TempDir {
            path: crate::scratch::fresh_dir(&format!("virsh-{name}")),
        }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A libvirt test-driver host of its own.
pub struct Host {
    pub dir: TempDir,
    pub uri: String,
}

impl Host {
    /// The fixture's four domains.
    pub fn new(name: &str) -> Host {
        Host::with_domains(name, "")
    }

    /// The fixture plus `extra` (`<domain>` elements, inserted before `</node>`).
    pub fn with_domains(name: &str, extra: &str) -> Host {
        let fixture = std::fs::read_to_string(fixture()).expect("read the libvirt fixture");
        let xml = fixture.replacen("</node>", &format!("{extra}</node>"), 1);
        let dir = TempDir::new(name);
        let path = dir.path.join("node.xml");
        std::fs::write(&path, xml).expect("write node.xml");
        let uri = format!("test://{}", path.display());
        assert!(uri.starts_with("test:///"), "needs an absolute path: {uri}");
        Host { dir, uri }
    }

    /// Runs `virsh -c URI COMMANDS` (one connection) directly, for what a test checks
    /// independently of the driver.
    pub fn virsh(&self, commands: &str) -> String {
        let out = Command::new(Peer::Virsh.path())
            .args(["-c", &self.uri, commands])
            .env("LC_ALL", "C")
            .output()
            .expect("run virsh");
        assert!(out.status.success(), "virsh {commands}: {out:?}");
        String::from_utf8(out.stdout).expect("UTF-8")
    }
}

/// A PATH with the real virsh and the basic tools, preceded by `first` (a fake ssh).
pub fn path_with(first: &Path) -> String {
    let virsh_dir = Peer::Virsh.path().parent().unwrap().to_path_buf();
    format!("{}:{}:/usr/bin:/bin", first.display(), virsh_dir.display())
}

/// Runs the virsh example driver with `input` on stdin and `env` set on top of this
/// process's environment.
pub fn run_driver(action: &str, input: &serde_json::Value, env: &[(&str, &str)]) -> Run {
    let env: Vec<(&str, Option<&OsStr>)> = env
        .iter()
        .map(|(name, value)| (*name, Some(OsStr::new(value))))
        .collect();
    crate::support::run_with_env(
        &example("virsh"),
        &[action],
        input.to_string().as_bytes(),
        &env,
    )
}

/// A port on 127.0.0.1 with nothing listening (bound, read, closed).
pub fn dead_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a free port")
        .port()
}

/// A listener that completes TCP handshakes (the kernel's backlog) and never answers:
/// libvirt's client waits on it.
pub fn silent_port() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// A fake `ssh` on PATH: libvirt's ssh transport runs it as it would run OpenSSH. It
/// logs its arguments, whether it has a terminal and DISPLAY, asks `$SSH_ASKPASS` for the
/// password twice (the driver answers once), logs only whether the first answer was
/// `expected`, and fails as OpenSSH does on a refused login. With `echo_password`, it
/// also prints the answer in its error, as a careless remote might.
pub struct FakeSsh {
    pub bin: TempDir,
    pub log: PathBuf,
}

impl FakeSsh {
    pub fn new(expected: &str, echo_password: bool) -> FakeSsh {
        let bin = TempDir::new("fake-ssh");
        let log = bin.path.join("ssh.log");
        let script = format!(
            r#"#!/bin/sh
log={log}
echo "argv: $*" >> "$log"
if [ -n "$DISPLAY" ]; then echo "display: set" >> "$log"; else echo "display: unset" >> "$log"; fi
if tty -s; then echo "tty: yes" >> "$log"; else echo "tty: no" >> "$log"; fi
if [ -n "$SSH_ASKPASS" ]; then
    answer=$("$SSH_ASKPASS" "maas@127.0.0.1's password: ")
    if [ "$answer" = {expected} ]; then
        echo "askpass: the expected password" >> "$log"
    else
        echo "askpass: another answer" >> "$log"
    fi
    if again=$("$SSH_ASKPASS" "maas@127.0.0.1's password: "); then
        echo "askpass again: answered" >> "$log"
    else
        echo "askpass again: refused" >> "$log"
    fi
    if [ {echo} = yes ]; then echo "remote says: $answer is wrong" >&2; fi
else
    echo "askpass: none" >> "$log"
fi
echo "maas@127.0.0.1: Permission denied (publickey,password)." >&2
exit 255
"#,
            log = shell_quote(&log.display().to_string()),
            expected = shell_quote(expected),
            echo = if echo_password { "yes" } else { "no" },
        );
        write_executable(&bin.path.join("ssh"), &script);
        FakeSsh { bin, log }
    }

    pub fn path(&self) -> String {
        path_with(&self.bin.path)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn write_executable(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).expect("write script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}
