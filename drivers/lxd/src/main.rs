//! MAAS's LXD power driver (`lxd`, canonical/maas
//! `src/provisioningserver/drivers/power/lxd.py`), written with maaspd: an LXD instance
//! started, stopped and queried through LXD's REST API (`/1.0`) over HTTPS, the driver
//! known to LXD by its client certificate.
//!
//! ```text
//! cargo run -p maaspd-lxd -- schema
//! echo '{"driverParameters": {"power_address": "10.0.0.5", "instance_name": "vm1",
//!        "project": "default", "certificate": "-----BEGIN CERTIFICATE-----...",
//!        "key": "-----BEGIN PRIVATE KEY-----...", "password": ""}}' \
//!     | cargo run -p maaspd-lxd -- power_query
//! ```
//!
//! What it does, as MAAS does it:
//!
//! - LXD is at `https://<power_address>:8443`: `https://` when the address has no
//!   scheme, port 8443 when it has none. LXD's own certificate is not checked (MAAS
//!   connects with `verify=False`); no proxy is used (MAAS clears `trust_env`).
//! - The driver presents `certificate` with its private key `key` (PEM). `GET /1.0`
//!   says whether LXD trusts it; when it does not and `password` is set, the password is
//!   LXD's trust password: `POST /1.0/certificates` with `{"type": "client",
//!   "password": ...}` adds the certificate to LXD's trust store (LXD takes the
//!   certificate the connection presents; pylxd also copies it into the body), and
//!   `GET /1.0` must then say trusted. An untrusted certificate without a password is an
//!   `authError` ("does not trust the certificate ..., and no password was given"), as is
//!   a password LXD refuses (its 403).
//! - The instance is `instance_name` in `project` (`default` when empty), read with
//!   `GET /1.0/instances/<name>?project=<project>`; one LXD does not know is an
//!   `actionError` naming it and the project.
//! - Its `status_code` maps as MAAS maps it: 101 (started) and 103 (running) are on,
//!   102 (stopped) and 110 (frozen) off; any other is an `actionError` ("unknown power
//!   status code"). `power_on` starts an instance that is off, `power_off` stops one
//!   that is on, with `{"action": "start"|"stop", "timeout": 30, "force": true}` as
//!   pylxd sends them (a forced stop: the machine is switched off, not shut down). The
//!   runtime confirms each change by querying, on the schedule of MAAS's base class.
//! - LXD unreachable or not speaking TLS is a `connError`; `ip_extractor` takes the host
//!   out of `power_address` (MAAS's URL pattern). A reset is not LXD's: maaspd's power
//!   cycle (off, then on, each confirmed) stands in for MAAS's NotImplementedError.
//!
//! Where it differs from MAAS, and why:
//!
//! - Any instance, container or virtual machine: MAAS looks the instance up among LXD's
//!   virtual machines only (`/1.0/virtual-machines/<name>`, through pylxd), so a
//!   container is "not found" there. This port reads `/1.0/instances/<name>`, which
//!   holds both, so that it can be proven against a real LXD on machines where LXD
//!   cannot run virtual machines (its QEMU driver is "not operational": "vhost_vsock
//!   kernel module not loaded"), where its tests run LXD containers. Power control is
//!   the same REST call for both kinds.
//! - `certificate` and `key` are required: MAAS falls back to the region controller's
//!   own certificate (`get_maas_cert_tuple`, and uses it to trust the given one), which a
//!   driver outside MAAS does not have. One without the other, text that holds no PEM
//!   certificate or key, or a key that is not the certificate's, is a `settingsError`
//!   naming the setting, before anything is sent; so are an empty `power_address` or
//!   `instance_name`. Nothing is written to disk (MAAS writes the pair to temporary
//!   files for pylxd).
//! - A start or stop is waited for: LXD answers with an operation, and
//!   `GET /1.0/operations/<id>/wait` is read until it ends (40 s at most, within the
//!   call's deadline); one that failed is an `actionError` quoting LXD's `err`. MAAS
//!   fires it and learns of a failure only as "never transitioned".
//! - `power_on` of a frozen instance (paused: `lxc pause`) unfreezes it, so that it runs
//!   again: LXD refuses to start it ("The instance is already running"), which is what
//!   MAAS asks for. An unknown status code is an `actionError` for every action (MAAS
//!   raises a KeyError from `power_on` and `power_off`). Any path in `power_address` is dropped:
//!   LXD's API is at the root.
//! - Failed requests are not retried inside the driver; MAAS retries `connError` and
//!   `actionError` itself.
//!
//! The HTTP plumbing (TLS and the client certificate, the secrets kept out of every
//! message, timeouts, failures as MAAS's error codes) is `maaspd::http`'s: what is left
//! here is LXD's own.

