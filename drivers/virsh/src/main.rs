//! MAAS's virsh power driver, written with maaspd: libvirt domains switched on and off
//! through the `virsh` command (Debian `libvirt-clients`), probed for enlistment, and
//! given a per-device boot order.
//!
//! ```text
//! cargo run -p maaspd-virsh -- schema
//! echo '{"driverParameters": {"power_address": "qemu+ssh://maas@kvm1/system",
//!        "power_id": "node-1"}}' | cargo run -p maaspd-virsh -- power_query
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
use std::time::Duration;

use maaspd::tool::askpass::Askpass;
use maaspd::tool::{Tool, ToolOutput, timeout_from_env};
use maaspd::{
    BootDevice, Context, DiskIdentity, Error, ErrorCode, ErrorContext, PowerState, ProbedSystem,
    Result, Secret, bail, err,
};
use roxmltree::Node;
use tempfile::NamedTempFile;

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
/// Where a bad address or domain name is reported.
const ADDRESS: &str = "driverParameters.power_address";
const POWER_ID: &str = "driverParameters.power_id";
/// What ssh or libvirt says of refused credentials.
const REFUSED: [&str; 4] = [
    "Permission denied",
    "Authentication failed",
    "authentication failed",
    "Host key verification failed",
];

/// What reading domain XML gives: the value, or what is wrong.
type Parsed<T> = std::result::Result<T, String>;
/// An edited definition, the chosen devices' labels as the read-back should list them,
/// first first, and the devices given that were left out.
type BootPlan = (String, Vec<String>, Vec<String>);

