//! A tool's known failures: texts it prints, each read as a MAAS error, as MAAS's own
//! drivers read their tools (`IPMI_ERRORS` for FreeIPMI).

use std::fmt::Display;

use crate::{Error, ErrorCode};

/// A failure a tool reports in its output: the text it prints, the MAAS error that is,
/// and what it means for the operator. A driver keeps a table of them in order of
/// precedence and looks a tool's output up in it with [`find`](KnownFailure::find).
///
/// ```
/// use maaspd::ErrorCode;
/// use maaspd::tool::known::KnownFailure;
///
/// const FAILURES: &[KnownFailure] = &[
///     KnownFailure::auth("password invalid", "the BMC does not accept the password"),
///     KnownFailure::conn("connection timeout", "the BMC did not answer"),
/// ];
/// let failure = KnownFailure::find(FAILURES, "10.0.0.5: password invalid\n").unwrap();
/// let error = failure.error("ipmipower --stat on 10.0.0.5", "FreeIPMI");
/// assert_eq!(error.code(), ErrorCode::Auth);
/// assert_eq!(
///     error.message(),
///     "ipmipower --stat on 10.0.0.5: the BMC does not accept the password \
///      (FreeIPMI: `password invalid`)"
/// );
/// assert_eq!(KnownFailure::find(FAILURES, "10.0.0.5: on\n"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownFailure {
    /// What the tool prints, found anywhere in its output.
    pub text: &'static str,
    /// The error it is.
    pub code: ErrorCode,
    /// What it means, for the operator: the cause, or what to check.
    pub meaning: &'static str,
}

impl KnownFailure {
    /// `text` is a failure with `code`, meaning `meaning`.
    ///
    /// ```
    /// use maaspd::{ErrorCode, tool::known::KnownFailure};
    /// let busy = KnownFailure::new(ErrorCode::Conn, "BMC busy", "try again later");
    /// assert_eq!(busy, KnownFailure::conn("BMC busy", "try again later"));
    /// ```
    pub const fn new(code: ErrorCode, text: &'static str, meaning: &'static str) -> Self {
        KnownFailure {
            text,
            code,
            meaning,
        }
    }

    /// An `authError`: the BMC refused the credentials.
    ///
    /// ```
    /// # use maaspd::{ErrorCode, tool::known::KnownFailure};
    /// assert_eq!(KnownFailure::auth("password invalid", "").code, ErrorCode::Auth);
    /// ```
    pub const fn auth(text: &'static str, meaning: &'static str) -> Self {
        KnownFailure::new(ErrorCode::Auth, text, meaning)
    }

    /// A `settingsError`: a setting is wrong.
    ///
    /// ```
    /// # use maaspd::{ErrorCode, tool::known::KnownFailure};
    /// assert_eq!(KnownFailure::settings("password too long", "").code, ErrorCode::Settings);
    /// ```
    pub const fn settings(text: &'static str, meaning: &'static str) -> Self {
        KnownFailure::new(ErrorCode::Settings, text, meaning)
    }

    /// A `connError`: the BMC could not be reached or did not answer (MAAS retries it).
    ///
    /// ```
    /// # use maaspd::{ErrorCode, tool::known::KnownFailure};
    /// assert_eq!(KnownFailure::conn("session timeout", "").code, ErrorCode::Conn);
    /// ```
    pub const fn conn(text: &'static str, meaning: &'static str) -> Self {
        KnownFailure::new(ErrorCode::Conn, text, meaning)
    }

    /// An `actionError`: the BMC refused or failed the action (MAAS retries it).
    ///
    /// ```
    /// # use maaspd::{ErrorCode, tool::known::KnownFailure};
    /// assert_eq!(KnownFailure::action("BMC error", "").code, ErrorCode::Action);
    /// ```
    pub const fn action(text: &'static str, meaning: &'static str) -> Self {
        KnownFailure::new(ErrorCode::Action, text, meaning)
    }

    /// A `fatalError`: MAAS must not retry it.
    ///
    /// ```
    /// # use maaspd::{ErrorCode, tool::known::KnownFailure};
    /// assert_eq!(KnownFailure::fatal("internal IPMI error", "").code, ErrorCode::Fatal);
    /// ```
    pub const fn fatal(text: &'static str, meaning: &'static str) -> Self {
        KnownFailure::new(ErrorCode::Fatal, text, meaning)
    }

    /// The first failure of `table` whose text `output` holds.
    ///
    /// ```
    /// # use maaspd::tool::known::KnownFailure;
    /// let table = [KnownFailure::auth("k_g invalid", ""), KnownFailure::conn("timeout", "")];
    /// let both = "k_g invalid; timeout";
    /// assert_eq!(KnownFailure::find(&table, both).unwrap().text, "k_g invalid");
    /// let conn_only = table.iter().filter(|failure| failure.code == maaspd::ErrorCode::Conn);
    /// assert_eq!(KnownFailure::find(conn_only, both).unwrap().text, "timeout");
    /// ```
    pub fn find<'a>(
        table: impl IntoIterator<Item = &'a KnownFailure>,
        output: &str,
    ) -> Option<&'a KnownFailure> {
        table
            .into_iter()
            .find(|failure| output.contains(failure.text))
    }

    /// The error, for what was being done (`doing`) with `tool`: "DOING: MEANING (TOOL:
    /// \`TEXT\`)".
    ///
    /// ```
    /// # use maaspd::tool::known::KnownFailure;
    /// let error = KnownFailure::conn("BMC busy", "try again later").error("power on", "ipmipower");
    /// assert_eq!(error.message(), "power on: try again later (ipmipower: `BMC busy`)");
    /// ```
    pub fn error(&self, doing: impl Display, tool: impl Display) -> Error {
        Error::new(
            self.code,
            format!("{doing}: {} ({tool}: `{}`)", self.meaning, self.text),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::KnownFailure;
    use crate::ErrorCode;

    const TABLE: &[KnownFailure] = &[
        KnownFailure::auth("password invalid", "wrong password"),
        KnownFailure::settings("cipher suite id unavailable", "check the cipher suite"),
        KnownFailure::conn("session timeout", "no answer"),
    ];

    #[test]
    fn the_first_of_the_table_found_anywhere_in_the_output_decides() {
        let output = "10.0.0.5: session timeout\n10.0.0.6: password invalid\n";
        let found = KnownFailure::find(TABLE, output).unwrap();
        assert_eq!(
            (found.text, found.code),
            ("password invalid", ErrorCode::Auth)
        );
        assert_eq!(KnownFailure::find(TABLE, "10.0.0.5: ok"), None);
        assert_eq!(KnownFailure::find(TABLE, ""), None);
        assert_eq!(KnownFailure::find(&[], "password invalid"), None);
    }

    #[test]
    fn its_error_has_its_code_and_says_what_it_means_and_what_the_tool_said() {
        let error = TABLE[1].error("ipmipower --stat on bmc", "FreeIPMI");
        assert_eq!(error.code(), ErrorCode::Settings);
        assert_eq!(
            error.message(),
            "ipmipower --stat on bmc: check the cipher suite (FreeIPMI: `cipher suite id unavailable`)"
        );
    }
}
