//! The one-shot command line MAAS runs: `DRIVER schema`, `DRIVER metadata`,
//! `DRIVER ACTION [INPUT] [--timeout SECONDS]` and `DRIVER serve`.
//!
//! Built with clap's builder API from what the driver declares (`command`);
//! `#[power_driver]` generates only a `main` that calls [`main`].

mod command;
pub(crate) mod deadline;

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::ArgMatches;

use crate::execute::execute;
use crate::metadata::Metadata;
use crate::{Action, Context, PowerDriver, document, input, logger, panic_guard, schema};
pub(crate) use command::command;
use command::{INPUT, METADATA, SCHEMA, TIMEOUT, VERBOSE};

/// Runs the driver's command line on this process's arguments and standard streams.
///
/// `#[power_driver]` makes `fn main` call this; a crate that writes its own `main`
/// (`main = false`) can call it too.
///
/// ```no_run
/// # use maaspd::PowerState;
/// # #[maaspd::parameters] struct Lamp {}
/// #[maaspd::power_driver(description = "A lamp", main = false)]
/// impl Lamp {
/// #   fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::On) }
///     // ...
/// }
///
/// fn main() -> std::process::ExitCode {
///     maaspd::cli::main::<Lamp>()
/// }
/// ```
pub fn main<D: PowerDriver>() -> ExitCode {
    // Run by ssh as the askpass program of one of this driver's own tool calls: answer
    // it, and nothing else (see `tool::askpass`).
    #[cfg(feature = "askpass")]
    if let Some(status) = crate::tool::askpass::answer_if_invoked() {
        return status;
    }
    panic_guard::install_quiet_hook();
    // Unlocked handles: `serve` logs from other threads, which a lock held here for the
    // whole run would block forever.
    let status = run::<D>(
        std::env::args_os(),
        &mut io::stdin(),
        &mut io::stdout(),
        &mut io::stderr(),
    );
    ExitCode::from(status)
}

/// The `main` of a driver whose `impl` block is not at its crate's root: a proc macro
/// cannot know where it is, and a `fn main` generated inside a module is no program's
/// entry point (rustc's E0601). Give that block `main = false` and write this at the
/// crate's root:
///
/// ```
/// mod lamp {
///     #[maaspd::parameters]
///     pub struct Lamp {}
///
///     #[maaspd::power_driver(description = "A lamp", main = false)]
///     impl Lamp {
///         fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
///         fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
///         fn power_query(&self) -> maaspd::Result<maaspd::PowerState> { Ok(maaspd::PowerState::On) }
///     }
/// }
///
/// maaspd::main!(lamp::Lamp);
/// ```
#[macro_export]
macro_rules! main {
    ($driver:ty) => {
        fn main() -> ::std::process::ExitCode {
            $crate::cli::main::<$driver>()
        }
    };
}

/// Runs the driver's command line on `args` (the first is the program name) and the
/// given streams; returns the exit status: 0 when the document's `error` is null, 1 when
/// it carries an error, 2 for a usage error.
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
/// let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
/// let mut stdin = br#"{"driverParameters": {}}"#.as_slice();
/// let status = maaspd::cli::run::<Lamp>(["lamp", "power_query"], &mut stdin, &mut stdout, &mut stderr);
/// assert_eq!(status, 0);
/// assert!(String::from_utf8(stdout).unwrap().contains(r#""status": "on""#));
/// ```
pub fn run<D: PowerDriver>(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    // Write errors are ignored on purpose: with stdout closed there is nobody to tell,
    // and the exit status still says how the action went.
    let matches = match command::<D>().try_get_matches_from(args) {
        Ok(matches) => matches,
        Err(error) => {
            let out: &mut dyn Write = if error.use_stderr() { stderr } else { stdout };
            let _ = write!(out, "{}", error.render());
            return u8::try_from(error.exit_code()).unwrap_or(2);
        }
    };
    logger::init(D::NAME, D::CRATE, matches.get_count(VERBOSE));
    let Some((name, arguments)) = matches.subcommand() else {
        unreachable!("clap enforces subcommand_required")
    };
    #[cfg(feature = "service")]
    if name == command::SERVE {
        return serve::<D>(arguments, stderr);
    }
    let description = match name {
        SCHEMA => Some(schema::parameters_schema::<D>()),
        METADATA => Some(serde_json::json!(Metadata::of::<D>())),
        _ => None,
    };
    if let Some(description) = description {
        let _ = writeln!(stdout, "{}", document::to_string(&description));
        return 0;
    }
    let Ok(action) = name.parse::<Action>() else {
        unreachable!("every other subcommand is an action")
    };
    let started = Instant::now();
    log::info!("{action}: {} {}", D::NAME, D::VERSION);
    let load = || {
        let path = input_path(arguments);
        let bytes = input::read(path, stdin)?;
        log::debug!(
            "read {} bytes of input from {}",
            bytes.len(),
            path.display()
        );
        input::parse(&bytes)
    };
    let response = match arguments.get_one::<Duration>(TIMEOUT) {
        Some(&limit) => deadline::execute::<D>(action, load, limit),
        None => execute::<D>(Context::new(action), load),
    };
    for warning in response.warnings() {
        let _ = writeln!(stderr, "warning: {warning}");
    }
    match response.error() {
        None => log::info!("{action}: done in {} ms", started.elapsed().as_millis()),
        Some(error) => log::info!(
            "{action}: failed in {} ms: {error}",
            started.elapsed().as_millis()
        ),
    }
    let _ = writeln!(stdout, "{}", response.to_document());
    response.exit_code()
}

