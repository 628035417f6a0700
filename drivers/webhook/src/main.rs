//! MAAS's webhook power driver (canonical/maas
//! `src/provisioningserver/drivers/power/webhook.py`), written with maaspd: power on and
//! off are a `POST` to their URI, the query is a `GET` whose body is matched against two
//! regular expressions.
//!
//! ```text
//! cargo run -p maaspd-webhook -- schema
//! echo '{"driverParameters": {"power_on_uri": "http://10.0.0.5/on",
//!   "power_off_uri": "http://10.0.0.5/off", "power_query_uri": "http://10.0.0.5/status"}}' \
//!   | cargo run -p maaspd-webhook -- power_query
//! ```
//!
//! As MAAS does: no request body (`Content-Length: 0` on a POST, as Twisted frames it)
//! and no `Content-Type`; `User-Agent: MAAS ...`, `Accept: application/json` and
//! `System_Id: <system_id>` (MAAS adds `system_id` to every driver's parameters; the
//! service tells machines apart by it); `Authorization: Bearer <power_token>` when a token
//! is set, else HTTP basic auth when both `power_user` and `power_pass` are set;
//! certificates are checked only with `power_verify_ssl: "y"`, against the system CA
//! certificates (`SSL_CERT_FILE`, or the distribution's bundle); no proxy; a 404 on a URI
//! whose path has no trailing slash is tried once more with one; a status of 400 or more
//! fails; an empty regex is not used. A `GET` follows redirects (the credentials only to
//! the same host); a `POST` does not (Twisted's `RedirectAgent`, which MAAS uses, refuses
//! to).
//!
//! Where this driver differs: 401 and 403 are an `authError` (MAAS reports every status
//! as a PowerActionError); a bad URI or regular expression is a `settingsError` before
//! anything is sent; the regexes are Rust's (no look-around or backreferences: such a
//! pattern is a `settingsError` naming the setting); after a 404 the retry's answer counts
//! (MAAS sends the retry but reads the first answer); a 303 after a POST is an
//! `actionError` (Twisted follows it with a GET); every request has a deadline.

use std::fmt;
use std::time::Duration;

use maaspd::types::YesNo;
use maaspd::{Error, PowerState, Result, Secret};
use regex::bytes::Regex;
use ureq::config::RedirectAuthHeaders;
use ureq::http::{HeaderValue, Method, StatusCode, Uri};
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

/// Sent as MAAS sends `MAAS <version>`: services may look for the `MAAS` prefix.
const USER_AGENT: &str = concat!("MAAS (maaspd webhook ", env!("CARGO_PKG_VERSION"), ")");
/// Connecting (name resolution, TCP, TLS) must end within this.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A whole request, redirects and the body included, must end within this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Twisted's `RedirectAgent` default.
const MAX_REDIRECTS: u32 = 20;
/// The most of a query's answer that is read and matched.
const MAX_BODY: u64 = 1024 * 1024;
/// Where distributions keep the system CA bundle, after `SSL_CERT_FILE` (as OpenSSL,
/// which MAAS's Python uses, reads it).
const CA_BUNDLES: [&str; 4] = [
    "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu
    "/etc/pki/tls/certs/ca-bundle.crt",   // Fedora, RHEL
    "/etc/ssl/ca-bundle.pem",             // openSUSE
    "/etc/ssl/cert.pem",                  // Alpine, macOS
];

fn default_on_regex() -> String {
    r"status.*\:.*running".into()
}

fn default_off_regex() -> String {
    r"status.*\:.*stopped".into()
}

/// Webhook
///
/// Settings of MAAS's webhook power driver: a URI for each action, how to read the
/// query's answer, and the credentials to send.
#[maaspd::parameters]
struct WebhookSettings {
    /// URI to power on the node
    ///
    /// Receives a POST without a body. Any status below 400 is success.
    power_on_uri: String,

    /// URI to power off the node
    ///
    /// Receives a POST without a body. Any status below 400 is success.
    power_off_uri: String,

    /// URI to query the nodes power status
    ///
    /// Receives a GET; its answer is matched against the two regular expressions.
    power_query_uri: String,

    /// Regex to confirm the node is on
    ///
    /// Searched for anywhere in the answer of the power query URI; a match means on.
    #[serde(default = "default_on_regex")]
    #[maaspd(required)]
    power_on_regex: String,

    /// Regex to confirm the node is off
    ///
    /// Searched for when the first did not match; a match means off, no match unknown.
    #[serde(default = "default_off_regex")]
    #[maaspd(required)]
    power_off_regex: String,

    /// Power user
    ///
    /// With the power password, sent as HTTP basic auth when no token is set.
    #[serde(default)]
    power_user: String,

    /// Power password
    ///
    /// With the power user, sent as HTTP basic auth when no token is set.
    #[serde(default)]
    power_pass: Secret,

