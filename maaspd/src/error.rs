//! Errors a power driver reports, each carrying one of MAAS's seven codes.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What went wrong, in the terms MAAS acts on: the code decides whether MAAS retries.
///
/// Serialised as MAAS's names (`"connError"`, ...).
///
/// ```
/// use maaspd::ErrorCode;
///
/// assert_eq!(ErrorCode::Conn.as_str(), "connError");
/// assert!(ErrorCode::Conn.is_retried());
/// assert!(!ErrorCode::Auth.is_retried());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorCode {
    /// Stop: the action must not be retried.
    #[serde(rename = "fatalError")]
    Fatal,
    /// A power parameter is missing or invalid.
    #[serde(rename = "settingsError")]
    Settings,
    /// A tool the driver needs is missing.
    #[serde(rename = "toolError")]
    Tool,
    /// The BMC refused the credentials.
    #[serde(rename = "authError")]
    Auth,
    /// The BMC could not be reached; MAAS retries.
    #[serde(rename = "connError")]
    Conn,
    /// The BMC was reached but the action failed; MAAS retries.
    #[serde(rename = "actionError")]
    Action,
    /// The driver does not offer the requested action.
    #[serde(rename = "unsupportedActionError")]
    UnsupportedAction,
}

impl ErrorCode {
    /// Every code, in the order of the protocol's table.
    ///
    /// ```
    /// assert_eq!(maaspd::ErrorCode::ALL.len(), 7);
    /// ```
    pub const ALL: [ErrorCode; 7] = [
        ErrorCode::Fatal,
        ErrorCode::Settings,
        ErrorCode::Tool,
        ErrorCode::Auth,
        ErrorCode::Conn,
        ErrorCode::Action,
        ErrorCode::UnsupportedAction,
    ];

    /// The code as it appears in the JSON document.
    ///
    /// ```
    /// assert_eq!(maaspd::ErrorCode::UnsupportedAction.as_str(), "unsupportedActionError");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Fatal => "fatalError",
            ErrorCode::Settings => "settingsError",
            ErrorCode::Tool => "toolError",
            ErrorCode::Auth => "authError",
            ErrorCode::Conn => "connError",
            ErrorCode::Action => "actionError",
            ErrorCode::UnsupportedAction => "unsupportedActionError",
        }
    }

    /// Whether MAAS retries an action that failed with this code.
    ///
    /// ```
    /// assert!(maaspd::ErrorCode::Action.is_retried());
    /// assert!(!maaspd::ErrorCode::Settings.is_retried());
    /// ```
    pub const fn is_retried(self) -> bool {
        matches!(self, ErrorCode::Conn | ErrorCode::Action)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed power action: an [`ErrorCode`] and a message for the operator.
///
/// Serialised as the protocol's error object, `{"code": ..., "message": ...}`.
/// Never put a password or token in the message: it is printed.
///
/// ```
/// use maaspd::{Error, ErrorCode};
///
/// let error = Error::conn("BMC 10.0.0.5 did not answer within 10 s");
/// assert_eq!(error.code(), ErrorCode::Conn);
/// assert_eq!(error.to_string(), "connError: BMC 10.0.0.5 did not answer within 10 s");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Error {
    code: ErrorCode,
    message: String,
}

impl Error {
    /// An error with any code.
    ///
    /// ```
    /// let error = maaspd::Error::new(maaspd::ErrorCode::Tool, "ipmipower is not installed");
    /// assert_eq!(error.message(), "ipmipower is not installed");
    /// ```
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
        }
    }

    /// `fatalError`: stop, do not retry.
    ///
    /// ```
    /// assert_eq!(maaspd::Error::fatal("x").code(), maaspd::ErrorCode::Fatal);
    /// ```
    pub fn fatal(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Fatal, message)
    }

    /// `settingsError`: a power parameter is missing or invalid.
    ///
    /// ```
    /// assert_eq!(maaspd::Error::settings("x").code(), maaspd::ErrorCode::Settings);
    /// ```
    pub fn settings(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Settings, message)
    }

    /// `toolError`: a tool the driver needs is missing.
    ///
    /// ```
    /// assert_eq!(maaspd::Error::tool("x").code(), maaspd::ErrorCode::Tool);
    /// ```
    pub fn tool(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Tool, message)
    }

    /// `authError`: the BMC refused the credentials.
    ///
    /// ```
    /// assert_eq!(maaspd::Error::auth("x").code(), maaspd::ErrorCode::Auth);
    /// ```
    pub fn auth(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Auth, message)
    }

    /// `connError`: the BMC could not be reached; MAAS retries.
    ///
    /// ```
    /// assert_eq!(maaspd::Error::conn("x").code(), maaspd::ErrorCode::Conn);
    /// ```
    pub fn conn(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Conn, message)
    }

    /// `actionError`: the BMC was reached but the action failed; MAAS retries.
    ///
    /// ```
    /// assert_eq!(maaspd::Error::action("x").code(), maaspd::ErrorCode::Action);
    /// ```
    pub fn action(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Action, message)
    }

    /// `unsupportedActionError`: the driver does not offer this action.
    ///
    /// ```
    /// let error = maaspd::Error::unsupported_action("no chassis here");
    /// assert_eq!(error.code(), maaspd::ErrorCode::UnsupportedAction);
    /// ```
    pub fn unsupported_action(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::UnsupportedAction, message)
    }

    /// The code MAAS acts on.
    ///
    /// ```
    /// assert_eq!(maaspd::Error::auth("denied").code(), maaspd::ErrorCode::Auth);
    /// ```
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The message for the operator.
    ///
    /// ```
    /// assert_eq!(maaspd::Error::auth("denied").message(), "denied");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

/// The result of every driver method.
///
/// ```
/// fn check(port: u16) -> maaspd::Result<u16> {
///     if port == 0 {
///         return Err(maaspd::Error::settings("port must not be 0"));
///     }
///     Ok(port)
/// }
/// assert!(check(0).is_err());
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_maas_names() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, code.as_str());
            assert_eq!(serde_json::from_value::<ErrorCode>(json).unwrap(), code);
        }
    }

    #[test]
    fn only_conn_and_action_errors_are_retried() {
        let retried: Vec<_> = ErrorCode::ALL
            .into_iter()
            .filter(|c| c.is_retried())
            .collect();
        assert_eq!(retried, [ErrorCode::Conn, ErrorCode::Action]);
    }

    #[test]
    fn error_serialises_as_protocol_object() {
        let json = serde_json::to_value(Error::action("reset refused")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "actionError", "message": "reset refused"})
        );
    }
}