fn input_path(arguments: &ArgMatches) -> &PathBuf {
    arguments
        .get_one::<PathBuf>(INPUT)
        .expect("INPUT has a default value")
}

#[cfg(feature = "service")]
fn serve<D: PowerDriver>(arguments: &ArgMatches, stderr: &mut dyn Write) -> u8 {
    let mut options = crate::service::Options::for_driver::<D>();
    if let Some(socket) = arguments.get_one::<PathBuf>("socket") {
        options.socket = socket.clone();
        options.socket_given = true;
    }
    if let Some(&workers) = arguments.get_one::<u32>("workers") {
        options.workers = workers as usize;
    }
    if let Some(&abandoned) = arguments.get_one::<u32>(command::MAX_ABANDONED) {
        options.max_abandoned = abandoned as usize;
    }
    if let Some(&per_bmc) = arguments.get_one::<u32>(command::MAX_PER_BMC) {
        options.max_per_bmc = per_bmc as usize;
    }
    if let Some(&timeout) = arguments.get_one::<Duration>(TIMEOUT) {
        options.timeout = timeout;
    }
    if let Some(&timeout) = arguments.get_one::<Duration>(command::IDLE_TIMEOUT) {
        options.idle_timeout = timeout;
    }
    if let Some(&timeout) = arguments.get_one::<Duration>(command::READ_TIMEOUT) {
        options.read_timeout = timeout;
    }
    if let Some(&connections) = arguments.get_one::<u32>(command::MAX_CONNECTIONS) {
        options.max_connections = connections as usize;
    }
    match crate::service::serve::<D>(options) {
        Ok(()) => 0,
        Err(error) => {
            let _ = writeln!(stderr, "error: {error}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_drivers::{Chassis, Lamp};

    struct Output {
        status: u8,
        stdout: String,
        stderr: String,
    }

    fn cli<D: PowerDriver>(args: &[&str], stdin: &str) -> Output {
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let args = std::iter::once("driver").chain(args.iter().copied());
        let status = run::<D>(args, &mut stdin.as_bytes(), &mut stdout, &mut stderr);
        Output {
            status,
            stdout: String::from_utf8(stdout).unwrap(),
            stderr: String::from_utf8(stderr).unwrap(),
        }
    }

    #[test]
    fn command_is_well_formed() {
        command::<Lamp>().debug_assert();
        command::<Chassis>().debug_assert();
    }

    #[test]
    fn help_marks_undeclared_actions() {
        let help = cli::<Lamp>(&["--help"], "");
        assert_eq!(help.status, 0);
        assert!(
            help.stdout
                .contains("A lamp for tests — A power driver used in MAAS")
        );
        assert!(
            help.stdout.contains(
                "Probe chassis for a list of controlled machines (Not supported by this driver)"
            ),
            "{}",
            help.stdout
        );
        assert!(
            help.stdout
                .contains("Reorder boot sources (Not supported by this driver)")
        );
        let help = cli::<Chassis>(&["--help"], "");
        assert!(!help.stdout.contains("Not supported"), "{}", help.stdout);
    }

    #[test]
    fn usage_errors_exit_2_without_json() {
        for args in [&[][..], &["reboot"], &["power_on", "a", "b"]] {
            let out = cli::<Lamp>(args, "");
            assert_eq!(out.status, 2, "{args:?}");
            assert_eq!(out.stdout, "", "{args:?}");
            assert!(out.stderr.contains("Usage:"), "{args:?}: {}", out.stderr);
        }
    }

    #[test]
    fn action_reads_stdin_and_prints_one_document() {
        let out = cli::<Lamp>(&["power_query"], r#"{"driverParameters": {"on": true}}"#);
        assert_eq!(out.status, 0);
        assert_eq!(
            out.stdout,
            "{\n    \"action_type\": \"power_query\",\n    \"data\": {\n        \"status\": \"on\"\n    },\n    \"error\": null\n}\n"
        );
        assert_eq!(out.stderr, "");
    }

    #[test]
    fn warnings_go_to_stderr() {
        let out = cli::<Lamp>(
            &["power_on", "-"],
            r#"{"driverParameters": {"system_id": "x", "colour": "red"}}"#,
        );
        assert_eq!(out.status, 0);
        assert_eq!(
            out.stderr,
            "warning: ignoring unknown driver parameter `driverParameters.colour`\n"
        );
    }

    #[test]
    fn unsupported_action_does_not_read_input() {
        let out = cli::<Lamp>(&["probe", "/nonexistent/input.json"], "");
        assert_eq!(out.status, 1);
        assert!(
            out.stdout.contains("unsupportedActionError"),
            "{}",
            out.stdout
        );
    }

    #[test]
    fn missing_input_file_is_a_settings_error() {
        let out = cli::<Lamp>(&["power_on", "/nonexistent/input.json"], "");
        assert_eq!(out.status, 1);
        assert!(out.stdout.contains("settingsError"));
        assert!(
            out.stdout
                .contains("cannot read input file /nonexistent/input.json")
        );
    }

    #[test]
    fn schema_prints_parameters_schema() {
        let out = cli::<Lamp>(&["schema"], "");
        assert_eq!(out.status, 0);
        let schema: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(schema["properties"]["on"]["type"], "boolean");
    }
}
