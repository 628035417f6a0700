//! The rules MAAS's region applies to a driver's metadata, written out from its code
//! (branch `mega-power-demo` of canonical/maas) as JSON Schema, in our own words:
//!
//! - registration (`maasservicelayer/models/power_drivers.py`, pydantic's `DriverSchema`):
//!   `name`, `description`, `version` strings; `actions` a list of `{"name": str}`;
//!   `settings` a list of objects with `name`, `label`, `field_type` strings and
//!   `required`, `secret` booleans; `capabilities` of four booleans; `ip_extractor`
//!   absent, null or `{field_name, pattern}`;
//! - the power-type list every page of MAAS builds from all registered drivers
//!   (`maasserver/clusterrpc/driver_parameters.py` `get_all_power_types` with the field
//!   schemas of `provisioningserver/drivers/__init__.py`): `capabilities.chassis` and
//!   `can_probe` present; each setting has `field_type`, `label`, `required`, and `scope`
//!   and `name` (read by `get_driver_parameters_from_json`), `default` a string, or a
//!   list for a multiple choice, `choices` a list of pairs of two different strings
//!   (`uniqueItems`), present for the choice field types (`make_form_field` reads them).
//!
//! One driver breaking the second set breaks MAAS's whole power-type list.

#![allow(dead_code)] // each test file uses its own part of this module

use serde_json::{Value, json};

fn rules() -> Value {
    let choices = json!({
        "type": "array",
        "items": {
            "type": "array",
            "minItems": 2,
            "maxItems": 2,
            "uniqueItems": true,
            "items": {"type": "string"},
        },
    });
    let setting = |default: Value| {
        json!({
            "type": "object",
            "required": ["name", "label", "field_type", "required", "scope"],
            "properties": {
                "name": {"type": "string"},
                "label": {"type": "string"},
                "field_type": {"type": "string"},
                "required": {"type": "boolean"},
                "secret": {"type": "boolean"},
                "scope": {"type": "string"},
                "choices": choices,
                "default": default,
            },
            "if": {"properties": {"field_type": {"enum": ["choice", "multiple_choice"]}}},
            "then": {"required": ["choices"]},
        })
    };
    json!({
        "type": "object",
        "required": ["name", "description", "version", "actions", "settings", "capabilities"],
        "properties": {
            "name": {"type": "string"},
            "description": {"type": "string"},
            "version": {"type": "string"},
            "actions": {"type": "array", "items": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}},
            }},
            "settings": {"type": "array", "items": {"anyOf": [
                setting(json!({"type": "string"})),
                setting(json!({"type": "array"})),
            ]}},
            "capabilities": {
                "type": "object",
                "required": ["chassis", "can_probe"],
                "properties": {
                    "queryable": {"type": "boolean"},
                    "chassis": {"type": "boolean"},
                    "can_probe": {"type": "boolean"},
                    "can_set_boot_order": {"type": "boolean"},
                },
            },
            "ip_extractor": {"anyOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": ["field_name", "pattern"],
                    "properties": {
                        "field_name": {"type": "string"},
                        "pattern": {"type": "string"},
                    },
                },
            ]},
        },
    })
}

/// What MAAS's region would refuse in `metadata`, one line per problem; empty when it
/// registers the driver and lists it among the power types.
pub fn refusals(metadata: &Value) -> Vec<String> {
    let validator = jsonschema::draft202012::new(&rules()).expect("the rules are a schema");
    validator
        .iter_errors(metadata)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect()
}
