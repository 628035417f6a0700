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
//! The password is sent to `ssh` only, through `SSH_ASKPASS` (`maaspd::tool::askpass`):
//! `virsh` runs without a terminal (so `ssh` asks the askpass program), with `SSH_ASKPASS`
//! naming this very binary, linked into a private (0700) temporary directory; invoked
//! under that name, the binary fetches the password from a UNIX socket in the same
//! directory, which the driver serves once, and prints it to `ssh`. The password is never
//! in an argument, an environment variable or a file, and never printed. A password
//! written into the address (`qemu+ssh://user:pw@host/system`) is taken out of the URI
//! virsh gets and used the same way when `power_pass` is empty: where MAAS hands it to
//! virsh on the command line, for any local user to read. Other transports
//! (`qemu+tls`, `qemu+tcp` with SASL, ...) cannot use it.

use std::cmp::Reverse;
use std::io::Write;
use std::ops::Range;
use std::process::ExitCode;
use std::time::Duration;

use maaspd::serde_json::Value;
use maaspd::tool::askpass::{self, Askpass};
use maaspd::tool::{Tool, ToolOutput};
use maaspd::{
    BootDevice, Context, Disk, Error, ErrorCode, ErrorContext, PowerState, ProbedSystem, Result,
    Secret, bail, err,
};
use roxmltree::Node;

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

/// What reading domain XML gives: the value, or what is wrong.
type Parsed<T> = std::result::Result<T, String>;

