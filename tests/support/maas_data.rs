//! What MAAS hands its agent for a driver, in MAAS's shapes: a machine's power parameters
//! as `Node.get_effective_power_parameters` returns them (the request's `context`), and
//! the rows `get_boot_order` (the deploy workflow in `maastemporalworker`) reads from the
//! database for `set-boot-order`.

#![allow(dead_code)] // each test uses its own part of this module

use serde_json::{Map, Value, json};

/// A machine's power parameters as MAAS stores them: every value a string (`"623"` for a
/// number, `""` for a setting left unset), a list of strings for a multiple choice, and
/// the machine's `system_id` added, as MAAS adds it for every driver.
#[derive(Debug, Clone)]
pub struct PowerParameters {
    fields: Map<String, Value>,
}

impl PowerParameters {
    /// The parameters of machine `system_id`, none set yet.
    pub fn of_machine(system_id: &str) -> PowerParameters {
        let mut fields = Map::new();
        fields.insert("system_id".into(), json!(system_id));
        PowerParameters { fields }
    }

    /// A text or single-choice setting.
    pub fn text(mut self, name: &str, value: &str) -> PowerParameters {
        self.fields.insert(name.into(), json!(value));
        self
    }

    /// A number, which MAAS keeps as the text its form was given.
    pub fn number(self, name: &str, value: u64) -> PowerParameters {
        self.text(name, &value.to_string())
    }

    /// A setting nobody filled in: MAAS keeps the form's empty string.
    pub fn unset(self, name: &str) -> PowerParameters {
        self.text(name, "")
    }

    /// A multiple-choice setting: the list of the chosen values.
    pub fn choices(mut self, name: &str, values: &[&str]) -> PowerParameters {
        self.fields.insert(name.into(), json!(values));
        self
    }

    /// The parameters as the agent's `map[string]any` holds them.
    pub fn to_value(&self) -> Value {
        Value::Object(self.fields.clone())
    }
}

/// A physical disk of a machine.
#[derive(Debug, Clone, Copy)]
pub struct Disk<'a> {
    /// The database id of its block device.
    pub id: u64,
    /// The kernel's name, `vda`.
    pub name: &'a str,
    pub serial: &'a str,
    pub model: &'a str,
    /// Bytes.
    pub size: u64,
}

/// A network interface of a machine.
#[derive(Debug, Clone, Copy)]
pub struct Nic<'a> {
    /// The database id of the interface.
    pub id: u64,
    /// The kernel's name, `enp1s0`.
    pub name: &'a str,
    pub mac: &'a str,
    /// Its static address, the one link MAAS lists with it.
    pub ip: &'a str,
}

/// The rows `get_boot_order` returns for a machine whose boot disk is `disks[0]` and boot
/// interface `nics[0]`, in its order: the boot device of each kind first, then the
/// others of that kind, the disks first unless the machine is to boot from the network
/// (a deployment's boot order is set with `netboot` false).
pub fn boot_order_rows(disks: &[Disk], nics: &[Nic], netboot: bool) -> Vec<Value> {
    let disks = disks.iter().map(block_device_row);
    let nics = nics.iter().map(interface_row);
    if netboot {
        nics.chain(disks).collect()
    } else {
        disks.chain(nics).collect()
    }
}

/// The node config every row of the machine belongs to.
const NODE_CONFIG_ID: u64 = 41;
/// When the rows were written, as Python's `str()` of a `datetime` with a time zone (the
/// workflow stringifies every datetime before the row leaves for the agent).
const CREATED: &str = "2026-01-12 08:14:03.528710+00:00";
const UPDATED: &str = "2026-01-14 09:21:07.412345+00:00";

/// A disk's row: the columns of `maasserver_blockdevice` with those of
/// `maasserver_physicalblockdevice` (`model`, `serial`...). MAAS's `get_boot_order` on
/// branch `mega-power-demo` selects the block device table alone, which has no serial;
/// these rows carry the physical disk's columns, as the project's design describes the
/// row (`serial`, `id_path`, `name`, `size`), so that a driver can find the disk.
fn block_device_row(disk: &Disk) -> Value {
    json!({
        "id": disk.id,
        "created": CREATED,
        "updated": UPDATED,
        "name": disk.name,
        "id_path": format!("/dev/disk/by-id/virtio-{}", disk.serial),
        "size": disk.size,
        "block_size": 512,
        "tags": ["rotary"],
        "node_config_id": NODE_CONFIG_ID,
        "blockdevice_ptr_id": disk.id,
        "model": disk.model,
        "serial": disk.serial,
        "firmware_version": null,
        "numa_node_id": 3,
    })
}

/// An interface's row: the columns of `maasserver_interface`, plus `links`, the rows of
/// its static IP addresses (`ip` as text).
fn interface_row(nic: &Nic) -> Value {
    json!({
        "id": nic.id,
        "created": CREATED,
        "updated": UPDATED,
        "name": nic.name,
        "type": "physical",
        "mac_address": nic.mac,
        "params": {},
        "tags": [],
        "enabled": true,
        "vlan_id": 5001,
        "acquired": false,
        "mdns_discovery_state": false,
        "neighbour_discovery_state": false,
        "firmware_version": null,
        "product": "Virtio network device",
        "vendor": "Red Hat, Inc.",
        "interface_speed": 0,
        "link_connected": true,
        "link_speed": 0,
        "numa_node_id": 3,
        "sriov_max_vf": 0,
        "node_config_id": NODE_CONFIG_ID,
        "switch_id": null,
        "links": [{
            "id": nic.id + 100,
            "created": CREATED,
            "updated": UPDATED,
            "ip": nic.ip,
            "alloc_type": 1,
            "subnet_id": 2,
            "user_id": null,
            "lease_time": 0,
            "temp_expires_on": null,
        }],
    })
}
