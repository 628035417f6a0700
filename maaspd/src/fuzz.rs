//! Property tests: arbitrary bytes and arbitrary JSON fed to the CLI's input parser and
//! to the service's request handler, for every action of every test driver. Each answer
//! must be one well-formed document carrying one of the protocol's error codes, never a
//! panic, and never the password the input held. Two plain tests guard the generators:
//! they must keep reaching the drivers' actions, not only the parse errors.
//!
//! Each property runs proptest's default of 256 cases; the dedicated run sets more:
//!
//! ```text
//! PROPTEST_CASES=100000 cargo test --release -p maaspd fuzz
//! ```

use std::collections::BTreeSet;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::{Map, Number, Value, json};

use crate::test_drivers::{Chassis, Lamp};
use crate::{Action, Error, ErrorCode, PowerDriver, PowerState, Result, Secret, cli};

/// The password every generated `power_pass` holds: no answer may contain it.
const SENTINEL: &str = "fuzz-S3NT1NEL-pa55w0rd";

/// A BMC behind a password: `power_pass` is a [`Secret`] the driver reads, so the
/// sentinel reaches a driver and its errors instead of being ignored as an unknown key.
#[crate::parameters(crate = "crate")]
pub(crate) struct Vault {
    /// The BMC's address.
    power_address: String,
    /// The BMC's password.
    power_pass: Secret,
}

#[crate::power_driver(crate = "crate", description = "A vault for fuzz tests", main = false)]
impl Vault {
    fn power_on(&self) -> Result<()> {
        Err(Error::auth(format!(
            "{} refused the password",
            self.power_address
        )))
    }

    fn power_off(&self) -> Result<()> {
        Err(Error::conn(format!(
            "{} did not answer",
            self.power_address
        )))
    }

    fn power_query(&self) -> Result<PowerState> {
        if self.power_pass.is_empty() {
            return Err(Error::settings(
                "driverParameters.power_pass: must not be empty",
            ));
        }
        Ok(PowerState::Off)
    }
}

/// The drivers under test: Lamp offers neither probe nor boot order, Chassis offers all
/// and panics in `power_on`, Vault takes a password.
#[derive(Debug, Clone, Copy)]
enum Driver {
    Lamp,
    Chassis,
    Vault,
}

const DRIVERS: [Driver; 3] = [Driver::Lamp, Driver::Chassis, Driver::Vault];

impl Driver {
    fn supports(self, action: Action) -> bool {
        match self {
            Driver::Lamp => Lamp::supports(action),
            Driver::Chassis => Chassis::supports(action),
            Driver::Vault => Vault::supports(action),
        }
    }

    /// `DRIVER ARGS...` with `stdin`: the exit status, stdout and stderr.
    fn cli(self, args: &[&str], mut stdin: &[u8]) -> (u8, Vec<u8>, Vec<u8>) {
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let args = std::iter::once("driver").chain(args.iter().copied());
        let (out, err) = (&mut stdout, &mut stderr);
        let status = match self {
            Driver::Lamp => cli::run::<Lamp>(args, &mut stdin, out, err),
            Driver::Chassis => cli::run::<Chassis>(args, &mut stdin, out, err),
            Driver::Vault => cli::run::<Vault>(args, &mut stdin, out, err),
        };
        (status, stdout, stderr)
    }
}

