//! MAAS's virsh power driver, written with maaspd: libvirt domains switched on and off
//! through the `virsh` command (Debian `libvirt-clients`), probed for enlistment, and
//! given a per-device boot order.
//!
//! ```text
//! cargo run --example virsh -- schema
//! echo '{"driverParameters": {"power_address": "qemu+ssh://maas@kvm1/system",
//!        "power_id": "node-1"}}' | cargo run --example virsh -- power_query
//! ```
//!
//! The settings are MAAS's (`src/provisioningserver/drivers/power/virsh.py`):
//! `power_address` (the libvirt URI), `power_pass` (optional) and `power_id` (the
//! domain's name; MAAS gives it per machine, so `probe` does without it).
//!
//! What each action runs, every `virsh` call run with `maaspd::tool` (in a session of its
//! own, in the C locale), within the call's deadline and a bound of its own (30 s, or
//! `MAASPD_VIRSH_TIMEOUT` seconds):
//!
//! - `power_query`: `domstate`, mapped as MAAS maps it: `running` and `in shutdown` are
//!   on; `shut off`, `no state`, `idle`, `paused`, `crashed` and `pmsuspended` are off;
//!   any other state is an error, as in MAAS.
//! - `power_on`: `domstate`, then, as MAAS does, `start` only for a `shut off` domain
//!   (a domain that is already on is left alone). `start` and a `domstate` read-back run
//!   in one connection; the action succeeds when the domain is then on. A domain in a
//!   state MAAS does not start (`paused`, `crashed`, ...) is an `actionError`: MAAS would
//!   wait for it in vain.
//! - `power_off`: the same with `destroy`, for a `running` domain only.
//! - `probe`: `list --all --name`, then every domain's `dumpxml` in one connection: the
//!   domain's name, its first interface's MAC, and `/domain/os/type/@arch` in MAAS's form
//!   (`x86_64` is `amd64/generic`, `aarch64` `arm64/generic`, ...). Unlike MAAS's
//!   enlistment it changes nothing: no domain is destroyed or redefined.
//! - `set_boot_order`: `dumpxml --inactive --security-info`, then the definition gets
//!   `<boot order="N"/>` on each device given, in the given order, and loses every
//!   `<os><boot dev=.../>` and any other boot order; `define` of the edited XML and a
//!   `dumpxml --inactive` read-back run in one connection, and the action succeeds only
//!   when libvirt reports the order asked. Only those `<boot>` elements change: the edits
//!   are splices into the XML libvirt gave. Takes effect at the next start. The devices,
//!   as MAAS sends them (rows of its database, or the spec's `"network"` and `"disk"`):
//!   - a network interface is the domain's interface with that MAC;
//!   - a disk is the domain's disk (not a CD-ROM) found by the surest identity MAAS
//!     gives: its serial as the disk's `<serial>`; else its `id_path` when that is the
//!     `/dev/disk/by-id/` link a Linux guest makes for a QEMU disk with the disk's serial
//!     (`virtio-SERIAL`, `scsi-0QEMU_QEMU_HARDDISK_SERIAL`, `ata-QEMU_HARDDISK_SERIAL`);
//!     else its `name` as the disk's `<target dev>` (`vda`);
//!   - `"network"` is the first interface, `"disk"` the first disk, not otherwise listed.
//!
//!   MAAS lists every interface and block device of the machine: a device listed again
//!   (a bridge or a VLAN shares its parent's MAC) keeps its first place, and a disk known
//!   by name only that the domain lacks (a RAID or LVM device) is left out, with a note
//!   on stderr. Any other device the domain lacks is a `fatalError` naming it.
//!
//! Each change is reported on stderr as libvirt reports it back (`vm-1: was shut off;
//! started; now running`), so an operator sees what happened.
//!
//! As MAAS does, an address with a query string is refused. For an SSH address
//! (`qemu+ssh://...`) the driver adds `no_verify=1` (a host key seen for the first time
//! is accepted, as MAAS answers `yes`; a changed one is still refused) and, without a
//! password, `no_tty=1` (key or agent authentication only, never a prompt).
//!
//! The password is sent to `ssh` only, through `SSH_ASKPASS`: the driver runs `virsh` in a
//! session of its own (no terminal, so `ssh` asks the askpass program) with `SSH_ASKPASS`
//! naming this very binary, linked into a private (0700) temporary directory; invoked
//! under that name, the binary fetches the password from a UNIX socket in the same
//! directory, which the driver serves once, and prints it to `ssh`. The password is never
//! in an argument, an environment variable or a file, and never printed. A password
//! written into the address (`qemu+ssh://user:pw@host/system`) is taken out of the URI
//! virsh gets and used the same way when `power_pass` is empty: where MAAS hands it to
//! virsh on the command line, for any local user to read. Other transports
//! (`qemu+tls`, `qemu+tcp` with SASL, ...) cannot use it.

