//! One MAAS setting, read off one property of the parameters schema.

use serde::Serialize;
use serde_json::{Map, Value};

/// One of a driver's settings, in MAAS's form (`make_setting_field`).
///
/// ```
/// use maaspd::metadata::{FieldType, Scope, Setting};
/// # use maaspd::PowerState;
/// /// BMC settings.
/// #[maaspd::parameters]
/// struct Bmc {
///     /// Node ID
///     ///
///     /// The system's ID on the BMC.
///     #[maaspd(scope = "node")]
///     #[serde(default)]
///     node_id: String,
///     /// BMC password
///     #[serde(default)]
///     power_pass: maaspd::Secret,
/// }
/// # #[maaspd::power_driver(description = "A BMC", main = false)]
/// # impl Bmc {
/// #   fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::On) }
/// # }
/// let settings = maaspd::metadata::Metadata::of::<Bmc>().settings;
/// assert_eq!(settings[0].scope, Scope::Node);
/// assert!(!settings[0].required);
/// assert_eq!(settings[1].field_type, FieldType::Password);
/// assert!(settings[1].secret);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Setting {
    /// The key in `driverParameters`.
    pub name: String,
    /// The short label MAAS shows: the doc comment's title, else its first line.
    pub label: String,
    /// How MAAS shows and checks the value.
    pub field_type: FieldType,
    /// Whether the setting must be given, or, with `#[maaspd(required)]`, must have a
    /// value (MAAS marks some settings that have a default required).
    pub required: bool,
    /// Whether the value belongs to the BMC or to one machine behind it.
    pub scope: Scope,
    /// Whether the value is a password, token or key.
    pub secret: bool,
    /// The default value as MAAS keeps it: for a `multiple_choice` the list of chosen
    /// values (`[]` when there is none), for every other field type a string (`""`
    /// when there is none; a number or a boolean in its text form, `"623"`, `"true"`).
    pub default: Value,
    /// `[value, label]` pairs, for `choice` and `multiple_choice`. The two always
    /// differ, as MAAS's choice schema requires (`uniqueItems`): the label is the
    /// variant's doc comment (its title, else its first line); when that is missing or
    /// the same as the value, the value made readable (`power_cycle` → `Power cycle`),
    /// and when even that is the same (`LAN`, `17`), the value followed by ` (value)`;
    /// an empty value without a label reads `(none)`. `#[maaspd::parameters]` refuses
    /// a choice enum whose variant has no doc comment or one that only repeats its value,
    /// so these fall-backs serve enums that derive their schema by hand.
    pub choices: Vec<[String; 2]>,
}

/// MAAS's field types.
///
/// ```
/// use maaspd::metadata::FieldType;
/// assert_eq!(maaspd::serde_json::json!(FieldType::MacAddress), "mac_address");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FieldType {
    /// Free text (also numbers: MAAS has no number field).
    String,
    /// One of `choices`.
    Choice,
    /// Several of `choices`.
    MultipleChoice,
    /// Hidden text.
    Password,
    /// An IP address.
    IpAddress,
    /// A MAC address.
    MacAddress,
}

/// Where a setting's value lives.
///
/// ```
/// use maaspd::metadata::Scope;
/// assert_eq!(maaspd::serde_json::json!(Scope::Node), "node");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Scope {
    /// Shared by every machine behind the BMC.
    Bmc,
    /// Proper to one machine (`#[maaspd(scope = "node")]`).
    Node,
}

/// The settings of a parameters schema, in the order of its properties.
pub(crate) fn from_schema(schema: &Value) -> Vec<Setting> {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema["properties"].as_object() else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, property)| {
            let property = resolve(schema, property);
            let own_choices = choices(&property);
            let items = property
                .get("items")
                .map(|items| resolve(schema, items))
                .unwrap_or_default();
            let item_choices = choices(&items);
            let secret = property.get("writeOnly") == Some(&Value::Bool(true));
            let field_type = match property.get("x-maas-field-type").and_then(Value::as_str) {
                Some(declared) => field_type(declared),
                None if secret => FieldType::Password,
                None if !own_choices.is_empty() => FieldType::Choice,
                None if !item_choices.is_empty() => FieldType::MultipleChoice,
                None => FieldType::String,
            };
            Setting {
                name: name.clone(),
                label: label(name, &property),
                field_type,
                required: required.contains(&name.as_str())
                    || property.get("x-maas-required") == Some(&Value::Bool(true)),
                scope: match property.get("x-maas-scope").and_then(Value::as_str) {
                    Some("node") => Scope::Node,
                    _ => Scope::Bmc,
                },
                secret,
                default: default(property.get("default"), field_type),
                choices: if own_choices.is_empty() {
                    item_choices
                } else {
                    own_choices
                },
            }
        })
        .collect()
}

