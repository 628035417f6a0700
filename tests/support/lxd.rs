//! A real LXD daemon for the LXD driver's tests: Debian's `lxd` (installed by
//! `scripts/setup-e2e`), started without systemd as `lxd --group root` with a state
//! directory of its own (`LXD_DIR`), a `dir` storage pool, HTTPS on a loopback port and a
//! trust password, and a busybox container image built here from Debian's
//! `busybox-static` (no image is downloaded). A test asks for [`PEERS`] first
//! (`tests/support/peers.rs`).
//!
//! Containers, not virtual machines: LXD cannot run them on these machines (its QEMU
//! driver says "vhost_vsock kernel module not loaded"). Instance names carry
//! the test process's id, so that two daemons running at once (the CLI and the service
//! suites) never name the same LXC container. The daemon is shut down (its instances
//! stopped) and its directory removed on drop.

#![allow(dead_code)] // each test file uses its own part of this module

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{Value, json};

use crate::peers::Peer;
use crate::process::Process;

/// What [`Lxd::start`] runs: the daemon, its client, openssl for the client
/// certificates, and the busybox the container image is built from.
pub const PEERS: &[Peer] = &[Peer::Lxd, Peer::Lxc, Peer::Openssl, Peer::Busybox];

/// LXD's trust password in these tests.
pub const TRUST_PASSWORD: &str = "Trust-Pa55-lxd-41c7";

/// The busybox image's alias.
const IMAGE: &str = "busybox";

/// A client certificate and its key, in PEM, made with openssl for one test.
pub struct Identity {
    pub cert: String,
    pub key: String,
    /// The certificate's file, for `lxc config trust add`.
    pub cert_path: PathBuf,
}

/// A running LXD; shut down and its directory removed on drop.
pub struct Lxd {
    process: Process,
    dir: PathBuf,
    port: u16,
    prefix: String,
    certs: usize,
}

