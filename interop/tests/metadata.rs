//! `metadata`: every example driver describes itself in MAAS's form, derived from its
//! attribute and its parameters schema, and the derivation follows MAAS's rules.

#[path = "../../tests/support/peers.rs"]
mod peers;
#[path = "../../tests/support/region.rs"]
mod region;
#[path = "../../tests/support/mod.rs"]
mod support;

use std::process::Command;

use maaspd::metadata::{FieldType, Metadata, Scope};
use maaspd::serde_json::{Value, json};
use maaspd::{PowerState, Result, Secret};
use peers::Peer;

/// MAAS's form of a driver description, as the service spec and `make_setting_field`
/// define it.
fn maas_metadata_schema() -> Value {
    json!({
        "type": "object",
        "required": ["name", "description", "version", "actions", "settings", "capabilities", "ip_extractor"],
        "additionalProperties": false,
        "properties": {
            "name": {"type": "string", "pattern": "^[a-z0-9_-]+$"},
            "description": {"type": "string", "minLength": 1},
            "version": {"type": "string", "minLength": 1},
            "actions": {
                "type": "array",
                "uniqueItems": true,
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["name"],
                    "properties": {"name": {
                        "enum": ["query", "on", "off", "cycle", "reset", "set-boot-order", "probe"],
                    }},
                },
            },
            "capabilities": {
                "type": "object",
                "additionalProperties": false,
                "required": ["queryable", "chassis", "can_probe", "can_set_boot_order"],
                "properties": {
                    "queryable": {"type": "boolean"},
                    "chassis": {"type": "boolean"},
                    "can_probe": {"type": "boolean"},
                    "can_set_boot_order": {"type": "boolean"},
                },
            },
            "ip_extractor": {"oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["field_name", "pattern"],
                    "properties": {"field_name": {"type": "string"}, "pattern": {"type": "string"}},
                },
            ]},
            "settings": {"type": "array", "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["name", "label", "field_type", "required", "scope", "secret", "default", "choices"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "label": {"type": "string", "minLength": 1},
                    "field_type": {"enum": ["string", "choice", "multiple_choice", "password", "ip_address", "mac_address"]},
                    "required": {"type": "boolean"},
                    "scope": {"enum": ["bmc", "node"]},
                    "secret": {"type": "boolean"},
                    "default": {"type": ["string", "array"], "items": {"type": "string"}},
                    "choices": {"type": "array", "items": {
                        "type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "string"},
                    }},
                },
            }},
        },
    })
}

/// The rules that tie the metadata to the schema and to itself.
fn check_against_schema(name: &str, metadata: &Value, schema: &Value) {
    let settings = metadata["settings"].as_array().unwrap();
    let setting_names: Vec<&str> = settings
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    let property_names: Vec<&str> = schema["properties"]
        .as_object()
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    // The printed schema has its keys sorted: the order is checked in-process below.
    let (mut sorted_settings, mut sorted_properties) = (setting_names.clone(), property_names);
    sorted_settings.sort_unstable();
    sorted_properties.sort_unstable();
    assert_eq!(
        sorted_settings, sorted_properties,
        "{name}: one setting per parameter"
    );
    let required: Vec<&Value> = schema["required"]
        .as_array()
        .map(|r| r.iter().collect())
        .unwrap_or_default();
    for setting in settings {
        let what = format!("{name}: setting {}", setting["name"]);
        // Required by the schema, or marked `#[maaspd(required)]` (a default, but MAAS
        // asks for a value).
        let marked =
            schema["properties"][setting["name"].as_str().unwrap()]["x-maas-required"] == true;
        assert_eq!(
            setting["required"],
            json!(required.contains(&&setting["name"]) || marked),
            "{what}"
        );
        let multiple = setting["field_type"] == "multiple_choice";
        assert_eq!(
            setting["default"].is_array(),
            multiple,
            "{what}: a list default exactly for a multiple choice"
        );
        let has_choices = !setting["choices"].as_array().unwrap().is_empty();
        let choice_type = matches!(
            setting["field_type"].as_str(),
            Some("choice" | "multiple_choice")
        );
        assert_eq!(
            has_choices, choice_type,
            "{what}: choices exactly for choice fields"
        );
        if setting["secret"] == true {
            assert_eq!(
                setting["field_type"], "password",
                "{what}: a secret is a password field"
            );
        }
    }
    let capabilities = &metadata["capabilities"];
    let actions = metadata["actions"].as_array().unwrap();
    let offers = |action: &str| actions.contains(&json!({"name": action}));
    assert_eq!(capabilities["queryable"], json!(offers("query")), "{name}");
    assert_eq!(capabilities["can_probe"], json!(offers("probe")), "{name}");
    assert_eq!(
        capabilities["can_set_boot_order"],
        json!(offers("set-boot-order")),
        "{name}"
    );
    for action in ["on", "off", "cycle", "reset"] {
        assert!(offers(action), "{name}: every driver answers {action}");
    }
    if let Some(field) = metadata["ip_extractor"]["field_name"].as_str() {
        assert!(
            setting_names.contains(&field),
            "{name}: ip_extractor names a setting"
        );
    }
}

