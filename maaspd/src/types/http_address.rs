//! A BMC's HTTP(S) address as operators type it in MAAS: a host, a host and port, or a
//! URL.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An `http(s)` address: `10.0.0.5`, `bmc.example.com:8443`, `fe80::1`, `[fe80::1]:8443`
/// or a URL with `http://` or `https://` and a path. Without a scheme it is `https`, and
/// without a port the scheme's (443 or 80). A user or password in it is refused: they
/// belong in settings of their own, kept secret.
///
/// ```
/// use maaspd::types::HttpAddress;
///
/// let bmc: HttpAddress = "10.0.0.5".parse().unwrap();
/// assert_eq!((bmc.scheme(), bmc.host(), bmc.port()), ("https", "10.0.0.5", 443));
/// assert_eq!(bmc.base(), "https://10.0.0.5");
///
/// let bmc: HttpAddress = "http://[fe80::1]:8080/redfish/".parse().unwrap();
/// assert_eq!((bmc.host(), bmc.port()), ("fe80::1", 8080));
/// assert_eq!(bmc.base(), "http://[fe80::1]:8080/redfish");
///
/// assert!("ftp://bmc".parse::<HttpAddress>().unwrap_err().contains("only http:// and https://"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HttpAddress {
    /// The URL with its scheme, without a trailing `/`.
    base: String,
    https: bool,
    host: String,
    port: u16,
    explicit_port: Option<u16>,
}

impl HttpAddress {
    /// `https` or `http`.
    ///
    /// ```
    /// let bmc: maaspd::types::HttpAddress = "http://bmc".parse().unwrap();
    /// assert_eq!(bmc.scheme(), "http");
    /// ```
    pub fn scheme(&self) -> &'static str {
        if self.https { "https" } else { "http" }
    }

    /// The host: a name or an IP address, without an IPv6 address's brackets.
    ///
    /// ```
    /// let bmc: maaspd::types::HttpAddress = "[fe80::1]:443".parse().unwrap();
    /// assert_eq!(bmc.host(), "fe80::1");
    /// ```
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port: the one given, else the scheme's.
    ///
    /// ```
    /// let bmc: maaspd::types::HttpAddress = "http://bmc".parse().unwrap();
    /// assert_eq!(bmc.port(), 80);
    /// ```
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port written in the address, if one was: a driver whose API has a port of its
    /// own (Proxmox's 8006) uses that one when none was written.
    ///
    /// ```
    /// let bmc: maaspd::types::HttpAddress = "pve".parse().unwrap();
    /// assert_eq!((bmc.port(), bmc.explicit_port()), (443, None));
    /// let bmc: maaspd::types::HttpAddress = "https://pve:443".parse().unwrap();
    /// assert_eq!(bmc.explicit_port(), Some(443));
    /// ```
    pub fn explicit_port(&self) -> Option<u16> {
        self.explicit_port
    }

    /// The URL to put paths after: scheme, authority and any path, without a trailing
    /// `/`.
    ///
    /// ```
    /// let bmc: maaspd::types::HttpAddress = "bmc:8443/".parse().unwrap();
    /// assert_eq!(format!("{}/redfish/v1", bmc.base()), "https://bmc:8443/redfish/v1");
    /// ```
    pub fn base(&self) -> &str {
        &self.base
    }
}

impl FromStr for HttpAddress {
    type Err = String;

    fn from_str(text: &str) -> Result<HttpAddress, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("the address is empty".into());
        }
        let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
        let url = if lower.starts_with("http://") || lower.starts_with("https://") {
            text.to_owned()
        } else if text.contains("://") {
            return Err(format!(
                "{text:?}: only http:// and https:// addresses are supported"
            ));
        } else if text.parse::<std::net::Ipv6Addr>().is_ok() {
            format!("https://[{text}]")
        } else {
            format!("https://{text}")
        };
        let not_an_address = || format!("{text:?} is not a host or an http(s) URL");
        let uri: http::Uri = url.parse().map_err(|_| not_an_address())?;
        let authority = uri.authority().ok_or_else(not_an_address)?;
        if authority.as_str().contains('@') {
            return Err("must not hold a user or password; give them in their own settings".into());
        }
        let https = uri
            .scheme_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("https"));
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        if host.is_empty() {
            return Err(not_an_address());
        }
        Ok(HttpAddress {
            base: url.trim_end_matches('/').to_owned(),
            https,
            host: host.to_owned(),
            port: authority.port_u16().unwrap_or(if https { 443 } else { 80 }),
            explicit_port: authority.port_u16(),
        })
    }
}

impl fmt::Display for HttpAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

impl<'de> Deserialize<'de> for HttpAddress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<HttpAddress, D::Error> {
        let text = Cow::<str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for HttpAddress {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl JsonSchema for HttpAddress {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "HttpAddress".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string"})
    }
}

#[cfg(test)]
mod tests {
    use super::HttpAddress;

    #[test]
    fn hosts_ports_and_urls_as_operators_type_them() {
        for (text, base, host, port) in [
            ("10.0.0.5", "https://10.0.0.5", "10.0.0.5", 443),
            (" bmc:8443 ", "https://bmc:8443", "bmc", 8443),
            ("fe80::1", "https://[fe80::1]", "fe80::1", 443),
            ("HTTP://bmc/x/", "HTTP://bmc/x", "bmc", 80),
            (
                "https://bmc.example.com:9000/redfish",
                "https://bmc.example.com:9000/redfish",
                "bmc.example.com",
                9000,
            ),
        ] {
            let address: HttpAddress = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                (address.base(), address.host(), address.port()),
                (base, host, port)
            );
        }
    }

    #[test]
    fn what_is_not_an_http_address_is_refused_with_the_reason() {
        for (text, reason) in [
            ("", "the address is empty"),
            ("ftp://bmc", "only http:// and https://"),
            ("https://admin:pw@bmc", "must not hold a user or password"),
            ("https://", "is not a host or an http(s) URL"),
            ("bmc name", "is not a host or an http(s) URL"),
        ] {
            let error = text.parse::<HttpAddress>().unwrap_err();
            assert!(error.contains(reason), "{text:?}: {error}");
            assert!(!error.contains("pw@"), "{error}");
        }
    }
}
