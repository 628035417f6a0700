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
//!   certificates (the file named by `SSL_CERT_FILE`, else the distribution's bundle,
//!   e.g. `/etc/ssl/certs/ca-certificates.crt`).
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
//! - Each request has a 10 s connect timeout and a 30 s overall timeout.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use maaspd::serde_json::{self, Map, Value, json};
use maaspd::types::{HttpAddress, YesNo};
use maaspd::{Error, ErrorContext, PowerState, ProbedSystem, Result, Secret};
use ureq::http::{Request, Response};
use ureq::tls::{PemItem, RootCerts, TlsConfig, TlsProvider};

/// Redfish BMC settings.
///
/// The settings of MAAS's `redfish` power driver, plus `power_verify_ssl`.
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

/// How many redirects one request follows, as MAAS.
const MAX_REDIRECTS: u32 = 5;
/// How long a reset may take to show in `PowerState`: MAAS's 1+2+2+4+6+8+12 s.
const TRANSITION_TIMEOUT: Duration = Duration::from_secs(35);
/// How long a transitional `PowerState` (Reset, Unknown, none) is asked again.
const TRANSITIONAL_TIMEOUT: Duration = Duration::from_secs(10);
/// The pause between two state queries.
const POLL_INTERVAL: Duration = Duration::from_secs(1);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const SYSTEMS: &str = "redfish/v1/Systems";

struct Redfish {
    settings: Settings,
    /// `scheme://host[:port][/prefix]`, no trailing slash.
    base: String,
    /// The host part of `base`: redirects elsewhere are not followed.
    host: String,
    /// `Basic <base64(user:pass)>`: holds the password, never printed.
    authorization: String,
    agent: ureq::Agent,
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

/// The process's HTTP agents, by BMC and verification setting.
#[derive(Default)]
struct Agents(maaspd::state::Keyed<ureq::Agent>);

/// An agent as MAAS's HTTP client behaves, verifying certificates or not.
fn agent(verify: YesNo) -> Result<ureq::Agent> {
    let tls = TlsConfig::builder().provider(TlsProvider::Rustls);
    let tls = match verify {
        YesNo::No => tls.disable_verification(true),
        YesNo::Yes => tls.root_certs(system_roots()?),
    };
    Ok(ureq::Agent::config_builder()
        .tls_config(tls.build())
        .http_status_as_error(false)
        .max_redirects(0)
        // MAAS's HTTP client does not use the environment's proxy settings.
        .proxy(None)
        .user_agent("MAAS")
        .accept("application/json")
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_global(Some(REQUEST_TIMEOUT))
        .build()
        .new_agent())
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
        let (base, host) = base_url(&settings.power_address)?;
        // One agent per BMC and verification setting for the process: in `serve`, every
        // request to that BMC reuses its connections and TLS sessions.
        let key = format!("{base} {:?}", settings.power_verify_ssl);
        let verify = settings.power_verify_ssl;
        let agent = maaspd::state::shared::<Agents>()
            .0
            .get_or_try_insert_with(&key, || agent(verify))?;
        let credentials = format!("{}:{}", settings.power_user, settings.power_pass.expose());
        Ok(Redfish {
            authorization: format!("Basic {}", base64(credentials.as_bytes())),
            settings,
            base,
            host,
            agent,
        })
    }

    fn power_on(&self) -> Result<()> {
        let id = self.node_id()?;
        if self.query(&id)? == PowerState::On {
            self.reset(&id, "ForceOff")?;
            self.wait_for(&id, PowerState::Off)?;
        }
        self.set_pxe_boot(&id)?;
        self.reset(&id, "On")?;
        self.wait_for(&id, PowerState::On)
    }

    fn power_off(&self) -> Result<()> {
        let id = self.node_id()?;
        if self.query(&id)? != PowerState::Off {
            self.reset(&id, "ForceOff")?;
            self.wait_for(&id, PowerState::Off)?;
        }
        self.set_pxe_boot(&id)
    }

    fn power_query(&self) -> Result<PowerState> {
        let id = self.node_id()?;
        self.query(&id)
    }

    /// The PXE boot override, then `GracefulRestart`, not waited for (as MAAS).
    fn power_reset(&self) -> Result<()> {
        let id = self.node_id()?;
        self.set_pxe_boot(&id)?;
        self.reset(&id, "GracefulRestart")
    }

    /// Every system behind the BMC, with the parameters that drive it.
    fn probe(&self) -> Result<Vec<ProbedSystem>> {
        self.collection(SYSTEMS)?
            .iter()
            .map(|member| self.probe_system(member))
            .collect()
    }
}