struct Virsh {
    settings: Settings,
    /// The password for ssh: `power_pass`, else one written into the address's user
    /// part (taken out of the URI, so that it never reaches virsh's command line).
    password: Secret,
    /// The URI handed to virsh: `power_address` plus the SSH options above.
    uri: String,
    /// `power_address` for messages: a password in it hidden.
    shown: String,
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
            bail!(
                settings,
                "driverParameters.power_address: the libvirt URI is empty"
            );
        }
        if address.contains('?') {
            // MAAS's words: a query could name a command for libvirt to run.
            bail!(
                settings,
                "driverParameters.power_address: Supplying extra parameters to the Virsh address is not supported."
            );
        }
        let in_address = split_password(address);
        let password = match in_address {
            Some((_, password, _)) if settings.power_pass.is_empty() => Secret::new(password),
            _ => settings.power_pass.clone(),
        };
        let (address, shown) = match in_address {
            Some((start, _, end)) => (format!("{start}{end}"), format!("{start}:[redacted]{end}")),
            None => (address.to_owned(), address.to_owned()),
        };
        let shown = match settings.power_pass.expose() {
            "" => shown,
            pass => shown.replace(pass, "[redacted]"),
        };
        let over_ssh = address
            .split_once("://")
            .is_some_and(|(scheme, _)| scheme.ends_with("+ssh"));
        let uri = match (over_ssh, password.is_empty()) {
            (false, _) => address,
            (true, true) => format!("{address}?no_verify=1&no_tty=1"),
            (true, false) => format!("{address}?no_verify=1"),
        };
        let timeout = match std::env::var(TIMEOUT_ENV) {
            Ok(seconds) => seconds
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|seconds| *seconds > 0.0)
                .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
                .ok_or_else(|| {
                    err!(
                        settings,
                        "{TIMEOUT_ENV}={seconds:?} is not a positive number of seconds"
                    )
                })?,
            Err(_) => DEFAULT_TIMEOUT,
        };
        Ok(Virsh {
            settings,
            password,
            uri,
            shown,
            over_ssh,
            timeout,
        })
    }

    fn power_on(&self, ctx: &Context) -> Result<()> {
        self.switch(ctx, PowerState::On)
    }

    fn power_off(&self, ctx: &Context) -> Result<()> {
        self.switch(ctx, PowerState::Off)
    }

    fn power_query(&self, ctx: &Context) -> Result<PowerState> {
        let (id, state) = self.domstate(ctx)?;
        power_state(&state).ok_or_else(|| unknown_state(id, &state))
    }

    fn probe(&self, ctx: &Context) -> Result<Vec<ProbedSystem>> {
        let listed = self.run(
            ctx,
            &["list", "--all", "--name"],
            "listing the domains",
            None,
        )?;
        let names: Vec<&str> = listed
            .lines()
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .collect();
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let dumps: Vec<[&str; 3]> = names
            .iter()
            .map(|name| ["dumpxml", "--domain", name])
            .collect();
        let out = self.virsh(ctx, &dumps.iter().map(|dump| &dump[..]).collect::<Vec<_>>())?;
        let xmls = split_chain(&out.stdout);
        if xmls.iter().all(|xml| xml.trim().is_empty()) {
            return Err(self.failure("reading the domains' definitions", &out.stderr, None));
        }
        let mut systems = Vec::new();
        for (index, name) in names.into_iter().enumerate() {
            match describe(xmls.get(index).map_or("", |xml| xml.trim())) {
                Ok((arch, Some(mac))) => systems.push(ProbedSystem {
                    hostname: name.to_owned(),
                    mac,
                    arch,
                    driver_name: "virsh".into(),
                    // MAAS needs the password to drive the machine it enlists: it goes
                    // into the document, not into a message.
                    driver_parameters: [
                        ("power_address", self.settings.power_address.trim()),
                        ("power_id", name),
                        ("power_pass", self.settings.power_pass.expose()),
                    ]
                    .into_iter()
                    .map(|(key, value)| (key.to_owned(), Value::from(value)))
                    .collect(),
                }),
                Ok((_, None)) => eprintln!("warning: {name} has no network interface: skipped"),
                Err(why) => eprintln!("warning: {name}: {why}: skipped"),
            }
        }
        Ok(systems)
    }

    fn set_boot_order(&self, ctx: &Context, devices: &[BootDevice]) -> Result<()> {
        let id = self.power_id()?;
        if devices.is_empty() {
            bail!(fatal, "set_boot_order: no boot device given");
        }
        let args = ["dumpxml", "--inactive", "--security-info", "--domain", id];
        let xml = self.run(ctx, &args, "reading the definition", Some(id))?;
        let plan = with_boot_order(&xml, devices).map_err(|why| err!(fatal, "{id}: {why}"))?;
        for device in &plan.left_out {
            eprintln!("{id}: {device}: left out of the boot order");
        }
        // The definition holds its secrets (`--security-info`): a file only this user
        // reads, removed when dropped.
        let mut file = tempfile::Builder::new()
            .prefix("maaspd-virsh-")
            .suffix(".xml")
            .tempfile()
            .or_fatal("cannot create a temporary file")?;
        file.write_all(plan.xml.as_bytes())
            .or_fatal(format_args!("cannot write {}", file.path().display()))?;
        let path = file.path().to_string_lossy();
        let (read_back, errors) = self.read_back(
            ctx,
            &[
                &["define", "--file", &path],
                &["dumpxml", "--inactive", "--domain", id],
            ],
            "defining the new boot order",
            id,
        )?;
        let now = boot_order(&read_back)
            .map_err(|why| err!(action, "{id}: cannot read back the definition: {why}"))?;
        if now != plan.labels {
            bail!(
                action,
                "{id}: libvirt did not take the boot order: asked {}, has {}{}",
                numbered(&plan.labels),
                numbered(&now),
                if errors.is_empty() {
                    errors
                } else {
                    format!(" ({errors})")
                }
            );
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
    err!(fatal, "{id}: unknown state {state:?}")
}

/// A libvirt architecture in MAAS's form: `kernel_to_debian_architecture` in MAAS's
/// `provisioningserver/utils/arch.py`, plus the virsh enlister's `ppc64`; any other
/// (`s390x`, `mips`) is its own Debian name.
fn maas_arch(arch: &str) -> String {
    let debian = match arch {
        "i686" => "i386",
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "ppc64le" | "ppc64" => "ppc64el",
        "mips64" => "mips64el",
        other => other,
    };
    format!("{debian}/generic")
}

impl Virsh {
    fn power_id(&self) -> Result<&str> {
        Some(self.settings.power_id.trim())
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                err!(
                    settings,
                    "driverParameters.power_id: the domain's name is required"
                )
            })
    }

    /// The domain's name and its state.
    fn domstate(&self, ctx: &Context) -> Result<(&str, String)> {
        let id = self.power_id()?;
        let state = self.run(
            ctx,
            &["domstate", "--domain", id],
            "reading the state",
            Some(id),
        )?;
        Ok((id, state.trim().to_owned()))
    }

    /// `power_on` and `power_off` as MAAS does them: `start` only a shut-off domain and
    /// `destroy` only a running one, the state read back in the same connection; a
    /// domain already there is left alone.
    fn switch(&self, ctx: &Context, wanted: PowerState) -> Result<()> {
        let (id, state) = self.domstate(ctx)?;
        let (from, command, done) = match wanted {
            PowerState::On => ("shut off", "start", "started"),
            _ => ("running", "destroy", "destroyed"),
        };
        if state == from {
            let commands: [&[&str]; 2] =
                [&[command, "--domain", id], &["domstate", "--domain", id]];
            let (after, errors) =
                self.read_back(ctx, &commands, &format!("running {command}"), id)?;
            if power_state(&after) != Some(wanted) {
                bail!(
                    action,
                    "{id}: {command} failed: {errors}; the domain is {after}"
                );
            }
            eprintln!("{id}: was {state}; {done}; now {after}");
            return Ok(());
        }
        match (wanted, power_state(&state)) {
            (_, Some(now)) if now == wanted => {
                eprintln!("{id}: {state}, already {}: nothing to do", wanted.as_str())
            }
            (PowerState::On, _) => bail!(
                action,
                "{id} is {state}: not started, as MAAS starts only a shut-off domain"
            ),
            (_, Some(_)) => {
                eprintln!("{id}: {state}: left to finish, as MAAS destroys only a running domain")
            }
            (_, None) => return Err(unknown_state(id, &state)),
        }
        Ok(())
    }

    /// One virsh command's output, or the error for its failure.
    fn run(&self, ctx: &Context, args: &[&str], doing: &str, id: Option<&str>) -> Result<String> {
        let out = self.virsh(ctx, &[args])?;
        if !out.success() {
            return Err(self.failure(doing, &out.stderr, id));
        }
        Ok(out.stdout)
    }

    /// A change and its read-back in one connection: what the read-back printed, and
    /// virsh's errors; the error for the failure when the read-back printed nothing.
    fn read_back(
        &self,
        ctx: &Context,
        commands: &[&[&str]],
        doing: &str,
        id: &str,
    ) -> Result<(String, String)> {
        let out = self.virsh(ctx, commands)?;
        match split_chain(&out.stdout).get(1).map(|read| read.trim()) {
            Some(read) if !read.is_empty() => Ok((read.to_owned(), virsh_errors(&out.stderr))),
            _ => Err(self.failure(doing, &out.stderr, Some(id))),
        }
    }

    /// The error for a failed virsh call, from what virsh printed on stderr.
    fn failure(&self, doing: &str, stderr: &str, id: Option<&str>) -> Error {
        let (errors, at) = (virsh_errors(stderr), &self.shown);
        let auth = [
            "Permission denied",
            "Authentication failed",
            "authentication failed",
            "Host key verification failed",
        ];
        if !stderr.contains("failed to connect to the hypervisor") {
            // Not the connection.
        } else if auth.iter().any(|marker| stderr.contains(marker)) {
            return err!(auth, "could not log in to {at}: {errors}");
        } else if stderr.contains("no connection driver available") {
            return err!(
                settings,
                "driverParameters.power_address: {at} is not a libvirt URI virsh can use: {errors}"
            );
        } else {
            return err!(conn, "could not connect to {at}: {errors}");
        }
        match id {
            // MAAS: "Failed to get domain"; it does not retry.
            Some(id)
                if stderr.contains("failed to get domain")
                    || stderr.contains("Domain not found") =>
            {
                err!(
                    settings,
                    "driverParameters.power_id: {at} has no domain named {id:?}"
                )
            }
            _ => {
                let subject = id.map(|id| format!("{id}: ")).unwrap_or_default();
                let errors = if errors.is_empty() {
                    errors
                } else {
                    format!(": {errors}")
                };
                err!(action, "{subject}{doing} failed at {at}{errors}")
            }
        }
    }

    /// Runs virsh against the URI, within the call's deadline and the bound of its own:
    /// one command as separate arguments, or several chained in one argument (one
    /// connection, so the libvirt test driver's state carries over), each output followed
    /// by [`MARK`]. The password, for an ssh transport only, reaches ssh through askpass.
    fn virsh(&self, ctx: &Context, commands: &[&[&str]]) -> Result<ToolOutput> {
        let mut tool = Tool::new("virsh", "libvirt-clients")
            .arg("--connect")
            .arg(&self.uri)
            .timeout(self.timeout)
            .redact(&self.settings.power_pass)
            .redact(&self.password);
        tool = match commands {
            [args] => tool.args(*args),
            _ => tool.arg(chain(commands)),
        };
        let askpass = (self.over_ssh && !self.password.is_empty())
            .then(|| Askpass::serve(&self.password))
            .transpose()?;
        if let Some(askpass) = &askpass {
            tool = tool.ssh_askpass(askpass);
        }
        tool.run(ctx).map_err(|error| match error.code() {
            // Where the time went: the host.
            ErrorCode::Conn => err!(conn, "{} at {}", error.message(), self.shown),
            _ => error,
        })
    }
}

