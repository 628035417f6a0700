//! The input document: reading it, and taking the driver parameters and the boot
//! devices out of it, with an error that names what is wrong for every bad input.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::boot_device::parse_order;
use crate::form_values::{SettingTypes, normalise};
use crate::{BootDevice, Error, Result};

/// The INPUT argument that means standard input.
pub(crate) const STDIN: &str = "-";

/// Reads the whole input, from `path` or, for `-`, from `stdin`.
pub(crate) fn read(path: &Path, stdin: &mut dyn Read) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if path.as_os_str() == STDIN {
        stdin
            .read_to_end(&mut bytes)
            .map_err(|e| Error::settings(format!("cannot read input from stdin: {e}")))?;
    } else {
        File::open(path)
            .and_then(|mut file| file.read_to_end(&mut bytes))
            .map_err(|e| {
                Error::settings(format!("cannot read input file {}: {e}", path.display()))
            })?;
    }
    Ok(bytes)
}

/// Parses the input bytes as one JSON document.
pub(crate) fn parse(bytes: &[u8]) -> Result<Value> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Error::settings(format!("input is not valid UTF-8: {e}")))?;
    if text.trim().is_empty() {
        return Err(Error::settings(
            "input is empty: expected a JSON object with `driverParameters`",
        ));
    }
    serde_json::from_str(text).map_err(|e| Error::settings(format!("input is not valid JSON: {e}")))
}

/// The parts of an input document an action uses.
#[derive(Debug)]
pub(crate) struct Input {
    parameters: Map<String, Value>,
    devices: Option<Value>,
}

impl Input {
    /// Checks the document's shape: an object with a `driverParameters` object.
    pub(crate) fn from_document(document: Value) -> Result<Input> {
        let Value::Object(mut document) = document else {
            return Err(Error::settings(format!(
                "input must be a JSON object with `driverParameters`, found {}",
                kind_of(&document)
            )));
        };
        let parameters = match document.remove("driverParameters") {
            Some(Value::Object(parameters)) => parameters,
            Some(other) => {
                return Err(Error::settings(format!(
                    "`driverParameters` must be an object, found {}",
                    kind_of(&other)
                )));
            }
            None => return Err(Error::settings("input has no `driverParameters` object")),
        };
        Ok(Input {
            parameters,
            devices: document.remove("devices"),
        })
    }

    /// The machine these parameters are for (see [`machine_system_id`]).
    pub(crate) fn system_id(&self) -> Option<String> {
        machine_system_id(&self.parameters)
    }

    /// Deserialises `driverParameters`, read as MAAS stores them (`types` is the
    /// parameters' setting types, asked for only when needed), naming each key the type
    /// ignores through `warn`.
    pub(crate) fn parameters<P: DeserializeOwned>(
        &self,
        types: impl FnOnce() -> Arc<SettingTypes>,
        mut warn: impl FnMut(String),
    ) -> Result<P> {
        let mut ignored = |path: serde_ignored::Path<'_>| {
            let path = path.to_string();
            // MAAS adds the machine's system_id to every driver's parameters: not a
            // mistake of the operator's, so not worth a warning.
            if path == "system_id" {
                return;
            }
            // Escaped: a key is the caller's text, and a newline in it would forge a line.
            warn(format!(
                "ignoring unknown driver parameter `driverParameters.{}`",
                path.escape_debug()
            ))
        };
        // Parameters are small: a clone keeps the document intact for the caller.
        let mut parameters = self.parameters.clone();
        normalise(&mut parameters, types)?;
        let deserializer =
            serde_ignored::Deserializer::new(Value::Object(parameters), &mut ignored);
        serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let path = joined("driverParameters", e.path());
            Error::settings(format!("{path}: {}", e.inner()))
        })
    }

    /// Reads `devices`, the boot order, in any form [`BootDevice`] reads; anything wrong
    /// is a `fatalError`, as the seed wrapper reports an unknown `deviceType`.
    pub(crate) fn boot_devices(&self) -> Result<Vec<BootDevice>> {
        let devices = self.devices.as_ref().ok_or_else(|| {
            Error::fatal("input has no `devices`: set_boot_order needs the boot order as a list")
        })?;
        parse_order("devices", devices).map_err(Error::fatal)
    }
}