/// Whether `action` answers with `data` when it succeeds.
fn returns_data(action: Action) -> bool {
    matches!(action, Action::PowerQuery | Action::Probe)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

// ---------------------------------------------------------------------------------------
// Strategies

/// Keys the drivers, the input document and the service read: generated objects use
/// them often, so that the deeper paths (parameters, devices) are reached.
const KEYS: &[&str] = &[
    "on",
    "machines",
    "power_address",
    "power_pass",
    "driverParameters",
    "devices",
    "deviceType",
    "properties",
    "serial",
    "id_path",
    "name",
    "mac",
    "mac_address",
    "system_id",
    "context",
    "order",
    "",
];

const WORDS: &[&str] = &[
    "StorageDevice",
    "NetworkInterface",
    "network",
    "disk",
    "",
    "False",
    "7",
    "on",
    "off",
    "true",
    "1",
    "52:54:00:12:34:56",
    "\u{0}",
    "\u{feff}",
    "\u{1F50C}",
];

fn key() -> BoxedStrategy<String> {
    prop_oneof![
        3 => select(KEYS).prop_map(str::to_owned),
        1 => "(?s).{0,8}",
    ]
    .boxed()
}

fn string() -> BoxedStrategy<String> {
    prop_oneof![
        3 => "(?s).{0,16}",
        1 => select(WORDS).prop_map(str::to_owned),
    ]
    .boxed()
}

fn number() -> BoxedStrategy<Value> {
    prop_oneof![
        (-2i64..=300).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
    ]
    .boxed()
}

/// Any JSON value, nested: null, booleans, numbers, strings, arrays and objects.
fn json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec((key(), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
    .boxed()
}

/// The sentinel, as a string (valid for a `Secret`) or wrapped (a type error).
fn password() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => Just(json!(SENTINEL)),
        1 => Just(json!([SENTINEL])),
        1 => Just(json!({ "power_pass": SENTINEL })),
    ]
    .boxed()
}

/// An object with `fields` (those present) over `extra` arbitrary ones.
fn object(extra: Vec<(String, Value)>, fields: Vec<(&str, Option<Value>)>) -> Value {
    let mut object: Map<String, Value> = extra.into_iter().collect();
    for (key, value) in fields {
        if let Some(value) = value {
            object.insert(key.to_owned(), value);
        }
    }
    Value::Object(object)
}

/// `driverParameters` (or a service `context`) with the drivers' own keys, each holding
/// a value of the right type or an arbitrary one, the sentinel password, and other keys.
fn parameters() -> BoxedStrategy<Value> {
    (
        option::weighted(
            0.7,
            prop_oneof![any::<bool>().prop_map(Value::Bool), json()],
        ),
        option::weighted(
            0.7,
            prop_oneof![3 => (0u64..=256).prop_map(Value::from), 1 => json()],
        ),
        option::weighted(
            0.7,
            prop_oneof![3 => string().prop_map(Value::String), 1 => json()],
        ),
        option::weighted(0.9, password()),
        vec((key(), json()), 0..3),
    )
        .prop_map(|(on, machines, address, pass, extra)| {
            object(
                extra,
                vec![
                    ("on", on),
                    ("machines", machines),
                    ("power_address", address),
                    ("power_pass", pass),
                ],
            )
        })
        .boxed()
}

/// A boot device: maaspd's own form with properties right or wrong, MAAS's database
/// rows as objects or JSON-encoded strings (whole or cut short), the spec's classes,
/// else anything.
fn device() -> BoxedStrategy<Value> {
    let kind = prop_oneof![
        3 => select(vec!["StorageDevice", "NetworkInterface"]).prop_map(Value::from),
        1 => json(),
    ];
    let properties = prop_oneof![
        string().prop_map(|serial| json!({ "serial": serial })),
        string().prop_map(|mac| json!({ "mac": mac })),
        json(),
    ];
    let identity = prop_oneof![
        3 => string().prop_map(Value::String),
        1 => json(),
    ];
    let row = (
        select(vec!["serial", "id_path", "name", "mac_address"]),
        identity,
        vec((key(), json()), 0..3),
    )
        .prop_map(|(key, identity, extra)| object(extra, vec![(key, Some(identity))]));
    prop_oneof![
        4 => (kind, properties).prop_map(|(kind, properties)| {
            json!({ "deviceType": kind, "properties": properties })
        }),
        2 => row.clone(),
        2 => (row, any::<Index>(), any::<bool>()).prop_map(|(row, cut, whole)| {
            let text = row.to_string();
            let end = if whole { text.len() } else { cut.index(text.len() + 1) };
            Value::String(text.get(..end).unwrap_or(&text).to_owned())
        }),
        1 => select(vec!["network", "disk"]).prop_map(Value::from),
        1 => json(),
    ]
    .boxed()
}

