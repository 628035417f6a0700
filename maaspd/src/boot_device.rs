//! The devices `set_boot_order` receives.

use serde::{Deserialize, Serialize};

/// One entry of the boot order handed to `set_boot_order`, first = first tried.
///
/// In the input document each is `{"deviceType": ..., "properties": {...}}`; properties
/// other than the one named here are ignored.
///
/// ```
/// use maaspd::BootDevice;
/// use maaspd::serde_json::{from_value, json};
///
/// let device: BootDevice = from_value(json!(
///     {"deviceType": "NetworkInterface", "properties": {"mac": "52:54:00:12:34:56"}}
/// )).unwrap();
/// assert_eq!(device, BootDevice::Network { mac: "52:54:00:12:34:56".into() });
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "deviceType", content = "properties")]
pub enum BootDevice {
    /// Boot from the network through the interface with this MAC address.
    #[serde(rename = "NetworkInterface")]
    Network {
        /// The interface's MAC address.
        mac: String,
    },
    /// Boot from the disk with this serial number.
    #[serde(rename = "StorageDevice")]
    Storage {
        /// The disk's serial number.
        serial: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_storage_device_and_ignores_extra_properties() {
        let device: BootDevice = serde_json::from_value(json!(
            {"deviceType": "StorageDevice", "properties": {"serial": "S3Z9", "size": 1}}
        ))
        .unwrap();
        assert_eq!(
            device,
            BootDevice::Storage {
                serial: "S3Z9".into()
            }
        );
    }

    #[test]
    fn rejects_unknown_device_type() {
        let error = serde_json::from_value::<BootDevice>(json!(
            {"deviceType": "Floppy", "properties": {}}
        ))
        .unwrap_err();
        assert!(
            error.to_string().contains("unknown variant `Floppy`"),
            "{error}"
        );
    }

    #[test]
    fn round_trips() {
        let device = BootDevice::Network { mac: "aa".into() };
        let json = serde_json::to_value(&device).unwrap();
        assert_eq!(
            json,
            json!({"deviceType": "NetworkInterface", "properties": {"mac": "aa"}})
        );
    }
}
