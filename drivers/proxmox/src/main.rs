//! MAAS's Proxmox power driver (`proxmox`, canonical/maas
//! `src/provisioningserver/drivers/power/proxmox.py`, with its chassis enlister
//! `probe_proxmox_and_enlist`), written with maaspd: a VM of a Proxmox VE cluster started,
//! stopped and queried through PVE's REST API (`/api2/json`), and every VM probed.
//!
//! ```text
//! cargo run -p maaspd-proxmox -- schema
//! echo '{"driverParameters": {"power_address": "pve.example.com", "power_user": "root@pam",
//!        "power_pass": "secret", "power_vm_name": "100"}}' \
//!     | cargo run -p maaspd-proxmox -- power_query
//! ```
//!
//! What it does, as MAAS does it:
//!
//! - The API is at `https://<power_address>:8006/api2/json`: `https://` when the address
//!   has no scheme, port 8006 when it has none, and any path in it replaced.
//! - With `power_token_name`, every request carries `Authorization:
//!   PVEAPIToken=<user>!<name>=<power_token_secret>` (`power_user!` put before a name
//!   without `!`, as MAAS does: PVE wants the token's full id). Without it, a ticket
//!   login: a `POST` of `{"username": power_user, "password": power_pass}` (JSON) to
//!   `access/ticket`, then `Cookie: PVEAuthCookie=<ticket>` and the
//!   `CSRFPreventionToken` header the answer gave on every request of the call.
//! - The VM is found in `GET cluster/resources?type=vm` as the one whose `vmid` or
//!   `name` is `power_vm_name`; an empty list or no match is an `actionError`.
//! - `power_on`: unless the VM is `running`, `POST
//!   nodes/<node>/<type>/<vmid>/status/start`. `power_off`: unless it is `stopped`,
//!   `.../status/stop` (a hard stop). `power_query`: `running` is on, `stopped` off,
//!   anything else unknown. The runtime then confirms each change by querying, on the
//!   schedule of MAAS's base class.
//! - `probe` lists the VMs as `probe_proxmox_and_enlist` does: each VM's
//!   `nodes/<node>/<type>/<vmid>/config` read for its MAC addresses, its name (spaces
//!   made `-`) as the host name, and driver parameters that are the chassis's settings
//!   with `power_vm_name` set to the VM's id.
//! - A wrong password or token (PVE's 401) is an `authError` naming the settings to
//!   check, PVE unreachable or its certificate refused a `connError`, any other error
//!   status an `actionError` quoting PVE's message; `ip_extractor` takes the host out of
//!   `power_address` (MAAS's URL pattern).
//!
//! Where it differs from MAAS, and why:
//!
//! - A start or stop task is waited for: its UPID's `nodes/<node>/tasks/<upid>/status`
//!   is polled every half second until it has stopped (for 60 s at most, within the
//!   call's deadline), and a task that ended in an error (`start_error`, a locked VM,
//!   ...) is an `actionError` with PVE's `exitstatus`; `WARNINGS: N` is success. MAAS
//!   fires the task and learns of a failure only as "never transitioned" after its
//!   queries time out.
//! - Settings that cannot work are a `settingsError` naming them before anything is
//!   sent: an empty `power_user`, or `power_vm_name` for a power action, no `power_pass` without a token,
//!   a `power_token_name` without `power_token_secret`, a malformed `power_address`
//!   (MAAS sends them and fails at PVE, or raises a KeyError).
//! - A login answered with `NeedTFA` (the user has two-factor authentication, which no
//!   API client can answer) is an `authError` that says to use an API token; MAAS would
//!   go on with the half-ticket and fail with PVE's 401.
//! - `probe` reports only: enlisting, the prefix filter, commissioning and MAAS's
//!   power-off of every VM it creates are the region's part of adding a chassis, not
//!   the driver's. Each VM gives one MAC (maaspd's `ProbedSystem` holds one): the first
//!   of its `netN` interfaces by N, lower case (MAAS matches every MAC-shaped text
//!   anywhere in the config); a VM without one is skipped with a warning. Its
//!   architecture is read from the config's `arch` (`aarch64` is `arm64/generic`), where
//!   MAAS enlists every VM as `amd64`: an unset `arch` is the host's, so `amd64/generic`
//!   still, as on the x86 hosts PVE mostly runs on.
//! - A reset is maaspd's power cycle (off, then on, each confirmed); MAAS's driver
//!   raises NotImplementedError.
//! - `power_verify_ssl = y` verifies PVE's certificate with maaspd's HTTP client
//!   (rustls, the system CA certificates, `SSL_CERT_FILE` and `SSL_CERT_DIR` first);
//!   a refused certificate is a `connError` that names the setting.
//! - Failed requests are not retried inside the driver; MAAS retries `connError` and
//!   `actionError` itself. Redirects are followed on the same host only.
//!
//! The HTTP plumbing (TLS, the credentials kept out of every message, timeouts,
//! failures as MAAS's error codes) is `maaspd::http`'s: what is left here is Proxmox's
//! own.