impl Lxd {
    /// Starts LXD, sets it up and imports the busybox image.
    pub fn start() -> Lxd {
        let dir = crate::scratch::fresh_dir("lxd");
        let state = dir.join("state");
        std::fs::create_dir_all(&state).unwrap();
        let mut process = Process::spawn(
            Command::new(Peer::Lxd.path())
                .args(["--group", "root", "--logfile"])
                .arg(dir.join("lxd.log"))
                .env("LXD_DIR", &state),
        )
        .expect("lxd starts");
        let socket = state.join("unix.socket");
        if let Err(why) = process.wait_until(Duration::from_secs(60), |_| {
            crate::unix_http::request(&socket, "GET", "/1.0", None)
                .is_ok_and(|response| response.status == 200)
        }) {
            panic!("LXD did not start ({why:?}): {}", process.stderr());
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let lxd = Lxd {
            process,
            dir,
            port,
            prefix: format!("m{}", std::process::id()),
            certs: 0,
        };
        // The password through the socket, never on a command line.
        let patched = crate::unix_http::request(
            &socket,
            "PATCH",
            "/1.0",
            Some(
                json!({"config": {
                    "core.https_address": format!("127.0.0.1:{port}"),
                    "core.trust_password": TRUST_PASSWORD,
                }})
                .to_string()
                .as_bytes(),
            ),
        )
        .expect("LXD answers");
        assert_eq!(patched.status, 200, "{}", patched.text());
        lxd.lxc(&["storage", "create", "default", "dir"]);
        lxd.lxc(&[
            "profile",
            "device",
            "add",
            "default",
            "root",
            "disk",
            "path=/",
            "pool=default",
        ]);
        let image = lxd.build_image();
        lxd.lxc(&["image", "import", image.to_str().unwrap(), "--alias", IMAGE]);
        lxd
    }

    /// A container image: busybox as `/sbin/init`, and LXD's metadata.
    fn build_image(&self) -> PathBuf {
        let root = self.dir.join("image");
        let rootfs = root.join("rootfs");
        for sub in [
            "bin", "sbin", "etc", "dev", "proc", "sys", "tmp", "root", "run",
        ] {
            std::fs::create_dir_all(rootfs.join(sub)).unwrap();
        }
        std::fs::copy(Peer::Busybox.path(), rootfs.join("bin/busybox")).unwrap();
        std::os::unix::fs::symlink("busybox", rootfs.join("bin/sh")).unwrap();
        std::os::unix::fs::symlink("../bin/busybox", rootfs.join("sbin/init")).unwrap();
        let arch = String::from_utf8(run(Command::new("uname").arg("-m")).stdout).unwrap();
        std::fs::write(
            root.join("metadata.yaml"),
            format!(
                "architecture: {}\ncreation_date: 1700000000\nproperties:\n  \
                 description: busybox\n  os: busybox\n",
                arch.trim()
            ),
        )
        .unwrap();
        let tarball = self.dir.join("busybox.tar.gz");
        run(Command::new("tar")
            .arg("-czf")
            .arg(&tarball)
            .arg("-C")
            .arg(&root)
            .args(["metadata.yaml", "rootfs"]));
        tarball
    }

    /// `lxc ARGS` against this daemon; panics on failure.
    pub fn lxc(&self, args: &[&str]) -> String {
        let out = run(Command::new(Peer::Lxc.path())
            .args(args)
            .env("LXD_DIR", self.dir.join("state"))
            .env("HOME", &self.dir));
        String::from_utf8(out.stdout).unwrap()
    }

    /// `lxc ARGS`, tried again for up to 30 s while LXD says the instance is busy (with
    /// the operation that follows a failed start, say).
    pub fn lxc_when_idle(&self, args: &[&str]) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let out = Command::new(Peer::Lxc.path())
                .args(args)
                .env("LXD_DIR", self.dir.join("state"))
                .env("HOME", &self.dir)
                .output()
                .expect("lxc runs");
            if out.status.success() {
                return String::from_utf8(out.stdout).unwrap();
            }
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains("busy") && std::time::Instant::now() < deadline,
                "lxc {args:?} failed: {stderr}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `host:port` of LXD's HTTPS API.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The name an instance called `name` has in this daemon.
    pub fn name(&self, name: &str) -> String {
        format!("{}-{name}", self.prefix)
    }

    /// Creates container `name` (see [`Lxd::name`]) in `project`, running or stopped.
    pub fn container(&self, project: &str, name: &str, running: bool) -> String {
        let full = self.name(name);
        let verb = if running { "launch" } else { "init" };
        self.lxc(&[verb, IMAGE, &full, "--project", project]);
        full
    }

    /// A project that shares the default project's images and profiles.
    pub fn project(&self, project: &str) {
        self.lxc(&[
            "project",
            "create",
            project,
            "-c",
            "features.images=false",
            "-c",
            "features.profiles=false",
        ]);
    }

    /// LXD's view of an instance: its `status` ("Running", "Stopped").
    pub fn status(&self, project: &str, name: &str) -> String {
        let out = self.lxc(&["query", &format!("/1.0/instances/{name}?project={project}")]);
        let instance: Value = serde_json::from_str(&out).unwrap();
        instance["status"].as_str().unwrap().to_owned()
    }

    /// Starts or stops an instance behind the driver's back.
    pub fn set(&self, project: &str, name: &str, running: bool) {
        let verb = if running { "start" } else { "stop" };
        let mut args = vec![verb, name, "--project", project];
        if !running {
            args.push("--force");
        }
        self.lxc(&args);
    }

    /// A new client certificate (ECDSA P-384, as `lxc` makes its own), unknown to LXD.
    pub fn identity(&mut self) -> Identity {
        self.certs += 1;
        let base = self.dir.join(format!("client{}", self.certs));
        let (cert_path, key_path) = (base.with_extension("crt"), base.with_extension("key"));
        run(Command::new(Peer::Openssl.path())
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .arg("ec_paramgen_curve:secp384r1")
            .args(["-nodes", "-days", "30", "-subj"])
            .arg(format!("/CN=maaspd-test-{}", self.certs))
            .arg("-keyout")
            .arg(&key_path)
            .arg("-out")
            .arg(&cert_path));
        Identity {
            cert: std::fs::read_to_string(&cert_path).unwrap(),
            key: std::fs::read_to_string(&key_path).unwrap(),
            cert_path,
        }
    }

    /// Adds `identity`'s certificate to LXD's trust store.
    pub fn trust(&self, identity: &Identity) {
        self.lxc(&[
            "config",
            "trust",
            "add",
            identity.cert_path.to_str().unwrap(),
        ]);
    }

    /// The number of client certificates LXD trusts.
    pub fn trusted(&self) -> usize {
        let out = self.lxc(&["query", "/1.0/certificates"]);
        let list: Value = serde_json::from_str(&out).unwrap();
        list.as_array().unwrap().len()
    }

    /// What LXD logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("lxd.log")).unwrap_or_default()
            + &self.process.stderr()
    }
}

/// Runs `command`; panics with its output when it fails.
fn run(command: &mut Command) -> Output {
    let out = command.output().expect("the command starts");
    assert!(
        out.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

impl Drop for Lxd {
    fn drop(&mut self) {
        // `lxd shutdown` stops every instance, then the daemon.
        let _ = Command::new(Peer::Lxd.path())
            .args(["shutdown", "--timeout", "60"])
            .env("LXD_DIR", self.dir.join("state"))
            .output();
        if self.process.wait_exit(Duration::from_secs(30)).is_none() {
            self.process.kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
