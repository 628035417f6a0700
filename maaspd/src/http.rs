//! A client for a BMC's HTTP API (Redfish, a webhook, Proxmox, ...), on ureq: every
//! request within the call's deadline, certificates checked against the system's CA
//! certificates when the operator asks, credentials that never reach a log or an error,
//! JSON in and out, redirects followed on the same host only, and one mapping of every
//! failure to MAAS's error codes:
//!
//! - the BMC unreachable, silent or speaking no HTTP, or TLS failing: `connError` naming
//!   the cause (MAAS retries it);
//! - 401 and 403: `authError`, saying which credentials were refused;
//! - any other status from 300 up: `actionError` with a short excerpt of the answer, its
//!   messages picked out when it is JSON, with the credentials struck out.
//!
//! A [`Client`] is cheap to build on every call: its connection pool (connections and
//! TLS sessions) is kept per process in [`state`](crate::state), so that in `serve`
//! every request to a BMC reuses what the last one opened.
//!
//! Requests block: call them from a blocking action (`fn`, not `async fn`), which
//! `serve` runs on a worker of its own.
//!
//! ```no_run
//! use maaspd::http::{Auth, Client};
//! use maaspd::{Action, Context, Secret};
//! use maaspd::serde_json::{Value, json};
//!
//! # fn main() -> maaspd::Result<()> {
//! let ctx = Context::new(Action::PowerQuery);
//! let bmc = Client::builder()
//!     .base_url("https://10.0.0.5")
//!     .verify_certificates(false, "power_verify_ssl")
//!     .auth(Auth::basic("admin", &Secret::new("pw")), "power_user and power_pass")
//!     .build()?;
//! let system: Value = bmc.get("redfish/v1/Systems/1").send(&ctx)?.json()?;
//! bmc.post("redfish/v1/Systems/1/Actions/ComputerSystem.Reset")
//!     .json(&json!({"ResetType": "On"}))
//!     .send(&ctx)?;
//! # let _ = system;
//! # Ok(())
//! # }
//! ```

mod auth;
mod client_cert;
mod failure;
mod location;
mod request;
mod response;
mod roots;

use std::sync::Arc;
use std::time::Duration;

use ureq::http::{HeaderName, HeaderValue, Uri};

pub use auth::Auth;
pub use request::Request;
pub use response::Response;
/// The HTTP methods, for [`Client::request`].
pub use ureq::http::Method;

use crate::{Error, Result, Secret};

/// A BMC's HTTP API, as one driver call sees it: where it is, how to check its
/// certificate, what to send with every request. Build one per call with
/// [`Client::builder`]; the connections behind it are the process's.
#[derive(Clone)]
///
/// ```
/// use maaspd::http::Client;
///
/// let bmc = Client::builder().base_url("https://10.0.0.5").build()?;
/// assert_eq!(bmc.url("redfish/v1"), "https://10.0.0.5/redfish/v1");
/// # Ok::<(), maaspd::Error>(())
/// ```
pub struct Client {
    agent: ureq::Agent,
    config: Arc<Config>,
}

/// What every request of a client shares.
struct Config {
    base_url: Option<String>,
    peer: String,
    auth: Auth,
    auth_settings: String,
    verify: Option<&'static str>,
    headers: Vec<(HeaderName, HeaderValue)>,
    max_redirects: u32,
    redirect_to_other_hosts: bool,
    timeout: Duration,
    body_limit: u64,
}

/// How a [`Client`] is made: see [`Client::builder`].
///
/// ```
/// use std::time::Duration;
/// use maaspd::http::Client;
///
/// let client = Client::builder()
///     .peer("the webhook")
///     .timeout(Duration::from_secs(10))
///     .build()?;
/// # let _ = client;
/// # Ok::<(), maaspd::Error>(())
/// ```
pub struct ClientBuilder {
    config: Config,
    verify: bool,
    user_agent: String,
    connect_timeout: Duration,
    identity: Option<client_cert::Identity>,
    invalid: Option<Error>,
}