use std::io::{self, Read, Write};
use std::ops::Range;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, symlink};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use maaspd::serde_json::{Map, Value};
use maaspd::tool::Tool;
use maaspd::{
    BootDevice, Context, Disk, Error, ErrorCode, PowerState, ProbedSystem, Result, Secret,
};

/// Virsh (virtual systems)
///
/// A libvirt host driven with `virsh`; each of its domains is a machine.
#[maaspd::parameters]
struct Settings {
    /// Address
    ///
    /// The libvirt URI of the host, e.g. `qemu+ssh://maas@kvm1/system` or
    /// `qemu:///system`. No query string (`?...`): MAAS refuses it too.
    power_address: String,
    /// Password (optional)
    ///
    /// The SSH password (or key passphrase) for an SSH address; empty for key or agent
    /// authentication.
    #[serde(default)]
    power_pass: Secret,
    /// Virsh VM ID
    ///
    /// The domain's name on the host. Required for the power actions and
    /// set_boot_order; probe lists every domain without it.
    #[serde(default)]
    #[maaspd(scope = "node")]
    power_id: String,
}

/// The default bound of one `virsh` call: MAAS's pexpect timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Overrides the bound, in seconds (an operator's knob, and the tests').
const TIMEOUT_ENV: &str = "MAASPD_VIRSH_TIMEOUT";
/// What `echo` prints between the outputs of chained commands.
const MARK: &str = "@@maaspd-virsh-mark@@";

struct Virsh {
    settings: Settings,
    /// The password for ssh: `power_pass`, else one written into the address's user
    /// part (taken out of the URI, so that it never reaches virsh's command line).
    password: Secret,
    /// The URI handed to virsh: `power_address` plus the SSH options above.
    uri: String,
    /// Whether the URI tunnels through OpenSSH, the only transport the password reaches.
    over_ssh: bool,
    timeout: Duration,
}

// `power_on` and `power_off` read the domain's state back in the same connection and
// fail unless it changed: the runtime's confirmation would only query again.
#[maaspd::power_driver(
    description = "Virsh (virtual systems)",
    name = "virsh",
    chassis = true,
    confirm = false,
    ip_extractor(field_name = "power_address", pattern = maaspd::ip_extractor::URL),
    probe = true,
    boot_order = true,
    main = false
)]
impl Virsh {
    fn new(settings: Settings) -> Result<Self> {
        let address = settings.power_address.trim();
        if address.is_empty() {
            return Err(Error::settings(
                "driverParameters.power_address: the libvirt URI is empty",
            ));
        }
        if address.contains('?') {
            // MAAS's words: a query could name a command for libvirt to run.
            return Err(Error::settings(
                "driverParameters.power_address: Supplying extra parameters to the Virsh address is not supported.",
            ));
        }
        let (address, in_address) = without_password(address);
        let password = match in_address {
            Some(password) if settings.power_pass.is_empty() => Secret::new(password),
            _ => settings.power_pass.clone(),
        };
        let scheme = address.split("://").next().unwrap_or_default();
        let over_ssh = address.contains("://") && scheme.ends_with("+ssh");
        let uri = if !over_ssh {
            address.to_owned()
        } else if password.is_empty() {
            format!("{address}?no_verify=1&no_tty=1")
        } else {
            format!("{address}?no_verify=1")
        };
        let timeout = match std::env::var(TIMEOUT_ENV) {
            Ok(seconds) => match seconds.trim().parse::<f64>() {
                Ok(s) if s > 0.0 && s.is_finite() => Duration::from_secs_f64(s),
                _ => {
                    return Err(Error::settings(format!(
                        "{TIMEOUT_ENV}={seconds:?} is not a positive number of seconds"
                    )));
                }
            },
            Err(_) => DEFAULT_TIMEOUT,
        };
        Ok(Virsh {
            settings,
            password,
            uri,
            over_ssh,
            timeout,
        })
    }

    fn power_on(&self, ctx: &Context) -> Result<()> {
        let id = self.power_id()?;
        let state = self.domstate(ctx, id)?;
        match state.as_str() {
            "shut off" => self.change(ctx, id, &state, "start", PowerState::On),
            _ if power_state(&state) == Some(PowerState::On) => {
                eprintln!("{id}: {state}, already on: nothing to do");
                Ok(())
            }
            _ => Err(Error::action(format!(
                "{id} is {state}: not started, as MAAS starts only a shut-off domain"
            ))),
        }
    }