use std::time::{Duration, Instant};

use maaspd::http::{Auth, Client, ClientBuilder};
use maaspd::serde_json::{Value, json};
use maaspd::types::{HttpAddress, YesNo};
use maaspd::{Context, Error, ErrorContext, PowerState, ProbedSystem, Result, Secret};

#[maaspd::parameters]
struct Settings {
    /// Proxmox host name or IP
    ///
    /// Where PVE's API answers: a host name or IP address with an optional port, or an
    /// `https://` URL. Without a scheme `https://` is used, without a port 8006; any
    /// path is replaced by `/api2/json`.
    power_address: String,
    /// Proxmox username, including realm
    ///
    /// The user logged in as (`root@pam`, `maas@pve`), and the owner of the API token.
    power_user: String,
    /// Proxmox password, required if a token name and secret aren't given
    ///
    /// Sent once per call to `access/ticket` for a login ticket.
    #[serde(default)]
    power_pass: Secret,
    /// Proxmox API token name
    ///
    /// The token's id, with or without `power_user!` before it. When set, the token is
    /// sent instead of logging in with the password.
    #[serde(default)]
    power_token_name: String,
    /// Proxmox API token secret
    ///
    /// The secret (a UUID) PVE showed when the token was made.
    #[serde(default)]
    power_token_secret: Secret,
    /// Node ID
    ///
    /// The VM's id (`100`) or name, as `cluster/resources` lists it (a node setting in
    /// MAAS: one per machine). Required by the power actions; `probe` lists every VM
    /// without it.
    #[serde(default)]
    #[maaspd(required, scope = "node")]
    power_vm_name: String,
    /// Verify SSL connections with system CA certificates
    ///
    /// With "y", PVE must present a certificate that the system CA certificates vouch
    /// for, for the address's host; PVE's own certificate is self-signed, so "n" is the
    /// default.
    #[serde(default)]
    #[maaspd(required)]
    power_verify_ssl: YesNo,
}

/// PVE's API port.
const PVE_PORT: u16 = 8006;
/// The longest a start or stop task is waited for, within the call's deadline.
const TASK_TIMEOUT: Duration = Duration::from_secs(60);
/// The pause between two looks at a running task.
const TASK_POLL: Duration = Duration::from_millis(500);
/// How PVE's `cluster/resources` is asked for the VMs.
const VMS: &str = "cluster/resources?type=vm";

struct Proxmox {
    settings: Settings,
    /// `https://host:port/api2/json`.
    base: String,
    /// `Authorization: PVEAPIToken=...`, when a token is set.
    token: Option<Secret>,
}

/// A VM as `cluster/resources` lists it.
struct Vm {
    node: String,
    /// `qemu` (or `lxc`).
    kind: String,
    vmid: String,
    name: String,
    status: String,
}

// MAAS's Proxmox driver is its webhook driver's subclass: the runtime confirms each
// change by querying, as MAAS's base class does.
#[maaspd::power_driver(
    description = "Proxmox",
    name = "proxmox",
    chassis = true,
    probe = true,
    ip_extractor(field_name = "power_address", pattern = maaspd::ip_extractor::URL)
)]
impl Proxmox {
    fn new(settings: Settings) -> Result<Self> {
        let address: HttpAddress = settings
            .power_address
            .parse()
            .or_settings("driverParameters.power_address")?;
        let host = match address.host() {
            host if host.contains(':') => format!("[{host}]"),
            host => host.to_owned(),
        };
        let port = address.explicit_port().unwrap_or(PVE_PORT);
        let base = format!("{}://{host}:{port}/api2/json", address.scheme());
        if settings.power_user.trim().is_empty() {
            maaspd::bail!(
                settings,
                "driverParameters.power_user: empty; give the Proxmox user with its realm \
                 (root@pam)"
            );
        }
        let token = if settings.power_token_name.is_empty() {
            if settings.power_pass.is_empty() {
                maaspd::bail!(
                    settings,
                    "driverParameters.power_pass: required when power_token_name is empty \
                     (give a password, or an API token's name and secret)"
                );
            }
            None
        } else {
            if settings.power_token_secret.is_empty() {
                maaspd::bail!(
                    settings,
                    "driverParameters.power_token_secret: required when power_token_name is \
                     set"
                );
            }
            // PVE wants the token's full id, user!name; MAAS adds the user when missing.
            let id = match settings.power_token_name.contains('!') {
                true => settings.power_token_name.clone(),
                false => format!("{}!{}", settings.power_user, settings.power_token_name),
            };
            let secret = settings.power_token_secret.expose();
            Some(Secret::new(format!("PVEAPIToken={id}={secret}")))
        };
        Ok(Proxmox {
            settings,
            base,
            token,
        })
    }