/// What virsh printed on stderr, on one line, without its `error:` prefixes (the tool
/// has blotted out the password, should anything have echoed it).
fn virsh_errors(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(|line| line.trim())
        .map(|line| line.strip_prefix("error:").unwrap_or(line).trim())
        .filter(|line| !line.is_empty())
        .collect();
    lines.join("; ")
}

/// Commands for one virsh argument: each followed by `echo MARK`, each word quoted as
/// virsh's own parser reads it (`'...'` literal, `'\''` for a quote).
fn chain(commands: &[&[&str]]) -> String {
    let quoted = |word: &&str| format!("'{}'", word.replace('\'', r"'\''"));
    let commands: Vec<String> = commands
        .iter()
        .map(|words| {
            let words: Vec<String> = words.iter().map(quoted).collect();
            format!("{}; echo {MARK}", words.join(" "))
        })
        .collect();
    commands.join("; ")
}

/// The outputs of a chain, one per command (a failed command's is empty).
fn split_chain(stdout: &str) -> Vec<String> {
    let lines: Vec<&str> = stdout.lines().collect();
    let mut parts: Vec<String> = lines
        .split(|line| line.trim() == MARK)
        .map(|part| part.iter().map(|line| format!("{line}\n")).collect())
        .collect();
    parts.pop(); // what follows the last mark
    parts
}

