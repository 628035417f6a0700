//! Every way a request fails, as one MAAS error: transport and TLS failures are
//! `connError` naming the cause, 401 and 403 `authError`, any other status from 300 up
//! `actionError` with a short excerpt of the answer, the credentials struck out.

use ureq::http::StatusCode;

use super::Config;
use crate::Error;

/// The most of an answer an error message quotes.
const EXCERPT: usize = 240;

/// A transport failure: the BMC not reached, silent, speaking no HTTP, or TLS failing.
pub(super) fn transport(config: &Config, place: &str, error: ureq::Error) -> Error {
    let peer = &config.peer;
    if let Some(tls) = rustls_error(&error) {
        return tls_failure(config, place, tls);
    }
    match error {
        ureq::Error::Timeout(which) => Error::conn(format!(
            "{place}: no answer from {peer} in time ({which} timeout)"
        )),
        ureq::Error::HostNotFound => {
            Error::conn(format!("{place}: the host name does not resolve"))
        }
        ureq::Error::Io(io) => Error::conn(format!("{place}: cannot reach {peer}: {io}")),
        ureq::Error::BodyExceedsLimit(limit) => Error::action(format!(
            "{place}: the answer of {peer} is larger than {limit} bytes"
        )),
        ureq::Error::Protocol(_) => Error::conn(format!(
            "{place}: cannot talk to {peer}: its answer is not HTTP ({error})"
        )),
        other => Error::conn(format!("{place}: cannot reach {peer}: {other}")),
    }
}

/// The rustls error behind a failure, wherever ureq put it.
fn rustls_error(error: &ureq::Error) -> Option<&rustls::Error> {
    match error {
        ureq::Error::Rustls(tls) => Some(tls),
        ureq::Error::Io(io) => io.get_ref()?.downcast_ref(),
        _ => None,
    }
}

fn tls_failure(config: &Config, place: &str, error: &rustls::Error) -> Error {
    let peer = &config.peer;
    match (error, config.verify) {
        (rustls::Error::InvalidCertificate(problem), Some(setting)) => {
            // The variant's name ("UnknownIssuer", "NotValidForNameContext") is what
            // an operator searches for.
            let debug = format!("{problem:?}");
            let kind = debug.split([' ', '(', '{']).next().unwrap_or_default();
            Error::conn(format!(
                "{place}: TLS failed: the TLS certificate was refused: {error} [{kind}]; \
                 {setting} is \"y\", so the certificate must be valid for the host and \
                 issued by a CA the system trusts (SSL_CERT_FILE, SSL_CERT_DIR): add its \
                 CA, or set {setting} to \"n\""
            ))
        }
        _ => Error::conn(format!("{place}: TLS with {peer} failed: {error}")),
    }
}

/// A status that is not success, with the answer's `body`.
pub(super) fn status(config: &Config, place: &str, status: StatusCode, body: &[u8]) -> Error {
    let shown = shown_status(status);
    let excerpt = excerpt(body, &config.auth.secrets());
    let excerpt = if excerpt.is_empty() {
        String::new()
    } else {
        format!(" ({excerpt})")
    };
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        let sent = match config.auth {
            super::Auth::None => "no credentials were sent".to_owned(),
            _ => format!("{} was refused", config.auth.describe()),
        };
        let check = if config.auth_settings.is_empty() {
            String::new()
        } else {
            format!("; check {}", config.auth_settings)
        };
        return Error::auth(format!(
            "{place} failed with response status code: {shown}{excerpt}: {sent}{check}"
        ));
    }
    Error::action(format!(
        "{place} failed with response status code: {shown}{excerpt}"
    ))
}

/// "404 Not Found", or the bare number for a status without a standard reason.
pub(super) fn shown_status(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// What an answer says, short: a JSON answer's messages (every string under a
/// `message` key, as Redfish's `error.message` and `@Message.ExtendedInfo` and Proxmox's
/// errors put them, and every string under an `error` key, as LXD's do), else its text
/// on one line; cut at [`EXCERPT`] characters,
/// each of `secrets` replaced by `[redacted]`.
pub(super) fn excerpt(body: &[u8], secrets: &[String]) -> String {
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(json) => {
            let mut messages = Vec::new();
            collect_messages(&json, &mut messages);
            messages.dedup();
            messages.join("; ")
        }
        Err(_) => String::from_utf8_lossy(body)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    };
    let mut text = secrets
        .iter()
        .fold(text, |text, secret| text.replace(secret, "[redacted]"));
    if let Some((cut, _)) = text.char_indices().nth(EXCERPT) {
        text.truncate(cut);
        text.push('…');
    }
    text
}

fn collect_messages<'a>(json: &'a serde_json::Value, into: &mut Vec<&'a str>) {
    match json {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match value.as_str() {
                    // Trimmed: Proxmox ends each message with a line break.
                    Some(text)
                        if (key.eq_ignore_ascii_case("message")
                            || key.eq_ignore_ascii_case("error"))
                            && !text.trim().is_empty() =>
                    {
                        into.push(text.trim())
                    }
                    _ => collect_messages(value, into),
                }
            }
        }
        serde_json::Value::Array(items) => {
            items.iter().for_each(|item| collect_messages(item, into));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redfish_error_gives_its_messages() {
        let body = br#"{"error": {"code": "Base.1.0.GeneralError",
            "message": "Fake system nosuch was not found",
            "@Message.ExtendedInfo": [{"Message": "Check the id"}]}}"#;
        assert_eq!(
            excerpt(body, &[]),
            "Fake system nosuch was not found; Check the id"
        );
    }

    #[test]
    fn a_proxmox_error_gives_its_message_without_its_line_break() {
        let body = br#"{"data": null, "message": "authentication failure\n"}"#;
        assert_eq!(excerpt(body, &[]), "authentication failure");
    }

    #[test]
    fn an_lxd_error_gives_its_error_text() {
        let body = br#"{"type": "error", "status": "", "status_code": 0, "operation": "",
            "error_code": 404, "error": "Instance not found", "metadata": null}"#;
        assert_eq!(excerpt(body, &[]), "Instance not found");
        // An empty one is no message: a successful answer's `"error": ""`.
        assert_eq!(excerpt(br#"{"error": "", "message": "x"}"#, &[]), "x");
    }

    #[test]
    fn text_is_put_on_one_line_cut_and_redacted() {
        let body = format!("denied for  pw-123\n{}", "x".repeat(500));
        let shown = excerpt(body.as_bytes(), &["pw-123".to_owned()]);
        assert!(shown.starts_with("denied for [redacted] xxx"), "{shown}");
        assert_eq!(shown.chars().count(), EXCERPT + 1);
    }

    #[test]
    fn statuses_are_shown_with_their_reason() {
        assert_eq!(shown_status(StatusCode::NOT_FOUND), "404 Not Found");
        assert_eq!(shown_status(StatusCode::from_u16(599).unwrap()), "599");
    }
}