/// The property with `$ref` followed, and an `Option`'s null branch dropped; its own
/// keys (doc comment, default) win over the referenced definition's.
fn resolve(root: &Value, property: &Value) -> Map<String, Value> {
    let mut own = property.as_object().cloned().unwrap_or_default();
    for combinator in ["anyOf", "oneOf"] {
        let Some(branches) = own.get(combinator).and_then(Value::as_array) else {
            continue;
        };
        let not_null: Vec<&Value> = branches
            .iter()
            .filter(|branch| branch.get("type") != Some(&Value::from("null")))
            .collect();
        if let [single] = not_null.as_slice()
            && not_null.len() < branches.len()
        {
            let branch = resolve(root, single);
            own.remove(combinator);
            for (key, value) in branch {
                own.entry(key).or_insert(value);
            }
        }
    }
    if let Some(reference) = own.remove("$ref").as_ref().and_then(Value::as_str) {
        let target = reference
            .strip_prefix("#/")
            .map(|path| path.split('/').fold(root, |value, key| &value[key]))
            .unwrap_or(&Value::Null);
        for (key, value) in resolve(root, target) {
            own.entry(key).or_insert(value);
        }
    }
    own
}

/// `enum: [...]`, or `oneOf` of `const`s with their doc comments as labels.
fn choices(schema: &Map<String, Value>) -> Vec<[String; 2]> {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .filter(|value| !value.is_null())
            .map(|value| choice(as_text(value), None))
            .collect();
    }
    let Some(branches) = schema.get("oneOf").and_then(Value::as_array) else {
        return Vec::new();
    };
    let consts: Vec<[String; 2]> = branches
        .iter()
        .filter_map(|branch| {
            let value = as_text(branch.get("const")?);
            let doc = ["title", "description"]
                .iter()
                .find_map(|key| branch.get(*key).and_then(Value::as_str))
                .and_then(|text| text.lines().next());
            Some(choice(value, doc))
        })
        .collect();
    if consts.len() == branches.len() {
        consts
    } else {
        Vec::new()
    }
}

/// A `[value, label]` pair whose two strings differ (see [`Setting::choices`]).
fn choice(value: String, doc: Option<&str>) -> [String; 2] {
    let doc = doc
        .map(str::trim)
        .filter(|doc| !doc.is_empty() && *doc != value);
    let label = match doc {
        Some(doc) => doc.to_owned(),
        None if value.is_empty() => "(none)".to_owned(),
        None => {
            let readable = readable(&value);
            if readable == value {
                format!("{value} (value)")
            } else {
                readable
            }
        }
    };
    [value, label]
}

