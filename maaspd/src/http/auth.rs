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
}

impl Auth {
    /// Basic auth with `user` and `password`.
    pub fn basic(user: impl Into<String>, password: &Secret) -> Auth {
        Auth::Basic {
            user: user.into(),
            password: password.clone(),
        }
    }

    /// A bearer token.
    pub fn bearer(token: &Secret) -> Auth {
        Auth::Bearer(token.clone())
    }

    /// MAAS's webhook rule: the token when one is set, else basic auth when both the
    /// user and the password are, else nothing.
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
    pub fn describe(&self) -> String {
        match self {
            Auth::None => "no credentials".to_owned(),
            Auth::Basic { .. } => "basic auth".to_owned(),
            Auth::Bearer(_) => "the bearer token".to_owned(),
            Auth::Header { name, .. } => format!("the {name} header"),
        }
    }

    /// The header to send, its value marked sensitive (kept out of ureq's logs).
    pub(super) fn header(&self) -> Option<(&'static str, HeaderValue)> {
        let (name, value) = match self {
            Auth::None => return None,
            Auth::Basic { user, password } => {
                let pair = format!("{user}:{}", password.expose());
                let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
                ("authorization", format!("Basic {encoded}"))
            }
            Auth::Bearer(token) => ("authorization", format!("Bearer {}", token.expose())),
            Auth::Header { name, value } => (*name, value.expose().to_owned()),
        };
        let mut value = HeaderValue::try_from(value).ok()?;
        value.set_sensitive(true);
        Some((name, value))
    }

    /// A `settingsError` naming `settings` when the credentials cannot travel in a
    /// header.
    pub(super) fn check(&self, settings: &str) -> Result<()> {
        if matches!(self, Auth::None) || self.header().is_some() {
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
        };
        let sent = self
            .header()
            .and_then(|(_, value)| Some(value.to_str().ok()?.rsplit(' ').next()?.to_owned()));
        [Some(secret.expose().to_owned()), sent]
            .into_iter()
            .flatten()
            .filter(|text| !text.is_empty())
            .collect()
    }
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
