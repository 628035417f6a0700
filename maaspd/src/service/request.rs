//! A service request's body, `{"system_id", "context", "order"?}`, made into the input
//! document of the one-shot protocol, so both modes share one path to the driver.
//!
//! As MAAS's agent sends it: the top-level `system_id` is the caller's (the rack's, or
//! for `/set-boot-order` the machine's), the machine's is `context.system_id` (MAAS adds
//! it to every machine's power parameters), and `order` a list of JSON-encoded rows.

use serde_json::{Map, Value};

use crate::boot_device::parse_order;
use crate::input::machine_system_id;
use crate::{Action, Error};

/// Who the request is for, and the input document for the action.
#[derive(Debug)]
pub(super) struct Request {
    /// The machine's system_id, `context.system_id`, when the context has one.
    pub(super) machine: Option<String>,
    /// The top-level `system_id`: the rack's, for all but `/set-boot-order`.
    pub(super) caller: String,
    pub(super) document: Value,
}

/// Reads the body of a request for `action`. The messages name what is wrong but never
/// quote a value: `context` holds passwords.
pub(super) fn parse(action: Action, body: &[u8]) -> Result<Request, Error> {
    let invalid = |message: &str| Error::settings(format!("invalid request: {message}"));
    let value: Value = serde_json::from_slice(body).map_err(|error| {
        let at = format!("line {} column {}", error.line(), error.column());
        invalid(&format!("the body is not valid JSON ({at})"))
    })?;
    let Value::Object(mut fields) = value else {
        return Err(invalid(
            "the body must be a JSON object with `system_id` and `context`",
        ));
    };
    let caller = match fields.remove("system_id") {
        Some(Value::String(system_id)) if !system_id.is_empty() => system_id,
        Some(_) => return Err(invalid("`system_id` must be a non-empty string")),
        None => return Err(invalid("missing `system_id`")),
    };
    let parameters = match fields.remove("context") {
        Some(Value::Object(context)) => context,
        Some(Value::Null) => {
            return Err(invalid(
                "`context` is null: it must be the machine's driver parameters, an object",
            ));
        }
        Some(_) => return Err(invalid("`context` must be an object of driver parameters")),
        None => {
            return Err(invalid(
                "missing `context`, the machine's driver parameters",
            ));
        }
    };
    let machine = machine_system_id(&parameters);
    let mut document = Map::new();
    document.insert("driverParameters".into(), Value::Object(parameters));
    match fields.remove("order") {
        // The boot order is the caller's to get right, like `context`: a 400, not the
        // one-shot protocol's fatalError. The driver gets it in maaspd's own form.
        Some(order) if action == Action::SetBootOrder => {
            let devices = parse_order("order", &order).map_err(|why| invalid(&why))?;
            document.insert("devices".into(), serde_json::json!(devices));
        }
        None if action == Action::SetBootOrder => {
            return Err(invalid("missing `order`, the boot order as a list"));
        }
        _ => {}
    }
    Ok(Request {
        machine,
        caller,
        document: Value::Object(document),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn message(body: &str) -> String {
        parse(Action::PowerQuery, body.as_bytes())
            .unwrap_err()
            .message()
            .to_owned()
    }

    #[test]
    fn the_boot_order_is_checked_as_the_callers() {
        let error = |body: &str| {
            parse(Action::SetBootOrder, body.as_bytes())
                .unwrap_err()
                .message()
                .to_owned()
        };
        assert_eq!(
            error(r#"{"system_id": "a", "context": {}}"#),
            "invalid request: missing `order`, the boot order as a list"
        );
        assert_eq!(
            error(r#"{"system_id": "a", "context": {}, "order": ["disk", "floppy"]}"#),
            "invalid request: order[1]: a string that is neither \"network\", \"disk\" nor a \
             JSON-encoded device row"
        );
        assert_eq!(
            error(r#"{"system_id": "a", "context": {}, "order": "network"}"#),
            "invalid request: order: expected the boot order as a list, found a string"
        );
    }

    #[test]
    fn becomes_an_input_document_with_the_agents_rows() {
        // As the agent sends it (`SetBootOrder` in maasagent's power/service.go): each
        // row a JSON string; here the machine's own system_id at the top.
        let disk = json!({"id": 1, "name": "vda", "id_path": "/dev/disk/by-id/virtio-S1",
                          "size": 8589934592_u64, "block_size": 512, "tags": [],
                          "created": "2026-01-05 10:11:12+00:00", "node_config_id": 3});
        let nic = json!({"id": 2, "name": "eth0", "type": "physical",
                         "mac_address": "52:54:00:12:34:56", "params": {}, "links": []});
        let body = json!({
            "system_id": "abc123",
            "context": {"power_address": "10.0.0.5", "system_id": "abc123"},
            "order": [disk.to_string(), nic.to_string()],
        });
        let request = parse(Action::SetBootOrder, body.to_string().as_bytes()).unwrap();
        assert_eq!(request.machine.as_deref(), Some("abc123"));
        assert_eq!(request.caller, "abc123");
        assert_eq!(
            request.document,
            json!({
                "driverParameters": {"power_address": "10.0.0.5", "system_id": "abc123"},
                "devices": [
                    {"deviceType": "StorageDevice",
                     "properties": {"id_path": "/dev/disk/by-id/virtio-S1", "name": "vda"}},
                    {"deviceType": "NetworkInterface", "properties": {"mac": "52:54:00:12:34:56"}},
                ],
            })
        );
    }

    #[test]
    fn the_machine_is_the_contexts_system_id_not_the_racks() {
        let request = parse(
            Action::PowerOn,
            br#"{"system_id": "rack01", "context": {"system_id": "node42", "power_user": ""}}"#,
        )
        .unwrap();
        assert_eq!(request.machine.as_deref(), Some("node42"));
        assert_eq!(request.caller, "rack01");
        // The parameters are the machine's, untouched.
        assert_eq!(
            request.document,
            json!({"driverParameters": {"system_id": "node42", "power_user": ""}})
        );
        // Without one, no machine is named and none is made up.
        let request = parse(
            Action::PowerOn,
            br#"{"system_id": "rack01", "context": {}}"#,
        )
        .unwrap();
        assert_eq!(request.machine, None);
        assert_eq!(request.document, json!({"driverParameters": {}}));
    }

    #[test]
    fn bad_bodies_are_named_without_their_values() {
        assert_eq!(
            message(""),
            "invalid request: the body is not valid JSON (line 1 column 0)"
        );
        assert_eq!(
            message("[1]"),
            "invalid request: the body must be a JSON object with `system_id` and `context`"
        );
        assert_eq!(
            message(r#"{"context": {}}"#),
            "invalid request: missing `system_id`"
        );
        assert_eq!(
            message(r#"{"system_id": "a"}"#),
            "invalid request: missing `context`, the machine's driver parameters"
        );
        assert_eq!(
            message(r#"{"system_id": "a", "context": null}"#),
            "invalid request: `context` is null: it must be the machine's driver parameters, \
             an object"
        );
        assert_eq!(
            message(r#"{"system_id": "a", "context": "s3cret-password"}"#),
            "invalid request: `context` must be an object of driver parameters"
        );
        assert_eq!(
            message(r#"{"system_id": 7, "context": {}}"#),
            "invalid request: `system_id` must be a non-empty string"
        );
    }
}
