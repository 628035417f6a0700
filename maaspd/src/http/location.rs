//! URLs as a client shows and follows them: without their credentials in messages, and
//! a redirect's `Location` resolved against the URL that answered it (RFC 3986 §5.2,
//! without dot segments, which BMCs do not send).

use std::fmt;

use ureq::http::Uri;

/// Whether `text` starts with `http://` or `https://`, in any case.
pub(super) fn has_http_scheme(text: &str) -> bool {
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// `location` as an absolute URL, from the URL `from` that answered it.
pub(super) fn resolve(from: &Uri, location: &str) -> Option<Uri> {
    if has_http_scheme(location) {
        return location.parse().ok();
    }
    let scheme = from.scheme_str()?;
    let authority = from.authority()?;
    if let Some(rest) = location.strip_prefix("//") {
        return format!("{scheme}://{rest}").parse().ok();
    }
    let path = if location.starts_with('/') {
        location.to_owned()
    } else {
        let directory = &from.path()[..=from.path().rfind('/')?];
        format!("{directory}{location}")
    };
    format!("{scheme}://{authority}{path}").parse().ok()
}

/// Whether two URLs are on the same host (ports aside, as credentials go).
pub(super) fn same_host(a: &Uri, b: &Uri) -> bool {
    a.host()
        .zip(b.host())
        .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
}

/// A URL as messages show it: without user information or query, which may hold
/// credentials.
pub(super) struct Shown<'a>(pub(super) &'a Uri);

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

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(text: &str) -> Uri {
        text.parse().unwrap()
    }

    #[test]
    fn locations_resolve_as_rfc_3986_says() {
        let from = uri("https://bmc:8443/redfish/v1/Systems/1?x=1");
        let cases = [
            (
                "/redfish/v1/Systems/2",
                "https://bmc:8443/redfish/v1/Systems/2",
            ),
            ("2/", "https://bmc:8443/redfish/v1/Systems/2/"),
            ("HTTP://other/x", "http://other/x"),
            ("//other:1/y", "https://other:1/y"),
        ];
        for (location, expected) in cases {
            assert_eq!(resolve(&from, location), Some(uri(expected)), "{location}");
        }
    }

    #[test]
    fn shown_urls_hold_no_credentials() {
        let url = uri("https://user:pw@bmc:8443/on?token=abc");
        assert_eq!(Shown(&url).to_string(), "https://bmc:8443/on");
    }

    #[test]
    fn hosts_compare_without_case_or_port() {
        assert!(same_host(&uri("http://BMC:1/a"), &uri("https://bmc/b")));
        assert!(!same_host(&uri("http://bmc/a"), &uri("http://other/a")));
    }
}
