//! The driver's command line in-process: arguments and standard input in, the exit
//! status and both output streams out.

use std::ffi::OsString;

use crate::PowerDriver;

/// What a run of the command line left: its exit status and everything it wrote.
///
/// The streams are kept as bytes, as a process's would be: whether the output is text
/// at all is for a test to check.
///
/// ```
/// # use maaspd::PowerState;
/// # #[maaspd::parameters] struct Lamp {}
/// # #[maaspd::power_driver(description = "A lamp", main = false)]
/// # impl Lamp {
/// #   fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::On) }
/// # }
/// let output = maaspd::testing::cli::<Lamp>(["power_query", "--bogus"], "");
/// assert_eq!(output.status, 2);
/// assert!(output.stdout.is_empty());
/// assert!(String::from_utf8_lossy(&output.stderr).contains("--bogus"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CliOutput {
    /// The exit status: 0 when the document's `error` is null, 1 when it carries an
    /// error, 2 for a usage error.
    pub status: u8,
    /// Standard output: the one JSON document, or what `--help` and `schema` print.
    pub stdout: Vec<u8>,
    /// Standard error: warnings, the `-v` log, usage errors.
    pub stderr: Vec<u8>,
}

/// Runs driver `D`'s command line, `DRIVER ARGS...`, with `stdin` as its standard input,
/// as MAAS runs the binary: the program's name is `D`'s, and `args` are the rest
/// (`["power_on", "--timeout", "30"]`).
///
/// ```
/// use maaspd::{PowerState, testing};
/// use maaspd::serde_json::{Value, json};
///
/// /// A lamp, lit or not as its settings say.
/// #[maaspd::parameters]
/// struct Lamp {
///     /// Whether it is lit.
///     on: bool,
/// }
///
/// #[maaspd::power_driver(description = "A lamp", main = false)]
/// impl Lamp {
///     fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
///     fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
///     fn power_query(&self) -> maaspd::Result<PowerState> { Ok(self.on.into()) }
/// }
///
/// let output = testing::cli::<Lamp>(["power_query"], r#"{"driverParameters": {"on": true}}"#);
/// assert_eq!(output.status, 0);
/// let document: Value = maaspd::serde_json::from_slice(&output.stdout).unwrap();
/// assert_eq!(document["data"], json!({"status": "on"}));
///
/// let output = testing::cli::<Lamp>(["power_query", "--timeout", "5"], "not JSON");
/// assert_eq!(output.status, 1);
/// let document: Value = maaspd::serde_json::from_slice(&output.stdout).unwrap();
/// assert_eq!(document["error"]["code"], "settingsError");
/// ```
///
/// Everything but `DRIVER serve` returns once the command is done; `serve` would serve
/// on its socket until SIGTERM: send requests to a `testing::Service` (feature
/// `service`) instead.
pub fn cli<D: PowerDriver>(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    stdin: impl AsRef<[u8]>,
) -> CliOutput {
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let args = std::iter::once(OsString::from(D::NAME)).chain(args.into_iter().map(Into::into));
    let status = crate::cli::run::<D>(args, &mut stdin.as_ref(), &mut stdout, &mut stderr);
    CliOutput {
        status,
        stdout,
        stderr,
    }
}