/// The process's HTTP agents (connection pools), one per way of making connections.
#[derive(Default)]
struct Agents(crate::state::Keyed<ureq::Agent>);

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Neither URLs nor headers, which may hold credentials.
        f.debug_struct("Client")
            .field("peer", &self.config.peer)
            .field("auth", &self.config.auth.describe())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with MAAS's defaults: certificates not checked (MAAS's default for every
    /// driver with a `power_verify_ssl` setting), `User-Agent: MAAS`,
    /// `Accept: application/json`, no proxy, 10 s to connect and 30 s per request at
    /// most (the call's deadline first), 5 redirects on the same host, answers of up to
    /// 1 MiB.
    ///
    /// ```
    /// use maaspd::http::Client;
    ///
    /// let client = Client::builder().base_url("http://10.0.0.5:8006/api2/json").build()?;
    /// assert_eq!(client.url("nodes"), "http://10.0.0.5:8006/api2/json/nodes");
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder {
            config: Config {
                base_url: None,
                peer: "the BMC".to_owned(),
                auth: Auth::None,
                auth_settings: String::new(),
                verify: None,
                headers: Vec::new(),
                max_redirects: 5,
                redirect_to_other_hosts: false,
                timeout: Duration::from_secs(30),
                body_limit: 1024 * 1024,
            },
            verify: false,
            user_agent: "MAAS".to_owned(),
            connect_timeout: Duration::from_secs(10),
            identity: None,
            invalid: None,
        }
    }

    /// A `GET` of `url`: absolute, or a path under the base URL.
    ///
    /// ```no_run
    /// # use maaspd::{Action, Context};
    /// # let ctx = Context::new(Action::PowerQuery);
    /// let bmc = maaspd::http::Client::builder().base_url("https://10.0.0.5/api2/json").build()?;
    /// let nodes: maaspd::serde_json::Value = bmc.get("nodes").send(&ctx)?.json()?;
    /// # let _ = nodes;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn get(&self, url: &str) -> Request {
        self.request(Method::GET, url)
    }

    /// A `POST` to `url`, without a body unless one is set (`Content-Length: 0`).
    ///
    /// ```no_run
    /// # use maaspd::{Action, Context};
    /// # let ctx = Context::new(Action::PowerQuery);
    /// let bmc = maaspd::http::Client::builder().base_url("https://10.0.0.5/api2/json").build()?;
    /// bmc.post("nodes/pve1/qemu/101/status/start").send(&ctx)?;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn post(&self, url: &str) -> Request {
        self.request(Method::POST, url)
    }

    /// A `PATCH` of `url`.
    ///
    /// ```no_run
    /// # use maaspd::{Action, Context};
    /// # let ctx = Context::new(Action::PowerQuery);
    /// let bmc = maaspd::http::Client::builder().base_url("https://10.0.0.5/").build()?;
    /// let boot = maaspd::serde_json::json!({"Boot": {"BootSourceOverrideTarget": "Pxe"}});
    /// bmc.patch("redfish/v1/Systems/1").json(&boot).send(&ctx)?;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn patch(&self, url: &str) -> Request {
        self.request(Method::PATCH, url)
    }

    /// A `PUT` to `url`.
    ///
    /// ```no_run
    /// # use maaspd::{Action, Context};
    /// # let ctx = Context::new(Action::PowerQuery);
    /// let bmc = maaspd::http::Client::builder().base_url("https://10.0.0.5/1.0").build()?;
    /// let stop = maaspd::serde_json::json!({"action": "stop", "force": true});
    /// bmc.put("instances/vm1/state").json(&stop).send(&ctx)?;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn put(&self, url: &str) -> Request {
        self.request(Method::PUT, url)
    }

    /// A `DELETE` of `url`.
    ///
    /// ```no_run
    /// # use maaspd::{Action, Context};
    /// # let ctx = Context::new(Action::PowerQuery);
    /// let bmc = maaspd::http::Client::builder().base_url("https://10.0.0.5/redfish/v1").build()?;
    /// bmc.delete("SessionService/Sessions/7").send(&ctx)?;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn delete(&self, url: &str) -> Request {
        self.request(Method::DELETE, url)
    }

    /// A request with any method.
    ///
    /// ```no_run
    /// # use maaspd::{Action, Context};
    /// # let ctx = Context::new(Action::PowerQuery);
    /// let bmc = maaspd::http::Client::builder().base_url("https://10.0.0.5/api2/json").build()?;
    /// bmc.request(maaspd::http::Method::HEAD, "version").send(&ctx)?;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn request(&self, method: Method, url: &str) -> Request {
        Request::new(self.clone(), method, self.url(url))
    }

    /// `url` as requested: itself when it has a scheme, else joined to the base URL.
    ///
    /// ```
    /// let bmc = maaspd::http::Client::builder().base_url("https://10.0.0.5/").build()?;
    /// assert_eq!(bmc.url("/redfish/v1"), "https://10.0.0.5/redfish/v1");
    /// assert_eq!(bmc.url("http://other/x"), "http://other/x");
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn url(&self, url: &str) -> String {
        match &self.config.base_url {
            Some(base) if !location::has_http_scheme(url) => {
                format!("{base}/{}", url.trim_start_matches('/'))
            }
            _ => url.to_owned(),
        }
    }
}

