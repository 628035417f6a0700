//! The service's answers: the spec's `{"status": "ok", ...}` and
//! `{"status": "error", "error_type", "error_message"}` with their HTTP status.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use serde_json::{Value, json};

use crate::{Action, Error, ErrorCode, Response};

/// An answer and what the request log says of it.
pub(super) struct Reply {
    pub(super) status: StatusCode,
    pub(super) body: Value,
    /// `ok`, or the error's code and message.
    pub(super) summary: String,
}

impl Reply {
    /// The answer to an action that ran.
    pub(super) fn from_response(response: &Response) -> Reply {
        match response.error() {
            Some(error) => Reply::error(error),
            None => {
                let mut body = json!({"status": "ok"});
                if let Some(state) = response.power_state() {
                    body["state"] = json!(state);
                }
                if response.action() == Action::Probe {
                    body["hosts"] = json!(response.probed_systems().unwrap_or_default());
                }
                Reply {
                    status: StatusCode::OK,
                    body,
                    summary: "ok".into(),
                }
            }
        }
    }

    /// The answer to a failure: settings problems are the caller's (400), an
    /// unreachable BMC is worth retrying (503), an action the driver does not offer is
    /// not found (404), anything else failed the power action (500).
    pub(super) fn error(error: &Error) -> Reply {
        let (status, error_type) = match error.code() {
            ErrorCode::Settings => (StatusCode::BAD_REQUEST, "invalid_parameters"),
            ErrorCode::Conn => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ErrorCode::UnsupportedAction => (StatusCode::NOT_FOUND, "unsupported_action"),
            ErrorCode::Fatal | ErrorCode::Tool | ErrorCode::Auth | ErrorCode::Action => {
                (StatusCode::INTERNAL_SERVER_ERROR, "power_action")
            }
        };
        Reply::failure(status, error_type, Some(error.code()), error.message())
    }

    /// A request the service itself refuses (unknown path, wrong method, body too big).
    pub(super) fn refused(status: StatusCode, error_type: &str, message: &str) -> Reply {
        Reply::failure(status, error_type, None, message)
    }

    fn failure(
        status: StatusCode,
        error_type: &str,
        code: Option<ErrorCode>,
        message: &str,
    ) -> Reply {
        let mut body = json!({
            "status": "error",
            "error_type": error_type,
            "error_message": message,
        });
        // maaspd's addition: the driver's error code, as the one-shot protocol gives it.
        if let Some(code) = code {
            body["error_code"] = json!(code);
        }
        Reply {
            status,
            body,
            summary: format!(
                "{}: {message}",
                code.map_or(error_type.to_owned(), |code| code.to_string())
            ),
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> HttpResponse {
        let content_type = [(header::CONTENT_TYPE, "application/json")];
        (self.status, content_type, self.body.to_string()).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_map_to_the_spec_statuses() {
        let cases = [
            (Error::settings("x"), 400, "invalid_parameters"),
            (Error::conn("x"), 503, "unavailable"),
            (Error::unsupported_action("x"), 404, "unsupported_action"),
            (Error::auth("x"), 500, "power_action"),
            (Error::action("x"), 500, "power_action"),
            (Error::tool("x"), 500, "power_action"),
            (Error::fatal("x"), 500, "power_action"),
        ];
        for (error, status, error_type) in cases {
            let reply = Reply::error(&error);
            assert_eq!(reply.status.as_u16(), status, "{error}");
            assert_eq!(reply.body["error_type"], error_type, "{error}");
            assert_eq!(reply.body["status"], "error");
            assert_eq!(reply.body["error_message"], "x");
        }
    }
}