#[test]
fn every_example_describes_itself_in_maas_form() {
    let validator = jsonschema::draft202012::new(&maas_metadata_schema()).unwrap();
    for name in support::every_binary() {
        let binary = support::example(&name);
        let out = support::run(&binary, &["metadata"], b"");
        assert_eq!((out.status, out.stderr.as_str()), (0, ""), "{name}");
        let metadata: Value = serde_json::from_str(&out.stdout).unwrap();
        if let Err(error) = validator.validate(&metadata) {
            panic!("{name}: {error} at {}", error.instance_path());
        }
        assert_eq!(
            region::refusals(&metadata),
            Vec::<String>::new(),
            "{name}: MAAS's region registers it"
        );
        let schema: Value =
            serde_json::from_str(&support::run(&binary, &["schema"], b"").stdout).unwrap();
        check_against_schema(&name, &metadata, &schema);
        let version = support::run(&binary, &["--version"], b"").stdout;
        assert_eq!(
            version.trim(),
            format!(
                "{} {}",
                metadata["name"].as_str().unwrap(),
                metadata["version"].as_str().unwrap()
            ),
            "{name}"
        );
    }
}

/// How the machine is switched off.
#[maaspd::parameters]
enum OffMode {
    /// Soft power off
    #[serde(rename = "soft")]
    Soft,
    /// Hard power off
    #[serde(rename = "hard")]
    Hard,
}

/// A BMC with a setting of each kind.
#[maaspd::parameters]
#[allow(dead_code)] // only the description is under test
struct Settings {
    /// Power address
    ///
    /// The BMC's host name or IP address, with an optional port.
    #[maaspd(field_type = "ip_address")]
    power_address: String,
    /// Power password
    #[serde(default)]
    power_pass: Secret,
    /// Power off mode
    #[serde(default = "hard")]
    power_off_mode: OffMode,
    /// MAC address
    ///
    /// The machine's boot interface.
    #[maaspd(scope = "node", field_type = "mac_address")]
    #[serde(default)]
    mac_address: String,
    /// Session timeout in seconds.
    #[serde(default = "timeout")]
    #[maaspd(required)]
    timeout: u16,
}

fn hard() -> OffMode {
    OffMode::Hard
}

fn timeout() -> u16 {
    20
}

#[maaspd::power_driver(
    description = "A BMC with one setting of each kind",
    name = "kinds",
    chassis = true,
    ip_extractor(field_name = "power_address", pattern = maaspd::ip_extractor::URL),
    main = false
)]
impl Settings {
    fn power_on(&self) -> Result<()> {
        Ok(())
    }

    fn power_off(&self) -> Result<()> {
        Ok(())
    }

    fn power_query(&self) -> Result<PowerState> {
        Ok(PowerState::Off)
    }
}

#[test]
fn settings_follow_maas_rules() {
    let metadata = Metadata::of::<Settings>();
    let value = json!(metadata);
    let validator = jsonschema::draft202012::new(&maas_metadata_schema()).unwrap();
    assert!(validator.is_valid(&value), "{value:#}");
    assert_eq!(region::refusals(&value), Vec::<String>::new());
    check_against_schema("kinds", &value, &maaspd::testing::schema::<Settings>());

    assert_eq!(
        (metadata.name, metadata.capabilities.chassis),
        ("kinds", true)
    );
    let names: Vec<&str> = metadata.settings.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "power_address",
            "power_pass",
            "power_off_mode",
            "mac_address",
            "timeout"
        ],
        "in the order of the struct"
    );
    assert_eq!(metadata.ip_extractor.unwrap().field_name, "power_address");
    let by_name = |name: &str| metadata.settings.iter().find(|s| s.name == name).unwrap();
    let address = by_name("power_address");
    assert_eq!(
        (address.label.as_str(), address.field_type, address.required),
        ("Power address", FieldType::IpAddress, true)
    );
    let password = by_name("power_pass");
    assert_eq!(
        (password.field_type, password.secret, password.required),
        (FieldType::Password, true, false)
    );
    let mode = by_name("power_off_mode");
    assert_eq!(mode.field_type, FieldType::Choice);
    assert_eq!(mode.default, "hard");
    assert_eq!(
        mode.choices,
        [
            ["soft".to_string(), "Soft power off".to_string()],
            ["hard".to_string(), "Hard power off".to_string()]
        ]
    );
    let mac = by_name("mac_address");
    assert_eq!(
        (mac.field_type, mac.scope, mac.label.as_str()),
        (FieldType::MacAddress, Scope::Node, "MAC address")
    );
    let timeout = by_name("timeout");
    assert_eq!(
        (
            timeout.field_type,
            timeout.default.as_str().unwrap(),
            timeout.label.as_str()
        ),
        (FieldType::String, "20", "Session timeout in seconds.")
    );
    assert!(timeout.required, "#[maaspd(required)] despite its default");
    assert!(!password.required, "a default and no mark: not required");
}