use std::time::{Duration, Instant};

use maaspd::http::{Auth, Client};
use maaspd::serde_json::{Value, json};
use maaspd::types::HttpAddress;
use maaspd::{Context, Error, ErrorContext, PowerState, Result, Secret};

#[maaspd::parameters]
struct Settings {
    /// LXD address
    ///
    /// Where LXD's API answers: a host name or IP address with an optional port, or an
    /// `https://` URL. Without a scheme `https://` is used, without a port 8443.
    power_address: String,
    /// Instance name
    ///
    /// The LXD instance this machine is (a node setting in MAAS: one per machine).
    #[maaspd(scope = "node")]
    instance_name: String,
    /// LXD project
    ///
    /// The LXD project the instance is in; `default` when empty.
    #[serde(default = "default_project")]
    #[maaspd(required)]
    project: String,
    /// LXD password (optional)
    ///
    /// LXD's trust password (`core.trust_password`): when LXD does not trust the
    /// certificate yet, it is sent once to add the certificate to LXD's trust store.
    #[serde(default)]
    password: Secret,
    /// LXD certificate (optional)
    ///
    /// The client certificate the driver presents to LXD, in PEM. Required here (see
    /// the crate's documentation): MAAS would use the region's own.
    #[serde(default)]
    certificate: String,
    /// LXD private key (optional)
    ///
    /// The certificate's private key, in PEM.
    #[serde(default)]
    key: Secret,
}

fn default_project() -> String {
    "default".to_owned()
}

/// LXD's status code of a frozen (paused) instance.
const FROZEN: u64 = 110;
/// LXD's HTTPS port.
const LXD_PORT: u16 = 8443;
/// The `timeout` of a start or stop, as pylxd sends it: how long LXD waits for the
/// instance (a stop is forced, so it does not).
const STATE_TIMEOUT: u64 = 30;
/// The longest a start or stop operation is waited for, within the call's deadline.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(40);
/// The longest one `GET .../wait` asks LXD to hold the answer, in seconds.
const WAIT_STEP: u64 = 20;

struct Lxd {
    settings: Settings,
    /// `https://host:port`.
    base: String,
    /// `project`, `default` when empty.
    project: String,
}

