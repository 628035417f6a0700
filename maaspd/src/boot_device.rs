//! The devices `set_boot_order` receives, read from every form MAAS and maaspd give them
//! in: one parser for the CLI's `devices` and the service's `order`.

use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};

use crate::input::kind_of;

/// One entry of the boot order handed to `set_boot_order`, first = first tried.
///
/// An entry comes in any of these forms, each read into the same variants:
///
/// - the string `"network"` or `"disk"` (the service spec's example): a class with no
///   identity, [`BootDevice::AnyNetwork`] or [`BootDevice::AnyStorage`];
/// - a string holding a JSON-encoded row of MAAS's database, as MAAS's agent sends
///   `order`, or that row as a JSON object (MAAS's older RPC path): a row with a
///   `mac_address` key is a network interface, [`BootDevice::Network`]; any other row is
///   a disk, [`BootDevice::Storage`], known by its `serial`, `id_path` and `name`
///   (whichever MAAS has: the agent's rows may have no `serial`). The row's other
///   columns (`size`, `vendor`, `links`, ...) are ignored;
/// - maaspd's own form, `{"deviceType": "NetworkInterface", "properties": {"mac": ...}}`
///   or `{"deviceType": "StorageDevice", "properties": {"serial": ..., "id_path": ...,
///   "name": ...}}` (at least one of the three).
///
/// MAC addresses are made lower case; identities lose surrounding whitespace; an empty
/// or `null` identity counts as absent. MAAS lists every interface and block device of
/// the machine, so the same device may come twice (a bridge or a VLAN has its parent's
/// MAC) and a disk may be known by its name only (a RAID or LVM device has no serial).
///
/// ```
/// use maaspd::{BootDevice, Disk};
/// use maaspd::serde_json::{from_value, json};
///
/// // As MAAS's agent sends `order`: each entry a JSON-encoded database row.
/// let order: Vec<BootDevice> = from_value(json!([
///     r#"{"id": 7, "name": "vda", "id_path": "/dev/disk/by-id/virtio-S3Z9", "size": 8}"#,
///     r#"{"id": 3, "name": "eth0", "type": "physical", "mac_address": "52:54:00:AB:CD:EF"}"#,
///     "network",
/// ]))
/// .unwrap();
///
/// let mut disk = Disk::by_id_path("/dev/disk/by-id/virtio-S3Z9");
/// disk.name = Some("vda".into());
/// assert_eq!(
///     order,
///     [
///         BootDevice::Storage(disk),
///         BootDevice::Network { mac: "52:54:00:ab:cd:ef".into() },
///         BootDevice::AnyNetwork,
///     ]
/// );
/// ```
///
/// It serialises to maaspd's own form (`"network"` and `"disk"` for the classes), which
/// it reads back. A driver matches on it with a last arm for kinds added later:
///
/// ```
/// use maaspd::BootDevice;
///
/// fn describe(device: &BootDevice) -> String {
///     match device {
///         BootDevice::Network { mac } => format!("the interface {mac}"),
///         BootDevice::Storage(disk) => match (&disk.serial, &disk.id_path, &disk.name) {
///             (Some(serial), _, _) => format!("the disk with serial {serial}"),
///             (None, Some(id_path), _) => format!("the disk at {id_path}"),
///             (None, None, name) => format!("the disk named {}", name.as_deref().unwrap_or("?")),
///         },
///         BootDevice::AnyNetwork => "the network".into(),
///         BootDevice::AnyStorage => "a local disk".into(),
///         other => format!("{other:?}"),
///     }
/// }
///
/// assert_eq!(describe(&BootDevice::AnyStorage), "a local disk");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BootDevice {
    /// Boot from the network through the interface with this MAC address.
    Network {
        /// The interface's MAC address, in lower case.
        mac: String,
    },
    /// Boot from this disk.
    Storage(Disk),
    /// Boot from the network, through whichever interface the driver picks (`"network"`).
    AnyNetwork,
    /// Boot from a local disk, whichever the driver picks (`"disk"`).
    AnyStorage,
}