/// The boot order: mostly a list of devices, else anything.
fn devices() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => vec(device(), 0..4).prop_map(Value::Array),
        1 => json(),
    ]
    .boxed()
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

/// A service request body: anything, or mostly `{"system_id", "context", "order"}`
/// with each part right or wrong.
#[cfg(feature = "service")]
fn request() -> BoxedStrategy<Value> {
    let system_id = prop_oneof![
        4 => "[a-z0-9]{1,8}".prop_map(Value::String),
        1 => json(),
    ];
    let context = prop_oneof![4 => parameters(), 1 => json()];
    prop_oneof![
        1 => json(),
        5 => (
            option::weighted(0.9, system_id),
            option::weighted(0.9, context),
            option::of(devices()),
            vec((key(), json()), 0..2),
        )
            .prop_map(|(system_id, context, order, extra)| {
                object(
                    extra,
                    vec![("system_id", system_id), ("context", context), ("order", order)],
                )
            }),
    ]
    .boxed()
}

/// How a document is written out: as JSON, or damaged.
#[derive(Debug, Clone)]
enum Layout {
    Compact,
    Pretty,
    /// With whitespace around it.
    Padded,
    /// Followed by one more byte.
    Trailing(u8),
    /// Twice in a row.
    Twice,
    Truncated(Index),
    Replaced(Index, u8),
    Inserted(Index, u8),
    Removed(Index),
}

fn layout() -> BoxedStrategy<Layout> {
    prop_oneof![
        6 => Just(Layout::Compact),
        3 => Just(Layout::Pretty),
        1 => Just(Layout::Padded),
        1 => any::<u8>().prop_map(Layout::Trailing),
        1 => Just(Layout::Twice),
        1 => any::<Index>().prop_map(Layout::Truncated),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| Layout::Replaced(at, byte)),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| Layout::Inserted(at, byte)),
        1 => any::<Index>().prop_map(Layout::Removed),
    ]
    .boxed()
}

impl Layout {
    fn write(&self, document: &Value) -> Vec<u8> {
        let compact = serde_json::to_vec(document).expect("a JSON value serialises");
        let mut bytes = compact.clone();
        let len = bytes.len();
        match self {
            Layout::Compact => {}
            Layout::Pretty => bytes = serde_json::to_vec_pretty(document).expect("serialises"),
            Layout::Padded => bytes = [&b" \n\t"[..], &compact, b"\r\n "].concat(),
            Layout::Trailing(byte) => bytes.push(*byte),
            Layout::Twice => bytes.extend_from_slice(&compact),
            Layout::Truncated(at) => bytes.truncate(at.index(len)),
            Layout::Replaced(at, byte) => bytes[at.index(len)] = *byte,
            Layout::Inserted(at, byte) => bytes.insert(at.index(len + 1), *byte),
            Layout::Removed(at) => {
                bytes.remove(at.index(len));
            }
        }
        bytes
    }
}

/// Inputs that are not JSON, or barely: random bytes, random text, nesting past serde's
/// depth limit (and just within it), a byte-order mark, NULs; and `documents` written
/// out whole or damaged.
fn bytes(
    documents: BoxedStrategy<Value>,
    deep: fn(usize, &str) -> String,
) -> BoxedStrategy<Vec<u8>> {
    const SPECIAL: &[&[u8]] = &[
        b"",
        b" \n\t\r ",
        b"\xef\xbb\xbf{}",
        b"null",
        b"{}\0",
        b"\0",
        b"{\"driverParameters\": {}}\xff",
        b"1e999999",
        b"\"\\ud800\"",
    ];
    prop_oneof![
        2 => vec(any::<u8>(), 0..128),
        2 => "(?s).{0,64}".prop_map(String::into_bytes),
        6 => (documents, layout()).prop_map(|(document, layout)| layout.write(&document)),
        1 => (1usize..4000, select(vec!["[", "{\"a\":", "{\"driverParameters\":"]))
            .prop_map(|(depth, open)| open.repeat(depth).into_bytes()),
        1 => (0usize..140, select(KEYS)).prop_map(move |(depth, key)| deep(depth, key).into_bytes()),
        1 => select(SPECIAL).prop_map(<[u8]>::to_vec),
    ]
    .boxed()
}

