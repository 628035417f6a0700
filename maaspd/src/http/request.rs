//! One request to a BMC, sent within the call's deadline: its redirects followed on the
//! same host up to the client's bound, a 404 tried again with a trailing slash when
//! asked (as MAAS's webhook and Redfish drivers do), and its status judged.

use std::time::{Duration, Instant};

use serde::Serialize;
use ureq::http::{HeaderName, HeaderValue, Method, StatusCode, Uri};

use super::location::{Shown, resolve, same_host};
use super::{Client, Response, failure};
use crate::{Context, Error, Result};

/// A request being made: see [`Client::get`] and its siblings, then [`Request::send`].
///
/// ```no_run
/// # use maaspd::http::Client;
/// # use maaspd::{Action, Context};
/// # use maaspd::serde_json::json;
/// # fn main() -> maaspd::Result<()> {
/// # let ctx = Context::new(Action::PowerOn);
/// # let webhook = Client::builder().peer("the webhook").build()?;
/// webhook
///     .post("http://10.0.0.5/machine/on")
///     .setting("power_on_uri")
///     .follow_redirects(false)
///     .retry_with_trailing_slash()
///     .send(&ctx)?;
/// # Ok(())
/// # }
/// ```
pub struct Request {
    client: Client,
    method: Method,
    url: String,
    setting: Option<String>,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<Vec<u8>>,
    follow_redirects: bool,
    slash_retry: bool,
    invalid: Option<Error>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("setting", &self.setting)
            .finish_non_exhaustive()
    }
}

impl Request {
    pub(super) fn new(client: Client, method: Method, url: String) -> Request {
        Request {
            client,
            method,
            url,
            setting: None,
            headers: Vec::new(),
            body: None,
            follow_redirects: true,
            slash_retry: false,
            invalid: None,
        }
    }