/// `address` around a password in its user part (`qemu+ssh://user:pw@host/system`):
/// `qemu+ssh://user`, `pw` and `@host/system`.
fn split_password(address: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = address.split_once("://")?;
    let authority = rest.split('/').next().unwrap_or_default();
    let (user, _host) = authority.rsplit_once('@')?;
    let (name, password) = user.split_once(':')?;
    let start = scheme.len() + "://".len() + name.len();
    let end = start + ":".len() + password.len();
    Some((&address[..start], password, &address[end..]))
}

/// A domain device as the read-back lists it: `network MAC`, `storage SERIAL`, or
/// `storage DEV` for a disk without a serial.
fn label_of(device: Node) -> String {
    match device.tag_name().name() {
        "interface" => format!("network {}", mac_of(device).unwrap_or("(no MAC)".into())),
        "disk" => {
            let serial = serial_of(device).filter(|serial| !serial.is_empty());
            format!(
                "storage {}",
                serial.or(target_of(device)).unwrap_or("(unnamed)")
            )
        }
        other => other.to_owned(),
    }
}

fn normal_mac(mac: &str) -> String {
    mac.trim().to_ascii_lowercase().replace('-', ":")
}

/// "A, B", or "none" for nothing.
fn listed(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// "1 A, 2 B", or "none".
fn numbered(labels: &[String]) -> String {
    listed(
        labels
            .iter()
            .enumerate()
            .map(|(index, label)| format!("{} {label}", index + 1)),
    )
}

fn parse(xml: &str) -> Parsed<roxmltree::Document<'_>> {
    roxmltree::Document::parse(xml).map_err(|e| format!("unreadable domain XML: {e}"))
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|n| n.has_tag_name(name))
}