    /// Power token, will be used in place of power_user and power_pass
    ///
    /// Sent as `Authorization: Bearer <token>`.
    #[serde(default)]
    power_token: Secret,

    /// Verify SSL connections with system CA certificates
    ///
    /// With "y", an https URI must present a certificate that the system CA certificates
    /// vouch for, for the URI's host.
    #[serde(default)]
    #[maaspd(required)]
    power_verify_ssl: YesNo,

    /// The machine's MAAS id, which MAAS adds to every driver's parameters; sent as the
    /// `System_Id` header. Not a setting an operator fills in, so not in the schema.
    #[serde(default)]
    #[schemars(skip)]
    system_id: Option<String>,
}

/// The process's HTTP agents, by verification setting.
#[derive(Default)]
struct Agents(maaspd::state::Keyed<ureq::Agent>);

/// An agent as MAAS's Twisted client behaves, verifying certificates or not.
fn agent(verify: YesNo) -> Result<ureq::Agent> {
    let tls = match verify {
        YesNo::Yes => TlsConfig::builder().root_certs(system_roots()?).build(),
        YesNo::No => TlsConfig::builder().disable_verification(true).build(),
    };
    Ok(ureq::Agent::config_builder()
        // Statuses are judged here, and MAAS's Twisted client ignores proxy variables.
        .http_status_as_error(false)
        .proxy(None)
        .user_agent(USER_AGENT)
        .accept("application/json")
        // MAAS sends no Accept-Encoding: the answer comes as the service sends it plain.
        .accept_encoding("")
        .max_redirects(MAX_REDIRECTS)
        .redirect_auth_headers(RedirectAuthHeaders::SameHost)
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_global(Some(REQUEST_TIMEOUT))
        .tls_config(tls)
        .build()
        .into())
}

/// One of the three URIs, and the setting it came from.
struct Target {
    setting: &'static str,
    uri: Uri,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", Shown(&self.uri), self.setting)
    }
}

/// A URI without its user information and query, which may hold credentials.
struct Shown<'a>(&'a Uri);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(scheme) = self.0.scheme_str() {
            write!(f, "{scheme}://")?;
        }
        f.write_str(self.0.host().unwrap_or(""))?;
        if let Some(port) = self.0.port_u16() {
            write!(f, ":{port}")?;
        }
        f.write_str(self.0.path())
    }
}

impl Target {
    fn parse(setting: &'static str, value: &str) -> Result<Target> {
        let invalid = |why: String| {
            Error::settings(format!(
                "driverParameters.{setting}: not a valid http or https URI: {why}"
            ))
        };
        let uri: Uri = value.trim().parse().map_err(|e| invalid(format!("{e}")))?;
        match uri.scheme_str() {
            Some("http" | "https") => {}
            Some(other) => return Err(invalid(format!("the scheme is {other:?}"))),
            None => return Err(invalid("it has no scheme (http:// or https://)".into())),
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(invalid("it has no host".into()));
        }
        Ok(Target { setting, uri })
    }

    /// The same URI with `/` added to its path, unless the path already ends with one.
    fn with_trailing_slash(&self) -> Option<Uri> {
        let path = self.uri.path();
        if path.ends_with('/') {
            return None;
        }
        let mut parts = self.uri.clone().into_parts();
        let path_and_query = match self.uri.query() {
            Some(query) => format!("{path}/?{query}"),
            None => format!("{path}/"),
        };
        parts.path_and_query = Some(path_and_query.parse().ok()?);
        Uri::from_parts(parts).ok()
    }
}

/// The `Authorization` header, and how it was made (for messages).
enum Credentials {
    Token(HeaderValue),
    Basic(HeaderValue),
    None,
}

impl Credentials {
    fn from_settings(settings: &WebhookSettings) -> Result<Credentials> {
        let sensitive = |value: String, setting: &str| {
            let mut value = HeaderValue::try_from(value).map_err(|_| {
                Error::settings(format!(
                    "driverParameters.{setting}: contains characters an HTTP header cannot carry"
                ))
            })?;
            value.set_sensitive(true);
            Ok::<_, Error>(value)
        };
        if !settings.power_token.is_empty() {
            let value = format!("Bearer {}", settings.power_token.expose());
            return Ok(Credentials::Token(sensitive(value, "power_token")?));
        }
        if !settings.power_user.is_empty() && !settings.power_pass.is_empty() {
            let pair = format!("{}:{}", settings.power_user, settings.power_pass.expose());
            let value = format!("Basic {}", base64(pair.as_bytes()));
            return Ok(Credentials::Basic(sensitive(value, "power_pass")?));
        }
        Ok(Credentials::None)
    }

