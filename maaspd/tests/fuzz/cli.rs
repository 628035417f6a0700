//! The CLI: arbitrary bytes and JSON on stdin, to every action of every driver, must
//! each be answered with exactly one document in the protocol's layout.

use std::collections::BTreeSet;

use maaspd::serde_json::{self, Value, json};
use maaspd::testing::{self, CliOutput};
use maaspd::{Action, ErrorCode};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use serde::Serialize as _;

use crate::drivers::{Chassis, DRIVERS, Driver, Lamp, Vault};
use crate::sentinel::leaks;
use crate::strategies::{bytes, devices, json, key, layout, nested, object, parameters};

impl Driver {
    /// `DRIVER ARGS...` with `stdin`.
    fn cli(self, args: &[&str], stdin: &[u8]) -> CliOutput {
        let args = args.to_vec();
        match self {
            Driver::Lamp => testing::cli::<Lamp>(args, stdin),
            Driver::Chassis => testing::cli::<Chassis>(args, stdin),
            Driver::Vault => testing::cli::<Vault>(args, stdin),
        }
    }
}

/// Whether `action` answers with `data` when it succeeds.
fn returns_data(action: Action) -> bool {
    matches!(action, Action::PowerQuery | Action::Probe)
}

/// `document` as the protocol prints it, without the trailing newline: the seed
/// wrapper's `json.dumps(document, indent=4, sort_keys=True)`, keys sorted at every
/// depth, four spaces of indent.
fn protocol_layout(document: &Value) -> String {
    let mut sorted = document.clone();
    sorted.sort_all_objects();
    let mut out = Vec::new();
    let indent = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    sorted
        .serialize(&mut serde_json::Serializer::with_formatter(
            &mut out, indent,
        ))
        .expect("a JSON value serialises");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// A CLI input document: anything; an object with anything as `driverParameters` and
/// `devices`; mostly, real parameters and devices.
fn document() -> BoxedStrategy<Value> {
    prop_oneof![
        1 => json(),
        1 => (option::of(json()), option::of(json())).prop_map(|(parameters, devices)| {
            object(
                Vec::new(),
                vec![("driverParameters", parameters), ("devices", devices)],
            )
        }),
        4 => (
            option::weighted(0.95, parameters()),
            option::of(devices()),
            vec((key(), json()), 0..2),
        )
            .prop_map(|(parameters, devices, extra)| {
                object(
                    extra,
                    vec![("driverParameters", parameters), ("devices", devices)],
                )
            }),
    ]
    .boxed()
}

/// A CLI input whose parameter `key` (and devices) nest `depth` deep.
fn deep_document(depth: usize, key: &str) -> String {
    let key = serde_json::to_string(key).expect("a string serialises");
    let value = nested(depth);
    format!(r#"{{"driverParameters": {{{key}: {value}}}, "devices": {value}}}"#)
}

/// Runs `DRIVER ACTION [--timeout 60]` on `input` and checks its answer: exit status 0
/// or 1 and exactly one document on stdout, as the protocol prints it, with the keys
/// the protocol gives, the error one of the seven codes; the password nowhere.
fn check_cli(
    driver: Driver,
    action: Action,
    input: &[u8],
    timeout: bool,
) -> Result<(), TestCaseError> {
    let mut args = vec![action.name()];
    if timeout {
        args.extend(["--timeout", "60"]);
    }
    let CliOutput {
        status,
        stdout,
        stderr,
        ..
    } = driver.cli(&args, input);
    let context = format!("{driver:?} {action}");
    prop_assert!(
        !leaks(&stdout) && !leaks(&stderr),
        "{context}: the password is printed:\n{}\n{}",
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&stderr)
    );
    let stdout = String::from_utf8(stdout)
        .map_err(|e| TestCaseError::fail(format!("{context}: stdout is not UTF-8: {e}")))?;
    let stderr = String::from_utf8_lossy(&stderr);
    prop_assert!(
        status == 0 || status == 1,
        "{context}: exit status {status}\n{stdout}\n{stderr}"
    );
    prop_assert!(
        stdout.ends_with("}\n"),
        "{context}: stdout does not end with the document and a newline: {stdout:?}"
    );
    // `from_str` rejects anything but whitespace after the one document.
    let document: Value = serde_json::from_str(&stdout).map_err(|e| {
        TestCaseError::fail(format!(
            "{context}: stdout is not one JSON document ({e}): {stdout:?}"
        ))
    })?;
    prop_assert_eq!(
        &stdout,
        &format!("{}\n", protocol_layout(&document)),
        "{}: not in the protocol's layout",
        context
    );
    let Value::Object(fields) = &document else {
        return Err(TestCaseError::fail(format!(
            "{context}: not an object: {stdout}"
        )));
    };
    prop_assert_eq!(
        fields.get("action_type"),
        Some(&json!(action.name())),
        "{}",
        context
    );
    let keys: BTreeSet<&str> = fields.keys().map(String::as_str).collect();
    let mut expected = BTreeSet::from(["action_type", "error"]);
    if status == 0 && returns_data(action) {
        expected.insert("data");
    }
    prop_assert_eq!(&keys, &expected, "{}: {}", context, stdout);
    if status == 0 {
        prop_assert_eq!(&fields["error"], &Value::Null, "{}", context);
        match action {
            Action::PowerQuery => {
                let state = &fields["data"]["status"];
                prop_assert!(
                    ["on", "off", "unknown"].iter().any(|s| state == s),
                    "{context}: data {}",
                    fields["data"]
                );
            }
            Action::Probe => {
                prop_assert!(fields["data"]["hosts"].is_array(), "{context}: {stdout}")
            }
            _ => {}
        }
        return Ok(());
    }
    let error = &fields["error"];
    let error_keys: Option<BTreeSet<&str>> = error
        .as_object()
        .map(|error| error.keys().map(String::as_str).collect());
    prop_assert_eq!(
        error_keys,
        Some(BTreeSet::from(["code", "message"])),
        "{}: {}",
        context,
        stdout
    );
    let code: ErrorCode = serde_json::from_value(error["code"].clone()).map_err(|e| {
        TestCaseError::fail(format!(
            "{context}: not one of the seven codes ({e}): {stdout}"
        ))
    })?;
    let message = error["message"].as_str().unwrap_or_default();
    prop_assert!(!message.is_empty(), "{context}: no message: {stdout}");
    // What the input alone decides.
    if !driver.supports(action) {
        prop_assert_eq!(
            code,
            ErrorCode::UnsupportedAction,
            "{}: {}",
            context,
            stdout
        );
    } else if serde_json::from_slice::<Value>(input).is_err() {
        prop_assert_eq!(code, ErrorCode::Settings, "{}: {}", context, stdout);
        prop_assert!(message.starts_with("input is "), "{context}: {stdout}");
    } else {
        prop_assert!(
            !message.starts_with("input is not valid") && !message.starts_with("input is empty"),
            "{context}: valid JSON refused: {stdout}"
        );
    }
    Ok(())
}

fn check_cli_everywhere(input: &[u8], timeout: bool) -> Result<(), TestCaseError> {
    for driver in DRIVERS {
        for action in Action::ALL {
            check_cli(driver, action, input, timeout)?;
        }
    }
    Ok(())
}

proptest! {
    /// Arbitrary bytes on stdin, to every action of every driver.
    #[test]
    fn cli_answers_arbitrary_bytes(
        input in bytes(document(), deep_document),
        timeout in proptest::bool::weighted(0.2),
    ) {
        check_cli_everywhere(&input, timeout)?;
    }

    /// Arbitrary JSON documents, most of them with the drivers' keys, written out whole
    /// or damaged, to every action of every driver.
    #[test]
    fn cli_answers_arbitrary_json(
        document in document(),
        layout in layout(),
        timeout in proptest::bool::weighted(0.2),
    ) {
        check_cli_everywhere(&layout.write(&document), timeout)?;
    }
}

/// The generators reach every outcome, not just "invalid JSON": a guard against a
/// change that makes them shallow.
#[test]
fn documents_reach_every_path() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let documents = document();
    let mut seen = BTreeSet::new();
    for _ in 0..2000 {
        let document = documents
            .new_tree(&mut runner)
            .expect("a document")
            .current();
        for (name, action, response) in [
            (
                "lamp",
                Action::PowerQuery,
                testing::run::<Lamp>(Action::PowerQuery, document.clone()),
            ),
            (
                "vault",
                Action::PowerOn,
                testing::run::<Vault>(Action::PowerOn, document.clone()),
            ),
            (
                "chassis",
                Action::Probe,
                testing::run::<Chassis>(Action::Probe, document.clone()),
            ),
            (
                "chassis",
                Action::SetBootOrder,
                testing::run::<Chassis>(Action::SetBootOrder, document.clone()),
            ),
        ] {
            let outcome = match response.error() {
                None => "ok".to_owned(),
                Some(error) => {
                    let message = error.message();
                    let at = [
                        "driverParameters.",
                        "driverParameters:",
                        "devices",
                        "input",
                        "`driverParameters`",
                        "the driver panicked",
                    ]
                    .into_iter()
                    .find(|prefix| message.starts_with(prefix))
                    .unwrap_or("other");
                    format!("{} {at}", error.code())
                }
            };
            seen.insert(format!("{name} {action}: {outcome}"));
        }
    }
    for expected in [
        "lamp power_query: ok",
        "lamp power_query: settingsError driverParameters.",
        "lamp power_query: settingsError input",
        "lamp power_query: settingsError `driverParameters`",
        "vault power_on: authError other",
        "vault power_on: settingsError driverParameters:",
        "vault power_on: settingsError driverParameters.",
        "chassis probe: ok",
        "chassis probe: settingsError driverParameters.",
        "chassis set_boot_order: ok",
        "chassis set_boot_order: fatalError devices",
    ] {
        assert!(
            seen.contains(expected),
            "never reached `{expected}`: {seen:#?}"
        );
    }
}