/// How MAAS knows a disk: whichever of its identities MAAS has, at least one.
///
/// ```
/// let disk = maaspd::Disk::by_serial("S3Z9NB0K");
/// assert_eq!(disk.serial.as_deref(), Some("S3Z9NB0K"));
/// assert_eq!(disk.id_path, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Disk {
    /// The serial number the disk reports (MAAS's `serial`).
    pub serial: Option<String>,
    /// A stable device path the machine's commissioning saw, usually
    /// `/dev/disk/by-id/...` (MAAS's `id_path`).
    pub id_path: Option<String>,
    /// The kernel's name for the disk in the commissioning environment, such as `sda` or
    /// `vda`, which may differ from what the BMC calls it (MAAS's `name`).
    pub name: Option<String>,
}

impl Disk {
    /// A disk known by its serial number.
    ///
    /// ```
    /// assert_eq!(maaspd::Disk::by_serial("S1").serial.as_deref(), Some("S1"));
    /// ```
    pub fn by_serial(serial: impl Into<String>) -> Disk {
        Disk {
            serial: Some(serial.into()),
            id_path: None,
            name: None,
        }
    }

    /// A disk known by its `/dev/disk/by-id/...` path.
    ///
    /// ```
    /// let disk = maaspd::Disk::by_id_path("/dev/disk/by-id/virtio-S1");
    /// assert_eq!(disk.id_path.as_deref(), Some("/dev/disk/by-id/virtio-S1"));
    /// ```
    pub fn by_id_path(id_path: impl Into<String>) -> Disk {
        Disk {
            serial: None,
            id_path: Some(id_path.into()),
            name: None,
        }
    }

    /// A disk known by its kernel name only.
    ///
    /// ```
    /// assert_eq!(maaspd::Disk::by_name("sda").name.as_deref(), Some("sda"));
    /// ```
    pub fn by_name(name: impl Into<String>) -> Disk {
        Disk {
            serial: None,
            id_path: None,
            name: Some(name.into()),
        }
    }

    /// The identity to find the disk by: the surest MAAS has, its serial, else its
    /// `id_path`, else its name (the commissioning kernel's, which the BMC may not
    /// share); `None` for a disk with none of them.
    ///
    /// ```
    /// use maaspd::{Disk, DiskIdentity};
    ///
    /// let mut disk = Disk::by_name("sda");
    /// assert_eq!(disk.identity(), Some(DiskIdentity::Name("sda")));
    /// disk.serial = Some("S3Z9".into());
    /// assert_eq!(disk.identity(), Some(DiskIdentity::Serial("S3Z9")));
    /// assert_eq!(disk.identity().unwrap().to_string(), "serial S3Z9");
    /// ```
    pub fn identity(&self) -> Option<DiskIdentity<'_>> {
        match (&self.serial, &self.id_path, &self.name) {
            (Some(serial), _, _) => Some(DiskIdentity::Serial(serial)),
            (None, Some(id_path), _) => Some(DiskIdentity::IdPath(id_path)),
            (None, None, Some(name)) => Some(DiskIdentity::Name(name)),
            (None, None, None) => None,
        }
    }

    /// Whether a QEMU disk is this one, by its [`identity`](Disk::identity): the QEMU
    /// disk's `serial` (QEMU's `serial=`, libvirt's `<serial>`) is the disk's serial;
    /// or the disk's `id_path` is the `/dev/disk/by-id/` link a Linux guest's udev
    /// makes for a QEMU disk with that serial: `virtio-` and the serial cut to the 20
    /// bytes virtio-blk carries, `scsi-0QEMU_QEMU_HARDDISK_` (SCSI) or
    /// `ata-QEMU_HARDDISK_` (SATA, IDE) and the serial, spaces as underscores; or the
    /// hypervisor's `target` name for it (libvirt's `<target dev>`, `vda`) is the
    /// disk's name.
    ///
    /// ```
    /// use maaspd::Disk;
    ///
    /// let disk = Disk::by_id_path("/dev/disk/by-id/virtio-SER-0");
    /// assert!(disk.is_qemu_disk(Some("SER-0"), Some("vdb")));
    /// assert!(!disk.is_qemu_disk(Some("SER-1"), Some("vda")));
    /// assert!(Disk::by_serial("SER-0").is_qemu_disk(Some("SER-0"), None));
    /// assert!(Disk::by_name("vda").is_qemu_disk(None, Some("vda")));
    /// ```
    pub fn is_qemu_disk(&self, serial: Option<&str>, target: Option<&str>) -> bool {
        match self.identity() {
            Some(DiskIdentity::Serial(wanted)) => serial == Some(wanted),
            Some(DiskIdentity::IdPath(id_path)) => {
                serial.is_some_and(|serial| is_qemu_link(id_path, serial))
            }
            Some(DiskIdentity::Name(name)) => target == Some(name),
            None => false,
        }
    }
}