    fn power_on(&self, ctx: &Context) -> Result<()> {
        self.vm_name()?;
        let pve = self.session(ctx)?;
        let vm = self.find_vm(ctx, &pve)?;
        if vm.status != "running" {
            self.run_task(ctx, &pve, &vm, "start")?;
        }
        Ok(())
    }

    fn power_off(&self, ctx: &Context) -> Result<()> {
        self.vm_name()?;
        let pve = self.session(ctx)?;
        let vm = self.find_vm(ctx, &pve)?;
        if vm.status != "stopped" {
            self.run_task(ctx, &pve, &vm, "stop")?;
        }
        Ok(())
    }

    fn power_query(&self, ctx: &Context) -> Result<PowerState> {
        self.vm_name()?;
        let pve = self.session(ctx)?;
        Ok(match self.find_vm(ctx, &pve)?.status.as_str() {
            "running" => PowerState::On,
            "stopped" => PowerState::Off,
            _ => PowerState::Unknown,
        })
    }

    /// Every VM of the cluster, with the parameters that drive it.
    fn probe(&self, ctx: &Context) -> Result<Vec<ProbedSystem>> {
        let pve = self.session(ctx)?;
        let mut systems = Vec::new();
        for vm in self.vms(ctx, &pve)? {
            let config: Value = pve
                .get(&vm.path("config"))
                .send(ctx)?
                .json::<Value>()?
                .get("data")
                .cloned()
                .unwrap_or_default();
            let Some(mac) = first_mac(&config) else {
                eprintln!(
                    "warning: VM {} ({}) on {} has no network interface with a MAC address: \
                     skipped",
                    vm.vmid, vm.name, vm.node
                );
                continue;
            };
            // PVE's `arch` is `x86_64` or `aarch64`; unset, it is the host's, taken as
            // `x86_64` (MAAS enlists every VM as amd64), as is any other.
            let arch = match config.get("arch").and_then(Value::as_str) {
                Some("aarch64") => "aarch64",
                _ => "x86_64",
            };
            systems.push(ProbedSystem::new(
                vm.name.replace(' ', "-"),
                mac,
                ProbedSystem::arch_from_kernel(arch),
                "proxmox",
                self.probed_parameters(&vm.vmid),
            ));
        }
        Ok(systems)
    }
}

impl Proxmox {
    /// A client with what every request shares; `auth` and the settings it comes from.
    fn client(&self) -> ClientBuilder {
        Client::builder()
            .base_url(&self.base)
            .peer("the Proxmox host")
            .verify_certificates(self.settings.power_verify_ssl.is_yes(), "power_verify_ssl")
    }

    /// A client that proves who it is on every request: the API token, or a ticket and
    /// its CSRF token from a login.
    fn session(&self, ctx: &Context) -> Result<Client> {
        if let Some(token) = &self.token {
            let auth = Auth::Header {
                name: "authorization",
                value: token.clone(),
            };
            return self
                .client()
                .auth(auth, "power_user, power_token_name and power_token_secret")
                .build();
        }
        let password = &self.settings.power_pass;
        let login = self
            .client()
            .auth(Auth::in_body(password), "power_user and power_pass")
            .build()?
            .post("access/ticket")
            .json(&json!({"username": self.settings.power_user, "password": password.expose()}))
            .send(ctx)?
            .json::<Value>()?;
        let data = &login["data"];
        if data.get("NeedTFA").is_some_and(|need| need != &json!(0)) {
            maaspd::bail!(
                auth,
                "{} has two-factor authentication, which an API login cannot answer: use an \
                 API token (power_token_name and power_token_secret)",
                self.settings.power_user
            );
        }
        let field = |name: &str| {
            data.get(name)
                .and_then(Value::as_str)
                .filter(|value| !value.is_empty())
                .map(Secret::new)
                .ok_or_else(|| {
                    Error::action(format!(
                        "POST {}/access/ticket: the login's answer has no {name}",
                        self.base
                    ))
                })
        };
        let (ticket, csrf) = (field("ticket")?, field("CSRFPreventionToken")?);
        let auth = Auth::cookie("PVEAuthCookie", &ticket, [("csrfpreventiontoken", &csrf)]);
        self.client()
            .auth(auth, "power_user and power_pass")
            .build()
    }