#[maaspd::power_driver(
    description = "LXD (virtual systems)",
    name = "lxd",
    ip_extractor(field_name = "power_address", pattern = maaspd::ip_extractor::URL)
)]
impl Lxd {
    fn new(settings: Settings) -> Result<Self> {
        if settings.power_address.trim().is_empty() {
            maaspd::bail!(
                settings,
                "driverParameters.power_address: empty; give LXD's address (host, host:port \
                 or an https:// URL)"
            );
        }
        let address: HttpAddress = settings
            .power_address
            .trim()
            .parse()
            .or_settings("driverParameters.power_address")?;
        let host = match address.host() {
            host if host.contains(':') => format!("[{host}]"),
            host => host.to_owned(),
        };
        let port = address.explicit_port().unwrap_or(LXD_PORT);
        let base = format!("{}://{host}:{port}", address.scheme());
        if settings.instance_name.trim().is_empty() {
            maaspd::bail!(
                settings,
                "driverParameters.instance_name: empty; give the LXD instance's name"
            );
        }
        match (
            settings.certificate.trim().is_empty(),
            settings.key.expose().trim().is_empty(),
        ) {
            (false, false) => {}
            (true, _) => maaspd::bail!(
                settings,
                "driverParameters.certificate: empty; give the client certificate (PEM) that \
                 LXD trusts, or will trust with the password, and its key"
            ),
            (false, true) => maaspd::bail!(
                settings,
                "driverParameters.key: empty; give the private key (PEM) of the certificate"
            ),
        }
        let project = match settings.project.trim() {
            "" => default_project(),
            project => project.to_owned(),
        };
        let lxd = Lxd {
            settings,
            base,
            project,
        };
        // Bad PEM is a settings error whatever the action, before anything is sent.
        lxd.client(Auth::None, "certificate and key")?;
        Ok(lxd)
    }

    fn power_on(&self, ctx: &Context) -> Result<()> {
        let lxd = self.session(ctx)?;
        let code = self.status_code(ctx, &lxd)?;
        if code == FROZEN {
            // LXD refuses to start a frozen instance ("The instance is already running").
            self.change(ctx, &lxd, "unfreeze")?;
        } else if self.power_state(code)? == PowerState::Off {
            self.change(ctx, &lxd, "start")?;
        }
        Ok(())
    }

    fn power_off(&self, ctx: &Context) -> Result<()> {
        let lxd = self.session(ctx)?;
        let code = self.status_code(ctx, &lxd)?;
        if self.power_state(code)? == PowerState::On {
            self.change(ctx, &lxd, "stop")?;
        }
        Ok(())
    }

    fn power_query(&self, ctx: &Context) -> Result<PowerState> {
        let lxd = self.session(ctx)?;
        let code = self.status_code(ctx, &lxd)?;
        self.power_state(code)
    }
}

impl Lxd {
    /// A client that presents the certificate, and `auth` (named `what` in messages);
    /// LXD's own certificate is not checked.
    fn client(&self, auth: Auth, what: &str) -> Result<Client> {
        Client::builder()
            .base_url(&self.base)
            .peer("LXD")
            .verify_certificates(false, "power_address")
            .client_certificate(
                &self.settings.certificate,
                "certificate",
                &self.settings.key,
                "key",
            )
            .auth(auth, what)
            .build()
    }

    /// A client LXD trusts: the certificate as it is, or added to LXD's trust store with
    /// the trust password.
    fn session(&self, ctx: &Context) -> Result<Client> {
        let lxd = self.client(Auth::None, "certificate and key")?;
        if self.trusted(ctx, &lxd)? {
            return Ok(lxd);
        }
        let password = &self.settings.password;
        if password.is_empty() {
            maaspd::bail!(
                auth,
                "LXD at {} does not trust the certificate (certificate and key), and no \
                 password was given: add the certificate to LXD's trust store (lxc config \
                 trust add), or give LXD's trust password",
                self.base
            );
        }
        let with_password =
            self.client(Auth::in_body(password), "password (LXD's trust password)")?;
        with_password
            .post("1.0/certificates")
            .json(&json!({"type": "client", "password": password.expose()}))
            .send(ctx)?;
        if !self.trusted(ctx, &lxd)? {
            maaspd::bail!(
                auth,
                "LXD at {} took the password but still does not trust the certificate",
                self.base
            );
        }
        Ok(lxd)
    }

    /// Whether LXD trusts the certificate (`auth` of `GET /1.0`).
    fn trusted(&self, ctx: &Context, lxd: &Client) -> Result<bool> {
        let server: Value = lxd.get("1.0").send(ctx)?.json()?;
        match server["metadata"]["auth"].as_str() {
            Some("trusted") => Ok(true),
            Some(_) => Ok(false),
            None => maaspd::bail!(
                action,
                "GET {}/1.0: the answer says nothing of trust (no metadata.auth): is this LXD?",
                self.base
            ),
        }
    }

