//! MAAS's Redfish power driver (`redfish`, canonical/maas
//! `src/provisioningserver/drivers/power/redfish.py`), written with maaspd, plus `probe`.
//!
//! ```text
//! cargo run -p maaspd-redfish -- schema
//! echo '{"driverParameters": {"power_address": "10.0.0.5", "power_user": "admin",
//!        "power_pass": "secret", "node_id": ""}}' | cargo run -p maaspd-redfish -- power_query
//! ```
//!
//! What it does, as MAAS does it:
//!
//! - `power_address` without a scheme gets `https://`; paths are joined to it
//!   (`<address>/redfish/v1/Systems/<node_id>`).
//! - Every request carries Basic auth, `User-Agent: MAAS`, `Accept` and `Content-Type:
//!   application/json`. The BMC's certificate is not verified (MAAS never verifies).
//! - An empty `node_id` is the basename of the first member of `/redfish/v1/Systems`.
//! - The reset is a `POST` to `redfish/v1/Systems/<node_id>/Actions/ComputerSystem.Reset`
//!   with `{"ResetType": "On" | "ForceOff" | "GracefulRestart"}`: MAAS builds that path
//!   and does not read the action target the system resource advertises, and neither
//!   does this driver.
//! - `power_on`: query; when on, `ForceOff` and wait for off; set a one-time PXE boot
//!   override; `On` and wait for on. `power_off`: when not off, `ForceOff` and wait for
//!   off; then set the PXE boot override. `power_reset`: the PXE boot override, then
//!   `GracefulRestart`, not waited for. The override is a `PATCH` of
//!   `{"Boot": {"BootSourceOverrideEnabled": "Once", "BootSourceOverrideTarget": "Pxe"}}`
//!   to the system, or to its `@Redfish.Settings` `SettingsObject` when it has one,
//!   with `If-Match` when that resource has an `@odata.etag` or an `ETag` header.
//! - `PowerState`: `Off` and `PoweringOn` are off; `On`, `Paused` and `PoweringOff` are
//!   on; `Reset`, `Unknown` or none are transitional and asked again; anything else is an
//!   error.
//! - HTTP status 401 and 403 are `authError`, any other status from 400 up `actionError`;
//!   a 404 on a path without a trailing slash is tried once more with one; redirects are
//!   followed (up to 5) with the same method and body.
//!
//! Where it differs from MAAS, and why:
//!
//! - `power_verify_ssl` (`n` by default, MAAS's behaviour) is maaspd's addition: with
//!   `y` the certificate chain and host name are verified against the system CA
//!   certificates (`SSL_CERT_FILE` and `SSL_CERT_DIR`, else the distribution's store).
//! - `probe` is maaspd's addition: MAAS's driver cannot probe (`can_probe = False`).
//!   Each system gives its `HostName` (else `Name`, else `Id`), the MAC of its first
//!   EthernetInterface that has one, and its architecture: from its first CPU under
//!   `Processors` (`InstructionSet`, else `ProcessorArchitecture`), else guessed from
//!   `ProcessorSummary.Model` (Xeon, EPYC: amd64; Ampere, Neoverse: arm64; POWER:
//!   ppc64el), else `amd64/generic` with a warning on stderr (sushy's fake systems say
//!   nothing). `driver_parameters` are `power_address`, `power_user`, `power_pass` and
//!   the system's `node_id` (and `power_verify_ssl` when it is `y`).
//! - The `ip_extractor` takes the host out of a URL (MAAS's takes the whole address,
//!   which is wrong for `https://10.0.0.5`).
//! - A scheme is recognised at the start of `power_address` (`http://`, `https://`);
//!   MAAS looks for "http" anywhere in it, so a host named `httpbmc` got no scheme.
//!   Another scheme, or a user and password inside the address, is a `settingsError`.
//! - Failed requests are not retried inside the driver (MAAS's driver retries 5 times,
//!   about 28 s): `connError` and `actionError` are retried by MAAS itself. Redirects
//!   are followed only to the same host, so the credentials go nowhere else.
//! - The state is polled every second after a reset, for up to 35 s (MAAS polls after
//!   1, 2, 2, 4, 6, 8 and 12 s: the same 35 s). A transitional state is asked again
//!   every second for up to 10 s, then reported as `unknown` (MAAS: about a minute,
//!   then "error").
//! - Each request has a 10 s connect timeout and a 30 s overall timeout, within the
//!   call's deadline; the waits for a state end at the deadline too.
//!
//! The HTTP plumbing (TLS, credentials, redirects, timeouts, failures as MAAS's error
//! codes) is `maaspd::http`'s: what is left here is Redfish's own.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use maaspd::http::{self, Auth, Client};
use maaspd::serde_json::{Map, Value, json};
use maaspd::types::{HttpAddress, YesNo};
use maaspd::{Context, Error, ErrorContext, PowerState, ProbedSystem, Result, Secret};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

