//! End-to-end tests of the webhook example driver (`examples/webhook.rs`): the built
//! binary, run as MAAS runs it, against an HTTP or HTTPS server the test starts itself on
//! 127.0.0.1 (`support/http_server.rs`).

#[path = "../../../tests/support/http_server.rs"]
mod http_server;
#[path = "../../../tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use http_server::{HttpServer, Reply, Request, dead_port};
use serde_json::{Value, json};
use support::{Run, example, run};

fn webhook() -> PathBuf {
    example("webhook")
}

/// Runs `action` with `parameters` as `driverParameters`.
fn act(action: &str, parameters: &Value) -> Run {
    let input = json!({"driverParameters": parameters}).to_string();
    run(&webhook(), &[action], input.as_bytes())
}

/// Runs `action` with `SSL_CERT_FILE` set, and no `SSL_CERT_DIR` (which OpenSSL, and so
/// the driver, would read too).
fn act_with_ca_file(action: &str, parameters: &Value, ca_file: &std::path::Path) -> Run {
    let input = json!({"driverParameters": parameters}).to_string();
    support::run_with_env(
        &webhook(),
        &[action],
        input.as_bytes(),
        &[
            ("SSL_CERT_FILE", Some(ca_file.as_os_str())),
            ("SSL_CERT_DIR", None),
        ],
    )
}

/// The three URIs at `base` (`/machine/on`, `/machine/off`, `/machine/status`), plus `extra`.
fn settings(base: &str, extra: Value) -> Value {
    let mut parameters = json!({
        "power_on_uri": format!("{base}/machine/on"),
        "power_off_uri": format!("{base}/machine/off"),
        "power_query_uri": format!("{base}/machine/status"),
    });
    for (key, value) in extra.as_object().expect("extra settings are an object") {
        parameters[key] = value.clone();
    }
    parameters
}

fn document(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is one JSON document ({e}): {run:?}"))
}

fn assert_ok(run: &Run) {
    assert_eq!(document(run)["error"], Value::Null, "{run:?}");
    assert_eq!(run.status, 0, "{run:?}");
}

fn assert_state(run: &Run, state: &str) {
    assert_ok(run);
    assert_eq!(document(run)["data"]["status"], state, "{run:?}");
}

/// Asserts the run failed with `code` and returns its message.
fn assert_error(run: &Run, code: &str) -> String {
    let document = document(run);
    assert_eq!(document["error"]["code"], code, "{run:?}");
    assert_eq!(run.status, 1, "{run:?}");
    document["error"]["message"]
        .as_str()
        .expect("a message")
        .to_owned()
}

fn assert_mentions(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "{part:?} missing from {message:?}");
    }
}

const RUNNING: &str = r#"{"name": "vm-1", "status": "running"}"#;
const STOPPED: &str = r#"{"name": "vm-1", "status": "stopped"}"#;

/// A peer that follows the state it is told, on at first if `on`: a POST to a path
/// ending in `/machine/on` or `/machine/off` (a trailing slash allowed) switches it at
/// once, any GET answers `RUNNING` or `STOPPED`. The runtime confirms each power change
/// by querying, as MAAS's `perform_power` does, so a peer must report the change.
fn machine(on: bool) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
    let on = Arc::new(AtomicBool::new(on));
    move |request: &Request| {
        let path = request.path().trim_end_matches('/');
        match request.method.as_str() {
            "GET" if on.load(Ordering::SeqCst) => Reply::ok(RUNNING),
            "GET" => Reply::ok(STOPPED),
            "POST" if path.ends_with("/machine/on") => {
                on.store(true, Ordering::SeqCst);
                Reply::ok("{}")
            }
            "POST" if path.ends_with("/machine/off") => {
                on.store(false, Ordering::SeqCst);
                Reply::ok("{}")
            }
            _ => Reply::status(404),
        }
    }
}

