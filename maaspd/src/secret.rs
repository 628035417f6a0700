//! A password, token or key among a driver's parameters, kept out of every printout.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A secret parameter: redacted in `Debug` and `Display`, never echoed in a parsing
/// error, and `writeOnly` in the schema. Read it with [`Secret::expose`] only where it is
/// sent to the BMC.
///
/// It serialises to its value, because `probe` must hand MAAS the parameters, password
/// included: never log a serialised parameters struct.
///
/// ```
/// use maaspd::Secret;
///
/// let password = Secret::new("hunter2");
/// assert_eq!(format!("{password} {password:?}"), "[redacted] Secret([redacted])");
/// assert_eq!(password.expose(), "hunter2");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    ///
    /// ```
    /// assert!(!maaspd::Secret::new("token").is_empty());
    /// ```
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, to send to the BMC and nowhere else.
    ///
    /// ```
    /// assert_eq!(maaspd::Secret::new("s3cret").expose(), "s3cret");
    /// ```
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string (MAAS sends `""` for an unset password).
    ///
    /// ```
    /// assert!(maaspd::Secret::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `text` with the secret, wherever it occurs, shown as `[redacted]`: for a message
    /// that quotes what may hold it (an address, a tool's output). An empty secret
    /// leaves `text` as it is.
    ///
    /// ```
    /// let password = maaspd::Secret::new("hunter2");
    /// assert_eq!(password.redact("ssh://admin:hunter2@bmc"), "ssh://admin:[redacted]@bmc");
    /// assert_eq!(maaspd::Secret::default().redact("bmc"), "bmc");
    /// ```
    pub fn redact(&self, text: &str) -> String {
        match self.0.as_str() {
            "" => text.to_owned(),
            secret => text.replace(secret, "[redacted]"),
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl<'de> Deserialize<'de> for Secret {
    /// serde's own type errors quote the value (`invalid type: integer `1234``); this
    /// one names only the kind.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(value) => Ok(Secret(value)),
            other => {
                let kind = match other {
                    Value::Null => "null",
                    Value::Bool(_) => "a boolean",
                    Value::Number(_) => "a number",
                    Value::Array(_) => "an array",
                    _ => "an object",
                };
                Err(D::Error::custom(format!(
                    "invalid type: {kind}, expected a string (value not shown: it is secret)"
                )))
            }
        }
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl JsonSchema for Secret {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Secret".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "writeOnly": true})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wrong_types_do_not_echo_the_value() {
        for value in [
            json!(987654),
            json!(true),
            json!(["987654"]),
            json!({"p": "987654"}),
        ] {
            let error = serde_json::from_value::<Secret>(value.clone()).unwrap_err();
            assert!(!error.to_string().contains("987654"), "{error}");
            assert!(error.to_string().contains("expected a string"), "{error}");
        }
    }

    #[test]
    fn redact_blots_out_every_occurrence_and_nothing_else() {
        let secret = Secret::new("pw");
        assert_eq!(
            secret.redact("pw, pwpw; p w"),
            "[redacted], [redacted][redacted]; p w"
        );
        assert_eq!(secret.redact("nothing"), "nothing");
        assert_eq!(Secret::default().redact("as is"), "as is");
        assert_eq!(Secret::default().redact(""), "");
    }

    #[test]
    fn round_trips_its_value() {
        let secret: Secret = serde_json::from_value(json!("pw")).unwrap();
        assert_eq!(serde_json::to_value(&secret).unwrap(), json!("pw"));
    }

    #[test]
    fn schema_is_a_write_only_string() {
        #[derive(schemars::JsonSchema)]
        #[allow(dead_code)]
        struct Settings {
            power_pass: Secret,
        }
        let schema = schemars::schema_for!(Settings).to_value();
        assert_eq!(
            schema["properties"]["power_pass"],
            json!({"type": "string", "writeOnly": true})
        );
    }
}