/// Whether `id_path` is a Linux guest's `/dev/disk/by-id/` link to a QEMU disk with
/// `serial` (see [`Disk::is_qemu_disk`]).
fn is_qemu_link(id_path: &str, serial: &str) -> bool {
    let serial = serial.replace(' ', "_");
    let virtio: String = serial.chars().take(20).collect();
    let link = id_path.strip_prefix("/dev/disk/by-id/").unwrap_or_default();
    link.strip_prefix("virtio-") == Some(virtio.as_str())
        || link.strip_prefix("scsi-0QEMU_QEMU_HARDDISK_") == Some(serial.as_str())
        || link.strip_prefix("ata-QEMU_HARDDISK_") == Some(serial.as_str())
}

/// One of a [`Disk`]'s identities, as [`Disk::identity`] picks it; it shows as MAAS
/// names it: `serial S3Z9`, `id_path /dev/disk/by-id/virtio-S3Z9`, `name vda`.
///
/// ```
/// use maaspd::DiskIdentity;
///
/// assert_eq!(DiskIdentity::Name("md0").to_string(), "name md0");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DiskIdentity<'a> {
    /// MAAS's `serial`.
    Serial(&'a str),
    /// MAAS's `id_path`.
    IdPath(&'a str),
    /// MAAS's `name`.
    Name(&'a str),
}

impl fmt::Display for DiskIdentity<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiskIdentity::Serial(serial) => write!(f, "serial {serial}"),
            DiskIdentity::IdPath(id_path) => write!(f, "id_path {id_path}"),
            DiskIdentity::Name(name) => write!(f, "name {name}"),
        }
    }
}

/// The words of the service spec's example order.
const NETWORK: &str = "network";
const DISK: &str = "disk";

impl BootDevice {
    /// Reads one entry in any of its forms; the error says what is wrong without
    /// repeating the entry.
    fn from_entry(entry: &Value) -> Result<BootDevice, String> {
        match entry {
            Value::String(text) => Self::from_text(text),
            Value::Object(fields) if fields.contains_key("deviceType") => {
                Self::from_own_form(fields)
            }
            Value::Object(row) => Self::from_row(row),
            other => Err(format!(
                "expected \"network\", \"disk\", a JSON-encoded device row or an object, \
                 found {}",
                kind_of(other)
            )),
        }
    }