    fn power_off(&self, ctx: &Context) -> Result<()> {
        let id = self.power_id()?;
        let state = self.domstate(ctx, id)?;
        match state.as_str() {
            "running" => self.change(ctx, id, &state, "destroy", PowerState::Off),
            _ if power_state(&state) == Some(PowerState::Off) => {
                eprintln!("{id}: {state}, already off: nothing to do");
                Ok(())
            }
            "in shutdown" => {
                eprintln!(
                    "{id}: in shutdown: left to finish, as MAAS destroys only a running domain"
                );
                Ok(())
            }
            _ => Err(unknown_state(id, &state)),
        }
    }

    fn power_query(&self, ctx: &Context) -> Result<PowerState> {
        let id = self.power_id()?;
        let state = self.domstate(ctx, id)?;
        power_state(&state).ok_or_else(|| unknown_state(id, &state))
    }

    fn probe(&self, ctx: &Context) -> Result<Vec<ProbedSystem>> {
        let listed = self.virsh(ctx, &Call::One(&["list", "--all", "--name"]))?;
        if !listed.success {
            return Err(self.failure("listing the domains", &listed.stderr, None));
        }
        let names: Vec<&str> = listed
            .stdout
            .lines()
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .collect();
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let dumps: Vec<Vec<&str>> = names
            .iter()
            .map(|name| vec!["dumpxml", "--domain", name])
            .collect();
        let out = self.virsh(ctx, &Call::Chain(&dumps))?;
        let xmls = split_chain(&out.stdout);
        if xmls.iter().all(|xml| xml.trim().is_empty()) {
            return Err(self.failure("reading the domains' definitions", &out.stderr, None));
        }
        let mut systems = Vec::new();
        for (index, name) in names.iter().enumerate() {
            let xml = xmls.get(index).map(|xml| xml.trim()).unwrap_or_default();
            match describe(xml) {
                Ok((arch, Some(mac))) => systems.push(ProbedSystem {
                    hostname: (*name).to_owned(),
                    mac,
                    arch: maas_arch(&arch),
                    driver_name: "virsh".into(),
                    driver_parameters: self.probed_parameters(name),
                }),
                Ok((_, None)) => {
                    eprintln!("warning: {name} has no network interface: skipped")
                }
                Err(why) => eprintln!("warning: {name}: {why}: skipped"),
            }
        }
        Ok(systems)
    }

    fn set_boot_order(&self, ctx: &Context, devices: &[BootDevice]) -> Result<()> {
        let id = self.power_id()?;
        if devices.is_empty() {
            return Err(Error::fatal("set_boot_order: no boot device given"));
        }

        let dumped = self.virsh(
            ctx,
            &Call::One(&["dumpxml", "--inactive", "--security-info", "--domain", id]),
        )?;
        if !dumped.success {
            return Err(self.failure("reading the definition", &dumped.stderr, Some(id)));
        }
        let plan = with_boot_order(&dumped.stdout, devices)
            .map_err(|why| Error::fatal(format!("{id}: {why}")))?;
        for device in &plan.left_out {
            eprintln!("{id}: {device}: left out of the boot order");
        }
        let wanted = plan.labels;
        let edited = plan.xml;

        let dir = PrivateDir::new("define")
            .map_err(|e| Error::fatal(format!("cannot create a temporary directory: {e}")))?;
        let file = dir.path.join("domain.xml");
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&file)
            .and_then(|mut f| f.write_all(edited.as_bytes()))
            .map_err(|e| Error::fatal(format!("cannot write {}: {e}", file.display())))?;
        let file = file.to_string_lossy().into_owned();
        let out = self.virsh(
            ctx,
            &Call::Chain(&[
                vec!["define", "--file", file.as_str()],
                vec!["dumpxml", "--inactive", "--domain", id],
            ]),
        )?;
        drop(dir);

        let parts = split_chain(&out.stdout);
        let read_back = parts.get(1).map(|xml| xml.trim()).unwrap_or_default();
        if read_back.is_empty() {
            return Err(self.failure("defining the new boot order", &out.stderr, Some(id)));
        }
        let now = boot_order(read_back).map_err(|why| {
            Error::action(format!("{id}: cannot read back the definition: {why}"))
        })?;
        if now != wanted {
            let errors = self.virsh_errors(&out.stderr);
            return Err(Error::action(format!(
                "{id}: libvirt did not take the boot order: asked {}, has {}{}",
                numbered(&wanted),
                numbered(&now),
                if errors.is_empty() {
                    String::new()
                } else {
                    format!(" ({errors})")
                }
            )));
        }
        eprintln!("{id}: boot order now {}", numbered(&now));
        Ok(())
    }
}

fn main() -> ExitCode {
    if let Some(status) = askpass::answer_if_invoked() {
        return status;
    }
    maaspd::cli::main::<Virsh>()
}