#[maaspd::parameters]
struct Settings {
    /// Redfish address
    ///
    /// Where the BMC's Redfish service answers: a host name or IP address, with an
    /// optional port, or a URL `http://...` or `https://...`. Without a scheme
    /// `https://` is used.
    power_address: String,
    /// Redfish user
    ///
    /// The user the driver logs in as (HTTP Basic authentication).
    power_user: String,
    /// Redfish password
    ///
    /// The password of the Redfish user.
    power_pass: Secret,
    /// Node ID
    ///
    /// The system's Id under `/redfish/v1/Systems` (a node setting in MAAS: one per
    /// machine). When empty, the first system the BMC lists is used.
    #[serde(default)]
    #[maaspd(scope = "node")]
    node_id: String,
    /// Verify SSL connections with system CA certificates
    ///
    /// maaspd's addition: MAAS's Redfish driver never verifies the BMC's certificate,
    /// which `n` (the default) keeps. `y` verifies its chain and host name against the
    /// system CA certificates: the file named by the SSL_CERT_FILE environment
    /// variable, else the distribution's bundle (/etc/ssl/certs/ca-certificates.crt on
    /// Debian and Ubuntu). Same name and choices as MAAS's webhook driver.
    #[serde(default)]
    power_verify_ssl: YesNo,
}

/// How long a reset may take to show in `PowerState`: MAAS's 1+2+2+4+6+8+12 s.
const TRANSITION_TIMEOUT: Duration = Duration::from_secs(35);
/// How long a transitional `PowerState` (Reset, Unknown, none) is asked again.
const TRANSITIONAL_TIMEOUT: Duration = Duration::from_secs(10);
/// The pause between two state queries.
const POLL_INTERVAL: Duration = Duration::from_secs(1);
const SYSTEMS: &str = "redfish/v1/Systems";
/// What a node id keeps unencoded in a path segment (RFC 3986 `pchar`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':')
    .remove(b'@')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=');

struct Redfish {
    settings: Settings,
    /// `scheme://host[:port][/prefix]`, no trailing slash.
    base: String,
    bmc: Client,
}

/// A successful answer: its JSON body (`Null` when empty) and its ETag.
struct Reply {
    json: Value,
    etag: Option<String>,
}

/// A system's power state as the BMC reports it.
enum Observed {
    Known(PowerState),
    /// Reset, Unknown or no state: ask again.
    Transitional(String),
}

// `power_on` and `power_off` wait for the state they set themselves (below), as MAAS's
// Redfish driver does: the runtime's confirmation would only query again.
#[maaspd::power_driver(
    description = "Redfish",
    name = "redfish",
    chassis = true,
    probe = true,
    confirm = false,
    ip_extractor(field_name = "power_address", pattern = maaspd::ip_extractor::URL)
)]
impl Redfish {
    fn new(settings: Settings) -> Result<Self> {
        let address: HttpAddress = settings
            .power_address
            .parse()
            .or_settings("driverParameters.power_address")?;
        let base = address.base().to_owned();
        let bmc = Client::builder()
            .base_url(&base)
            .verify_certificates(settings.power_verify_ssl.is_yes(), "power_verify_ssl")
            .auth(
                Auth::basic(&settings.power_user, &settings.power_pass),
                "power_user and power_pass",
            )
            // As MAAS's driver, on every request, a body or not.
            .header("content-type", "application/json", "power_address")
            .build()?;
        Ok(Redfish {
            settings,
            base,
            bmc,
        })
    }

