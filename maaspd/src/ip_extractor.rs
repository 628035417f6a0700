//! How MAAS finds a BMC's IP address among a driver's settings: [`IpExtractor`] and
//! the patterns MAAS's own drivers use.

use serde::Serialize;

/// The setting that holds the BMC's address and a Python regular expression whose
/// `address` group MAAS takes from it (`re.match(pattern, value)`), as in
/// `#[power_driver(ip_extractor(field_name = "power_address", pattern = maaspd::ip_extractor::URL))]`.
///
/// ```
/// use maaspd::IpExtractor;
///
/// let extractor = IpExtractor { field_name: "power_address", pattern: maaspd::ip_extractor::IDENTITY };
/// assert_eq!(extractor.pattern, "^(?P<address>.+?)$");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IpExtractor {
    /// The setting's name, e.g. `power_address`.
    pub field_name: &'static str,
    /// A Python regular expression with an `address` group.
    pub pattern: &'static str,
}

/// The whole value is the address: `10.0.0.5`, `bmc.example.com`.
///
/// ```
/// assert!(maaspd::ip_extractor::IDENTITY.contains("(?P<address>"));
/// ```
pub const IDENTITY: &str = "^(?P<address>.+?)$";

/// The host of a URL, or of `host[:port]`: `https://admin@10.0.0.5:8443/redfish` gives
/// `10.0.0.5`, `[fe80::1]:623` gives `fe80::1`. A Python pattern (it looks around):
/// `tests/metadata.rs` checks it with Python's `re`, as MAAS applies it.
///
/// ```
/// assert!(maaspd::ip_extractor::URL.contains("(?P<address>"));
/// ```
pub const URL: &str = r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://)?(?:[^@/?#]*@)?(?:\[(?=[0-9a-fA-F]*:[0-9a-fA-F:.]*\]))?(?P<address>(?<=\[)[0-9a-fA-F:.]+(?=\])|[^\[\]/:?#]*)\]?(?::[0-9]+)?(?:[/?#].*)?$";
