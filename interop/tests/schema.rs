//! `schema`: the JSON Schema of a driver's parameters is a valid draft 2020-12 document,
//! carries what the author wrote (doc comments, defaults, choices), and accepts exactly
//! the parameters the driver accepts.

#[path = "../../tests/support/mod.rs"]
mod support;

use maaspd::serde_json::{Value, json};
use maaspd::{Action, ErrorCode, PowerState, Result, testing};

const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

#[test]
fn example_schemas_are_valid_2020_12_documents() {
    for name in support::every_binary() {
        let out = support::run(&support::example(&name), &["schema"], b"");
        assert_eq!(out.status, 0, "{name}: {out:?}");
        assert_eq!(out.stderr, "", "{name}");
        let schema: Value = serde_json::from_str(&out.stdout).expect("schema is JSON");
        assert_eq!(schema["$schema"], DRAFT_2020_12, "{name}");
        jsonschema::draft202012::meta::validate(&schema)
            .unwrap_or_else(|e| panic!("{name}: not a valid 2020-12 schema: {e}"));
    }
}

#[test]
fn abstract_schema_is_printed_exactly() {
    let out = support::run(&support::example("abstract"), &["schema"], b"");
    assert_eq!(
        out.stdout,
        r#"{
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "description": "A power driver that drives nothing.",
    "title": "Abstract",
    "type": "object"
}
"#
    );
}

/// How the machine is switched off.
#[maaspd::parameters]
#[serde(rename_all = "lowercase")]
enum OffMode {
    /// Ask the operating system to shut down.
    Soft,
    /// Cut the power.
    Hard,
}

/// Settings of a BMC.
///
/// Everything needed to reach one machine's BMC.
#[maaspd::parameters]
#[allow(dead_code)] // this driver switches nothing: only the schema and parsing matter
struct Settings {
    /// BMC address
    ///
    /// Host name or IP address of the BMC.
    power_address: String,
    /// Seconds to wait for the BMC.
    #[serde(default = "default_timeout")]
    timeout: u32,
    /// How `power_off` switches the machine off.
    #[serde(default = "default_off_mode")]
    power_off_mode: OffMode,
    /// Name of the BMC user, when it wants one.
    #[serde(default)]
    power_user: Option<String>,
}

fn default_timeout() -> u32 {
    10
}

fn default_off_mode() -> OffMode {
    OffMode::Hard
}

#[maaspd::power_driver(description = "A BMC for the schema tests", main = false)]
impl Settings {
    fn power_on(&self) -> Result<()> {
        Ok(())
    }

    fn power_off(&self) -> Result<()> {
        Ok(())
    }

    fn power_query(&self) -> Result<PowerState> {
        Ok(PowerState::On)
    }
}

#[test]
fn doc_comments_defaults_and_choices_reach_the_schema() {
    let schema = testing::schema::<Settings>();
    jsonschema::draft202012::meta::validate(&schema).expect("valid 2020-12 schema");
    assert_eq!(schema["title"], "Settings of a BMC.");
    assert_eq!(
        schema["description"],
        "Everything needed to reach one machine's BMC."
    );
    assert_eq!(schema["required"], json!(["power_address"]));
    let properties = &schema["properties"];
    assert_eq!(properties["power_address"]["type"], "string");
    assert_eq!(properties["power_address"]["title"], "BMC address");
    assert_eq!(
        properties["power_address"]["description"],
        "Host name or IP address of the BMC."
    );
    assert_eq!(properties["timeout"]["default"], 10);
    assert_eq!(properties["power_off_mode"]["default"], "hard");
    assert_eq!(properties["power_user"]["default"], Value::Null);

    // The enum's choices, wherever schemars put its definition.
    let off_mode = &schema["$defs"]["OffMode"];
    let choices: Vec<&Value> = off_mode["oneOf"]
        .as_array()
        .expect("unit variants with docs are listed one by one")
        .iter()
        .map(|variant| &variant["const"])
        .collect();
    assert_eq!(choices, [&json!("soft"), &json!("hard")]);
}

#[test]
fn schema_accepts_exactly_what_the_driver_accepts() {
    let validator = jsonschema::draft202012::new(&testing::schema::<Settings>()).unwrap();
    let cases = [
        (json!({"power_address": "10.0.0.1"}), true),
        (
            json!({"power_address": "bmc", "timeout": 3, "power_off_mode": "soft", "power_user": "admin"}),
            true,
        ),
        // Unknown keys are allowed: MAAS adds system_id to every driver's parameters.
        (json!({"power_address": "bmc", "system_id": "abc123"}), true),
        (json!({}), false),
        (json!({"power_address": 5}), false),
        (
            json!({"power_address": "bmc", "power_off_mode": "gentle"}),
            false,
        ),
        (json!({"power_address": "bmc", "timeout": -1}), false),
    ];
    for (parameters, valid) in cases {
        assert_eq!(
            validator.is_valid(&parameters),
            valid,
            "schema on {parameters}"
        );
        let response =
            testing::run::<Settings>(Action::PowerQuery, json!({"driverParameters": parameters}));
        let accepted = response.error().map(|e| e.code()) != Some(ErrorCode::Settings);
        assert_eq!(accepted, valid, "driver on {parameters}: {response:?}");
    }
}