    fn power_on(&self, ctx: &Context) -> Result<()> {
        let id = self.node_id(ctx)?;
        if self.query(ctx, &id)? == PowerState::On {
            self.reset(ctx, &id, "ForceOff")?;
            self.wait_for(ctx, &id, PowerState::Off)?;
        }
        self.set_pxe_boot(ctx, &id)?;
        self.reset(ctx, &id, "On")?;
        self.wait_for(ctx, &id, PowerState::On)
    }

    fn power_off(&self, ctx: &Context) -> Result<()> {
        let id = self.node_id(ctx)?;
        if self.query(ctx, &id)? != PowerState::Off {
            self.reset(ctx, &id, "ForceOff")?;
            self.wait_for(ctx, &id, PowerState::Off)?;
        }
        self.set_pxe_boot(ctx, &id)
    }

    fn power_query(&self, ctx: &Context) -> Result<PowerState> {
        let id = self.node_id(ctx)?;
        self.query(ctx, &id)
    }

    /// The PXE boot override, then `GracefulRestart`, not waited for (as MAAS).
    fn power_reset(&self, ctx: &Context) -> Result<()> {
        let id = self.node_id(ctx)?;
        self.set_pxe_boot(ctx, &id)?;
        self.reset(ctx, &id, "GracefulRestart")
    }

    /// Every system behind the BMC, with the parameters that drive it.
    fn probe(&self, ctx: &Context) -> Result<Vec<ProbedSystem>> {
        self.collection(ctx, SYSTEMS)?
            .iter()
            .map(|member| self.probe_system(ctx, member))
            .collect()
    }
}

impl Redfish {
    /// `node_id`, or the basename of the first system the BMC lists (as MAAS).
    fn node_id(&self, ctx: &Context) -> Result<String> {
        if !self.settings.node_id.is_empty() {
            return Ok(self.settings.node_id.clone());
        }
        let systems = self.get(ctx, SYSTEMS)?;
        let first = members(&systems.json).into_iter().next().ok_or_else(|| {
            Error::action(format!(
                "node_id is empty and the BMC at {} lists no system under /{SYSTEMS}",
                self.base
            ))
        })?;
        Ok(basename(&first).to_owned())
    }

    fn system_path(id: &str) -> String {
        format!("{SYSTEMS}/{}", utf8_percent_encode(id, SEGMENT))
    }

    /// The state, asking again while it is transitional, for up to 10 s.
    fn query(&self, ctx: &Context, id: &str) -> Result<PowerState> {
        let deadline = Instant::now() + TRANSITIONAL_TIMEOUT;
        loop {
            match self.observe(ctx, id)? {
                Observed::Known(state) => return Ok(state),
                Observed::Transitional(_) if Instant::now() >= deadline => {
                    return Ok(PowerState::Unknown);
                }
                Observed::Transitional(_) => ctx.sleep(POLL_INTERVAL)?,
            }
        }
    }