/// MAAS's `VM_STATE_TO_POWER_STATE`.
fn power_state(state: &str) -> Option<PowerState> {
    match state {
        "running" | "in shutdown" => Some(PowerState::On),
        "shut off" | "no state" | "idle" | "paused" | "crashed" | "pmsuspended" => {
            Some(PowerState::Off)
        }
        _ => None,
    }
}

/// MAAS's "Unknown state" error, which it does not retry.
fn unknown_state(id: &str, state: &str) -> Error {
    Error::fatal(format!("{id}: unknown state {state:?}"))
}

/// A libvirt architecture in MAAS's form: `kernel_to_debian_architecture` in MAAS's
/// `provisioningserver/utils/arch.py`, plus the virsh enlister's `ppc64`.
fn maas_arch(arch: &str) -> String {
    let debian = match arch {
        "i686" => "i386",
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "ppc64le" | "ppc64" => "ppc64el",
        "s390x" => "s390x",
        "mips" => "mips",
        "mips64" => "mips64el",
        other => other,
    };
    format!("{debian}/generic")
}

/// One virsh invocation: a command as separate arguments, or several chained in one
/// argument (one connection, so the libvirt test driver's state carries over), each
/// output followed by [`MARK`].
enum Call<'a> {
    One(&'a [&'a str]),
    Chain(&'a [Vec<&'a str>]),
}

struct Output {
    success: bool,
    stdout: String,
    stderr: String,
}

impl Virsh {
    fn power_id(&self) -> Result<&str> {
        match self.settings.power_id.trim() {
            "" => Err(Error::settings(
                "driverParameters.power_id: the domain's name is required",
            )),
            id => Ok(id),
        }
    }

    fn domstate(&self, ctx: &Context, id: &str) -> Result<String> {
        let out = self.virsh(ctx, &Call::One(&["domstate", "--domain", id]))?;
        if !out.success {
            return Err(self.failure("reading the state", &out.stderr, Some(id)));
        }
        Ok(out.stdout.trim().to_owned())
    }

    /// `start` or `destroy`, and the state read back in the same connection.
    fn change(
        &self,
        ctx: &Context,
        id: &str,
        before: &str,
        command: &str,
        wanted: PowerState,
    ) -> Result<()> {
        let out = self.virsh(
            ctx,
            &Call::Chain(&[
                vec![command, "--domain", id],
                vec!["domstate", "--domain", id],
            ]),
        )?;
        let parts = split_chain(&out.stdout);
        let after = parts.get(1).map(|s| s.trim()).unwrap_or_default();
        if after.is_empty() {
            return Err(self.failure(&format!("running {command}"), &out.stderr, Some(id)));
        }
        if power_state(after) != Some(wanted) {
            return Err(Error::action(format!(
                "{id}: {command} failed: {}; the domain is {after}",
                self.virsh_errors(&out.stderr)
            )));
        }
        let done = if command == "start" {
            "started"
        } else {
            "destroyed"
        };
        eprintln!("{id}: was {before}; {done}; now {after}");
        Ok(())
    }

    fn probed_parameters(&self, name: &str) -> Map<String, Value> {
        let mut parameters = Map::new();
        let address = self.settings.power_address.trim().to_owned();
        parameters.insert("power_address".into(), Value::String(address));
        parameters.insert("power_id".into(), Value::String(name.to_owned()));
        // MAAS needs the password to drive the machine it enlists: it goes into the
        // document, not into a message.
        let password = self.settings.power_pass.expose().to_owned();
        parameters.insert("power_pass".into(), Value::String(password));
        parameters
    }

    /// The error for a failed virsh call, from what virsh printed on stderr.
    fn failure(&self, doing: &str, stderr: &str, id: Option<&str>) -> Error {
        let errors = self.virsh_errors(stderr);
        let at = self.shown_address();
        if stderr.contains("failed to connect to the hypervisor") {
            let auth = [
                "Permission denied",
                "Authentication failed",
                "authentication failed",
                "Host key verification failed",
            ];
            return if auth.iter().any(|marker| stderr.contains(marker)) {
                Error::auth(format!("could not log in to {at}: {errors}"))
            } else if stderr.contains("no connection driver available") {
                Error::settings(format!(
                    "driverParameters.power_address: {at} is not a libvirt URI virsh can use: {errors}"
                ))
            } else {
                Error::conn(format!("could not connect to {at}: {errors}"))
            };
        }
        if let Some(id) = id
            && (stderr.contains("failed to get domain") || stderr.contains("Domain not found"))
        {
            // MAAS: "Failed to get domain"; it does not retry.
            return Error::settings(format!(
                "driverParameters.power_id: {at} has no domain named {id:?}"
            ));
        }
        let subject = id.map(|id| format!("{id}: ")).unwrap_or_default();
        if errors.is_empty() {
            Error::action(format!("{subject}{doing} failed at {at}"))
        } else {
            Error::action(format!("{subject}{doing} failed at {at}: {errors}"))
        }
    }