/// MAAS applies the pattern with Python's `re.match` and takes the `address` group.
#[test]
fn url_ip_extractor_finds_the_address_as_maas_would() {
    if !peers::available(&[Peer::Python3]) {
        return;
    }
    let cases = [
        ("10.0.0.5", "10.0.0.5"),
        ("10.0.0.5:623", "10.0.0.5"),
        ("bmc.example.com", "bmc.example.com"),
        ("https://10.0.0.5", "10.0.0.5"),
        (
            "https://admin:pw@bmc.example.com:8443/redfish/v1?x=1",
            "bmc.example.com",
        ),
        ("http://[fe80::1]:8000/", "fe80::1"),
        ("[2001:db8::5]", "2001:db8::5"),
        ("qemu+ssh://ubuntu@10.0.0.9/system", "10.0.0.9"),
    ];
    let script = "import json, re, sys\n\
                  pattern, values = json.load(sys.stdin)\n\
                  print(json.dumps([re.match(pattern, v).group('address') for v in values]))";
    let values: Vec<&str> = cases.iter().map(|(value, _)| *value).collect();
    let input = json!([maaspd::ip_extractor::URL, values]).to_string();
    let mut child = Command::new(Peer::Python3.path())
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs (MAAS applies the pattern with Python's re)");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let found: Vec<String> = serde_json::from_slice(&output.stdout).unwrap();
    let expected: Vec<&str> = cases.iter().map(|(_, address)| *address).collect();
    assert_eq!(found, expected);
}

/// The region's rules refuse what MAAS refused of maaspd's earlier metadata, so the
/// checks above can fail.
#[test]
fn the_regions_rules_refuse_what_maas_refuses() {
    let mut metadata = json!(Metadata::of::<Settings>());
    assert!(region::refusals(&metadata).is_empty());
    let good = metadata.clone();

    metadata["actions"] = json!(["query", "on", "off"]);
    let refusals = region::refusals(&metadata);
    assert!(
        !refusals.is_empty() && refusals[0].contains("/actions/0"),
        "{refusals:?}"
    );

    let mut metadata = good.clone();
    metadata["settings"][2]["choices"] = json!([["soft", "soft"], ["hard", "Hard power off"]]);
    assert!(
        !region::refusals(&metadata).is_empty(),
        "a pair of equal strings"
    );

    let mut metadata = good.clone();
    metadata["settings"][4]["default"] = json!(20);
    assert!(
        !region::refusals(&metadata).is_empty(),
        "a number as default"
    );

    let mut metadata = good;
    metadata["capabilities"]
        .as_object_mut()
        .unwrap()
        .remove("chassis");
    assert!(
        !region::refusals(&metadata).is_empty(),
        "no chassis capability"
    );
}

/// A choice enum that derives its schema by hand, without doc comments, still gets
/// labels that differ from its values.
#[test]
fn undocumented_choices_get_distinct_labels() {
    #[derive(maaspd::__private::serde::Deserialize, maaspd::__private::schemars::JsonSchema)]
    #[serde(crate = "maaspd::__private::serde", rename_all = "snake_case")]
    #[schemars(crate = "maaspd::__private::schemars")]
    #[allow(dead_code)]
    enum Mode {
        PowerCycle,
        Lan,
    }
    #[derive(maaspd::__private::serde::Deserialize, maaspd::__private::schemars::JsonSchema)]
    #[serde(crate = "maaspd::__private::serde")]
    #[schemars(crate = "maaspd::__private::schemars")]
    #[allow(dead_code)]
    struct Plain {
        mode: Mode,
        #[serde(default)]
        modes: Vec<Mode>,
    }
    impl maaspd::Parameters for Plain {}
    #[maaspd::power_driver(description = "Hand-derived", name = "plain", main = false)]
    impl Plain {
        fn power_on(&self) -> Result<()> {
            Ok(())
        }
        fn power_off(&self) -> Result<()> {
            Ok(())
        }
        fn power_query(&self) -> Result<PowerState> {
            Ok(PowerState::Off)
        }
    }
    let metadata = Metadata::of::<Plain>();
    assert_eq!(
        metadata.settings[0].choices,
        [
            ["power_cycle".to_string(), "Power cycle".to_string()],
            ["lan".to_string(), "Lan".to_string()],
        ]
    );
    assert_eq!(metadata.settings[1].field_type, FieldType::MultipleChoice);
    assert_eq!(metadata.settings[1].default, json!([]));
    assert!(region::refusals(&json!(metadata)).is_empty());
}