#[test]
fn on_and_off_post_to_their_uri_with_maas_headers() {
    let server = HttpServer::start(machine(false));
    let parameters = settings(
        &server.url(""),
        json!({"power_token": "tok-123", "system_id": "xyz123"}),
    );
    let on = act("power_on", &parameters);
    assert_ok(&on);
    // MAAS adds system_id to every driver's parameters: this driver uses it, so no warning.
    assert_eq!(on.stderr, "", "{on:?}");
    assert_ok(&act("power_off", &parameters));

    let requests = server.requests();
    let seen: Vec<(&str, &str)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.target.as_str()))
        .collect();
    // Each change is confirmed by querying the peer, as MAAS's `perform_power` does; the
    // peer switched at once, so one GET each.
    assert_eq!(
        seen,
        [
            ("POST", "/machine/on"),
            ("GET", "/machine/status"),
            ("POST", "/machine/off"),
            ("GET", "/machine/status"),
        ]
    );
    for request in &requests {
        assert_eq!(request.header("authorization"), Some("Bearer tok-123"));
        assert_eq!(request.header("accept"), Some("application/json"));
        assert_eq!(request.header("system_id"), Some("xyz123"));
        let agent = request.header("user-agent").unwrap_or_default();
        assert!(agent.starts_with("MAAS "), "User-Agent {agent:?}");
        if request.method == "GET" {
            assert_eq!(request.header("content-length"), None, "{request:?}");
            assert_eq!(request.header("transfer-encoding"), None, "{request:?}");
            continue;
        }
        // No body, framed as Twisted frames it (`Content-Length: 0`), and, as MAAS, no
        // Content-Type: some services refuse one without content.
        assert_eq!(request.header("content-length"), Some("0"), "{request:?}");
        assert_eq!(request.header("transfer-encoding"), None, "{request:?}");
        assert_eq!(request.header("content-type"), None, "{request:?}");
        assert!(request.body.is_empty(), "{request:?}");
    }
}

#[test]
fn the_token_wins_and_basic_auth_needs_user_and_password() {
    let server = HttpServer::start(machine(false));
    // (user, password, token) -> Authorization, checked against Python's base64.b64encode.
    let cases: [(&str, &str, &str, Option<&str>); 8] = [
        ("admin", "secret", "", Some("Basic YWRtaW46c2VjcmV0")),
        ("a", "b", "", Some("Basic YTpi")),
        ("ab", "c", "", Some("Basic YWI6Yw==")),
        ("abc", "de", "", Some("Basic YWJjOmRl")),
        ("user", "pässword", "", Some("Basic dXNlcjpww6Rzc3dvcmQ=")),
        ("admin", "secret", "tok", Some("Bearer tok")),
        ("admin", "", "", None),
        ("", "secret", "", None),
    ];
    for (user, pass, token, _) in cases {
        let parameters = settings(
            &server.url(""),
            json!({"power_user": user, "power_pass": pass, "power_token": token}),
        );
        assert_ok(&act("power_on", &parameters));
    }
    // Each power_on is a POST, then the GET that confirms it (as MAAS's `perform_power`
    // queries), with the same Authorization.
    let sent: Vec<(String, Option<String>)> = server
        .requests()
        .iter()
        .map(|r| {
            (
                r.method.clone(),
                r.header("authorization").map(str::to_owned),
            )
        })
        .collect();
    let expected: Vec<(String, Option<String>)> = cases
        .iter()
        .flat_map(|case| {
            let authorization = case.3.map(str::to_owned);
            [
                ("POST".to_owned(), authorization.clone()),
                ("GET".to_owned(), authorization),
            ]
        })
        .collect();
    assert_eq!(sent, expected);
}

