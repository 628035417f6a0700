//! The endpoints, and the bounded, deadlined run of an action behind each.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::BytesRejection;
use axum::http::{Method, StatusCode, Uri};
use axum::routing::{get, post};
use serde_json::json;

use super::Shared;
use super::pool::WAITING_FOR_A_WORKER;
use super::reply::Reply;
use super::request;
use crate::context::{CancelOnDrop, timed_out};
use crate::execute::{execute, execute_on};
use crate::metadata::Metadata;
use crate::{Action, Context, Error, PowerDriver};

/// A request body holds one machine's parameters: anything bigger is refused (413).
const MAX_BODY: usize = 64 * 1024;

/// The endpoints of the spec, and `/probe`, maaspd's addition.
const ENDPOINTS: [(&str, Action); 7] = [
    ("/query", Action::PowerQuery),
    ("/on", Action::PowerOn),
    ("/off", Action::PowerOff),
    ("/cycle", Action::PowerCycle),
    ("/reset", Action::PowerReset),
    ("/set-boot-order", Action::SetBootOrder),
    ("/probe", Action::Probe),
];

pub(super) fn router<D: PowerDriver>(shared: Arc<Shared>) -> Router {
    let mut router = Router::new().route("/metadata", get(metadata::<D>));
    for (path, action) in ENDPOINTS {
        let shared = shared.clone();
        router = router.route(
            path,
            post(move |body: Result<Bytes, BytesRejection>| {
                run_action::<D>(path, action, shared, body)
            }),
        );
    }
    router
        .fallback(not_found::<D>)
        .method_not_allowed_fallback(method_not_allowed::<D>)
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

async fn metadata<D: PowerDriver>() -> Reply {
    let started = Instant::now();
    let reply = Reply {
        status: StatusCode::OK,
        body: json!(Metadata::of::<D>()),
        summary: "ok".into(),
    };
    log::<D>("GET", "/metadata", None, &reply, started);
    reply
}

async fn run_action<D: PowerDriver>(
    path: &'static str,
    action: Action,
    shared: Arc<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Reply {
    let started = Instant::now();
    let request = match body {
        // As in the one-shot protocol, an action the driver does not offer is refused
        // before the request is read (`execute` answers without loading anything).
        Ok(_) if !D::supports(action) => Err(Reply::from_response(&execute::<D>(
            Context::new(action),
            || Ok(serde_json::Value::Null),
        ))),
        Ok(body) => request::parse(action, &body).map_err(|error| Reply::error(&error)),
        Err(rejection) => Err(Reply::refused(
            rejection.status(),
            "invalid_request",
            &rejection.body_text(),
        )),
    };
    let (ids, reply) = match request {
        Ok(request) => {
            let ids = Ids {
                machine: request.machine,
                caller: request.caller,
            };
            let reply = run_bounded::<D>(action, request.document, &shared, started).await;
            (Some(ids), reply)
        }
        Err(reply) => (None, reply),
    };
    log::<D>("POST", path, ids.as_ref(), &reply, started);
    reply
}

/// Runs the action within its deadline, which counts from the request's arrival, as
/// MAAS's agent's clock does: past it the request is answered 503. Its futures are
/// awaited here and dropped at the deadline; its blocking calls take a worker each, the
/// wait for one included in the deadline, and are abandoned past it (see [`super::pool`]).
/// Either way the action's context is cancelled when the request ends. Shutting down
/// cancels nothing: the requests in flight are finished, within their deadline.
async fn run_bounded<D: PowerDriver>(
    action: Action,
    document: serde_json::Value,
    shared: &Shared,
    started: Instant,
) -> Reply {
    let deadline = tokio::time::Instant::from_std(started) + shared.timeout;
    let mut context = Context::new(action).with_deadline(started, shared.timeout);
    // One BMC's actions wait their turn, within the deadline.
    if let Some(bmc) = D::BMC_KEY.and_then(|key| bmc_of(&document, key)) {
        match tokio::time::timeout_at(deadline, shared.bmc_turns.turn(&bmc)).await {
            Ok(turn) => context.hold_bmc_turn(turn),
            Err(_) => {
                let error = timed_out(shared.timeout);
                return Reply::error(&Error::conn(format!(
                    "{} waiting for its BMC: {} actions at once already run against it",
                    error.message(),
                    shared.bmc_turns.per_bmc()
                )));
            }
        }
    }
    // However this request ends (answered, or its connection gone), its action is told.
    let signal = context.signal();
    let _cancel = CancelOnDrop(signal.clone());
    let run = execute_on::<D, _>(&shared.pool, context, || Ok(document));
    match tokio::time::timeout_at(deadline, run).await {
        Ok(response) => {
            // MAAS sends every machine's whole settings: ignored keys are routine here,
            // shown with `serve -vv` only.
            for warning in response.warnings() {
                log::debug!("{action}: {warning}");
            }
            Reply::from_response(&response)
        }
        Err(_) => {
            let waiting = if signal.is_waiting_for_worker() {
                WAITING_FOR_A_WORKER
            } else {
                ""
            };
            let error = timed_out(shared.timeout);
            Reply::error(&Error::conn(format!("{}{waiting}", error.message())))
        }
    }
}

/// The BMC the request's machine is behind: the value of setting `key`, as MAAS stores
/// it; `None` when absent or empty (no BMC to spare).
fn bmc_of(document: &serde_json::Value, key: &str) -> Option<String> {
    match document.get("driverParameters")?.get(key)? {
        serde_json::Value::String(text) if text.is_empty() => None,
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

async fn not_found<D: PowerDriver>(method: Method, uri: Uri) -> Reply {
    let started = Instant::now();
    let endpoints: Vec<&str> = ENDPOINTS.iter().map(|(path, _)| *path).collect();
    let reply = Reply::refused(
        StatusCode::NOT_FOUND,
        "not_found",
        &format!(
            "no endpoint {}: expected GET /metadata or POST {}",
            uri.path(),
            endpoints.join(", ")
        ),
    );
    log::<D>(method.as_str(), uri.path(), None, &reply, started);
    reply
}

async fn method_not_allowed<D: PowerDriver>(method: Method, uri: Uri) -> Reply {
    let started = Instant::now();
    let expected = if uri.path() == "/metadata" {
        "GET"
    } else {
        "POST"
    };
    let reply = Reply::refused(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        &format!("{} takes {expected}, not {method}", uri.path()),
    );
    log::<D>(method.as_str(), uri.path(), None, &reply, started);
    reply
}

/// Whom a request names: the machine (`context.system_id`) and the caller (the
/// top-level `system_id`, the rack's but for `/set-boot-order`).
struct Ids {
    machine: Option<String>,
    caller: String,
}

/// One line per request on stderr: `system_id=` the machine, `rack=` the caller when it
/// is another. Never the body: `context` holds passwords.
fn log<D: PowerDriver>(
    method: &str,
    path: &str,
    ids: Option<&Ids>,
    reply: &Reply,
    started: Instant,
) {
    // Escaped: the ids are the caller's text, and a newline in one would forge a line.
    let mut named = String::new();
    if let Some(ids) = ids {
        if let Some(machine) = &ids.machine {
            named.push_str(&format!(" system_id={}", machine.escape_debug()));
        }
        if ids.machine.as_ref() != Some(&ids.caller) {
            named.push_str(&format!(" rack={}", ids.caller.escape_debug()));
        }
    }
    crate::logger::line(
        D::NAME,
        format_args!(
            "{method} {path}{named} -> {} {} ({} ms)",
            reply.status.as_u16(),
            reply.summary,
            started.elapsed().as_millis()
        ),
    );
}