    /// The cluster's VMs; none is an `actionError`, as in MAAS (PVE lists only the VMs
    /// the user may see).
    fn vms(&self, ctx: &Context, pve: &Client) -> Result<Vec<Vm>> {
        let answer: Value = pve.get(VMS).send(ctx)?.json()?;
        let Some(listed) = answer.get("data").and_then(Value::as_array) else {
            maaspd::bail!(
                action,
                "GET {}/{VMS}: the answer has no list of VMs under \"data\"",
                self.base
            );
        };
        if listed.is_empty() {
            maaspd::bail!(
                action,
                "Proxmox lists no VM to {}: are its permissions set correctly? (it needs \
                 VM.Audit on the VMs, VM.PowerMgmt to switch them)",
                self.settings.power_user
            );
        }
        Ok(listed.iter().filter_map(Vm::from_listing).collect())
    }

    /// `power_vm_name`, which the power actions need.
    fn vm_name(&self) -> Result<&str> {
        match self.settings.power_vm_name.trim() {
            "" => Err(Error::settings(
                "driverParameters.power_vm_name: empty; give the VM's id or name",
            )),
            _ => Ok(&self.settings.power_vm_name),
        }
    }

    /// The VM whose id or name is `power_vm_name`.
    fn find_vm(&self, ctx: &Context, pve: &Client) -> Result<Vm> {
        let wanted = self.vm_name()?;
        let vms = self.vms(ctx, pve)?;
        let count = vms.len();
        vms.into_iter()
            .find(|vm| vm.vmid == wanted || vm.name == wanted)
            .ok_or_else(|| {
                Error::action(format!(
                    "Unable to find virtual machine {wanted:?} (power_vm_name): none of the \
                     {count} VMs Proxmox lists has that id or name"
                ))
            })
    }

    /// Starts `nodes/<node>/<type>/<vmid>/status/<verb>` and waits for its task.
    fn run_task(&self, ctx: &Context, pve: &Client, vm: &Vm, verb: &str) -> Result<()> {
        let answer: Value = pve
            .post(&vm.path(&format!("status/{verb}")))
            .send(ctx)?
            .json()?;
        let Some(upid) = answer.get("data").and_then(Value::as_str) else {
            maaspd::bail!(
                action,
                "POST {}/{}: the answer names no task (UPID)",
                self.base,
                vm.path(&format!("status/{verb}"))
            );
        };
        let status_path = format!("nodes/{}/tasks/{upid}/status", vm.node);
        let started = Instant::now();
        loop {
            let task: Value = pve.get(&status_path).send(ctx)?.json()?;
            let task = &task["data"];
            if task["status"] == "stopped" {
                let exit = task["exitstatus"].as_str().unwrap_or_default();
                if exit == "OK" || exit.starts_with("WARNINGS") {
                    return Ok(());
                }
                maaspd::bail!(
                    action,
                    "the {verb} task of VM {} ({}) on {} failed: {}",
                    vm.vmid,
                    vm.name,
                    vm.node,
                    if exit.is_empty() {
                        "no exit status"
                    } else {
                        exit
                    }
                );
            }
            if started.elapsed() >= TASK_TIMEOUT {
                maaspd::bail!(
                    action,
                    "the {verb} task of VM {} ({}) on {} is still running after {} s ({upid})",
                    vm.vmid,
                    vm.name,
                    vm.node,
                    TASK_TIMEOUT.as_secs()
                );
            }
            ctx.sleep(TASK_POLL)?;
        }
    }

    /// The chassis's settings with the VM's id, as `probe_proxmox_and_enlist` gives them.
    fn probed_parameters<'a>(&'a self, vmid: &'a str) -> [(&'static str, &'a str); 7] {
        let settings = &self.settings;
        let verify = if settings.power_verify_ssl.is_yes() {
            "y"
        } else {
            "n"
        };
        [
            ("power_address", &settings.power_address),
            ("power_user", &settings.power_user),
            ("power_pass", settings.power_pass.expose()),
            ("power_token_name", &settings.power_token_name),
            ("power_token_secret", settings.power_token_secret.expose()),
            ("power_verify_ssl", verify),
            ("power_vm_name", vmid),
        ]
    }
}