impl ClientBuilder {
    /// The URL that relative paths are joined to (`https://host:port/prefix`).
    ///
    /// ```
    /// let bmc = maaspd::http::Client::builder().base_url("https://10.0.0.5:8006/api2/json").build()?;
    /// assert_eq!(bmc.url("version"), "https://10.0.0.5:8006/api2/json/version");
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn base_url(mut self, url: impl Into<String>) -> ClientBuilder {
        self.config.base_url = Some(url.into().trim_end_matches('/').to_owned());
        self
    }

    /// What the BMC is called in messages: "the BMC" unless set ("the webhook").
    ///
    /// ```
    /// let client = maaspd::http::Client::builder().peer("the webhook").build()?;
    /// assert!(format!("{client:?}").contains("the webhook"));
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn peer(mut self, name: impl Into<String>) -> ClientBuilder {
        self.config.peer = name.into();
        self
    }

    /// Whether to check the BMC's certificate against the system's CA certificates
    /// (`SSL_CERT_FILE` and `SSL_CERT_DIR` first, as OpenSSL reads them), and the setting
    /// that says so, which a refused certificate's message names.
    ///
    /// ```
    /// let client = maaspd::http::Client::builder()
    ///     .verify_certificates(true, "power_verify_ssl")
    ///     .build();
    /// // The system's CA certificates are read once per process; on a machine without any,
    /// // the error is a settingsError naming power_verify_ssl.
    /// # let _ = client;
    /// ```
    pub fn verify_certificates(mut self, verify: bool, setting: &'static str) -> ClientBuilder {
        self.verify = verify;
        self.config.verify = Some(setting);
        self
    }

    /// The credentials sent with every request (to the BMC's own host only), and the
    /// settings they come from ("power_user and power_pass"), which an `authError`
    /// tells the operator to check.
    ///
    /// ```
    /// use maaspd::Secret;
    /// use maaspd::http::{Auth, Client};
    ///
    /// let client = Client::builder()
    ///     .auth(Auth::basic("admin", &Secret::new("pw")), "power_user and power_pass")
    ///     .build()?;
    /// assert!(format!("{client:?}").contains("basic auth"));
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn auth(mut self, auth: Auth, settings: impl Into<String>) -> ClientBuilder {
        self.config.auth = auth;
        self.config.auth_settings = settings.into();
        self
    }

