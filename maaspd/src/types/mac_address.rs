//! A MAC address setting, MAAS's `mac_address` field type.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A MAC address, as MAAS's forms take one (`mac_address` in the metadata): six bytes
/// in hex, separated by `:` or `-` or not at all, in any letter case; kept and shown in
/// lower case with colons, as MAAS shows them.
///
/// ```
/// use maaspd::types::MacAddress;
///
/// let mac: MacAddress = "52-54-00-AB-CD-EF".parse().unwrap();
/// assert_eq!(mac.to_string(), "52:54:00:ab:cd:ef");
/// assert_eq!(mac.octets(), [0x52, 0x54, 0x00, 0xab, 0xcd, 0xef]);
/// let error = "52:54:00".parse::<MacAddress>().unwrap_err();
/// assert_eq!(error, "not a MAC address: expected six bytes in hex, such as 52:54:00:ab:cd:ef");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MacAddress([u8; 6]);

impl MacAddress {
    /// The address from its six bytes.
    ///
    /// ```
    /// let mac = maaspd::types::MacAddress::new([0x52, 0x54, 0, 0, 0, 1]);
    /// assert_eq!(mac.to_string(), "52:54:00:00:00:01");
    /// ```
    pub fn new(octets: [u8; 6]) -> MacAddress {
        MacAddress(octets)
    }

    /// Its six bytes.
    ///
    /// ```
    /// let mac: maaspd::types::MacAddress = "525400000001".parse().unwrap();
    /// assert_eq!(mac.octets()[5], 1);
    /// ```
    pub fn octets(&self) -> [u8; 6] {
        self.0
    }
}

const EXPECTED: &str = "not a MAC address: expected six bytes in hex, such as 52:54:00:ab:cd:ef";

impl FromStr for MacAddress {
    type Err = &'static str;

    fn from_str(text: &str) -> Result<MacAddress, &'static str> {
        let text = text.trim();
        let digits: String = match text.len() {
            12 => text.to_owned(),
            17 => {
                let separator = text.as_bytes()[2];
                if !matches!(separator, b':' | b'-') {
                    return Err(EXPECTED);
                }
                let groups: Vec<&str> = text.split(separator as char).collect();
                if groups.len() != 6 || groups.iter().any(|group| group.len() != 2) {
                    return Err(EXPECTED);
                }
                groups.concat()
            }
            _ => return Err(EXPECTED),
        };
        let mut octets = [0; 6];
        for (octet, pair) in octets.iter_mut().zip(digits.as_bytes().chunks(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| EXPECTED)?;
            *octet = u8::from_str_radix(pair, 16).map_err(|_| EXPECTED)?;
        }
        Ok(MacAddress(octets))
    }
}

impl fmt::Display for MacAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

impl<'de> Deserialize<'de> for MacAddress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<MacAddress, D::Error> {
        let text = Cow::<str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for MacAddress {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl JsonSchema for MacAddress {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "MacAddress".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^[0-9A-Fa-f]{2}([:-]?[0-9A-Fa-f]{2}){5}$",
            "x-maas-field-type": "mac_address",
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::MacAddress;
    use crate::metadata::FieldType;

    /// A machine's NIC, as a chassis driver's node setting.
    #[crate::parameters(crate = "crate")]
    #[derive(Debug)]
    struct Node {
        /// MAC address of the machine's boot NIC
        mac: MacAddress,
    }

    #[test]
    fn its_field_type_is_maas_mac_address_and_its_text_is_checked() {
        let schema = schemars::schema_for!(Node).to_value();
        let settings = crate::metadata::setting::from_schema(&schema);
        assert_eq!(settings[0].field_type, FieldType::MacAddress);
        assert_eq!(settings[0].label, "MAC address of the machine's boot NIC");
        let node: Node = serde_json::from_value(json!({"mac": "52:54:00:AB:cd:01"})).unwrap();
        assert_eq!(json!(node.mac), json!("52:54:00:ab:cd:01"));
        for bad in [
            "",
            "52:54:00:ab:cd",
            "52:54-00:ab:cd:01",
            "zz:54:00:ab:cd:01",
            "52:54:00:ab:cd:01:02",
        ] {
            assert!(bad.parse::<MacAddress>().is_err(), "{bad:?}");
        }
        let error = serde_json::from_value::<Node>(json!({"mac": "nope"})).unwrap_err();
        assert!(
            error.to_string().starts_with("not a MAC address"),
            "{error}"
        );
    }
}