/// A server whose `/answer/N` answers `bodies[N]`.
fn answers(bodies: &[&str]) -> HttpServer {
    let bodies: Vec<String> = bodies.iter().map(|body| body.to_string()).collect();
    HttpServer::start(move |request: &Request| {
        let index: Option<usize> = request
            .path()
            .strip_prefix("/answer/")
            .and_then(|n| n.parse().ok());
        match index.and_then(|i| bodies.get(i)) {
            Some(body) => Reply::ok(body.as_str()),
            None => Reply::status(404),
        }
    })
}

/// Queries a server made by `answers`, whose answer is `bodies[index]`.
fn query(server: &HttpServer, index: usize, extra: Value) -> Run {
    let mut parameters = settings(&server.url(""), extra);
    parameters["power_query_uri"] = json!(server.url(&format!("/answer/{index}")));
    act("power_query", &parameters)
}

#[test]
fn query_gets_and_matches_the_default_regexes() {
    let pretty = "{\n  \"name\": \"vm-1\",\n  \"status\": \"running\"\n}\n";
    let server = answers(&[
        RUNNING,
        STOPPED,
        "machine status: running fine",
        pretty,
        r#"{"status": "paused"}"#,
    ]);
    assert_state(&query(&server, 0, json!({})), "on");
    assert_state(&query(&server, 1, json!({})), "off");
    // `status.*\:.*running` is searched anywhere, not anchored, and line by line.
    assert_state(&query(&server, 2, json!({})), "on");
    assert_state(&query(&server, 3, json!({})), "on");
    let paused = query(&server, 4, json!({}));
    assert_state(&paused, "unknown");
    assert_mentions(
        &paused.stderr,
        &["neither power_on_regex nor power_off_regex matches"],
    );
    for request in server.requests() {
        assert_eq!(request.method, "GET");
        assert_eq!(request.header("content-length"), None, "{request:?}");
        assert_eq!(request.header("transfer-encoding"), None, "{request:?}");
        assert_eq!(request.header("accept"), Some("application/json"));
    }
}

#[test]
fn query_uses_custom_regexes_on_first() {
    let server = answers(&["power=on", "power=0", "power=00", RUNNING, STOPPED, "vm"]);
    let custom = json!({"power_on_regex": "power=(1|on)", "power_off_regex": "^power=0$"});
    assert_state(&query(&server, 0, custom.clone()), "on");
    assert_state(&query(&server, 1, custom.clone()), "off");
    assert_state(&query(&server, 2, custom.clone()), "unknown");
    // The default regexes no longer apply.
    assert_state(&query(&server, 3, custom), "unknown");
    // Both match: on is tried first.
    let both = json!({"power_on_regex": "vm", "power_off_regex": "vm"});
    assert_state(&query(&server, 5, both), "on");
    // An empty regex is not used, as in MAAS (where an empty pattern would match anything).
    let no_on = json!({"power_on_regex": ""});
    assert_state(&query(&server, 3, no_on.clone()), "unknown");
    assert_state(&query(&server, 4, no_on), "off");
}

/// A server that wants basic auth `admin:secret` and answers 403 to `/machine/off`.
fn guarded_server() -> HttpServer {
    HttpServer::start(|request: &Request| {
        if request.header("authorization") != Some("Basic YWRtaW46c2VjcmV0") {
            return Reply::status(401).header("WWW-Authenticate", "Basic realm=\"webhook\"");
        }
        if request.path() == "/machine/off" {
            return Reply::status(403);
        }
        Reply::ok(RUNNING)
    })
}