    fn from_text(text: &str) -> Result<BootDevice, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case(NETWORK) {
            return Ok(BootDevice::AnyNetwork);
        }
        if text.eq_ignore_ascii_case(DISK) {
            return Ok(BootDevice::AnyStorage);
        }
        if !text.starts_with('{') {
            return Err(
                "a string that is neither \"network\", \"disk\" nor a JSON-encoded device row"
                    .into(),
            );
        }
        // serde_json's messages give a position, never the text.
        match serde_json::from_str(text) {
            Ok(Value::Object(row)) => Self::from_row(&row),
            Ok(other) => Err(format!(
                "the JSON-encoded row is {}, not an object",
                kind_of(&other)
            )),
            Err(error) => Err(format!("the JSON-encoded row is not valid JSON: {error}")),
        }
    }

    /// A row of MAAS's interface or block device table, or its `serialize()`.
    fn from_row(row: &Map<String, Value>) -> Result<BootDevice, String> {
        // An interface row always has the column, even when it is null: hmcz, MAAS's own
        // driver, also tells NICs from disks by it.
        if row.contains_key("mac_address") {
            return match identity(row, "mac_address", "`mac_address`")? {
                Some(mac) => Ok(BootDevice::Network {
                    mac: mac.to_ascii_lowercase(),
                }),
                None => Err("a network interface row with no MAC address".into()),
            };
        }
        disk(row, "").map(BootDevice::Storage).map_err(|missing| {
            missing.unwrap_or_else(|| {
                "neither a network interface (no `mac_address`) nor a disk (no `serial`, \
                 `id_path` or `name`)"
                    .into()
            })
        })
    }

    /// `{"deviceType": ..., "properties": {...}}`.
    fn from_own_form(fields: &Map<String, Value>) -> Result<BootDevice, String> {
        let properties = match fields.get("properties") {
            Some(Value::Object(properties)) => properties,
            Some(other) => {
                return Err(format!(
                    "`properties` must be an object, found {}",
                    kind_of(other)
                ));
            }
            None => return Err("no `properties`".into()),
        };
        match fields.get("deviceType").and_then(Value::as_str) {
            Some("NetworkInterface") => match identity(properties, "mac", "`properties.mac`")? {
                Some(mac) => Ok(BootDevice::Network {
                    mac: mac.to_ascii_lowercase(),
                }),
                None => Err("a `NetworkInterface` needs `properties.mac`".into()),
            },
            Some("StorageDevice") => disk(properties, "properties.")
                .map(BootDevice::Storage)
                .map_err(|missing| {
                    missing.unwrap_or_else(|| {
                        "a `StorageDevice` needs `properties.serial`, `properties.id_path` or \
                         `properties.name`"
                            .into()
                    })
                }),
            Some(other) => Err(format!(
                "unknown `deviceType` \"{}\": expected `NetworkInterface` or `StorageDevice`",
                other.escape_debug()
            )),
            None => Err("`deviceType` must be `NetworkInterface` or `StorageDevice`".into()),
        }
    }
}

/// A disk's identities from `fields`; `Err(None)` when it has none.
fn disk(fields: &Map<String, Value>, prefix: &str) -> Result<Disk, Option<String>> {
    let named = |key: &str| format!("`{prefix}{key}`");
    let disk = Disk {
        serial: identity(fields, "serial", &named("serial")).map_err(Some)?,
        id_path: identity(fields, "id_path", &named("id_path")).map_err(Some)?,
        name: identity(fields, "name", &named("name")).map_err(Some)?,
    };
    if disk.serial.is_none() && disk.id_path.is_none() && disk.name.is_none() {
        return Err(None);
    }
    Ok(disk)
}

/// An identity: a string, trimmed; absent, `null` and empty are `None`.
fn identity(fields: &Map<String, Value>, key: &str, named: &str) -> Result<Option<String>, String> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => {
            let text = text.trim();
            Ok((!text.is_empty()).then(|| text.to_owned()))
        }
        Some(other) => Err(format!(
            "{named} must be a string, found {}",
            kind_of(other)
        )),
    }
}

impl<'de> Deserialize<'de> for BootDevice {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let entry = Value::deserialize(deserializer)?;
        BootDevice::from_entry(&entry).map_err(D::Error::custom)
    }
}

impl Serialize for BootDevice {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let form = match self {
            BootDevice::Network { mac } => {
                json!({"deviceType": "NetworkInterface", "properties": {"mac": mac}})
            }
            BootDevice::Storage(disk) => {
                let mut properties = Map::new();
                for (key, value) in [
                    ("serial", &disk.serial),
                    ("id_path", &disk.id_path),
                    ("name", &disk.name),
                ] {
                    if let Some(value) = value {
                        properties.insert(key.into(), json!(value));
                    }
                }
                json!({"deviceType": "StorageDevice", "properties": properties})
            }
            BootDevice::AnyNetwork => json!(NETWORK),
            BootDevice::AnyStorage => json!(DISK),
        };
        form.serialize(serializer)
    }
}