    /// What virsh printed on stderr, one line, without its `error:` prefixes and
    /// without the password should anything have echoed it.
    fn virsh_errors(&self, stderr: &str) -> String {
        let lines: Vec<&str> = stderr
            .lines()
            .map(|line| {
                let line = line.trim();
                line.strip_prefix("error:").unwrap_or(line).trim()
            })
            .filter(|line| !line.is_empty())
            .collect();
        self.scrub(&lines.join("; "))
    }

    /// `power_address` for a message: a password in its user part is hidden.
    fn shown_address(&self) -> String {
        let address = self.settings.power_address.trim();
        let shown = match address.split_once("://") {
            Some((scheme, rest)) => {
                let authority = rest.split('/').next().unwrap_or_default();
                match authority.rsplit_once('@') {
                    Some((user, host)) if user.contains(':') => {
                        let name = user.split(':').next().unwrap_or_default();
                        let tail = &rest[authority.len()..];
                        format!("{scheme}://{name}:[redacted]@{host}{tail}")
                    }
                    _ => address.to_owned(),
                }
            }
            None => address.to_owned(),
        };
        self.scrub(&shown)
    }

    fn scrub(&self, text: &str) -> String {
        let password = self.settings.power_pass.expose();
        if password.is_empty() {
            text.to_owned()
        } else {
            text.replace(password, "[redacted]")
        }
    }

    /// Runs virsh against the URI, within the call's deadline and the bound of its own.
    /// The password, for an ssh transport only, reaches ssh through the askpass helper.
    fn virsh(&self, ctx: &Context, call: &Call) -> Result<Output> {
        let mut tool = Tool::new("virsh", "libvirt-clients")
            .arg("--connect")
            .arg(&self.uri)
            .timeout(self.timeout)
            .redact(&self.settings.power_pass)
            .redact(&self.password);
        tool = match call {
            Call::One(args) => tool.args(*args),
            Call::Chain(commands) => tool.arg(chain(commands)),
        };
        let _askpass = if self.over_ssh && !self.password.is_empty() {
            let askpass = askpass::Server::start(&self.password).map_err(|e| {
                Error::fatal(format!("cannot set up the askpass helper for ssh: {e}"))
            })?;
            tool = tool.env("SSH_ASKPASS", &askpass.program);
            if std::env::var_os("DISPLAY").is_none() {
                // ssh uses SSH_ASKPASS only when DISPLAY is set; nothing is displayed.
                tool = tool.env("DISPLAY", ":0");
            }
            Some(askpass)
        } else {
            None
        };
        let output = tool.run(ctx).map_err(|error| match error.code() {
            // Where the time went: the host.
            ErrorCode::Conn => {
                Error::conn(format!("{} at {}", error.message(), self.shown_address()))
            }
            _ => error,
        })?;
        Ok(Output {
            success: output.success(),
            stdout: output.stdout,
            stderr: output.stderr,
        })
    }
}