#[test]
fn refused_credentials_are_auth_errors() {
    let server = guarded_server();
    let good = settings(
        &server.url(""),
        json!({"power_user": "admin", "power_pass": "secret"}),
    );
    assert_ok(&act("power_on", &good));
    assert_state(&act("power_query", &good), "on");

    let wrong = settings(
        &server.url(""),
        json!({"power_user": "admin", "power_pass": "wrong"}),
    );
    let message = assert_error(&act("power_on", &wrong), "authError");
    assert_mentions(
        &message,
        &[
            "POST",
            "/machine/on (power_on_uri)",
            "401 Unauthorized",
            "basic auth",
        ],
    );
    let message = assert_error(&act("power_query", &wrong), "authError");
    assert_mentions(&message, &["GET", "(power_query_uri)", "401"]);

    let token = settings(&server.url(""), json!({"power_token": "nope"}));
    let message = assert_error(&act("power_on", &token), "authError");
    assert_mentions(&message, &["401", "bearer token"]);

    let none = settings(&server.url(""), json!({}));
    let message = assert_error(&act("power_on", &none), "authError");
    assert_mentions(&message, &["401", "no credentials"]);

    let message = assert_error(&act("power_off", &good), "authError");
    assert_mentions(&message, &["/machine/off (power_off_uri)", "403 Forbidden"]);
}

#[test]
fn failed_requests_are_action_errors() {
    let server = HttpServer::start(|request: &Request| match request.path() {
        "/machine/on" | "/machine/status" => Reply::status(500).body("boom"),
        "/machine/off" => Reply::status(503),
        _ => Reply::status(404),
    });
    let parameters = settings(&server.url(""), json!({}));
    let message = assert_error(&act("power_on", &parameters), "actionError");
    assert_mentions(
        &message,
        &[
            "POST",
            "/machine/on (power_on_uri)",
            "500 Internal Server Error",
        ],
    );
    let message = assert_error(&act("power_off", &parameters), "actionError");
    assert_mentions(&message, &["503 Service Unavailable"]);
    let message = assert_error(&act("power_query", &parameters), "actionError");
    assert_mentions(&message, &["GET", "(power_query_uri)", "500"]);

    // A 404 is tried once more with a trailing slash, then reported.
    let missing = json!({"power_on_uri": server.url("/nowhere")});
    let message = assert_error(
        &act("power_on", &settings(&server.url(""), missing)),
        "actionError",
    );
    assert_mentions(&message, &["404 Not Found"]);
    let targets: Vec<String> = server.requests().iter().map(|r| r.target.clone()).collect();
    assert_eq!(
        targets[targets.len() - 2..],
        ["/nowhere".to_owned(), "/nowhere/".to_owned()]
    );
}

#[test]
fn a_404_is_retried_with_a_trailing_slash() {
    // The service wants trailing slashes, as some BMCs do (MAAS retries for them).
    let peer = machine(false);
    let server = HttpServer::start(move |request: &Request| {
        if request.path().ends_with('/') {
            peer(request)
        } else {
            Reply::status(404)
        }
    });
    let mut parameters = settings(&server.url(""), json!({}));
    parameters["power_query_uri"] = json!(server.url("/machine/status?vm=1"));
    assert_ok(&act("power_on", &parameters));
    assert_state(&act("power_query", &parameters), "on");
    let seen: Vec<(String, String)> = server
        .requests()
        .iter()
        .map(|r| (r.method.clone(), r.target.clone()))
        .collect();
    // The power_on, then its confirmation (a query, as MAAS's `perform_power` makes),
    // then the power_query: each tried again with a trailing slash.
    let expected = [
        ("POST", "/machine/on"),
        ("POST", "/machine/on/"),
        ("GET", "/machine/status?vm=1"),
        ("GET", "/machine/status/?vm=1"),
        ("GET", "/machine/status?vm=1"),
        ("GET", "/machine/status/?vm=1"),
    ]
    .map(|(m, t)| (m.to_owned(), t.to_owned()));
    assert_eq!(seen, expected);
}

