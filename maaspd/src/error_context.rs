//! Turning another library's error into a MAAS error in one step: the code it is, and
//! what was being done, before the cause.

use std::fmt::Display;

use crate::{Error, ErrorCode, Result};

/// Gives a failing `Result` of any error type its MAAS error code and what was being
/// done: `result.or_conn("reaching the BMC")?` is
/// `result.map_err(|e| Error::conn(format!("reaching the BMC: {e}")))?`.
///
/// The cause's text is kept: never use it on an error whose text may hold a secret.
///
/// ```
/// use maaspd::{ErrorCode, ErrorContext};
///
/// let port: Result<u16, _> = "70000".parse::<u16>();
/// let error = port.or_settings("driverParameters.port").unwrap_err();
/// assert_eq!(error.code(), ErrorCode::Settings);
/// assert_eq!(error.message(), "driverParameters.port: number too large to fit in target type");
///
/// let reply: Result<(), std::io::Error> = Err(std::io::ErrorKind::ConnectionRefused.into());
/// let error = reply.or_conn(format_args!("cannot reach {}", "10.0.0.5:623")).unwrap_err();
/// assert_eq!(error.message(), "cannot reach 10.0.0.5:623: connection refused");
/// ```
pub trait ErrorContext<T> {
    /// The error, as `code`, after `doing`.
    fn or_error(self, code: ErrorCode, doing: impl Display) -> Result<T>;

    /// `connError`: the BMC could not be reached or did not answer (MAAS retries it).
    fn or_conn(self, doing: impl Display) -> Result<T>
    where
        Self: Sized,
    {
        self.or_error(ErrorCode::Conn, doing)
    }

    /// `actionError`: the BMC refused or failed the action (MAAS retries it).
    fn or_action(self, doing: impl Display) -> Result<T>
    where
        Self: Sized,
    {
        self.or_error(ErrorCode::Action, doing)
    }

    /// `authError`: the BMC refused the credentials.
    fn or_auth(self, doing: impl Display) -> Result<T>
    where
        Self: Sized,
    {
        self.or_error(ErrorCode::Auth, doing)
    }

    /// `settingsError`: a setting is wrong.
    fn or_settings(self, doing: impl Display) -> Result<T>
    where
        Self: Sized,
    {
        self.or_error(ErrorCode::Settings, doing)
    }

    /// `toolError`: a tool the driver runs is missing or broken.
    fn or_tool(self, doing: impl Display) -> Result<T>
    where
        Self: Sized,
    {
        self.or_error(ErrorCode::Tool, doing)
    }

    /// `fatalError`: anything MAAS must not retry.
    fn or_fatal(self, doing: impl Display) -> Result<T>
    where
        Self: Sized,
    {
        self.or_error(ErrorCode::Fatal, doing)
    }
}

impl<T, E: Display> ErrorContext<T> for std::result::Result<T, E> {
    fn or_error(self, code: ErrorCode, doing: impl Display) -> Result<T> {
        self.map_err(|cause| Error::new(code, format!("{doing}: {cause}")))
    }
}

/// Returns early with a MAAS error of the given kind (`conn`, `action`, `auth`,
/// `settings`, `tool`, `fatal`) and a `format!` message.
///
/// ```
/// fn power_on(reachable: bool) -> maaspd::Result<()> {
///     if !reachable {
///         maaspd::bail!(conn, "no answer from {} in {} s", "10.0.0.5", 5);
///     }
///     Ok(())
/// }
///
/// let error = power_on(false).unwrap_err();
/// assert_eq!(error.code(), maaspd::ErrorCode::Conn);
/// assert_eq!(error.message(), "no answer from 10.0.0.5 in 5 s");
/// ```
#[macro_export]
macro_rules! bail {
    ($kind:ident, $($message:tt)+) => {
        return ::core::result::Result::Err($crate::err!($kind, $($message)+))
    };
}

/// A MAAS error of the given kind (`conn`, `action`, `auth`, `settings`, `tool`,
/// `fatal`) with a `format!` message.
///
/// ```
/// let error = maaspd::err!(action, "the BMC answered {}", 409);
/// assert_eq!((error.code(), error.message()), (maaspd::ErrorCode::Action, "the BMC answered 409"));
/// ```
#[macro_export]
macro_rules! err {
    ($kind:ident, $($message:tt)+) => {
        $crate::Error::$kind(::std::format!($($message)+))
    };
}
