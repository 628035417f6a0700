//! Settings as MAAS stores them, read as the driver's parameters type them.
//!
//! MAAS keeps a machine's power parameters as its forms give them: `"5"` for a number,
//! `""` for a setting left unset, a list for a multiple choice
//! (`get_effective_power_parameters` in `maasserver/models/node.py`). Before
//! `driverParameters` (CLI) or `context` (service) is deserialised, each top-level string
//! is read as the parameters' JSON Schema says the setting is typed:
//!
//! - a string the setting takes as it is stays (a `String`, a `Secret`, a choice
//!   renamed `""` or `"17"`);
//! - else `""` means unset: the key is removed, so serde's default applies, or it is a
//!   `settingsError` naming the setting when the setting is required;
//! - else an integer setting takes a decimal integer (`"623"`), a number setting any
//!   decimal number (`"2.5"`), a boolean `"true"` or `"false"` in any letter case
//!   (Python writes `True`);
//! - anything else is left for serde to refuse, naming the setting.
//!
//! Numbers, booleans, lists, objects and null pass through, as do keys the schema does
//! not know. The schema is only built when some value is a string that could change,
//! once per driver type in a process (`serve` reuses it).

use std::any::TypeId;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Map, Number, Value};

use crate::{Error, PowerDriver, Result};

/// How deep `$ref`s and combinators are followed; past it a setting is left alone.
const MAX_DEPTH: u8 = 16;

/// What each setting of a parameters type takes, from its JSON Schema.
#[derive(Debug, Default)]
pub(crate) struct SettingTypes {
    settings: HashMap<String, Setting>,
}

#[derive(Debug, Default, PartialEq)]
struct Setting {
    /// Every string as it is: a `string` type, or no constraint at all.
    any_string: bool,
    /// These strings only: the choices of an enum.
    strings: Vec<String>,
    integer: bool,
    number: bool,
    boolean: bool,
    required: bool,
}

/// What becomes of one string value.
#[derive(Debug, PartialEq)]
enum Reading {
    AsIs,
    Unset,
    Typed(Value),
}

impl SettingTypes {
    /// The settings of the schema `schemars` gives a parameters struct: its `properties`
    /// and `required`, and those of an `allOf` at the top (flattened fields).
    pub(crate) fn from_schema(schema: &Value) -> SettingTypes {
        let mut types = SettingTypes::default();
        types.add_properties(schema, schema, 0);
        types
    }

    fn add_properties(&mut self, schema: &Value, root: &Value, depth: u8) {
        if depth > MAX_DEPTH {
            return;
        }
        let Some(schema) = schema.as_object() else {
            return;
        };
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                let mut setting = Setting::default();
                setting.collect(property, root, 0);
                setting.required = required.contains(&name.as_str());
                self.settings.insert(name.clone(), setting);
            }
        }
        for branch in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            match resolve(branch, root) {
                Some(branch) => self.add_properties(branch, root, depth + 1),
                None => continue,
            }
        }
    }
}

/// A local `$ref` (`#/$defs/Name`) followed, or the schema itself.
fn resolve<'a>(schema: &'a Value, root: &'a Value) -> Option<&'a Value> {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference.strip_prefix('#').and_then(|at| root.pointer(at)),
        None => Some(schema),
    }
}