    fn header(&self) -> Option<&HeaderValue> {
        match self {
            Credentials::Token(value) | Credentials::Basic(value) => Some(value),
            Credentials::None => None,
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            Credentials::Token(_) => "the bearer token of power_token",
            Credentials::Basic(_) => "basic auth with power_user and power_pass",
            Credentials::None => {
                "no credentials (neither power_token nor power_user and power_pass are set)"
            }
        }
    }
}

/// Standard base64 with padding (RFC 4648), for basic auth (RFC 7617).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A regex setting, compiled; an empty one is not used, as in MAAS.
fn compile(setting: &str, pattern: &str) -> Result<Option<Regex>> {
    if pattern.is_empty() {
        return Ok(None);
    }
    Regex::new(pattern).map(Some).map_err(|e| {
        Error::settings(format!(
            "driverParameters.{setting}: not a valid regular expression: {e}"
        ))
    })
}

/// The CA certificates `power_verify_ssl: "y"` trusts: `SSL_CERT_FILE`, else the first
/// system bundle found, else the Mozilla roots built into the driver.
fn system_roots() -> Result<RootCerts> {
    let (path, explicit) = match std::env::var_os("SSL_CERT_FILE") {
        Some(path) => (Some(std::path::PathBuf::from(path)), true),
        None => (
            CA_BUNDLES
                .iter()
                .map(std::path::PathBuf::from)
                .find(|path| path.is_file()),
            false,
        ),
    };
    let Some(path) = path else {
        return Ok(RootCerts::WebPki);
    };
    let unusable = |why: String| {
        let source = if explicit { "SSL_CERT_FILE " } else { "" };
        Error::settings(format!(
            "power_verify_ssl is \"y\" but the CA certificates in {source}{} are unusable: {why}",
            path.display()
        ))
    };
    let pem = std::fs::read(&path).map_err(|e| unusable(e.to_string()))?;
    let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(cert)) => Some(cert),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(unusable("no PEM certificate in it".into()));
    }
    Ok(RootCerts::new_with_certs(&certs))
}

struct Webhook {
    on: Target,
    off: Target,
    query: Target,
    on_regex: Option<Regex>,
    off_regex: Option<Regex>,
    credentials: Credentials,
    system_id: Option<HeaderValue>,
    verify: YesNo,
    agent: ureq::Agent,
}

// MAAS takes the BMC's address from the query URI, "the URL MAAS uses the most".
#[maaspd::power_driver(
    description = "Webhook",
    name = "webhook",
    ip_extractor(field_name = "power_query_uri", pattern = maaspd::ip_extractor::URL)
)]
impl Webhook {
    fn new(settings: WebhookSettings) -> Result<Self> {
        let on = Target::parse("power_on_uri", &settings.power_on_uri)?;
        let off = Target::parse("power_off_uri", &settings.power_off_uri)?;
        let query = Target::parse("power_query_uri", &settings.power_query_uri)?;
        let on_regex = compile("power_on_regex", &settings.power_on_regex)?;
        let off_regex = compile("power_off_regex", &settings.power_off_regex)?;
        let credentials = Credentials::from_settings(&settings)?;
        let system_id = match &settings.system_id {
            Some(id) => Some(HeaderValue::try_from(id.as_str()).map_err(|_| {
                Error::settings(
                    "driverParameters.system_id: contains characters an HTTP header cannot carry",
                )
            })?),
            None => None,
        };
        let verify = settings.power_verify_ssl;
        // One agent per verification setting for the process: in `serve`, requests to
        // the same webhook reuse its connections and TLS sessions.
        let agent = maaspd::state::shared::<Agents>()
            .0
            .get_or_try_insert_with(&format!("{verify:?}"), || agent(verify))?;
        Ok(Webhook {
            on,
            off,
            query,
            on_regex,
            off_regex,
            credentials,
            system_id,
            verify,
            agent,
        })
    }

    fn power_on(&self) -> Result<()> {
        self.request(Method::POST, &self.on).map(drop)
    }

    fn power_off(&self) -> Result<()> {
        self.request(Method::POST, &self.off).map(drop)
    }