#[test]
fn get_follows_redirects_post_does_not() {
    let server = HttpServer::start(|request: &Request| match request.path() {
        "/machine/status" => Reply::status(302).header("Location", "/v2/status"),
        "/v2/status" => Reply::ok(RUNNING),
        "/machine/on" => Reply::status(301).header("Location", "/v2/on?session=1"),
        _ => Reply::status(404),
    });
    let parameters = settings(&server.url(""), json!({"power_token": "tok"}));
    assert_state(&act("power_query", &parameters), "on");
    let message = assert_error(&act("power_on", &parameters), "actionError");
    assert_mentions(
        &message,
        &[
            "POST",
            "(power_on_uri)",
            "redirected to /v2/on",
            "301 Moved Permanently",
            "set power_on_uri",
        ],
    );
    let requests = server.requests();
    let seen: Vec<(&str, &str)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.target.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("GET", "/machine/status"),
            ("GET", "/v2/status"),
            ("POST", "/machine/on")
        ]
    );
    // The token follows a redirect on the same host.
    assert_eq!(requests[1].header("authorization"), Some("Bearer tok"));
}

#[test]
fn a_dead_port_is_a_conn_error() {
    let base = format!("http://127.0.0.1:{}", dead_port());
    for (action, setting) in [
        ("power_on", "power_on_uri"),
        ("power_off", "power_off_uri"),
        ("power_query", "power_query_uri"),
    ] {
        let message = assert_error(&act(action, &settings(&base, json!({}))), "connError");
        assert_mentions(&message, &[&base, setting, "refused"]);
    }
}