    fn observe(&self, ctx: &Context, id: &str) -> Result<Observed> {
        let system = self.get(ctx, &Self::system_path(id))?;
        let state = match system.json.get("PowerState") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(state)) => state.clone(),
            Some(other) => other.to_string(),
        };
        Ok(match state.to_lowercase().as_str() {
            "off" | "poweringon" => Observed::Known(PowerState::Off),
            "on" | "paused" | "poweringoff" => Observed::Known(PowerState::On),
            "reset" | "unknown" | "" => Observed::Transitional(state),
            _ => {
                return Err(Error::action(format!(
                    "Redfish system '{id}' at {} reports the unexpected PowerState {}",
                    self.base,
                    Value::String(state)
                )));
            }
        })
    }

    /// Polls until the reset shows, for up to 35 s.
    fn wait_for(&self, ctx: &Context, id: &str, desired: PowerState) -> Result<()> {
        let deadline = Instant::now() + TRANSITION_TIMEOUT;
        loop {
            let current = match self.observe(ctx, id)? {
                Observed::Known(state) if state == desired => return Ok(()),
                Observed::Known(state) => state.as_str().to_owned(),
                Observed::Transitional(state) if state.is_empty() => "none".to_owned(),
                Observed::Transitional(state) => state,
            };
            if Instant::now() >= deadline {
                return Err(Error::action(format!(
                    "The redfish node '{id}' did not transition to the state '{}' within {} s. \
                     The current status reported by the BMC is '{current}'.",
                    desired.as_str(),
                    TRANSITION_TIMEOUT.as_secs()
                )));
            }
            ctx.sleep(POLL_INTERVAL)?;
        }
    }

    fn reset(&self, ctx: &Context, id: &str, reset_type: &str) -> Result<()> {
        let path = format!("{}/Actions/ComputerSystem.Reset", Self::system_path(id));
        let body = json!({"ResetType": reset_type});
        self.send(ctx, self.bmc.post(&path).json(&body)).map(drop)
    }

    /// A one-time PXE boot override, where and how MAAS sets it.
    fn set_pxe_boot(&self, ctx: &Context, id: &str) -> Result<()> {
        let system_path = Self::system_path(id);
        let system = self.get(ctx, &system_path)?;
        let settings_object = system
            .json
            .pointer("/@Redfish.Settings/SettingsObject/@odata.id")
            .and_then(Value::as_str)
            .filter(|path| !path.is_empty());
        let (target, etag) = match settings_object {
            Some(path) => (path.to_owned(), self.get(ctx, path)?.etag),
            None => (system_path, system.etag),
        };
        let boot = json!({"Boot": {
            "BootSourceOverrideEnabled": "Once",
            "BootSourceOverrideTarget": "Pxe",
        }});
        let mut patch = self.bmc.patch(&target).json(&boot);
        if let Some(etag) = &etag {
            patch = patch.header("if-match", etag);
        }
        self.send(ctx, patch).map(drop)
    }

    fn probe_system(&self, ctx: &Context, member: &str) -> Result<ProbedSystem> {
        let id = basename(member).to_owned();
        let system = self.get(ctx, member)?.json;
        let hostname = ["HostName", "Name", "Id"]
            .iter()
            .find_map(|key| {
                let name = system.get(*key).and_then(Value::as_str)?;
                (!name.is_empty()).then_some(name)
            })
            .unwrap_or(&id)
            .to_owned();
        let mac = self.first_mac(ctx, &system).unwrap_or_else(|| {
            eprintln!(
                "warning: Redfish system '{id}' ({hostname}) shows no EthernetInterface with a \
                 MAC address; MAAS needs one to enlist it"
            );
            String::new()
        });
        let arch = match self.arch(ctx, &system) {
            Some(arch) => format!("{arch}/generic"),
            None => {
                eprintln!(
                    "warning: Redfish system '{id}' ({hostname}) does not report an \
                     architecture MAAS knows (in Processors or ProcessorSummary.Model); \
                     assuming amd64/generic"
                );
                "amd64/generic".to_owned()
            }
        };
        let mut parameters = Map::new();
        parameters.insert("power_address".into(), json!(self.settings.power_address));
        parameters.insert("power_user".into(), json!(self.settings.power_user));
        parameters.insert(
            "power_pass".into(),
            json!(self.settings.power_pass.expose()),
        );
        parameters.insert("node_id".into(), json!(id));
        if self.settings.power_verify_ssl.is_yes() {
            parameters.insert("power_verify_ssl".into(), json!("y"));
        }
        Ok(ProbedSystem::new(
            hostname, mac, arch, "redfish", parameters,
        ))
    }

    /// The MAC of the first EthernetInterface that has one, lower case.
    fn first_mac(&self, ctx: &Context, system: &Value) -> Option<String> {
        let link = link(system, "EthernetInterfaces")?;
        self.optional(self.collection(ctx, link))?
            .iter()
            .filter_map(|member| self.optional(self.get(ctx, member)))
            .find_map(|nic| {
                ["MACAddress", "PermanentMACAddress"]
                    .iter()
                    .filter_map(|key| nic.json.get(*key).and_then(Value::as_str))
                    .find(|mac| !mac.is_empty())
                    .map(str::to_lowercase)
            })
    }

    /// The architecture in MAAS's form (without `/generic`): from the first CPU of
    /// `Processors`, else from `ProcessorSummary.Model`.
    fn arch(&self, ctx: &Context, system: &Value) -> Option<&'static str> {
        let from_processors = link(system, "Processors")
            .and_then(|link| self.optional(self.collection(ctx, link)))
            .and_then(|processors| {
                processors
                    .iter()
                    .filter_map(|member| self.optional(self.get(ctx, member)))
                    .filter(|cpu| {
                        cpu.json
                            .get("ProcessorType")
                            .and_then(Value::as_str)
                            .is_none_or(|kind| kind == "CPU")
                    })
                    .find_map(|cpu| processor_arch(&cpu.json))
            });
        from_processors.or_else(|| {
            system
                .pointer("/ProcessorSummary/Model")
                .and_then(Value::as_str)
                .and_then(model_arch)
        })
    }

    /// A sub-resource (NICs, processors) the BMC fails to serve is left out, with a
    /// warning: the system itself answered, so the probe goes on.
    fn optional<T>(&self, result: Result<T>) -> Option<T> {
        result
            .map_err(|error| eprintln!("warning: {}", error.message()))
            .ok()
    }

    /// The members of a collection, following `Members@odata.nextLink`.
    fn collection(&self, ctx: &Context, path: &str) -> Result<Vec<String>> {
        let mut all = Vec::new();
        let mut seen = HashSet::new();
        let mut next = Some(path.to_owned());
        while let Some(page) = next.take() {
            if !seen.insert(page.clone()) {
                break;
            }
            let reply = self.get(ctx, &page)?;
            all.extend(members(&reply.json));
            next = reply
                .json
                .get("Members@odata.nextLink")
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        Ok(all)
    }

    fn get(&self, ctx: &Context, path: &str) -> Result<Reply> {
        self.send(ctx, self.bmc.get(path))
    }

    /// Sends `request` (a 404 tried again with a trailing slash, as MAAS) and reads the
    /// answer's JSON and ETag, the body's `@odata.etag` first.
    fn send(&self, ctx: &Context, request: http::Request) -> Result<Reply> {
        let response = request.retry_with_trailing_slash().send(ctx)?;
        let header = response.header("etag").map(str::to_owned);
        let json: Value = response.json()?;
        let etag = json
            .get("@odata.etag")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or(header);
        Ok(Reply { json, etag })
    }
}