    fn power_query(&self) -> Result<PowerState> {
        let mut response = self.request(Method::GET, &self.query)?;
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| self.failure(&Method::GET, &self.query, e, "reading the answer"))?;
        let matches = |regex: &Option<Regex>| regex.as_ref().is_some_and(|r| r.is_match(&body));
        if matches(&self.on_regex) {
            Ok(PowerState::On)
        } else if matches(&self.off_regex) {
            Ok(PowerState::Off)
        } else {
            eprintln!(
                "warning: GET {} answered, but neither power_on_regex nor power_off_regex \
                 matches its {} byte answer: the power state is unknown",
                self.query,
                body.len()
            );
            Ok(PowerState::Unknown)
        }
    }

    /// Sends `method` to `target`, once more with a trailing slash after a 404, and
    /// judges the status.
    fn request(&self, method: Method, target: &Target) -> Result<ureq::http::Response<ureq::Body>> {
        let mut response = self.send(&method, target, target.uri.clone())?;
        if response.status() == StatusCode::NOT_FOUND
            && let Some(uri) = target.with_trailing_slash()
        {
            response = self.send(&method, target, uri)?;
        }
        let status = response.status();
        let shown = match status.canonical_reason() {
            Some(reason) => format!("{} {reason}", status.as_u16()),
            None => status.as_u16().to_string(),
        };
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(Error::auth(format!(
                "{method} {target} refused the credentials: the webhook answered {shown} to {}",
                self.credentials.describe()
            )));
        }
        if status.is_client_error() || status.is_server_error() {
            return Err(Error::action(format!(
                "{method} {target} failed: the webhook answered {shown}"
            )));
        }
        if status.is_redirection() {
            // Only a POST gets here: redirects of a GET are followed.
            let location = response
                .headers()
                .get("location")
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.parse::<Uri>().ok())
                .map(|uri| format!(" to {}", Shown(&uri)))
                .unwrap_or_default();
            return Err(Error::action(format!(
                "{method} {target} was redirected{location} ({shown}); as MAAS, the driver does \
                 not repeat a POST elsewhere: set {} to the final URI",
                target.setting
            )));
        }
        Ok(response)
    }

    fn send(
        &self,
        method: &Method,
        target: &Target,
        uri: Uri,
    ) -> Result<ureq::http::Response<ureq::Body>> {
        let mut request = ureq::http::Request::builder()
            .method(method.clone())
            .uri(uri);
        if let Some(value) = self.credentials.header() {
            request = request.header("Authorization", value.clone());
        }
        if let Some(value) = &self.system_id {
            request = request.header("System_Id", value.clone());
        }
        let request = request.body(()).map_err(|e| {
            Error::settings(format!("{method} {target}: cannot build the request: {e}"))
        })?;
        let result = if *method == Method::POST {
            // As Twisted: `Content-Length: 0` for a POST without a body (ureq would
            // otherwise send an empty chunked body), and no redirects, which Twisted's
            // RedirectAgent refuses for a POST.
            let request = request.map(|()| &b""[..]);
            let request = self
                .agent
                .configure_request(request)
                .max_redirects(0)
                .build();
            self.agent.run(request)
        } else {
            self.agent.run(request)
        };
        result.map_err(|e| self.failure(method, target, e, "sending the request"))
    }

    /// Maps what ureq reports to MAAS's codes, without echoing anything sent.
    fn failure(&self, method: &Method, target: &Target, error: ureq::Error, doing: &str) -> Error {
        let place = format!("{method} {target}");
        match error {
            ureq::Error::Timeout(which) => Error::conn(format!(
                "{place}: no answer in time while {doing} ({which} timeout; at most {} s to \
                 connect, {} s in all)",
                CONNECT_TIMEOUT.as_secs(),
                REQUEST_TIMEOUT.as_secs()
            )),
            ureq::Error::HostNotFound => {
                Error::conn(format!("{place}: the host name does not resolve"))
            }
            ureq::Error::Io(io) => {
                if let Some(tls) = io.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
                    return self.tls_failure(&place, tls);
                }
                Error::conn(format!(
                    "{place}: cannot reach the webhook while {doing}: {io}"
                ))
            }
            ureq::Error::Rustls(tls) => self.tls_failure(&place, &tls),
            ureq::Error::ConnectionFailed | ureq::Error::Tls(_) => {
                Error::conn(format!("{place}: cannot reach the webhook: {error}"))
            }
            ureq::Error::TooManyRedirects => {
                Error::action(format!("{place}: more than {MAX_REDIRECTS} redirects"))
            }
            ureq::Error::BodyExceedsLimit(_) => Error::action(format!(
                "{place}: the answer is larger than {MAX_BODY} bytes"
            )),
            ureq::Error::Protocol(_) | ureq::Error::Decompress(..) => Error::action(format!(
                "{place}: the webhook's answer is not valid HTTP: {error}"
            )),
            other => Error::action(format!("{place}: failed while {doing}: {other}")),
        }
    }

    fn tls_failure(&self, place: &str, error: &rustls::Error) -> Error {
        let hint = match (error, self.verify) {
            (rustls::Error::InvalidCertificate(_), YesNo::Yes) => {
                " (power_verify_ssl is \"y\": the certificate must be issued by a CA the \
                 system trusts, for the URI's host; set power_verify_ssl to \"n\" to skip \
                 the check)"
            }
            _ => "",
        };
        Error::conn(format!("{place}: TLS failed: {error}{hint}"))
    }
}