/// `[[[...]]]`, `depth` deep.
fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

/// A CLI input whose parameter `key` (and devices) nest `depth` deep.
fn deep_document(depth: usize, key: &str) -> String {
    let key = serde_json::to_string(key).expect("a string serialises");
    let value = nested(depth);
    format!(r#"{{"driverParameters": {{{key}: {value}}}, "devices": {value}}}"#)
}

// ---------------------------------------------------------------------------------------
// The CLI

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
    let (status, stdout, stderr) = driver.cli(&args, input);
    let context = format!("{driver:?} {action}");
    prop_assert!(
        !contains(&stdout, SENTINEL) && !contains(&stderr, SENTINEL),
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
        &format!("{}\n", crate::document::to_string(&document)),
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
                crate::testing::run::<Lamp>(Action::PowerQuery, document.clone()),
            ),
            (
                "vault",
                Action::PowerOn,
                crate::testing::run::<Vault>(Action::PowerOn, document.clone()),
            ),
            (
                "chassis",
                Action::Probe,
                crate::testing::run::<Chassis>(Action::Probe, document.clone()),
            ),
            (
                "chassis",
                Action::SetBootOrder,
                crate::testing::run::<Chassis>(Action::SetBootOrder, document.clone()),
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

// ---------------------------------------------------------------------------------------
// The service

#[cfg(feature = "service")]
mod service {
    use std::sync::LazyLock;

    use axum::Router;
    use axum::body::Body;
    use axum::http::{Method, Request, Uri};
    use tower::ServiceExt;

    use super::*;
    use crate::boot_device::parse_order;
    use crate::metadata::Metadata;

    // The router's own table and limit: an endpoint added there is fuzzed too.
    use crate::service::{ENDPOINTS, MAX_BODY};

    /// Every HTTP status the service answers with.
    const STATUSES: [u16; 7] = [200, 400, 404, 405, 413, 500, 503];

    static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime")
    });

    static ROUTERS: LazyLock<[Router; 3]> = LazyLock::new(|| {
        use crate::service::{DEFAULT_TIMEOUT, test_router};
        [
            test_router::<Lamp>(4, DEFAULT_TIMEOUT),
            test_router::<Chassis>(4, DEFAULT_TIMEOUT),
            test_router::<Vault>(4, DEFAULT_TIMEOUT),
        ]
    });

    impl Driver {
        /// Sends one request through the driver's router: the HTTP status and the body.
        fn send(self, method: Method, uri: &Uri, body: Vec<u8>) -> (u16, Vec<u8>) {
            let router = ROUTERS[self as usize].clone();
            let request = Request::builder()
                .method(method)
                .uri(uri.clone())
                .body(Body::from(body))
                .expect("a request");
            RUNTIME.block_on(async move {
                let response = router
                    .oneshot(request)
                    .await
                    .expect("routers are infallible");
                let status = response.status().as_u16();
                let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .expect("a body");
                (status, body.to_vec())
            })
        }

        fn metadata(self) -> Value {
            match self {
                Driver::Lamp => json!(Metadata::of::<Lamp>()),
                Driver::Chassis => json!(Metadata::of::<Chassis>()),
                Driver::Vault => json!(Metadata::of::<Vault>()),
            }
        }
    }

    /// The `error_type` reply.rs gives each code.
    fn error_type_of(code: ErrorCode) -> &'static str {
        match code {
            ErrorCode::Settings => "invalid_parameters",
            ErrorCode::Conn => "unavailable",
            ErrorCode::UnsupportedAction => "unsupported_action",
            ErrorCode::Fatal | ErrorCode::Tool | ErrorCode::Auth | ErrorCode::Action => {
                "power_action"
            }
        }
    }

    /// The HTTP statuses an `error_type` comes with.
    fn statuses(error_type: &str) -> &'static [u16] {
        match error_type {
            "invalid_parameters" => &[400],
            "unavailable" => &[503],
            "unsupported_action" => &[404],
            "power_action" => &[500],
            "not_found" => &[404],
            "method_not_allowed" => &[405],
            // Refused by the body extractor: too big, or unreadable.
            "invalid_request" => &[400, 413],
            _ => &[],
        }
    }

    /// Whether `body` is a request for `action` the service accepts: an object with a
    /// non-empty string `system_id`, an object `context` and, for `set_boot_order`, an
    /// `order` that is a list of boot devices.
    fn is_request(action: Action, body: &[u8]) -> bool {
        let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
            return false;
        };
        let order = || match fields.get("order") {
            Some(order) => parse_order("order", order).is_ok(),
            None => false,
        };
        matches!(fields.get("system_id"), Some(Value::String(id)) if !id.is_empty())
            && matches!(fields.get("context"), Some(Value::Object(_)))
            && (action != Action::SetBootOrder || order())
    }

    /// Sends `METHOD URI` with `body` and checks the answer: an allowed HTTP status and
    /// one JSON object, `status` "ok" or "error" with `error_type` and `error_message`,
    /// the HTTP status the one that error_type maps to; what the method, path and body
    /// alone decide; the password nowhere.
    fn check(driver: Driver, method: &Method, uri: &Uri, body: &[u8]) -> Result<(), TestCaseError> {
        let (status, answer) = driver.send(method.clone(), uri, body.to_vec());
        let text = String::from_utf8_lossy(&answer);
        let context = format!("{driver:?} {method} {uri} ({} bytes)", body.len());
        prop_assert!(
            !contains(&answer, SENTINEL),
            "{context}: the password is in the answer: {text}"
        );
        prop_assert!(
            STATUSES.contains(&status),
            "{context}: HTTP {status}: {text}"
        );
        let path = uri.path();
        let endpoint = ENDPOINTS
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, action)| *action);
        let metadata = path == "/metadata";
        let allowed = if metadata {
            *method == Method::GET || *method == Method::HEAD
        } else {
            *method == Method::POST
        };
        if *method == Method::HEAD {
            // HTTP: no body in an answer to HEAD.
            prop_assert!(answer.is_empty(), "{context}: a body for HEAD: {text}");
            let expected = match (metadata || endpoint.is_some(), allowed) {
                (false, _) => 404,
                (true, false) => 405,
                (true, true) => 200,
            };
            prop_assert_eq!(status, expected, "{}", context);
            return Ok(());
        }
        let reply: Value = serde_json::from_slice(&answer).map_err(|e| {
            TestCaseError::fail(format!("{context}: not one JSON document ({e}): {text}"))
        })?;
        if metadata && allowed {
            prop_assert_eq!(status, 200, "{}", context);
            prop_assert_eq!(&reply, &driver.metadata(), "{}", context);
            return Ok(());
        }
        let Value::Object(fields) = &reply else {
            return Err(TestCaseError::fail(format!(
                "{context}: not an object: {text}"
            )));
        };
        let keys: BTreeSet<&str> = fields.keys().map(String::as_str).collect();
        let outcome = match fields.get("status").and_then(Value::as_str) {
            Some("ok") => {
                prop_assert_eq!(status, 200, "{}: {}", context, text);
                let mut expected = BTreeSet::from(["status"]);
                match endpoint {
                    Some(Action::PowerQuery) => {
                        expected.insert("state");
                        let state = &fields["state"];
                        prop_assert!(
                            ["on", "off", "unknown"].iter().any(|s| state == s),
                            "{context}: {text}"
                        );
                    }
                    Some(Action::Probe) => {
                        expected.insert("hosts");
                        prop_assert!(fields["hosts"].is_array(), "{context}: {text}");
                    }
                    Some(_) => {}
                    None => {
                        return Err(TestCaseError::fail(format!(
                            "{context}: ok from no endpoint: {text}"
                        )));
                    }
                }
                prop_assert_eq!(&keys, &expected, "{}: {}", context, text);
                "ok".to_owned()
            }
            Some("error") => {
                let error_type = fields
                    .get("error_type")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let message = fields.get("error_message").and_then(Value::as_str);
                prop_assert!(message.is_some_and(|m| !m.is_empty()), "{context}: {text}");
                prop_assert!(
                    statuses(error_type).contains(&status),
                    "{context}: HTTP {status} with error_type {error_type:?}: {text}"
                );
                let mut expected = BTreeSet::from(["status", "error_type", "error_message"]);
                // maaspd's addition: the driver's code, for the errors that have one.
                if let Some(code) = fields.get("error_code") {
                    let code: ErrorCode = serde_json::from_value(code.clone()).map_err(|e| {
                        TestCaseError::fail(format!(
                            "{context}: not one of the seven codes ({e}): {text}"
                        ))
                    })?;
                    prop_assert_eq!(error_type, error_type_of(code), "{}: {}", context, text);
                    expected.insert("error_code");
                } else {
                    prop_assert!(
                        ["not_found", "method_not_allowed", "invalid_request"]
                            .contains(&error_type),
                        "{context}: no error_code: {text}"
                    );
                }
                prop_assert_eq!(&keys, &expected, "{}: {}", context, text);
                let message = message.unwrap_or_default();
                if message.starts_with("invalid request:") {
                    "invalid request".to_owned()
                } else {
                    error_type.to_owned()
                }
            }
            _ => return Err(TestCaseError::fail(format!("{context}: no status: {text}"))),
        };
        // What the method, the path and the body alone decide.
        let expected = if endpoint.is_none() && !metadata {
            Some("not_found")
        } else if !allowed {
            Some("method_not_allowed")
        } else if body.len() > MAX_BODY {
            Some("invalid_request")
        } else if let Some(action) = endpoint {
            // An action the driver does not offer is refused before the body is read.
            if !driver.supports(action) {
                Some("unsupported_action")
            } else if !is_request(action, body) {
                Some("invalid request")
            } else {
                None
            }
        } else {
            None
        };
        match expected {
            Some(expected) => prop_assert_eq!(outcome.as_str(), expected, "{}: {}", context, text),
            None => prop_assert!(
                ![
                    "not_found",
                    "method_not_allowed",
                    "invalid_request",
                    "invalid request"
                ]
                .contains(&outcome.as_str()),
                "{context}: a valid request refused: {text}"
            ),
        }
        Ok(())
    }

    fn method() -> BoxedStrategy<Method> {
        let named = select(vec![
            "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT",
        ])
        .prop_map(str::to_owned);
        prop_oneof![
            6 => Just(Method::POST),
            2 => Just(Method::GET),
            2 => named.prop_map(|name| Method::from_bytes(name.as_bytes()).expect("a method")),
            1 => "[A-Za-z]{1,10}".prop_map(|name| Method::from_bytes(name.as_bytes()).expect("a token")),
        ]
        .boxed()
    }

    const PATHS: &[&str] = &[
        "/metadata",
        "/query",
        "/on",
        "/off",
        "/cycle",
        "/reset",
        "/set-boot-order",
        "/probe",
    ];

    fn uri() -> BoxedStrategy<Uri> {
        prop_oneof![
            6 => select(PATHS).prop_map(str::to_owned),
            2 => (select(PATHS), "[/?=&%A-Za-z0-9._~-]{1,6}").prop_map(|(path, tail)| format!("{path}{tail}")),
            1 => "/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]{0,24}",
            1 => "(?s).{0,12}",
        ]
        .prop_filter_map("a URI the http crate accepts", |uri| {
            uri.parse::<Uri>().ok().filter(|uri| uri.path().starts_with('/'))
        })
        .boxed()
    }

    /// A service request whose `context` (and `order`) nest `depth` deep.
    fn deep_request(depth: usize, key: &str) -> String {
        let key = serde_json::to_string(key).expect("a string serialises");
        let value = nested(depth);
        format!(r#"{{"system_id": "m", "context": {{{key}: {value}}}, "order": {value}}}"#)
    }

    /// A body around the 64 KiB limit: a request padded with spaces to `len` bytes.
    fn around_the_limit() -> BoxedStrategy<Vec<u8>> {
        (request(), (MAX_BODY - 16)..(MAX_BODY + 16))
            .prop_map(|(request, len)| {
                let mut body = serde_json::to_vec(&request).expect("serialises");
                if body.len() < len {
                    body.resize(len, b' ');
                }
                body
            })
            .boxed()
    }

    fn driver() -> BoxedStrategy<Driver> {
        select(DRIVERS.to_vec()).boxed()
    }

    /// The request generator reaches the actions, not just the refusals.
    #[test]
    fn requests_reach_every_path() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;

        let mut runner = TestRunner::deterministic();
        let requests = request();
        let mut seen = BTreeSet::new();
        for _ in 0..1000 {
            let body =
                serde_json::to_vec(&requests.new_tree(&mut runner).expect("a request").current())
                    .expect("serialises");
            for (driver, path) in [
                (Driver::Chassis, "/set-boot-order"),
                (Driver::Chassis, "/probe"),
                (Driver::Vault, "/on"),
            ] {
                let (status, answer) =
                    driver.send(Method::POST, &Uri::from_static(path), body.clone());
                let reply: Value = serde_json::from_slice(&answer).expect("JSON");
                let message = reply["error_message"].as_str().unwrap_or_default();
                let outcome = match reply["error_type"].as_str() {
                    None => "ok".to_owned(),
                    Some(_) if message.starts_with("invalid request: order") => {
                        "bad order".to_owned()
                    }
                    Some(_) if message.starts_with("invalid request:") => "bad request".to_owned(),
                    Some(error_type) => format!("{error_type} {}", reply["error_code"]),
                };
                seen.insert(format!("{driver:?} {path}: {status} {outcome}"));
            }
        }
        for expected in [
            "Chassis /set-boot-order: 200 ok",
            "Chassis /set-boot-order: 400 bad order",
            "Chassis /set-boot-order: 400 bad request",
            "Chassis /set-boot-order: 400 invalid_parameters \"settingsError\"",
            "Chassis /probe: 200 ok",
            "Chassis /probe: 400 invalid_parameters \"settingsError\"",
            "Vault /on: 500 power_action \"authError\"",
            "Vault /on: 400 invalid_parameters \"settingsError\"",
        ] {
            assert!(
                seen.contains(expected),
                "never reached `{expected}`: {seen:#?}"
            );
        }
    }

    proptest! {
        /// Arbitrary methods, paths and bodies, through each driver's router.
        #[test]
        fn service_answers_arbitrary_requests(
            driver in driver(),
            method in method(),
            uri in uri(),
            body in prop_oneof![
                20 => bytes(request(), deep_request),
                1 => around_the_limit(),
            ],
        ) {
            check(driver, &method, &uri, &body)?;
        }

        /// Arbitrary JSON bodies, most of them requests with the drivers' keys, written
        /// out whole or damaged, to every endpoint of every driver.
        #[test]
        fn service_answers_arbitrary_json(request in request(), layout in layout()) {
            let body = layout.write(&request);
            for driver in DRIVERS {
                for (path, _) in ENDPOINTS {
                    check(driver, &Method::POST, &Uri::from_static(path), &body)?;
                }
            }
        }
    }
}