impl Setting {
    /// Adds what `schema` takes: the union over `$ref`, `anyOf`, `oneOf` and `allOf`
    /// (an over-approximation for `allOf`, which only ever leaves a value as it is).
    fn collect(&mut self, schema: &Value, root: &Value, depth: u8) {
        let Some(fields) = schema.as_object().filter(|_| depth <= MAX_DEPTH) else {
            // `true`, or a schema too deep to follow: take every value as it is.
            self.any_string |= schema != &Value::Bool(false);
            return;
        };
        let mut constrained = false;
        if let Some(reference) = fields.get("$ref").and_then(Value::as_str) {
            constrained = true;
            match reference.strip_prefix('#').and_then(|at| root.pointer(at)) {
                Some(target) => self.collect(target, root, depth + 1),
                None => self.any_string = true,
            }
        }
        for combinator in ["anyOf", "oneOf", "allOf"] {
            if let Some(branches) = fields.get(combinator).and_then(Value::as_array) {
                constrained = true;
                for branch in branches {
                    self.collect(branch, root, depth + 1);
                }
            }
        }
        let listed = match (fields.get("const"), fields.get("enum")) {
            (Some(value), _) => Some(std::slice::from_ref(value)),
            (None, Some(Value::Array(values))) => Some(values.as_slice()),
            _ => None,
        };
        if let Some(values) = listed {
            constrained = true;
            for value in values {
                match value {
                    Value::String(text) => self.strings.push(text.clone()),
                    Value::Number(number) if number.is_f64() => self.number = true,
                    Value::Number(_) => self.integer = true,
                    Value::Bool(_) => self.boolean = true,
                    _ => {}
                }
            }
        } else if let Some(types) = fields.get("type") {
            constrained = true;
            for name in types
                .as_array()
                .map_or_else(|| vec![types], |names| names.iter().collect())
            {
                match name.as_str() {
                    Some("string") => self.any_string = true,
                    Some("integer") => self.integer = true,
                    Some("number") => self.number = true,
                    Some("boolean") => self.boolean = true,
                    _ => {}
                }
            }
        }
        // A schema of annotations only takes anything.
        self.any_string |= !constrained;
    }

    fn read(&self, text: &str) -> Reading {
        if self.any_string || self.strings.iter().any(|choice| choice == text) {
            return Reading::AsIs;
        }
        if text.is_empty() {
            return Reading::Unset;
        }
        if self.integer || self.number {
            if let Ok(integer) = text.parse::<u64>() {
                return Reading::Typed(integer.into());
            }
            if let Ok(integer) = text.parse::<i64>() {
                return Reading::Typed(integer.into());
            }
        }
        if self.number
            && looks_numeric(text)
            && let Some(number) = text.parse::<f64>().ok().and_then(Number::from_f64)
        {
            return Reading::Typed(Value::Number(number));
        }
        if self.boolean {
            for value in [true, false] {
                if text.eq_ignore_ascii_case(if value { "true" } else { "false" }) {
                    return Reading::Typed(Value::Bool(value));
                }
            }
        }
        Reading::AsIs
    }
}

/// Whether a string could be read differently from how it is written: only then is the
/// schema needed.
fn could_change(text: &str) -> bool {
    text.is_empty()
        || looks_numeric(text)
        || text.eq_ignore_ascii_case("true")
        || text.eq_ignore_ascii_case("false")
}

/// Decimal notation only: Rust's float parser also takes `inf` and `NaN`.
fn looks_numeric(text: &str) -> bool {
    text.bytes().any(|byte| byte.is_ascii_digit())
        && text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || b"+-.eE".contains(&byte))
}

/// Reads `parameters` as MAAS stores them (see the module's documentation); `types` is
/// called only when some value needs it.
pub(crate) fn normalise(
    parameters: &mut Map<String, Value>,
    types: impl FnOnce() -> Arc<SettingTypes>,
) -> Result<()> {
    let needed = parameters
        .values()
        .any(|value| matches!(value, Value::String(text) if could_change(text)));
    if !needed {
        return Ok(());
    }
    let types = types();
    let mut unset = Vec::new();
    for (name, value) in parameters.iter_mut() {
        let (Value::String(text), Some(setting)) = (&*value, types.settings.get(name)) else {
            continue;
        };
        match setting.read(text) {
            Reading::AsIs => {}
            Reading::Unset if setting.required => {
                return Err(Error::settings(format!(
                    "driverParameters.{name}: is empty, and this setting is required"
                )));
            }
            Reading::Unset => unset.push(name.clone()),
            Reading::Typed(typed) => *value = typed,
        }
    }
    // `retain` keeps the other keys in order, for the warnings about unknown ones.
    parameters.retain(|name, _| !unset.contains(name));
    Ok(())
}