/// Reads a boot order: a list of entries, each in any form [`BootDevice`] reads. An
/// error names the list as `root` and the entry (`order[2]: ...`).
pub(crate) fn parse_order(root: &str, order: &Value) -> Result<Vec<BootDevice>, String> {
    let Value::Array(entries) = order else {
        return Err(format!(
            "{root}: expected the boot order as a list, found {}",
            kind_of(order)
        ));
    };
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            BootDevice::from_entry(entry).map_err(|why| format!("{root}[{index}]: {why}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(entry: Value) -> Result<BootDevice, String> {
        BootDevice::from_entry(&entry)
    }

    fn disk(serial: Option<&str>, id_path: Option<&str>, name: Option<&str>) -> BootDevice {
        BootDevice::Storage(Disk {
            serial: serial.map(Into::into),
            id_path: id_path.map(Into::into),
            name: name.map(Into::into),
        })
    }

    /// A block device row as MAAS's Temporal worker reads it (`get_boot_order` in
    /// `maastemporalworker/workflow/deploy.py`): the table's columns, datetimes as
    /// strings, no serial (that is another table's).
    fn block_device_row() -> Value {
        json!({
            "id": 12, "created": "2026-01-05 10:11:12.123456+00:00",
            "updated": "2026-01-05 10:11:12.123456+00:00", "name": "vda",
            "id_path": "/dev/disk/by-id/virtio-SER-AMD64-0", "size": 8589934592_u64,
            "block_size": 512, "tags": ["rotary", "1rpm"], "node_config_id": 3,
        })
    }

    /// An interface row as the same worker reads it, with its `links`.
    fn interface_row() -> Value {
        json!({
            "id": 5, "created": "2026-01-05 10:11:12+00:00", "updated": "2026-01-05 10:11:12+00:00",
            "name": "enp1s0", "type": "physical", "mac_address": "52:54:00:00:01:02",
            "params": {}, "tags": null, "enabled": true, "vlan_id": 5001, "acquired": false,
            "mdns_discovery_state": false, "neighbour_discovery_state": false,
            "firmware_version": null, "product": "Virtio network device", "vendor": "Red Hat, Inc.",
            "interface_speed": 0, "link_connected": true, "link_speed": 0, "numa_node_id": 1,
            "sriov_max_vf": 0, "node_config_id": 3,
            "links": [{"id": 9, "ip": "10.0.0.5", "alloc_type": 1, "subnet_id": 2,
                       "created": "2026-01-05 10:11:12+00:00", "temp_expires_on": null}],
        })
    }

    #[test]
    fn reads_the_agents_json_encoded_rows() {
        let order = parse_order(
            "order",
            &json!([block_device_row().to_string(), interface_row().to_string()]),
        )
        .unwrap();
        assert_eq!(
            order,
            [
                disk(
                    None,
                    Some("/dev/disk/by-id/virtio-SER-AMD64-0"),
                    Some("vda")
                ),
                BootDevice::Network {
                    mac: "52:54:00:00:01:02".into()
                },
            ]
        );
    }

    #[test]
    fn reads_serialized_models_as_objects() {
        // `PhysicalBlockDevice.serialize()` and `Interface.serialize()`, MAAS's RPC path.
        let order = parse_order(
            "devices",
            &json!([
                {"id": 1, "name": "sda", "id_path": "/dev/disk/by-id/wwn-0x5000", "model": "QEMU HARDDISK", "serial": " QM00001 "},
                {"id": 2, "name": "eth0", "mac_address": "52:54:00:AB:CD:EF", "vendor": null, "product": null},
            ]),
        )
        .unwrap();
        assert_eq!(
            order,
            [
                disk(
                    Some("QM00001"),
                    Some("/dev/disk/by-id/wwn-0x5000"),
                    Some("sda")
                ),
                BootDevice::Network {
                    mac: "52:54:00:ab:cd:ef".into()
                },
            ]
        );
    }

    #[test]
    fn reads_the_specs_classes() {
        assert_eq!(
            parse_order("order", &json!(["network", "disk", " Network "])).unwrap(),
            [
                BootDevice::AnyNetwork,
                BootDevice::AnyStorage,
                BootDevice::AnyNetwork
            ]
        );
    }

    #[test]
    fn reads_its_own_form_and_ignores_extra_properties() {
        assert_eq!(
            read(
                json!({"deviceType": "StorageDevice", "properties": {"serial": "S3Z9", "size": 1}})
            ),
            Ok(BootDevice::Storage(Disk::by_serial("S3Z9")))
        );
        assert_eq!(
            read(
                json!({"deviceType": "StorageDevice", "properties": {"id_path": "/dev/x", "serial": ""}})
            ),
            Ok(BootDevice::Storage(Disk::by_id_path("/dev/x")))
        );
        assert_eq!(
            read(json!({"deviceType": "NetworkInterface", "properties": {"mac": "AA:BB"}})),
            Ok(BootDevice::Network {
                mac: "aa:bb".into()
            })
        );
    }

    #[test]
    fn empty_identities_are_absent() {
        // MAAS keeps an unknown serial as "" and a missing id_path as null.
        let row = json!({"id": 1, "name": "md0", "id_path": null, "serial": ""});
        assert_eq!(read(row), Ok(BootDevice::Storage(Disk::by_name("md0"))));
    }

    #[test]
    fn round_trips_through_its_own_form() {
        let mut both = Disk::by_serial("S1");
        both.name = Some("sda".into());
        for device in [
            BootDevice::Network { mac: "aa".into() },
            BootDevice::Storage(both),
            BootDevice::AnyNetwork,
            BootDevice::AnyStorage,
        ] {
            let json = serde_json::to_value(&device).unwrap();
            assert_eq!(serde_json::from_value::<BootDevice>(json).unwrap(), device);
        }
        assert_eq!(
            serde_json::to_value(BootDevice::Network { mac: "aa".into() }).unwrap(),
            json!({"deviceType": "NetworkInterface", "properties": {"mac": "aa"}})
        );
        assert_eq!(
            serde_json::to_value(BootDevice::AnyStorage).unwrap(),
            json!("disk")
        );
    }

    #[test]
    fn errors_name_the_entry_and_what_is_wrong() {
        let error = |order: Value| parse_order("order", &order).unwrap_err();
        assert_eq!(
            error(json!({"mac": "x"})),
            "order: expected the boot order as a list, found an object"
        );
        for (entry, message) in [
            (
                json!(5),
                "order[1]: expected \"network\", \"disk\", a JSON-encoded device row or an \
                 object, found a number",
            ),
            (
                json!("floppy"),
                "order[1]: a string that is neither \"network\", \"disk\" nor a JSON-encoded \
                 device row",
            ),
            (
                json!(r#"{"id": 1, "serial": "#),
                "order[1]: the JSON-encoded row is not valid JSON: EOF while parsing a value at \
                 line 1 column 19",
            ),
            (
                json!("{}"),
                "order[1]: neither a network interface (no `mac_address`) nor a disk (no \
                 `serial`, `id_path` or `name`)",
            ),
            (
                json!(r#"{"name": "eth0", "mac_address": null}"#),
                "order[1]: a network interface row with no MAC address",
            ),
            (
                json!({"name": "sda", "serial": 42}),
                "order[1]: `serial` must be a string, found a number",
            ),
            (
                json!({"deviceType": "Floppy", "properties": {}}),
                "order[1]: unknown `deviceType` \"Floppy\": expected `NetworkInterface` or \
                 `StorageDevice`",
            ),
            (
                json!({"deviceType": "NetworkInterface", "properties": {}}),
                "order[1]: a `NetworkInterface` needs `properties.mac`",
            ),
            (
                json!({"deviceType": "StorageDevice", "properties": {"model": "x"}}),
                "order[1]: a `StorageDevice` needs `properties.serial`, `properties.id_path` \
                 or `properties.name`",
            ),
            (
                json!({"deviceType": "StorageDevice", "properties": {"id_path": ["x"]}}),
                "order[1]: `properties.id_path` must be a string, found an array",
            ),
            (
                json!({"deviceType": "StorageDevice"}),
                "order[1]: no `properties`",
            ),
        ] {
            assert_eq!(error(json!(["disk", entry])), message, "{entry}");
        }
    }

    #[test]
    fn errors_never_repeat_the_row() {
        let row = json!({"name": "sda", "serial": {"secret": "hunter2"}}).to_string();
        let message = parse_order("order", &json!([row])).unwrap_err();
        assert!(!message.contains("hunter2"), "{message}");
        let message = parse_order("order", &json!(["{\"hunter2\" x"])).unwrap_err();
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn identity_is_the_surest_maas_has() {
        let mut disk = Disk::by_name("vda");
        assert_eq!(disk.identity(), Some(DiskIdentity::Name("vda")));
        disk.id_path = Some("/dev/disk/by-id/virtio-S1".into());
        assert_eq!(
            disk.identity(),
            Some(DiskIdentity::IdPath("/dev/disk/by-id/virtio-S1"))
        );
        disk.serial = Some("S1".into());
        assert_eq!(disk.identity(), Some(DiskIdentity::Serial("S1")));
        assert_eq!(DiskIdentity::IdPath("/dev/x").to_string(), "id_path /dev/x");
        disk.serial = None;
        disk.id_path = None;
        disk.name = None;
        assert_eq!(disk.identity(), None);
        assert!(!disk.is_qemu_disk(Some("S1"), Some("vda")));
    }

    #[test]
    fn a_qemu_disk_is_found_by_the_surest_identity_only() {
        // A serial decides alone: the name is not looked at.
        let mut disk = Disk::by_serial("S1");
        disk.name = Some("vda".into());
        assert!(disk.is_qemu_disk(Some("S1"), Some("vdb")));
        assert!(!disk.is_qemu_disk(Some("S2"), Some("vda")));
        assert!(!disk.is_qemu_disk(None, Some("vda")));
        // A name only: the target.
        assert!(Disk::by_name("vda").is_qemu_disk(Some("S1"), Some("vda")));
        assert!(!Disk::by_name("vda").is_qemu_disk(Some("vda"), Some("sda")));
    }

    #[test]
    fn id_paths_are_the_links_udev_makes_for_qemu_disks() {
        let by_id = |link: &str, serial: Option<&str>| {
            Disk::by_id_path(format!("/dev/disk/by-id/{link}")).is_qemu_disk(serial, None)
        };
        assert!(by_id("virtio-SER-0", Some("SER-0")));
        assert!(by_id("scsi-0QEMU_QEMU_HARDDISK_SER-0", Some("SER-0")));
        assert!(by_id("ata-QEMU_HARDDISK_SER-0", Some("SER-0")));
        // Spaces are underscores; virtio-blk carries 20 bytes of the serial.
        assert!(by_id("ata-QEMU_HARDDISK_A_B", Some("A B")));
        let long = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        assert!(by_id("virtio-ABCDEFGHIJKLMNOPQRST", Some(long)));
        assert!(!by_id(&format!("virtio-{long}"), Some(long)));
        assert!(by_id(
            &format!("scsi-0QEMU_QEMU_HARDDISK_{long}"),
            Some(long)
        ));
        // Another serial, no serial, another directory, another maker.
        assert!(!by_id("virtio-SER-1", Some("SER-0")));
        assert!(!by_id("virtio-SER-0", None));
        assert!(
            !Disk::by_id_path("/dev/disk/by-path/virtio-SER-0").is_qemu_disk(Some("SER-0"), None)
        );
        assert!(!by_id("ata-Samsung_SSD_SER-0", Some("SER-0")));
    }

    #[test]
    fn deserialize_reads_every_form_and_reports_through_serde() {
        let error = serde_json::from_value::<Vec<BootDevice>>(json!(["disk", "cdrom"]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "a string that is neither \"network\", \"disk\" nor a JSON-encoded device row"
        );
    }
}