struct Virsh {
    settings: Settings,
    /// The URI handed to virsh: `power_address` plus the SSH options above.
    uri: String,
    /// `power_address` for messages: a password in it hidden.
    shown: String,
    /// The password for ssh, over an OpenSSH transport (the only one it reaches):
    /// `power_pass`, else one written into the address's user part (taken out of the
    /// URI, so that it never reaches virsh's command line).
    askpass: Option<Secret>,
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
    boot_order = true
)]
impl Virsh {
    fn new(settings: Settings) -> Result<Self> {
        let address = settings.power_address.trim();
        if address.is_empty() {
            bail!(settings, "{ADDRESS}: the libvirt URI is empty");
        }
        if address.contains('?') {
            // MAAS's words: a query could name a command for libvirt to run.
            bail!(
                settings,
                "{ADDRESS}: Supplying extra parameters to the Virsh address is not supported."
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
        let shown = settings.power_pass.redact(&shown);
        let scheme = address.split_once("://").map(|(scheme, _)| scheme);
        let over_ssh = scheme.is_some_and(|scheme| scheme.ends_with("+ssh"));
        let uri = match (over_ssh, password.is_empty()) {
            (false, _) => address,
            (true, true) => format!("{address}?no_verify=1&no_tty=1"),
            (true, false) => format!("{address}?no_verify=1"),
        };
        let timeout = timeout_from_env(TIMEOUT_ENV, DEFAULT_TIMEOUT)?;
        Ok(Virsh {
            settings,
            uri,
            shown,
            askpass: (over_ssh && !password.is_empty()).then_some(password),
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
        let list = ["list", "--all", "--name"];
        let listed = self.run(ctx, &list, "listing the domains", None)?;
        let lines = listed.lines().map(str::trim);
        let names: Vec<&str> = lines.filter(|name| !name.is_empty()).collect();
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let dumps: Vec<[&str; 3]> = names.iter().map(|n| ["dumpxml", "--domain", n]).collect();
        let out = self.virsh(ctx, &dumps)?;
        let xmls = split_chain(&out.stdout);
        if xmls.iter().all(|xml| xml.trim().is_empty()) {
            return Err(self.failure("reading the domains' definitions", &out.stderr, None));
        }
        let mut systems = Vec::new();
        for (index, name) in names.into_iter().enumerate() {
            match describe(xmls.get(index).map_or("", |xml| xml.trim())) {
                // MAAS needs the password to drive the machine it enlists: it goes into
                // the document, not into a message.
                Ok((arch, Some(mac))) => systems.push(ProbedSystem::new(
                    name,
                    mac,
                    arch,
                    "virsh",
                    [
                        ("power_address", self.settings.power_address.trim()),
                        ("power_id", name),
                        ("power_pass", self.settings.power_pass.expose()),
                    ],
                )),
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
        let dump = ["dumpxml", "--inactive", "--security-info", "--domain", id];
        let xml = self.run(ctx, &dump, "reading the definition", Some(id))?;
        let (edited, wanted, left_out) =
            with_boot_order(&xml, devices).map_err(|why| err!(fatal, "{id}: {why}"))?;
        for device in left_out {
            eprintln!("{id}: {device}: left out of the boot order");
        }
        // The definition holds its secrets (`--security-info`): a file only this user
        // reads, removed when dropped.
        let mut file = NamedTempFile::new().or_fatal("cannot create a temporary file")?;
        file.write_all(edited.as_bytes())
            .or_fatal(format_args!("cannot write {}", file.path().display()))?;
        let path = file.path().to_string_lossy();
        let dump = ["dumpxml", "--inactive", "--domain", id];
        let define: [&[&str]; 2] = [&["define", "--file", &path], &dump];
        let (read_back, errors) = self.read_back(ctx, &define, "defining the new boot order")?;
        let now = boot_order(&read_back)
            .map_err(|why| err!(action, "{id}: cannot read back the definition: {why}"))?;
        if now != wanted {
            let asked = format!("asked {}, has {}", numbered(&wanted), numbered(&now));
            let errors = wrapped(" (", &errors, ")");
            bail!(
                action,
                "{id}: libvirt did not take the boot order: {asked}{errors}"
            );
        }
        eprintln!("{id}: boot order now {}", numbered(&now));
        Ok(())
    }
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

impl Virsh {
    fn power_id(&self) -> Result<&str> {
        match self.settings.power_id.trim() {
            "" => bail!(settings, "{POWER_ID}: the domain's name is required"),
            id => Ok(id),
        }
    }

    /// The domain's name and its state.
    fn domstate(&self, ctx: &Context) -> Result<(&str, String)> {
        let id = self.power_id()?;
        let args = ["domstate", "--domain", id];
        let state = self.run(ctx, &args, "reading the state", Some(id))?;
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
            let change: [&[&str]; 2] = [&[command, "--domain", id], &["domstate", "--domain", id]];
            let (after, errors) = self.read_back(ctx, &change, &format!("running {command}"))?;
            if power_state(&after) != Some(wanted) {
                bail!(
                    action,
                    "{id}: {command} failed: {errors}; the domain is {after}"
                );
            }
            eprintln!("{id}: was {state}; {done}; now {after}");
            return Ok(());
        }
        let note = match (wanted, power_state(&state)) {
            (_, Some(now)) if now == wanted => format!(", already {}: nothing to do", now.as_str()),
            (PowerState::On, _) => bail!(
                action,
                "{id} is {state}: not started, as MAAS starts only a shut-off domain"
            ),
            (_, Some(_)) => ": left to finish, as MAAS destroys only a running domain".into(),
            (_, None) => return Err(unknown_state(id, &state)),
        };
        eprintln!("{id}: {state}{note}");
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

    /// A change to the domain and its read-back in one connection: what the read-back
    /// printed, and virsh's errors; the failure when the read-back printed nothing.
    fn read_back(&self, ctx: &Context, calls: &[&[&str]], doing: &str) -> Result<(String, String)> {
        let out = self.virsh(ctx, calls)?;
        match split_chain(&out.stdout).get(1).map(|read| read.trim()) {
            Some(read) if !read.is_empty() => Ok((read.to_owned(), virsh_errors(&out.stderr))),
            _ => Err(self.failure(doing, &out.stderr, self.power_id().ok())),
        }
    }

    /// The error for a failed virsh call, from what virsh printed on stderr.
    fn failure(&self, doing: &str, stderr: &str, id: Option<&str>) -> Error {
        let (errors, at) = (virsh_errors(stderr), &self.shown);
        let said = |markers: &[&str]| markers.iter().any(|marker| stderr.contains(marker));
        let connecting = stderr.contains("failed to connect to the hypervisor");
        if connecting && said(&REFUSED) {
            err!(auth, "could not log in to {at}: {errors}")
        } else if connecting && stderr.contains("no connection driver available") {
            err!(
                settings,
                "{ADDRESS}: {at} is not a libvirt URI virsh can use: {errors}"
            )
        } else if connecting {
            err!(conn, "could not connect to {at}: {errors}")
        } else if let Some(id) = id
            && said(&["failed to get domain", "Domain not found"])
        {
            // MAAS: "Failed to get domain"; it does not retry.
            err!(settings, "{POWER_ID}: {at} has no domain named {id:?}")
        } else {
            let subject = wrapped("", id.unwrap_or_default(), ": ");
            let errors = wrapped(": ", &errors, "");
            err!(action, "{subject}{doing} failed at {at}{errors}")
        }
    }

    /// Runs virsh against the URI, within the call's deadline and the bound of its own:
    /// one command as separate arguments, or several chained in one argument (one
    /// connection, so the libvirt test driver's state carries over), each output followed
    /// by [`MARK`]. The password, for an ssh transport only, reaches ssh through askpass.
    fn virsh<'a, C: AsRef<[&'a str]>>(&self, ctx: &Context, commands: &[C]) -> Result<ToolOutput> {
        let mut tool = Tool::new("virsh", "libvirt-clients")
            .args(["--connect", &self.uri])
            .timeout(self.timeout)
            .redact(&self.settings.power_pass);
        tool = match commands {
            [args] => tool.args(args.as_ref()),
            _ => tool.arg(chain(commands)),
        };
        // Serves the password until virsh is done.
        let askpass = self.askpass.as_ref().map(Askpass::serve).transpose()?;
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
    let lines = stderr.lines().map(str::trim);
    let lines = lines.map(|line| line.strip_prefix("error:").map_or(line, str::trim));
    let lines: Vec<&str> = lines.filter(|line| !line.is_empty()).collect();
    lines.join("; ")
}

/// `text` between `before` and `after`, or nothing for no text.
fn wrapped(before: &str, text: &str, after: &str) -> String {
    match text {
        "" => String::new(),
        text => format!("{before}{text}{after}"),
    }
}

/// Commands for one virsh argument: each followed by `echo MARK`, each word quoted as
/// virsh's own parser reads it (`'...'` literal, `'\''` for a quote).
fn chain<'a, C: AsRef<[&'a str]>>(commands: &[C]) -> String {
    let quoted = |word: &&str| format!("'{}'", word.replace('\'', r"'\''"));
    let mut chained = Vec::new();
    for words in commands {
        let words: Vec<String> = words.as_ref().iter().map(quoted).collect();
        chained.push(format!("{}; echo {MARK}", words.join(" ")));
    }
    chained.join("; ")
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
    let serial = serial_of(device).filter(|serial| !serial.is_empty());
    let name = serial.or(target_of(device)).unwrap_or("(unnamed)");
    match device.tag_name().name() {
        "interface" => format!("network {}", mac_of(device).unwrap_or("(no MAC)".into())),
        "disk" => format!("storage {name}"),
        other => other.to_owned(),
    }
}

fn normal_mac(mac: &str) -> String {
    mac.trim().to_ascii_lowercase().replace('-', ":")
}

/// "A, B", or "none" for nothing.
fn listed(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    match items.is_empty() {
        true => "none".into(),
        false => items.join(", "),
    }
}

/// "1 A, 2 B", or "none".
fn numbered(labels: &[String]) -> String {
    let numbered = labels.iter().enumerate();
    listed(numbered.map(|(index, label)| format!("{} {label}", index + 1)))
}

fn parse(xml: &str) -> Parsed<roxmltree::Document<'_>> {
    roxmltree::Document::parse(xml).map_err(|e| format!("unreadable domain XML: {e}"))
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|n| n.has_tag_name(name))
}

/// The elements in `node`'s child `name` (`<devices>`, `<os>`).
fn elements<'a, 'i>(node: Node<'a, 'i>, name: &str) -> impl Iterator<Item = Node<'a, 'i>> {
    let children = child(node, name).map(|parent| parent.children());
    children.into_iter().flatten().filter(|n| n.is_element())
}

/// The domain's devices of a kind: `interface`, or `disk` (proper, not a CD-ROM or a
/// floppy drive: no other `device` attribute).
fn devices<'a, 'i>(domain: Node<'a, 'i>, kind: &str) -> Vec<Node<'a, 'i>> {
    let proper = |d: &Node| d.attribute("device").is_none_or(|device| device == "disk");
    let all = elements(domain, "devices");
    all.filter(|d| d.has_tag_name(kind) && proper(d)).collect()
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

/// A domain's architecture in MAAS's form and its first MAC, from its XML.
fn describe(xml: &str) -> Parsed<(String, Option<String>)> {
    if xml.is_empty() {
        return Err("its definition could not be read".into());
    }
    let doc = parse(xml)?;
    let domain = doc.root_element();
    let os_type = child(domain, "os").and_then(|os| child(os, "type"));
    let arch = os_type.and_then(|os_type| os_type.attribute("arch"));
    let arch = arch.filter(|arch| !arch.is_empty());
    let arch = arch.ok_or("its definition names no architecture")?;
    let mac = devices(domain, "interface").into_iter().find_map(mac_of);
    Ok((ProbedSystem::arch_from_kernel(arch), mac))
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
    let interfaces = self::devices(domain, "interface");
    let disks = self::devices(domain, "disk");
    let (mut chosen, mut left_out): (Vec<Node>, Vec<String>) = (Vec::new(), Vec::new());
    for device in devices {
        let found = match device {
            BootDevice::Network { mac } => {
                let wanted = Some(normal_mac(mac));
                let found = interfaces.iter().find(|d| mac_of(**d) == wanted);
                let known = listed(interfaces.iter().filter_map(|d| mac_of(*d)));
                let what = format!("no network interface with MAC {}", mac.trim());
                Some(*found.ok_or_else(|| format!("{what} (it has: {known})"))?)
            }
            BootDevice::Storage(disk) => {
                // By the surest identity MAAS gives: serial, id_path (a QEMU disk's
                // by-id link), name.
                let is_it = |d: &&Node| disk.is_qemu_disk(serial_of(**d), target_of(**d));
                let found = disks.iter().find(is_it).copied();
                let identity = disk.identity().ok_or("a disk with no identity")?;
                if found.is_none() && matches!(identity, DiskIdentity::Name(_)) {
                    left_out.push(format!("no disk with {identity}"));
                } else if found.is_none() {
                    let has = |d: &Node| {
                        let serial = serial_of(*d).unwrap_or("no serial");
                        format!("{serial} on {}", target_of(*d).unwrap_or("?"))
                    };
                    let known = listed(disks.iter().map(has));
                    return Err(format!("no disk with {identity} (it has: {known})"));
                }
                found
            }
            BootDevice::AnyNetwork | BootDevice::AnyStorage => {
                let (kind, pool) = match device {
                    BootDevice::AnyNetwork => ("network interface", &interfaces),
                    _ => ("disk", &disks),
                };
                if pool.is_empty() {
                    return Err(format!("no {kind} to boot from"));
                }
                pool.iter().copied().find(|d| !chosen.contains(d))
            }
            other => return Err(format!("cannot boot from {other:?}")),
        };
        chosen.extend(found.filter(|found| !chosen.contains(found)));
    }
    if chosen.is_empty() {
        return Err("none of the boot devices given is on the domain".into());
    }
    // (range to replace, new text); insertions are empty ranges. Every <boot> goes, in
    // <os> and in the devices.
    let devices = elements(domain, "devices").flat_map(|device| device.children());
    let nodes = elements(domain, "os").chain(devices);
    let boots = nodes.filter(|n| n.has_tag_name("boot"));
    let mut edits: Vec<_> = boots.map(|boot| (boot.range(), String::new())).collect();
    for (index, device) in chosen.iter().enumerate() {
        // After the element that names the device, else its first.
        let named = ["mac", "serial", "target"].map(|name| child(*device, name));
        let anchor = named.into_iter().flatten().next();
        let anchor = anchor.or(device.first_element_child()).unwrap_or(*device);
        let at = anchor.range().end;
        edits.push((at..at, format!("<boot order='{}'/>", index + 1)));
    }
    // From the end backwards; at one position the removal before the insertion.
    edits.sort_by_key(|(range, _)| Reverse((range.start, range.end)));
    let mut edited = xml.to_owned();
    for (range, text) in edits {
        edited.replace_range(range, &text);
    }
    Ok((edited, chosen.into_iter().map(label_of).collect(), left_out))
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
    let os = elements(domain, "os").filter(|n| n.has_tag_name("boot"));
    let os = os.map(|boot| format!("os dev {}", boot.attribute("dev").unwrap_or("?")));
    Ok(os
        .chain(ordered.into_iter().map(|(_, label)| label))
        .collect())
}
