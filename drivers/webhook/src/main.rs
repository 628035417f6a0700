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
//! certificates (`SSL_CERT_FILE`, `SSL_CERT_DIR`, or the distribution's store); no proxy;
//! a 404 on a URI
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
//! `actionError` (Twisted follows it with a GET); every request has a deadline, the
//! call's, and at most 30 s.
//!
//! The HTTP plumbing (TLS, credentials, redirects, timeouts, failures as MAAS's error
//! codes) is `maaspd::http`'s: what is left here is the webhook's own.

use maaspd::http::{self, Auth, Client};
use maaspd::types::YesNo;
use maaspd::{Context, ErrorContext, PowerState, Result, Secret};
use regex::bytes::Regex;

/// Sent as MAAS sends `MAAS <version>`: services may look for the `MAAS` prefix.
const USER_AGENT: &str = concat!("MAAS (maaspd webhook ", env!("CARGO_PKG_VERSION"), ")");
/// Twisted's `RedirectAgent` default.
const MAX_REDIRECTS: u32 = 20;

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

struct Webhook {
    client: Client,
    on: String,
    off: String,
    query: String,
    on_regex: Option<Regex>,
    off_regex: Option<Regex>,
}

// MAAS takes the BMC's address from the query URI, "the URL MAAS uses the most".
#[maaspd::power_driver(
    description = "Webhook",
    name = "webhook",
    ip_extractor(field_name = "power_query_uri", pattern = maaspd::ip_extractor::URL)
)]
impl Webhook {
    fn new(settings: WebhookSettings) -> Result<Self> {
        http::check_url("power_on_uri", &settings.power_on_uri)?;
        http::check_url("power_off_uri", &settings.power_off_uri)?;
        http::check_url("power_query_uri", &settings.power_query_uri)?;
        let auth = Auth::bearer_or_basic(
            &settings.power_token,
            &settings.power_user,
            &settings.power_pass,
        );
        let auth_settings = match auth {
            Auth::Bearer(_) => "power_token",
            Auth::Basic { .. } => "power_user and power_pass",
            _ => "power_token, or power_user and power_pass",
        };
        let mut client = Client::builder()
            .peer("the webhook")
            .user_agent(USER_AGENT)
            .verify_certificates(settings.power_verify_ssl.is_yes(), "power_verify_ssl")
            .auth(auth, auth_settings)
            .max_redirects(MAX_REDIRECTS)
            // Twisted's RedirectAgent follows a GET anywhere; the credentials stay home.
            .redirect_to_other_hosts(true);
        if let Some(id) = &settings.system_id {
            client = client.header("system_id", id, "system_id");
        }
        Ok(Webhook {
            client: client.build()?,
            on: settings.power_on_uri,
            off: settings.power_off_uri,
            query: settings.power_query_uri,
            on_regex: compile("power_on_regex", &settings.power_on_regex)?,
            off_regex: compile("power_off_regex", &settings.power_off_regex)?,
        })
    }

    fn power_on(&self, ctx: &Context) -> Result<()> {
        self.switch(ctx, &self.on, "power_on_uri")
    }

    fn power_off(&self, ctx: &Context) -> Result<()> {
        self.switch(ctx, &self.off, "power_off_uri")
    }

    fn power_query(&self, ctx: &Context) -> Result<PowerState> {
        let body = self
            .client
            .get(&self.query)
            .setting("power_query_uri")
            .retry_with_trailing_slash()
            .send(ctx)?
            .bytes()?;
        let matches = |regex: &Option<Regex>| regex.as_ref().is_some_and(|r| r.is_match(&body));
        if matches(&self.on_regex) {
            Ok(PowerState::On)
        } else if matches(&self.off_regex) {
            Ok(PowerState::Off)
        } else {
            eprintln!(
                "warning: GET of power_query_uri answered, but neither power_on_regex nor \
                 power_off_regex matches its {} byte answer: the power state is unknown",
                body.len()
            );
            Ok(PowerState::Unknown)
        }
    }
}

impl Webhook {
    /// A POST without a body; not repeated elsewhere on a redirect, which Twisted's
    /// RedirectAgent refuses for a POST.
    fn switch(&self, ctx: &Context, uri: &str, setting: &str) -> Result<()> {
        self.client
            .post(uri)
            .setting(setting)
            .follow_redirects(false)
            .retry_with_trailing_slash()
            .send(ctx)
            .map(drop)
    }
}

/// A regex setting, compiled; an empty one is not used, as in MAAS.
fn compile(setting: &str, pattern: &str) -> Result<Option<Regex>> {
    if pattern.is_empty() {
        return Ok(None);
    }
    Regex::new(pattern).map(Some).or_settings(format_args!(
        "driverParameters.{setting}: not a valid regular expression"
    ))
}