/// The machine a set of driver parameters is for: their `system_id`, which MAAS adds to
/// every machine's power parameters; `None` when absent, empty or not a string.
pub(crate) fn machine_system_id(parameters: &Map<String, Value>) -> Option<String> {
    parameters
        .get("system_id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

/// `root` followed by a serde_path_to_error path: `driverParameters.port`, `devices[1]`.
fn joined(root: &str, path: &serde_path_to_error::Path) -> String {
    match path.to_string().as_str() {
        "." => root.to_owned(),
        rest if rest.starts_with('[') => format!("{root}{rest}"),
        rest => format!("{root}.{rest}"),
    }
}

/// "an array", "a string", ...: for messages about a value of the wrong kind.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize, schemars::JsonSchema, PartialEq)]
    struct Params {
        address: String,
        #[serde(default)]
        port: u16,
    }

    fn types() -> Arc<SettingTypes> {
        Arc::new(SettingTypes::from_schema(
            &schemars::schema_for!(Params).to_value(),
        ))
    }

    fn input(document: Value) -> Result<Input> {
        Input::from_document(document)
    }

    fn message(result: Result<impl std::fmt::Debug>) -> String {
        let error = result.unwrap_err();
        error.message().to_owned()
    }

    #[test]
    fn parse_rejects_empty_invalid_utf8_and_invalid_json() {
        assert!(message(parse(b"  \n")).starts_with("input is empty"));
        assert!(message(parse(b"{\"a\": \"\xff\"}")).starts_with("input is not valid UTF-8"));
        assert_eq!(
            message(parse(b"{")),
            "input is not valid JSON: EOF while parsing an object at line 1 column 1"
        );
    }

    #[test]
    fn document_must_be_an_object_with_parameters_object() {
        assert_eq!(
            message(input(json!([1]))),
            "input must be a JSON object with `driverParameters`, found an array"
        );
        assert_eq!(
            message(input(json!({}))),
            "input has no `driverParameters` object"
        );
        assert_eq!(
            message(input(json!({"driverParameters": "x"}))),
            "`driverParameters` must be an object, found a string"
        );
    }

    #[test]
    fn parameter_errors_name_the_path() {
        let doc = input(json!({"driverParameters": {"address": 5}})).unwrap();
        assert_eq!(
            message(doc.parameters::<Params>(types, |_| {})),
            "driverParameters.address: invalid type: integer `5`, expected a string"
        );
        let doc = input(json!({"driverParameters": {}})).unwrap();
        assert_eq!(
            message(doc.parameters::<Params>(types, |_| {})),
            "driverParameters: missing field `address`"
        );
    }

    #[test]
    fn unknown_parameters_are_warned_about_not_rejected() {
        let doc =
            input(json!({"driverParameters": {"address": "a", "system_id": "x", "z": 1}})).unwrap();
        let mut warnings = Vec::new();
        let params: Params = doc.parameters(types, |w| warnings.push(w)).unwrap();
        assert_eq!(
            params,
            Params {
                address: "a".into(),
                port: 0
            }
        );
        assert_eq!(
            warnings,
            // Not system_id, which MAAS adds to every driver's parameters.
            ["ignoring unknown driver parameter `driverParameters.z`"]
        );
    }

    #[test]
    fn a_key_cannot_forge_a_warning_line() {
        let doc =
            input(json!({"driverParameters": {"address": "a", "x\nwarning: fake": 1}})).unwrap();
        let mut warnings = Vec::new();
        let _: Params = doc.parameters(types, |w| warnings.push(w)).unwrap();
        assert_eq!(
            warnings,
            ["ignoring unknown driver parameter `driverParameters.x\\nwarning: fake`"]
        );
    }

    #[test]
    fn boot_devices_errors_are_fatal_and_name_the_entry() {
        let doc = input(json!({"driverParameters": {}})).unwrap();
        let error = doc.boot_devices().unwrap_err();
        assert_eq!(error.code(), crate::ErrorCode::Fatal);
        let doc = input(json!({"driverParameters": {}, "devices": [
            {"deviceType": "StorageDevice", "properties": {"serial": "s"}},
            {"deviceType": "Floppy", "properties": {}},
        ]}))
        .unwrap();
        let error = doc.boot_devices().unwrap_err();
        assert_eq!(
            error.message(),
            "devices[1]: unknown `deviceType` \"Floppy\": expected `NetworkInterface` or \
             `StorageDevice`"
        );
    }

    #[test]
    fn boot_devices_come_in_every_form() {
        let doc = input(json!({"driverParameters": {}, "devices": [
            r#"{"id": 1, "name": "sda", "serial": "S1", "size": 8}"#,
            {"deviceType": "NetworkInterface", "properties": {"mac": "52:54:00:12:34:56"}},
            "network",
        ]}))
        .unwrap();
        assert_eq!(
            doc.boot_devices().unwrap(),
            [
                BootDevice::Storage({
                    let mut disk = crate::Disk::by_serial("S1");
                    disk.name = Some("sda".into());
                    disk
                }),
                BootDevice::Network {
                    mac: "52:54:00:12:34:56".into()
                },
                BootDevice::AnyNetwork,
            ]
        );
    }

    #[test]
    fn parameters_are_read_as_maas_stores_them() {
        let doc =
            input(json!({"driverParameters": {"address": "a", "port": "6230", "colour": ""}}))
                .unwrap();
        let mut warnings = Vec::new();
        let params: Params = doc.parameters(types, |w| warnings.push(w)).unwrap();
        assert_eq!(params.port, 6230);
        // An unknown key is warned about, even empty.
        assert_eq!(
            warnings,
            ["ignoring unknown driver parameter `driverParameters.colour`"]
        );
        let doc = input(json!({"driverParameters": {"address": "", "port": ""}})).unwrap();
        let params: Params = doc.parameters(types, |_| {}).unwrap();
        assert_eq!(
            params,
            Params {
                address: "".into(),
                port: 0
            }
        );
        let doc = input(json!({"driverParameters": {"address": "a", "port": "x"}})).unwrap();
        assert_eq!(
            message(doc.parameters::<Params>(types, |_| {})),
            "driverParameters.port: invalid type: string \"x\", expected u16"
        );
    }
}