    /// `1.0/instances/<name>` with `tail`, in the project.
    fn instance_path(&self, tail: &str) -> String {
        format!(
            "1.0/instances/{}{tail}?project={}",
            encode(self.settings.instance_name.trim()),
            encode(&self.project)
        )
    }

    /// The instance's `status_code` (see [`power_state`](Self::power_state)).
    fn status_code(&self, ctx: &Context, lxd: &Client) -> Result<u64> {
        let name = self.settings.instance_name.trim();
        // LXD's 404 says "Instance not found" (for an unknown project too): said with the
        // settings that name them.
        let instance: Value = lxd
            .get(&self.instance_path(""))
            .send(ctx)
            .map_err(|error| match error.code() {
                maaspd::ErrorCode::Action => Error::action(format!(
                    "LXD instance {name:?} (instance_name) in project {:?} (project): {}",
                    self.project,
                    error.message()
                )),
                _ => error,
            })?
            .json()?;
        instance["metadata"]["status_code"].as_u64().ok_or_else(|| {
            Error::action(format!(
                "GET {}/1.0/instances/{name}: the answer has no metadata.status_code",
                self.base
            ))
        })
    }

    /// A status code as MAAS maps it: started and running on, stopped and frozen off.
    fn power_state(&self, code: u64) -> Result<PowerState> {
        match code {
            101 | 103 => Ok(PowerState::On),
            102 | FROZEN => Ok(PowerState::Off),
            _ => maaspd::bail!(
                action,
                "LXD instance {:?}: unknown power status code {code}",
                self.settings.instance_name.trim()
            ),
        }
    }

    /// Starts, stops or unfreezes the instance and waits for LXD's operation to end.
    fn change(&self, ctx: &Context, lxd: &Client, action: &str) -> Result<()> {
        let name = self.settings.instance_name.trim();
        let answer: Value = lxd
            .put(&self.instance_path("/state"))
            .json(&json!({"action": action, "timeout": STATE_TIMEOUT, "force": true}))
            .send(ctx)?
            .json()?;
        let Some(operation) = answer["operation"].as_str().filter(|op| !op.is_empty()) else {
            // A synchronous answer: done.
            return Ok(());
        };
        let started = Instant::now();
        loop {
            let left = OPERATION_TIMEOUT.saturating_sub(started.elapsed());
            // Within the client's 30 s per request.
            let wait = left
                .min(ctx.time_left().unwrap_or(left))
                .as_secs()
                .clamp(1, WAIT_STEP);
            let url = format!(
                "{}/wait?timeout={wait}&project={}",
                operation.trim_start_matches('/'),
                encode(&self.project)
            );
            let done: Value = lxd.get(&url).send(ctx)?.json()?;
            let op = &done["metadata"];
            match op["status_code"].as_u64() {
                Some(200) => return Ok(()),
                Some(code) if code >= 400 => {
                    let why = op["err"].as_str().filter(|err| !err.is_empty());
                    maaspd::bail!(
                        action,
                        "LXD could not {action} instance {name:?}: {}",
                        why.unwrap_or(op["status"].as_str().unwrap_or("failed"))
                    );
                }
                _ => {}
            }
            if started.elapsed() >= OPERATION_TIMEOUT || ctx.is_cancelled() {
                return Err(Error::action(format!(
                    "LXD's {action} of instance {name:?} is still running after {} s ({operation})",
                    started.elapsed().as_secs()
                )));
            }
        }
    }
}

/// `text` percent-encoded for a URL's path or query (all but RFC 3986's unreserved
/// characters).
fn encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                encoded.push(byte as char)
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_percent_encoded() {
        assert_eq!(encode("vm-1_a.b~"), "vm-1_a.b~");
        assert_eq!(encode("a b/c?d&é"), "a%20b%2Fc%3Fd%26%C3%A9");
    }
}