    /// The setting the URL comes from, which messages name ("POST URL (power_on_uri)")
    /// and a bad URL's `settingsError` names.
    ///
    /// ```no_run
    /// # use maaspd::{Action, Context};
    /// # let ctx = Context::new(Action::PowerOn);
    /// # let webhook = maaspd::http::Client::builder().build()?;
    /// // A failure names the setting: "POST http://10.0.0.5/on (power_on_uri) failed ..."
    /// webhook.post("http://10.0.0.5/on").setting("power_on_uri").send(&ctx)?;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn setting(mut self, setting: impl Into<String>) -> Request {
        self.setting = Some(setting.into());
        self
    }

    /// A header of this request (`If-Match`, ...). A value HTTP cannot carry is an
    /// `actionError` from [`send`](Self::send).
    ///
    /// ```no_run
    /// # use maaspd::{Action, Context};
    /// # let ctx = Context::new(Action::PowerOn);
    /// # let webhook = maaspd::http::Client::builder().build()?;
    /// webhook.patch("https://bmc/redfish/v1/Systems/1").header("if-match", "W/\"1\"").send(&ctx)?;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn header(mut self, name: &'static str, value: &str) -> Request {
        match HeaderValue::try_from(value) {
            Ok(value) => self.headers.push((HeaderName::from_static(name), value)),
            Err(_) => {
                self.invalid.get_or_insert(Error::action(format!(
                    "the {name} header cannot carry {value:?}"
                )));
            }
        }
        self
    }

    /// `value` as the JSON body, with `Content-Type: application/json`.
    ///
    /// ```no_run
    /// # use maaspd::{Action, Context};
    /// # let ctx = Context::new(Action::PowerOn);
    /// # let webhook = maaspd::http::Client::builder().build()?;
    /// let reset = maaspd::serde_json::json!({"ResetType": "On"});
    /// webhook.post("https://bmc/redfish/v1/Systems/1/Actions/ComputerSystem.Reset").json(&reset).send(&ctx)?;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn json(self, value: &impl Serialize) -> Request {
        match serde_json::to_vec(value) {
            Ok(bytes) => self.body(bytes, "application/json"),
            Err(error) => {
                let mut request = self;
                request.invalid.get_or_insert(Error::fatal(format!(
                    "the request body cannot be written as JSON: {error}"
                )));
                request
            }
        }
    }

    /// `bytes` as the body, of `content_type`.
    ///
    /// ```no_run
    /// # use maaspd::{Action, Context};
    /// # let ctx = Context::new(Action::PowerOn);
    /// # let webhook = maaspd::http::Client::builder().build()?;
    /// webhook.post("http://10.0.0.5/login").body("user=maas", "application/x-www-form-urlencoded").send(&ctx)?;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn body(mut self, bytes: impl Into<Vec<u8>>, content_type: &'static str) -> Request {
        self.body = Some(bytes.into());
        self.headers.push((
            HeaderName::from_static("content-type"),
            HeaderValue::from_static(content_type),
        ));
        self
    }

    /// Whether redirects are followed (they are unless set; a `POST` that must not be
    /// repeated elsewhere sets `false`, and a redirect is then an `actionError`).
    ///
    /// ```no_run
    /// # use maaspd::{Action, Context};
    /// # let ctx = Context::new(Action::PowerOn);
    /// # let webhook = maaspd::http::Client::builder().build()?;
    /// // A redirect is then an actionError telling the operator to set the final URI.
    /// webhook.post("http://10.0.0.5/on").follow_redirects(false).send(&ctx)?;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn follow_redirects(mut self, follow: bool) -> Request {
        self.follow_redirects = follow;
        self
    }

    /// After a 404 for a path without a trailing slash, try once more with one.
    ///
    /// ```no_run
    /// # use maaspd::{Action, Context};
    /// # let ctx = Context::new(Action::PowerOn);
    /// # let webhook = maaspd::http::Client::builder().build()?;
    /// // After a 404 for /on, /on/ is tried once more, as MAAS's drivers do.
    /// webhook.post("http://10.0.0.5/on").retry_with_trailing_slash().send(&ctx)?;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn retry_with_trailing_slash(mut self) -> Request {
        self.slash_retry = true;
        self
    }

    /// Sends the request and judges the answer: a status below 300 is the
    /// [`Response`]; anything else is the error MAAS expects (see [the
    /// module](super)). The whole exchange ends by the call's deadline, or the client's
    /// timeout if sooner.
    ///
    /// ```no_run
    /// # use maaspd::{Action, Context};
    /// # let ctx = Context::new(Action::PowerOn);
    /// # let webhook = maaspd::http::Client::builder().build()?;
    /// match webhook.get("http://10.0.0.5/status").send(&ctx) {
    ///     Ok(answer) => println!("{}", answer.text()?),
    ///     // connError, authError or actionError, as MAAS expects, without credentials.
    ///     Err(error) => eprintln!("{}: {}", error.code(), error.message()),
    /// }
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn send(self, ctx: &Context) -> Result<Response> {
        if let Some(error) = self.invalid {
            return Err(error);
        }
        let config = &self.client.config;
        let mut uri = super::parse_url(self.setting.as_deref(), &self.url)?;
        let place = match &self.setting {
            Some(setting) => format!("{} {} ({setting})", self.method, Shown(&uri)),
            None => format!("{} {}", self.method, Shown(&uri)),
        };
        let budget = ctx
            .time_left()
            .map_or(config.timeout, |left| left.min(config.timeout));
        let deadline = Instant::now() + budget;
        let mut method = self.method.clone();
        let mut body = self.body.clone();
        let mut with_auth = true;
        let (mut redirects, mut slash_tried) = (0, false);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || ctx.is_cancelled() {
                return Err(Error::conn(format!(
                    "{place}: no answer from {} within {:.1} s",
                    config.peer,
                    budget.as_secs_f64()
                )));
            }
            let mut response = self
                .exchange(&method, &uri, body.as_deref(), with_auth, left)
                .map_err(|error| failure::transport(config, &place, error))?;
            let status = response.status();
            let location = response
                .headers()
                .get("location")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            if let (true, Some(location)) = (status.is_redirection(), &location)
                && self.follow_redirects
            {
                if redirects == config.max_redirects {
                    return Err(Error::action(format!(
                        "{place}: more than {} redirects",
                        config.max_redirects
                    )));
                }
                let next = resolve(&uri, location).ok_or_else(|| {
                    Error::action(format!(
                        "{place} was redirected to {location:?}, which is not a URL"
                    ))
                })?;
                if !same_host(&uri, &next) {
                    if !config.redirect_to_other_hosts {
                        return Err(Error::action(format!(
                            "{place} was redirected to another host ({}); not followed, so \
                             the credentials stay with {}",
                            next.host().unwrap_or_default(),
                            config.peer
                        )));
                    }
                    with_auth = false;
                }
                if status == StatusCode::SEE_OTHER {
                    method = Method::GET;
                    body = None;
                }
                uri = next;
                redirects += 1;
                continue;
            }
            if status == StatusCode::NOT_FOUND
                && self.slash_retry
                && !slash_tried
                && let Some(with_slash) = with_trailing_slash(&uri)
            {
                uri = with_slash;
                slash_tried = true;
                continue;
            }
            if status.is_redirection() {
                // As the BMC wrote it, relative or not, without credentials.
                let to = location
                    .and_then(|location| location.parse::<Uri>().ok())
                    .map(|to| format!(" to {}", Shown(&to)))
                    .unwrap_or_default();
                let fix = match &self.setting {
                    Some(setting) => format!(": set {setting} to the final URL"),
                    None => String::new(),
                };
                return Err(Error::action(format!(
                    "{place} was redirected{to} ({}); a {method} is not repeated elsewhere{fix}",
                    failure::shown_status(status)
                )));
            }
            if status.as_u16() >= 300 {
                let body = response
                    .body_mut()
                    .with_config()
                    .limit(config.body_limit)
                    .read_to_vec()
                    .unwrap_or_default();
                return Err(failure::status(config, &place, status, &body));
            }
            return Ok(Response {
                client: self.client.clone(),
                place,
                inner: response,
            });
        }
    }

    /// One exchange, no redirect followed, within `left`.
    fn exchange(
        &self,
        method: &Method,
        uri: &Uri,
        body: Option<&[u8]>,
        with_auth: bool,
        left: Duration,
    ) -> std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        let config = &self.client.config;
        let mut builder = ureq::http::Request::builder()
            .method(method.clone())
            .uri(uri.clone());
        // The request's own headers replace the client's of the same name.
        let client_headers = config
            .headers
            .iter()
            .filter(|(name, _)| self.headers.iter().all(|(own, _)| own != name));
        for (name, value) in client_headers.chain(&self.headers) {
            builder = builder.header(name, value);
        }
        if with_auth && let Some((name, value)) = config.auth.header() {
            builder = builder.header(name, value);
        }
        if with_auth {
            // A session cookie's own headers (its CSRF token).
            for (name, value) in config.auth.extra_headers().unwrap_or_default() {
                builder = builder.header(name, value);
            }
        }
        let agent = &self.client.agent;
        let bodiless = matches!(*method, Method::GET | Method::HEAD | Method::DELETE);
        match body {
            // Without a body, a POST, PUT or PATCH still says `Content-Length: 0`, as
            // MAAS's clients frame it (ureq would otherwise send an empty chunked body).
            None if bodiless => {
                let request = builder.body(())?;
                agent.run(
                    agent
                        .configure_request(request)
                        .timeout_global(Some(left))
                        .build(),
                )
            }
            body => {
                let request = builder.body(body.unwrap_or_default())?;
                agent.run(
                    agent
                        .configure_request(request)
                        .timeout_global(Some(left))
                        .build(),
                )
            }
        }
    }
}