/// The elements in `node`'s child `name` (`<devices>`, `<os>`).
fn elements<'a, 'i>(node: Node<'a, 'i>, name: &str) -> impl Iterator<Item = Node<'a, 'i>> {
    child(node, name)
        .into_iter()
        .flat_map(|node| node.children())
        .filter(|n| n.is_element())
}

/// An interface's `<mac address>`, in lower case with colons.
fn mac_of(device: Node) -> Option<String> {
    Some(normal_mac(child(device, "mac")?.attribute("address")?))
}

/// A disk's `<serial>`.
fn serial_of<'a>(device: Node<'a, '_>) -> Option<&'a str> {
    child(device, "serial").map(|serial| serial.text().unwrap_or_default().trim())
}

/// A disk's `<target dev>`, the name libvirt gives it (`vda`, `sda`).
fn target_of<'a>(device: Node<'a, '_>) -> Option<&'a str> {
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

/// The identity of a disk MAAS gives that the driver goes by, the surest first: its
/// serial, else its id_path, else its name (only the guest kernel's, which may differ).
fn identity(disk: &Disk) -> (&'static str, &str) {
    [
        ("serial", &disk.serial),
        ("id_path", &disk.id_path),
        ("name", &disk.name),
    ]
    .into_iter()
    .find_map(|(key, value)| Some((key, value.as_deref()?)))
    .unwrap_or(("identity", "none"))
}

/// Whether `device` is the disk with that [`identity`].
fn is_disk(device: Node, (key, value): (&str, &str)) -> bool {
    match key {
        "serial" => serial_of(device) == Some(value),
        "id_path" => serial_of(device).is_some_and(|serial| is_id_path_of(value, serial)),
        "name" => target_of(device) == Some(value),
        _ => false,
    }
}

/// For `"network"` and `"disk"`: the first of `devices` not `chosen` yet, `None` when
/// all are; an error when the domain has none.
fn first_free<'a, 'i>(
    devices: &[Node<'a, 'i>],
    chosen: &[Node<'a, 'i>],
    kind: &str,
) -> Parsed<Option<Node<'a, 'i>>> {
    if devices.is_empty() {
        return Err(format!("no {kind} to boot from"));
    }
    Ok(devices.iter().copied().find(|d| !chosen.contains(d)))
}

/// A domain's architecture in MAAS's form and its first MAC, from its XML.
fn describe(xml: &str) -> Parsed<(String, Option<String>)> {
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
    let mac = elements(domain, "devices")
        .filter(|d| d.has_tag_name("interface"))
        .find_map(mac_of);
    Ok((maas_arch(arch), mac))
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
fn with_boot_order(xml: &str, devices: &[BootDevice]) -> Parsed<BootPlan> {
    let doc = parse(xml)?;
    let domain = doc.root_element();
    let all: Vec<Node> = elements(domain, "devices").collect();
    let interfaces: Vec<Node> = all
        .iter()
        .copied()
        .filter(|d| d.has_tag_name("interface"))
        .collect();
    // Disks proper: not a CD-ROM or floppy drive.
    let disks: Vec<Node> = all
        .iter()
        .copied()
        .filter(|d| d.has_tag_name("disk") && d.attribute("device").unwrap_or("disk") == "disk")
        .collect();
    let mut chosen: Vec<Node> = Vec::new();
    let mut left_out = Vec::new();
    for device in devices {
        let found = match device {
            BootDevice::Network { mac } => {
                let wanted = Some(normal_mac(mac));
                let found = interfaces.iter().copied().find(|d| mac_of(*d) == wanted);
                let known = || listed(interfaces.iter().filter_map(|d| mac_of(*d)));
                let missing = || {
                    format!(
                        "no network interface with MAC {} (it has: {})",
                        mac.trim(),
                        known()
                    )
                };
                Some(found.ok_or_else(missing)?)
            }
            BootDevice::Storage(disk) => {
                let (key, value) = identity(disk);
                match disks.iter().copied().find(|d| is_disk(*d, (key, value))) {
                    None if key == "name" => {
                        left_out.push(format!("no disk with name {value}"));
                        None
                    }
                    None => {
                        let known = disks.iter().map(|d| {
                            let serial = serial_of(*d).unwrap_or("no serial");
                            format!("{serial} on {}", target_of(*d).unwrap_or("?"))
                        });
                        return Err(format!(
                            "no disk with {key} {value} (it has: {})",
                            listed(known)
                        ));
                    }
                    found => found,
                }
            }
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
    // (range to replace, new text); insertions are empty ranges. Every <boot> goes, in
    // <os> and in the devices.
    let mut edits: Vec<(Range<usize>, String)> = elements(domain, "os")
        .chain(all.iter().flat_map(|device| device.children()))
        .filter(|n| n.has_tag_name("boot"))
        .map(|boot| (boot.range(), String::new()))
        .collect();
    for (index, device) in chosen.iter().enumerate() {
        // After the element that names the device, else its first.
        let anchor = ["mac", "serial", "target"]
            .iter()
            .find_map(|name| child(*device, name))
            .or_else(|| device.first_element_child());
        let at = anchor.unwrap_or(*device).range().end;
        edits.push((at..at, format!("<boot order='{}'/>", index + 1)));
    }
    // From the end backwards; at one position the removal before the insertion.
    edits.sort_by_key(|(range, _)| Reverse((range.start, range.end)));
    let mut edited = xml.to_owned();
    for (range, text) in edits {
        edited.replace_range(range, &text);
    }
    let labels = chosen.iter().map(|device| label_of(*device)).collect();
    Ok(BootPlan {
        xml: edited,
        labels,
        left_out,
    })
}

/// The boot order a definition holds, as labels, first first; an `<os><boot dev>` left
/// over shows as `os dev ...`.
fn boot_order(xml: &str) -> Parsed<Vec<String>> {
    let doc = parse(xml)?;
    let domain = doc.root_element();
    let mut ordered = Vec::new();
    for device in elements(domain, "devices") {
        if let Some(order) = child(device, "boot").and_then(|boot| boot.attribute("order")) {
            let order: u32 = order.parse().map_err(|_| format!("boot order {order:?}"))?;
            ordered.push((order, label_of(device)));
        }
    }
    ordered.sort();
    let os = elements(domain, "os")
        .filter(|n| n.has_tag_name("boot"))
        .map(|boot| format!("os dev {}", boot.attribute("dev").unwrap_or("?")));
    Ok(os
        .chain(ordered.into_iter().map(|(_, label)| label))
        .collect())
}