/// `power_cycle` → `Power cycle`: separators as spaces, the first letter capital.
fn readable(value: &str) -> String {
    let spaced = value.replace(['_', '-'], " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

fn label(name: &str, property: &Map<String, Value>) -> String {
    let from_title = property.get("title").and_then(Value::as_str);
    let from_description = property
        .get("description")
        .and_then(Value::as_str)
        .and_then(|text| text.lines().next());
    from_title
        .or(from_description)
        .unwrap_or(name)
        .trim()
        .to_owned()
}

fn field_type(declared: &str) -> FieldType {
    match declared {
        "choice" => FieldType::Choice,
        "multiple_choice" => FieldType::MultipleChoice,
        "password" => FieldType::Password,
        "ip_address" => FieldType::IpAddress,
        "mac_address" => FieldType::MacAddress,
        // `#[maaspd(field_type = ...)]` accepts only MAAS's names.
        _ => FieldType::String,
    }
}

/// A default as MAAS keeps it for `field_type`: a list of texts for a multiple choice
/// (MAAS's multiple-choice field schema), text for everything else.
fn default(value: Option<&Value>, field_type: FieldType) -> Value {
    let texts = |items: &[Value]| -> Vec<String> { items.iter().map(as_text).collect() };
    match (field_type, value) {
        (FieldType::MultipleChoice, Some(Value::Array(items))) => Value::from(texts(items)),
        (FieldType::MultipleChoice, None | Some(Value::Null)) => Value::Array(Vec::new()),
        (FieldType::MultipleChoice, Some(single)) => Value::from(vec![as_text(single)]),
        (_, Some(Value::Array(items))) => Value::from(texts(items).join(",")),
        (_, Some(value)) => Value::from(as_text(value)),
        (_, None) => Value::from(""),
    }
}

/// MAAS keeps defaults and choices as strings.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_property_of_each_kind() {
        let schema = json!({
            "type": "object",
            "required": ["address"],
            "properties": {
                "address": {"type": "string", "title": "BMC address", "description": "Where."},
                "mode": {"$ref": "#/$defs/Mode", "description": "Off mode", "default": "hard"},
                "verify": {"anyOf": [{"$ref": "#/$defs/YesNo"}, {"type": "null"}]},
                "pass": {"type": "string", "writeOnly": true},
                "mac": {"type": "string", "x-maas-field-type": "mac_address", "x-maas-scope": "node"},
                "port": {"type": "integer", "default": 623, "x-maas-required": true},
                "features": {"type": "array", "items": {"enum": ["a", "b"]}, "default": ["b"]},
            },
            "$defs": {
                "Mode": {"oneOf": [
                    {"const": "soft", "description": "Ask the OS"},
                    {"const": "hard"},
                ]},
                "YesNo": {"type": "string", "enum": ["n", "y"]},
            },
        });
        let settings = from_schema(&schema);
        let names: Vec<_> = settings.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "address", "mode", "verify", "pass", "mac", "port", "features"
            ]
        );
        let [address, mode, verify, pass, mac, port, features] = &settings[..] else {
            unreachable!()
        };
        assert_eq!(
            (address.label.as_str(), address.required),
            ("BMC address", true)
        );
        assert_eq!(mode.field_type, FieldType::Choice);
        assert_eq!(mode.default, json!("hard"));
        assert_eq!(mode.label, "Off mode");
        assert_eq!(
            mode.choices,
            [
                ["soft".to_string(), "Ask the OS".to_string()],
                ["hard".to_string(), "Hard".to_string()]
            ]
        );
        assert_eq!(verify.field_type, FieldType::Choice);
        assert_eq!(verify.choices.len(), 2);
        assert_eq!(verify.label, "verify");
        assert_eq!((pass.field_type, pass.secret), (FieldType::Password, true));
        assert_eq!(
            (mac.field_type, mac.scope),
            (FieldType::MacAddress, Scope::Node)
        );
        assert_eq!(
            (port.field_type, port.default.as_str().unwrap()),
            (FieldType::String, "623")
        );
        assert!(port.required, "x-maas-required");
        assert_eq!(features.field_type, FieldType::MultipleChoice);
        assert_eq!(features.default, json!(["b"]));
        assert_eq!(address.default, json!(""));
    }

    #[test]
    fn every_choice_has_a_label_that_differs_from_its_value() {
        let pair = |value: &str, doc: Option<&str>| choice(value.to_owned(), doc);
        assert_eq!(
            pair("soft", Some("Soft power off")),
            ["soft", "Soft power off"]
        );
        assert_eq!(pair("soft", None), ["soft", "Soft"]);
        assert_eq!(pair("soft", Some("soft")), ["soft", "Soft"]);
        assert_eq!(
            pair("power_cycle", Some(" ")),
            ["power_cycle", "Power cycle"]
        );
        assert_eq!(pair("LAN", None), ["LAN", "LAN (value)"]);
        assert_eq!(pair("17", Some("17")), ["17", "17 (value)"]);
        assert_eq!(pair("", None), ["", "(none)"]);
        assert_eq!(
            pair("", Some("FreeIPMI's default")),
            ["", "FreeIPMI's default"]
        );
    }

    #[test]
    fn a_multi_line_variant_doc_gives_its_first_line() {
        let schema = json!({"oneOf": [
            {"const": "a", "description": "First line\nmore text"},
            {"const": "b"},
        ]});
        assert_eq!(
            choices(schema.as_object().unwrap()),
            [["a", "First line"], ["b", "B"]]
        );
    }

    #[test]
    fn defaults_take_the_form_of_their_field_type() {
        use FieldType::*;
        let cases = [
            (String, None, json!("")),
            (String, Some(json!(null)), json!("")),
            (String, Some(json!(623)), json!("623")),
            (String, Some(json!(true)), json!("true")),
            (Choice, Some(json!("hard")), json!("hard")),
            (MultipleChoice, None, json!([])),
            (MultipleChoice, Some(json!(null)), json!([])),
            (MultipleChoice, Some(json!(["a", 2])), json!(["a", "2"])),
            (MultipleChoice, Some(json!("a")), json!(["a"])),
            (String, Some(json!(["a", "b"])), json!("a,b")),
        ];
        for (field_type, value, expected) in cases {
            assert_eq!(
                default(value.as_ref(), field_type),
                expected,
                "{field_type:?} {value:?}"
            );
        }
    }
}