/// The same URL with `/` added to its path, unless it already ends with one.
fn with_trailing_slash(uri: &Uri) -> Option<Uri> {
    let path = uri.path();
    if path.ends_with('/') {
        return None;
    }
    let mut parts = uri.clone().into_parts();
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}/?{query}"),
        None => format!("{path}/"),
    };
    parts.path_and_query = Some(path_and_query.parse().ok()?);
    Uri::from_parts(parts).ok()
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::time::{Duration, Instant};

    use super::super::{Auth, Client};
    use crate::{Action, Context, ErrorCode, Secret};

    /// A peer on loopback that answers each connection with `reply` (after reading the
    /// request's head), or never answers when `reply` is `None`.
    fn peer(reply: Option<&'static str>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for mut stream in listener.incoming().flatten() {
                let mut head = [0; 4096];
                let _ = stream.read(&mut head);
                match reply {
                    Some(reply) => drop(stream.write_all(reply.as_bytes())),
                    None => held.push(stream),
                }
            }
        });
        format!("http://{address}")
    }

    #[test]
    fn a_silent_peer_is_a_conn_error_at_the_calls_deadline() {
        let url = peer(None);
        let ctx = Context::new(Action::PowerQuery).with_timeout(Duration::from_millis(300));
        let client = Client::builder().build().unwrap();
        let started = Instant::now();
        let error = client.get(&url).send(&ctx).unwrap_err();
        assert_eq!(error.code(), ErrorCode::Conn, "{}", error.message());
        assert!(
            error.message().contains("no answer from the BMC in time"),
            "{}",
            error.message()
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_refusal_is_an_auth_error_naming_the_settings_without_the_password() {
        let url = peer(Some(
            "HTTP/1.1 401 Unauthorized\r\nContent-Length: 39\r\nConnection: close\r\n\r\n\
             {\"error\": {\"message\": \"bad pw S3cr3t\"}}",
        ));
        let ctx = Context::new(Action::PowerQuery);
        let client = Client::builder()
            .auth(
                Auth::basic("admin", &Secret::new("S3cr3t")),
                "power_user and power_pass",
            )
            .build()
            .unwrap();
        let error = client.get(&format!("{url}/x")).send(&ctx).unwrap_err();
        assert_eq!(error.code(), ErrorCode::Auth);
        assert_eq!(
            error.message(),
            format!(
                "GET {url}/x failed with response status code: 401 Unauthorized (bad pw \
                 [redacted]): basic auth was refused; check power_user and power_pass"
            )
        );
    }

    #[test]
    fn a_session_cookie_and_its_headers_reach_the_peer() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (seen, heads) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let mut head = [0; 4096];
                let read = stream.read(&mut head).unwrap_or(0);
                let _ = seen.send(String::from_utf8_lossy(&head[..read]).to_lowercase());
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            }
        });
        let ticket = Secret::new("PVE:root@pam:1::sig");
        let csrf = Secret::new("1:csrf");
        let client = Client::builder()
            .auth(
                Auth::cookie("PVEAuthCookie", &ticket, [("csrfpreventiontoken", &csrf)]),
                "power_user and power_pass",
            )
            .build()
            .unwrap();
        let ctx = Context::new(Action::PowerOn);
        client.post(&format!("{url}/x")).send(&ctx).unwrap();
        let head = heads.recv().unwrap();
        assert!(
            head.contains("\r\ncookie: pveauthcookie=pve:root@pam:1::sig\r\n"),
            "{head}"
        );
        assert!(
            head.contains("\r\ncsrfpreventiontoken: 1:csrf\r\n"),
            "{head}"
        );
    }

    #[test]
    fn a_refused_login_is_an_auth_error_with_the_password_struck_out() {
        let url = peer(Some(
            "HTTP/1.1 401 Unauthorized\r\nContent-Length: 31\r\nConnection: close\r\n\r\n\
             {\"message\": \"no user for Pw-9\"}",
        ));
        let ctx = Context::new(Action::PowerQuery);
        let password = Secret::new("Pw-9");
        let client = Client::builder()
            .auth(Auth::in_body(&password), "power_user and power_pass")
            .build()
            .unwrap();
        let login = client
            .post(&format!("{url}/access/ticket"))
            .json(&serde_json::json!({"username": "root@pam", "password": password.expose()}));
        let error = login.send(&ctx).unwrap_err();
        assert_eq!(error.code(), ErrorCode::Auth);
        assert_eq!(
            error.message(),
            format!(
                "POST {url}/access/ticket failed with response status code: 401 Unauthorized \
                 (no user for [redacted]): the login in the request body was refused; \
                 check power_user and power_pass"
            )
        );
    }

    #[test]
    fn a_redirect_elsewhere_is_refused_unless_allowed() {
        let url = peer(Some(
            "HTTP/1.1 302 Found\r\nLocation: http://elsewhere.invalid/x\r\nContent-Length: 0\r\n\r\n",
        ));
        let ctx = Context::new(Action::PowerQuery);
        let client = Client::builder().build().unwrap();
        let error = client.get(&url).send(&ctx).unwrap_err();
        assert_eq!(error.code(), ErrorCode::Action);
        assert!(
            error
                .message()
                .contains("redirected to another host (elsewhere.invalid)"),
            "{}",
            error.message()
        );
    }
}