/// The `@odata.id` of each member of a collection.
fn members(collection: &Value) -> Vec<String> {
    collection
        .get("Members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|member| member.get("@odata.id").and_then(Value::as_str))
        .map(str::to_owned)
        .collect()
}

/// The `@odata.id` of a link property (`"EthernetInterfaces": {"@odata.id": ...}`).
fn link<'a>(resource: &'a Value, name: &str) -> Option<&'a str> {
    resource.get(name)?.get("@odata.id")?.as_str()
}

/// The last path segment, trailing slashes removed (MAAS's `basename(rstrip("/"))`).
fn basename(path: &str) -> &str {
    let path = path.trim_end_matches('/');
    path.rsplit('/').next().unwrap_or(path)
}

/// MAAS's architecture for a Redfish Processor: `InstructionSet` first, then
/// `ProcessorArchitecture`.
fn processor_arch(processor: &Value) -> Option<&'static str> {
    let field = |key: &str| processor.get(key).and_then(Value::as_str);
    let from_instruction_set = field("InstructionSet").and_then(|set| match set {
        "x86-64" => Some("amd64"),
        "x86" => Some("i386"),
        "ARM-A64" => Some("arm64"),
        "ARM-A32" => Some("armhf"),
        "PowerISA" => Some("ppc64el"),
        "RV64" => Some("riscv64"),
        "MIPS64" => Some("mips64el"),
        "MIPS32" => Some("mips"),
        _ => None,
    });
    from_instruction_set.or_else(|| {
        field("ProcessorArchitecture").and_then(|arch| match arch {
            // Redfish says only "x86"; servers that report it are 64-bit.
            "x86" => Some("amd64"),
            "ARM" => Some("arm64"),
            "Power" => Some("ppc64el"),
            "RISC-V" => Some("riscv64"),
            "MIPS" => Some("mips64el"),
            _ => None,
        })
    })
}

/// MAAS's architecture guessed from a processor model name (`ProcessorSummary.Model`).
fn model_arch(model: &str) -> Option<&'static str> {
    let model = model.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|word| model.contains(word));
    if has(&["xeon", "epyc", "opteron", "intel", "amd"]) {
        Some("amd64")
    } else if has(&[
        "ampere", "altra", "neoverse", "cortex", "thunderx", "graviton", "kunpeng", "grace",
        "aarch64", "arm",
    ]) {
        Some("arm64")
    } else if has(&["power"]) {
        Some("ppc64el")
    } else if has(&["risc-v", "riscv"]) {
        Some("riscv64")
    } else {
        None
    }
}