impl Vm {
    /// A VM from an entry of `cluster/resources`; `None` for one without a node or id.
    fn from_listing(entry: &Value) -> Option<Vm> {
        let text = |key: &str| match entry.get(key) {
            Some(Value::String(text)) => Some(text.clone()),
            Some(Value::Number(number)) => Some(number.to_string()),
            _ => None,
        };
        let vmid = text("vmid")?;
        Some(Vm {
            node: text("node")?,
            kind: text("type").unwrap_or_else(|| "qemu".to_owned()),
            name: text("name").unwrap_or_else(|| format!("vm{vmid}")),
            status: text("status").unwrap_or_default(),
            vmid,
        })
    }

    /// `nodes/<node>/<type>/<vmid>/<tail>`.
    fn path(&self, tail: &str) -> String {
        format!("nodes/{}/{}/{}/{tail}", self.node, self.kind, self.vmid)
    }
}

/// The MAC of the VM's first network interface (`net0`, `net1`, ... by number), lower
/// case: `virtio=BC:24:11:2A:0B:01,bridge=vmbr0` for a QEMU VM, `hwaddr=...` for a
/// container.
fn first_mac(config: &Value) -> Option<String> {
    let mut interfaces: Vec<(u32, &str)> = config
        .as_object()?
        .iter()
        .filter_map(|(key, value)| {
            let number = key.strip_prefix("net")?.parse().ok()?;
            Some((number, value.as_str()?))
        })
        .collect();
    interfaces.sort();
    interfaces.iter().find_map(|(_, value)| {
        value
            .split([',', '='])
            .find(|part| is_mac(part))
            .map(str::to_ascii_lowercase)
    })
}

/// `xx:xx:xx:xx:xx:xx` in hexadecimal.
fn is_mac(text: &str) -> bool {
    let octets: Vec<&str> = text.split(':').collect();
    octets.len() == 6
        && octets
            .iter()
            .all(|octet| octet.len() == 2 && octet.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(address: &str) -> Result<String> {
        let settings = maaspd::serde_json::from_value(json!({
            "power_address": address, "power_user": "root@pam", "power_pass": "pw",
            "power_vm_name": "100",
        }))
        .unwrap();
        Proxmox::new(settings).map(|pve| pve.base)
    }

    #[test]
    fn the_api_is_at_port_8006_under_api2_json_unless_the_address_says_otherwise() {
        assert_eq!(base("pve").unwrap(), "https://pve:8006/api2/json");
        assert_eq!(
            base("10.0.0.5:8007").unwrap(),
            "https://10.0.0.5:8007/api2/json"
        );
        assert_eq!(
            base("https://pve:443/").unwrap(),
            "https://pve:443/api2/json"
        );
        assert_eq!(base("http://pve/ui").unwrap(), "http://pve:8006/api2/json");
        assert_eq!(base("fe80::1").unwrap(), "https://[fe80::1]:8006/api2/json");
        assert_eq!(
            base("[fe80::1]:9").unwrap(),
            "https://[fe80::1]:9/api2/json"
        );
        let error = base("ftp://pve").unwrap_err();
        assert_eq!(error.code(), maaspd::ErrorCode::Settings);
        assert!(
            error
                .message()
                .starts_with("driverParameters.power_address")
        );
    }

    #[test]
    fn the_first_interface_by_number_gives_the_mac() {
        let config = json!({
            "net10": "virtio=AA:AA:AA:AA:AA:10,bridge=vmbr0",
            "net2": "e1000=BC:24:11:00:00:02,bridge=vmbr1",
            "smbios1": "uuid=0a1b2c3d-0000-0000-0000-000000000000",
            "scsi0": "local-lvm:vm-100-disk-0,size=32G",
        });
        assert_eq!(first_mac(&config).as_deref(), Some("bc:24:11:00:00:02"));
        let container = json!({"net0": "name=eth0,bridge=vmbr0,hwaddr=BC:24:11:0C:00:01"});
        assert_eq!(first_mac(&container).as_deref(), Some("bc:24:11:0c:00:01"));
        assert_eq!(first_mac(&json!({"scsi0": "local:1"})), None);
        assert!(!is_mac("BC:24:11:00:00"));
        assert!(!is_mac("BC:24:11:00:00:0G"));
    }
}