/// The setting types of `D`'s parameters, built once per process.
pub(crate) fn setting_types_of<D: PowerDriver>() -> Arc<SettingTypes> {
    static BUILT: Mutex<BTreeMap<TypeId, Arc<SettingTypes>>> = Mutex::new(BTreeMap::new());
    let key = TypeId::of::<D>();
    let built = |map: &BTreeMap<TypeId, Arc<SettingTypes>>| map.get(&key).cloned();
    if let Some(types) = built(&BUILT.lock().unwrap_or_else(PoisonError::into_inner)) {
        return types;
    }
    // Built outside the lock: two threads may both build it, and one copy is kept.
    let types = Arc::new(SettingTypes::from_schema(
        &crate::schema::parameters_schema::<D>(),
    ));
    BUILT
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(key)
        .or_insert(types)
        .clone()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The ipmi example's settings, in short: enums with `""` as a choice or not, an
    /// optional integer, a list, strings, a boolean and a float.
    #[crate::parameters(crate = "crate")]
    #[derive(Debug)]
    struct Settings {
        /// Address.
        power_address: String,
        /// Port.
        #[serde(default = "default_port")]
        port: u16,
        /// Password.
        #[serde(default)]
        power_pass: crate::Secret,
        /// Off mode.
        #[serde(default)]
        power_off_mode: OffMode,
        /// Cipher suite.
        #[serde(default)]
        cipher_suite_id: Suite,
        /// Timeout.
        #[serde(default)]
        session_timeout: Option<u32>,
        /// Flags.
        #[serde(default)]
        workaround_flags: Vec<Suite>,
        /// Verify.
        #[serde(default)]
        verify: bool,
        /// Ratio.
        #[serde(default)]
        ratio: f64,
        /// Offset.
        #[serde(default)]
        offset: i8,
        /// Slot: required.
        slot: u8,
    }

    fn default_port() -> u16 {
        623
    }

    /// How to switch off.
    #[crate::parameters(crate = "crate")]
    #[derive(Debug, Default)]
    #[serde(rename_all = "lowercase")]
    enum OffMode {
        /// Soft.
        Soft,
        /// Hard.
        #[default]
        Hard,
    }

    /// A cipher suite, or the tool's default.
    #[crate::parameters(crate = "crate")]
    #[derive(Debug, Default)]
    enum Suite {
        /// Seventeen.
        #[serde(rename = "17")]
        Seventeen,
        /// The tool's default.
        #[default]
        #[serde(rename = "")]
        Default,
    }

    fn types() -> Arc<SettingTypes> {
        Arc::new(SettingTypes::from_schema(
            &schemars::schema_for!(Settings).to_value(),
        ))
    }

    fn normalised(parameters: Value) -> Result<Value> {
        let Value::Object(mut parameters) = parameters else {
            panic!("parameters are an object");
        };
        normalise(&mut parameters, types)?;
        Ok(Value::Object(parameters))
    }

    /// Normalised, then deserialised as a driver would.
    fn read(parameters: Value) -> std::result::Result<Settings, String> {
        let parameters = normalised(parameters).map_err(|e| e.message().to_owned())?;
        serde_path_to_error::deserialize(parameters).map_err(|e| e.to_string())
    }

    #[test]
    fn numbers_and_booleans_are_read_from_their_strings() {
        assert_eq!(
            normalised(json!({
                "power_address": "10.0.0.5", "port": "6230", "session_timeout": "3000",
                "verify": "True", "ratio": "2.5", "offset": "-3", "slot": "1",
            }))
            .unwrap(),
            json!({
                "power_address": "10.0.0.5", "port": 6230, "session_timeout": 3000,
                "verify": true, "ratio": 2.5, "offset": -3, "slot": 1,
            })
        );
        let settings = read(json!({"power_address": "a", "verify": "FALSE", "slot": "2"})).unwrap();
        assert!(!settings.verify);
        assert_eq!(settings.slot, 2);
    }

    #[test]
    fn empty_means_unset_unless_it_is_a_choice() {
        let settings = read(json!({
            "power_address": "", "port": "", "power_pass": "", "power_off_mode": "",
            "cipher_suite_id": "", "session_timeout": "", "verify": "", "ratio": "",
            "workaround_flags": "", "slot": "3",
        }))
        .unwrap();
        // Strings stay strings, empty or not.
        assert_eq!(settings.power_address, "");
        assert!(settings.power_pass.is_empty());
        // `""` is a choice of the cipher suite, not of the off mode.
        assert!(matches!(settings.cipher_suite_id, Suite::Default));
        assert!(matches!(settings.power_off_mode, OffMode::Hard));
        assert_eq!(settings.port, 623);
        assert_eq!(settings.session_timeout, None);
        assert!(settings.workaround_flags.is_empty());
    }

    #[test]
    fn an_empty_required_setting_is_named() {
        assert_eq!(
            read(json!({"power_address": "a", "slot": ""})).unwrap_err(),
            "driverParameters.slot: is empty, and this setting is required"
        );
    }

    #[test]
    fn malformed_values_are_left_for_serde_to_name() {
        assert_eq!(
            read(json!({"power_address": "a", "slot": 1, "port": "abc"})).unwrap_err(),
            "port: invalid type: string \"abc\", expected u16"
        );
        assert_eq!(
            read(json!({"power_address": "a", "slot": 1, "port": "70000"})).unwrap_err(),
            "port: invalid value: integer `70000`, expected u16"
        );
        // Not a float's spelling of infinity, not a boolean's yes.
        assert_eq!(
            normalised(json!({"ratio": "inf", "verify": "yes", "port": "1e3"})).unwrap(),
            json!({"ratio": "inf", "verify": "yes", "port": "1e3"})
        );
    }

    #[test]
    fn lists_numbers_unknown_keys_and_choices_pass_through() {
        let parameters = json!({
            "workaround_flags": ["17", ""], "port": 6230, "system_id": "", "extra": "5",
            "cipher_suite_id": "17", "power_address": "623", "power_pass": "true",
        });
        assert_eq!(normalised(parameters.clone()).unwrap(), parameters);
    }

    #[test]
    fn the_schema_is_built_only_when_a_value_needs_it() {
        let mut parameters = json!({"power_address": "bmc", "port": 5, "flags": ["", "1"]});
        let Value::Object(parameters) = &mut parameters else {
            unreachable!()
        };
        normalise(parameters, || panic!("no value needs the schema")).unwrap();
        let mut built = false;
        let mut parameters = json!({"power_address": "bmc", "port": "5"});
        let Value::Object(parameters) = &mut parameters else {
            unreachable!()
        };
        normalise(parameters, || {
            built = true;
            types()
        })
        .unwrap();
        assert!(built);
    }

    #[test]
    fn removed_keys_keep_the_others_in_order() {
        let parameters = normalised(json!({"z": 1, "port": "", "a": 2, "slot": 1})).unwrap();
        let keys: Vec<&String> = parameters.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["z", "a", "slot"]);
    }

    #[test]
    fn reads_the_shapes_schemas_come_in() {
        let setting = |schema: Value| {
            let types = SettingTypes::from_schema(&json!({
                "properties": {"x": schema},
                "$defs": {"Mode": {"enum": ["a", "b"]}, "Loop": {"$ref": "#/$defs/Loop"}},
            }));
            types.settings.get("x").map(|x| x.read("")).unwrap()
        };
        assert_eq!(
            setting(json!({"type": ["integer", "null"]})),
            Reading::Unset
        );
        assert_eq!(setting(json!({"$ref": "#/$defs/Mode"})), Reading::Unset);
        assert_eq!(
            setting(json!({"anyOf": [{"$ref": "#/$defs/Mode"}, {"type": "null"}]})),
            Reading::Unset
        );
        assert_eq!(setting(json!({"oneOf": [{"const": ""}]})), Reading::AsIs);
        assert_eq!(setting(json!({"description": "anything"})), Reading::AsIs);
        assert_eq!(setting(json!(true)), Reading::AsIs);
        assert_eq!(setting(json!({"$ref": "#/$defs/Nowhere"})), Reading::AsIs);
        // A reference to itself is followed to the depth limit, then left alone.
        assert_eq!(setting(json!({"$ref": "#/$defs/Loop"})), Reading::AsIs);
    }

    #[test]
    fn flattened_fields_are_settings_too() {
        let types = SettingTypes::from_schema(&json!({
            "allOf": [{"$ref": "#/$defs/Inner"}],
            "$defs": {"Inner": {"properties": {"port": {"type": "integer"}}, "required": ["port"]}},
        }));
        assert_eq!(types.settings["port"].read("7"), Reading::Typed(json!(7)));
        assert!(types.settings["port"].required);
    }
}
