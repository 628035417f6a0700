//! The command line's shape, built with clap's builder API from what the driver
//! declares.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Arg, ArgAction, Command, value_parser};

use crate::{Action, PowerDriver, input};

pub(super) const SCHEMA: &str = "schema";
pub(super) const METADATA: &str = "metadata";
#[cfg(feature = "service")]
pub(super) const SERVE: &str = "serve";
pub(super) const INPUT: &str = "INPUT";
pub(super) const TIMEOUT: &str = "timeout";
#[cfg(feature = "service")]
pub(super) const IDLE_TIMEOUT: &str = "idle-timeout";
#[cfg(feature = "service")]
pub(super) const READ_TIMEOUT: &str = "read-timeout";
#[cfg(feature = "service")]
pub(super) const MAX_ABANDONED: &str = "max-abandoned";
#[cfg(feature = "service")]
pub(super) const MAX_PER_BMC: &str = "max-per-bmc";
#[cfg(feature = "service")]
pub(super) const MAX_CONNECTIONS: &str = "max-connections";
pub(super) const VERBOSE: &str = "verbose";

/// The command line of driver `D`: `schema`, `metadata`, one subcommand per action (the
/// actions `D` does not offer marked in `--help`) and `serve`.
pub(crate) fn command<D: PowerDriver>() -> Command {
    let actions = Action::ALL.into_iter().map(|action| {
        let mut summary = action.summary().to_owned();
        if !D::supports(action) {
            summary.push_str(" (Not supported by this driver)");
        }
        Command::new(action.name())
            .about(summary)
            .arg(
                Arg::new(INPUT)
                    .help("File to read the input document from, - for standard input")
                    .value_parser(value_parser!(PathBuf))
                    .default_value(input::STDIN),
            )
            .arg(
                Arg::new(TIMEOUT)
                    .long(TIMEOUT)
                    .value_name("SECONDS")
                    .value_parser(seconds)
                    .help(
                        "Give up on the action after this long, with a connError [default: none]",
                    ),
            )
    });
    let command = Command::new(D::NAME)
        .about(format!("{} — A power driver used in MAAS", D::DESCRIPTION))
        .version(D::VERSION)
        .subcommand_required(true)
        .disable_help_subcommand(true)
        .arg(
            Arg::new(VERBOSE)
                .short('v')
                .long(VERBOSE)
                .action(ArgAction::Count)
                .global(true)
                .help(
                    "Log what happens to stderr (-vv: detail, -vvv: the libraries' too, -vvvv: all); never a parameter's value",
                ),
        )
        .subcommand(Command::new(SCHEMA).about("Print the JSON Schema of the driver parameters"))
        .subcommand(Command::new(METADATA).about("Print the driver's description in MAAS's form"))
        .subcommands(actions);
    #[cfg(feature = "service")]
    let command = command.subcommand(serve::<D>());
    command
}

#[cfg(feature = "service")]
fn serve<D: PowerDriver>() -> Command {
    use crate::service;
    let defaults = service::Options::for_driver::<D>();
    Command::new(SERVE)
        .about("Serve MAAS's power-driver protocol over HTTP on a UNIX socket, until SIGTERM")
        .arg(
            Arg::new("socket")
                .long("socket")
                .value_name("PATH")
                .value_parser(value_parser!(PathBuf))
                .help(format!(
                    "The socket to listen on, unless systemd passes one [default: {}]",
                    defaults.socket.display()
                )),
        )
        .arg(
            Arg::new("workers")
                .long("workers")
                .value_name("N")
                .value_parser(value_parser!(u32).range(1..))
                .help(format!(
                    "How many actions may run at once [default: {}]",
                    service::DEFAULT_WORKERS
                )),
        )
        .arg(
            Arg::new(MAX_ABANDONED)
                .long(MAX_ABANDONED)
                .value_name("N")
                .value_parser(value_parser!(u32))
                .help(format!(
                    "How many actions still running after their request was answered may \
                     run on without a worker; beyond it such an action keeps its worker \
                     until it returns [default: {}]",
                    service::DEFAULT_MAX_ABANDONED
                )),
        )
        .arg(
            Arg::new(MAX_PER_BMC)
                .long(MAX_PER_BMC)
                .value_name("N")
                .value_parser(value_parser!(u32).range(1..))
                .help(
                    "How many actions may run at once against one BMC (for a driver that \
                     tells BMCs apart) [default: the driver's, 4 unless it says]",
                ),
        )
        .arg(
            Arg::new(TIMEOUT)
                .long(TIMEOUT)
                .value_name("SECONDS")
                .value_parser(seconds)
                .help(format!(
                    "How long a request may take, its wait for a worker included, before it \
                     is answered 503; MAAS gives up after {} s [default: {}]",
                    service::MAAS_CLIENT_TIMEOUT.as_secs(),
                    service::DEFAULT_TIMEOUT.as_secs()
                )),
        )
        .arg(
            Arg::new(IDLE_TIMEOUT)
                .long(IDLE_TIMEOUT)
                .value_name("SECONDS")
                .value_parser(seconds)
                .help(format!(
                    "How long a connection may stay idle between requests before it is \
                     closed [default: {}]",
                    service::DEFAULT_IDLE_TIMEOUT.as_secs()
                )),
        )
        .arg(
            Arg::new(READ_TIMEOUT)
                .long(READ_TIMEOUT)
                .value_name("SECONDS")
                .value_parser(seconds)
                .help(format!(
                    "How long a client may take to send a request, from its first byte, or \
                     to take its answer, before its connection is closed [default: {}]",
                    service::DEFAULT_READ_TIMEOUT.as_secs()
                )),
        )
        .arg(
            Arg::new(MAX_CONNECTIONS)
                .long(MAX_CONNECTIONS)
                .value_name("N")
                .value_parser(value_parser!(u32).range(1..))
                .help(format!(
                    "How many connections may be open at once; beyond it the longest idle \
                     is closed [default: half the open-file limit, here {}]",
                    defaults.max_connections
                )),
        )
}

/// A positive number of seconds, fractions allowed.
fn seconds(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds > 0.0 && seconds.is_finite() => Ok(Duration::from_secs_f64(seconds)),
        _ => Err("expected a positive number of seconds".into()),
    }
}
