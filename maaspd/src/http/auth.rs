//! The credentials a client sends, built from the driver's `Secret`s into a header value
//! marked sensitive, and described in messages without their value.

use base64::Engine as _;
use ureq::http::HeaderValue;

use crate::{Error, Result, Secret};

/// How a [`Client`](super::Client) proves who it is.
///
/// ```
/// use maaspd::http::Auth;
/// use maaspd::Secret;
///
/// let token = Secret::new("");
/// let auth = Auth::bearer_or_basic(&token, "admin", &Secret::new("pw"));
/// assert_eq!(auth.describe(), "basic auth");
/// ```
#[derive(Clone, Debug, Default)]
pub enum Auth {
    /// Nothing is sent.
    #[default]
    None,
    /// `Authorization: Basic base64(user:password)` (RFC 7617).
    Basic {
        /// The user name.
        user: String,
        /// The password.
        password: Secret,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// A header of the API's own whose value is a secret (Proxmox's
    /// `Authorization: PVEAPIToken=...`, `X-Auth-Token`, ...).
    Header {
        /// The header's name, in lower case.
        name: &'static str,
        /// Its whole value.
        value: Secret,
    },
    /// A session's cookie (`Cookie: name=value`) and the headers that go with it, all
    /// secret: what a login gave, as Proxmox's ticket (`PVEAuthCookie`) and its
    /// `CSRFPreventionToken`. Build it with [`Auth::cookie`].
    Cookie {
        /// The cookie's name.
        name: &'static str,
        /// The cookie's value.
        value: Secret,
        /// Headers sent with the cookie (name in lower case, value).
        headers: Vec<(&'static str, Secret)>,
    },
    /// Credentials the request's own body carries (a login's user and password): nothing
    /// is added to the request, but `secret` is struck out of every message, and a 401
    /// or 403 says that the login in the request body was refused.
    InBody(Secret),
}

impl Auth {
    /// Basic auth with `user` and `password`.
    ///
    /// ```
    /// let auth = maaspd::http::Auth::basic("admin", &maaspd::Secret::new("pw"));
    /// assert_eq!(auth.describe(), "basic auth");
    /// ```
    pub fn basic(user: impl Into<String>, password: &Secret) -> Auth {
        Auth::Basic {
            user: user.into(),
            password: password.clone(),
        }
    }

    /// A bearer token.
    ///
    /// ```
    /// let auth = maaspd::http::Auth::bearer(&maaspd::Secret::new("tok"));
    /// assert_eq!(auth.describe(), "the bearer token");
    /// ```
    pub fn bearer(token: &Secret) -> Auth {
        Auth::Bearer(token.clone())
    }

    /// A session cookie and the secret headers sent with it.
    ///
    /// ```
    /// use maaspd::http::Auth;
    /// use maaspd::Secret;
    ///
    /// let ticket = Secret::new("PVE:root@pam:6B0CE5C9::c2lnbmF0dXJl");
    /// let csrf = Secret::new("6B0CE5C9:dG9rZW4");
    /// let auth = Auth::cookie("PVEAuthCookie", &ticket, [("csrfpreventiontoken", &csrf)]);
    /// assert_eq!(auth.describe(), "the PVEAuthCookie cookie");
    /// ```
    pub fn cookie<'a>(
        name: &'static str,
        value: &Secret,
        headers: impl IntoIterator<Item = (&'static str, &'a Secret)>,
    ) -> Auth {
        Auth::Cookie {
            name,
            value: value.clone(),
            headers: headers
                .into_iter()
                .map(|(header, secret)| (header, secret.clone()))
                .collect(),
        }
    }

    /// Credentials sent in the request body (a login request): see [`Auth::InBody`].
    ///
    /// ```
    /// use maaspd::http::Auth;
    /// use maaspd::Secret;
    ///
    /// let auth = Auth::in_body(&Secret::new("pw"));
    /// assert_eq!(auth.describe(), "the login in the request body");
    /// ```
    pub fn in_body(secret: &Secret) -> Auth {
        Auth::InBody(secret.clone())
    }

    /// MAAS's webhook rule: the token when one is set, else basic auth when both the
    /// user and the password are, else nothing.
    ///
    /// ```
    /// use maaspd::{Secret, http::Auth};
    ///
    /// let none = Secret::new("");
    /// assert_eq!(Auth::bearer_or_basic(&Secret::new("tok"), "u", &none).describe(), "the bearer token");
    /// assert_eq!(Auth::bearer_or_basic(&none, "u", &none).describe(), "no credentials");
    /// ```
    pub fn bearer_or_basic(token: &Secret, user: &str, password: &Secret) -> Auth {
        if !token.is_empty() {
            Auth::bearer(token)
        } else if !user.is_empty() && !password.is_empty() {
            Auth::basic(user, password)
        } else {
            Auth::None
        }
    }

    /// What was sent, for a message: "basic auth", "the bearer token", ...
    ///
    /// ```
    /// let auth = maaspd::http::Auth::Header { name: "x-auth-token", value: maaspd::Secret::new("t") };
    /// assert_eq!(auth.describe(), "the x-auth-token header");
    /// ```
    pub fn describe(&self) -> String {
        match self {
            Auth::None => "no credentials".to_owned(),
            Auth::Basic { .. } => "basic auth".to_owned(),
            Auth::Bearer(_) => "the bearer token".to_owned(),
            Auth::Header { name, .. } => format!("the {name} header"),
            Auth::Cookie { name, .. } => format!("the {name} cookie"),
            Auth::InBody(_) => "the login in the request body".to_owned(),
        }
    }

    /// The header to send, its value marked sensitive (kept out of ureq's logs).
    pub(super) fn header(&self) -> Option<(&'static str, HeaderValue)> {
        let (name, value) = match self {
            Auth::None | Auth::InBody(_) => return None,
            Auth::Basic { user, password } => {
                let pair = format!("{user}:{}", password.expose());
                let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
                ("authorization", format!("Basic {encoded}"))
            }
            Auth::Bearer(token) => ("authorization", format!("Bearer {}", token.expose())),
            Auth::Header { name, value } => (*name, value.expose().to_owned()),
            Auth::Cookie { name, value, .. } => ("cookie", format!("{name}={}", value.expose())),
        };
        sensitive(name, &value)
    }

    /// The headers sent besides [`header`](Self::header)'s (a cookie's), values marked
    /// sensitive; `None` when one cannot travel in a header.
    pub(super) fn extra_headers(&self) -> Option<Vec<(&'static str, HeaderValue)>> {
        match self {
            Auth::Cookie { headers, .. } => headers
                .iter()
                .map(|(name, value)| sensitive(name, value.expose()))
                .collect(),
            _ => Some(Vec::new()),
        }
    }

    /// A `settingsError` naming `settings` when the credentials cannot travel in a
    /// header.
    pub(super) fn check(&self, settings: &str) -> Result<()> {
        let sendable = matches!(self, Auth::None | Auth::InBody(_)) || self.header().is_some();
        if sendable && self.extra_headers().is_some() {
            return Ok(());
        }
        Err(Error::settings(format!(
            "driverParameters.{settings}: contains characters an HTTP header cannot carry"
        )))
    }

    /// The secret texts, to strike out of anything shown: the secret itself, and its
    /// encoding as sent (a peer may echo the header).
    pub(super) fn secrets(&self) -> Vec<String> {
        let secret = match self {
            Auth::None => return Vec::new(),
            Auth::Basic { password, .. } => password,
            Auth::Bearer(token) => token,
            Auth::Header { value, .. } => value,
            Auth::Cookie { value, .. } => value,
            Auth::InBody(secret) => secret,
        };
        let sent = self
            .header()
            .and_then(|(_, value)| Some(value.to_str().ok()?.rsplit(' ').next()?.to_owned()));
        let with_cookie: &[(&'static str, Secret)] = match self {
            Auth::Cookie { headers, .. } => headers,
            _ => &[],
        };
        let others = with_cookie
            .iter()
            .map(|(_, value)| value.expose().to_owned());
        [Some(secret.expose().to_owned()), sent]
            .into_iter()
            .flatten()
            .chain(others)
            .filter(|text| !text.is_empty())
            .collect()
    }
}

/// `value` as a header value marked sensitive (kept out of ureq's logs).
fn sensitive(name: &'static str, value: &str) -> Option<(&'static str, HeaderValue)> {
    let mut value = HeaderValue::try_from(value).ok()?;
    value.set_sensitive(true);
    Some((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_is_rfc_7617() {
        let (name, value) = Auth::basic("Aladdin", &Secret::new("open sesame"))
            .header()
            .unwrap();
        assert_eq!(name, "authorization");
        assert_eq!(value, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert!(value.is_sensitive());
    }

    #[test]
    fn what_is_struck_out_includes_the_encoded_form() {
        let auth = Auth::basic("Aladdin", &Secret::new("open sesame"));
        assert_eq!(
            auth.secrets(),
            ["open sesame", "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="]
        );
    }

    #[test]
    fn the_token_wins_then_basic_needs_both() {
        let empty = Secret::new("");
        let pw = Secret::new("pw");
        let token = Secret::new("tok");
        assert!(matches!(
            Auth::bearer_or_basic(&token, "u", &pw),
            Auth::Bearer(_)
        ));
        assert!(matches!(
            Auth::bearer_or_basic(&empty, "u", &pw),
            Auth::Basic { .. }
        ));
        assert!(matches!(Auth::bearer_or_basic(&empty, "", &pw), Auth::None));
        assert!(matches!(
            Auth::bearer_or_basic(&empty, "u", &empty),
            Auth::None
        ));
    }

    #[test]
    fn a_cookie_is_sent_with_its_headers_all_sensitive_and_struck_out() {
        let ticket = Secret::new("PVE:root@pam:1::sig");
        let csrf = Secret::new("1:csrf");
        let auth = Auth::cookie("PVEAuthCookie", &ticket, [("csrfpreventiontoken", &csrf)]);
        let (name, value) = auth.header().unwrap();
        assert_eq!(
            (name, value.to_str().unwrap()),
            ("cookie", "PVEAuthCookie=PVE:root@pam:1::sig")
        );
        assert!(value.is_sensitive());
        let extra = auth.extra_headers().unwrap();
        assert_eq!(extra.len(), 1);
        assert_eq!(
            (extra[0].0, extra[0].1.to_str().unwrap()),
            ("csrfpreventiontoken", "1:csrf")
        );
        assert!(extra[0].1.is_sensitive());
        assert_eq!(
            auth.secrets(),
            [
                "PVE:root@pam:1::sig",
                "PVEAuthCookie=PVE:root@pam:1::sig",
                "1:csrf"
            ]
        );
        assert!(auth.check("power_user and power_pass").is_ok());
        let bad = Auth::cookie("c", &ticket, [("x-token", &Secret::new("a\nb"))]);
        assert_eq!(
            bad.check("power_pass").unwrap_err().code(),
            crate::ErrorCode::Settings
        );
    }

    #[test]
    fn credentials_in_the_body_send_nothing_but_are_struck_out() {
        let auth = Auth::in_body(&Secret::new("pw-1"));
        assert!(auth.header().is_none());
        assert!(auth.extra_headers().unwrap().is_empty());
        assert!(auth.check("power_pass").is_ok());
        assert_eq!(auth.secrets(), ["pw-1"]);
    }

    #[test]
    fn a_token_http_cannot_carry_is_a_settings_error_without_the_token() {
        let auth = Auth::bearer(&Secret::new("line\nbreak"));
        let error = auth.check("power_token").unwrap_err();
        assert_eq!(error.code(), crate::ErrorCode::Settings);
        assert_eq!(
            error.message(),
            "driverParameters.power_token: contains characters an HTTP header cannot carry"
        );
    }
}