    /// A TLS client certificate to present when the BMC asks for one (LXD knows its
    /// clients by theirs): `cert_pem`, the certificate (then any intermediates) in PEM,
    /// from the setting `cert_setting`, and its private key `key` in PEM (PKCS#8, or an
    /// RSA or EC key), from `key_setting`. Text that holds no certificate or no key, or a
    /// key that is not the certificate's, is a `settingsError` from
    /// [`build`](Self::build) naming the setting; no message quotes the key.
    ///
    /// Connections are pooled per certificate: a client with another certificate (or
    /// none) never reuses this one's connections or TLS sessions.
    ///
    /// ```
    /// use maaspd::http::Client;
    /// use maaspd::{ErrorCode, Secret};
    ///
    /// let error = Client::builder()
    ///     .client_certificate("", "certificate", &Secret::new("no key"), "key")
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(error.code(), ErrorCode::Settings);
    /// assert!(error.message().starts_with("driverParameters.certificate: "));
    /// ```
    pub fn client_certificate(
        mut self,
        cert_pem: &str,
        cert_setting: &str,
        key: &Secret,
        key_setting: &str,
    ) -> ClientBuilder {
        match client_cert::identity(cert_pem, cert_setting, key, key_setting) {
            Ok(identity) => self.identity = Some(identity),
            Err(error) => {
                self.invalid.get_or_insert(error);
            }
        }
        self
    }

    /// A header sent with every request. A value HTTP cannot carry is a
    /// `settingsError` from [`build`](Self::build) naming `setting`.
    ///
    /// ```
    /// let client = maaspd::http::Client::builder().header("system_id", "abc123", "system_id").build()?;
    /// # let _ = client;
    /// let error = maaspd::http::Client::builder().header("system_id", "a\nb", "system_id").build().unwrap_err();
    /// assert_eq!(error.code(), maaspd::ErrorCode::Settings);
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn header(mut self, name: &'static str, value: &str, setting: &str) -> ClientBuilder {
        match HeaderValue::try_from(value) {
            Ok(value) => self
                .config
                .headers
                .push((HeaderName::from_static(name), value)),
            Err(_) => {
                self.invalid.get_or_insert(Error::settings(format!(
                    "driverParameters.{setting}: contains characters an HTTP header cannot carry"
                )));
            }
        }
        self
    }