/// Commands for one virsh argument: each followed by `echo MARK`, each word quoted as
/// virsh's own parser reads it (`'...'` literal, `'\''` for a quote).
fn chain(commands: &[Vec<&str>]) -> String {
    commands
        .iter()
        .map(|words| {
            let quoted: Vec<String> = words
                .iter()
                .map(|word| format!("'{}'", word.replace('\'', r"'\''")))
                .collect();
            format!("{}; echo {MARK}", quoted.join(" "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The outputs of a chain, one per command (a failed command's is empty).
fn split_chain(stdout: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    for line in stdout.lines() {
        if line.trim() == MARK {
            parts.push(String::new());
        } else if let Some(part) = parts.last_mut() {
            part.push_str(line);
            part.push('\n');
        }
    }
    parts.pop(); // what follows the last mark
    parts
}

/// A domain device as the read-back lists it: `network MAC`, `storage SERIAL`, or
/// `storage DEV` for a disk without a serial.
fn label_of(device: roxmltree::Node<'_, '_>) -> String {
    match device.tag_name().name() {
        "interface" => match mac_of(device) {
            Some((_, mac)) => format!("network {mac}"),
            None => "network (no MAC)".into(),
        },
        "disk" => match (serial_of(device), target_of(device)) {
            (Some((_, serial)), _) if !serial.is_empty() => format!("storage {serial}"),
            (_, Some(dev)) => format!("storage {dev}"),
            _ => "storage (unnamed)".into(),
        },
        other => other.to_owned(),
    }
}

fn normal_mac(mac: &str) -> String {
    mac.trim().to_ascii_lowercase().replace('-', ":")
}

fn numbered(labels: &[String]) -> String {
    if labels.is_empty() {
        return "none".into();
    }
    labels
        .iter()
        .enumerate()
        .map(|(index, label)| format!("{} {label}", index + 1))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse(xml: &str) -> std::result::Result<roxmltree::Document<'_>, String> {
    roxmltree::Document::parse(xml).map_err(|e| format!("unreadable domain XML: {e}"))
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children().find(|n| n.has_tag_name(name))
}

fn elements<'a, 'i>(
    node: Option<roxmltree::Node<'a, 'i>>,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    node.into_iter()
        .flat_map(|node| node.children())
        .filter(|n| n.is_element())
}

/// A device element's `<mac address>` (interfaces) or `<serial>` (disks).
fn mac_of<'a, 'i>(device: roxmltree::Node<'a, 'i>) -> Option<(roxmltree::Node<'a, 'i>, String)> {
    let mac = child(device, "mac")?;
    Some((mac, normal_mac(mac.attribute("address")?)))
}

fn serial_of<'a, 'i>(device: roxmltree::Node<'a, 'i>) -> Option<(roxmltree::Node<'a, 'i>, String)> {
    let serial = child(device, "serial")?;
    Some((serial, serial.text().unwrap_or_default().trim().to_owned()))
}

/// A disk's `<target dev>`, the name libvirt gives it (`vda`, `sda`).
fn target_of<'a>(device: roxmltree::Node<'a, '_>) -> Option<&'a str> {
    child(device, "target")?.attribute("dev")
}

/// Whether `id_path` is the link a Linux guest's udev makes in `/dev/disk/by-id/` for a
/// QEMU disk with `serial`: `virtio-` and the serial cut to the 20 bytes virtio-blk
/// carries, `scsi-0QEMU_QEMU_HARDDISK_` (SCSI) or `ata-QEMU_HARDDISK_` (SATA, IDE) and
/// the serial, spaces as underscores.
fn is_id_path_of(id_path: &str, serial: &str) -> bool {
    let Some(link) = id_path.strip_prefix("/dev/disk/by-id/") else {
        return false;
    };
    let serial = serial.replace(' ', "_");
    let virtio: String = serial.chars().take(20).collect();
    [
        format!("virtio-{virtio}"),
        format!("scsi-0QEMU_QEMU_HARDDISK_{serial}"),
        format!("ata-QEMU_HARDDISK_{serial}"),
    ]
    .contains(&link.to_owned())
}

/// The domain's disk MAAS means, by the surest identity MAAS gives: its serial, else its
/// id_path, else its name. (A name is only the guest kernel's, and may differ.)
fn find_disk<'a, 'i>(
    disks: &[roxmltree::Node<'a, 'i>],
    disk: &Disk,
) -> Option<roxmltree::Node<'a, 'i>> {
    let serial = |d: &roxmltree::Node| serial_of(*d).map(|(_, serial)| serial);
    let found = match identity(disk)? {
        ("serial", wanted) => disks.iter().find(|d| serial(d).as_deref() == Some(wanted)),
        ("id_path", id_path) => disks
            .iter()
            .find(|d| serial(d).is_some_and(|serial| is_id_path_of(id_path, &serial))),
        (_, name) => disks.iter().find(|d| target_of(**d) == Some(name)),
    };
    found.copied()
}

/// The identity [`find_disk`] goes by: `("serial", ...)`, `("id_path", ...)` or
/// `("name", ...)`.
fn identity(disk: &Disk) -> Option<(&'static str, &str)> {
    [
        ("serial", &disk.serial),
        ("id_path", &disk.id_path),
        ("name", &disk.name),
    ]
    .into_iter()
    .find_map(|(key, value)| Some((key, value.as_deref()?)))
}

/// For `"network"` and `"disk"`: the first of `devices` not `chosen` yet, `None` when
/// all are; an error when the domain has none.
fn first_free<'a, 'i>(
    devices: &[roxmltree::Node<'a, 'i>],
    chosen: &[roxmltree::Node<'a, 'i>],
    kind: &str,
) -> std::result::Result<Option<roxmltree::Node<'a, 'i>>, String> {
    if devices.is_empty() {
        return Err(format!("no {kind} to boot from"));
    }
    Ok(devices.iter().copied().find(|d| !chosen.contains(d)))
}

/// "A, B" or "none", for an error listing what a domain has.
fn listed(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// A domain's architecture and first MAC, from its XML.
fn describe(xml: &str) -> std::result::Result<(String, Option<String>), String> {
    if xml.is_empty() {
        return Err("its definition could not be read".into());
    }
    let doc = parse(xml)?;
    let domain = doc.root_element();
    let arch = child(domain, "os")
        .and_then(|os| child(os, "type"))
        .and_then(|t| t.attribute("arch"))
        .filter(|arch| !arch.is_empty())
        .ok_or("its definition names no architecture")?;
    let mac = elements(child(domain, "devices"))
        .filter(|d| d.has_tag_name("interface"))
        .find_map(|d| mac_of(d).map(|(_, mac)| mac));
    Ok((arch.to_owned(), mac))
}

/// The edited definition and what it boots, first first.
struct BootPlan {
    xml: String,
    /// The chosen devices' labels, as the read-back should list them.
    labels: Vec<String>,
    /// Devices given that the domain does not have and that were left out.
    left_out: Vec<String>,
}

/// The definition with exactly this boot order: `<boot order>` on the matching devices,
/// no other, and no `<os><boot dev>`. Edits are splices into the original text.
///
/// A device given twice keeps its first place (MAAS lists a bridge or a VLAN beside the
/// interface whose MAC it shares). A disk MAAS knows by name only that the domain does
/// not have (a RAID or LVM device) is left out; any other device it does not have is an
/// error naming it. `"network"` and `"disk"` take the first interface and the first disk
/// not otherwise in the order.
fn with_boot_order(xml: &str, devices: &[BootDevice]) -> std::result::Result<BootPlan, String> {
    let doc = parse(xml)?;
    let domain = doc.root_element();
    let all_devices: Vec<_> = elements(child(domain, "devices")).collect();
    let interfaces: Vec<_> = all_devices
        .iter()
        .copied()
        .filter(|d| d.has_tag_name("interface"))
        .collect();
    // Disks proper: not a CD-ROM or floppy drive.
    let disks: Vec<_> = all_devices
        .iter()
        .copied()
        .filter(|d| d.has_tag_name("disk") && d.attribute("device").unwrap_or("disk") == "disk")
        .collect();
    // (range to replace, new text); insertions are empty ranges.
    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    for boot in elements(child(domain, "os")).filter(|n| n.has_tag_name("boot")) {
        edits.push((boot.range(), String::new()));
    }
    for device in &all_devices {
        for boot in device.children().filter(|n| n.has_tag_name("boot")) {
            edits.push((boot.range(), String::new()));
        }
    }
    let mut chosen: Vec<roxmltree::Node> = Vec::new();
    let mut left_out = Vec::new();
    for device in devices {
        let found = match device {
            BootDevice::Network { mac } => {
                let wanted = normal_mac(mac);
                let found = interfaces
                    .iter()
                    .copied()
                    .find(|d| mac_of(*d).is_some_and(|(_, mac)| mac == wanted));
                if found.is_none() {
                    let known = interfaces.iter().filter_map(|d| mac_of(*d).map(|(_, m)| m));
                    return Err(format!(
                        "no network interface with MAC {} (it has: {})",
                        mac.trim(),
                        listed(known)
                    ));
                }
                found
            }
            BootDevice::Storage(disk) => match (find_disk(&disks, disk), identity(disk)) {
                (Some(found), _) => Some(found),
                (None, Some(("name", name))) => {
                    left_out.push(format!("no disk with name {name}"));
                    None
                }
                (None, identity) => {
                    let (key, value) = identity.unwrap_or(("identity", "none"));
                    let known = disks.iter().map(|d| {
                        let serial = serial_of(*d).map_or("no serial".into(), |(_, s)| s);
                        format!("{serial} on {}", target_of(*d).unwrap_or("?"))
                    });
                    return Err(format!(
                        "no disk with {key} {value} (it has: {})",
                        listed(known)
                    ));
                }
            },
            BootDevice::AnyNetwork => first_free(&interfaces, &chosen, "network interface")?,
            BootDevice::AnyStorage => first_free(&disks, &chosen, "disk")?,
            other => return Err(format!("cannot boot from {other:?}")),
        };
        if let Some(found) = found
            && !chosen.contains(&found)
        {
            chosen.push(found);
        }
    }
    if chosen.is_empty() {
        return Err("none of the boot devices given is on the domain".into());
    }
    for (index, device) in chosen.iter().enumerate() {
        // After the element that names the device, else its first.
        let anchor = ["mac", "serial", "target"]
            .iter()
            .find_map(|name| child(*device, name))
            .or_else(|| device.children().find(|n| n.is_element()));
        let at = anchor.map_or(device.range().end, |anchor| anchor.range().end);
        edits.push((at..at, format!("<boot order='{}'/>", index + 1)));
    }
    // From the end backwards; at one position the removal before the insertion.
    edits.sort_by(|(a, _), (b, _)| b.start.cmp(&a.start).then(b.end.cmp(&a.end)));
    let mut edited = xml.to_owned();
    for (range, text) in edits {
        edited.replace_range(range, &text);
    }
    Ok(BootPlan {
        xml: edited,
        labels: chosen.iter().map(|device| label_of(*device)).collect(),
        left_out,
    })
}

/// The boot order a definition holds, as labels, first first; an `<os><boot dev>` left
/// over shows as `os dev ...`.
fn boot_order(xml: &str) -> std::result::Result<Vec<String>, String> {
    let doc = parse(xml)?;
    let domain = doc.root_element();
    let mut labels: Vec<String> = elements(child(domain, "os"))
        .filter(|n| n.has_tag_name("boot"))
        .map(|boot| format!("os dev {}", boot.attribute("dev").unwrap_or("?")))
        .collect();
    let mut ordered = Vec::new();
    for device in elements(child(domain, "devices")) {
        let Some(order) = child(device, "boot").and_then(|b| b.attribute("order")) else {
            continue;
        };
        let order: u32 = order.parse().map_err(|_| format!("boot order {order:?}"))?;
        ordered.push((order, label_of(device)));
    }
    ordered.sort();
    labels.extend(ordered.into_iter().map(|(_, label)| label));
    Ok(labels)
}

/// A directory only this user can enter, removed when dropped.
struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    fn new(purpose: &str) -> io::Result<PrivateDir> {
        let base = std::env::temp_dir();
        let mut last = None;
        for attempt in 0..16u32 {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or_default();
            let path = base.join(format!(
                "maaspd-virsh-{purpose}-{}-{nanos:x}{attempt}",
                std::process::id()
            ));
            match std::fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => return Ok(PrivateDir { path }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no free name")))
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// The password's way to ssh: this binary, under [`askpass::PROGRAM`], is the askpass
/// program; it gets the password from the driver over a UNIX socket beside it.
mod askpass {
    use super::*;

    /// The name this binary is linked under in the private directory.
    pub const PROGRAM: &str = "maaspd-virsh-askpass";
    const SOCKET: &str = "socket";

    /// Serves the password once, to whoever connects first (only this user can).
    pub struct Server {
        pub program: PathBuf,
        dir: PrivateDir,
        done: Arc<AtomicBool>,
    }

    impl Server {
        pub fn start(password: &Secret) -> io::Result<Server> {
            let dir = PrivateDir::new("askpass")?;
            let program = dir.path.join(PROGRAM);
            symlink(std::env::current_exe()?, &program)?;
            let listener = UnixListener::bind(dir.path.join(SOCKET))?;
            let done = Arc::new(AtomicBool::new(false));
            let finished = Arc::clone(&done);
            let password = password.expose().to_owned();
            std::thread::spawn(move || {
                if let Ok((mut stream, _)) = listener.accept()
                    && !finished.load(Ordering::SeqCst)
                {
                    let _ = stream.write_all(password.as_bytes());
                }
            });
            Ok(Server { program, dir, done })
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            // Wake the serving thread, if still waiting, with nothing to serve.
            self.done.store(true, Ordering::SeqCst);
            let _ = UnixStream::connect(self.dir.path.join(SOCKET));
        }
    }

    /// When this process is ssh's askpass program: prints the password and returns the
    /// exit status; otherwise `None`.
    pub fn answer_if_invoked() -> Option<ExitCode> {
        let mut args = std::env::args_os();
        let program = PathBuf::from(args.next()?);
        if program.file_name() != Some(PROGRAM.as_ref()) {
            return None;
        }
        let prompt = args.next().unwrap_or_default();
        if prompt.to_string_lossy().contains("yes/no") {
            // Not a password question: the password is no answer to it.
            return Some(ExitCode::FAILURE);
        }
        Some(match fetch(&program) {
            Ok(password) if !password.is_empty() => {
                let mut stdout = io::stdout().lock();
                let _ = stdout.write_all(&password);
                let _ = stdout.write_all(b"\n");
                ExitCode::SUCCESS
            }
            _ => ExitCode::FAILURE,
        })
    }

    fn fetch(program: &Path) -> io::Result<Vec<u8>> {
        let socket = program.with_file_name(SOCKET);
        let mut stream = UnixStream::connect(socket)?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut password = Vec::new();
        stream.read_to_end(&mut password)?;
        Ok(password)
    }
}

/// `address` without a password in its user part (`qemu+ssh://user:pw@host/system`),
/// and that password.
fn without_password(address: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = address.split_once("://") else {
        return (address.to_owned(), None);
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let Some((user, host)) = authority.rsplit_once('@') else {
        return (address.to_owned(), None);
    };
    let Some((name, password)) = user.split_once(':') else {
        return (address.to_owned(), None);
    };
    let tail = &rest[authority.len()..];
    (
        format!("{scheme}://{name}@{host}{tail}"),
        Some(password.to_owned()),
    )
}