#[test]
fn bad_settings_are_settings_errors_before_any_request() {
    let server = HttpServer::start(|_| Reply::ok(RUNNING));
    let base = server.url("");
    let cases: Vec<(Value, &[&str])> = vec![
        (
            json!({"power_on_regex": "status(running"}),
            &[
                "driverParameters.power_on_regex",
                "not a valid regular expression",
            ],
        ),
        (
            json!({"power_off_regex": "[stopped"}),
            &[
                "driverParameters.power_off_regex",
                "not a valid regular expression",
            ],
        ),
        (
            json!({"power_on_uri": "http://exa mple/on"}),
            &[
                "driverParameters.power_on_uri",
                "not a valid http or https URI",
            ],
        ),
        (
            json!({"power_off_uri": "ftp://127.0.0.1/off"}),
            &["driverParameters.power_off_uri", "the scheme is \"ftp\""],
        ),
        (
            json!({"power_query_uri": "/machine/status"}),
            &["driverParameters.power_query_uri", "no scheme"],
        ),
        (
            json!({"power_query_uri": ""}),
            &["driverParameters.power_query_uri"],
        ),
        (
            json!({"power_verify_ssl": "yes"}),
            &["driverParameters.power_verify_ssl", "unknown variant `yes`"],
        ),
        (
            json!({"power_token": "line\nbreak"}),
            &["driverParameters.power_token", "HTTP header"],
        ),
        (
            json!({"power_on_uri": 7}),
            &["driverParameters.power_on_uri", "invalid type"],
        ),
    ];
    for (extra, parts) in cases {
        for action in ["power_on", "power_off", "power_query"] {
            let message = assert_error(
                &act(action, &settings(&base, extra.clone())),
                "settingsError",
            );
            assert_mentions(&message, parts);
        }
    }
    // A required URI left out.
    let mut parameters = settings(&base, json!({}));
    parameters.as_object_mut().unwrap().remove("power_off_uri");
    let message = assert_error(&act("power_on", &parameters), "settingsError");
    assert_mentions(&message, &["missing field `power_off_uri`"]);

    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[test]
fn unknown_parameters_are_only_warned_about() {
    let server = HttpServer::start(|_| Reply::ok(STOPPED));
    let parameters = settings(
        &server.url(""),
        // Left over from the machine's earlier power type.
        json!({"power_address": "10.0.0.5", "power_id": "vm-1", "system_id": "abc"}),
    );
    let run = act("power_query", &parameters);
    assert_state(&run, "off");
    assert_eq!(
        run.stderr,
        "warning: ignoring unknown driver parameter `driverParameters.power_address`\n\
         warning: ignoring unknown driver parameter `driverParameters.power_id`\n"
    );
}

#[test]
fn https_without_verification_accepts_a_self_signed_certificate() {
    let server = HttpServer::start_tls(&["127.0.0.1"], machine(false));
    let parameters = settings(&server.url(""), json!({"power_token": "tok"}));
    assert_ok(&act("power_off", &parameters));
    assert_ok(&act("power_on", &parameters));
    assert_state(&act("power_query", &parameters), "on");
    // "n" is the default; said outright, the same.
    let explicit = settings(&server.url(""), json!({"power_verify_ssl": "n"}));
    assert_state(&act("power_query", &explicit), "on");
    // Each change is a POST and the GET confirming it; then the two queries.
    let methods: Vec<String> = server.requests().iter().map(|r| r.method.clone()).collect();
    assert_eq!(methods, ["POST", "GET", "POST", "GET", "GET", "GET"]);
}

#[test]
fn https_with_verification_refuses_a_self_signed_certificate() {
    let server = HttpServer::start_tls(&["127.0.0.1"], |_| Reply::ok(RUNNING));
    let parameters = settings(
        &server.url(""),
        json!({"power_verify_ssl": "y", "power_token": "tok"}),
    );
    for action in ["power_on", "power_query"] {
        let message = assert_error(&act(action, &parameters), "connError");
        assert_mentions(
            &message,
            &[
                &server.url("/machine/"),
                "TLS failed",
                "invalid peer certificate",
                "power_verify_ssl is \"y\"",
            ],
        );
    }
    // The handshake failed: the token never left.
    assert!(server.requests().is_empty());
}

#[test]
fn https_with_verification_trusts_the_system_ca_file_and_checks_the_host() {
    let dir = std::env::temp_dir().join(format!("maaspd-webhook-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let server = HttpServer::start_tls(&["127.0.0.1"], machine(false));
    let ca = dir.join("ca-127.pem");
    std::fs::write(&ca, server.cert_pem()).unwrap();
    let parameters = settings(&server.url(""), json!({"power_verify_ssl": "y"}));
    assert_state(&act_with_ca_file("power_query", &parameters, &ca), "off");
    assert_ok(&act_with_ca_file("power_on", &parameters, &ca));

    // A trusted certificate for another name.
    let other = HttpServer::start_tls(&["webhook.example"], |_| Reply::ok(STOPPED));
    let ca_other = dir.join("ca-other.pem");
    std::fs::write(&ca_other, other.cert_pem()).unwrap();
    let parameters = settings(&other.url(""), json!({"power_verify_ssl": "y"}));
    let message = assert_error(
        &act_with_ca_file("power_query", &parameters, &ca_other),
        "connError",
    );
    assert_mentions(&message, &["certificate not valid for name \"127.0.0.1\""]);
    assert!(other.requests().is_empty());

    // A CA file that is not one.
    let junk = dir.join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").unwrap();
    let message = assert_error(
        &act_with_ca_file("power_query", &parameters, &junk),
        "settingsError",
    );
    assert_mentions(&message, &["SSL_CERT_FILE", "no PEM certificate"]);

    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn schema_keeps_maas_names_defaults_and_choices() {
    let run = run(&webhook(), &["schema"], b"");
    assert_eq!(run.status, 0, "{run:?}");
    let schema: Value = serde_json::from_str(&run.stdout).unwrap();
    let properties = schema["properties"].as_object().unwrap();
    let mut names: Vec<&str> = properties.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "power_off_regex",
            "power_off_uri",
            "power_on_regex",
            "power_on_uri",
            "power_pass",
            "power_query_uri",
            "power_token",
            "power_user",
            "power_verify_ssl",
        ]
    );
    assert_eq!(
        schema["required"],
        json!(["power_on_uri", "power_off_uri", "power_query_uri"])
    );
    assert_eq!(
        properties["power_on_regex"]["default"],
        r"status.*\:.*running"
    );
    assert_eq!(
        properties["power_off_regex"]["default"],
        r"status.*\:.*stopped"
    );
    assert_eq!(properties["power_verify_ssl"]["default"], "n");
    assert_eq!(properties["power_pass"]["writeOnly"], true);
    assert_eq!(properties["power_token"]["writeOnly"], true);
    assert_eq!(
        properties["power_on_uri"]["title"],
        "URI to power on the node"
    );
    let choices: Vec<&Value> = schema["$defs"]["YesNo"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|choice| &choice["const"])
        .collect();
    assert_eq!(choices, [&json!("n"), &json!("y")]);
}

#[test]
fn metadata_describes_the_driver_as_maas_does() {
    let run = run(&webhook(), &["metadata"], b"");
    assert_eq!(run.status, 0, "{run:?}");
    let metadata: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(metadata["name"], "webhook");
    assert_eq!(metadata["description"], "Webhook");
    assert_eq!(metadata["ip_extractor"]["field_name"], "power_query_uri");
    assert_eq!(metadata["capabilities"]["can_probe"], false);
    assert_eq!(metadata["capabilities"]["chassis"], false);
    let settings = metadata["settings"].as_array().unwrap();
    let setting = |name: &str| {
        settings
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no setting {name}"))
    };
    // system_id is MAAS's own, not a setting.
    assert!(settings.iter().all(|s| s["name"] != "system_id"));
    for name in ["power_pass", "power_token"] {
        assert_eq!(setting(name)["field_type"], "password");
        assert_eq!(setting(name)["secret"], true);
    }
    assert_eq!(setting("power_verify_ssl")["field_type"], "choice");
    assert_eq!(
        setting("power_verify_ssl")["choices"],
        json!([["n", "No"], ["y", "Yes"]])
    );
    assert_eq!(
        setting("power_query_uri")["label"],
        "URI to query the nodes power status"
    );
    assert!(settings.iter().all(|s| s["scope"] == "bmc"));
}

const SENTINEL_PASS: &str = "s3ntinel-PASS-93a1";
const SENTINEL_TOKEN: &str = "s3ntinel-TOKEN-5c7e";

#[test]
fn secrets_never_appear_in_any_output() {
    // Every answer echoes the whole request (Authorization included), as httpbin does.
    let echo = |status: u16| {
        move |request: &Request| {
            Reply::status(status)
                .header("X-Echo-Len", &request.head_text().len().to_string())
                .body(request.head_text())
        }
    };
    let unauthorized = HttpServer::start(echo(401));
    let forbidden = HttpServer::start(echo(403));
    let failing = HttpServer::start(echo(500));
    let missing = HttpServer::start(echo(404));
    let answering = HttpServer::start(echo(200));
    let redirecting = HttpServer::start(move |request: &Request| {
        let location = format!("/elsewhere?leak={SENTINEL_PASS}&{SENTINEL_TOKEN}");
        Reply::status(302)
            .header("Location", &location)
            .body(request.head_text())
    });
    let tls = HttpServer::start_tls(&["127.0.0.1"], echo(200));
    let dead = format!("http://127.0.0.1:{}", dead_port());
    let dead_with_secrets_in_uri = format!(
        "http://admin:{SENTINEL_PASS}@127.0.0.1:{}/on?token={SENTINEL_TOKEN}",
        dead_port()
    );

    // (what, base URL, extra settings, action, expected code)
    let paths: Vec<(&str, String, Value, &str, &str)> = vec![
        (
            "bad regex",
            answering.url(""),
            json!({"power_on_regex": "("}),
            "power_on",
            "settingsError",
        ),
        (
            "bad uri",
            answering.url(""),
            json!({"power_on_uri": "http://a b"}),
            "power_on",
            "settingsError",
        ),
        (
            "bad choice",
            answering.url(""),
            json!({"power_verify_ssl": "maybe"}),
            "power_on",
            "settingsError",
        ),
        (
            "token not a header value",
            answering.url(""),
            json!({"power_token": format!("{SENTINEL_TOKEN}\r\nX: {SENTINEL_PASS}")}),
            "power_on",
            "settingsError",
        ),
        (
            "401",
            unauthorized.url(""),
            json!({}),
            "power_on",
            "authError",
        ),
        (
            "401 query",
            unauthorized.url(""),
            json!({}),
            "power_query",
            "authError",
        ),
        (
            "403",
            forbidden.url(""),
            json!({}),
            "power_off",
            "authError",
        ),
        ("500", failing.url(""), json!({}), "power_on", "actionError"),
        (
            "500 query",
            failing.url(""),
            json!({}),
            "power_query",
            "actionError",
        ),
        (
            "404 twice",
            missing.url(""),
            json!({}),
            "power_off",
            "actionError",
        ),
        (
            "POST redirect",
            redirecting.url(""),
            json!({}),
            "power_on",
            "actionError",
        ),
        (
            "GET redirect loop",
            redirecting.url(""),
            json!({}),
            "power_query",
            "actionError",
        ),
        (
            "dead port",
            dead.clone(),
            json!({}),
            "power_on",
            "connError",
        ),
        (
            "secrets in the URI",
            dead.clone(),
            json!({"power_on_uri": dead_with_secrets_in_uri}),
            "power_on",
            "connError",
        ),
        (
            "certificate refused",
            tls.url(""),
            json!({"power_verify_ssl": "y"}),
            "power_query",
            "connError",
        ),
        (
            "unknown state",
            answering.url(""),
            json!({}),
            "power_query",
            "",
        ),
    ];
    let mut checked = 0;
    for (what, base, extra, action, code) in &paths {
        for credentials in [
            json!({"power_user": "admin", "power_pass": SENTINEL_PASS}),
            json!({"power_user": "admin", "power_pass": SENTINEL_PASS, "power_token": SENTINEL_TOKEN}),
        ] {
            let mut parameters = settings(base, credentials);
            for (key, value) in extra.as_object().unwrap() {
                parameters[key] = value.clone();
            }
            let run = act(action, &parameters);
            if code.is_empty() {
                assert_state(&run, "unknown");
            } else {
                assert_error(&run, code);
            }
            // The basic-auth header too: base64 of `admin:<SENTINEL_PASS>`.
            for secret in [
                SENTINEL_PASS,
                SENTINEL_TOKEN,
                "YWRtaW46czNudGluZWwtUEFTUy05M2Ex",
            ] {
                assert!(
                    !run.stdout.contains(secret) && !run.stderr.contains(secret),
                    "{what}: a secret leaked: {run:?}"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, paths.len() * 2);
    // The secrets did reach the servers that were reached (and were echoed back).
    let sent = unauthorized.requests();
    assert!(sent.iter().any(|r| r.head_text().contains(SENTINEL_TOKEN)));
}

/// `-v` and `-vv` show maaspd's and the driver's records; the HTTP client's own debug
/// records (ureq's connection steps) show only from `-vvv`, where an operator asks.
#[test]
fn the_libraries_records_show_only_from_vvv() {
    let server = HttpServer::start(|_: &Request| Reply::ok(RUNNING));
    let token = json!({"power_token": "tok-Sentinel-9q"});
    let input = json!({"driverParameters": settings(&server.url(""), token)}).to_string();
    let verbose = |flag: &str| run(&webhook(), &["power_query", flag], input.as_bytes());
    let vv = verbose("-vv");
    assert!(vv.stderr.contains("webhook: debug: read"), "{vv:?}");
    assert!(!vv.stderr.contains("Connected"), "{vv:?}");
    let vvv = verbose("-vvv");
    assert!(vvv.stderr.contains("Connected"), "{vvv:?}");
    // Even the HTTP client's own records do not show the token.
    assert!(!vvv.stderr.contains("Sentinel-9q"), "{vvv:?}");
}
