//! MAAS's yes/no choice (`"y"`/`"n"`, labelled "Yes"/"No"), as its drivers declare
//! `power_verify_ssl`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A yes/no setting as MAAS's drivers declare one: a choice of `n` ("No") and `y`
/// ("Yes"), `n` by default. It reads as a `bool` with [`is_yes`](YesNo::is_yes).
///
/// ```
/// use maaspd::types::YesNo;
/// use maaspd::serde_json::{from_value, json};
///
/// /// A BMC over HTTPS.
/// #[maaspd::parameters]
/// struct Settings {
///     /// Verify SSL connections with system CA certificates
///     #[serde(default)]
///     power_verify_ssl: YesNo,
/// }
///
/// let settings: Settings = from_value(json!({"power_verify_ssl": "y"})).unwrap();
/// assert!(settings.power_verify_ssl.is_yes());
/// assert_eq!(YesNo::default(), YesNo::No);
/// assert!(from_value::<YesNo>(json!("yes")).is_err());
/// ```
// Derived directly, not with `#[parameters]`: it is a setting's type, never a driver's
// parameters. Each variant's doc comment is its label; the schema gets a line of its
// own, not this rustdoc and its example.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[schemars(title = "Yes or no", description = "MAAS's yes/no choice: `n` or `y`")]
pub enum YesNo {
    /// No
    #[default]
    #[serde(rename = "n")]
    No,
    /// Yes
    #[serde(rename = "y")]
    Yes,
}

impl YesNo {
    /// Whether the answer is yes.
    ///
    /// ```
    /// assert!(maaspd::types::YesNo::Yes.is_yes());
    /// ```
    pub fn is_yes(self) -> bool {
        self == YesNo::Yes
    }
}

impl From<YesNo> for bool {
    fn from(answer: YesNo) -> bool {
        answer.is_yes()
    }
}

impl From<bool> for YesNo {
    fn from(yes: bool) -> YesNo {
        if yes { YesNo::Yes } else { YesNo::No }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::YesNo;
    use crate::metadata::FieldType;

    /// A driver's settings with the choice, as MAAS's webhook driver declares it.
    #[crate::parameters(crate = "crate")]
    struct Https {
        /// Verify SSL connections with system CA certificates
        #[serde(default)]
        power_verify_ssl: YesNo,
    }

    #[test]
    fn it_is_maas_choice_with_its_labels_and_default() {
        let schema = schemars::schema_for!(Https).to_value();
        let settings = crate::metadata::setting::from_schema(&schema);
        let setting = &settings[0];
        assert_eq!(setting.field_type, FieldType::Choice);
        assert_eq!(json!(setting.choices), json!([["n", "No"], ["y", "Yes"]]));
        assert_eq!(setting.default, json!("n"));
    }

    #[test]
    fn it_converts_to_and_from_bool() {
        assert!(bool::from(YesNo::Yes));
        assert_eq!(YesNo::from(false), YesNo::No);
        let refused = serde_json::from_value::<YesNo>(json!("Y")).unwrap_err();
        assert!(refused.to_string().contains("unknown variant"), "{refused}");
    }
}