impl Redfish {
    /// `node_id`, or the basename of the first system the BMC lists (as MAAS).
    fn node_id(&self) -> Result<String> {
        if !self.settings.node_id.is_empty() {
            return Ok(self.settings.node_id.clone());
        }
        let systems = self.get(SYSTEMS)?;
        let first = members(&systems.json).into_iter().next().ok_or_else(|| {
            Error::action(format!(
                "node_id is empty and the BMC at {} lists no system under /{SYSTEMS}",
                self.base
            ))
        })?;
        Ok(basename(&first).to_owned())
    }

    fn system_path(id: &str) -> String {
        format!("{SYSTEMS}/{}", percent_encode(id))
    }

    /// The state, asking again while it is transitional, for up to 10 s.
    fn query(&self, id: &str) -> Result<PowerState> {
        let deadline = Instant::now() + TRANSITIONAL_TIMEOUT;
        loop {
            match self.observe(id)? {
                Observed::Known(state) => return Ok(state),
                Observed::Transitional(_) if Instant::now() >= deadline => {
                    return Ok(PowerState::Unknown);
                }
                Observed::Transitional(_) => std::thread::sleep(POLL_INTERVAL),
            }
        }
    }

    fn observe(&self, id: &str) -> Result<Observed> {
        let system = self.get(&Self::system_path(id))?;
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
    fn wait_for(&self, id: &str, desired: PowerState) -> Result<()> {
        let deadline = Instant::now() + TRANSITION_TIMEOUT;
        loop {
            let current = match self.observe(id)? {
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
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    fn reset(&self, id: &str, reset_type: &str) -> Result<()> {
        let path = format!("{}/Actions/ComputerSystem.Reset", Self::system_path(id));
        self.request("POST", &path, Some(&json!({"ResetType": reset_type})), None)
            .map(drop)
    }

    /// A one-time PXE boot override, where and how MAAS sets it.
    fn set_pxe_boot(&self, id: &str) -> Result<()> {
        let system_path = Self::system_path(id);
        let system = self.get(&system_path)?;
        let settings_object = system
            .json
            .pointer("/@Redfish.Settings/SettingsObject/@odata.id")
            .and_then(Value::as_str)
            .filter(|path| !path.is_empty());
        let (target, etag) = match settings_object {
            Some(path) => (path.to_owned(), self.get(path)?.etag),
            None => (system_path, system.etag),
        };
        let boot = json!({"Boot": {
            "BootSourceOverrideEnabled": "Once",
            "BootSourceOverrideTarget": "Pxe",
        }});
        self.request("PATCH", &target, Some(&boot), etag.as_deref())
            .map(drop)
    }

    fn probe_system(&self, member: &str) -> Result<ProbedSystem> {
        let id = basename(member).to_owned();
        let system = self.get(member)?.json;
        let hostname = ["HostName", "Name", "Id"]
            .iter()
            .find_map(|key| {
                let name = system.get(*key).and_then(Value::as_str)?;
                (!name.is_empty()).then_some(name)
            })
            .unwrap_or(&id)
            .to_owned();
        let mac = self.first_mac(&system).unwrap_or_else(|| {
            eprintln!(
                "warning: Redfish system '{id}' ({hostname}) shows no EthernetInterface with a \
                 MAC address; MAAS needs one to enlist it"
            );
            String::new()
        });
        let arch = match self.arch(&system) {
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
        Ok(ProbedSystem {
            hostname,
            mac,
            arch,
            driver_name: "redfish".into(),
            driver_parameters: parameters,
        })
    }

    /// The MAC of the first EthernetInterface that has one, lower case.
    fn first_mac(&self, system: &Value) -> Option<String> {
        let link = link(system, "EthernetInterfaces")?;
        self.optional(self.collection(link))?
            .iter()
            .filter_map(|member| self.optional(self.get(member)))
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
    fn arch(&self, system: &Value) -> Option<&'static str> {
        let from_processors = link(system, "Processors")
            .and_then(|link| self.optional(self.collection(link)))
            .and_then(|processors| {
                processors
                    .iter()
                    .filter_map(|member| self.optional(self.get(member)))
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
    fn collection(&self, path: &str) -> Result<Vec<String>> {
        let mut all = Vec::new();
        let mut seen = HashSet::new();
        let mut next = Some(path.to_owned());
        while let Some(page) = next.take() {
            if !seen.insert(page.clone()) {
                break;
            }
            let reply = self.get(&page)?;
            all.extend(members(&reply.json));
            next = reply
                .json
                .get("Members@odata.nextLink")
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        Ok(all)
    }

    fn get(&self, path: &str) -> Result<Reply> {
        self.request("GET", path, None, None)
    }

    /// One Redfish request, as MAAS sends it: redirects followed by hand, a 404 tried
    /// again with a trailing slash, the status mapped to MAAS's errors.
    fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> Result<Reply> {
        let shown = format!("{method} {}", self.url(path));
        let mut url = self.url(path);
        let mut method = method;
        let mut body = body;
        let mut redirects = 0;
        let mut slash_added = false;
        loop {
            let mut response = self.send(method, &url, body, if_match, &shown)?;
            let status = response.status().as_u16();
            match status {
                301 | 302 | 303 | 307 | 308 => {
                    let location = response
                        .headers()
                        .get("location")
                        .and_then(|value| value.to_str().ok())
                        .ok_or_else(|| {
                            Error::action(format!(
                                "Redfish request {shown} was redirected ({status}) without a \
                                 Location"
                            ))
                        })?;
                    if redirects == MAX_REDIRECTS {
                        return Err(Error::action(format!(
                            "Redfish request {shown} exceeded {MAX_REDIRECTS} redirects"
                        )));
                    }
                    redirects += 1;
                    url = self.follow(&url, location, &shown)?;
                    if status == 303 {
                        method = "GET";
                        body = None;
                    }
                }
                404 if !slash_added && !url.ends_with('/') => {
                    // Some BMCs want a trailing slash (MAAS tries again with one).
                    url.push('/');
                    slash_added = true;
                }
                401 | 403 => {
                    let detail = self.bmc_message(&mut response);
                    return Err(Error::auth(format!(
                        "Redfish request {shown} failed with response status code: \
                         {status}{detail}; check power_user and power_pass"
                    )));
                }
                300.. => {
                    let detail = self.bmc_message(&mut response);
                    return Err(Error::action(format!(
                        "Redfish request {shown} failed with response status code: \
                         {status}{detail}"
                    )));
                }
                _ => return self.reply(response, &shown),
            }
        }
    }

    fn send(
        &self,
        method: &str,
        url: &str,
        body: Option<&Value>,
        if_match: Option<&str>,
        shown: &str,
    ) -> Result<Response<ureq::Body>> {
        let mut builder = Request::builder()
            .method(method)
            .uri(url)
            .header("Authorization", &self.authorization)
            .header("Content-Type", "application/json");
        if let Some(tag) = if_match {
            builder = builder.header("If-Match", tag);
        }
        let built = match body {
            Some(body) => builder
                .body(serde_json::to_vec(body).expect("JSON values serialise"))
                .map(|request| self.agent.run(request)),
            None => builder.body(()).map(|request| self.agent.run(request)),
        };
        let result = built.map_err(|_| {
            // Never show the error itself: it could quote a header.
            Error::settings(format!(
                "cannot build the Redfish request {shown}: check power_address and node_id"
            ))
        })?;
        result.map_err(|error| self.transport_error(error, shown))
    }

    fn reply(&self, mut response: Response<ureq::Body>, shown: &str) -> Result<Reply> {
        let etag = response
            .headers()
            .get("etag")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let bytes = response
            .body_mut()
            .read_to_vec()
            .map_err(|error| self.transport_error(error, shown))?;
        let json = if bytes.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|error| {
                Error::action(format!(
                    "Redfish request {shown} failed from a JSON parse error: {error}"
                ))
            })?
        };
        let etag = json
            .get("@odata.etag")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or(etag);
        Ok(Reply { json, etag })
    }

    /// `: <message>` from a Redfish error body, or nothing; never the password.
    fn bmc_message(&self, response: &mut Response<ureq::Body>) -> String {
        let Ok(body) = response.body_mut().read_to_vec() else {
            return String::new();
        };
        let Ok(json) = serde_json::from_slice::<Value>(&body) else {
            return String::new();
        };
        let mut messages: Vec<&str> = Vec::new();
        if let Some(message) = json.pointer("/error/message").and_then(Value::as_str) {
            messages.push(message);
        }
        if let Some(infos) = json
            .pointer("/error/@Message.ExtendedInfo")
            .and_then(Value::as_array)
        {
            messages.extend(
                infos
                    .iter()
                    .filter_map(|info| info.get("Message").and_then(Value::as_str)),
            );
        }
        messages.dedup();
        if messages.is_empty() {
            return String::new();
        }
        let mut text = format!(" ({})", messages.join("; "));
        let password = self.settings.power_pass.expose();
        if !password.is_empty() {
            text = text.replace(password, "[redacted]");
        }
        text
    }

    fn transport_error(&self, error: ureq::Error, shown: &str) -> Error {
        // rustls' errors come bare, or inside the io::Error of the handshake.
        let certificate = match &error {
            ureq::Error::Rustls(rustls::Error::InvalidCertificate(problem)) => Some(problem),
            ureq::Error::Io(io) => match io.get_ref().and_then(|e| e.downcast_ref()) {
                Some(rustls::Error::InvalidCertificate(problem)) => Some(problem),
                _ => None,
            },
            _ => None,
        };
        if let Some(problem) = certificate {
            return Error::conn(format!(
                "Redfish request {shown}: the BMC's TLS certificate was refused \
                 ({problem:?}); power_verify_ssl is y, so the certificate must be valid \
                 for the host and signed by a system CA (SSL_CERT_FILE). Add its CA, or \
                 set power_verify_ssl to n (MAAS's behaviour)"
            ));
        }
        match error {
            ureq::Error::Timeout(what) => Error::conn(format!(
                "Redfish request {shown}: the BMC did not answer in time ({what})"
            )),
            ureq::Error::HostNotFound => Error::conn(format!(
                "Redfish request {shown}: host {} not found",
                self.host
            )),
            ureq::Error::Io(io) => Error::conn(format!(
                "Redfish request {shown}: cannot reach the BMC: {io}"
            )),
            other => Error::conn(format!(
                "Redfish request {shown}: cannot talk to the BMC: {other}"
            )),
        }
    }

    /// `<base>/<path>`, as MAAS joins them; a full URL is kept.
    fn url(&self, path: &str) -> String {
        if has_http_scheme(path) {
            return path.to_owned();
        }
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }

    /// Where a redirect goes, if it stays on the BMC's host.
    fn follow(&self, from: &str, location: &str, shown: &str) -> Result<String> {
        let to = if has_http_scheme(location) {
            location.to_owned()
        } else {
            let origin_end = from
                .find("://")
                .and_then(|start| from[start + 3..].find('/').map(|end| start + 3 + end))
                .unwrap_or(from.len());
            if location.starts_with('/') {
                format!("{}{location}", &from[..origin_end])
            } else {
                let directory = from.rfind('/').filter(|&slash| slash >= origin_end);
                match directory {
                    Some(slash) => format!("{}{location}", &from[..=slash]),
                    None => format!("{}/{location}", &from[..origin_end]),
                }
            }
        };
        let host = host_of(&to);
        if host.eq_ignore_ascii_case(&self.host) {
            Ok(to)
        } else {
            Err(Error::action(format!(
                "Redfish request {shown} was redirected to another host ({host}); not \
                 followed, so the credentials stay with the BMC"
            )))
        }
    }
}

/// `power_address` as a base URL (no trailing slash), and its host.
fn base_url(address: &str) -> Result<(String, String)> {
    let address: HttpAddress = address
        .parse()
        .or_settings("driverParameters.power_address")?;
    Ok((address.base().to_owned(), address.host().to_owned()))
}

fn has_http_scheme(text: &str) -> bool {
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// The host of an `http(s)://` URL, without port or brackets.
fn host_of(url: &str) -> String {
    let rest = url.find("://").map_or(url, |start| &url[start + 3..]);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or("");
    if let Some(bracketed) = authority.strip_prefix('[') {
        return bracketed.split(']').next().unwrap_or("").to_owned();
    }
    authority.split(':').next().unwrap_or("").to_owned()
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

/// The system CA certificates: `SSL_CERT_FILE`, else the first bundle found, else the
/// Mozilla roots built into the driver.
fn system_roots() -> Result<RootCerts> {
    const BUNDLES: [&str; 5] = [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
        "/etc/ssl/ca-bundle.pem",
        "/etc/ssl/cert.pem",
    ];
    let (path, pem) = match std::env::var_os("SSL_CERT_FILE") {
        Some(path) => {
            let pem = std::fs::read(&path).map_err(|error| {
                Error::settings(format!(
                    "power_verify_ssl is y but SSL_CERT_FILE={} cannot be read: {error}",
                    path.to_string_lossy()
                ))
            })?;
            (path.to_string_lossy().into_owned(), pem)
        }
        None => match BUNDLES
            .iter()
            .find_map(|path| Some((path.to_string(), std::fs::read(path).ok()?)))
        {
            Some(found) => found,
            None => return Ok(RootCerts::WebPki),
        },
    };
    let certificates: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(certificate)) => Some(certificate),
            _ => None,
        })
        .collect();
    if certificates.is_empty() {
        return Err(Error::settings(format!(
            "power_verify_ssl is y but {path} holds no PEM certificate"
        )));
    }
    Ok(RootCerts::new_with_certs(&certificates))
}

/// A node Id as one path segment.
fn percent_encode(segment: &str) -> String {
    let mut encoded = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:@!$&'()*+,;=".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Standard base64 with padding, for the Basic `Authorization` header.
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let bytes = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let triple = u32::from_be_bytes([0, bytes[0], bytes[1], bytes[2]]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ALPHABET[(triple >> shift & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