    /// The `User-Agent` header ("MAAS" unless set; services may look for the prefix).
    ///
    /// ```
    /// let client = maaspd::http::Client::builder().user_agent("MAAS (my driver)").build()?;
    /// # let _ = client;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> ClientBuilder {
        self.user_agent = user_agent.into();
        self
    }

    /// At most this many redirects per request (5 unless set).
    ///
    /// ```
    /// let client = maaspd::http::Client::builder().max_redirects(20).build()?;
    /// # let _ = client;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn max_redirects(mut self, redirects: u32) -> ClientBuilder {
        self.config.max_redirects = redirects;
        self
    }

    /// Follow redirects to another host too, without the credentials (refused unless
    /// set: an `actionError`).
    ///
    /// ```
    /// let client = maaspd::http::Client::builder().redirect_to_other_hosts(true).build()?;
    /// # let _ = client;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn redirect_to_other_hosts(mut self, follow: bool) -> ClientBuilder {
        self.config.redirect_to_other_hosts = follow;
        self
    }

    /// The longest a request may take in all, redirects and answer included, when the
    /// call's deadline is later (30 s unless set).
    ///
    /// ```
    /// let client = maaspd::http::Client::builder().timeout(std::time::Duration::from_secs(10)).build()?;
    /// # let _ = client;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.config.timeout = timeout;
        self
    }

    /// The longest connecting (name resolution, TCP, TLS) may take (10 s unless set).
    ///
    /// ```
    /// let client = maaspd::http::Client::builder().connect_timeout(std::time::Duration::from_secs(3)).build()?;
    /// # let _ = client;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.connect_timeout = timeout;
        self
    }

    /// The most of an answer that is read (1 MiB unless set).
    ///
    /// ```
    /// let client = maaspd::http::Client::builder().body_limit(64 * 1024).build()?;
    /// # let _ = client;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn body_limit(mut self, bytes: u64) -> ClientBuilder {
        self.config.body_limit = bytes;
        self
    }

    /// The client. A bad header value, a credential HTTP cannot carry, or unusable CA
    /// certificates are a `settingsError`.
    ///
    /// ```
    /// use maaspd::Secret;
    /// use maaspd::http::{Auth, Client};
    ///
    /// let token = Auth::bearer(&Secret::new("line\nbreak"));
    /// let error = Client::builder().auth(token, "power_token").build().unwrap_err();
    /// assert_eq!(
    ///     error.message(),
    ///     "driverParameters.power_token: contains characters an HTTP header cannot carry"
    /// );
    /// ```
    pub fn build(mut self) -> Result<Client> {
        if let Some(error) = self.invalid.take() {
            return Err(error);
        }
        self.config.auth.check(&self.config.auth_settings)?;
        // The certificate's identity, never its key, tells pools apart.
        let key = format!(
            "{} {:?} {:?} {}",
            self.verify,
            self.user_agent,
            self.connect_timeout,
            self.identity.as_ref().map_or("", |identity| &identity.id)
        );
        let agent = crate::state::shared::<Agents>()
            .0
            .get_or_try_insert_with(&key, || self.agent())?;
        Ok(Client {
            agent,
            config: Arc::new(self.config),
        })
    }

    fn agent(&self) -> Result<ureq::Agent> {
        let tls = ureq::tls::TlsConfig::builder();
        let tls = if self.verify {
            tls.root_certs(roots::system(self.config.verify.unwrap_or("verification"))?)
        } else {
            tls.disable_verification(true)
        };
        let tls = tls.client_cert(self.identity.as_ref().map(|identity| identity.cert.clone()));
        Ok(ureq::Agent::config_builder()
            // Statuses and redirects are judged here, and BMC traffic never goes through
            // a proxy (MAAS's clients ignore the proxy variables).
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(None)
            .user_agent(&self.user_agent)
            .accept("application/json")
            .timeout_connect(Some(self.connect_timeout))
            .tls_config(tls.build())
            .build()
            .new_agent())
    }
}

/// Checks that `url`, the value of `setting`, is an http or https URL with a host, as a
/// request would before sending: a driver calls it when it reads its settings, so that a
/// bad URL is a `settingsError` whatever the action.
///
/// ```
/// use maaspd::http::check_url;
///
/// assert!(check_url("power_on_uri", "https://10.0.0.5/on").is_ok());
/// let error = check_url("power_on_uri", "10.0.0.5").unwrap_err();
/// assert_eq!(
///     error.message(),
///     "driverParameters.power_on_uri: not a valid http or https URI: it has no scheme \
///      (http:// or https://)"
/// );
/// let error = check_url("power_on_uri", "ftp://10.0.0.5/on").unwrap_err();
/// assert!(error.message().ends_with("the scheme is \"ftp\""));
/// ```
pub fn check_url(setting: &str, url: &str) -> Result<()> {
    parse_url(Some(setting), url).map(drop)
}

/// The URL of a request, which must be http(s) with a host: else a `settingsError`
/// naming the setting it came from.
fn parse_url(setting: Option<&str>, url: &str) -> Result<Uri> {
    let invalid = |why: String| {
        let setting = setting.map_or(String::new(), |s| format!("driverParameters.{s}: "));
        Error::settings(format!("{setting}not a valid http or https URI: {why}"))
    };
    let uri: Uri = url.trim().parse().map_err(|e| invalid(format!("{e}")))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        Some(other) => return Err(invalid(format!("the scheme is {other:?}"))),
        None => return Err(invalid("it has no scheme (http:// or https://)".into())),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(invalid("it has no host".into()));
    }
    Ok(uri)
}
