//! An IP address setting, MAAS's `ip_address` field type.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An IPv4 or IPv6 address, as MAAS's forms take one (`ip_address` in the metadata).
///
/// ```
/// use maaspd::types::IpAddress;
///
/// let bmc: IpAddress = "10.0.0.5".parse().unwrap();
/// assert!(bmc.ip().is_ipv4());
/// assert_eq!("fe80::1".parse::<IpAddress>().unwrap().to_string(), "fe80::1");
/// assert_eq!(
///     "bmc.example.com".parse::<IpAddress>().unwrap_err(),
///     "not an IP address: expected IPv4 (10.0.0.5) or IPv6 (fe80::1)"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpAddress(IpAddr);

impl IpAddress {
    /// The address.
    ///
    /// ```
    /// let bmc: maaspd::types::IpAddress = "10.0.0.5".parse().unwrap();
    /// assert_eq!(bmc.ip(), std::net::IpAddr::from([10, 0, 0, 5]));
    /// ```
    pub fn ip(&self) -> IpAddr {
        self.0
    }
}

impl From<IpAddr> for IpAddress {
    fn from(ip: IpAddr) -> IpAddress {
        IpAddress(ip)
    }
}

impl FromStr for IpAddress {
    type Err = &'static str;

    fn from_str(text: &str) -> Result<IpAddress, &'static str> {
        text.trim()
            .parse()
            .map(IpAddress)
            .map_err(|_| "not an IP address: expected IPv4 (10.0.0.5) or IPv6 (fe80::1)")
    }
}

impl fmt::Display for IpAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for IpAddress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<IpAddress, D::Error> {
        let text = Cow::<str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for IpAddress {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl JsonSchema for IpAddress {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "IpAddress".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "x-maas-field-type": "ip_address"})
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::IpAddress;
    use crate::metadata::FieldType;

    /// A PDU.
    #[crate::parameters(crate = "crate")]
    #[derive(Debug)]
    struct Pdu {
        /// IP address of the PDU
        power_address: IpAddress,
    }

    #[test]
    fn its_field_type_is_maas_ip_address_and_its_text_is_checked() {
        let schema = schemars::schema_for!(Pdu).to_value();
        let settings = crate::metadata::setting::from_schema(&schema);
        assert_eq!(settings[0].field_type, FieldType::IpAddress);
        let pdu: Pdu = serde_json::from_value(json!({"power_address": " 10.0.0.9"})).unwrap();
        assert_eq!(json!(pdu.power_address), json!("10.0.0.9"));
        let error = serde_json::from_value::<Pdu>(json!({"power_address": "10.0.0"})).unwrap_err();
        assert!(
            error.to_string().starts_with("not an IP address"),
            "{error}"
        );
    }
}
