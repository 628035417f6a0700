//! The service: arbitrary methods, paths and bodies, and arbitrary JSON requests to
//! every endpoint, through each driver's service in-process, must each be answered with
//! one JSON object, its `status`, `error_type` and HTTP status as the protocol pairs them.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use http::Uri;
use maaspd::metadata::Metadata;
use maaspd::serde_json::{self, Value, json};
use maaspd::service::Options;
use maaspd::testing::{Service, ServiceReply};
use maaspd::{Action, BootDevice, ErrorCode, PowerDriver};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

use crate::drivers::{Chassis, DRIVERS, Driver, Lamp, Vault};
use crate::sentinel::leaks;
use crate::strategies::{bytes, devices, json, key, layout, nested, object, parameters};

/// The endpoints, as the protocol lists them: the spec's, and `/probe`, maaspd's
/// addition. Restated rather than read from the service, so that an endpoint added or
/// lost there fails here.
const ENDPOINTS: [(&str, Action); 7] = [
    ("/query", Action::PowerQuery),
    ("/on", Action::PowerOn),
    ("/off", Action::PowerOff),
    ("/cycle", Action::PowerCycle),
    ("/reset", Action::PowerReset),
    ("/set-boot-order", Action::SetBootOrder),
    ("/probe", Action::Probe),
];

/// The largest body the service reads: "bodies over 64 KiB 413", as the README's
/// protocol says.
const MAX_BODY: usize = 64 * 1024;

/// Every HTTP status the service answers with.
const STATUSES: [u16; 7] = [200, 400, 404, 405, 413, 500, 503];

/// Each driver's service, as `serve` runs it, with 4 workers.
struct Services {
    lamp: Service<Lamp>,
    chassis: Service<Chassis>,
    vault: Service<Vault>,
}

static SERVICES: LazyLock<Services> = LazyLock::new(|| Services {
    lamp: service(),
    chassis: service(),
    vault: service(),
});

fn service<D: PowerDriver>() -> Service<D> {
    let mut options = Options::for_driver::<D>();
    options.workers = 4;
    Service::with_options(options)
}

impl Driver {
    /// Sends one request to the driver's service.
    fn send(self, method: &str, uri: &Uri, body: &[u8]) -> ServiceReply {
        let target = uri.to_string();
        match self {
            Driver::Lamp => SERVICES.lamp.send(method, &target, body),
            Driver::Chassis => SERVICES.chassis.send(method, &target, body),
            Driver::Vault => SERVICES.vault.send(method, &target, body),
        }
    }

    fn metadata(self) -> Value {
        match self {
            Driver::Lamp => json!(Metadata::of::<Lamp>()),
            Driver::Chassis => json!(Metadata::of::<Chassis>()),
            Driver::Vault => json!(Metadata::of::<Vault>()),
        }
    }
}

/// A service request body: anything, or mostly `{"system_id", "context", "order"}`
/// with each part right or wrong.
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

/// The `error_type` the service gives each code.
fn error_type_of(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::Settings => "invalid_parameters",
        ErrorCode::Conn => "unavailable",
        ErrorCode::UnsupportedAction => "unsupported_action",
        ErrorCode::Fatal | ErrorCode::Tool | ErrorCode::Auth | ErrorCode::Action => "power_action",
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
/// `order` that is a list of boot devices, each in a form `BootDevice` reads.
fn is_request(action: Action, body: &[u8]) -> bool {
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    let order = || match fields.get("order") {
        Some(order) => serde_json::from_value::<Vec<BootDevice>>(order.clone()).is_ok(),
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
fn check(driver: Driver, method: &str, uri: &Uri, body: &[u8]) -> Result<(), TestCaseError> {
    let ServiceReply {
        status,
        body: answer,
        ..
    } = driver.send(method, uri, body);
    let text = String::from_utf8_lossy(&answer);
    let context = format!("{driver:?} {method} {uri} ({} bytes)", body.len());
    prop_assert!(
        !leaks(&answer),
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
        method == "GET" || method == "HEAD"
    } else {
        method == "POST"
    };
    if method == "HEAD" {
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
                    ["not_found", "method_not_allowed", "invalid_request"].contains(&error_type),
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

fn method() -> BoxedStrategy<String> {
    let named = select(vec![
        "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT",
    ])
    .prop_map(str::to_owned);
    prop_oneof![
        6 => Just("POST".to_owned()),
        2 => Just("GET".to_owned()),
        2 => named,
        1 => "[A-Za-z]{1,10}",
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
    // What a client can send: a request target the http crate parses, with a path.
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
            let ServiceReply {
                status,
                body: answer,
                ..
            } = driver.send("POST", &Uri::from_static(path), &body);
            let reply: Value = serde_json::from_slice(&answer).expect("JSON");
            let message = reply["error_message"].as_str().unwrap_or_default();
            let outcome = match reply["error_type"].as_str() {
                None => "ok".to_owned(),
                Some(_) if message.starts_with("invalid request: order") => "bad order".to_owned(),
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
    /// Arbitrary methods, paths and bodies, to each driver's service.
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
                check(driver, "POST", &Uri::from_static(path), &body)?;
            }
        }
    }
}
