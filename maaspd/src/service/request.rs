//! A service request's body, `{"system_id", "context", "order"?}`, made into the input
//! document of the one-shot protocol, so both modes share one path to the driver.

use serde_json::{Map, Value, json};

use crate::{Action, BootDevice, Error};

/// The machine the request is for, and the input document for the action.
#[derive(Debug)]
pub(super) struct Request {
    pub(super) system_id: String,
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
    let system_id = match fields.remove("system_id") {
        Some(Value::String(system_id)) if !system_id.is_empty() => system_id,
        Some(_) => return Err(invalid("`system_id` must be a non-empty string")),
        None => return Err(invalid("missing `system_id`")),
    };
    let mut parameters = match fields.remove("context") {
        Some(Value::Object(context)) => context,
        Some(_) => return Err(invalid("`context` must be an object of driver parameters")),
        None => return Err(invalid("missing `context`")),
    };
    // MAAS gives every driver its machine's system_id among the parameters.
    parameters
        .entry("system_id")
        .or_insert_with(|| Value::String(system_id.clone()));
    let mut document = Map::new();
    document.insert("driverParameters".into(), Value::Object(parameters));
    match fields.remove("order") {
        // The boot order is the caller's to get right, like `context`: a 400, not the
        // one-shot protocol's fatalError.
        Some(order) if action == Action::SetBootOrder => {
            serde_path_to_error::deserialize::<_, Vec<BootDevice>>(&order).map_err(|error| {
                let at = match error.path().to_string().as_str() {
                    "." => String::new(),
                    path => path.to_owned(),
                };
                invalid(&format!("`order{at}`: {}", error.inner()))
            })?;
            document.insert("devices".into(), order);
        }
        None if action == Action::SetBootOrder => {
            return Err(invalid("missing `order`, the boot order as a list"));
        }
        _ => {}
    }
    Ok(Request {
        system_id,
        document: json!(document),
    })
}

#[cfg(test)]
mod tests {
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
            error(r#"{"system_id": "a", "context": {}, "order": [{"deviceType": "Floppy"}]}"#),
            "invalid request: `order[0].deviceType`: unknown variant `Floppy`, expected `NetworkInterface` or `StorageDevice`"
        );
    }

    #[test]
    fn becomes_an_input_document() {
        let request = parse(
            Action::SetBootOrder,
            br#"{"system_id": "abc123", "context": {"power_address": "10.0.0.5"},
                 "order": [{"deviceType": "StorageDevice", "properties": {"serial": "S1"}}]}"#,
        )
        .unwrap();
        assert_eq!(request.system_id, "abc123");
        assert_eq!(
            request.document,
            json!({
                "driverParameters": {"power_address": "10.0.0.5", "system_id": "abc123"},
                "devices": [{"deviceType": "StorageDevice", "properties": {"serial": "S1"}}],
            })
        );
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
            "invalid request: missing `context`"
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
